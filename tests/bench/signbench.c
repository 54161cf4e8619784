/*
 * signbench: a small load generator for esignd.
 *
 * T threads, each with its own CURL easy handle reused for every request
 * (HTTP/1.1 keep-alive), each doing one untimed warm-up request and then
 * timed ones. Modes:
 *
 *   unix-sign     POST /v1/keys/KEY/sign over the Unix socket (the admin
 *                 is recognised by SO_PEERCRED); a reply counts as ok
 *                 only with HTTP 200 and a "signature" member.
 *   https-status  GET /v1/status over HTTPS with a bearer token, the
 *                 server checked against the instance's CA; ok = HTTP 200.
 *   seal          POST /v1/seal, multipart/form-data with the PDF of
 *                 --file as `file` (plus `key` and `level`), over HTTPS
 *                 (--url, bearer token) or over the Unix socket (--socket);
 *                 ok = HTTP 200, Content-Type application/pdf, a body that
 *                 starts with %PDF, ends with %%EOF and is longer than
 *                 the upload's PDF. Every thread builds its curl_mime once
 *                 and reuses it; no "Expect: 100-continue" round trip.
 *   seal-hash     POST /v1/seal/hash {"digest": hex, "key", "level"} over
 *                 HTTPS or the Unix socket; a different digest each time;
 *                 ok = HTTP 200 and a "cms" member.
 *   v2-seal       POST /api/v2/seal/pdf (docs/bsre-compat.md) over HTTPS
 *                 with HTTP Basic (--basic-user NAME, the client's token
 *                 from --token-file as the password): JSON {"idSubscriber",
 *                 "totp": the seal code, "signatureProperties": one
 *                 {"tampilan":"INVISIBLE"} per file, "file": --files N
 *                 copies of --file in base64}; the body is built once and
 *                 sent as it is every time. ok = HTTP 200, a JSON body
 *                 whose "file" array holds exactly N strings, each a
 *                 base64 PDF: its first bytes decode to %PDF-, its last
 *                 ones contain %%EOF, and it decodes to more bytes than
 *                 the upload (checked on every reply without decoding all
 *                 of it; --save decodes the warm-up reply's files in full,
 *                 for a real verifier). The RESULT line gains files=N and
 *                 docs_rps= (documents sealed per second).
 *
 * How long: --requests N per thread (default 1000), stopping early at
 * --max-seconds (complete=no); or --seconds S: as many as fit in S
 * seconds (complete=yes). --rate R paces the threads to R requests/s in
 * all (each thread sends on its own schedule, T/R apart, staggered);
 * then a latency is measured from the request's scheduled time, so a
 * server that falls behind shows as latency rather than as a lower
 * offered rate (late=N counts requests sent more than 1 ms after their
 * slot).
 *
 * It prints one RESULT line (see bench_stats.h) with requests/s of the ok
 * replies, failures and latency p50/p99, plus reconnects=N: the
 * connections opened during the timed phase, 0 when keep-alive held
 * (the warm-up request opens each thread's one connection), client_cpu_ms
 * (this process's user+system CPU per ok request: the load generator's
 * share of the machine) and, for seal, reply_bytes (the warm-up reply).
 * --save FILE writes the first thread's warm-up reply there (to check the
 * sealed PDF with a real verifier).
 * It measures, it asserts nothing about speed; the exit status is 0 when
 * every request it sent got an ok reply (stopping early at --max-seconds
 * prints complete=no but is no failure), 1 otherwise, 2 on a usage error.
 *
 * build: cc -O2 -Wall -Wextra -Werror -pthread signbench.c v2body.c \
 *            $(pkg-config --cflags --libs libcurl)   (see run.sh)
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench_stats.h"
#include "v2body.h"

enum mode { MODE_UNIX_SIGN, MODE_HTTPS_STATUS, MODE_SEAL, MODE_SEAL_HASH,
	    MODE_V2_SEAL };

struct opts {
	enum mode mode;
	const char *mode_name;
	unsigned threads;
	uint64_t requests;      /* per thread; UINT64_MAX with --seconds */
	double max_seconds;     /* a worker stops past this */
	double seconds;         /* --seconds (0: by --requests) */
	double rate;            /* --rate, requests/s in all (0: closed loop) */
	const char *socket_path;
	const char *key;
	int key_given;
	const char *level;
	const char *url;        /* https base, e.g. https://127.0.0.1:8443 */
	const char *cacert;
	const char *file;       /* seal: the PDF */
	const char *save;       /* seal: where the warm-up reply goes */
	const char *seal_code;  /* seal, seal-hash: a seal code (subscriber keys) */
	char *pdf;              /* seal: its bytes */
	size_t pdf_len;
	unsigned files;         /* v2-seal: files per call */
	const char *subscriber; /* v2-seal: idSubscriber */
	const char *basic_user; /* v2-seal: the API client's name */
	char *v2_body;          /* v2-seal: the JSON request, built once */
	size_t v2_len;
	char auth_header[512];  /* "Authorization: Bearer|Basic ..." */
};

