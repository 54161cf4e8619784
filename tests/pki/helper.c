/*
 * pki_helper: drives pki/ (pki.h, pkisvc.h) for tests/pki/run.sh, so that
 * the openssl CLI can judge what it writes.
 *
 *   pki_helper init DIR ec|rsa
 *       DIR/ca.{pem,key}     root CA (pki_cert_issue)
 *       DIR/ocsp.{pem,key}   delegated OCSP signer (EKU OCSPSigning)
 *       DIR/tsa.{pem,key}    TSA (critical EKU timeStamping)
 *       DIR/leaf.pem DIR/revoked.pem   two seal certificates
 *   pki_helper crl DIR SERIAL_HEX REASON OUT.der
 *   pki_helper ocsp DIR REQ.der OUT.der REVOKED_HEX [GOOD_HEX...]
 *       the keeper's answer: a CertID not of ca.pem or a serial not
 *       listed is unknown; an unparsable request gets malformedRequest
 *   pki_helper tsa DIR REQ.tsq OUT.tsr [POLICY]
 *   pki_helper tst RESP.tsr OUT.der
 *
 * The parsed request crosses a byte buffer, as it would cross the IPC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/util.h"
#include "pki/pki.h"
#include "pki/pkisvc.h"

#define DEF_POLICY "1.3.6.1.4.1.99999.1.1"

static const char *dir;

static const char *path(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static int die(const char *what, int rc)
{
	fprintf(stderr, "pki_helper: %s: %s\n", what, esd_err_name(rc));
	ERR_print_errors_fp(stderr);
	return 1;
}

static EVP_PKEY *keygen(const char *alg)
{
	if (strcmp(alg, "rsa") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int save_key(const char *name, EVP_PKEY *k)
{
	FILE *f = fopen(path(name), "w");
	int ok = f != NULL &&
		 PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);

	if (f != NULL)
		fclose(f);
	return ok;
}

static int save_cert(const char *name, X509 *x)
{
	FILE *f = fopen(path(name), "w");
	int ok = f != NULL && PEM_write_X509(f, x);

	if (f != NULL)
		fclose(f);
	return ok;
}

static EVP_PKEY *load_key(const char *name)
{
	FILE *f = fopen(path(name), "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f != NULL)
		fclose(f);
	return k;
}

static X509 *load_cert(const char *name)
{
	FILE *f = fopen(path(name), "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f != NULL)
		fclose(f);
	return x;
}

static int read_all(const char *p, uint8_t **buf, size_t *len)
{
	char *b;
	int rc = esd_read_file(p, 1 << 20, &b, len);

	*buf = (uint8_t *)b;
	return rc;
}

static int write_all(const char *p, const uint8_t *b, size_t len)
{
	FILE *f = fopen(p, "wb");
	int ok = f != NULL && fwrite(b, 1, len, f) == len;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : ESD_EIO;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
	ok = e != NULL && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* An end-entity certificate with raw OpenSSL: pki_cert_issue has no
 * OCSP or TSA profile. */
static X509 *issue_ee(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key,
		      const char *cn, long serial, const char *ku,
		      const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	if (x == NULL || n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
					(const unsigned char *)"esignd tests",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30) ||
	    !X509_set_pubkey(x, key) ||
	    !add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, ca, NID_key_usage, ku) ||
	    !add_ext(x, ca, NID_ext_key_usage, eku) ||
	    !add_ext(x, ca, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, ca, NID_authority_key_identifier, "keyid:always") ||
	    X509_sign(x, ca_key, EVP_sha256()) <= 0) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(n);
	return x;
}

