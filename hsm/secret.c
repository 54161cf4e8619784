/*
 * AES-256-GCM with a secret key inside the token (CKM_AES_GCM), for the
 * few secrets the keeper must read back (TOTP seeds): the key is made
 * sensitive and not extractable, so a stolen LMDB file or backup reveals
 * nothing without the token. libp11 has no symmetric operations, so this
 * speaks PKCS#11 directly, on the module libp11 loaded and logged in
 * (login state is per application), or on an instance of our own
 * (struct hsm_raw).
 */
#include <string.h>
#include <p11-kit/pkcs11.h>

#include "common/err.h"
#include "common/log.h"
#include "hsm/hsm_int.h"

struct p11 {
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE sess;
};

static int p11_open(const struct hsm_raw *r, unsigned long slot, struct p11 *p)
{
	p->f = r->f;
	if (p->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
				NULL, &p->sess) != CKR_OK) {
		p->f = NULL;
		return ESD_ETOKEN;
	}
	return 0;
}

static void p11_close(struct p11 *p)
{
	if (p->f != NULL)
		p->f->C_CloseSession(p->sess);
}

/* The secret key labelled label, made on first use. */
static int find_or_make(struct p11 *p, const char *label, CK_OBJECT_HANDLE *key)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG len = 32, n = 0;
	CK_ATTRIBUTE find[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ATTRIBUTE make[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
	};
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_RV rv;

	if (p->f->C_FindObjectsInit(p->sess, find, 3) != CKR_OK)
		return ESD_ETOKEN;
	rv = p->f->C_FindObjects(p->sess, key, 1, &n);
	p->f->C_FindObjectsFinal(p->sess);
	if (rv == CKR_OK && n == 1)
		return 0;
	rv = p->f->C_GenerateKey(p->sess, &gen, make,
				 sizeof(make) / sizeof(make[0]), key);
	if (rv != CKR_OK) {
		log_err("hsm: C_GenerateKey (AES): 0x%lx", (unsigned long)rv);
		return ESD_ETOKEN;
	}
	log_info("hsm: made the secret key '%s' in the token", label);
	return 0;
}

int hsm_raw_aes_gcm(const struct hsm_raw *r, unsigned long slot,
		    const char *label, int encrypt, const uint8_t iv[12],
		    const uint8_t *aad, size_t aad_len, const uint8_t *in,
		    size_t in_len, uint8_t *out, size_t *out_len)
{
	CK_GCM_PARAMS gp = { (unsigned char *)iv, 12, 96,
			     (unsigned char *)aad, aad_len, 128 };
	CK_MECHANISM mech = { CKM_AES_GCM, &gp, sizeof(gp) };
	CK_OBJECT_HANDLE key;
	CK_ULONG olen = *out_len;
	struct p11 p;
	CK_RV rv;
	int rc = p11_open(r, slot, &p);

	if (rc == 0)
		rc = find_or_make(&p, label, &key);
	if (rc == 0) {
		rv = encrypt ? p.f->C_EncryptInit(p.sess, &mech, key)
			     : p.f->C_DecryptInit(p.sess, &mech, key);
		if (rv == CKR_OK)
			rv = encrypt ? p.f->C_Encrypt(p.sess, (CK_BYTE_PTR)in, in_len,
						      out, &olen)
				     : p.f->C_Decrypt(p.sess, (CK_BYTE_PTR)in, in_len,
						      out, &olen);
		/* A wrong tag is CKR_ENCRYPTED_DATA_INVALID: not a token
		 * fault, a bad ciphertext. */
		if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE)
			rc = ESD_ECRYPTO;
		else if (rv != CKR_OK) {
			log_err("hsm: AES-GCM: 0x%lx", (unsigned long)rv);
			rc = ESD_ETOKEN;
		}
	}
	if (rc == 0)
		*out_len = olen;
	p11_close(&p);
	return rc;
}
