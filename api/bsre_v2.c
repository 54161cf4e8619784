/*
 * BSrE eSign Client API v2 (JSON, files in base64), over the native
 * engine like v1 (bsre.c). Several files go in one call, each with its
 * signatureProperties entry; the first refusal ends the call.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api/bsre_int.h"
#include "api/v2files.h"
#include "common/err.h"
#include "common/util.h"


/* The JSON body; NULL with out set to BSrE's error. With files, the
 * documents are taken out first (v2_files_take). */
static json_t *body_files(struct req *r, struct resp *out, const char *ctx,
			  struct v2_files *files)
{
	json_t *j;

	if (files != NULL)
		v2_files_take(r->body, &r->body_len, files);
	j = r->body_len ? json_loadb(r->body, r->body_len,
				     JSON_REJECT_DUPLICATES, NULL) : NULL;
	api_body_drop(r);   /* the JSON holds what is needed */
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		if (files != NULL)
			v2_files_free(files);
		bsre_fail(out, "malformed_json", ctx, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

static const char *sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* reason and location: clients that serialise a missing value send the
 * string "null"; it means absent, not the word. */
static const char *sget_opt(json_t *o, const char *k)
{
	const char *v = sget(o, k);

	return v != NULL && (v[0] == '\0' || strcmp(v, "null") == 0) ? NULL : v;
}

/* Numbers some clients send as strings ("page": "1", "originX": "400")
 * become numbers; 0, or ESD_EINVAL with msg naming a field that is a
 * string but not a number. */
static int coerce_numbers(json_t *o, char *msg, size_t cap)
{
	static const char *const keys[] = { "page", "originX", "originY", "width",
					    "height", "data", "certificationLevel" };

	for (size_t i = 0; i < ESD_ARRAY_LEN(keys); i++) {
		const char *v = sget(o, keys[i]);
		char *end;
		double d;

		if (v == NULL)
			continue;
		d = strtod(v, &end);
		if (end == v || *end != '\0' || d != d || d > 1e6 || d < -1e6) {
			snprintf(msg, cap, "'%s' must be a number", keys[i]);
			return ESD_EINVAL;
		}
		json_object_set_new(o, keys[i], d == (double)(json_int_t)d ?
				    json_integer((json_int_t)d) : json_real(d));
	}
	return 0;
}

static json_t *body(struct req *r, struct resp *out, const char *ctx)
{
	json_t *j = body_files(r, out, ctx, NULL);
	char m[96];

	if (j != NULL && coerce_numbers(j, m, sizeof(m)) != 0) {
		json_decref(j);
		bsre_fail(out, "bad_request", ctx, m);
		return NULL;
	}
	return j;
}

/* The subscriber reference of a signer: "nik:…" or "email:…". */
static int signer_ref(json_t *j, char *ref, size_t cap)
{
	if (sget(j, "nik") != NULL)
		snprintf(ref, cap, "nik:%s", sget(j, "nik"));
	else if (sget(j, "email") != NULL)
		snprintf(ref, cap, "email:%s", sget(j, "email"));
	else
		return ESD_EINVAL;
	return 0;
}

/* Signs every file of the call with key and auth; answers
 * {"file": [base64 …], "time": ms}. */
/* The answer {"file": ["…", …], "time": ms}, written directly: base64
 * needs no JSON escaping, so each signed file is encoded once, straight
 * into its place (docs/performance.md, the v2 batch profile). */
struct answer {
	char *p;
	size_t len, cap;
};

/* Room for n more bytes and a NUL. */
static int answer_room(struct answer *a, size_t n)
{
	if (a->len + n + 1 > a->cap) {
		size_t cap = (a->len + n + 1) * 3 / 2 + 256;
		char *np = realloc(a->p, cap);

		if (np == NULL)
			return ESD_ENOMEM;
		a->p = np;
		a->cap = cap;
	}
	return 0;
}

static int answer_put(struct answer *a, const void *s, size_t n)
{
	if (answer_room(a, n) != 0)
		return ESD_ENOMEM;
	memcpy(a->p + a->len, s, n);
	a->len += n;
	a->p[a->len] = '\0';
	return 0;
}

/* ,"BASE64" (no comma before the first file). */
static int answer_file(struct answer *a, size_t i, const uint8_t *pdf,
		       size_t len)
{
	size_t enc = 4 * ((len + 2) / 3);

	if (len > INT_MAX || answer_put(a, i ? ",\"" : "\"", i ? 2 : 1) != 0 ||
	    answer_room(a, enc + 1) != 0)
		return ESD_ENOMEM;
	/* EVP_EncodeBlock writes enc characters and a NUL, no newlines. */
	a->len += (size_t)EVP_EncodeBlock((unsigned char *)a->p + a->len, pdf,
					  (int)len);
	return answer_put(a, "\"", 1);
}

static void sign_files(struct req *r, struct resp *out, json_t *j,
		       const char *purpose, const char *key,
		       struct sign_auth auth, const char *ctx,
		       struct v2_files *pf)
{
	json_t *files = json_object_get(j, "file"), *props;
	struct answer res = { NULL, 0, 0 };
	char tail[48];
	uint64_t t0 = esd_mono_ns();
	size_t n = json_array_size(files);

	props = json_object_get(j, "signatureProperties");
	/* One entry applies to every file; else one entry per file. */
	if (!json_is_array(files) || n == 0 || n > V2_MAX_FILES ||
	    (props != NULL && (!json_is_array(props) ||
			       (json_array_size(props) != n &&
				json_array_size(props) != 1)))) {
		bsre_fail(out, "bad_request", ctx, "'file' is an array of 1-50 "
			  "base64 PDFs, 'signatureProperties' one object for "
			  "all or one each");
		return;
	}
	for (size_t i = 0; i < json_array_size(props); i++) {
		char m[96];

		if (coerce_numbers(json_array_get(props, i), m, sizeof(m)) != 0) {
			bsre_fail(out, "bad_request", ctx, m);
			return;
		}
	}
	if (answer_put(&res, "{\"file\":[", 9) != 0) {
		bsre_fail(out, "out_of_memory", ctx, NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(props, json_array_size(props) == 1 ? 0 : i);
		const char *b64 = json_string_value(json_array_get(files, i));
		const char *img = sget(p, "imageBase64"), *t = sget(p, "tampilan");
		struct sign_input in = { 0 };
		json_t *cl;
		char certify[2];
		uint8_t *pdf = NULL, *image = NULL;
		size_t len = 0, ilen = 0;
		char *vis = NULL;
		int rc;
		struct resp one = { 0 };

		if (pf->taken) {        /* decoded already (v2_files_take) */
			pdf = pf->pdf[i];
			len = pf->len[i];
			pf->pdf[i] = NULL;
		}
		if ((pdf == NULL &&
		     (b64 == NULL || esd_b64_decode(b64, &pdf, &len) != 0)) ||
		    (img != NULL && img[0] && esd_b64_decode(img, &image, &ilen) != 0)) {
			free(pdf);
			bsre_fail(out, "bad_request", ctx, "bad base64");
			free(res.p);
			return;
		}
		/* The request's copy of this file is not needed any more. */
		json_array_set_new(files, i, json_null());
		if (sget(p, "pdfPassword") != NULL && sget(p, "pdfPassword")[0]) {
			free(pdf);
			free(image);
			bsre_fail(out, "pdf_encrypted", ctx, "encrypted PDFs are "
				  "not signed");
			free(res.p);
			return;
		}
		in.pdf = pdf;
		in.pdf_len = len;
		in.key = key;
		in.level = bsre_level();
		in.auth = auth;
		in.reason = sget_opt(p, "reason");
		in.location = sget_opt(p, "location");
		/* certificationLevel: iText's levels, the DocMDP P (0: an
		 * approval signature); seals only */
		cl = json_object_get(p, "certificationLevel");
		if (cl != NULL && !json_is_null(cl)) {
			json_int_t lv = json_integer_value(cl);

			if (!json_is_integer(cl) || lv < 0 || lv > 3 ||
			    strcmp(purpose, "seal") != 0) {
				free(pdf);
				free(image);
				bsre_fail(out, "bad_request", ctx, "'certificationLevel' "
					  "is 0-3 (seals only)");
				free(res.p);
				return;
			}
			certify[0] = (char)('0' + lv);
			certify[1] = '\0';
			in.certify = certify;
		}
		if (t != NULL && strcasecmp(t, "VISIBLE") == 0) {
			json_int_t page = json_integer_value(json_object_get(p, "page"));

			vis = bsre_visible(sget(p, "tag_koordinat"),
					   page > 0 ? (long)page : 1,
					   json_number_value(json_object_get(p, "originX")),
					   json_number_value(json_object_get(p, "originY")),
					   json_number_value(json_object_get(p, "width")),
					   json_number_value(json_object_get(p, "height")));
			in.visible = vis;
			in.image = image;
			in.image_len = ilen;
		}
		api_sign_pdf(r, &one, purpose, &in);
		free(vis);
		free(pdf);
		free(image);
		if (one.status != 200) {
			*out = one;
			bsre_translate(out, ctx);
			free(res.p);
			return;
		}
		rc = answer_file(&res, i, (const uint8_t *)one.body, one.len);
		free(one.body);
		if (rc != 0) {
			bsre_fail(out, "out_of_memory", ctx, NULL);
			free(res.p);
			return;
		}
	}
	snprintf(tail, sizeof(tail), "],\"time\":%llu}",
		 (unsigned long long)((esd_mono_ns() - t0) / 1000000));
	if (answer_put(&res, tail, strlen(tail)) != 0) {
		bsre_fail(out, "out_of_memory", ctx, NULL);
		free(res.p);
		return;
	}
	resp_text(out, 200, "application/json", res.p, res.len);
}

/* POST /api/v2/sign/pdf {nik|email, passphrase, signatureProperties, file} */
void api_bsre_sign_v2(struct req *r, struct resp *out)
{
	struct v2_files pf;
	json_t *j = body_files(r, out, "sign", &pf);
	char ref[300];
	const char *pass;

	if (j == NULL)
		return;
	pass = sget(j, "passphrase");
	if (signer_ref(j, ref, sizeof(ref)) != 0)
		bsre_fail(out, "bad_request", "sign", "'nik' or 'email' is required");
	else if (pass == NULL && sget(j, "totp") != NULL)
		sign_files(r, out, j, "individual", ref,
			   (struct sign_auth){ AUTH_OTP, sget(j, "totp") }, "sign",
			   &pf);
	else
		sign_files(r, out, j, "individual", ref,
			   (struct sign_auth){ AUTH_PASSPHRASE, pass ? pass : "" },
			   "sign", &pf);
	if (pass != NULL)
		OPENSSL_cleanse((char *)pass, strlen(pass));
	v2_files_free(&pf);
	json_decref(j);
}

/* POST /api/v2/sign/get/totp {nik|email, data: files}: a one-time code
 * for that many files, emailed to the signer. */
void api_bsre_sign_totp(struct req *r, struct resp *out)
{
	json_t *j = body(r, out, "sign"), *ans, *n;
	char ref[300], docs[24], exp[32];

	if (j == NULL)
		return;
	n = json_object_get(j, "data");
	if (signer_ref(j, ref, sizeof(ref)) != 0 || !json_is_integer(n)) {
		bsre_fail(out, "bad_request", "sign", "'nik' or 'email', and "
			  "'data' (files) are required");
	} else {
		snprintf(docs, sizeof(docs), "%lld", (long long)json_integer_value(n));
		if (bsre_ra(r, out, "individual.otp",
			    json_pack("{s:s, s:s}", "id", ref, "documents", docs),
			    "sign", &ans) == 0) {
			bsre_time(json_integer_value(json_object_get(ans, "expires")),
				  exp, sizeof(exp));
			bsre_ok(out, json_pack("{s:O, s:s}", "data",
					       json_object_get(ans, "documents"),
					       "expired", exp),
				"Kode sekali pakai telah dikirim ke email penanda tangan");
			json_decref(ans);
		}
	}
	json_decref(j);
}

/* POST /api/v2/user/register {nama, email, nik?}: a registration that
 * waits for a verifier (ra.md). */
void api_bsre_register(struct req *r, struct resp *out)
{
	json_t *j = body(r, out, "sign"), *ans, *args;

	if (j == NULL)
		return;
	if (sget(j, "nama") == NULL || sget(j, "email") == NULL) {
		bsre_fail(out, "bad_request", "sign", "'nama' and 'email' are required");
	} else {
		args = json_pack("{s:s, s:s}", "name", sget(j, "nama"), "email",
				 sget(j, "email"));
		if (sget(j, "nik") != NULL)
			json_object_set_new(args, "nik", json_string(sget(j, "nik")));
		if (bsre_ra(r, out, "individual.apply", args, "sign", &ans) == 0) {
			bsre_ok(out, json_pack("{s:O, s:s}", "idSubscriber",
					       json_object_get(json_object_get(ans,
							"subscriber"), "id"),
					       "status", "WAITING_FOR_VERIFICATION"),
				"Pendaftaran diterima, menunggu verifikasi");
			json_decref(ans);
		}
	}
	json_decref(j);
}

/* POST /api/v2/user/check/status {nik|email} */
void api_bsre_check_status(struct req *r, struct resp *out)
{
	json_t *j = body(r, out, "sign");
	char ref[300];

	if (j == NULL)
		return;
	if (signer_ref(j, ref, sizeof(ref)) != 0)
		bsre_fail(out, "bad_request", "sign", "'nik' or 'email' is required");
	else
		bsre_user_status(r, out, ref);
	json_decref(j);
}

/* POST /api/v2/seal/get/activation {idSubscriber} */
void api_bsre_seal_activation(struct req *r, struct resp *out)
{
	json_t *j = body(r, out, "seal"), *ans;
	char exp[32];

	if (j == NULL)
		return;
	if (sget(j, "idSubscriber") == NULL) {
		bsre_fail(out, "bad_request", "seal", "'idSubscriber' is required");
	} else if (bsre_ra(r, out, "seal.activate",
			   json_pack("{s:s}", "id", sget(j, "idSubscriber")), "seal",
			   &ans) == 0) {
		bsre_time(json_integer_value(json_object_get(ans, "expires")), exp,
			  sizeof(exp));
		bsre_ok(out, json_pack("{s:O, s:s}", "idSubscriber",
				       json_object_get(ans, "subscriber"),
				       "expired", exp),
			"Kode aktivasi telah dikirim ke email penanggung jawab segel");
		json_decref(ans);
	}
	json_decref(j);
}

/* POST /api/v2/seal/get/totp {idSubscriber, data: files, totp: activation code} */
void api_bsre_seal_totp(struct req *r, struct resp *out)
{
	json_t *j = body(r, out, "seal"), *ans, *n;
	char docs[24], exp[32];

	if (j == NULL)
		return;
	n = json_object_get(j, "data");
	if (sget(j, "idSubscriber") == NULL || sget(j, "totp") == NULL ||
	    !json_is_integer(n)) {
		bsre_fail(out, "bad_request", "seal", "'idSubscriber', 'totp' (the "
			  "activation code) and 'data' (files) are required");
	} else {
		snprintf(docs, sizeof(docs), "%lld", (long long)json_integer_value(n));
		if (bsre_ra(r, out, "seal.code",
			    json_pack("{s:s, s:s, s:s}", "id", sget(j, "idSubscriber"),
				      "activation_code", sget(j, "totp"),
				      "documents", docs), "seal", &ans) == 0) {
			bsre_time(json_integer_value(json_object_get(ans, "expires")),
				  exp, sizeof(exp));
			bsre_ok(out, json_pack("{s:O, s:O, s:s}", "totp",
					       json_object_get(ans, "seal_code"), "data",
					       json_object_get(ans, "documents"),
					       "expired", exp),
				"Kode segel berhasil dibuat");
			json_decref(ans);
		}
	}
	json_decref(j);
}

/* POST /api/v2/seal/pdf {idSubscriber, totp: seal code, signatureProperties, file} */
void api_bsre_seal_v2(struct req *r, struct resp *out)
{
	struct v2_files pf;
	json_t *j = body_files(r, out, "seal", &pf);

	if (j == NULL)
		return;
	if (sget(j, "idSubscriber") == NULL || sget(j, "totp") == NULL)
		bsre_fail(out, "bad_request", "seal", "'idSubscriber' and 'totp' "
			  "(the seal code) are required");
	else
		sign_files(r, out, j, "seal", sget(j, "idSubscriber"),
			   (struct sign_auth){ AUTH_SEAL_CODE, sget(j, "totp") },
			   "seal", &pf);
	v2_files_free(&pf);
	json_decref(j);
}

/* POST /api/v2/seal/revoke/activation {idSubscriber, totp} */
void api_bsre_seal_revoke(struct req *r, struct resp *out)
{
	json_t *j = body(r, out, "seal"), *ans;

	if (j == NULL)
		return;
	if (sget(j, "idSubscriber") == NULL) {
		bsre_fail(out, "bad_request", "seal", "'idSubscriber' is required");
	} else if (bsre_ra(r, out, "seal.deactivate",
			   json_pack("{s:s}", "id", sget(j, "idSubscriber")), "seal",
			   &ans) == 0) {
		bsre_ok(out, json_pack("{s:s}", "idSubscriber",
				       sget(j, "idSubscriber")),
			"Aktivasi segel dicabut");
		json_decref(ans);
	}
	json_decref(j);
}

/* POST /api/v2/verify/pdf {file, password?} */
void api_bsre_verify_v2(struct req *r, struct resp *out)
{
	struct v2_files pf;
	json_t *j = body_files(r, out, "sign", &pf), *rep, *infos, *s;
	uint8_t *pdf = NULL;
	size_t len = 0, i;

	if (j == NULL)
		return;
	if (pf.taken && pf.n == 1 && json_is_string(json_object_get(j, "file"))) {
		pdf = pf.pdf[0];
		len = pf.len[0];
		pf.pdf[0] = NULL;
	}
	v2_files_free(&pf);
	if (pdf == NULL &&
	    (sget(j, "file") == NULL || esd_b64_decode(sget(j, "file"), &pdf, &len) != 0)) {
		bsre_fail(out, "bad_request", "sign", "'file' must be a base64 PDF");
	} else if (api_verify_pdf(pdf, len, 0, out, &rep) != 0) {
		bsre_translate(out, "sign");
	} else {
		const char *v = json_string_value(json_object_get(rep, "verdict"));

		infos = json_array();
		json_array_foreach(json_object_get(rep, "signatures"), i, s) {
			json_t *ts = json_object_get(s, "timestamp");
			json_t *chain = json_object_get(s, "chain");
			const char *cs = json_string_value(json_object_get(chain, "status"));

			json_array_append_new(infos, json_pack(
				"{s:O, s:O, s:O, s:b, s:b, s:b, s:O, s:O, s:{s:O, s:o}}",
				"signerName", json_object_get(s, "name") ?: json_null(),
				"signatureDate", json_object_get(s, "signing_time") ?: json_null(),
				"fieldName", json_object_get(s, "field"),
				"integrityValid", json_is_true(json_object_get(
					json_object_get(s, "integrity"), "ok")),
				"certificateTrusted", cs != NULL && strcmp(cs, "trusted") == 0 &&
				!bsre_revoked(chain),
				"modified", bsre_modified(s),
				"signatureFormat", json_object_get(s, "sub_filter"),
				"certLevelCode", json_object_get(s, "pades_level"),
				"timestampInfomation", "timestampDate",
				ts != NULL && !json_is_null(ts)
				? json_object_get(ts, "time") : json_null(),
				"signerName", ts != NULL && !json_is_null(ts)
				? bsre_common_name(json_object_get(json_object_get(ts, "tsa"),
								   "subject"))
				: json_null()));
		}
		resp_json(out, 200, json_pack("{s:s, s:s, s:o}", "conclusion",
					      bsre_summary(v), "description",
					      strcmp(v, "valid") == 0
					      ? "Dokumen valid" : "Periksa rincian",
					      "signatureInformations", infos));
		json_decref(rep);
	}
	free(pdf);
	json_decref(j);
}

/* v2 errors also carry what Spring-style clients read: message (the
 * error's text), timestamp and path, beside error and status_code. */
void bsre_v2_error_fields(const char *url, struct resp *out)
{
	json_t *j;
	char ts[32], path[128];

	if (strncmp(url, "/api/v2/", 8) != 0 || out->status < 400 ||
	    out->body == NULL ||
	    (j = json_loadb(out->body, out->len, 0, NULL)) == NULL)
		return;
	if (json_is_object(j) && json_is_string(json_object_get(j, "error")) &&
	    json_object_get(j, "message") == NULL) {
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(url, "?"), url);
		bsre_time((int64_t)time(NULL), ts, sizeof(ts));
		json_object_set(j, "message", json_object_get(j, "error"));
		json_object_set_new(j, "timestamp", json_string(ts));
		json_object_set_new(j, "path", json_string(path));
		resp_json(out, out->status, j);
		return;
	}
	json_decref(j);
}