static int cmd_init(const char *alg)
{
	EVP_PKEY *ca_key = keygen(alg), *ocsp_key = keygen(alg),
		 *tsa_key = keygen(alg), *leaf_key = keygen("ec");
	X509 *ca = NULL, *ocsp = NULL, *tsa = NULL, *leaf = NULL, *rev = NULL;
	struct pki_cert_req r = { 0 };
	int rc = 1;

	if (!ca_key || !ocsp_key || !tsa_key || !leaf_key)
		goto out;
	r.profile = PKI_PROFILE_ROOT_CA;
	r.subject = "/C=ID/O=esignd tests/CN=esignd test CA";
	r.pubkey = ca_key;
	r.issuer_key = ca_key;
	r.days = 30;
	if (pki_cert_issue(&r, &ca) != 0)
		goto out;
	r.profile = PKI_PROFILE_SEAL;
	r.issuer = ca;
	r.pubkey = leaf_key;
	r.subject = "/C=ID/O=esignd tests/CN=good seal";
	if (pki_cert_issue(&r, &leaf) != 0)
		goto out;
	r.subject = "/C=ID/O=esignd tests/CN=revoked seal";
	if (pki_cert_issue(&r, &rev) != 0)
		goto out;
	ocsp = issue_ee(ca, ca_key, ocsp_key, "esignd test OCSP", 0x0c5b,
			"critical,digitalSignature", "OCSPSigning");
	tsa = issue_ee(ca, ca_key, tsa_key, "esignd test TSA", 0x75a,
		       "critical,digitalSignature,nonRepudiation",
		       "critical,timeStamping");
	if (ocsp == NULL || tsa == NULL || !save_cert("ca.pem", ca) ||
	    !save_key("ca.key", ca_key) || !save_cert("ocsp.pem", ocsp) ||
	    !save_key("ocsp.key", ocsp_key) || !save_cert("tsa.pem", tsa) ||
	    !save_key("tsa.key", tsa_key) || !save_cert("leaf.pem", leaf) ||
	    !save_cert("revoked.pem", rev))
		goto out;
	rc = 0;
out:
	if (rc != 0)
		die("init", ESD_ECRYPTO);
	X509_free(rev);
	X509_free(leaf);
	X509_free(tsa);
	X509_free(ocsp);
	X509_free(ca);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(tsa_key);
	EVP_PKEY_free(ocsp_key);
	EVP_PKEY_free(ca_key);
	return rc;
}

static int cmd_crl(const char *serial_hex, const char *reason,
		   const char *out)
{
	X509 *ca = load_cert("ca.pem");
	EVP_PKEY *key = load_key("ca.key");
	struct pki_revoked r = { 0 };
	int64_t now = esd_now();
	uint8_t *der = NULL;
	size_t len = 0;
	int rc = ESD_EINVAL;

	if (ca == NULL || key == NULL ||
	    esd_unhex(serial_hex, strlen(serial_hex), r.serial,
		      sizeof(r.serial), &r.serial_len) != 0 ||
	    pki_crl_reason_parse(reason, &r.reason) != 0)
		goto out;
	r.revoked_at = now - 3600;
	rc = pki_crl_issue(ca, key, &r, 1, now - 60, now + 86400, 42, &der,
			   &len);
	if (rc == 0)
		rc = write_all(out, der, len);
out:
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	X509_free(ca);
	return rc == 0 ? 0 : die("crl", rc);
}

static int serial_is(const struct pki_ocsp_single *s, const char *hex)
{
	uint8_t b[64];
	size_t n = 0, skip = 0;

	if (esd_unhex(hex, strlen(hex), b, sizeof(b), &n) != 0)
		return 0;
	while (skip + 1 < n && b[skip] == 0)
		skip++;
	return n - skip == s->serial_len &&
	       memcmp(b + skip, s->serial, s->serial_len) == 0;
}

