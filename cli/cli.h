/* esignctl internals. Exit codes are documented in docs/esignctl.md. */
#ifndef ESD_CLI_H
#define ESD_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,     /* the daemon answered with a 4xx error */
	EXIT_USAGE = 2,       /* bad command line */
	EXIT_UNAVAILABLE = 3, /* daemon unreachable or a 5xx answer */
	EXIT_LOCAL = 4,       /* a local failure (files, token during init) */
};

struct init_opts {
	const char *dir;
	unsigned https_port;
	unsigned http_port;    /* the distribution point; 0 = https_port + 1 */
	int show_pins;
	const char *module;
	/* The configuration esignctl and the daemon read (-c, $ESIGND_CONF,
	 * /etc/esignd/esignd.conf). When its state_dir is DIR/state, the
	 * instance is made for it: no DIR/esignd.conf is written, and what
	 * init prints names that file (docs/packaging.md). */
	const char *conf;
	int https_port_given;  /* --https-port, else the conf's https_listen */
	/* --store postgresql://…: the state goes into that database (the
	 * first node of a cluster, docs/cluster.md), which must be empty;
	 * NULL: LMDB in DIR/state. */
	const char *store;
};

/* Removes dir and everything below it (init.c). */
void cli_rm_tree(const char *dir);

/* esignctl init: creates a self-contained instance in o->dir. */
int cli_init(const struct init_opts *o);

/*
 * One HTTP request over the Unix socket. body may be NULL. On return,
 * *status is the HTTP status and *out the parsed JSON answer (or NULL).
 * Returns 0, or EXIT_UNAVAILABLE when the socket cannot be reached.
 */
int cli_http(const char *sock, const char *method, const char *path,
	     const char *body, long *status, json_t **out);

/* ops.c: backup, restore and diagnostics (docs/operations.md). */
int cli_backup(const char *conf, const char *out);
int cli_restore(const char *from, const char *dir);
int cli_diag(const char *conf, const char *sock, const char *out,
	     const char *log);
int cli_store_migrate(const char *conf, const char *where);
int cli_store_copy(const char *from, const char *to);

/* A reply body collected by libcurl (CURLOPT_WRITEFUNCTION cli_body_append,
 * CURLOPT_WRITEDATA a struct cli_body): NUL-terminated, at most max
 * bytes (the transfer fails past it); p is malloc'd. */
struct cli_body {
	char *p;
	size_t len, max;
};
size_t cli_body_append(char *d, size_t sz, size_t n, void *arg);

/* A bearer token cli_http sends (NULL: none, the peer credential). */
extern const char *cli_bearer;

/* The daemon's socket: sock if given, else unix_socket of conf (or of
 * $ESIGND_CONF, or /etc/esignd/esignd.conf), into out. */
int cli_socket(const char *sock, const char *conf, char *out, size_t cap);

/* textpdf.c: an A4 PDF of Helvetica text lines (printable ASCII; other
 * bytes print as '?'), 48 lines a page; *out is malloc'd. */
int cli_text_pdf(const char *const *lines, size_t n, uint8_t **out,
		 size_t *len);

/* conformance.c: runs "conformance run" if argv names it (*handled = 1);
 * returns its exit code (docs/conformance.md). */
int cli_conformance_main(int argc, char **argv, int *handled);

/* Runs a registration-authority or client command if argv names one
 * (*handled = 1); returns its exit code. */
int cli_ra_main(int argc, char **argv, int *handled);

#endif
