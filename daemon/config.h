/*
 * esignd.conf: "key = value" lines, '#' starts a comment. Every key is
 * documented in docs/config.md. Relative paths are resolved against the
 * directory of the config file. Errors name the file and line.
 */
#ifndef ESD_DAEMON_CONFIG_H
#define ESD_DAEMON_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONF_MAX_UIDS 16

struct esd_config {
	char path[PATH_MAX];          /* the file this came from */
	char pkcs11_module[PATH_MAX];
	char token_label[33];
	char pin_file[PATH_MAX];
	char softhsm_conf[PATH_MAX];  /* "" = leave SOFTHSM2_CONF alone */
	char state_dir[PATH_MAX];     /* LMDB environment */
	char https_listen[128];       /* "host:port", "" = no HTTPS */
	char tls_cert[PATH_MAX];
	char tls_key[PATH_MAX];
	char unix_socket[PATH_MAX];   /* "" = no Unix socket */
	char user[64];                /* front runs as this when started as root */
	char trust_anchors[PATH_MAX]; /* PEM CA certificates for verification */
	char tsa_policy[65];          /* TSA policy OID; "" = the demo one */
	uid_t admin_uids[CONF_MAX_UIDS];
	size_t n_admin_uids;
	uint64_t max_body;            /* bytes */
	uint64_t max_connections;
	uint64_t max_connections_per_ip; /* HTTPS, per client address */
	uint64_t max_header_size;     /* bytes of request line + headers */
	uint64_t rate_limit;          /* requests/s per client, 0 = none */
	uint64_t rate_burst;          /* bucket size */
	uint64_t request_timeout;     /* seconds */
	uint64_t keeper_timeout;      /* seconds the front waits for the keeper */
	uint64_t keeper_threads;      /* 0 = number of cores */
	uint64_t drain_timeout;       /* seconds */
	uint64_t lmdb_map_size;       /* bytes */
	uint64_t audit_checkpoint_records; /* sign a checkpoint every N records */
	uint64_t audit_checkpoint_seconds; /* ... or after this many seconds */
	int log_level;
	int seccomp;                  /* confine the front (default on) */
	int require_synced_clock;     /* refuse to sign on an unsynced clock */
	uint64_t max_clock_error_ms;  /* ... or one whose error bound is larger */
};

/* Fills c with the defaults (docs/config.md). */
void config_defaults(struct esd_config *c);

/*
 * Parses the file at path into c (defaults first). On error returns
 * ESD_ECONFIG and writes "FILE:LINE: what" into err (errlen bytes); c is
 * then unspecified.
 */
int config_load(const char *path, struct esd_config *c, char *err,
		size_t errlen);

/* The same, from a buffer; base is the directory for relative paths. */
int config_parse(const char *text, size_t len, const char *name,
		 const char *base, struct esd_config *c, char *err,
		 size_t errlen);

#endif
