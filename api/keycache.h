/*
 * The signing keys the keeper named for the front's callers, kept
 * between requests (keycache.c).
 */
#ifndef ESD_API_KEYCACHE_H
#define ESD_API_KEYCACHE_H

#include <stdint.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "daemon/proto.h"

/* A document-signing key as the front uses it: the label the keeper
 * resolved the caller's "key" to, the certificate and chain that go into
 * the CMS, and their identity (SHA-256 over their DER, the certificate
 * first), which MSG_DOC_SIGN sends back for the keeper to compare. */
struct api_key {
	char label[65];
	uint8_t cert_id[32];
	X509 *cert;
	STACK_OF(X509) *chain;
	struct pki_cms_tpl *tpl;  /* its B-B CMS prepared (RSA), or NULL */
	int kept;             /* from the cache, not from the keeper just now */
};

/* k from MSG_DOC_KEY's answer {"key","cert","chain"} (base64 DER).
 * ESD_EPROTO if it is not that. */
int api_key_parse(json_t *answer, struct api_key *k);
void api_key_free(struct api_key *k);

/* The key kept for (caller, purpose, want): 0 with k holding its own
 * references (k->kept = 1), or ESD_ENOTFOUND. */
int api_key_find(const struct cred *c, const char *purpose, const char *want,
		 struct api_key *k);
/* Keeps k for (caller, purpose, want), replacing what was kept. */
void api_key_keep(const struct cred *c, const char *purpose, const char *want,
		  const struct api_key *k);
/* Drops what is kept for (caller, purpose, want). */
void api_key_forget(const struct cred *c, const char *purpose,
		    const char *want);

#endif
