#include <string.h>
#include <p11-kit/pkcs11.h>

#include "common/err.h"
#include "common/log.h"
#include "hsm/hsm_int.h"

/* DER of the OID prime256v1 (RFC 5480), as CKA_EC_PARAMS wants it. */
static const CK_BYTE p256_params[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};

int hsm_raw_keygen(const struct hsm_raw *r, unsigned long slot_id,
		   const char *label, const uint8_t *id, size_t id_len,
		   enum hsm_keytype type)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = type == HSM_KEY_RSA3072 ? 3072 : 2048;
	CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub[8], prv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_ULONG npub = 0;
	CK_OBJECT_HANDLE hpub, hprv;
	CK_SESSION_HANDLE sess;
	CK_FUNCTION_LIST_PTR f = r->f;
	CK_RV rv;

	pub[npub++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_VERIFY, &yes, sizeof(yes) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_ENCRYPT, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	if (type == HSM_KEY_EC_P256) {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)p256_params,
					      sizeof(p256_params) };
	} else {
		pub[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		pub[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, exponent,
					      sizeof(exponent) };
	}

	rv = f->C_OpenSession(slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION,
			      NULL, NULL, &sess);
	if (rv != CKR_OK) {
		log_err("hsm: C_OpenSession: 0x%lx", (unsigned long)rv);
		return ESD_ETOKEN;
	}
	rv = f->C_GenerateKeyPair(sess, &mech, pub, npub, prv,
				  sizeof(prv) / sizeof(prv[0]), &hpub, &hprv);
	f->C_CloseSession(sess);
	if (rv != CKR_OK) {
		log_err("hsm: C_GenerateKeyPair: 0x%lx", (unsigned long)rv);
		return ESD_ETOKEN;
	}
	return 0;
}