static int cmd_ocsp(const char *req, const char *out, const char *revoked,
		    char **good, int ngood)
{
	X509 *ca = load_cert("ca.pem"), *signer = load_cert("ocsp.pem");
	EVP_PKEY *key = load_key("ocsp.key");
	uint8_t *in = NULL, *der = NULL, wire[sizeof(struct pki_ocsp_query)];
	struct pki_ocsp_query q, kq;
	struct pki_ocsp_status st[PKI_OCSP_MAX_SINGLE];
	int64_t now = esd_now();
	size_t len = 0;
	int rc;

	if (ca == NULL || signer == NULL || key == NULL) {
		rc = ESD_EIO;
		goto out;
	}
	rc = read_all(req, &in, &len);
	if (rc != 0)
		goto out;
	/* front */
	rc = pki_ocsp_parse(in, len, &q);
	if (rc != 0) {
		fprintf(stderr, "pki_helper: ocsp request: %s\n",
			esd_err_name(rc));
		rc = pki_ocsp_error_response(PKI_OCSP_MALFORMED_REQUEST, &der,
					     &len);
		goto write;
	}
	memcpy(wire, &q, sizeof(q));
	/* keeper */
	memcpy(&kq, wire, sizeof(kq));
	memset(st, 0, sizeof(st));
	for (size_t i = 0; i < kq.n; i++) {
		st[i].status = PKI_OCSP_UNKNOWN;
		if (pki_ocsp_id_matches_issuer(&kq.single[i], ca) != 1)
			continue;
		if (serial_is(&kq.single[i], revoked)) {
			st[i].status = PKI_OCSP_REVOKED;
			st[i].revoked_at = now - 3600;
			st[i].reason = PKI_REASON_KEY_COMPROMISE;
		}
		for (int g = 0; g < ngood; g++)
			if (serial_is(&kq.single[i], good[g]))
				st[i].status = PKI_OCSP_GOOD;
	}
	rc = pki_ocsp_respond(&kq, st, ca, signer, key, now, now + 3600, &der,
			      &len);
write:
	if (rc == 0)
		rc = write_all(out, der, len);
out:
	OPENSSL_free(der);
	free(in);
	EVP_PKEY_free(key);
	X509_free(signer);
	X509_free(ca);
	return rc == 0 ? 0 : die("ocsp", rc);
}

static int cmd_tsa(const char *req, const char *out, const char *policy)
{
	X509 *tsa = load_cert("tsa.pem");
	EVP_PKEY *key = load_key("tsa.key");
	uint8_t *in = NULL, *der = NULL, serial[16];
	uint8_t wire[sizeof(struct pki_tsq)];
	struct pki_tsq q, kq;
	size_t len = 0;
	int rc, fail = 0;

	if (tsa == NULL || key == NULL) {
		rc = ESD_EIO;
		goto out;
	}
	rc = read_all(req, &in, &len);
	if (rc != 0)
		goto out;
	rc = pki_tsq_parse(in, len, &q, &fail);
	if (rc != 0) {
		fprintf(stderr, "pki_helper: time stamp request: %s\n",
			esd_err_name(rc));
		rc = pki_tsa_error_response(fail, &der, &len);
		goto write;
	}
	memcpy(wire, &q, sizeof(q));
	memcpy(&kq, wire, sizeof(kq));
	rc = esd_random(serial, sizeof(serial));
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
	if (rc == 0)
		rc = pki_tsa_respond(&kq, tsa, key, NULL, policy, serial,
				     sizeof(serial), esd_now(), &der, &len);
write:
	if (rc == 0)
		rc = write_all(out, der, len);
out:
	OPENSSL_free(der);
	free(in);
	EVP_PKEY_free(key);
	X509_free(tsa);
	return rc == 0 ? 0 : die("tsa", rc);
}

static int cmd_tst(const char *resp, const char *out)
{
	uint8_t *in = NULL, *tok = NULL;
	size_t len = 0, tlen = 0;
	int rc = read_all(resp, &in, &len);

	if (rc == 0)
		rc = pki_tst_from_resp(in, len, &tok, &tlen);
	if (rc == 0)
		rc = write_all(out, tok, tlen);
	OPENSSL_free(tok);
	free(in);
	return rc == 0 ? 0 : die("tst", rc);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "init") == 0) {
		dir = argv[2];
		return cmd_init(argv[3]);
	}
	if (argc == 6 && strcmp(argv[1], "crl") == 0) {
		dir = argv[2];
		return cmd_crl(argv[3], argv[4], argv[5]);
	}
	if (argc >= 6 && strcmp(argv[1], "ocsp") == 0) {
		dir = argv[2];
		return cmd_ocsp(argv[3], argv[4], argv[5], argv + 6, argc - 6);
	}
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "tsa") == 0) {
		dir = argv[2];
		return cmd_tsa(argv[3], argv[4], argc == 6 ? argv[5] : DEF_POLICY);
	}
	if (argc == 4 && strcmp(argv[1], "tst") == 0)
		return cmd_tst(argv[2], argv[3]);
	fprintf(stderr, "usage: see tests/pki/helper.c\n");
	return 2;
}
