/*
 * Lockout of guessable secrets: the count lives in the subject's record
 * ("failures", "locked_until" in DB_SUBSCRIBERS or DB_USERS), the checks
 * running now in a small table here and, when nodes share the store, in
 * its gate (a slot per running check); policy/lockout.c decides.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/lockout.h"
#include "keeper/ra_internal.h"
#include "policy/policy.h"

/* Subjects with a check running: a few at a time in practice (one per
 * keeper worker at most). */
#define GATE_SLOTS 256

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct {
		char key[84];
		unsigned running;
	} slot[GATE_SLOTS];
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { { "", 0 } } };

static enum store_db table_db(enum lockout_table t)
{
	return t == LOCKOUT_USER ? DB_USERS : DB_SUBSCRIBERS;
}

static void limits_of(struct keeper *k, enum lockout_table t, json_t *rec,
		      struct pol_lockout_limits *l)
{
	pthread_mutex_lock(&k->cfg_mu);
	l->max_failures = k->cfg.auth_max_failures;
	l->lock_seconds = k->cfg.auth_lock_seconds;
	pthread_mutex_unlock(&k->cfg_mu);
	/* A seal stays locked until a verifier unlocks it. */
	l->forever = t == LOCKOUT_SUBSCRIBER &&
		     member_str_is(rec, "kind", "seal");
}

static void state_of(json_t *rec, struct pol_lockout_state *s)
{
	s->failures = member_int(rec, "failures");
	s->locked_until = member_int(rec, "locked_until");
}

static void subject_name(enum lockout_table t, const char *id, char *out,
			 size_t cap)
{
	if (t == LOCKOUT_USER)
		snprintf(out, cap, "the account");
	else
		snprintf(out, cap, "subscriber %.64s", id);
}

int keeper_lockout_state(struct keeper *k, enum lockout_table table,
			 json_t *rec, struct reply *r)
{
	struct pol_lockout_limits l;
	struct pol_lockout_state s;
	struct pol_verdict v;
	char who[96];
	int rc;

	limits_of(k, table, rec, &l);
	state_of(rec, &s);
	subject_name(table, member_str(rec, table == LOCKOUT_USER ? "name" : "id") ?: "",
		     who, sizeof(who));
	rc = pol_lockout_admit(&s, 0, &l, esd_now(), who, &v);
	if (rc < 0)
		return reply_error(r, rc, "%s", v.msg);
	return 0;
}

/* Waits on gate.cv (held) for at most 20 ms. */
static void wait_briefly(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 20 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&gate.cv, &gate.mu, &until);
}

/* The slot of key, or a free one claimed for it; -1 if none is free. */
static int slot_of(const char *key)
{
	int free_i = -1;

	for (int i = 0; i < GATE_SLOTS; i++) {
		if (gate.slot[i].running > 0 && strcmp(gate.slot[i].key, key) == 0)
			return i;
		if (gate.slot[i].running == 0 && free_i < 0)
			free_i = i;
	}
	if (free_i >= 0)
		snprintf(gate.slot[free_i].key, sizeof(gate.slot[free_i].key),
			 "%s", key);
	return free_i;
}

/*
 * With nodes sharing the store, this node's count of running checks is
 * not all of them: a slot of the subject's gate across the nodes, then
 * the rule asked again with every slot held counted as running. The
 * state is read after the count, so a check that ended elsewhere is
 * either still counted or its failure is seen. 0 admitted (lo->cluster
 * held; NULL on one node), 2 wait, < 0 refused or a store error.
 */
static int cluster_admit(struct keeper *k, struct lockout *lo,
			 const char *key, int flags, const char *who,
			 struct reply *r)
{
	struct pol_lockout_limits l;
	struct pol_lockout_state s = { 0, 0 };
	struct pol_verdict v;
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	unsigned held = 0;
	int rc = store_gate_take(k->store, key, &lo->cluster, &held);

	if (rc == ESD_EEXIST)
		return 2;
	if (rc != 0 || lo->cluster == NULL)
		return rc;
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0 && store_get_json(t, table_db(lo->table), lo->id, &rec) == 0)
		state_of(rec, &s);
	store_txn_abort(t);
	limits_of(k, lo->table, rec, &l);
	json_decref(rec);
	if (rc == 0 && (flags & LOCKOUT_ONE_AT_A_TIME)) {
		rc = held > 1 ? 2 : 0;
	} else if (rc == 0) {
		rc = pol_lockout_admit(&s, held - 1, &l, esd_now(), who, &v);
		if (rc < 0)
			reply_error(r, rc, "%s", v.msg);
		else if (rc == 1)
			rc = 2;
	}
	if (rc != 0) {
		store_gate_leave(lo->cluster);
		lo->cluster = NULL;
	}
	return rc;
}

