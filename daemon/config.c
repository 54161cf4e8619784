#include <ctype.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/config.h"

enum ctype { C_STR, C_PATH, C_U64, C_UIDS, C_LOGLEVEL, C_BOOL, C_KEYTYPE };

struct key {
	const char *name;
	enum ctype type;
	size_t off;
	size_t size;     /* string capacity */
	uint64_t min, max;
};

#define S(f, t) #f, t, offsetof(struct esd_config, f), sizeof(((struct esd_config *)0)->f)
static const struct key keys[] = {
	{ S(pkcs11_module, C_PATH), 0, 0 },
	{ S(token_label, C_STR), 0, 0 },
	{ S(pin_file, C_PATH), 0, 0 },
	{ S(softhsm_conf, C_PATH), 0, 0 },
	{ S(state_dir, C_PATH), 0, 0 },
	{ S(store, C_STR), 0, 0 },
	{ S(https_listen, C_STR), 0, 0 },
	{ S(tls_cert, C_PATH), 0, 0 },
	{ S(tls_key, C_PATH), 0, 0 },
	{ S(tls_client_ca, C_PATH), 0, 0 },
	{ S(unix_socket, C_PATH), 0, 0 },
	{ S(user, C_STR), 0, 0 },
	{ S(trust_anchors, C_PATH), 0, 0 },
	{ S(tsa_policy, C_STR), 0, 0 },
	{ S(tsa_url, C_STR), 0, 0 },
	{ S(tsa_ca_file, C_PATH), 0, 0 },
	{ S(admin_uids, C_UIDS), 0, 0 },
	{ S(max_body, C_U64), 1024, 1ull << 32 },
	{ S(max_connections, C_U64), 1, 100000 },
	{ S(max_connections_per_ip, C_U64), 1, 100000 },
	{ S(max_header_size, C_U64), 4096, 1 << 20 },
	{ S(rate_limit, C_U64), 0, 1000000 },
	{ S(rate_burst, C_U64), 1, 1000000 },
	{ S(request_timeout, C_U64), 1, 3600 },
	{ S(header_timeout, C_U64), 1, 3600 },
	{ S(body_min_rate, C_U64), 0, 1ull << 30 },
	{ S(connection_reserve, C_U64), 0, 100000 },
	{ S(keeper_timeout, C_U64), 1, 600 },
	{ S(keeper_threads, C_U64), 0, 64 },
	{ S(drain_timeout, C_U64), 0, 3600 },
	{ S(lmdb_map_size, C_U64), 1 << 20, 1ull << 40 },
	{ S(audit_checkpoint_records, C_U64), 1, 1000000 },
	{ S(audit_checkpoint_seconds, C_U64), 1, 86400 },
	{ S(log_level, C_LOGLEVEL), 0, 0 },
	{ S(log_format, C_STR), 0, 0 },
	{ S(seccomp, C_BOOL), 0, 0 },
	{ S(require_synced_clock, C_BOOL), 0, 0 },
	{ S(max_clock_error_ms, C_U64), 1, 3600000 },
	{ S(pki_base_url, C_STR), 0, 0 },
	{ S(public_listen, C_STR), 0, 0 },
	{ S(console_url, C_STR), 0, 0 },
	{ S(ra_issuing_ca, C_STR), 0, 0 },
	{ S(activation_hours, C_U64), 1, 24 * 365 },
	{ S(passphrase_min_length, C_U64), 8, 256 },
	{ S(password_min_quality, C_U64), 0, 100 },
	{ S(argon2_opslimit, C_U64), 1, 64 },
	{ S(argon2_memlimit_kib, C_U64), 8, 4u << 20 },
	{ S(auth_max_failures, C_U64), 1, 100 },
	{ S(auth_lock_seconds, C_U64), 1, 86400 * 30 },
	{ S(seal_activation_hours, C_U64), 1, 24 * 366 },
	{ S(seal_code_max_documents, C_U64), 1, 1000000 },
	{ S(seal_code_max_seconds, C_U64), 1, 86400 * 7 },
	{ S(bsre_retention_seconds, C_U64), 0, 86400 * 30 },
	{ S(bsre_level, C_STR), 0, 0 },
	{ S(session_idle_seconds, C_U64), 5, 86400 },
	{ S(session_max_seconds, C_U64), 5, 86400 * 7 },
	{ S(sla_individual_days, C_U64), 1, 365 },
	{ S(sla_seal_days, C_U64), 1, 365 },
	{ S(sla_renewal_days, C_U64), 1, 365 },
	{ S(sla_revocation_days, C_U64), 1, 365 },
	{ S(sla_utc_offset_minutes, C_U64), 0, 14 * 60 },
	{ S(sla_holidays, C_PATH), 0, 0 },
	{ S(mail_from, C_STR), 0, 0 },
	{ S(smtp_url, C_STR), 0, 0 },
	{ S(smtp_user, C_STR), 0, 0 },
	{ S(smtp_password_file, C_PATH), 0, 0 },
	{ S(smtp_require_tls, C_BOOL), 0, 0 },
	{ S(smtp_ca_file, C_PATH), 0, 0 },
	{ S(mail_maildir, C_PATH), 0, 0 },
#define P(n, f, t) "profile." #n "." #f, t, \
	offsetof(struct esd_config, profile_##n.f), \
	sizeof(((struct esd_config *)0)->profile_##n.f)
	{ P(individual, key_type, C_KEYTYPE), 0, 0 },
	{ P(individual, days, C_U64), 1, 36500 },
	{ P(individual, policies, C_STR), 0, 0 },
	{ P(individual, subject, C_STR), 0, 0 },
	{ P(individual, eku, C_STR), 0, 0 },
	{ P(individual, roles, C_STR), 0, 0 },
	{ P(individual, cps_url, C_STR), 0, 0 },
	{ P(individual, key_usage, C_STR), 0, 0 },
	{ P(individual, qc_statements, C_BOOL), 0, 0 },
	{ P(individual, qualified, C_BOOL), 0, 0 },
	{ P(individual, pds_url, C_STR), 0, 0 },
	{ P(seal, key_type, C_KEYTYPE), 0, 0 },
	{ P(seal, days, C_U64), 1, 36500 },
	{ P(seal, policies, C_STR), 0, 0 },
	{ P(seal, subject, C_STR), 0, 0 },
	{ P(seal, eku, C_STR), 0, 0 },
	{ P(seal, roles, C_STR), 0, 0 },
	{ P(seal, cps_url, C_STR), 0, 0 },
	{ P(seal, key_usage, C_STR), 0, 0 },
	{ P(seal, qc_statements, C_BOOL), 0, 0 },
	{ P(seal, qualified, C_BOOL), 0, 0 },
	{ P(seal, pds_url, C_STR), 0, 0 },
#undef P
};
#undef S

void config_defaults(struct esd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->pkcs11_module, sizeof(c->pkcs11_module),
		 "/usr/lib/softhsm/libsofthsm2.so");
	snprintf(c->token_label, sizeof(c->token_label), "esignd");
	snprintf(c->https_listen, sizeof(c->https_listen), "127.0.0.1:8443");
	snprintf(c->user, sizeof(c->user), "nobody");
	c->admin_uids[0] = 0;
	c->n_admin_uids = 1;
	c->max_body = 64ull << 20;
	c->max_connections = 1024;
	c->max_connections_per_ip = 128;
	c->max_header_size = 32768;
	c->rate_limit = 0;
	c->rate_burst = 100;
	c->request_timeout = 60;
	c->header_timeout = 20;
	c->body_min_rate = 1024;
	c->connection_reserve = 64;
	c->keeper_timeout = 30;
	c->keeper_threads = 0;
	c->drain_timeout = 30;
	c->lmdb_map_size = 1ull << 30;
	c->audit_checkpoint_records = 1000;
	c->audit_checkpoint_seconds = 60;
	c->log_level = LOG_LVL_INFO;
	snprintf(c->log_format, sizeof(c->log_format), "text");
	c->seccomp = 1;
	c->require_synced_clock = 0;
	c->max_clock_error_ms = 1000;
	c->activation_hours = 72;
	c->passphrase_min_length = 10;
	c->password_min_quality = 50;
	c->argon2_opslimit = 2;           /* crypto_pwhash_OPSLIMIT_INTERACTIVE */
	c->argon2_memlimit_kib = 64 * 1024; /* crypto_pwhash_MEMLIMIT_INTERACTIVE */
	c->auth_max_failures = 5;
	c->auth_lock_seconds = 900;
	c->seal_activation_hours = 24 * 30;
	c->seal_code_max_documents = 10000;
	c->seal_code_max_seconds = 3600;
	c->bsre_retention_seconds = 3600;
	/* BSrE's service timestamps its signatures. */
	snprintf(c->bsre_level, sizeof(c->bsre_level), "B-T");
	c->session_idle_seconds = 900;
	c->session_max_seconds = 8 * 3600;
	c->sla_individual_days = 3;
	c->sla_seal_days = 4;
	c->sla_renewal_days = 3;
	c->sla_revocation_days = 1;
	c->sla_utc_offset_minutes = 7 * 60;
	snprintf(c->mail_from, sizeof(c->mail_from), "esignd@localhost");
	c->smtp_require_tls = 1;
	snprintf(c->profile_individual.key_type,
		 sizeof(c->profile_individual.key_type), "rsa2048");
	c->profile_individual.days = 730;
	snprintf(c->profile_individual.roles, sizeof(c->profile_individual.roles),
		 "verifier");
	snprintf(c->profile_individual.subject,
		 sizeof(c->profile_individual.subject),
		 "/C=ID/O={org}/OU={unit}/CN={name}");
	snprintf(c->profile_seal.key_type, sizeof(c->profile_seal.key_type),
		 "rsa2048");
	c->profile_seal.days = 730;
	snprintf(c->profile_seal.roles, sizeof(c->profile_seal.roles), "verifier");
	snprintf(c->profile_seal.subject, sizeof(c->profile_seal.subject),
		 "/C=ID/O={org}/organizationIdentifier={org_id}/CN={name}");
	/* NSS (poppler, Firefox, Thunderbird) validates a PDF signer for
	 * its e-mail signing usage: without emailProtection in the EKU it
	 * fails or, with no EKU, poppler misreads a stale error code
	 * (docs/ra.md "Why emailProtection"). */
	snprintf(c->profile_individual.eku, sizeof(c->profile_individual.eku),
		 "emailProtection,documentSigning");
	snprintf(c->profile_seal.eku, sizeof(c->profile_seal.eku),
		 "emailProtection,documentSigning");
	snprintf(c->profile_individual.key_usage,
		 sizeof(c->profile_individual.key_usage),
		 "digitalSignature,nonRepudiation");
	snprintf(c->profile_seal.key_usage, sizeof(c->profile_seal.key_usage),
		 "digitalSignature,nonRepudiation");
}

static int fail(char *err, size_t errlen, const char *name, unsigned line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, const char *name, unsigned line,
		const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "%s:%u: ", name, line);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return ESD_ECONFIG;
}