struct worker {
	const struct opts *o;
	struct bench_gate *gate;
	unsigned id;
	double *lat_ms;         /* ok latencies, grows */
	size_t lat_cap;
	uint64_t done, ok, failures, late;
	long connects;          /* new connections opened */
	uint64_t reply_bytes;   /* of the warm-up reply */
	int setup_failed, warmup_failed;
	char first_error[160];
};

struct buf {
	char data[4096];        /* the first bytes of the body */
	size_t len;
	char tail[16];          /* the last bytes of the body */
	size_t tail_len;
	uint64_t total;         /* body bytes */
	FILE *save;             /* copy of the whole body, or NULL */
	int save_failed;
	int keep_all;           /* v2-seal: keep the whole body in all */
	char *all;
	size_t all_len, all_cap;
};

/* Keeps the first 4 KiB and the last 16 bytes of a reply body: enough to
 * check it. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n, room = sizeof(b->data) - 1 - b->len;

	if (len < room)
		room = len;
	memcpy(b->data + b->len, p, room);
	b->len += room;
	b->data[b->len] = '\0';
	if (len >= sizeof(b->tail)) {
		memcpy(b->tail, p + len - sizeof(b->tail), sizeof(b->tail));
		b->tail_len = sizeof(b->tail);
	} else {
		size_t keep = sizeof(b->tail) - len;

		if (keep > b->tail_len)
			keep = b->tail_len;
		memmove(b->tail, b->tail + b->tail_len - keep, keep);
		memcpy(b->tail + keep, p, len);
		b->tail_len = keep + len;
	}
	b->total += len;
	if (b->keep_all) {
		if (b->all_len + len + 1 > b->all_cap) {
			size_t cap = b->all_cap ? b->all_cap : 1 << 16;
			char *n;

			while (cap < b->all_len + len + 1)
				cap *= 2;
			if ((n = realloc(b->all, cap)) == NULL)
				return 0; /* curl fails the transfer */
			b->all = n;
			b->all_cap = cap;
		}
		memcpy(b->all + b->all_len, p, len);
		b->all_len += len;
		b->all[b->all_len] = '\0';
	}
	if (b->save != NULL && fwrite(p, 1, len, b->save) != len)
		b->save_failed = 1;
	return len;
}

static void buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
	b->tail_len = 0;
	b->total = 0;
	b->all_len = 0;
}

static void note_error(struct worker *w, const char *fmt, long a,
		       const char *s)
{
	if (w->first_error[0] == '\0')
		snprintf(w->first_error, sizeof(w->first_error), fmt, a, s);
}

/* Is this v2 reply N sealed PDFs in base64? The reason if not. */
static const char *not_v2_seals(const struct opts *o, CURL *c,
				const struct buf *b)
{
	char *ct = NULL;

	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
		return "Content-Type is not application/json";
	if (b->all == NULL)
		return "no body";
	return v2_reply_problem(b->all, o->files, o->pdf_len);
}

/* Is this reply a sealed PDF? The reason if not. */
static const char *not_a_seal(const struct opts *o, CURL *c,
			      const struct buf *b)
{
	char *ct = NULL;

	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (ct == NULL || strncasecmp(ct, "application/pdf", 15) != 0)
		return "Content-Type is not application/pdf";
	if (b->len < 5 || memcmp(b->data, "%PDF-", 5) != 0)
		return "body does not start with %PDF-";
	if (b->tail_len < 5 || memmem(b->tail, b->tail_len, "%%EOF", 5) == NULL)
		return "body does not end with %%EOF";
	if (b->total <= o->pdf_len)
		return "body is not longer than the document sent";
	return NULL;
}

