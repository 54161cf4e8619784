/*
 * policy/: the keeper's rules as pure functions. Plain structs in (the
 * facts the keeper gathered from LMDB, the token and the clock), a
 * verdict out: 0 = allowed, or a negative ESD_E* code with a message
 * that says what to do. No LMDB, HSM, JSON or I/O here, so that every
 * rule is read in one place and unit tested (tests/unit/test_policy.c).
 */
#ifndef ESD_POLICY_POLICY_H
#define ESD_POLICY_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* A refusal's code and message (code 0 and "" when allowed). */
struct pol_verdict {
	int code;
	char msg[200];
};

/* ---- roles ---- */

enum pol_role {
	POL_ROLE_NONE = 0,    /* anonymous, or a Unix-socket peer not admin */
	POL_ROLE_CLIENT,      /* an API client (an application) */
	POL_ROLE_VERIFIER,    /* RA staff: registrations, unlocks */
	POL_ROLE_ADMIN,       /* the instance's administrator */
	POL_ROLE_OFFICER,     /* a seal's responsible officer (staff login) */
};

/* The role named by a client record's or a session's "role" string (and
 * the admin flag of a Unix-socket admin); POL_ROLE_NONE for anything else. */
enum pol_role pol_role_parse(const char *name, int admin);
const char *pol_role_name(enum pol_role role);

/* ---- lockout (passphrases, one-time and TOTP codes, activation codes,
 * staff passwords): one rule for every secret that can be guessed ---- */

struct pol_lockout_limits {
	uint64_t max_failures;   /* wrong secrets before the lock (>= 1) */
	uint64_t lock_seconds;   /* how long the lock lasts */
	int forever;             /* 1: until someone unlocks (seals) */
};

struct pol_lockout_state {
	int64_t failures;        /* wrong secrets since the last success */
	int64_t locked_until;    /* 0, a time, or INT64_MAX (forever) */
};

#define POL_LOCK_FOREVER INT64_MAX

/*
 * Whether one more check of a secret of this subject may start now,
 * while `inflight` checks of it are running: 0 (start it), 1 (wait for
 * a running one to end: it may be the failure that locks), or
 * ESD_ELOCKED with the verdict's message. At most max_failures - failures
 * checks run at once, so no more wrong secrets are ever checked than the
 * limit allows, whatever arrives together; after a lock has run out, one
 * at a time (each failure locks again).
 */
int pol_lockout_admit(const struct pol_lockout_state *s, unsigned inflight,
		      const struct pol_lockout_limits *l, int64_t now,
		      const char *subject, struct pol_verdict *v);

/* The state after one more wrong secret at now (locks at the limit). */
void pol_lockout_failed(struct pol_lockout_state *s,
			const struct pol_lockout_limits *l, int64_t now);

/* ---- a signature's authorisation: what the signer gave ---- */

enum pol_authz_kind {
	POL_AUTHZ_NONE = 0,      /* nothing (keys without a subscriber) */
	POL_AUTHZ_PASSPHRASE,    /* an individual's passphrase */
	POL_AUTHZ_OTP,           /* an individual's emailed one-time code */
	POL_AUTHZ_BATCH,         /* a batch authorisation (SAD) */
	POL_AUTHZ_SEAL_CODE,     /* a seal's seal code */
};

struct pol_authz {
	enum pol_authz_kind kind;
	const char *value;       /* points into the caller's string; "" if none */
};

/* Reads the authorisation the front sends as one string (a tag letter,
 * P, O, B or S, then the value). Unknown tags and an empty value read as
 * POL_AUTHZ_NONE. */
void pol_authz_parse(const char *wire, struct pol_authz *out);

enum pol_subject_kind { POL_SUBJECT_NONE = 0, POL_SUBJECT_INDIVIDUAL,
			POL_SUBJECT_SEAL };

/* Whether the kind of authorisation fits the key's subscriber: a
 * passphrase, one-time code or batch for an individual, a seal code for
 * a seal, nothing asked for a key without a subscriber. */
int pol_authz_fits(enum pol_subject_kind subject, int subject_active,
		   const struct pol_authz *a, struct pol_verdict *v);

/* ---- seals: who manages the activation, what a seal code needs ---- */

enum pol_seal_op {
	POL_SEAL_ACTIVATE,       /* ask for an activation (code by email) */
	POL_SEAL_DEACTIVATE,     /* revoke the activation */
	POL_SEAL_ENROL,          /* enrol an authenticator app (TOTP) */
	POL_SEAL_ENROL_RESET,    /* remove an enrolment */
	POL_SEAL_CODE_BY_ACTIVATION, /* mint a seal code: emailed code */
	POL_SEAL_CODE_BY_TOTP,   /* mint a seal code: authenticator code */
};

struct pol_seal_actor {
	enum pol_role role;
	int named;               /* an officer whose account names the seal,
				  * or a client granted the seal */
};

struct pol_seal_facts {
	int is_seal;             /* the subscriber is a seal */
	int active;              /* its status is "active" (not revoked,
				  * suspended or awaiting activation) */
	int locked;              /* locked after wrong codes */
	int64_t activation_expires;  /* 0: no activation */
	int enrolled;            /* an authenticator is enrolled */
};

