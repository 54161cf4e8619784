/*
 * The BSrE eSign Client API (v1 multipart, v2 JSON) as a thin adapter
 * over the native engine (docs/bsre-compat.md): each route gathers the
 * fields agency integrations send, calls the same signing, verification
 * and registration-authority code as the native API, and answers in the
 * shapes and error codes those integrations expect. It decides nothing:
 * the keeper checks credentials, passphrases and seal codes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "api/api.h"
#include "api/keeper_client.h"
#include "api/bsre_int.h"
#include "api/multipart.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/config.h"
#include "pdf/pdf.h"

#define MAX_FILES 50   /* files in one v2 call */

/* The level of the signatures the BSrE routes make (bsre_level), set
 * once at start before any request. */
static char level[8] = "B-T";

void api_bsre_init(const struct esd_config *cfg)
{
	snprintf(level, sizeof(level), "%s", cfg->bsre_level);
}

const char *bsre_level(void)
{
	return level;
}

/* ---- errors: {"error": message, "status_code": N} ---- */

static const struct bsre_err {
	const char *code;       /* native error code; "*" = any */
	const char *ctx;        /* "sign", "seal" or "*" */
	int status_code;
	unsigned http;
	const char *msg;
} errs[] = {
	{ "authorization_failed", "sign", 2031, 400, "Passphrase anda salah" },
	{ "authorization_failed", "seal", 2041, 400,
	  "Kode segel (TOTP) salah, sudah habis dipakai, atau kedaluwarsa" },
	{ "locked", "*", 2032, 403,
	  "Akun terkunci karena terlalu banyak percobaan gagal" },
	{ "not_found", "download", 2071, 404,
	  "Dokumen tidak ditemukan atau sudah melewati masa simpan" },
	{ "not_found", "front", 2093, 404, "Alamat API tidak dikenal" },
	{ "method_not_allowed", "*", 2094, 405, "Metode HTTP tidak diizinkan" },
	{ "not_found", "*", 2021, 404, "Pengguna tidak terdaftar" },
	{ "forbidden", "*", 2022, 403,
	  "Sertifikat tidak aktif atau klien tidak berhak" },
	{ "unauthorized", "*", 2011, 401, "Autentikasi klien gagal" },
	{ "not_pdf", "*", 2051, 400, "Dokumen bukan PDF" },
	{ "pdf_encrypted", "*", 2052, 400, "Dokumen PDF terenkripsi" },
	{ "already_signed", "*", 2053, 409, "Dokumen sudah disegel" },
	{ "pdf_truncated", "*", 2054, 400, "Dokumen PDF rusak" },
	{ "pdf_damaged", "*", 2054, 400, "Dokumen PDF rusak" },
	{ "pdf_unsupported", "*", 2054, 400, "Dokumen PDF rusak" },
	{ "bad_request", "*", 2055, 400, "Permintaan tidak valid" },
	{ "malformed_json", "*", 2055, 400, "Permintaan tidak valid" },
	{ "unsupported", "*", 2057, 400, "Fitur belum didukung" },
	{ "anchor_not_found", "*", 2058, 400,
	  "Tag koordinat tidak ditemukan di dokumen" },
	{ "payload_too_large", "*", 2056, 413, "Dokumen terlalu besar" },
	{ "unsupported_media_type", "*", 2059, 415,
	  "Jenis konten tidak didukung (kirim multipart/form-data)" },
	{ "conflict", "*", 2061, 409, "Status tidak mengizinkan permintaan ini" },
	{ "rate_limited", "*", 2092, 429, "Terlalu banyak permintaan" },
	{ "unavailable", "*", 2091, 503, "Layanan sedang tidak tersedia" },
	{ "token_unavailable", "*", 2091, 503, "Layanan sedang tidak tersedia" },
	{ "key_changed", "*", 2091, 503, "Layanan sedang tidak tersedia" },
	{ "*", "*", 2099, 500, "Kesalahan internal" },
};

