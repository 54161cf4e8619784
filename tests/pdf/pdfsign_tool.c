/*
 * pdfsign_tool: test driver for pdf/ (not part of the product).
 *
 *   pdfsign_tool count IN
 *   pdfsign_tool list IN
 *   pdfsign_tool verify IN CERT     (CMS over each byte range, trusting CERT)
 *   pdfsign_tool sign [--seal] [--pkcs7] [--field F] [--page N]
 *                [--rect x1,y1,x2,y2] [--reason S] [--location S]
 *                [--name S] [--contact S] [--contents N] [--time T]
 *                [--image FILE] [--qr TEXT] KEY CERT IN OUT
 *   pdfsign_tool dss [--flate] [--vri] [--cert F]... [--ocsp F]...
 *                [--crl F]... IN OUT     (append a /DSS, PAdES B-LT)
 *   pdfsign_tool timestamp [--contents N] IN
 *                prints the SHA-256 of the byte range of a document
 *                timestamp (PAdES B-LTA) prepared for IN, in hex
 *   pdfsign_tool timestamp [--contents N] --token TOKEN IN OUT
 *                prepares the same bytes again (the preparation of a
 *                document timestamp is deterministic), checks that the
 *                RFC 3161 TimeStampToken's messageImprint is that digest
 *                and writes it into /Contents
 *   pdfsign_tool probe IMAGE   (pdf_image_probe: kind, size, or why not)
 *   pdfsign_tool findtext IN TEXT
 *                pdf_find_text: "page P x X y Y" (page 1-based)
 *
 * Exit 0 on success, 2 when the document is refused (one line
 * "refused: <reason> (<error>)" on stdout, no output written), 1 on any
 * other failure. Signing builds a real CMS detached signature with
 * OpenSSL over the byte range and checks its messageDigest against
 * pdf_prepared_digest().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/util.h"
#include "pdf/pdf.h"

struct input {
	uint8_t *p;
	size_t len;
};

static int map_file(const char *path, struct input *in)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	in->len = (size_t)st.st_size;
	in->p = in->len ? mmap(NULL, in->len, PROT_READ, MAP_PRIVATE, fd, 0) :
		NULL;
	close(fd);
	if (in->len && in->p == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	return 0;
}

static int refused(int rc, int reason)
{
	printf("refused: %s (%s)\n", pdf_reason_name(reason),
	       esd_err_name(rc));
	return 2;
}

static int open_doc(const char *path, struct input *in, struct pdf_doc **d)
{
	int reason = 0, rc;

	if (map_file(path, in) != 0)
		return 1;
	rc = pdf_doc_open(in->p, in->len, d, &reason);
	if (rc != 0)
		return refused(rc, reason);
	return 0;
}

static int cmd_count(const char *path)
{
	struct input in = { 0 };
	struct pdf_doc *d = NULL;
	unsigned n = 0, pages = 0;
	int ret = open_doc(path, &in, &d);

	if (ret != 0)
		return ret;
	if (pdf_doc_signature_count(d, &n) != 0 ||
	    pdf_doc_page_count(d, &pages) != 0) {
		ret = 1;
	} else {
		printf("signatures %u\npages %u\nrepaired %d\n", n, pages,
		       pdf_doc_repaired(d));
	}
	pdf_doc_free(d);
	return ret;
}

/* SHA-256 over the two ranges of br in buf. */
static int range_digest(const uint8_t *buf, const uint64_t br[4],
			uint8_t md[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(ctx, buf + br[0], br[1]) &&
		 EVP_DigestUpdate(ctx, buf + br[2], br[3]) &&
		 EVP_DigestFinal_ex(ctx, md, &n) && n == 32;

	EVP_MD_CTX_free(ctx);
	return ok;
}

/* The token is a TimeStampToken whose SHA-256 messageImprint is md. */
static int tst_imprint_is(const uint8_t *der, size_t len, const uint8_t *md)
{
	const unsigned char *q = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &q, (long)len);
	TS_TST_INFO *tst = p7 ? PKCS7_to_TS_TST_INFO(p7) : NULL;
	TS_MSG_IMPRINT *mi = tst ? TS_TST_INFO_get_msg_imprint(tst) : NULL;
	ASN1_OCTET_STRING *h = mi ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
	X509_ALGOR *alg = mi ? TS_MSG_IMPRINT_get_algo(mi) : NULL;
	const ASN1_OBJECT *oid = NULL;
	int ok;

	if (alg != NULL)
		X509_ALGOR_get0(&oid, NULL, NULL, alg);
	ok = h != NULL && oid != NULL && OBJ_obj2nid(oid) == NID_sha256 &&
	     ASN1_STRING_length(h) == 32 &&
	     memcmp(ASN1_STRING_get0_data(h), md, 32) == 0;
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	return ok;
}

