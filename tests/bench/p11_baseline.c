/*
 * p11_baseline: raw C_Sign throughput of one token key, one PKCS#11
 * session per thread: the physical limit of any appliance on that token.
 *
 * Made for an esignd instance: the token is found by its label (not slot
 * index 0), the user PIN comes from the instance's pin file (not a
 * hard-coded one), every return value is checked, and the input is the
 * SHA-256 DigestInfo that esignd's rsa-pkcs1/sha256 signing hands the
 * token (for an EC key, CKM_ECDSA over the digest, as its ecdsa/sha256
 * does), so the raw and the daemon figures are the same token operation.
 * Per-call latencies are kept, and the RESULT line is the one signbench
 * prints (bench_stats.h), with client_cpu_ms: this process's CPU per
 * signature from the start barrier on (for a software token, the token's
 * own CPU per signature).
 *
 * run: SOFTHSM2_CONF=DIR/softhsm2.conf p11_baseline --token esignd \
 *        --pin-file DIR/pin --key demo-seal --threads T --signs N
 *      [--module /usr/lib/softhsm/libsofthsm2.so] [--max-seconds S]
 * N is per thread. Exit 0 if every C_Sign succeeded (stopping early at
 * --max-seconds prints complete=no but is no failure), 1 otherwise, 2 on
 * a usage error.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "bench_stats.h"

#define MAX_THREADS 64

struct opts {
	const char *module, *token, *pin_file, *key;
	unsigned threads;
	uint64_t signs;         /* per thread */
	double max_seconds;
};

struct worker {
	const struct opts *o;
	struct bench_gate *gate;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	unsigned id;
	double *lat_ms;
	uint64_t done, ok, failures;
	CK_RV first_rv;
	const char *first_call;
};

/* DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2, note 1). */
static const CK_BYTE sha256_prefix[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
};

static void fail(struct worker *w, const char *call, CK_RV rv)
{
	if (w->first_call == NULL) {
		w->first_call = call;
		w->first_rv = rv;
	}
}

/* Opens a session on the slot and finds the private key by label. */
static int find_key(struct worker *w, CK_SESSION_HANDLE *s,
		    CK_OBJECT_HANDLE *key)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)w->o->key, strlen(w->o->key) },
	};
	CK_ULONG n = 0;
	CK_RV rv;

	rv = w->f->C_OpenSession(w->slot, CKF_SERIAL_SESSION, NULL, NULL, s);
	if (rv != CKR_OK) {
		fail(w, "C_OpenSession", rv);
		return -1;
	}
	rv = w->f->C_FindObjectsInit(*s, tmpl, 2);
	if (rv == CKR_OK) {
		rv = w->f->C_FindObjects(*s, key, 1, &n);
		w->f->C_FindObjectsFinal(*s);
	}
	if (rv != CKR_OK || n != 1) {
		fail(w, "C_FindObjects (private key by label)",
		     rv != CKR_OK ? rv : CKR_KEY_HANDLE_INVALID);
		w->f->C_CloseSession(*s);
		return -1;
	}
	return 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	CK_MECHANISM mech = { CKM_RSA_PKCS, NULL, 0 };
	CK_BYTE in[sizeof(sha256_prefix) + 32], sig[1024], *tbs = in;
	CK_ULONG tbs_len = sizeof(in);
	CK_KEY_TYPE kt = CKK_RSA;
	CK_ATTRIBUTE ka = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_ULONG siglen;
	CK_RV rv;
	double deadline;
	int have = find_key(w, &s, &key) == 0;
	uint64_t i;

	memcpy(in, sha256_prefix, sizeof(sha256_prefix));
	/* An EC key signs the digest itself (CKM_ECDSA), as esignd's
	 * ecdsa/sha256 hands it to the token. */
	if (have && w->f->C_GetAttributeValue(s, key, &ka, 1) == CKR_OK &&
	    kt == CKK_EC) {
		mech.mechanism = CKM_ECDSA;
		tbs = in + sizeof(sha256_prefix);
		tbs_len = 32;
	}
	bench_gate_wait(w->gate);
	deadline = w->gate->t0 + w->o->max_seconds;
	for (i = 0; have && i < w->o->signs; i++) {
		double t = bench_now();

		if (t > deadline)
			break;
		/* A different digest each time, as the daemon run does. */
		memset(in + sizeof(sha256_prefix), 0, 32);
		memcpy(in + sizeof(sha256_prefix), &w->id, sizeof(w->id));
		memcpy(in + sizeof(sha256_prefix) + 8, &i, sizeof(i));
		siglen = sizeof(sig);
		rv = w->f->C_SignInit(s, &mech, key);
		if (rv == CKR_OK)
			rv = w->f->C_Sign(s, tbs, tbs_len, sig, &siglen);
		if (rv == CKR_OK) {
			w->lat_ms[w->ok++] = (bench_now() - t) * 1e3;
		} else {
			fail(w, "C_SignInit/C_Sign", rv);
			w->failures++;
		}
		w->done++;
	}
	if (have)
		w->f->C_CloseSession(s);
	return NULL;
}