void bsre_fail(struct resp *out, const char *code, const char *ctx,
		      const char *detail)
{
	const struct bsre_err *e = &errs[ESD_ARRAY_LEN(errs) - 1];

	for (size_t i = 0; i < ESD_ARRAY_LEN(errs); i++)
		if ((strcmp(errs[i].code, code) == 0 || errs[i].code[0] == '*') &&
		    (strcmp(errs[i].ctx, ctx) == 0 || errs[i].ctx[0] == '*')) {
			e = &errs[i];
			break;
		}
	free(out->body);
	out->body = NULL;
	resp_json(out, e->http, json_pack("{s:s, s:i, s:s, s:s}", "error", e->msg,
					  "status_code", e->status_code, "code",
					  code, "detail", detail ? detail : ""));
}

/* Rewrites a native error response in BSrE's form. */
void bsre_translate(struct resp *out, const char *ctx)
{
	json_t *j = json_loadb(out->body ? out->body : "", out->len, 0, NULL);
	json_t *e = json_object_get(j, "error");
	char code[40], detail[256];

	snprintf(code, sizeof(code), "%s",
		 json_string_value(json_object_get(e, "code")) ?: "internal_error");
	snprintf(detail, sizeof(detail), "%s",
		 json_string_value(json_object_get(e, "message")) ?: "");
	json_decref(j);
	bsre_fail(out, code, ctx, detail);
}

void bsre_ok(struct resp *out, json_t *j, const char *msg)
{
	json_object_set_new(j, "status_code", json_integer(1111));
	json_object_set_new(j, "message", json_string(msg));
	resp_json(out, 200, j);
}

/* A registration-authority operation for this caller; *ans its answer,
 * or out holds the BSrE error. */
int bsre_ra(struct req *r, struct resp *out, const char *op, json_t *args,
	      const char *ctx, json_t **ans)
{
	char *text = json_dumps(args, JSON_COMPACT);
	struct ibuf b;
	int rc;

	json_decref(args);
	if (text == NULL) {
		bsre_fail(out, "out_of_memory", ctx, NULL);
		return ESD_ENOMEM;
	}
	kc_begin(&b, &r->cred);
	ibuf_put_str(&b, op);
	ibuf_put_bytes(&b, text, strlen(text));
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	rc = api_keeper_json(out, MSG_RA, &b, ans);
	if (rc != 0)
		bsre_translate(out, ctx);
	return rc;
}

void bsre_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The native "visible" JSON of a box given as origin and size. */
char *bsre_visible(const char *tag, long page, double x, double y, double w,
		   double h)
{
	json_t *v = tag != NULL && tag[0] != '\0' ?
		json_pack("{s:s, s:[f,f], s:[f,f]}", "anchor", tag, "size", w, h,
			  "offset", x, y) :
		json_pack("{s:I, s:[f,f,f,f]}", "page", (json_int_t)page,
			  "rect", x, y, x + w, y + h);
	char *s = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	return s;
}

/* ---- v1: multipart ---- */

/* Fields BSrE ignores are ignored here too, and named in the log once
 * per name (up to 16 names) so an operator sees what clients send. */
void bsre_extra_fields(const char *route, const char *names)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static char seen[16][48];
	char one[48];
	const char *p = names;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ","), k;

		for (k = 0; k < n && k < sizeof(one) - 1; k++)
			one[k] = (p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
				 (p[k] >= '0' && p[k] <= '9') || p[k] == '_' || p[k] == '-' ?
				 p[k] : '?';
		one[k] = '\0';
		pthread_mutex_lock(&mu);
		for (k = 0; k < 16 && seen[k][0] != '\0'; k++)
			if (strcmp(seen[k], one) == 0)
				break;
		if (k < 16 && seen[k][0] == '\0') {
			snprintf(seen[k], sizeof(seen[k]), "%s", one);
			log_info("%s: ignoring field '%s' (not used by esignd; "
				 "logged once)", route, one);
		}
		pthread_mutex_unlock(&mu);
		p += n;
		if (*p == ',')
			p++;
	}
}

/* A decimal field ("410.21347882534775", "-10", " 40 "); 0 and *v, or
 * ESD_EINVAL with msg naming the field. Absent is 0. */
static int num_field(const struct mp_field *f, const char *name, double *v,
		     char *msg, size_t cap)
{
	const struct mp_field *x = mp_get(f, name);
	char *end;

	*v = 0;
	if (x == NULL)
		return 0;
	*v = strtod(x->data, &end);
	while (*end == ' ')
		end++;
	if (end == x->data || *end != '\0' || *v != *v || *v > 1e6 || *v < -1e6) {
		snprintf(msg, cap, "'%s' must be a decimal number", name);
		return ESD_EINVAL;
	}
	return 0;
}