static int tst_matches(const uint8_t *der, size_t len, const uint8_t *buf,
		       const uint64_t br[4])
{
	uint8_t md[32];

	return range_digest(buf, br, md) && tst_imprint_is(der, len, md);
}

static int cmd_list(const char *path, const char *certpath)
{
	struct input in = { 0 };
	struct pdf_doc *d = NULL;
	const struct pdf_sig_info *s;
	X509 *cert = NULL;
	X509_STORE *store = NULL;
	size_t n = 0;
	int ret = open_doc(path, &in, &d);

	if (ret != 0)
		return ret;
	if (pdf_doc_signatures(d, &s, &n) != 0) {
		ret = 1;
		goto out;
	}
	if (certpath != NULL) {
		FILE *f = fopen(certpath, "r");

		cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		store = X509_STORE_new();
		if (cert == NULL || store == NULL ||
		    X509_STORE_add_cert(store, cert) != 1) {
			ret = 1;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		printf("sig %zu field=%s subfilter=%s br=[%llu %llu %llu %llu]"
		       " br_ok=%d whole=%d der=%zu time=%lld reason=%s\n", i,
		       s[i].field_name, s[i].sub_filter ? s[i].sub_filter : "-",
		       (unsigned long long)s[i].byte_range[0],
		       (unsigned long long)s[i].byte_range[1],
		       (unsigned long long)s[i].byte_range[2],
		       (unsigned long long)s[i].byte_range[3],
		       s[i].byte_range_ok, s[i].covers_whole_file,
		       s[i].contents_len, (long long)s[i].signing_time,
		       s[i].reason ? s[i].reason : "-");
		if (store != NULL && s[i].sub_filter != NULL &&
		    strcmp(s[i].sub_filter, "ETSI.RFC3161") == 0) {
			int ok = s[i].byte_range_ok &&
				 tst_matches(s[i].contents, s[i].contents_len,
					     in.p, s[i].byte_range);

			printf("sig %zu tst %s\n", i, ok ? "valid" : "INVALID");
			if (!ok)
				ret = 1;
		} else if (store != NULL) {
			const unsigned char *p = s[i].contents;
			CMS_ContentInfo *cms;
			BIO *data = BIO_new(BIO_s_mem());
			int ok;

			cms = d2i_CMS_ContentInfo(NULL, &p,
						  (long)s[i].contents_len);
			BIO_write(data, in.p, (int)s[i].byte_range[1]);
			BIO_write(data, in.p + s[i].byte_range[2],
				  (int)s[i].byte_range[3]);
			ok = cms != NULL && s[i].byte_range_ok &&
			     CMS_verify(cms, NULL, store, data, NULL,
					CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY)
			     == 1;
			printf("sig %zu cms %s\n", i, ok ? "valid" : "INVALID");
			if (!ok)
				ret = 1;
			CMS_ContentInfo_free(cms);
			BIO_free(data);
		}
	}
out:
	X509_STORE_free(store);
	X509_free(cert);
	pdf_doc_free(d);
	return ret;
}

/* The messageDigest signed attribute of the first signer. */
static int cms_digest(CMS_ContentInfo *cms, const uint8_t *want, size_t n)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	ASN1_OCTET_STRING *md;

	md = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest),
					 -3, V_ASN1_OCTET_STRING);
	return md != NULL && (size_t)ASN1_STRING_length(md) == n &&
	       memcmp(ASN1_STRING_get0_data(md), want, n) == 0;
}