/* Finds the slot whose token label (padded to 32) is `label`. */
static int find_slot(CK_FUNCTION_LIST_PTR f, const char *label,
		     CK_SLOT_ID *out)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	size_t len = strlen(label), j;

	if (len > sizeof(ti.label) || f->C_GetSlotList(CK_TRUE, slots, &n) !=
						  CKR_OK)
		return -1;
	for (i = 0; i < n; i++) {
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (memcmp(ti.label, label, len) != 0)
			continue;
		/* PKCS#11 pads with blanks; libp11's PKCS11_init_token (which
		   `esignctl init` uses) leaves NULs: accept either. */
		j = len;
		while (j < sizeof(ti.label) &&
		       (ti.label[j] == ' ' || ti.label[j] == '\0'))
			j++;
		if (j == sizeof(ti.label)) {
			*out = slots[i];
			return 0;
		}
	}
	return -1;
}

/* Reads the PIN (first line of the file) into pin; returns its length. */
static long read_pin(const char *path, char *pin, size_t size)
{
	FILE *fp = fopen(path, "r");
	long n = -1;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	if (fgets(pin, (int)size, fp) != NULL) {
		n = (long)strcspn(pin, "\r\n");
		pin[n] = '\0';
	}
	fclose(fp);
	return n > 0 ? n : -1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: p11_baseline --token LABEL --pin-file FILE --key LABEL\n"
		"                    [--threads T] [--signs N] [--max-seconds S]\n"
		"                    [--module LIB]\n"
		"N is per thread; SOFTHSM2_CONF selects a SoftHSM2 token "
		"directory.\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = { "/usr/lib/softhsm/libsofthsm2.so", NULL, NULL, NULL,
			  1, 1000, 120 };
	CK_C_INITIALIZE_ARGS ia;
	CK_C_GetFunctionList get_list;
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SESSION_HANDLE login = CK_INVALID_HANDLE;
	CK_SLOT_ID slot;
	CK_RV rv;
	struct worker w[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	struct bench_gate gate;
	double *all = NULL, t_end, cpu0, cpu1;
	char extra[64];
	uint64_t v, ok = 0, failures = 0, done = 0;
	size_t n = 0;
	unsigned i, started = 0;
	int rc = 1, complete = 1, initialized = 0, gate_ready = 0;
	int setup_failed = 0;
	void *lib = NULL;
	char pin[256];
	long pin_len;

	for (int a = 1; a < argc; a++) {
		const char *k = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (val == NULL)
			return usage();
		a++;
		if (strcmp(k, "--module") == 0)
			o.module = val;
		else if (strcmp(k, "--token") == 0)
			o.token = val;
		else if (strcmp(k, "--pin-file") == 0)
			o.pin_file = val;
		else if (strcmp(k, "--key") == 0)
			o.key = val;
		else if (strcmp(k, "--threads") == 0 &&
			 bench_parse_u64(val, 1, MAX_THREADS, &v) == 0)
			o.threads = (unsigned)v;
		else if (strcmp(k, "--signs") == 0 &&
			 bench_parse_u64(val, 1, 10000000, &v) == 0)
			o.signs = v;
		else if (strcmp(k, "--max-seconds") == 0 &&
			 bench_parse_u64(val, 1, 3600, &v) == 0)
			o.max_seconds = (double)v;
		else
			return usage();
	}
	if (o.token == NULL || o.pin_file == NULL || o.key == NULL)
		return usage();

	lib = dlopen(o.module, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "p11_baseline: %s\n", dlerror());
		goto out;
	}
	/* POSIX allows this conversion for dlsym results. */
	*(void **)&get_list = dlsym(lib, "C_GetFunctionList");
	if (get_list == NULL || get_list(&f) != CKR_OK) {
		fprintf(stderr, "p11_baseline: %s: no C_GetFunctionList\n",
			o.module);
		goto out;
	}
	memset(&ia, 0, sizeof(ia));
	ia.flags = CKF_OS_LOCKING_OK;
	rv = f->C_Initialize(&ia);
	if (rv != CKR_OK) {
		fprintf(stderr, "p11_baseline: C_Initialize: 0x%lx\n", rv);
		goto out;
	}
	initialized = 1;
	if (find_slot(f, o.token, &slot) != 0) {
		fprintf(stderr, "p11_baseline: no token labelled '%s'\n",
			o.token);
		goto out;
	}
	/* The login state is the application's: one login serves every
	   session the workers open. */
	pin_len = read_pin(o.pin_file, pin, sizeof(pin));
	rv = pin_len < 0 ? CKR_PIN_INCORRECT
			 : f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL,
					    NULL, &login);
	if (rv == CKR_OK)
		rv = f->C_Login(login, CKU_USER, (CK_UTF8CHAR_PTR)pin,
				(CK_ULONG)pin_len);
	explicit_bzero(pin, sizeof(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		fprintf(stderr, "p11_baseline: login to '%s' failed: 0x%lx\n",
			o.token, rv);
		goto out;
	}

	all = calloc((size_t)o.threads * o.signs, sizeof(*all));
	if (all == NULL) {
		fprintf(stderr, "p11_baseline: out of memory\n");
		goto out;
	}
	memset(w, 0, sizeof(w));
	bench_gate_init(&gate, o.threads);
	gate_ready = 1;
	for (i = 0; i < o.threads; i++) {
		w[i].o = &o;
		w[i].gate = &gate;
		w[i].f = f;
		w[i].slot = slot;
		w[i].id = i;
		w[i].lat_ms = all + (size_t)i * o.signs;
		if (pthread_create(&th[i], NULL, run, &w[i]) != 0) {
			fprintf(stderr, "p11_baseline: pthread_create failed\n");
			break;
		}
		started++;
	}
	if (started < o.threads)
		bench_gate_force_open(&gate);
	/* CPU from the gate on: the sessions' set-up is left out. */
	bench_gate_await(&gate);
	cpu0 = bench_cpu_seconds();
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	t_end = bench_now();
	cpu1 = bench_cpu_seconds();
	if (started < o.threads)
		goto out;

	for (i = 0; i < o.threads; i++) {
		memmove(all + n, w[i].lat_ms, w[i].ok * sizeof(*all));
		n += w[i].ok;
		ok += w[i].ok;
		failures += w[i].failures;
		done += w[i].done;
		if (w[i].done < o.signs)
			complete = 0;
		if (w[i].first_call != NULL && w[i].failures == 0)
			setup_failed = 1;
		if (w[i].first_call != NULL)
			fprintf(stderr, "p11_baseline: thread %u: %s failed: "
				"0x%lx\n", i, w[i].first_call, w[i].first_rv);
	}
	snprintf(extra, sizeof(extra), "client_cpu_ms=%.3f",
		 ok > 0 ? (cpu1 - cpu0) * 1e3 / (double)ok : 0.0);
	bench_report("p11_baseline", "raw-c-sign", o.threads, done, ok,
		     failures, t_end - gate.t0, all, n, complete, extra);
	/* Running into --max-seconds is not a failure: the rate stands. */
	rc = failures == 0 && !setup_failed ? 0 : 1;
out:
	if (gate_ready)
		bench_gate_destroy(&gate);
	free(all);
	if (login != CK_INVALID_HANDLE) {
		f->C_Logout(login);
		f->C_CloseSession(login);
	}
	if (initialized)
		f->C_Finalize(NULL);
	if (lib != NULL)
		dlclose(lib);
	return rc;
}
