/*
 * hsm: the PKCS#11 token, through libp11.
 *
 * One module load and one login per process; libp11 keeps a pool of
 * sessions on the slot and hands one to each concurrent operation, and the
 * keeper bounds concurrency by its worker threads (one per core). Keys are
 * found by CKA_LABEL. Private keys are generated inside the token with
 * CKA_SENSITIVE=TRUE and CKA_EXTRACTABLE=FALSE and never leave it: callers
 * get either a signature or an EVP_PKEY whose private operations run on
 * the token (for X509_sign, CMS, OCSP).
 *
 * Token faults (CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID,
 * CKR_TOKEN_NOT_PRESENT, ...) make a call return ESD_ETOKEN; the next call
 * reconnects (module reload and login) by itself.
 *
 * Thread-safe. Knows nothing of PDFs, HTTP or LMDB.
 */
#ifndef ESD_HSM_H
#define ESD_HSM_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct hsm;

enum hsm_keytype { HSM_KEY_RSA2048 = 1, HSM_KEY_RSA3072, HSM_KEY_EC_P256 };
enum hsm_alg { HSM_ALG_RSA_PKCS1 = 1, HSM_ALG_RSA_PSS, HSM_ALG_ECDSA };

#define HSM_LABEL_MAX 64

struct hsm_key_info {
	char label[HSM_LABEL_MAX + 1];
	char id_hex[65];
	enum hsm_keytype type;
	int has_cert;
};

/* "rsa2048" -> HSM_KEY_RSA2048; ESD_EINVAL for an unknown name. */
int hsm_keytype_parse(const char *s, enum hsm_keytype *t);
const char *hsm_keytype_name(enum hsm_keytype t);
/* "rsa-pkcs1" | "rsa-pss" | "ecdsa" */
int hsm_alg_parse(const char *s, enum hsm_alg *a);

/*
 * Initialises a token in the first free slot of the module with label,
 * SO PIN and user PIN (esignctl init). ESD_EEXIST if a token with this
 * label is already initialised.
 */
int hsm_token_init(const char *module, const char *label, const char *so_pin,
		   const char *user_pin);

/* Loads the module, finds the token by label and logs in. The PIN is
 * copied (libp11 needs it to log in again after a reconnect). */
int hsm_open(const char *module, const char *label, const char *pin,
	     struct hsm **out);
void hsm_close(struct hsm *h);

/* 0 if the token answers and the session is logged in, else ESD_ETOKEN. */
int hsm_health(struct hsm *h);

/* Token label, manufacturer and model into the given buffers. */
int hsm_token_info(struct hsm *h, char *label, char *manuf, char *model,
		   size_t cap);

/* Generates a key pair on the token; ESD_EEXIST if the label is taken. */
int hsm_keygen(struct hsm *h, const char *label, enum hsm_keytype type);

/* Lists private keys: *out is a new array the caller frees. */
int hsm_keys_list(struct hsm *h, struct hsm_key_info **out, size_t *n);

/* New reference to the public key of label (caller frees). */
int hsm_pubkey(struct hsm *h, const char *label, EVP_PKEY **out);
/* New reference to a token-backed private key (caller frees). */
int hsm_privkey(struct hsm *h, const char *label, EVP_PKEY **out);
/* Key type of label. */
int hsm_key_type(struct hsm *h, const char *label, enum hsm_keytype *t);

/*
 * Signs a precomputed digest with the key labelled label. md is the digest
 * algorithm (for RSA DigestInfo and PSS); dlen must match it. *siglen is
 * the capacity of sig on entry and the signature length on return. ECDSA
 * signatures are DER (X9.62 Ecdsa-Sig-Value).
 */
int hsm_sign(struct hsm *h, const char *label, enum hsm_alg alg,
	     const EVP_MD *md, const uint8_t *dgst, size_t dlen, uint8_t *sig,
	     size_t *siglen);

/*
 * AES-256-GCM (96-bit IV, 128-bit tag appended to the ciphertext) with
 * the token's secret key label, made sensitive and not extractable on
 * first use. Decryption of a ciphertext whose tag does not verify is
 * ESD_ECRYPTO.
 */
int hsm_aes_gcm(struct hsm *h, const char *label, int encrypt,
		const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
		const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);

/* Stores cert on the token with the key's label and CKA_ID. */
int hsm_store_cert(struct hsm *h, const char *label, X509 *cert);

/* Counters since start: token errors and reconnects. */
void hsm_counters(struct hsm *h, uint64_t *errors, uint64_t *reconnects);

#endif
