/* Internal to hsm/: shared by hsm.c and keygen.c. */
#ifndef ESD_HSM_INT_H
#define ESD_HSM_INT_H

#include <libp11.h>
#include <p11-kit/pkcs11.h>
#include "hsm/hsm.h"

/*
 * The module's function list for the calls libp11 0.4 does not make
 * (EC and templated key generation, AES-GCM). A module that is one
 * process-wide instance (SoftHSM2, most HSM libraries) hands back the
 * list libp11 initialised and logged in; a module that makes a new
 * instance for each C_GetFunctionList (p11-kit-client.so, the client of
 * a remote token) hands back one of our own, which is initialised and
 * logged in here and finalised by hsm_raw_close. Used under the hsm's
 * write lock.
 */
struct hsm_raw {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE login;  /* own instance: the session holding the login */
	int own;
};

int hsm_raw_open(struct hsm_raw *r, const char *module, unsigned long slot,
		 const char *pin);
void hsm_raw_close(struct hsm_raw *r);
/* Raw C_GenerateKeyPair on the slot (libp11 0.4 generates neither EC
 * keys nor keys with an explicit template). */
int hsm_raw_keygen(const struct hsm_raw *r, unsigned long slot_id,
		   const char *label, const uint8_t *id, size_t id_len,
		   enum hsm_keytype type);
/* secret.c: AES-256-GCM with the secret key label (made on first use). */
int hsm_raw_aes_gcm(const struct hsm_raw *r, unsigned long slot,
		    const char *label, int encrypt, const uint8_t iv[12],
		    const uint8_t *aad, size_t aad_len, const uint8_t *in,
		    size_t in_len, uint8_t *out, size_t *out_len);

#endif