/*
 * Who may do what with a seal (docs/activation.md "Seals"):
 * - the seal's officer (an account naming it) does everything but reset
 *   an enrolment;
 * - an application granted the seal asks for an activation (the code goes
 *   to the officer's email only), revokes one, and mints a seal code with
 *   the emailed activation code the officer gave it (the BSrE flow); it
 *   never enrols an authenticator nor mints with one;
 * - an admin removes an enrolment (audited) and nothing else;
 * - a verifier, or any other caller, nothing.
 * Every seal code needs a live activation (now < activation_expires),
 * whichever proof buys it; a seal that is not active mints nothing.
 */
int pol_seal_may(const struct pol_seal_actor *a, enum pol_seal_op op,
		 const struct pol_seal_facts *f, int64_t now,
		 struct pol_verdict *v);

/* Using a seal code at signing time: it names the seal's current
 * activation, which is live; the code has uses left and has not expired. */
struct pol_seal_code_facts {
	int same_subscriber;     /* the code is this seal's */
	int names_current_activation;
	int64_t activation_expires;  /* of the seal's current activation */
	int64_t code_expires;
	int64_t remaining;
};
int pol_seal_code_use(const struct pol_seal_code_facts *f, int64_t now,
		      struct pol_verdict *v);

/* ---- separation of duties ---- */

/* Signing for an individual (a passphrase, one-time code or batch): an
 * application's credential, or an admin's (who could make one at will);
 * a verifier registers, approves and unlocks people and does not also
 * sign in their name; an officer's session, or a Unix-socket peer that
 * is no admin, neither (docs/security.md). */
int pol_sign_for_individual(enum pol_role role, struct pol_verdict *v);

/* Registering a person: the NIK is new, or its holder's registration
 * was rejected or revoked (nik_taken: a living subscriber holds it); and
 * the official email is no other living person's (email_taken), so that
 * an email: lookup names one person. ESD_EEXIST otherwise. */
int pol_register_individual(int nik_taken, int email_taken,
			    struct pol_verdict *v);

/* ---- who may send which keeper message ---- */

enum pol_need {
	POL_NEED_ANYONE,       /* no credential needed */
	POL_NEED_CLIENT,       /* any credential but an officer's session;
				* the handler checks grants */
	POL_NEED_SESSION,      /* any credential, an officer's session too */
	POL_NEED_SEAL,         /* POL_NEED_CLIENT, or an officer for a seal
				* their account names */
	POL_NEED_VERIFIER,
	POL_NEED_STAFF,        /* verifier or admin */
	POL_NEED_STAFF_SEAL,   /* POL_NEED_STAFF, or an officer for their seal */
	POL_NEED_ADMIN,
	POL_NEED_ADMIN_PEER,   /* an admin on the Unix socket (raw signing) */
};

struct pol_caller {
	enum pol_role role;
	int authenticated;     /* gave a credential the keeper accepted */
	int peer;              /* identified by its Unix-socket connection */
	int names_seal;        /* the seal acted on is one the officer's
				* account names: 1, 0, or -1 not known yet */
};

/* Whether c may call the operation what (for the message) that needs
 * need: 0, ESD_EAUTH without a credential, ESD_EPERM. */
int pol_may_call(const struct pol_caller *c, enum pol_need need,
		 const char *what, struct pol_verdict *v);

/* Four eyes: the credential that made a registration request does not
 * decide it (ESD_EPERM). */
int pol_four_eyes(int made_by_caller, const char *request,
		  struct pol_verdict *v);

/* An admin does not disable or reset their own account (ESD_EPERM):
 * another admin does, so that no one locks the last door behind them
 * or takes over an account's enrolment unseen. */
int pol_own_account(int own, const char *what, struct pol_verdict *v);

/* A CPS profile (config [profile.*] roles: a comma-separated list of role
 * names) takes registrations from the roles it lists. */
int pol_profile_allows(const char *roles, enum pol_role role,
		       const char *profile, struct pol_verdict *v);

/* ---- using a key to sign a document ---- */

enum pol_key_purpose { POL_KEY_OTHER = 0, POL_KEY_SEAL, POL_KEY_INDIVIDUAL };

struct pol_key_facts {
	int granted;           /* an admin; a grant names the key, the label
				* it was rotated from, or its seal; or an
				* individual's key (its passphrase is checked
				* at signing) asked for by a credential */
	int found;             /* the key exists */
	enum pol_key_purpose purpose;
	int has_cert;
	int64_t not_before, not_after;  /* not_after 0: unreadable */
	int revoked;           /* revoked, or its status unknown */
};

/* 0, or ESD_EPERM (not granted, wrong purpose, not valid now, revoked),
 * ESD_ENOTFOUND, ESD_ESTORE. An ungranted key is refused before anything
 * else, so its existence is not revealed. */
int pol_key_use(const struct pol_key_facts *f, const char *label,
		enum pol_key_purpose want, int64_t now, struct pol_verdict *v);

/* ---- the clock gate ---- */

struct pol_clock {
	int required;          /* config require_synced_clock */
	int synced;            /* the kernel says the clock is synchronised */
	long max_error_us;     /* its maximum error */
	uint64_t limit_ms;     /* config max_clock_error_ms */
};

/* Signatures, timestamps and CRLs only on a trusted clock: 0 or
 * ESD_EUNAVAIL. */
int pol_clock_gate(const struct pol_clock *c, struct pol_verdict *v);

#endif
