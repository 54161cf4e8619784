/*
 * Signature timestamps from an outside time-stamping authority
 * (tsa_url, docs/config.md): the keeper sends the RFC 3161 request over
 * HTTP(S) and releases the answer only if it grants a token for the
 * request's imprint and nonce, and once it is audited.
 */
#include <string.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/internal.h"
#include "pki/pkisvc.h"

struct buf {
	uint8_t *p;
	size_t len;
};

static size_t on_data(char *d, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t add = sz * n;
	uint8_t *np;

	if (b->len + add > (64u << 10))
		return 0;
	np = OPENSSL_realloc(b->p, b->len + add);
	if (np == NULL)
		return 0;
	memcpy(np + b->len, d, add);
	b->p = np;
	b->len += add;
	return add;
}

/* The stamp from the TSA at tsa_url (RFC 3161 over HTTP(S)): the answer
 * must grant a token for this imprint and nonce. Audited like ours. */
int keeper_outside_tsa(struct keeper *k, struct caller *c,
		       const struct pki_tsq *q, struct reply *r)
{
	struct curl_slist *hdr = NULL;
	struct buf b = { NULL, 0 };
	uint8_t *req = NULL;
	size_t rlen = 0;
	char imprint[2 * PKI_TSQ_IMPRINT_MAX + 1];
	long status = 0;
	json_t *detail;
	CURL *cu = curl_easy_init();
	CURLcode cr = CURLE_FAILED_INIT;
	int rc = cu ? pki_tsq_encode(q, &req, &rlen) : ESD_ENOMEM;

	if (rc == 0) {
		hdr = curl_slist_append(NULL,
					"Content-Type: application/timestamp-query");
		curl_easy_setopt(cu, CURLOPT_URL, k->cfg.tsa_url);
		curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, req);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)rlen);
		curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(cu, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(cu, CURLOPT_TIMEOUT, 20L);
		curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
		if (k->cfg.tsa_ca_file[0] != '\0')
			curl_easy_setopt(cu, CURLOPT_CAINFO, k->cfg.tsa_ca_file);
		cr = curl_easy_perform(cu);
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
		if (cr != CURLE_OK || status != 200) {
			snprintf(r->msg, sizeof(r->msg), "the time-stamping authority "
				 "at tsa_url did not answer (%s, HTTP %ld)",
				 curl_easy_strerror(cr), status);
			rc = ESD_EUNAVAIL;
		} else if (!pki_tsr_matches(b.p, b.len, q)) {
			snprintf(r->msg, sizeof(r->msg), "the time-stamping authority "
				 "at tsa_url did not grant a matching token");
			rc = ESD_EUNAVAIL;
		}
	}
	esd_hex(q->imprint, q->imprint_len, imprint);
	detail = json_pack("{s:s, s:s}", "imprint", imprint, "tsa",
			   k->cfg.tsa_url);
	if (keeper_audit(k, c, "tsa.outside", k->cfg.tsa_url, rc, detail) != 0 &&
	    rc == 0)
		rc = ESD_ESTORE;
	json_decref(detail);
	if (rc == 0) {
		r->bin = b.p;
		r->bin_len = b.len;
		b.p = NULL;
	} else {
		log_warn("keeper: outside timestamp refused: %s", r->msg);
	}
	OPENSSL_free(b.p);
	OPENSSL_free(req);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(cu);
	return rc;
}