static int parse_rect(const char *s, double r[4])
{
	char *e;

	for (int i = 0; i < 4; i++) {
		r[i] = strtod(s, &e);
		if (e == s || (i < 3 && *e != ',') || (i == 3 && *e != '\0'))
			return -1;
		s = e + 1;
	}
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	struct pdf_sign_opts o;
	struct input in = { 0 }, img = { 0 };
	struct pdf_doc *d = NULL;
	struct pdf_prepared *p = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	CMS_ContentInfo *cms = NULL;
	BIO *data = NULL;
	uint8_t dg[EVP_MAX_MD_SIZE], *der = NULL;
	const uint8_t *out;
	size_t dglen, outlen;
	uint64_t br[4];
	int i, ret = 1, rc, reason = 0, derlen, flags;
	FILE *f;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--seal") == 0) {
			o.refuse_if_signed = 1;
			continue;
		}
		if (strcmp(a, "--pkcs7") == 0) {
			o.sub_filter = PDF_SUBFILTER_PKCS7;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(a, "--field") == 0)
			o.field_name = v;
		else if (strcmp(a, "--page") == 0)
			o.page = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--rect") == 0 && parse_rect(v, o.rect) == 0)
			;
		else if (strcmp(a, "--reason") == 0)
			o.reason = v;
		else if (strcmp(a, "--location") == 0)
			o.location = v;
		else if (strcmp(a, "--name") == 0)
			o.name = v;
		else if (strcmp(a, "--contact") == 0)
			o.contact_info = v;
		else if (strcmp(a, "--contents") == 0)
			o.contents_size = strtoul(v, NULL, 10);
		else if (strcmp(a, "--time") == 0)
			o.signing_time = (time_t)strtoll(v, NULL, 10);
		else if (strcmp(a, "--qr") == 0)
			o.qr_text = v;
		else if (strcmp(a, "--image") == 0) {
			if (map_file(v, &img) != 0)
				goto out;
			o.image = img.p;
			o.image_len = img.len;
		} else
			goto usage;
	}
	if (argc - i != 4)
		goto usage;
	f = fopen(argv[i], "r");
	key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	f = fopen(argv[i + 1], "r");
	cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (key == NULL || cert == NULL) {
		fprintf(stderr, "cannot read key or certificate\n");
		goto out;
	}
	/* The reader and writer alone, as the daemon uses them: open, then
	 * plan the update without copying the document (tail_only). */
	{
		struct input in2 = { 0 };
		struct pdf_doc *d2 = NULL;
		struct pdf_prepared *p2 = NULL;
		struct pdf_sign_opts o2 = o;
		uint64_t t = esd_mono_ns();

		o2.tail_only = 1;
		if (open_doc(argv[i + 2], &in2, &d2) == 0 &&
		    pdf_sign_prepare(d2, &o2, &p2, &reason) == 0)
			fprintf(stderr, "read and plan: %.3f ms\n",
				(esd_mono_ns() - t) / 1e6);
		pdf_prepared_free(p2);
		pdf_doc_free(d2);
	}
	ret = open_doc(argv[i + 2], &in, &d);
	if (ret != 0)
		goto out;
	uint64_t t0 = esd_mono_ns();

	rc = pdf_sign_prepare(d, &o, &p, &reason);
	if (rc != 0) {
		ret = refused(rc, reason);
		goto out;
	}
	fprintf(stderr, "prepare: %.3f ms\n", (esd_mono_ns() - t0) / 1e6);
	ret = 1;
	pdf_prepared_output(p, &out, &outlen);
	pdf_prepared_byte_range(p, br);
	if (pdf_prepared_digest(p, EVP_sha256(), dg, sizeof(dg), &dglen) != 0)
		goto out;
	data = BIO_new(BIO_s_mem());
	if (data == NULL || BIO_write(data, out, (int)br[1]) != (int)br[1] ||
	    BIO_write(data, out + br[2], (int)br[3]) != (int)br[3])
		goto out;
	flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (cms == NULL ||
	    CMS_add1_signer(cms, cert, key, EVP_sha256(),
			    CMS_BINARY | CMS_NOSMIMECAP |
			    (o.sub_filter == PDF_SUBFILTER_CADES ?
			     CMS_CADES : 0)) == NULL ||
	    CMS_final(cms, data, NULL, flags) != 1) {
		ERR_print_errors_fp(stderr);
		goto out;
	}
	if (!cms_digest(cms, dg, dglen)) {
		fprintf(stderr, "messageDigest != pdf_prepared_digest\n");
		goto out;
	}
	derlen = i2d_CMS_ContentInfo(cms, &der);
	if (derlen <= 0)
		goto out;
	rc = pdf_prepared_set_contents(p, der, (size_t)derlen, &reason);
	if (rc != 0) {
		ret = refused(rc, reason);
		goto out;
	}
	pdf_prepared_output(p, &out, &outlen);
	rc = esd_write_file(argv[i + 3], out, outlen, 0644, 0);
	if (rc != 0) {
		fprintf(stderr, "write %s: %s\n", argv[i + 3], esd_err_name(rc));
		goto out;
	}
	printf("signed: %zu bytes, byte range [0 %llu %llu %llu]\n", outlen,
	       (unsigned long long)br[1], (unsigned long long)br[2],
	       (unsigned long long)br[3]);
	ret = 0;
	goto out;
