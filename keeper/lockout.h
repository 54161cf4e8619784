/*
 * Lockout of guessable secrets (keeper/lockout.c): one implementation for
 * an individual's passphrase and one-time codes, a seal's activation and
 * authenticator codes, an individual's activation code and a staff
 * login. The rule is policy/lockout.c's; here are the count in the store
 * and the checks running: in memory on one node, and with a PostgreSQL
 * store in a gate the nodes share (store_gate_take).
 *
 *   struct lockout lo;
 *   if (keeper_lockout_enter(k, &lo, LOCKOUT_SUBSCRIBER, id, 0, r) != 0)
 *           return ...;                 (locked: r->msg says so)
 *   ... check the secret (Argon2id, a code) ...
 *   wrong: keeper_lockout_failed(k, c, &lo, "auth.passphrase", ESD_EAUTHZ);
 *   right: keeper_lockout_succeeded(k, &lo);
 *   keeper_lockout_leave(&lo);
 *
 * Between enter and leave the check counts as a failure that may come:
 * no more checks of one subject run at once than failures are left
 * before the lock, so N wrong secrets arriving together are checked
 * N = the limit times, never more, and whatever comes after waits and
 * then finds the lock.
 */
#ifndef ESD_KEEPER_LOCKOUT_H
#define ESD_KEEPER_LOCKOUT_H

#include "keeper/internal.h"

enum lockout_table { LOCKOUT_SUBSCRIBER, LOCKOUT_USER };

struct lockout {
	enum lockout_table table;
	char id[80];
	int entered;
	struct store_gate *cluster;   /* the slot held across nodes */
};

/* LOCKOUT_ONE_AT_A_TIME: serialise every check of the subject and do
 * not refuse a locked one (an activation code that resets a locked
 * individual's passphrase counts on its own). */
#define LOCKOUT_ONE_AT_A_TIME 1

int keeper_lockout_enter(struct keeper *k, struct lockout *lo,
			 enum lockout_table table, const char *id, int flags,
			 struct reply *r);
/* Counts one wrong secret (locks at the limit) and audits action with
 * result, in one write transaction. */
void keeper_lockout_failed(struct keeper *k, struct caller *c,
			   struct lockout *lo, const char *action, int result);
/* Clears the count after a right secret. */
void keeper_lockout_succeeded(struct keeper *k, struct lockout *lo);
/* Ends the check (no-op when not entered). */
void keeper_lockout_leave(struct lockout *lo);

/* ESD_ELOCKED (with r->msg) while the record rec is locked, else 0:
 * for steps that check no secret but must not start on a locked
 * subject. */
int keeper_lockout_state(struct keeper *k, enum lockout_table table,
			 json_t *rec, struct reply *r);

#endif
