#include <string.h>
#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "pki/pki.h"

/* Parses "/K=V/K=V" into a new X509_NAME (MBSTRING_UTF8). */
static X509_NAME *parse_name(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char buf[1024], *p, *save = NULL, *tok;

	if (n == NULL || s[0] != '/' || strlen(s) >= sizeof(buf))
		goto fail;
	memcpy(buf, s + 1, strlen(s));
	for (tok = strtok_r(buf, "/", &save); tok != NULL;
	     tok = strtok_r(NULL, "/", &save)) {
		p = strchr(tok, '=');
		if (p == NULL || p == tok || p[1] == '\0')
			goto fail;
		*p++ = '\0';
		if (!X509_NAME_add_entry_by_txt(n, tok, MBSTRING_UTF8,
						(unsigned char *)p, -1, -1, 0))
			goto fail;
	}
	if (X509_NAME_entry_count(n) > 0)
		return n;
fail:
	X509_NAME_free(n);
	return NULL;
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (ex == NULL)
		return 0;
	ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok;
}

static int add_urls(X509 *cert, X509V3_CTX *ctx, const struct pki_cert_req *r)
{
	char v[1200];
	int n = 0;

	if (r->crl_url != NULL) {
		if ((size_t)snprintf(v, sizeof(v), "URI:%s", r->crl_url) >= sizeof(v) ||
		    !add_ext(cert, ctx, NID_crl_distribution_points, v))
			return 0;
	}
	v[0] = '\0';
	if (r->ocsp_url != NULL)
		n += snprintf(v, sizeof(v), "OCSP;URI:%s", r->ocsp_url);
	if (r->ca_issuers_url != NULL && n >= 0 && (size_t)n < sizeof(v))
		n += snprintf(v + n, sizeof(v) - (size_t)n, "%scaIssuers;URI:%s",
			      n ? "," : "", r->ca_issuers_url);
	if (n <= 0)
		return 1;
	if ((size_t)n >= sizeof(v))
		return 0;
	return add_ext(cert, ctx, NID_info_access, v);
}

/* RFC 5280 §4.2.1.4: each OID of the comma-separated list, the first
 * qualified by the CPS URI when there is one. */
static int add_policies(X509 *cert, const char *list, const char *cps)
{
	CERTIFICATEPOLICIES *cp = sk_POLICYINFO_new_null();
	char buf[256], *save = NULL, *tok;
	int ok = 0;

	if (cp == NULL || strlen(list) >= sizeof(buf))
		goto out;
	memcpy(buf, list, strlen(list) + 1);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		POLICYINFO *pi = POLICYINFO_new();

		if (pi == NULL || !sk_POLICYINFO_push(cp, pi)) {
			POLICYINFO_free(pi);
			goto out;
		}
		ASN1_OBJECT_free(pi->policyid);
		pi->policyid = OBJ_txt2obj(tok, 1);
		if (pi->policyid == NULL)
			goto out;
		if (cps != NULL && cps[0] != '\0' && sk_POLICYINFO_num(cp) == 1) {
			POLICYQUALINFO *q = POLICYQUALINFO_new();

			pi->qualifiers = sk_POLICYQUALINFO_new_null();
			if (q == NULL || pi->qualifiers == NULL ||
			    !sk_POLICYQUALINFO_push(pi->qualifiers, q)) {
				POLICYQUALINFO_free(q);
				goto out;
			}
			q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
			q->d.cpsuri = ASN1_IA5STRING_new();
			if (q->d.cpsuri == NULL ||
			    !ASN1_STRING_set(q->d.cpsuri, cps, (int)strlen(cps)))
				goto out;
		}
	}
	ok = sk_POLICYINFO_num(cp) > 0 &&
	     X509_add1_ext_i2d(cert, NID_certificate_policies, cp, 0,
			       X509V3_ADD_DEFAULT) == 1;
out:
	CERTIFICATEPOLICIES_free(cp);
	return ok;
}

/* Appends tag, length (short or two-byte long form) and content. */
static int der_put(uint8_t *buf, size_t cap, size_t *n, uint8_t tag,
		   const uint8_t *content, size_t len)
{
	size_t hl = len < 128 ? 2 : 4;

	if (len > 0xffff || *n + hl + len > cap)
		return 0;
	buf[(*n)++] = tag;
	if (len < 128) {
		buf[(*n)++] = (uint8_t)len;
	} else {
		buf[(*n)++] = 0x82;
		buf[(*n)++] = (uint8_t)(len >> 8);
		buf[(*n)++] = (uint8_t)len;
	}
	memmove(buf + *n, content, len);
	*n += len;
	return 1;
}