static int set_uids(struct esd_config *c, char *v)
{
	char *save = NULL, *tok;

	c->n_admin_uids = 0;
	for (tok = strtok_r(v, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		uint64_t u;

		if (c->n_admin_uids == CONF_MAX_UIDS)
			return ESD_EINVAL;
		if (esd_parse_u64(tok, 0, (uid_t)-2, &u) != 0) {
			struct passwd *pw = getpwnam(tok);

			if (pw == NULL)
				return ESD_EINVAL;
			u = pw->pw_uid;
		}
		c->admin_uids[c->n_admin_uids++] = (uid_t)u;
	}
	return c->n_admin_uids > 0 ? 0 : ESD_EINVAL;
}

static int set_value(const struct key *k, struct esd_config *c, char *v,
		     const char *base)
{
	char *field = (char *)c + k->off;
	uint64_t u;
	int n;

	switch (k->type) {
	case C_STR:
		if (strlen(v) >= k->size)
			return ESD_ETOOBIG;
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case C_PATH:
		if (v[0] == '/' || v[0] == '\0' || base == NULL)
			n = snprintf(field, k->size, "%s", v);
		else
			n = snprintf(field, k->size, "%s/%s", base, v);
		return n < 0 || (size_t)n >= k->size ? ESD_ETOOBIG : 0;
	case C_U64:
		if (esd_parse_u64(v, k->min, k->max, &u) != 0)
			return ESD_EINVAL;
		memcpy(field, &u, sizeof(u));
		return 0;
	case C_UIDS:
		return set_uids(c, v);
	case C_LOGLEVEL:
		n = log_level_parse(v);
		if (n < 0)
			return ESD_EINVAL;
		c->log_level = n;
		return 0;
	case C_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 ||
		    strcmp(v, "true") == 0)
			n = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "off") == 0 ||
			 strcmp(v, "false") == 0)
			n = 0;
		else
			return ESD_EINVAL;
		memcpy(field, &n, sizeof(n));
		return 0;
	case C_KEYTYPE:
		if (strcmp(v, "rsa2048") != 0 && strcmp(v, "rsa3072") != 0 &&
		    strcmp(v, "ec-p256") != 0)
			return ESD_EINVAL;
		snprintf(field, k->size, "%s", v);
		return 0;
	}
	return ESD_EINVAL;
}

