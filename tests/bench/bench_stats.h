/*
 * Shared by signbench.c and p11_baseline.c: a monotonic clock, a
 * start barrier, checked number parsing and the one result line both
 * programs print, so run.sh parses a single format:
 *
 *   RESULT tool=T mode=M threads=N requests=N ok=N failures=N
 *          seconds=F rps=F p50_ms=F p99_ms=F mean_ms=F complete=yes|no
 *          [extra...]
 *
 * (on one line). requests counts the timed requests sent, rps is ok
 * replies per second of wall time, the latencies are those of the ok
 * replies, and complete=no says a worker stopped at --max-seconds.
 * Header-only: the benchmark is built with cc from run.sh, not through
 * meson.
 */
#ifndef ESD_BENCH_STATS_H
#define ESD_BENCH_STATS_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The process's CPU time so far (user and system, all threads), s. */
static inline double bench_cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Parses a decimal in [min, max]; returns 0 or -1. */
static inline int bench_parse_u64(const char *s, uint64_t min, uint64_t max,
				  uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* All workers wait here after their warm-up so that they start together. */
struct bench_gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned waiting, total;
	int open;
	double t0;
};

static inline void bench_gate_init(struct bench_gate *g, unsigned total)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->waiting = 0;
	g->total = total;
	g->open = 0;
	g->t0 = 0;
}

static inline void bench_gate_destroy(struct bench_gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

/* Blocks until `total` threads arrived; the last one starts the clock. */
static inline void bench_gate_wait(struct bench_gate *g)
{
	pthread_mutex_lock(&g->mu);
	if (++g->waiting == g->total) {
		g->open = 1;
		g->t0 = bench_now();
		pthread_cond_broadcast(&g->cv);
	}
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* Blocks until the gate is open, without counting as a worker (the
 * main thread, to start its CPU clock with the workers'). */
static inline void bench_gate_await(struct bench_gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* Releases the waiting threads when not all of them could be started. */
static inline void bench_gate_force_open(struct bench_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = 1;
	g->t0 = bench_now();
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array; 0 for an empty one. */
static inline double bench_pct(const double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/*
 * Sorts lat_ms (n latencies of completed requests, in ms) in place and
 * prints the RESULT line; `extra` is appended as is (may be "").
 */
static inline void bench_report(const char *tool, const char *mode,
				unsigned threads, uint64_t requests,
				uint64_t ok, uint64_t failures, double seconds,
				double *lat_ms, size_t n, int complete,
				const char *extra)
{
	double sum = 0;
	size_t i;

	qsort(lat_ms, n, sizeof(*lat_ms), bench_cmp_double);
	for (i = 0; i < n; i++)
		sum += lat_ms[i];
	printf("RESULT tool=%s mode=%s threads=%u requests=%llu ok=%llu "
	       "failures=%llu seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f "
	       "mean_ms=%.3f complete=%s%s%s\n",
	       tool, mode, threads, (unsigned long long)requests,
	       (unsigned long long)ok, (unsigned long long)failures, seconds,
	       seconds > 0 ? (double)ok / seconds : 0.0,
	       bench_pct(lat_ms, n, 50), bench_pct(lat_ms, n, 99),
	       n > 0 ? sum / (double)n : 0.0, complete ? "yes" : "no",
	       extra[0] ? " " : "", extra);
	fflush(stdout);
}

#endif