/* Appends the DER of an OID given in dotted form. */
static int der_put_oid(uint8_t *buf, size_t cap, size_t *n, const char *oid)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int len = o ? i2d_ASN1_OBJECT(o, NULL) : -1;
	uint8_t *p = buf + *n;
	int ok = len > 0 && *n + (size_t)len <= cap &&
		 i2d_ASN1_OBJECT(o, &p) == len;

	if (ok)
		*n += (size_t)len;
	ASN1_OBJECT_free(o);
	return ok;
}

/* ETSI EN 319 412-5 §4.2: QCStatements (RFC 3739 §3.2.6), not critical:
 * QcCompliance (§4.2.1) only for a qualified profile, QcType (§4.2.3)
 * esign or eseal, QcPDS (§4.3.4) with the PKI disclosure statement. */
static int add_qc(X509 *cert, const struct pki_cert_req *r)
{
	uint8_t all[1200], outer[1210], st[600], in[600], in2[600];
	size_t n = 0, sn, in_n, in2_n;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *ex = NULL;
	int ok = 0;

	if (r->qualified) { /* id-etsi-qcs-QcCompliance */
		sn = 0;
		if (!der_put_oid(st, sizeof(st), &sn, "0.4.0.1862.1.1") ||
		    !der_put(all, sizeof(all), &n, 0x30, st, sn))
			return 0;
	}
	/* id-etsi-qcs-QcType: SEQUENCE OF { id-etsi-qct-esign | -eseal } */
	in_n = in2_n = sn = 0;
	if (!der_put_oid(in, sizeof(in), &in_n,
			 r->profile == PKI_PROFILE_SEAL ? "0.4.0.1862.1.6.2"
							: "0.4.0.1862.1.6.1") ||
	    !der_put_oid(st, sizeof(st), &sn, "0.4.0.1862.1.6") ||
	    !der_put(st, sizeof(st), &sn, 0x30, in, in_n) ||
	    !der_put(all, sizeof(all), &n, 0x30, st, sn))
		return 0;
	if (r->pds_url != NULL && r->pds_url[0] != '\0') {
		/* id-etsi-qcs-QcPDS: SEQUENCE OF PdsLocation { url IA5String,
		 * language PrintableString (SIZE(2)) } */
		in_n = in2_n = sn = 0;
		if (!der_put(in2, sizeof(in2), &in2_n, 0x16,
			     (const uint8_t *)r->pds_url, strlen(r->pds_url)) ||
		    !der_put(in2, sizeof(in2), &in2_n, 0x13,
			     (const uint8_t *)"en", 2) ||
		    !der_put(in, sizeof(in), &in_n, 0x30, in2, in2_n) ||
		    !der_put_oid(st, sizeof(st), &sn, "0.4.0.1862.1.5") ||
		    !der_put(st, sizeof(st), &sn, 0x30, in, in_n) ||
		    !der_put(all, sizeof(all), &n, 0x30, st, sn))
			return 0;
	}
	/* The outer SEQUENCE OF around the statements. */
	sn = 0;
	if (!der_put(outer, sizeof(outer), &sn, 0x30, all, n))
		return 0;
	os = ASN1_OCTET_STRING_new();
	if (os != NULL && ASN1_OCTET_STRING_set(os, outer, (int)sn))
		ex = X509_EXTENSION_create_by_NID(NULL, NID_qcStatements, 0, os);
	ok = ex != NULL && X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	ASN1_OCTET_STRING_free(os);
	return ok;
}

/* The EKU list with RFC 9336's documentSigning, which OpenSSL 3.0 does
 * not know by name, as its OID. */
static int eku_expand(const char *in, char *out, size_t cap)
{
	static const char name[] = "documentSigning";
	size_t n = 0;

	while (*in != '\0') {
		const char *rep = NULL;
		size_t l = 1;

		if (strncmp(in, name, sizeof(name) - 1) == 0 &&
		    (in[sizeof(name) - 1] == ',' || in[sizeof(name) - 1] == ' ' ||
		     in[sizeof(name) - 1] == '\0')) {
			rep = "1.3.6.1.5.5.7.3.36";
			l = sizeof(name) - 1;
		}
		if (n + (rep ? strlen(rep) : 1) >= cap)
			return 0;
		if (rep != NULL) {
			memcpy(out + n, rep, strlen(rep));
			n += strlen(rep);
		} else {
			out[n++] = *in;
		}
		in += l;
	}
	out[n] = '\0';
	return 1;
}

