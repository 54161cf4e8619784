/*
 * signbench: a small closed-loop load generator for esignd.
 *
 * T threads, each with its own CURL easy handle reused for every request
 * (HTTP/1.1 keep-alive), each doing one untimed warm-up request and then
 * N timed ones. Modes:
 *
 *   unix-sign     POST /v1/keys/KEY/sign over the Unix socket (the admin
 *                 is recognised by SO_PEERCRED); a reply counts as ok
 *                 only with HTTP 200 and a "signature" member.
 *   https-status  GET /v1/status over HTTPS with a bearer token, the
 *                 server checked against the instance's CA; ok = HTTP 200.
 *
 * It prints one RESULT line (see bench_stats.h) with requests/s of the
 * ok replies, failures and latency p50/p99, plus reconnects=N: the
 * connections opened during the timed phase, 0 when keep-alive held
 * (the warm-up request opens each thread's one connection).
 * It measures, it asserts nothing about speed; the exit status is 0 when
 * every request it sent got an ok reply (stopping early at --max-seconds
 * prints complete=no but is no failure), 1 otherwise, 2 on a usage error.
 *
 * build: cc -O2 -Wall -Wextra -Werror -pthread signbench.c \
 *            $(pkg-config --cflags --libs libcurl)   (see run.sh)
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_stats.h"

enum mode { MODE_UNIX_SIGN, MODE_HTTPS_STATUS };

struct opts {
	enum mode mode;
	const char *mode_name;
	unsigned threads;
	uint64_t requests;      /* per thread */
	double max_seconds;     /* a worker stops early past this */
	const char *socket_path;
	const char *key;
	const char *url;        /* https base, e.g. https://127.0.0.1:8443 */
	const char *cacert;
	char auth_header[256];  /* "Authorization: Bearer ..." */
};

struct worker {
	const struct opts *o;
	struct bench_gate *gate;
	unsigned id;
	double *lat_ms;         /* o->requests slots */
	uint64_t done, ok, failures;
	long connects;          /* new connections opened */
	int setup_failed, warmup_failed;
	char first_error[160];
};

struct buf {
	char data[4096];
	size_t len;
};

