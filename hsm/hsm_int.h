/* Internal to hsm/: shared by hsm.c and keygen.c. */
#ifndef ESD_HSM_INT_H
#define ESD_HSM_INT_H

#include <libp11.h>
#include "hsm/hsm.h"

/* Raw C_GenerateKeyPair on the slot libp11 is logged in to (libp11 0.4
 * generates neither EC keys nor keys with an explicit template). */
/* secret.c: AES-256-GCM with the secret key label (made on first use). */
int hsm_raw_aes_gcm(const char *module, unsigned long slot, const char *label,
		    int encrypt, const uint8_t iv[12], const uint8_t *aad,
		    size_t aad_len, const uint8_t *in, size_t in_len,
		    uint8_t *out, size_t *out_len);
int hsm_raw_keygen(const char *module, unsigned long slot_id,
		   const char *label, const uint8_t *id, size_t id_len,
		   enum hsm_keytype type);

#endif