static int add_san(X509 *cert, X509V3_CTX *ctx, const struct pki_cert_req *r)
{
	char san[1024];
	size_t n = 0;

	san[0] = '\0';
	for (size_t i = 0; r->dns != NULL && r->dns[i] != NULL; i++)
		n += (size_t)snprintf(san + n, n < sizeof(san) ? sizeof(san) - n : 0,
				      "%sDNS:%s", n ? "," : "", r->dns[i]);
	for (size_t i = 0; r->ips != NULL && r->ips[i] != NULL; i++)
		n += (size_t)snprintf(san + n, n < sizeof(san) ? sizeof(san) - n : 0,
				      "%sIP:%s", n ? "," : "", r->ips[i]);
	if (r->email != NULL)
		n += (size_t)snprintf(san + n, n < sizeof(san) ? sizeof(san) - n : 0,
				      "%semail:%s", n ? "," : "", r->email);
	if (n == 0)
		return 1;
	if (n >= sizeof(san))
		return 0;
	return add_ext(cert, ctx, NID_subject_alt_name, san);
}

static int add_profile(X509 *cert, X509V3_CTX *ctx,
		       const struct pki_cert_req *r)
{
	enum pki_profile p = r->profile;
	const char *bc = "critical,CA:FALSE", *ku, *eku = NULL;
	char kubuf[300], ekubuf[300];

	switch (p) {
	case PKI_PROFILE_ROOT_CA:
		bc = "critical,CA:TRUE";
		ku = "critical,keyCertSign,cRLSign";
		break;
	case PKI_PROFILE_ISSUING_CA:
		bc = "critical,CA:TRUE,pathlen:0";
		ku = "critical,keyCertSign,cRLSign";
		break;
	case PKI_PROFILE_SEAL:
	case PKI_PROFILE_INDIVIDUAL:
		ku = "critical,digitalSignature,nonRepudiation";
		if (r->key_usage != NULL && r->key_usage[0] != '\0') {
			if ((size_t)snprintf(kubuf, sizeof(kubuf), "critical,%s",
					     r->key_usage) >= sizeof(kubuf))
				return 0;
			ku = kubuf;
		}
		if (r->eku != NULL && r->eku[0] != '\0') {
			if (!eku_expand(r->eku, ekubuf, sizeof(ekubuf)))
				return 0;
			eku = ekubuf;
		}
		if (r->qc && !add_qc(cert, r))
			return 0;
		break;
	case PKI_PROFILE_TLS_SERVER:
		ku = "critical,digitalSignature,keyEncipherment";
		eku = "serverAuth";
		break;
	case PKI_PROFILE_AUDIT:
		ku = "critical,digitalSignature";
		break;
	case PKI_PROFILE_TSA:
		/* RFC 3161 §2.3: the only EKU, and critical. */
		ku = "critical,digitalSignature";
		eku = "critical,timeStamping";
		break;
	case PKI_PROFILE_OCSP:
		ku = "critical,digitalSignature";
		eku = "OCSPSigning";
		/* RFC 6960 §4.2.2.2.1: no revocation check of the responder. */
		if (!add_ext(cert, ctx, NID_id_pkix_OCSP_noCheck, "ignored"))
			return 0;
		break;
	default:
		return 0;
	}
	return add_ext(cert, ctx, NID_basic_constraints, bc) &&
	       add_ext(cert, ctx, NID_key_usage, ku) &&
	       (eku == NULL || add_ext(cert, ctx, NID_ext_key_usage, eku)) &&
	       add_ext(cert, ctx, NID_subject_key_identifier, "hash") &&
	       add_ext(cert, ctx, NID_authority_key_identifier, "keyid:always");
}