/* Keeps the first 4 KiB of a reply body: enough to check it. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n, room = sizeof(b->data) - 1 - b->len;

	if (len < room)
		room = len;
	memcpy(b->data + b->len, p, room);
	b->len += room;
	b->data[b->len] = '\0';
	return len;
}

static void note_error(struct worker *w, const char *fmt, long a,
		       const char *s)
{
	if (w->first_error[0] == '\0')
		snprintf(w->first_error, sizeof(w->first_error), fmt, a, s);
}

/* One request; returns 1 if the reply is the expected one. */
static int one(struct worker *w, CURL *c, struct buf *b, char *json,
	       uint64_t seq)
{
	long status = 0, conns = 0;
	CURLcode rc;

	if (w->o->mode == MODE_UNIX_SIGN) {
		/* A different digest each time, like real documents:
		   "digest":" is 11 bytes into the body template. */
		char hex[65];

		snprintf(hex, sizeof(hex), "%016x%016llx%032x", w->id + 1,
			 (unsigned long long)seq, 0x5eed);
		memcpy(json + 11, hex, 64);
	}
	b->len = 0;
	b->data[0] = '\0';
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
	if (w->o->mode == MODE_UNIX_SIGN &&
	    strstr(b->data, "\"signature\":\"") == NULL) {
		note_error(w, "HTTP %ld without a signature: %.100s", status,
			   b->data);
		return 0;
	}
	return 1;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	struct curl_slist *hdr = NULL, *h;
	struct buf b = { { 0 }, 0 };
	char url[512], json[160];
	CURL *c = curl_easy_init();
	double deadline;
	uint64_t i;

	if (c == NULL) {
		w->setup_failed = 1;
		bench_gate_wait(w->gate);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (o->mode == MODE_UNIX_SIGN) {
		/* The body is rewritten in place by one(); same length. */
		snprintf(json, sizeof(json),
			 "{\"digest\":\"%064d\",\"alg\":\"rsa-pkcs1\","
			 "\"hash\":\"sha256\"}", 0);
		snprintf(url, sizeof(url), "http://localhost/v1/keys/%s/sign",
			 o->key);
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, o->socket_path);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
		h = curl_slist_append(hdr, "Content-Type: application/json");
	} else {
		snprintf(url, sizeof(url), "%s/v1/status", o->url);
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
		h = curl_slist_append(hdr, o->auth_header);
	}
	if (h == NULL) {
		w->setup_failed = 1;
		curl_easy_cleanup(c);
		bench_gate_wait(w->gate);
		return NULL;
	}
	hdr = h;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);

	/* Warm-up: opens the connection (and the TLS session), untimed;
	   the timed phase should then open none. */
	if (!one(w, c, &b, json, UINT64_MAX))
		w->warmup_failed = 1;
	w->connects = 0;
	bench_gate_wait(w->gate);
	deadline = w->gate->t0 + o->max_seconds;
	for (i = 0; i < o->requests; i++) {
		double t = bench_now();

		if (t > deadline)
			break;
		if (one(w, c, &b, json, i)) {
			w->lat_ms[w->ok++] = (bench_now() - t) * 1e3;
		} else {
			w->failures++;
		}
		w->done++;
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: signbench --mode unix-sign --socket PATH [--key LABEL]\n"
		"                 [--threads T] [--requests N] [--max-seconds S]\n"
		"       signbench --mode https-status --url https://HOST:PORT\n"
		"                 --cacert FILE --token-file FILE\n"
		"                 [--threads T] [--requests N] [--max-seconds S]\n"
		"N is per thread. Prints one RESULT line; exit 1 if any "
		"request failed.\n");
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
		if (n > 0 && (size_t)snprintf(o->auth_header,
					      sizeof(o->auth_header),
					      "Authorization: Bearer %s", tok) <
				     sizeof(o->auth_header))
			rc = 0;
	}
	if (rc != 0)
		fprintf(stderr, "%s: no usable token\n", path);
	explicit_bzero(tok, sizeof(tok));
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { MODE_UNIX_SIGN, NULL, 1, 1000, 120, NULL,
			  "demo-seal", NULL, NULL, { 0 } };
	const char *token_file = NULL;
	struct worker *w = NULL;
	pthread_t *th = NULL;
	struct bench_gate gate;
	double *all = NULL, seconds, t_end;
	uint64_t v, ok = 0, failures = 0, done = 0;
	long reconnects = 0;
	size_t n = 0;
	unsigned i, started = 0, warmup_failures = 0, setup_failures = 0;
	int complete = 1, rc = 1, gate_ready = 0;
	char extra[256];

	for (int a = 1; a < argc; a++) {
		const char *k = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (val == NULL)
			return usage();
		a++;
		if (strcmp(k, "--mode") == 0) {
			o.mode_name = val;
			if (strcmp(val, "unix-sign") == 0)
				o.mode = MODE_UNIX_SIGN;
			else if (strcmp(val, "https-status") == 0)
				o.mode = MODE_HTTPS_STATUS;
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
		} else if (strcmp(k, "--max-seconds") == 0) {
			if (bench_parse_u64(val, 1, 3600, &v) != 0)
				return usage();
			o.max_seconds = (double)v;
		} else if (strcmp(k, "--socket") == 0) {
			o.socket_path = val;
		} else if (strcmp(k, "--key") == 0) {
			o.key = val;
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
	if (o.mode_name == NULL ||
	    (o.mode == MODE_UNIX_SIGN &&
	     (o.socket_path == NULL || strlen(o.key) > 64 ||
	      strspn(o.key, "abcdefghijklmnopqrstuvwxyz0123456789-_.") !=
		      strlen(o.key))) ||
	    (o.mode == MODE_HTTPS_STATUS &&
	     (o.url == NULL || strlen(o.url) > 400 || o.cacert == NULL ||
	      token_file == NULL)))
		return usage();
	if (o.mode == MODE_HTTPS_STATUS && load_token(&o, token_file) != 0)
		return 2;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "signbench: curl_global_init failed\n");
		goto out;
	}
	w = calloc(o.threads, sizeof(*w));
	th = calloc(o.threads, sizeof(*th));
	all = calloc(o.threads * o.requests, sizeof(*all));
	if (w == NULL || th == NULL || all == NULL) {
		fprintf(stderr, "signbench: out of memory\n");
		goto out;
	}
	bench_gate_init(&gate, o.threads);
	gate_ready = 1;
	for (i = 0; i < o.threads; i++) {
		w[i].o = &o;
		w[i].gate = &gate;
		w[i].id = i;
		w[i].lat_ms = all + (size_t)i * o.requests;
		if (pthread_create(&th[i], NULL, run, &w[i]) != 0) {
			fprintf(stderr, "signbench: pthread_create failed\n");
			break;
		}
		started++;
	}
	if (started < o.threads)
		bench_gate_force_open(&gate);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	t_end = bench_now();
	if (started < o.threads)
		goto out;
	seconds = t_end - gate.t0;

	for (i = 0; i < o.threads; i++) {
		/* Compact the latencies of the ok replies to the front. */
		memmove(all + n, w[i].lat_ms, w[i].ok * sizeof(*all));
		n += w[i].ok;
		ok += w[i].ok;
		failures += w[i].failures;
		done += w[i].done;
		reconnects += w[i].connects;
		if (w[i].setup_failed)
			setup_failures++;
		if (w[i].setup_failed || w[i].done < o.requests)
			complete = 0;
		if (w[i].warmup_failed)
			warmup_failures++;
		if (w[i].first_error[0] != '\0')
			fprintf(stderr, "signbench: thread %u: first failure: %s\n",
				i, w[i].first_error);
	}
	snprintf(extra, sizeof(extra), "reconnects=%ld", reconnects);
	bench_report("signbench", o.mode_name, o.threads, done, ok, failures,
		     seconds, all, n, complete, extra);
	/* Running into --max-seconds is not a failure: the rate stands. */
	rc = failures == 0 && warmup_failures == 0 && setup_failures == 0 ? 0
									  : 1;
out:
	if (gate_ready)
		bench_gate_destroy(&gate);
	free(all);
	free(th);
	free(w);
	curl_global_cleanup();
	explicit_bzero(o.auth_header, sizeof(o.auth_header));
	return rc;
}
