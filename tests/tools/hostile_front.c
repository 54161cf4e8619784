/*
 * A hostile front. It runs the real keeper (keeper_main, in a child
 * process, on the instance's SoftHSM2 token and LMDB) and speaks the
 * keeper's IPC to it directly, as a compromised front could: honest
 * MSG_DOC_SIGN frames first, then forged ones. Each forgery must be
 * refused with its stable code, leave one audit record that says so,
 * and produce no signature; honest frames must be signed and verify.
 *
 * usage: hostile_front CONF ADMIN_TOKEN_FILE IND_ID SAD D1_HEX
 *   CONF             the instance's esignd.conf (no esignd running on it)
 *   ADMIN_TOKEN_FILE the admin client's bearer token (hex)
 *   IND_ID           an active individual subscriber
 *   SAD              a batch authorisation of IND_ID for digest D1 only
 * Prints "ok - ..." / "not ok - ..." lines; exits 0 when all pass.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/config.h"
#include "daemon/ipc.h"
#include "keeper/keeper.h"
#include "daemon/proto.h"
#include "pki/cms.h"
#include "pki/signedattrs.h"

static int chan = -1, npass, nfail;
static uint8_t admin_hash[32];
static uint64_t audit_next = 1;

static void ok(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (cond)
		npass++;
	else
		nfail++;
	fflush(stdout);
}

/* One request, one reply (rep->status is the keeper's answer). */
static int call(uint16_t type, struct ibuf *b, struct ipc_msg *rep)
{
	int rc = ipc_send(chan, type, 0, b->data, b->len);

	ibuf_free(b);
	memset(rep, 0, sizeof(*rep));
	if (rc == 0)
		rc = ipc_recv(chan, rep, IPC_MAX_PAYLOAD);
	return rc;
}

static void admin_cred(struct ibuf *b)
{
	ibuf_init(b);
	ibuf_put_u8(b, CRED_BEARER);
	ibuf_put_bytes(b, admin_hash, 32);
}

/* A key as MSG_DOC_KEY names it: label, certificate, certs id. */
struct key {
	char label[80];
	X509 *cert;
	uint8_t cert_id[32];
};

static X509 *der_cert(const char *b64, EVP_MD_CTX *md)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t n;
	X509 *x = NULL;

	if (b64 == NULL || esd_b64_decode(b64, &der, &n) != 0)
		return NULL;
	p = der;
	x = d2i_X509(NULL, &p, (long)n);
	EVP_DigestUpdate(md, der, n);
	free(der);
	return x;
}

static int key_get(const char *purpose, const char *want, struct key *k)
{
	struct ipc_msg rep;
	struct ibuf b;
	json_t *j, *v;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t i;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	admin_cred(&b);
	ibuf_put_str(&b, purpose);
	ibuf_put_str(&b, want);
	if (call(MSG_DOC_KEY, &b, &rep) != 0 || rep.status != 0)
		goto out;
	j = json_loadb((const char *)rep.data, rep.len, 0, NULL);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	snprintf(k->label, sizeof(k->label), "%s",
		 json_string_value(json_object_get(j, "key")) ?: "");
	k->cert = der_cert(json_string_value(json_object_get(j, "cert")), md);
	json_array_foreach(json_object_get(j, "chain"), i, v)
		X509_free(der_cert(json_string_value(v), md));
	EVP_DigestFinal_ex(md, k->cert_id, NULL);
	json_decref(j);
	rc = k->cert != NULL ? 0 : -1;
out:
	EVP_MD_CTX_free(md);
	ipc_msg_clear(&rep);
	return rc;
}

/* The signed attributes the real front builds (pki_cms_begin). */
static int honest_attrs(const struct key *k, const uint8_t dg[32],
			uint8_t **der, size_t *len)
{
	struct pki_cms *cms = NULL;
	int rc = pki_cms_begin(k->cert, NULL, EVP_sha256(), dg, 32, &cms);

	if (rc == 0)
		rc = pki_cms_signed_attrs(cms, der, len);
	pki_cms_free(cms);
	return rc;
}

