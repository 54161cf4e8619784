/*
 * POST /api/sign/verify (BSrE v1): the native verification report
 * (api_verify_pdf, docs/verify.md) in the shape BSrE answers and the
 * public clients read (docs/bsre-compat.md "Verify answers"). Where a
 * client compares strings (summary) the strings are BSrE's; what BSrE
 * has no field for (the verdict, the ETSI indication, the revision
 * analysis) goes into extra fields beside them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/bsre_int.h"
#include "api/multipart.h"
#include "common/err.h"
#include "common/util.h"
#include "pki/verify.h"

/* BSrE writes times in WIB (UTC+7, no daylight saving) as
 * "YYYY-MM-DD HH:MM:SS.mmm"; clients convert them back from WIB. */
#define WIB_SECONDS (7 * 3600)

/* The summaries clients compare (the node client's README samples). */
#define SUMMARY_VALID "DOCUMENT VALID !!!"
#define SUMMARY_NOT_VALID "DOCUMENT NOT VALID !!!"

/* An ISO 8601 UTC time of the native report in BSrE's form; null when
 * there is none. */
static json_t *wib_time(json_t *iso)
{
	const char *s = json_string_value(iso);
	struct tm tm;
	char out[40], *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return json_null();
	t = timegm(&tm) + WIB_SECONDS;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S.000", &tm) == 0)
		return json_null();
	return json_string(out);
}

/* A certificate's validity as BSrE writes it: "FROM to TO"; null
 * without a certificate. */
static json_t *validity(json_t *cert)
{
	json_t *a = wib_time(json_object_get(cert, "not_before"));
	json_t *b = wib_time(json_object_get(cert, "not_after"));
	json_t *v = json_null();
	char s[96];

	if (json_is_string(a) && json_is_string(b)) {
		snprintf(s, sizeof(s), "%s to %s", json_string_value(a),
			 json_string_value(b));
		v = json_string(s);
	}
	json_decref(a);
	json_decref(b);
	return v;
}

json_t *bsre_common_name(json_t *dn)
{
	const char *s = json_string_value(dn), *p;
	char cn[256];
	size_t n = 0;

	for (p = s; p != NULL && *p != '\0'; p++)
		if ((p == s || p[-1] == ',') && strncmp(p, "CN=", 3) == 0)
			break;
	if (p == NULL || *p == '\0')
		return json_null();
	for (p += 3; *p != '\0' && *p != ',' && n < sizeof(cn) - 1; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		cn[n++] = *p;
	}
	cn[n] = '\0';
	return json_string(cn) ?: json_null();
}

/* A hex string of len bytes; null when len is 0. */
static json_t *hex_value(const uint8_t *p, size_t len)
{
	char *h;
	json_t *j;

	if (len == 0 || (h = malloc(2 * len + 1)) == NULL)
		return json_null();
	esd_hex(p, len, h);
	j = json_string(h);
	free(h);
	return j ?: json_null();
}