usage:
	fprintf(stderr, "usage: pdfsign_tool sign [opts] KEY CERT IN OUT\n");
out:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	X509_free(cert);
	EVP_PKEY_free(key);
	pdf_prepared_free(p);
	pdf_doc_free(d);
	return ret;
}

static int read_blob(const char *path, struct pdf_blob *v, size_t *n,
		     size_t cap)
{
	struct input in = { 0 };

	if (*n == cap || map_file(path, &in) != 0)
		return -1;
	v[*n].p = in.p;
	v[*n].len = in.len;
	(*n)++;
	return 0;
}

#define TOOL_MAX_BLOBS 64

static int cmd_dss(int argc, char **argv)
{
	struct pdf_blob certs[TOOL_MAX_BLOBS], ocsps[TOOL_MAX_BLOBS],
			crls[TOOL_MAX_BLOBS];
	struct pdf_dss_data v;
	struct input in = { 0 };
	struct pdf_doc *d = NULL;
	uint8_t *out = NULL;
	size_t outlen = 0;
	int i, ret = 1, rc, reason = 0;

	memset(&v, 0, sizeof(v));
	v.certs = certs;
	v.ocsps = ocsps;
	v.crls = crls;
	for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i], *f = i + 1 < argc ? argv[i + 1] : NULL;
		int r = 0;

		if (strcmp(a, "--flate") == 0) {
			v.flate = 1;
			continue;
		}
		if (strcmp(a, "--vri") == 0) {
			v.vri = 1;
			continue;
		}
		if (f == NULL)
			goto usage;
		i++;
		if (strcmp(a, "--cert") == 0)
			r = read_blob(f, certs, &v.ncerts, TOOL_MAX_BLOBS);
		else if (strcmp(a, "--ocsp") == 0)
			r = read_blob(f, ocsps, &v.nocsps, TOOL_MAX_BLOBS);
		else if (strcmp(a, "--crl") == 0)
			r = read_blob(f, crls, &v.ncrls, TOOL_MAX_BLOBS);
		else
			goto usage;
		if (r != 0)
			return 1;
	}
	if (argc - i != 2)
		goto usage;
	ret = open_doc(argv[i], &in, &d);
	if (ret != 0)
		return ret;
	rc = pdf_dss_append(d, &v, &out, &outlen, &reason);
	if (rc != 0) {
		ret = refused(rc, reason);
		goto out;
	}
	rc = esd_write_file(argv[i + 1], out, outlen, 0644, 0);
	if (rc != 0) {
		fprintf(stderr, "write %s: %s\n", argv[i + 1], esd_err_name(rc));
		ret = 1;
		goto out;
	}
	printf("dss: %zu bytes, %zu certs, %zu ocsps, %zu crls\n", outlen,
	       v.ncerts, v.nocsps, v.ncrls);
	ret = 0;
	goto out;
usage:
	fprintf(stderr, "usage: pdfsign_tool dss [--flate] [--vri] "
		"[--cert F] [--ocsp F] [--crl F] IN OUT\n");
out:
	free(out);
	pdf_doc_free(d);
	return ret;
}