/* One request; returns 1 if the reply is the expected one. */
static int one(struct worker *w, CURL *c, struct buf *b, char *json,
	       uint64_t seq)
{
	const struct opts *o = w->o;
	long status = 0, conns = 0;
	const char *why;
	CURLcode rc;

	if (o->mode == MODE_UNIX_SIGN || o->mode == MODE_SEAL_HASH) {
		/* A different digest each time, like real documents:
		   "digest":" is 11 bytes into the body template. */
		char hex[65];

		snprintf(hex, sizeof(hex), "%016x%016llx%032x", w->id + 1,
			 (unsigned long long)seq, 0x5eed);
		memcpy(json + 11, hex, 64);
	}
	buf_reset(b);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		note_error(w, "curl error %ld: %s", (long)rc,
			   curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
	w->connects += conns;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		note_error(w, "HTTP %ld: %.120s", status, b->data);
		return 0;
	}
	if (o->mode == MODE_UNIX_SIGN &&
	    strstr(b->data, "\"signature\":\"") == NULL) {
		note_error(w, "HTTP %ld without a signature: %.100s", status,
			   b->data);
		return 0;
	}
	if (o->mode == MODE_SEAL_HASH && strstr(b->data, "\"cms\":\"") == NULL) {
		note_error(w, "HTTP %ld without a cms: %.100s", status, b->data);
		return 0;
	}
	if (o->mode == MODE_SEAL && (why = not_a_seal(o, c, b)) != NULL) {
		note_error(w, "HTTP %ld but %s", status, why);
		return 0;
	}
	if (o->mode == MODE_V2_SEAL && (why = not_v2_seals(o, c, b)) != NULL) {
		note_error(w, "HTTP %ld but %s", status, why);
		return 0;
	}
	return 1;
}