enum {
	NO_CT = 1, NO_MD = 2, NO_ESS = 4, ADD_TIME = 8, CT_SIGNED = 16,
	MD_TWICE = 32, MD_SHORT = 64, UNSORTED = 128, IMPLICIT = 256,
	ADD_CT = 512,
};

/* Signed attributes built by hand, with the faults in flags; ess_cert
 * is the certificate the signing-certificate-v2 names. */
static int forged_attrs(X509 *ess_cert, const uint8_t dg[32], unsigned flags,
			uint8_t **der, size_t *len)
{
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	X509_ATTRIBUTE *a[5] = { NULL };
	uint8_t ess[PKI_SATTRS_ESS_MAX];
	size_t ess_len = 0, na = 0;
	unsigned char *p = NULL;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_STRING *seq = ASN1_STRING_new();
	int n;

	ASN1_OCTET_STRING_set(os, dg, flags & MD_SHORT ? 20 : 32);
	pki_sattrs_ess_for(ess_cert, ess, sizeof(ess), &ess_len);
	ASN1_STRING_set(seq, ess, (int)ess_len);
	if (!(flags & NO_CT))
		a[na++] = X509_ATTRIBUTE_create(NID_pkcs9_contentType, V_ASN1_OBJECT,
			OBJ_nid2obj(flags & CT_SIGNED ? NID_pkcs7_signed
						      : NID_pkcs7_data));
	if (flags & ADD_CT)
		a[na++] = X509_ATTRIBUTE_create(NID_pkcs9_contentType, V_ASN1_OBJECT,
						OBJ_nid2obj(NID_pkcs7_data));
	if (!(flags & NO_MD)) {
		a[na] = X509_ATTRIBUTE_create(NID_pkcs9_messageDigest,
					      V_ASN1_OCTET_STRING, os);
		os = NULL;
		if (flags & MD_TWICE)
			X509_ATTRIBUTE_set1_data(a[na], V_ASN1_OCTET_STRING,
						 "another digest 0123456789abcdef", 32);
		na++;
	}
	if (!(flags & NO_ESS)) {
		a[na++] = X509_ATTRIBUTE_create(NID_id_smime_aa_signingCertificateV2,
						V_ASN1_SEQUENCE, seq);
		seq = NULL;
	}
	if (flags & ADD_TIME)
		a[na++] = X509_ATTRIBUTE_create(NID_pkcs9_signingTime,
			V_ASN1_UTCTIME, ASN1_UTCTIME_set(NULL, 1800000000));
	/* PKCS7_ATTR_VERIFY keeps the order given; reversed is not DER's. */
	for (size_t i = 0; i < na; i++)
		sk_X509_ATTRIBUTE_push(sk, a[flags & UNSORTED ? na - 1 - i : i]);
	n = ASN1_item_i2d((ASN1_VALUE *)sk, &p, flags & UNSORTED
			  ? ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY)
			  : ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	sk_X509_ATTRIBUTE_pop_free(sk, X509_ATTRIBUTE_free);
	ASN1_OCTET_STRING_free(os);
	ASN1_STRING_free(seq);
	if (n <= 0)
		return -1;
	if (flags & IMPLICIT)
		p[0] = 0xa0; /* as it sits in a SignerInfo */
	*der = p;
	*len = (size_t)n;
	return 0;
}

static void frame(struct ibuf *b, const char *purpose, const char *want,
		  const struct key *k, const uint8_t *attrs, size_t alen,
		  const uint8_t doc[32], const char *auth)
{
	admin_cred(b);
	ibuf_put_str(b, purpose);
	ibuf_put_str(b, want);
	ibuf_put_str(b, k->label);
	ibuf_put_bytes(b, k->cert_id, 32);
	ibuf_put_bytes(b, attrs, alen);
	ibuf_put_bytes(b, doc, 32);
	ibuf_put_str(b, "hostile-front-test");
	ibuf_put_str(b, auth);
}