int keeper_lockout_enter(struct keeper *k, struct lockout *lo,
			 enum lockout_table table, const char *id, int flags,
			 struct reply *r)
{
	char key[84], who[96];
	int rc = 0;

	memset(lo, 0, sizeof(*lo));
	lo->table = table;
	snprintf(lo->id, sizeof(lo->id), "%s", id ? id : "");
	snprintf(key, sizeof(key), "%c:%s", table == LOCKOUT_USER ? 'u' : 's',
		 lo->id);
	subject_name(table, lo->id, who, sizeof(who));
	pthread_mutex_lock(&gate.mu);
	for (;;) {
		struct pol_lockout_limits l;
		struct pol_lockout_state s = { 0, 0 };
		struct pol_verdict v;
		struct store_txn *t = NULL;
		json_t *rec = NULL;
		unsigned running;
		int i = slot_of(key);

		running = i >= 0 ? gate.slot[i].running : 0;
		/* The count as committed by the checks that ended. */
		rc = store_txn_begin(k->store, 0, &t);
		if (rc == 0 && store_get_json(t, table_db(table), lo->id, &rec) == 0)
			state_of(rec, &s);
		store_txn_abort(t);
		limits_of(k, table, rec, &l);
		json_decref(rec);
		if (rc != 0)
			break;
		if (flags & LOCKOUT_ONE_AT_A_TIME)
			rc = running == 0 ? 0 : 1;
		else
			rc = pol_lockout_admit(&s, running, &l, esd_now(), who, &v);
		if (rc < 0) {
			reply_error(r, rc, "%s", v.msg);
			break;
		}
		if (rc == 0 && i >= 0)
			rc = cluster_admit(k, lo, key, flags, who, r);
		if (rc == 0 && i >= 0) {
			gate.slot[i].running++;
			lo->entered = 1;
			break;
		}
		if (rc < 0)
			break;
		if (rc == 2) {
			/* Held up by another node's checks: no signal comes
			 * from there, so look again shortly. */
			wait_briefly();
			continue;
		}
		pthread_cond_wait(&gate.cv, &gate.mu);
	}
	pthread_mutex_unlock(&gate.mu);
	return rc;
}

void keeper_lockout_leave(struct lockout *lo)
{
	char key[84];

	if (!lo->entered)
		return;
	store_gate_leave(lo->cluster);
	lo->cluster = NULL;
	snprintf(key, sizeof(key), "%c:%s", lo->table == LOCKOUT_USER ? 'u' : 's',
		 lo->id);
	pthread_mutex_lock(&gate.mu);
	for (int i = 0; i < GATE_SLOTS; i++)
		if (gate.slot[i].running > 0 && strcmp(gate.slot[i].key, key) == 0) {
			gate.slot[i].running--;
			break;
		}
	lo->entered = 0;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

void keeper_lockout_failed(struct keeper *k, struct caller *c,
			   struct lockout *lo, const char *action, int result)
{
	struct pol_lockout_limits l;
	struct pol_lockout_state s;
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	int rc = store_txn_begin(k->store, 1, &t);

	if (rc == 0 && store_get_json(t, table_db(lo->table), lo->id, &rec) == 0) {
		limits_of(k, lo->table, rec, &l);
		state_of(rec, &s);
		pol_lockout_failed(&s, &l, esd_now());
		rc = keeper_json_set(rec, "failures", json_integer(s.failures));
		if (rc == 0 && s.locked_until != 0)
			rc = keeper_json_set(rec, "locked_until",
					     json_integer(s.locked_until));
		if (rc == 0)
			rc = store_put_json(t, table_db(lo->table), lo->id, rec, 0);
	}
	if (rc == 0)
		rc = store_audit(t, c->actor, action, lo->id, result, NULL);
	if (rc == 0)
		rc = commit_and_mail(&t);
	store_txn_abort(t);
	json_decref(rec);
	if (rc != 0)
		log_err("keeper: cannot count a failure of %s", lo->id);
}

void keeper_lockout_succeeded(struct keeper *k, struct lockout *lo)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	int rc = store_txn_begin(k->store, 0, &t), counted;

	/* Most right secrets have nothing to clear: a read, not a write
	 * (which would queue behind the signatures' group commits). */
	if (rc == 0)
		rc = store_get_json(t, table_db(lo->table), lo->id, &rec);
	counted = rc == 0 && (member_int(rec, "failures") > 0 ||
			      member_int(rec, "locked_until") > 0);
	store_txn_abort(t);
	t = NULL;
	json_decref(rec);
	rec = NULL;
	if (!counted)
		return;
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = store_get_json(t, table_db(lo->table), lo->id, &rec);
	if (rc == 0) {
		json_object_del(rec, "failures");
		json_object_del(rec, "locked_until");
		rc = store_put_json(t, table_db(lo->table), lo->id, rec, 0);
		if (rc == 0)
			rc = commit_and_mail(&t);
	}
	store_txn_abort(t);
	json_decref(rec);
}