static int keep_latency(struct worker *w, double ms)
{
	if (w->ok == w->lat_cap) {
		size_t cap = w->lat_cap ? w->lat_cap * 2 : 4096;
		double *n = realloc(w->lat_ms, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		w->lat_ms = n;
		w->lat_cap = cap;
	}
	w->lat_ms[w->ok++] = ms;
	return 0;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* Sets up the handle for the mode; 0 or -1. */
static int setup(struct worker *w, CURL *c, struct curl_slist **hdr,
		 curl_mime **mime, char *json, size_t json_cap, char *url,
		 size_t url_cap)
{
	const struct opts *o = w->o;
	struct curl_slist *h;
	int https = o->url != NULL;

	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (https) {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
		if ((h = curl_slist_append(*hdr, o->auth_header)) == NULL)
			return -1;
		*hdr = h;
	} else {
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, o->socket_path);
	}
	switch (o->mode) {
	case MODE_UNIX_SIGN:
		/* The body is rewritten in place by one(); same length. */
		snprintf(json, json_cap,
			 "{\"digest\":\"%064d\",\"alg\":\"rsa-pkcs1\","
			 "\"hash\":\"sha256\"}", 0);
		snprintf(url, url_cap, "http://localhost/v1/keys/%s/sign",
			 o->key);
		break;
	case MODE_HTTPS_STATUS:
		snprintf(url, url_cap, "%s/v1/status", o->url);
		break;
	case MODE_SEAL_HASH:
		/* Same rewriting; "key" only when given (HTTPS falls back to
		   the client's default key, the Unix socket admin has none). */
		snprintf(json, json_cap, "{\"digest\":\"%064d\"%s%s%s,"
			 "\"level\":\"%s\"%s%s%s}", 0,
			 o->key_given ? ",\"key\":\"" : "",
			 o->key_given ? o->key : "", o->key_given ? "\"" : "",
			 o->level, o->seal_code ? ",\"seal_code\":\"" : "",
			 o->seal_code ? o->seal_code : "", o->seal_code ? "\"" : "");
		snprintf(url, url_cap, "%s/v1/seal/hash",
			 https ? o->url : "http://localhost");
		break;
	case MODE_SEAL: {
		curl_mimepart *part;

		*mime = curl_mime_init(c);
		if (*mime == NULL || (part = curl_mime_addpart(*mime)) == NULL ||
		    curl_mime_name(part, "file") != CURLE_OK ||
		    curl_mime_filename(part, "in.pdf") != CURLE_OK ||
		    curl_mime_type(part, "application/pdf") != CURLE_OK ||
		    curl_mime_data(part, o->pdf, o->pdf_len) != CURLE_OK)
			return -1;
		if (o->key_given &&
		    ((part = curl_mime_addpart(*mime)) == NULL ||
		     curl_mime_name(part, "key") != CURLE_OK ||
		     curl_mime_data(part, o->key, CURL_ZERO_TERMINATED) != CURLE_OK))
			return -1;
		if ((part = curl_mime_addpart(*mime)) == NULL ||
		    curl_mime_name(part, "level") != CURLE_OK ||
		    curl_mime_data(part, o->level, CURL_ZERO_TERMINATED) != CURLE_OK)
			return -1;
		if (o->seal_code != NULL &&
		    ((part = curl_mime_addpart(*mime)) == NULL ||
		     curl_mime_name(part, "seal_code") != CURLE_OK ||
		     curl_mime_data(part, o->seal_code, CURL_ZERO_TERMINATED) != CURLE_OK))
			return -1;
		curl_easy_setopt(c, CURLOPT_MIMEPOST, *mime);
		/* A client that knows its server sends the body at once. */
		if ((h = curl_slist_append(*hdr, "Expect:")) == NULL)
			return -1;
		*hdr = h;
		snprintf(url, url_cap, "%s/v1/seal",
			 https ? o->url : "http://localhost");
		break;
	}
	case MODE_V2_SEAL:
		/* The same body for every call (read-only, shared by the
		   threads); no Expect round trip for bodies over 1 MiB. */
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->v2_body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)o->v2_len);
		if ((h = curl_slist_append(*hdr, "Expect:")) == NULL)
			return -1;
		*hdr = h;
		snprintf(url, url_cap, "%s/api/v2/seal/pdf", o->url);
		break;
	}
	if (o->mode == MODE_UNIX_SIGN || o->mode == MODE_SEAL_HASH ||
	    o->mode == MODE_V2_SEAL) {
		if (o->mode != MODE_V2_SEAL) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
					 (long)strlen(json));
		}
		if ((h = curl_slist_append(*hdr,
					   "Content-Type: application/json")) == NULL)
			return -1;
		*hdr = h;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	return 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	struct curl_slist *hdr = NULL;
	curl_mime *mime = NULL;
	struct buf b;
	char url[512], json[256];
	CURL *c = curl_easy_init();
	double deadline, interval = 0, next = 0;
	uint64_t i;

	memset(&b, 0, sizeof(b));
	if (c == NULL || setup(w, c, &hdr, &mime, json, sizeof(json), url,
			       sizeof(url)) != 0) {
		w->setup_failed = 1;
		bench_gate_wait(w->gate);
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	b.keep_all = o->mode == MODE_V2_SEAL;

	/* Warm-up: opens the connection (and the TLS session), untimed;
	   the timed phase should then open none. */
	if (w->id == 0 && o->save != NULL && o->mode != MODE_V2_SEAL &&
	    (b.save = fopen(o->save, "wb")) == NULL)
		note_error(w, "cannot write (errno %ld) %s", errno, o->save);
	if (!one(w, c, &b, json, UINT64_MAX) || b.save_failed)
		w->warmup_failed = 1;
	else if (w->id == 0 && o->save != NULL && o->mode == MODE_V2_SEAL &&
		 save_v2(o->save, b.all) != 0) {
		note_error(w, "cannot write (errno %ld) %s.K.pdf", errno, o->save);
		w->warmup_failed = 1;
	}
	if (b.save != NULL && fclose(b.save) != 0)
		w->warmup_failed = 1;
	b.save = NULL;
	w->reply_bytes = b.total;
	w->connects = 0;
	bench_gate_wait(w->gate);
	deadline = w->gate->t0 + (o->seconds > 0 ? o->seconds : o->max_seconds);
	if (o->rate > 0) {
		interval = (double)o->threads / o->rate;
		next = w->gate->t0 + interval * w->id / o->threads;
	}
	for (i = 0; i < o->requests; i++) {
		double t = bench_now(), start;

		if (interval > 0) {
			if (next > deadline)
				break;
			if (t < next) {
				sleep_until(next);
			} else if (t - next > 1e-3) {
				w->late++;
			}
			start = next;
			next += interval;
		} else {
			if (t > deadline)
				break;
			start = t;
		}
		if (one(w, c, &b, json, i)) {
			if (keep_latency(w, (bench_now() - start) * 1e3) != 0) {
				note_error(w, "out of memory (%ld latencies)",
					   (long)w->ok, "");
				w->failures++;
			}
		} else {
			w->failures++;
		}
		w->done++;
	}
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	free(b.all);
	curl_mime_free(mime);
	curl_slist_free_all(hdr);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: signbench --mode unix-sign --socket PATH [--key LABEL] [RUN]\n"
		"       signbench --mode https-status --url https://HOST:PORT\n"
		"                 --cacert FILE --token-file FILE [RUN]\n"
		"       signbench --mode seal --file PDF TRANSPORT [--key LABEL]\n"
		"                 [--level B-B|B-T] [--save OUT.pdf] [RUN]\n"
		"       signbench --mode seal-hash TRANSPORT [--key LABEL]\n"
		"                 [--level B-B|B-T] [--seal-code CODE] [RUN]\n"
		"       signbench --mode v2-seal --file PDF --url https://HOST:PORT\n"
		"                 --cacert FILE --basic-user NAME --token-file FILE\n"
		"                 --subscriber ID --seal-code CODE [--files N]\n"
		"                 [--save PREFIX] [RUN]   (files: PREFIX.K.pdf)\n"
		"TRANSPORT: --url https://HOST:PORT --cacert FILE --token-file FILE\n"
		"           or --socket PATH (then give --key: the admin has no\n"
		"           default key)\n"
		"RUN:       [--threads T] [--requests N | --seconds S]\n"
		"           [--max-seconds S] [--rate R]\n"
		"N is per thread, R requests/s in all. Prints one RESULT line;\n"
		"exit 1 if any request failed.\n");
	return 2;
}