/* The audit records written since the last look. */
static json_t *audit_new(void)
{
	struct ipc_msg rep;
	struct ibuf b;
	json_t *j = NULL, *recs, *v;
	size_t i;

	admin_cred(&b);
	ibuf_put_u64(&b, audit_next);
	ibuf_put_u32(&b, 10000);
	if (call(MSG_AUDIT_EXPORT, &b, &rep) == 0 && rep.status == 0)
		j = json_loadb((const char *)rep.data, rep.len, 0, NULL);
	ipc_msg_clear(&rep);
	recs = json_incref(json_object_get(j, "records"));
	json_decref(j);
	json_array_foreach(recs, i, v)
		audit_next = (uint64_t)json_integer_value(json_object_get(v, "seq")) + 1;
	return recs ? recs : json_array();
}

/* The records since the last look are exactly one of action with
 * result (and, when doc is given, naming it as the document digest). */
static int audited_once(const char *action, const char *result,
			const uint8_t *doc)
{
	json_t *recs = audit_new(), *r = json_array_get(recs, 0);
	char hex[65];
	int good = json_array_size(recs) == 1 &&
		   strcmp(json_string_value(json_object_get(r, "action")) ?: "",
			  action) == 0 &&
		   strcmp(json_string_value(json_object_get(r, "result")) ?: "",
			  result) == 0;

	if (good && doc != NULL) {
		esd_hex(doc, 32, hex);
		good = strcmp(json_string_value(json_object_get(json_object_get(
				  r, "detail"), "document_sha256")) ?: "", hex) == 0;
	}
	if (!good) {
		char *s = json_dumps(recs, JSON_COMPACT);

		printf("#   audit since the last check: %s\n", s ? s : "?");
		free(s);
	}
	json_decref(recs);
	return good;
}

/* The reply is a signature of attrs by k's certificate key. */
static int signature_verifies(const struct ipc_msg *rep, const struct key *k,
			      const uint8_t *attrs, size_t alen)
{
	uint8_t dg[32];
	EVP_PKEY_CTX *pc;
	int good;

	if (rep->status != 0 || rep->len == 0)
		return 0;
	(void)!esd_sha256(attrs, alen, dg);
	pc = EVP_PKEY_CTX_new(X509_get0_pubkey(k->cert), NULL);
	good = pc != NULL && EVP_PKEY_verify_init(pc) > 0 &&
	       EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) > 0 &&
	       EVP_PKEY_verify(pc, rep->data, rep->len, dg, 32) == 1;
	EVP_PKEY_CTX_free(pc);
	return good;
}

/* Sends a forged frame: refused with want_status, no signature, one
 * audit record of action with that result. */
static void refused(const char *what, struct ibuf *b, int want_status,
		    const char *action, const uint8_t *doc)
{
	struct ipc_msg rep;
	char line[300];
	int rc = call(MSG_DOC_SIGN, b, &rep);

	snprintf(line, sizeof(line), "%s: refused with %s, nothing signed",
		 what, esd_err_name(want_status));
	ok(rc == 0 && rep.status == want_status && rep.len < 128 &&
	   (rep.len == 0 || memchr(rep.data, 0, rep.len) == NULL), line);
	if (rc != 0 || rep.status != want_status)
		printf("#   got rc %d status %s: %.*s\n", rc,
		       esd_err_name(rep.status), (int)rep.len,
		       rep.status ? (const char *)rep.data : "(a signature)");
	snprintf(line, sizeof(line), "%s: audited once as %s", what,
		 esd_err_name(want_status));
	ok(audited_once(action, esd_err_name(want_status), doc), line);
	ipc_msg_clear(&rep);
}

static void forged(const char *what, const char *purpose, const char *want,
		   const struct key *k, const uint8_t *attrs, size_t alen,
		   const uint8_t doc[32], const char *auth)
{
	struct ibuf b;

	frame(&b, purpose, want, k, attrs, alen, doc, auth);
	refused(what, &b, ESD_ESATTRS, strcmp(purpose, "seal") == 0 ? "seal"
								   : "sign", doc);
}

