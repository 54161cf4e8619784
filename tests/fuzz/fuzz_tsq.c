/*
 * libFuzzer target: the front's RFC 3161 query parser (pki/pkisvc.h
 * pki_tsq_parse), which sees every byte a client POSTs to /tsa.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pki/pkisvc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_tsq q;
	int fail = 0;
	volatile size_t sink = 0;

	if (pki_tsq_parse(data, size, &q, &fail) == 0) {
		if (q.imprint_len > PKI_TSQ_IMPRINT_MAX ||
		    q.nonce_len > PKI_TSQ_NONCE_MAX ||
		    memchr(q.policy, '\0', sizeof(q.policy)) == NULL)
			__builtin_trap();
		sink = q.imprint_len;
	}
	(void)sink;
	return 0;
}