static int cmd_timestamp(int argc, char **argv)
{
	struct pdf_sign_opts o;
	struct input in = { 0 }, tok = { 0 };
	struct pdf_doc *d = NULL;
	struct pdf_prepared *p = NULL;
	const char *token = NULL;
	const uint8_t *out;
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t mdlen, outlen;
	int i, ret = 1, rc, reason = 0;

	memset(&o, 0, sizeof(o));
	o.sub_filter = PDF_SUBFILTER_RFC3161;
	for (i = 0; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--contents") == 0)
			o.contents_size = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--token") == 0)
			token = argv[i + 1];
		else
			goto usage;
	}
	if (argc - i != (token ? 2 : 1))
		goto usage;
	ret = open_doc(argv[i], &in, &d);
	if (ret != 0)
		goto out;
	ret = 1;
	rc = pdf_sign_prepare(d, &o, &p, &reason);
	if (rc != 0) {
		ret = refused(rc, reason);
		goto out;
	}
	if (pdf_prepared_digest(p, EVP_sha256(), md, sizeof(md), &mdlen) != 0)
		goto out;
	if (token == NULL) {
		for (size_t k = 0; k < mdlen; k++)
			printf("%02x", md[k]);
		printf("\n");
		ret = 0;
		goto out;
	}
	if (map_file(token, &tok) != 0)
		goto out;
	if (!tst_imprint_is(tok.p, tok.len, md)) {
		fprintf(stderr, "token messageImprint != byte range digest\n");
		goto out;
	}
	rc = pdf_prepared_set_contents(p, tok.p, tok.len, &reason);
	if (rc != 0) {
		ret = refused(rc, reason);
		goto out;
	}
	pdf_prepared_output(p, &out, &outlen);
	rc = esd_write_file(argv[i + 1], out, outlen, 0644, 0);
	if (rc != 0) {
		fprintf(stderr, "write %s: %s\n", argv[i + 1], esd_err_name(rc));
		goto out;
	}
	printf("timestamped: %zu bytes\n", outlen);
	ret = 0;
	goto out;
usage:
	fprintf(stderr, "usage: pdfsign_tool timestamp [--contents N] "
		"[--token TOKEN] IN [OUT]\n");
out:
	pdf_prepared_free(p);
	pdf_doc_free(d);
	return ret;
}

static int cmd_probe(const char *path)
{
	static const char *const kinds[] = { "?", "jpeg", "png" };
	struct pdf_image_info ii;
	struct input in = { 0 };
	const char *why = NULL;

	if (map_file(path, &in) != 0)
		return 1;
	if (pdf_image_probe(in.p, in.len, &ii, &why) != 0) {
		printf("refused: %s\n", why ? why : "?");
		return 2;
	}
	printf("%s %ux%u components %u\n", kinds[ii.kind], ii.width,
	       ii.height, ii.components);
	return 0;
}

static int cmd_findtext(const char *path, const char *text)
{
	struct input in = { 0 };
	struct pdf_doc *d = NULL;
	struct pdf_text_pos pos;
	int reason = 0, rc, ret = open_doc(path, &in, &d);

	if (ret != 0)
		return ret;
	rc = pdf_find_text(d, text, &pos, &reason);
	if (rc == 0)
		printf("page %u x %.2f y %.2f\n", pos.page + 1, pos.x, pos.y);
	else
		printf("refused: %s (%d)\n", pdf_reason_name(reason), rc);
	pdf_doc_free(d);
	return rc == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "count") == 0)
		return cmd_count(argv[2]);
	if (argc == 3 && strcmp(argv[1], "list") == 0)
		return cmd_list(argv[2], NULL);
	if (argc == 4 && strcmp(argv[1], "verify") == 0)
		return cmd_list(argv[2], argv[3]);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "dss") == 0)
		return cmd_dss(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "timestamp") == 0)
		return cmd_timestamp(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "probe") == 0)
		return cmd_probe(argv[2]);
	if (argc == 4 && strcmp(argv[1], "findtext") == 0)
		return cmd_findtext(argv[2], argv[3]);
	fprintf(stderr, "usage: pdfsign_tool count|list|verify|sign|dss|"
		"timestamp|probe|findtext ...\n");
	return 1;
}