static int nibble(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* What the signature signs (its CMS read from the gap of its
 * /ByteRange in pdf): 0 and sv, or -1 (sv empty). */
static int signed_values(json_t *s, const uint8_t *pdf, size_t len,
			 struct pki_signed_values *sv)
{
	json_t *br = json_object_get(s, "byte_range");
	json_int_t a = json_integer_value(json_array_get(br, 0));
	json_int_t b = json_integer_value(json_array_get(br, 1));
	json_int_t c = json_integer_value(json_array_get(br, 2));
	size_t lo, hi, n = 0;
	uint8_t *der;
	int hiw = -1, rc;

	memset(sv, 0, sizeof(*sv));
	if (json_array_size(br) != 4 || a < 0 || b < 0 || c < 0 ||
	    (uint64_t)a + (uint64_t)b >= (uint64_t)c || (uint64_t)c > len)
		return -1;
	lo = (size_t)(a + b);
	hi = (size_t)c;
	if (pdf[lo] != '<' || (der = malloc((hi - lo) / 2 + 1)) == NULL)
		return -1;
	for (size_t i = lo + 1; i < hi && pdf[i] != '>'; i++) {
		int v = nibble(pdf[i]);

		if (isspace(pdf[i]))
			continue;
		if (v < 0) {
			free(der);
			return -1;
		}
		if (hiw < 0) {
			hiw = v;
		} else {
			der[n++] = (uint8_t)(hiw << 4 | v);
			hiw = -1;
		}
	}
	rc = pki_cms_signed_values(der, n, sv);
	free(der);
	return rc == 0 ? 0 : -1;
}

/* One signature of the native report in v1's shape, with the native
 * judgement beside it. */
static json_t *v1_detail(json_t *s, const uint8_t *pdf, size_t len)
{
	json_t *signer = json_object_get(s, "signer");
	json_t *ts = json_object_get(s, "timestamp");
	json_t *tsa = json_object_get(ts, "tsa");
	json_t *chain = json_object_get(s, "chain");
	const char *cs = json_string_value(json_object_get(chain, "status"));
	struct pki_signed_values sv;
	int stamped = ts != NULL && !json_is_null(ts);

	(void)signed_values(s, pdf, len, &sv);
	/* document_integrity: the signed bytes are intact and what is shown
	 * was not changed after signing (a later revision that edits the
	 * content leaves the signed bytes intact). */
	return json_pack(
		"{s:O, s:{s:o, s:o},"
		" s:{s:O, s:O, s:O, s:o, s:b},"
		" s:{s:b, s:O, s:O, s:b, s:o, s:o, s:o},"
		" s:O, s:O, s:O, s:O, s:O, s:O}",
		"signature_field", json_object_get(s, "field"),
		"info_tsa", "name", stamped ? bsre_common_name(json_object_get(tsa, "subject"))
					    : json_null(),
		"tsa_cert_validity", stamped ? validity(tsa) : json_null(),
		"info_signer", "issuer_dn",
		json_object_get(signer, "issuer") ?: json_null(),
		"signer_name", json_object_get(s, "name") ?: json_null(),
		"signer_dn", json_object_get(signer, "subject") ?: json_null(),
		"signer_cert_validity", validity(signer),
		"cert_user_certified", cs != NULL && strcmp(cs, "trusted") == 0 &&
			!bsre_revoked(chain),
		"signature_document", "signed_using_tsa", stamped,
		"reason", json_object_get(s, "reason") ?: json_null(),
		"location", json_object_get(s, "location") ?: json_null(),
		"document_integrity",
		json_is_true(json_object_get(json_object_get(s, "integrity"), "ok")) &&
			!bsre_modified(s),
		"signed_in", wib_time(json_object_get(s, "signing_time")),
		"signature_value", hex_value(sv.attrs, sv.attrs_len),
		"hash_value", hex_value(sv.digest, sv.digest_len),
		"verdict", json_object_get(s, "verdict") ?: json_null(),
		"indication", json_object_get(s, "indication") ?: json_null(),
		"sub_indication", json_object_get(s, "sub_indication") ?: json_null(),
		"failure", json_object_get(s, "failure") ?: json_null(),
		"pades_level", json_object_get(s, "pades_level") ?: json_null(),
		"modifications", json_object_get(s, "modifications") ?: json_null());
}

/* BSrE's note for a document that is not valid, from the first
 * signature's failure that is not valid. */
static const char *invalid_note(json_t *sigs)
{
	static const struct {
		const char *failure, *note;
	} notes[] = {
		{ "digest_mismatch",
		  "Konten Dokumen mengalami perubahan oleh pihak yang tidak berhak" },
		{ "modified_after_signing",
		  "Konten Dokumen mengalami perubahan oleh pihak yang tidak berhak" },
		{ "changed_after_signing",
		  "Dokumen diubah (isian formulir atau anotasi) setelah ditandatangani" },
		{ "untrusted_signer",
		  "Sertifikat penanda tangan tidak terpercaya" },
		{ "certificate_expired",
		  "Sertifikat penanda tangan sudah kedaluwarsa" },
		{ "signer_revoked", "Sertifikat penanda tangan telah dicabut" },
	};
	json_t *s;
	size_t i;

	json_array_foreach(sigs, i, s) {
		const char *v = json_string_value(json_object_get(s, "verdict"));
		const char *f = json_string_value(json_object_get(s, "failure"));

		if (v != NULL && strcmp(v, "valid") == 0)
			continue;
		for (size_t k = 0; f != NULL && k < ESD_ARRAY_LEN(notes); k++)
			if (strcmp(f, notes[k].failure) == 0)
				return notes[k].note;
		break;
	}
	return "Tanda tangan elektronik tidak valid";
}

/* The note of a valid document: whether every signature carries a
 * timestamp. */
static const char *valid_note(json_t *sigs)
{
	json_t *s;
	size_t i;

	json_array_foreach(sigs, i, s) {
		const char *t = json_string_value(json_object_get(s, "type"));
		json_t *ts = json_object_get(s, "timestamp");

		if (t != NULL && strcmp(t, "signature") == 0 &&
		    (ts == NULL || json_is_null(ts)))
			return "Dokumen asli dan valid, tetapi dokumen tidak "
			       "menggunakan waktu TSA";
	}
	return "Tanda tangan elektronik valid dan dokumen merupakan dokumen "
	       "asli sejak ditandatangani";
}

/* POST /api/sign/verify: signed_file */
void api_bsre_verify_v1(struct req *r, struct resp *out)
{
	struct mp_field f[] = { MP_FIELD("signed_file", SIZE_MAX), MP_END };
	const struct mp_field *x;
	json_t *rep, *sigs, *details, *s;
	const char *v;
	char msg[256];
	size_t i;
	int rc = mp_parse(r, f, msg, sizeof(msg));

	api_body_drop(r);
	if (rc != 0 || (x = mp_get(f, "signed_file")) == NULL) {
		bsre_fail(out, rc ? esd_err_name(rc) : "bad_request", "sign",
			  rc ? msg : "'signed_file' is required");
		mp_free(f);
		return;
	}
	if (api_verify_pdf((const uint8_t *)x->data, x->len, x->spooled, out,
			   &rep) != 0) {
		bsre_translate(out, "sign");
		mp_free(f);
		return;
	}
	v = json_string_value(json_object_get(rep, "verdict"));
	v = v != NULL ? v : "invalid";
	sigs = json_object_get(rep, "signatures");
	details = json_array();
	json_array_foreach(sigs, i, s)
		json_array_append_new(details, v1_detail(s, (const uint8_t *)x->data,
							 x->len));
	/* Only what the verifier calls valid is "DOCUMENT VALID !!!"; an
	 * unsigned document has no summary and no notes, as BSrE answers. */
	resp_json(out, 200, json_pack(
		"{s:o, s:O, s:o, s:o, s:o, s:s, s:O}",
		"nama_dokumen", x->filename[0] ? json_string(x->filename) ?: json_null()
					       : json_null(),
		"jumlah_signature", json_object_get(rep, "signature_count"),
		"notes", strcmp(v, "unsigned") == 0 ? json_null()
			 : json_string(strcmp(v, "valid") == 0 ? valid_note(sigs)
							       : invalid_note(sigs)),
		"summary", strcmp(v, "unsigned") == 0 ? json_null()
			   : json_string(strcmp(v, "valid") == 0 ? SUMMARY_VALID
								 : SUMMARY_NOT_VALID),
		"details", details,
		"verdict", v,
		"indication", json_object_get(rep, "indication") ?: json_null()));
	json_decref(rep);
	mp_free(f);
}