/* Reads the bearer token (first line of the file) into the header. */
static int load_token(struct opts *o, const char *path)
{
	char tok[200];
	size_t n;
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	if (fgets(tok, sizeof(tok), f) != NULL) {
		n = strcspn(tok, "\r\n");
		tok[n] = '\0';
		if (n > 0 && o->basic_user != NULL) {
			/* HTTP Basic: the client's name and its token */
			char pair[300];
			char *b64 = NULL;
			int m = snprintf(pair, sizeof(pair), "%s:%s",
					 o->basic_user, tok);

			if (m > 0 && (size_t)m < sizeof(pair) &&
			    (b64 = b64_encode((unsigned char *)pair, (size_t)m,
					      NULL)) != NULL &&
			    (size_t)snprintf(o->auth_header,
					     sizeof(o->auth_header),
					     "Authorization: Basic %s", b64) <
				    sizeof(o->auth_header))
				rc = 0;
			explicit_bzero(pair, sizeof(pair));
			if (b64 != NULL)
				explicit_bzero(b64, strlen(b64));
			free(b64);
		} else if (n > 0 && (size_t)snprintf(o->auth_header,
					      sizeof(o->auth_header),
					      "Authorization: Bearer %s", tok) <
				     sizeof(o->auth_header)) {
			rc = 0;
		}
	}
	if (rc != 0)
		fprintf(stderr, "%s: no usable token\n", path);
	explicit_bzero(tok, sizeof(tok));
	fclose(f);
	return rc;
}

