/*
 * libFuzzer target: the front's OCSP request parser (pki/pkisvc.h
 * pki_ocsp_parse), which sees every byte a client POSTs to /ocsp.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pki/pkisvc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_ocsp_query q;
	volatile size_t sink = 0;

	if (pki_ocsp_parse(data, size, &q) == 0) {
		/* What the keeper relies on. */
		if (q.n == 0 || q.n > PKI_OCSP_MAX_SINGLE ||
		    q.nonce_len > PKI_OCSP_NONCE_MAX)
			__builtin_trap();
		for (size_t i = 0; i < q.n; i++)
			if (q.single[i].hash_len > PKI_OCSP_HASH_MAX ||
			    q.single[i].serial_len == 0 ||
			    q.single[i].serial_len > PKI_OCSP_SERIAL_MAX)
				__builtin_trap();
		sink = q.n;
	}
	(void)sink;
	return 0;
}
