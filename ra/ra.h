/*
 * ra: the registration authority's building blocks that need no keeper
 * state: the working-day calendar of the SLA, the notification templates
 * and their delivery (maildir or SMTP through libcurl), the records an
 * issued certificate leaves in the store, and input checks. The keeper
 * (keeper/ra.c and its neighbours) drives the workflow with them; docs/ra.md
 * describes it.
 */
#ifndef ESD_RA_H
#define ESD_RA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "store/store.h"

/* ---- SLA calendar: Monday to Friday, minus holidays, in local time ---- */

struct sla_calendar {
	int64_t *holidays;       /* days since 1970-01-01 (local), sorted */
	size_t n;
	int utc_offset_min;      /* local time = UTC + this */
};

/* Reads a holidays file (one YYYY-MM-DD per line, '#' comments) into cal;
 * path NULL or "" gives no holidays. On error, "PATH:LINE: what" in err. */
int sla_calendar_load(const char *path, int utc_offset_min,
		      struct sla_calendar *cal, char *err, size_t errlen);
void sla_calendar_free(struct sla_calendar *cal);
/* 1 if the local day (days since the epoch) is a working day. */
int sla_working_day(const struct sla_calendar *cal, int64_t day);
/*
 * The deadline of a request that arrived at t with a target of days
 * working days: the end (24:00 local) of the days-th working day after
 * the day it arrived on. A request finished at or before it met the SLA.
 */
time_t sla_deadline(const struct sla_calendar *cal, time_t arrived,
		    unsigned days);

enum sla_result { SLA_OPEN, SLA_MET, SLA_BREACHED };
/* Judges one request: decided (0 = not yet) against its deadline; an
 * undecided request is breached once now is past the deadline. */
enum sla_result sla_judge(const struct sla_calendar *cal, time_t arrived,
			  time_t decided, time_t now, unsigned days);
/* Midnight (local) starting the date "YYYY-MM-DD" into *t. */
int sla_parse_day(const struct sla_calendar *cal, const char *date, time_t *t);

/* ---- notifications ---- */

/*
 * Renders template name ("activation", "issued", "rejected", ...) in lang
 * ("id" or "en"; anything else is "id") with vars (string values put for
 * {{key}}). *subject and *body are new strings (caller frees).
 */
int ra_mail_render(const char *name, const char *lang, json_t *vars,
		   char **subject, char **body);
/* An RFC 5322 message (UTF-8 text, CRLF lines); *out is new. */
int ra_mail_message(const char *from, const char *to, const char *subject,
		    const char *body, time_t date, const char *msg_id,
		    char **out, size_t *len);
/* Delivers msg into the maildir dir (tmp/ then rename into new/). */
int ra_maildir_deliver(const char *dir, const char *msg, size_t len);

struct ra_smtp {
	const char *url;         /* smtp://host:port, smtps://host:port */
	const char *user;        /* NULL or "": no authentication */
	const char *password;
	int require_tls;         /* STARTTLS required on smtp:// */
	const char *ca_file;     /* NULL or "": the system's CAs */
};
/* Sends msg to one recipient; on failure a reason (no secret) in err. */
int ra_smtp_send(const struct ra_smtp *s, const char *from, const char *to,
		 const char *msg, size_t len, char *err, size_t errlen);

/* ---- one-time passwords (ra/totp.c) ---- */

#define RA_TOTP_PERIOD 30
/* RFC 4226 HOTP, 6 digits, of counter under key (HMAC-SHA-1). */
int ra_hotp(const uint8_t *key, size_t klen, uint64_t counter, char out[7]);
/* 1 if code is the RFC 6238 TOTP of now, one step either side, at a step
 * later than after (the last one accepted: replays fail); *step gets it. */
int ra_totp_check(const uint8_t *key, size_t klen, int64_t now,
		  const char *code, int64_t after, int64_t *step);
/* RFC 4648 base32 without padding; out needs 8 * ceil(len / 5) + 1. */
void ra_base32(const uint8_t *in, size_t len, char *out);
/* text as a QR code (ECC level M) in a 1-bit PNG, each module scale
 * pixels, with the 4-module quiet zone. *png is new. */
int ra_qr_png(const char *text, unsigned scale, uint8_t **png, size_t *len);

/* ---- records ---- */

/*
 * Records a key issued a certificate in t: DB_KEYS[label] = {label, type,
 * purpose, created, cert, serial, chain, subscriber?} and DB_CERTS[serial]
 * = {serial, subject, key, issuer, status "valid", not_after, pem,
 * subscriber?}, with a "cert.issue" audit record by actor. chain holds the
 * issuers, nearest first. The serial goes to serial (cap >= 41).
 */
int ra_record_cert(struct store_txn *t, const char *actor, const char *label,
		   const char *type, const char *purpose, X509 *cert,
		   const char *issuer_label, X509 *const *chain, size_t nchain,
		   const char *subscriber, char *serial, size_t cap);

/* ---- input checks (0 if acceptable, else ESD_EINVAL and a message) ---- */

/* Printable UTF-8 of 1..max bytes without control characters, '/' or
 * '=' (they would change a certificate subject's structure). */
int ra_check_text(const char *what, const char *s, size_t max, char *msg,
		  size_t msglen);
/* A mailbox "local@domain" without spaces or control characters. */
int ra_check_email(const char *s, char *msg, size_t msglen);
/* A 16-digit Indonesian national identity number (NIK). */
int ra_check_nik(const char *s, char *msg, size_t msglen);
/* An organizationIdentifier in the form of ETSI EN 319 412-1 §5.1.4:
 * three upper-case letters for the register (NTR, VAT, GOV, ...), two for
 * the country, '-', then 1..64 letters, digits, '.', '-' or ':'. */
int ra_check_org_id(const char *s, char *msg, size_t msglen);

/* A subject from a profile template: {name} {org} {unit} {nik} {email}
 * {org_id} {id} (any string field of vars)
 * are replaced by the fields of vars; an RDN whose value comes out empty
 * is left out. Into out (cap bytes). */
int ra_subject(const char *tpl, json_t *vars, char *out, size_t cap);

/* A new time-ordered identifier: 16 hex digits of milliseconds and
 * randomness, prefixed with prefix. */
int ra_new_id(const char *prefix, char *out, size_t cap);

#endif