static pid_t keeper_start(const char *conf, int *ctl)
{
	struct esd_config cfg;
	char err[256];
	int cv[2], sv[2];
	uint16_t type;
	size_t len, n;
	pid_t pid;

	if (config_load(conf, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "hostile_front: %s\n", err);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, cv) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(cv[0]);
		close(sv[0]);
		_exit(keeper_main(&cfg, cv[1], &sv[1], 1));
	}
	close(cv[1]);
	close(sv[1]);
	chan = sv[0];
	*ctl = cv[0];
	if (pid < 0 || ipc_ctl_recv(*ctl, &type, err, sizeof(err), &len, NULL, 0,
				    &n) != 0 || type != CTL_READY)
		return -1;
	return pid;
}

int main(int argc, char **argv)
{
	struct key seal, ind, other;
	uint8_t doc[32], evil[32], d1[32], *good = NULL, *bad = NULL;
	uint8_t *g1 = NULL, *copy = NULL, tbs[32];
	size_t glen, blen, g1len, clen, n;
	char *hex = NULL, sad[300];
	struct ipc_msg rep;
	struct ibuf b;
	int ctl = -1, status = 0, rc;
	pid_t pid;

	if (argc != 6) {
		fprintf(stderr, "usage: %s CONF ADMIN_TOKEN_FILE IND_ID SAD D1_HEX\n",
			argv[0]);
		return 2;
	}
	if (esd_read_file(argv[2], 256, &hex, &n) != 0 ||
	    esd_unhex(esd_trim(hex), 64, (uint8_t *)sad, 32, &n) != 0)
		return 2;
	(void)!esd_sha256(sad, 32, admin_hash);
	free(hex);
	if (esd_unhex(argv[5], strlen(argv[5]), d1, sizeof(d1), &n) != 0 || n != 32)
		return 2;
	snprintf(sad, sizeof(sad), "B%s", argv[4]);
	pid = keeper_start(argv[1], &ctl);
	if (pid <= 0) {
		printf("Bail out! the keeper did not start\n");
		return 1;
	}
	json_decref(audit_new());
	if (key_get("seal", "demo-seal", &seal) != 0 ||
	    key_get("individual", "demo-individual", &other) != 0 ||
	    key_get("individual", argv[3], &ind) != 0) {
		printf("Bail out! MSG_DOC_KEY failed\n");
		goto out;
	}
	(void)!esd_sha256("the document the caller authorised", 34, doc);
	(void)!esd_sha256("a document nobody authorised", 28, evil);

	/* Honest: the front's own attributes are signed and verify. */
	honest_attrs(&seal, doc, &good, &glen);
	frame(&b, "seal", "demo-seal", &seal, good, glen, doc, "");
	ok(call(MSG_DOC_SIGN, &b, &rep) == 0 &&
	   signature_verifies(&rep, &seal, good, glen),
	   "honest attributes: signed, and the signature verifies over them");
	ipc_msg_clear(&rep);
	ok(audited_once("seal", "ok", doc),
	   "honest attributes: audited once as ok with the document digest");

	/* The messageDigest is not the digest the caller authorised. */
	honest_attrs(&seal, evil, &bad, &blen);
	forged("messageDigest of another document", "seal", "demo-seal", &seal,
	       bad, blen, doc, "");
	/* The frame as it was: the digest of the attributes (here naming
	 * another document) beside the authorised digest. */
	(void)!esd_sha256(bad, blen, tbs);
	forged("a raw tbs digest as before, of another document's attributes",
	       "seal", "demo-seal", &seal, tbs, 32, doc, "");
	OPENSSL_free(bad);
	/* The certificate named is another key's. */
	honest_attrs(&other, doc, &bad, &blen);
	forged("signingCertificateV2 of another key's certificate", "seal",
	       "demo-seal", &seal, bad, blen, doc, "");
	OPENSSL_free(bad);
	(void)!esd_sha256(good, glen, tbs);
	forged("a raw tbs digest as before, of the honest attributes", "seal",
	       "demo-seal", &seal, tbs, 32, doc, "");
	forged("truncated attributes", "seal", "demo-seal", &seal, good, glen - 9,
	       doc, "");
	{
		/* The honest attributes, but the certificate id of another
		 * key: the keeper's own lookup disagrees, so it signs nothing
		 * (key_changed: the front asks for the key again; an honest
		 * front meets this after a rotation, so it is not audited). */
		struct key mixed = seal;
		json_t *recs;

		memcpy(mixed.cert_id, other.cert_id, sizeof(mixed.cert_id));
		frame(&b, "seal", "demo-seal", &mixed, good, glen, doc, "");
		rc = call(MSG_DOC_SIGN, &b, &rep);
		recs = audit_new();
		ok(rc == 0 && rep.status == ESD_ESTALE && rep.len < 128 &&
		   json_array_size(recs) == 0,
		   "the certificate id of another key: refused (key_changed), "
		   "nothing signed");
		ipc_msg_clear(&rep);
		json_decref(recs);
	}
	{
		uint8_t longer[PKI_SATTRS_MAX];

		memcpy(longer, good, glen);
		memcpy(longer + glen, "\x05\x00", 2);
		forged("attributes and a trailing NULL", "seal", "demo-seal", &seal,
		       longer, glen + 2, doc, "");
	}
	{
		static const struct {
			unsigned flags;
			const char *what;
		} f[] = {
			{ 0, NULL },
			{ ADD_TIME, "an extra signingTime" },
			{ NO_ESS, "no signingCertificateV2" },
			{ NO_CT, "no contentType" },
			{ NO_MD, "no messageDigest" },
			{ CT_SIGNED, "contentType id-signedData" },
			{ ADD_CT, "contentType twice" },
			{ MD_TWICE, "a second messageDigest value" },
			{ MD_SHORT, "a 20-byte messageDigest" },
			{ UNSORTED, "attributes not in DER order" },
			{ IMPLICIT, "the [0] IMPLICIT form" },
		};

		for (size_t i = 0; i < ESD_ARRAY_LEN(f); i++) {
			if (forged_attrs(seal.cert, doc, f[i].flags, &bad, &blen) != 0) {
				ok(0, "building forged attributes");
				continue;
			}
			if (f[i].what == NULL) /* the hand-built ones are right */
				ok(blen == glen && memcmp(bad, good, glen) == 0,
				   "hand-built attributes equal the front's");
			else
				forged(f[i].what, "seal", "demo-seal", &seal, bad,
				       blen, doc, "");
			OPENSSL_free(bad);
		}
	}
	/* A frame cut short: the keeper cannot read it. */
	frame(&b, "seal", "demo-seal", &seal, good, glen, doc, "");
	b.len -= 7;
	refused("a truncated frame", &b, ESD_EINVAL, "seal", NULL);

	/* An individual's batch authorisation names D1 only. The forged
	 * attributes for another document spend nothing of it. */
	honest_attrs(&ind, evil, &bad, &blen);
	forged("SAD for D1, attributes of another document", "individual",
	       argv[3], &ind, bad, blen, d1, sad);
	(void)!esd_sha256(bad, blen, tbs);
	forged("SAD for D1, the raw digest of another document's attributes",
	       "individual", argv[3], &ind, tbs, 32, d1, sad);
	OPENSSL_free(bad);
	honest_attrs(&ind, d1, &g1, &g1len);
	frame(&b, "individual", argv[3], &ind, g1, g1len, d1, sad);
	clen = b.len;
	copy = malloc(clen);                     /* kept for the replay */
	memcpy(copy, b.data, clen);
	ok(call(MSG_DOC_SIGN, &b, &rep) == 0 &&
	   signature_verifies(&rep, &ind, g1, g1len),
	   "SAD for D1, honest attributes of D1: signed (the forgery spent nothing)");
	ipc_msg_clear(&rep);
	ok(audited_once("sign", "ok", d1), "... audited once as ok for D1");
	/* The same frame again, byte for byte. */
	ibuf_init(&b);
	b.data = copy;
	b.len = b.cap = clen;
	copy = NULL;
	refused("the same frame replayed", &b, ESD_EAUTHZ, "sign", d1);
	status = nfail == 0 ? 0 : 1;
out:
	OPENSSL_free(good);
	OPENSSL_free(g1);
	free(copy);
	close(chan);
	close(ctl);
	waitpid(pid, NULL, 0);
	printf("%d passed, %d failed\n", npass, nfail);
	return status;
}
