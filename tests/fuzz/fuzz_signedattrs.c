/*
 * libFuzzer target: the keeper's parser of the CMS signed attributes a
 * front sends with MSG_DOC_SIGN (pki/signedattrs.h pki_sattrs_parse),
 * which sees every byte a compromised front could forge. Traps if an
 * accepted input breaks what the keeper relies on: the SET OF form, the
 * length bound, and that pki_sattrs_check accepts exactly the digest and
 * signing-certificate-v2 the parser found (and hashes the input itself),
 * and refuses any other digest or certificate.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <openssl/sha.h>

#include "pki/signedattrs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_sattrs sa;
	uint8_t tbs[32], want[32], other[32];
	const char *why = NULL;

	if (pki_sattrs_parse(data, size, &sa, &why) != 0) {
		if (why == NULL)
			__builtin_trap();
		return 0;
	}
	if (size > PKI_SATTRS_MAX || data[0] != 0x31 || sa.ess_len == 0 ||
	    sa.ess_len > sizeof(sa.ess))
		__builtin_trap();
	if (pki_sattrs_check(data, size, sa.digest, sa.ess, sa.ess_len, tbs,
			     &why) != 0)
		__builtin_trap();
	SHA256(data, size, want);
	if (memcmp(tbs, want, 32) != 0)
		__builtin_trap();
	memcpy(other, sa.digest, 32);
	other[31] ^= 1;
	if (pki_sattrs_check(data, size, other, sa.ess, sa.ess_len, tbs,
			     &why) == 0)
		__builtin_trap();
	sa.ess[sa.ess_len - 1] ^= 1;
	if (pki_sattrs_check(data, size, sa.digest, sa.ess, sa.ess_len, tbs,
			     &why) == 0)
		__builtin_trap();
	return 0;
}