/* Is s safe to put between JSON quotes as it is? */
static int json_plain(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* The v2 seal request, built once. 0 or -1. */
static int build_v2_body(struct opts *o)
{
	o->v2_body = v2_request(o->subscriber, o->seal_code, o->pdf, o->pdf_len,
				o->files, &o->v2_len);
	return o->v2_body != NULL ? 0 : -1;
}

/* Reads the whole PDF into o->pdf. */
static int load_pdf(struct opts *o)
{
	FILE *f = fopen(o->file, "rb");
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (o->pdf = malloc((size_t)n)) == NULL ||
	    fread(o->pdf, 1, (size_t)n, f) != (size_t)n) {
		perror(o->file);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	o->pdf_len = (size_t)n;
	fclose(f);
	return 0;
}

static int label_ok(const char *s)
{
	return strlen(s) <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(s);
}

int main(int argc, char **argv)
{
	struct opts o = { .mode = MODE_UNIX_SIGN, .threads = 1,
			  .requests = 1000, .max_seconds = 120,
			  .key = "demo-seal", .level = "B-B" };
	const char *token_file = NULL;
	struct worker *w = NULL;
	pthread_t *th = NULL;
	struct bench_gate gate;
	double *all = NULL, seconds, t_end, cpu0 = 0, cpu1;
	uint64_t v, ok = 0, failures = 0, done = 0, late = 0;
	long reconnects = 0;
	size_t n = 0;
	unsigned i, started = 0, warmup_failures = 0, setup_failures = 0;
	int complete = 1, rc = 1, gate_ready = 0, by_requests = 0;
	char extra[256];

	for (int a = 1; a < argc; a++) {
		const char *k = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;
		char *end;

		if (val == NULL)
			return usage();
		a++;
		if (strcmp(k, "--mode") == 0) {
			o.mode_name = val;
			if (strcmp(val, "unix-sign") == 0)
				o.mode = MODE_UNIX_SIGN;
			else if (strcmp(val, "https-status") == 0)
				o.mode = MODE_HTTPS_STATUS;
			else if (strcmp(val, "seal") == 0)
				o.mode = MODE_SEAL;
			else if (strcmp(val, "seal-hash") == 0)
				o.mode = MODE_SEAL_HASH;
			else if (strcmp(val, "v2-seal") == 0)
				o.mode = MODE_V2_SEAL;
			else
				return usage();
		} else if (strcmp(k, "--threads") == 0) {
			if (bench_parse_u64(val, 1, 64, &v) != 0)
				return usage();
			o.threads = (unsigned)v;
		} else if (strcmp(k, "--requests") == 0) {
			if (bench_parse_u64(val, 1, 10000000, &v) != 0)
				return usage();
			o.requests = v;
			by_requests = 1;
		} else if (strcmp(k, "--max-seconds") == 0) {
			if (bench_parse_u64(val, 1, 3600, &v) != 0)
				return usage();
			o.max_seconds = (double)v;
		} else if (strcmp(k, "--seconds") == 0) {
			o.seconds = strtod(val, &end);
			if (*end != '\0' || !(o.seconds >= 0.1 && o.seconds <= 3600))
				return usage();
		} else if (strcmp(k, "--rate") == 0) {
			o.rate = strtod(val, &end);
			if (*end != '\0' || !(o.rate >= 0.1 && o.rate <= 1e6))
				return usage();
		} else if (strcmp(k, "--socket") == 0) {
			o.socket_path = val;
		} else if (strcmp(k, "--key") == 0) {
			o.key = val;
			o.key_given = 1;
		} else if (strcmp(k, "--level") == 0) {
			if (strcmp(val, "B-B") != 0 && strcmp(val, "B-T") != 0)
				return usage();
			o.level = val;
		} else if (strcmp(k, "--file") == 0) {
			o.file = val;
		} else if (strcmp(k, "--save") == 0) {
			o.save = val;
		} else if (strcmp(k, "--seal-code") == 0) {
			o.seal_code = val;
		} else if (strcmp(k, "--files") == 0) {
			if (bench_parse_u64(val, 1, 50, &v) != 0)
				return usage();
			o.files = (unsigned)v;
		} else if (strcmp(k, "--subscriber") == 0) {
			o.subscriber = val;
		} else if (strcmp(k, "--basic-user") == 0) {
			o.basic_user = val;
		} else if (strcmp(k, "--url") == 0) {
			o.url = val;
		} else if (strcmp(k, "--cacert") == 0) {
			o.cacert = val;
		} else if (strcmp(k, "--token-file") == 0) {
			token_file = val;
		} else {
			return usage();
		}
	}
	if (o.mode_name == NULL || !label_ok(o.key) ||
	    (o.seconds > 0 && by_requests))
		return usage();
	if (o.seconds > 0)
		o.requests = UINT64_MAX;
	switch (o.mode) {
	case MODE_UNIX_SIGN:
		if (o.socket_path == NULL || o.url != NULL)
			return usage();
		break;
	case MODE_HTTPS_STATUS:
		if (o.socket_path != NULL)
			return usage();
		break;
	case MODE_SEAL:
		if (o.file == NULL)
			return usage();
		/* fall through */
	case MODE_SEAL_HASH:
		if ((o.url == NULL) == (o.socket_path == NULL) ||
		    (o.socket_path != NULL && !o.key_given))
			return usage();
		break;
	case MODE_V2_SEAL:
		if (o.file == NULL || o.url == NULL || o.basic_user == NULL ||
		    o.subscriber == NULL || o.seal_code == NULL ||
		    !json_plain(o.subscriber) || !json_plain(o.seal_code) ||
		    strchr(o.basic_user, ':') != NULL)
			return usage();
		if (o.files == 0)
			o.files = 10;
		break;
	}
	if (o.mode != MODE_V2_SEAL &&
	    (o.basic_user != NULL || o.subscriber != NULL || o.files != 0))
		return usage();
	if (o.url != NULL &&
	    (strlen(o.url) > 400 || o.cacert == NULL || token_file == NULL))
		return usage();
	if (o.url != NULL && load_token(&o, token_file) != 0)
		return 2;
	if ((o.mode == MODE_SEAL || o.mode == MODE_V2_SEAL) && load_pdf(&o) != 0)
		return 2;
	if (o.mode == MODE_V2_SEAL && build_v2_body(&o) != 0) {
		fprintf(stderr, "signbench: out of memory\n");
		return 2;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "signbench: curl_global_init failed\n");
		goto out;
	}
	w = calloc(o.threads, sizeof(*w));
	th = calloc(o.threads, sizeof(*th));
	if (w == NULL || th == NULL) {
		fprintf(stderr, "signbench: out of memory\n");
		goto out;
	}
	bench_gate_init(&gate, o.threads);
	gate_ready = 1;
	for (i = 0; i < o.threads; i++) {
		w[i].o = &o;
		w[i].gate = &gate;
		w[i].id = i;
		if (pthread_create(&th[i], NULL, run, &w[i]) != 0) {
			fprintf(stderr, "signbench: pthread_create failed\n");
			break;
		}
		started++;
	}
	if (started < o.threads)
		bench_gate_force_open(&gate);
	/* CPU from the gate on (the warm-ups and set-up excluded, roughly:
	   the last warm-up may still be finishing). */
	bench_gate_await(&gate);
	cpu0 = bench_cpu_seconds();
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	t_end = bench_now();
	cpu1 = bench_cpu_seconds();
	if (started < o.threads)
		goto out;
	seconds = t_end - gate.t0;

	for (i = 0; i < o.threads; i++)
		n += w[i].ok;
	all = calloc(n ? n : 1, sizeof(*all));
	if (all == NULL) {
		fprintf(stderr, "signbench: out of memory\n");
		goto out;
	}
	n = 0;
	for (i = 0; i < o.threads; i++) {
		if (w[i].ok > 0)
			memcpy(all + n, w[i].lat_ms, w[i].ok * sizeof(*all));
		n += w[i].ok;
		ok += w[i].ok;
		failures += w[i].failures;
		done += w[i].done;
		late += w[i].late;
		reconnects += w[i].connects;
		if (w[i].setup_failed)
			setup_failures++;
		if (w[i].setup_failed ||
		    (o.seconds == 0 && w[i].done < o.requests))
			complete = 0;
		if (w[i].warmup_failed)
			warmup_failures++;
		if (w[i].first_error[0] != '\0')
			fprintf(stderr, "signbench: thread %u: first failure: %s\n",
				i, w[i].first_error);
	}
	n = (size_t)snprintf(extra, sizeof(extra),
			     "reconnects=%ld client_cpu_ms=%.3f", reconnects,
			     ok > 0 ? (cpu1 - cpu0) * 1e3 / (double)ok : 0.0);
	if (o.rate > 0)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      " offered_rps=%.1f late=%llu", o.rate,
				      (unsigned long long)late);
	if (o.mode == MODE_SEAL || o.mode == MODE_V2_SEAL)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      " reply_bytes=%llu",
				      (unsigned long long)w[0].reply_bytes);
	if (o.mode == MODE_V2_SEAL)
		snprintf(extra + n, sizeof(extra) - n,
			 " files=%u docs_rps=%.1f request_bytes=%zu", o.files,
			 seconds > 0 ? (double)ok * o.files / seconds : 0.0,
			 o.v2_len);
	bench_report("signbench", o.mode_name, o.threads, done, ok, failures,
		     seconds, all, (size_t)ok, complete, extra);
	/* Running into --max-seconds is not a failure: the rate stands. */
	rc = failures == 0 && warmup_failures == 0 && setup_failures == 0 ? 0
									  : 1;
out:
	if (gate_ready)
		bench_gate_destroy(&gate);
	for (i = 0; w != NULL && i < o.threads; i++)
		free(w[i].lat_ms);
	free(all);
	free(th);
	free(w);
	free(o.pdf);
	free(o.v2_body);
	curl_global_cleanup();
	explicit_bzero(o.auth_header, sizeof(o.auth_header));
	return rc;
}