/* image: the truthy spellings clients send (PHP/Guzzle sends true as
 * "1"); 1, 0, or -1 for anything else. */
static int truthy(const char *s)
{
	static const char *const yes[] = { "true", "1", "yes", "y", "on" };
	static const char *const no[] = { "false", "0", "no", "n", "off", "" };

	for (size_t i = 0; i < ESD_ARRAY_LEN(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < ESD_ARRAY_LEN(no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

/* The number of pages of a PDF, or 0 when it cannot be read (the
 * signing step then answers what is wrong with it). */
static long last_page(const uint8_t *pdf, size_t len)
{
	struct pdf_doc *d;
	unsigned n = 0;
	int why;

	if (pdf_doc_open(pdf, len, &d, &why) != 0)
		return 0;
	if (pdf_doc_page_count(d, &n) != 0)
		n = 0;
	pdf_doc_free(d);
	return (long)n;
}

/* Hands the signed PDF to the keeper for GET /api/sign/download (best
 * effort: a result the keeper cannot keep is only not downloadable). */
static void keep_result(struct req *r, const char *id, const char *pdf,
			size_t len)
{
	struct ipc_msg rep;
	struct ibuf b;

	if (len > IPC_MAX_PAYLOAD - 1024)
		return;
	kc_begin(&b, &r->cred);
	ibuf_put_str(&b, id);
	ibuf_put_bytes(&b, pdf, len);
	if (kc_call(MSG_RESULT_PUT, &b, &rep, 0) == 0)
		ipc_msg_clear(&rep);
	ibuf_free(&b);
}

/* GET /api/sign/download/{id_dokumen}: the PDF, with the id_dokumen
 * header as on signing. */
void api_bsre_download(struct req *r, struct resp *out)
{
	struct ibuf b;

	kc_begin(&b, &r->cred);
	ibuf_put_str(&b, r->param[0]);
	api_keeper_bin(out, MSG_RESULT_GET, &b, "application/pdf");
	if (out->status != 200) {
		bsre_translate(out, "download");
		return;
	}
	snprintf(out->header[0], sizeof(out->header[0]), "id_dokumen");
	snprintf(out->header[1], sizeof(out->header[1]), "%s", r->param[0]);
}

/* The options of a v1 signing call that are not the document. */
static int v1_options(const struct mp_field *f, struct sign_input *in,
		      char **vis, char *msg, size_t cap)
{
	const struct mp_field *x, *t = mp_get(f, "tampilan");
	double page, xa, ya, w, h;
	long pg;
	int img;

	in->reason = (x = mp_get(f, "reason")) != NULL ? x->data : NULL;
	in->location = (x = mp_get(f, "location")) != NULL ? x->data : NULL;
	if (t != NULL && strcasecmp(t->data, "invisible") != 0 &&
	    strcasecmp(t->data, "visible") != 0) {
		snprintf(msg, cap, "tampilan: visible|invisible");
		return ESD_EINVAL;
	}
	if ((x = mp_get(f, "halaman")) != NULL && strcasecmp(x->data, "PERTAMA") != 0 &&
	    strcasecmp(x->data, "TERAKHIR") != 0) {
		snprintf(msg, cap, "halaman: PERTAMA|TERAKHIR");
		return ESD_EINVAL;
	}
	if ((x = mp_get(f, "jenis_response")) != NULL &&
	    strcasecmp(x->data, "BYTE") != 0 && strcasecmp(x->data, "BASE64") != 0) {
		snprintf(msg, cap, "jenis_response: BYTE|BASE64");
		return ESD_EINVAL;
	}
	img = (x = mp_get(f, "image")) != NULL ? truthy(x->data) : 0;
	if (img < 0) {
		snprintf(msg, cap, "image: true|false (or 1|0)");
		return ESD_EINVAL;
	}
	if (num_field(f, "page", &page, msg, cap) != 0 ||
	    num_field(f, "xAxis", &xa, msg, cap) != 0 ||
	    num_field(f, "yAxis", &ya, msg, cap) != 0 ||
	    num_field(f, "width", &w, msg, cap) != 0 ||
	    num_field(f, "height", &h, msg, cap) != 0)
		return ESD_EINVAL;
	if (t == NULL || strcasecmp(t->data, "visible") != 0)
		return 0;
	pg = page >= 1 ? (long)page : 1;
	/* halaman picks the first or the last page (over page). */
	if ((x = mp_get(f, "halaman")) != NULL)
		pg = strcasecmp(x->data, "PERTAMA") == 0 ? 1
		     : last_page(in->pdf, in->pdf_len) ?: 1;
	x = mp_get(f, "tag_koordinat");
	*vis = bsre_visible(x != NULL ? x->data : NULL, pg, xa, ya, w, h);
	in->visible = *vis;
	if (img == 1 && (x = mp_get(f, "imageTTD")) != NULL) {
		in->image = (const uint8_t *)x->data;
		in->image_len = x->len;
	}
	in->qr = (x = mp_get(f, "linkQR")) != NULL ? x->data : NULL;
	in->text = (x = mp_get(f, "text")) != NULL ? x->data : NULL;
	return 0;
}

/* POST /api/sign/pdf: file, nik, passphrase, tampilan, image, imageTTD,
 * linkQR, page, halaman, xAxis, yAxis, width, height, tag_koordinat,
 * reason, location, text, jenis_response. Other fields are ignored as
 * BSrE does; imageTTD sent twice keeps the first. */
void api_bsre_sign_v1(struct req *r, struct resp *out)
{
	struct mp_field f[] = {
		MP_FIELD("file", SIZE_MAX), MP_FIELD("nik", 32),
		MP_FIELD("passphrase", 256), MP_FIELD("tampilan", 16),
		MP_FIELD("image", 8), MP_FIELD("imageTTD", 2u << 20),
		MP_FIELD("linkQR", 512), MP_FIELD("page", 64),
		MP_FIELD("halaman", 16), MP_FIELD("jenis_response", 16),
		MP_FIELD("xAxis", 64), MP_FIELD("yAxis", 64),
		MP_FIELD("width", 64), MP_FIELD("height", 64),
		MP_FIELD("tag_koordinat", 256), MP_FIELD("reason", 512),
		MP_FIELD("location", 512), MP_FIELD("text", 512),
		MP_END,
	};
	const struct mp_field *x;
	struct sign_input in = { 0 };
	char msg[256], key[64], extra[256], *vis = NULL;
	int rc = mp_parse_flags(r, f, MP_EXTRA_IGNORE | MP_REPEAT_FIRST, extra,
				sizeof(extra), msg, sizeof(msg));

	api_body_drop(r);
	if (rc != 0) {
		/* A field over its length is a bad request naming the field,
		 * not a document too large (the body's limit is http.c's). */
		bsre_fail(out, rc == ESD_ETOOBIG ? "bad_request" : esd_err_name(rc),
			  "sign", msg);
		return;
	}
	bsre_extra_fields("/api/sign/pdf", extra);
	if ((x = mp_get(f, "nik")) == NULL || (x = mp_get(f, "file")) == NULL) {
		bsre_fail(out, "bad_request", "sign", "'file' and 'nik' are required");
		goto out;
	}
	snprintf(key, sizeof(key), "nik:%s", mp_get(f, "nik")->data);
	in.key = key;
	in.level = bsre_level();
	in.pdf = (const uint8_t *)x->data;
	in.pdf_len = x->len;
	in.auth = (struct sign_auth){ AUTH_PASSPHRASE,
		(x = mp_get(f, "passphrase")) != NULL ? x->data : "" };
	if (v1_options(f, &in, &vis, msg, sizeof(msg)) != 0) {
		bsre_fail(out, "bad_request", "sign", msg);
		goto out;
	}
	api_sign_pdf(r, out, "individual", &in);
	if (out->status != 200) {
		bsre_translate(out, "sign");
	} else {
		uint8_t h[32];
		char hex[65];

		/* The result's name: the SHA-256 of the signed PDF. */
		if (esd_sha256(out->body, out->len, h) != 0)
			memset(h, 0, sizeof(h));
		esd_hex(h, sizeof(h), hex);
		keep_result(r, hex, out->body, out->len);
		x = mp_get(f, "jenis_response");
		/* BASE64: {"base64_signed_file": …, "id_dokumen": …}, the
		 * JSON integrations read (base64 needs no escaping). */
		if (x != NULL && strcasecmp(x->data, "BASE64") == 0) {
			static const char pre[] = "{\"base64_signed_file\":\"";
			static const char mid[] = "\",\"id_dokumen\":\"";
			char *b64 = esd_b64_encode((const uint8_t *)out->body, out->len);
			size_t bl = b64 != NULL ? strlen(b64) : 0, n = 0;
			char *j = b64 != NULL ? malloc(bl + sizeof(pre) + sizeof(mid) +
						       sizeof(hex) + 2) : NULL;

			if (j == NULL) {
				free(b64);
				bsre_fail(out, "out_of_memory", "sign", NULL);
				goto out;
			}
			memcpy(j, pre, sizeof(pre) - 1);
			n = sizeof(pre) - 1;
			memcpy(j + n, b64, bl);
			n += bl;
			memcpy(j + n, mid, sizeof(mid) - 1);
			n += sizeof(mid) - 1;
			memcpy(j + n, hex, strlen(hex));
			n += strlen(hex);
			memcpy(j + n, "\"}", 3);
			n += 2;
			free(b64);
			free(out->body);
			out->body = NULL;
			resp_text(out, 200, "application/json", j, n);
		}
		snprintf(out->header[0], sizeof(out->header[0]), "id_dokumen");
		snprintf(out->header[1], sizeof(out->header[1]), "%s", hex);
	}
out:
	free(vis);
	mp_free(f);
}

/* Status in BSrE's words of the subscriber ref ("nik:…", "email:…"). */
void bsre_user_status(struct req *r, struct resp *out, const char *ref)
{
	const char *st;
	json_t *ans;

	if (bsre_ra(r, out, "subscriber.status", json_pack("{s:s}", "id", ref), "sign",
	       &ans) != 0)
		return;
	st = json_string_value(json_object_get(ans, "status"));
	st = st != NULL ? st : "NOT_REGISTERED";
	/* As BSrE answers (the client READMEs' samples): an unknown user is
	 * status_code 1110 "User belum terdaftar", an issued one 1111 with
	 * its certificate's status in the message. */
	if (strcmp(st, "NOT_REGISTERED") == 0) {
		resp_json(out, 200, json_pack("{s:i, s:s, s:s}", "status_code", 1110,
					      "status", st, "message",
					      "User belum terdaftar"));
	} else {
		char msg[128];

		if (strcmp(st, "ISSUE") == 0)
			snprintf(msg, sizeof(msg), "User sudah terdaftar dan memiliki "
				 "sertifikat dengan status %s", st);
		else
			snprintf(msg, sizeof(msg), "Status pengguna");
		bsre_ok(out, json_pack("{s:s}", "status", st), msg);
	}
	json_decref(ans);
}

/* GET /api/user/status/{nik} */
void api_bsre_user_status(struct req *r, struct resp *out)
{
	char ref[200];

	snprintf(ref, sizeof(ref), "nik:%s", r->param[0]);
	bsre_user_status(r, out, ref);
}

/* The native chain report says the signer is revoked. */
int bsre_revoked(json_t *chain)
{
	const char *r = json_string_value(json_object_get(chain, "revocation"));

	return r != NULL && strcmp(r, "revoked") == 0;
}

int bsre_modified(json_t *sig)
{
	json_t *c = json_object_get(json_object_get(sig, "modifications"),
				    "changes"), *x;
	size_t i;

	json_array_foreach(c, i, x) {
		const char *n = json_string_value(x);

		if (n != NULL && strcmp(n, "validation_data") != 0 &&
		    strcmp(n, "signatures") != 0)
			return 1;
	}
	return 0;
}

const char *bsre_summary(const char *verdict)
{
	return strcmp(verdict, "valid") == 0 ? "VALID"
	       : strcmp(verdict, "unsigned") == 0 ? "NO_SIGNATURE"
	       : strcmp(verdict, "indeterminate") == 0 ? "WARNING" : "INVALID";
}