int config_parse(const char *text, size_t len, const char *name,
		 const char *base, struct esd_config *c, char *err,
		 size_t errlen)
{
	unsigned char seen[ESD_ARRAY_LEN(keys)] = { 0 };
	unsigned lineno = 0;
	size_t pos = 0;
	char line[4096];

	config_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", name);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		char *p, *eq, *key, *val;
		size_t i;
		int rc;

		lineno++;
		if (ll >= sizeof(line))
			return fail(err, errlen, name, lineno, "line too long");
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl != NULL);
		if (memchr(line, '\0', ll) != NULL)
			return fail(err, errlen, name, lineno, "NUL byte");
		p = strchr(line, '#');
		if (p != NULL)
			*p = '\0';
		p = esd_trim(line);
		if (*p == '\0')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL)
			return fail(err, errlen, name, lineno,
				    "expected 'key = value'");
		*eq = '\0';
		key = esd_trim(p);
		val = esd_trim(eq + 1);
		for (i = 0; i < ESD_ARRAY_LEN(keys); i++)
			if (strcmp(keys[i].name, key) == 0)
				break;
		if (i == ESD_ARRAY_LEN(keys))
			return fail(err, errlen, name, lineno,
				    "unknown key '%.64s'", key);
		if (seen[i])
			return fail(err, errlen, name, lineno,
				    "'%s' given twice", key);
		seen[i] = 1;
		rc = set_value(&keys[i], c, val, base);
		if (rc == ESD_ETOOBIG)
			return fail(err, errlen, name, lineno,
				    "value of '%s' too long", key);
		if (rc != 0) {
			if (keys[i].type == C_U64)
				return fail(err, errlen, name, lineno,
					    "'%s' must be an integer in [%llu, %llu]",
					    key, (unsigned long long)keys[i].min,
					    (unsigned long long)keys[i].max);
			return fail(err, errlen, name, lineno,
				    "invalid value for '%s'", key);
		}
	}
	if (c->https_listen[0] == '\0' && c->unix_socket[0] == '\0')
		return fail(err, errlen, name, lineno,
			    "neither https_listen nor unix_socket is set");
	if (c->https_listen[0] != '\0' &&
	    (c->tls_cert[0] == '\0' || c->tls_key[0] == '\0'))
		return fail(err, errlen, name, lineno,
			    "https_listen needs tls_cert and tls_key");
	if (strcmp(c->log_format, "text") != 0 && strcmp(c->log_format, "json") != 0)
		return fail(err, errlen, name, lineno,
			    "log_format is text or json");
	if (strcmp(c->bsre_level, "B-B") != 0 && strcmp(c->bsre_level, "B-T") != 0 &&
	    strcmp(c->bsre_level, "B-LT") != 0 && strcmp(c->bsre_level, "B-LTA") != 0)
		return fail(err, errlen, name, lineno,
			    "bsre_level is B-B, B-T, B-LT or B-LTA");
	if (c->pin_file[0] == '\0' || c->state_dir[0] == '\0')
		return fail(err, errlen, name, lineno,
			    "pin_file and state_dir are required");
	if (c->store[0] != '\0' && strncmp(c->store, "lmdb:/", 6) != 0 &&
	    strncmp(c->store, "postgresql://", 13) != 0 &&
	    strncmp(c->store, "postgres://", 11) != 0 &&
	    strchr(c->store, '=') == NULL)
		return fail(err, errlen, name, lineno,
			    "store is lmdb:/ABSOLUTE/PATH, postgresql://... or "
			    "a libpq keyword string (host=... dbname=...)");
	if ((c->profile_individual.qualified && !c->profile_individual.qc_statements) ||
	    (c->profile_seal.qualified && !c->profile_seal.qc_statements))
		return fail(err, errlen, name, lineno,
			    "a qualified profile needs qc_statements = yes");
	return 0;
}

const char *config_store(const struct esd_config *c)
{
	return c->store[0] != '\0' ? c->store : c->state_dir;
}

int config_load(const char *path, struct esd_config *c, char *err,
		size_t errlen)
{
	char *text = NULL, *base = NULL, *slash;
	size_t len;
	int rc;

	rc = esd_read_file(path, 1 << 20, &text, &len);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 esd_err_msg(rc));
		return ESD_ECONFIG;
	}
	base = realpath(path, NULL);
	if (base == NULL) {
		snprintf(err, errlen, "%s: cannot resolve its directory", path);
		rc = ESD_ECONFIG;
		goto out;
	}
	slash = strrchr(base, '/');
	if (slash == NULL)
		snprintf(base, strlen(base) + 1, ".");
	else if (slash == base)
		slash[1] = '\0';
	else
		*slash = '\0';
	rc = config_parse(text, len, path, base, c, err, errlen);
out:
	free(base);
	free(text);
	return rc;
}