int pki_cert_issue(const struct pki_cert_req *r, X509 **out)
{
	X509 *cert = NULL;
	X509_NAME *name = NULL;
	BIGNUM *bn = NULL;
	CONF *conf = NULL;
	uint8_t serial[16];
	X509V3_CTX ctx;
	int rc = ESD_EINVAL;

	if (r->subject == NULL || r->pubkey == NULL || r->issuer_key == NULL ||
	    r->days == 0 || r->days > 36500)
		return ESD_EINVAL;
	name = parse_name(r->subject);
	if (name == NULL)
		goto out;
	rc = ESD_ECRYPTO;
	if (esd_random(serial, sizeof(serial)) != 0)
		goto out;
	serial[0] &= 0x7f; /* positive, RFC 5280 §4.1.2.2 */
	serial[0] |= 0x40; /* and 16 bytes long */
	cert = X509_new();
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (cert == NULL || bn == NULL || !X509_set_version(cert, X509_VERSION_3) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) ||
	    !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, r->issuer ? X509_get_subject_name(r->issuer)
						  : name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -300) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), (int)r->days, 0, NULL) ||
	    !X509_set_pubkey(cert, r->pubkey))
		goto out;
	X509V3_set_ctx(&ctx, r->issuer ? r->issuer : cert, cert, NULL, NULL, 0);
	/* Some extension methods want a config database, even an empty
	 * one. */
	conf = NCONF_new(NULL);
	if (conf == NULL)
		goto out;
	X509V3_set_nconf(&ctx, conf);
	if (!add_profile(cert, &ctx, r) || !add_san(cert, &ctx, r) ||
	    !add_urls(cert, &ctx, r) ||
	    (r->policies != NULL && r->policies[0] != '\0' &&
	     !add_policies(cert, r->policies, r->cps_url)))
		goto out;
	if (X509_sign(cert, r->issuer_key, EVP_sha256()) <= 0)
		goto out;
	*out = cert;
	cert = NULL;
	rc = 0;
out:
	if (rc != 0)
		log_openssl("pki: issue certificate");
	NCONF_free(conf);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(cert);
	return rc;
}

static int bio_to_str(BIO *b, char **out);

int pki_csr_make(const char *subject, EVP_PKEY *pubkey, EVP_PKEY *key,
		 char **pem)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = parse_name(subject);
	BIO *b = BIO_new(BIO_s_mem());
	int rc = ESD_ECRYPTO;

	if (name == NULL) {
		rc = ESD_EINVAL;
		goto out;
	}
	if (req == NULL || b == NULL || !X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, pubkey) ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    !PEM_write_bio_X509_REQ(b, req))
		goto out;
	rc = bio_to_str(b, pem);
out:
	if (rc == ESD_ECRYPTO)
		log_openssl("pki: certificate request");
	BIO_free(b);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return rc;
}

static int bio_to_str(BIO *b, char **out)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s;

	if (n <= 0)
		return ESD_ECRYPTO;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return ESD_ENOMEM;
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	*out = s;
	return 0;
}

int pki_cert_pem(X509 *cert, char **out)
{
	BIO *b = BIO_new(BIO_s_mem());
	int rc = ESD_ECRYPTO;

	if (b != NULL && PEM_write_bio_X509(b, cert))
		rc = bio_to_str(b, out);
	BIO_free(b);
	return rc;
}

int pki_pubkey_pem(EVP_PKEY *key, char **out)
{
	BIO *b = BIO_new(BIO_s_mem());
	int rc = ESD_ECRYPTO;

	if (b != NULL && PEM_write_bio_PUBKEY(b, key))
		rc = bio_to_str(b, out);
	BIO_free(b);
	return rc;
}

int pki_cert_from_pem(const char *pem, size_t len, X509 **out)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (x == NULL) {
		ERR_clear_error();
		return ESD_EINVAL;
	}
	*out = x;
	return 0;
}

/* Lowercase hex of bn, without leading zeros; frees bn. */
static int bn_hex(BIGNUM *bn, char *out, size_t cap)
{
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int rc = ESD_ECRYPTO;

	if (hex != NULL && strlen(hex) < cap) {
		for (size_t i = 0; hex[i]; i++)
			out[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32
								     : hex[i]);
		out[strlen(hex)] = '\0';
		rc = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

int pki_cert_serial_hex(X509 *cert, char *out, size_t cap)
{
	return bn_hex(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL),
		      out, cap);
}

int pki_serial_hex(const uint8_t *serial, size_t len, char *out, size_t cap)
{
	return bn_hex(BN_bin2bn(serial, (int)len, NULL), out, cap);
}
