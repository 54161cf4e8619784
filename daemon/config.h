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

/* A certificate profile of the CPS (docs/config.md "Profiles"): what the
 * registration authority issues for an individual or a seal. */
struct esd_profile {
	char key_type[16];            /* rsa2048 | rsa3072 | ec-p256 */
	uint64_t days;                /* certificate validity */
	char policies[256];           /* certificatePolicies OIDs, comma-separated */
	char subject[256];            /* template: {name} {org} {unit} {nik} */
	char eku[256];                /* extendedKeyUsage: names or OIDs,
				       * comma-separated; "" = none */
	char roles[64];               /* client roles that may register under
				       * it, comma-separated */
	char cps_url[256];            /* CPS URI of the first policy; "" = none */
	char key_usage[128];          /* keyUsage names (critical) */
	int qc_statements;            /* ETSI EN 319 412-5 QCStatements */
	int qualified;                /* ... with QcCompliance */
	char pds_url[256];            /* QcPDS (English); "" = none */
};

struct esd_config {
	char path[PATH_MAX];          /* the file this came from */
	char pkcs11_module[PATH_MAX];
	char token_label[33];
	char pin_file[PATH_MAX];
	char softhsm_conf[PATH_MAX];  /* "" = leave SOFTHSM2_CONF alone */
	char state_dir[PATH_MAX];     /* LMDB environment, spool */
	char store[1024];             /* "" = LMDB in state_dir; "lmdb:PATH",
				       * "postgresql://…" or a libpq keyword
				       * string (docs/cluster.md) */
	char https_listen[128];       /* "host:port", "" = no HTTPS */
	char tls_cert[PATH_MAX];
	char tls_key[PATH_MAX];
	char tls_client_ca[512];      /* mutual TLS on HTTPS: "" = off */
	char unix_socket[PATH_MAX];   /* "" = no Unix socket */
	char user[64];                /* front runs as this when started as root */
	char trust_anchors[PATH_MAX]; /* PEM CA certificates for verification */
	char tsa_policy[65];          /* TSA policy OID; "" = the demo one */
	char tsa_url[256];            /* B-T stamps from this outside TSA;
				       * "" = the appliance's own */
	char tsa_ca_file[512];        /* CAs for its HTTPS certificate */
	uid_t admin_uids[CONF_MAX_UIDS];
	size_t n_admin_uids;
	uint64_t max_body;            /* bytes */
	uint64_t max_connections;
	uint64_t max_connections_per_ip; /* HTTPS, per client address */
	uint64_t max_header_size;     /* bytes of request line + headers */
	uint64_t rate_limit;          /* requests/s per client, 0 = none */
	uint64_t rate_burst;          /* bucket size */
	uint64_t request_timeout;     /* seconds */
	uint64_t header_timeout;      /* seconds for a whole request header
				       * block (and the TLS handshake) */
	uint64_t body_min_rate;       /* bytes/s a body must average after
				       * header_timeout seconds; 0 = none */
	uint64_t connection_reserve;  /* of max_connections, slots kept for
				       * addresses holding few connections */
	uint64_t keeper_timeout;      /* seconds the front waits for the keeper */
	uint64_t keeper_threads;      /* 0 = number of cores */
	uint64_t drain_timeout;       /* seconds */
	uint64_t lmdb_map_size;       /* bytes */
	uint64_t audit_checkpoint_records; /* sign a checkpoint every N records */
	uint64_t audit_checkpoint_seconds; /* ... or after this many seconds */
	int log_level;
	char log_format[8];           /* "text" or "json" */
	int seccomp;                  /* confine the front (default on) */
	int require_synced_clock;     /* refuse to sign on an unsynced clock */
	uint64_t max_clock_error_ms;  /* ... or one whose error bound is larger */

	/* Registration authority (docs/ra.md). */
	char console_url[256];        /* base of the activation link;
				       * "" = https://<https_listen> */
	char public_listen[128];      /* "host:port" of the plain-HTTP
				       * distribution point; "" = none */
	char pki_base_url[256];       /* CDP/AIA/OCSP URLs of issued certificates;
				       * "" = http://<public_listen>, or
				       * https://<https_listen> without one */
	struct esd_profile profile_individual, profile_seal;
	char ra_issuing_ca[65];       /* key issuing subscribers' certificates;
				       * "" = the first with purpose issuing-ca */
	uint64_t activation_hours;    /* lifetime of an emailed activation code */
	uint64_t passphrase_min_length;
	uint64_t password_min_quality;   /* libpwquality score, 0..100 */
	uint64_t argon2_opslimit;     /* Argon2id passes (crypto_pwhash) */
	uint64_t argon2_memlimit_kib; /* and memory, KiB */
	uint64_t auth_max_failures;   /* wrong passphrases or codes before a lock */
	uint64_t auth_lock_seconds;   /* an individual's lock; a seal's lasts
				       * until a verifier unlocks it */
	uint64_t seal_activation_hours; /* a seal activation's lifetime */
	uint64_t seal_code_max_documents; /* documents one seal code may seal */
	uint64_t seal_code_max_seconds;   /* and its lifetime */
	uint64_t bsre_retention_seconds;  /* signed results kept for download */
	char bsre_level[8];           /* level of the BSrE routes' signatures:
				       * B-B, B-T, B-LT or B-LTA */
	uint64_t session_idle_seconds;    /* a login session ends when idle */
	uint64_t session_max_seconds;     /* ... or this long after login */
	uint64_t sla_individual_days, sla_seal_days; /* working days */
	uint64_t sla_renewal_days, sla_revocation_days;
	uint64_t sla_utc_offset_minutes; /* the calendar's time zone, east of UTC */
	char sla_holidays[512];       /* file of YYYY-MM-DD lines; "" = none */
	/* Mail: the outbox is delivered over SMTP or into a maildir. */
	char mail_from[128];
	char smtp_url[256];           /* smtp://host:port or smtps://... */
	char smtp_user[128];
	char smtp_password_file[512];
	int smtp_require_tls;         /* STARTTLS required on smtp:// */
	char smtp_ca_file[512];       /* CAs for the server's certificate;
				       * "" = the system's */
	char mail_maildir[512];       /* used when smtp_url is "" */
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

/* Where the state lives: store if set, else state_dir (LMDB). */
const char *config_store(const struct esd_config *c);

#endif
