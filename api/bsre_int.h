/*
 * Shared by the BSrE-compatible routes (bsre.c: v1 and the helpers,
 * bsre_v2.c: v2). docs/bsre-compat.md describes the surface.
 */
#ifndef ESD_API_BSRE_INT_H
#define ESD_API_BSRE_INT_H

#include <stdint.h>
#include <jansson.h>

#include "api/api.h"

/* Answers BSrE's error {"error", "status_code"} for the native error
 * code in context ctx ("sign" or "seal"); detail is the native message. */
void bsre_fail(struct resp *out, const char *code, const char *ctx,
	       const char *detail);
/* Rewrites the native error response in out in BSrE's form. */
void bsre_translate(struct resp *out, const char *ctx);
/* 200 with j plus status_code 1111 and message (steals j). */
void bsre_ok(struct resp *out, json_t *j, const char *msg);
/* Runs registration-authority operation op with args (stolen) for the
 * caller; 0 and *ans, or out holds the BSrE error. */
int bsre_ra(struct req *r, struct resp *out, const char *op, json_t *args,
	    const char *ctx, json_t **ans);
/* Logs, once per name, the fields (comma-separated names) a BSrE route
 * ignored. */
void bsre_extra_fields(const char *route, const char *names);
/* Adds message, timestamp and path to a v2 route's BSrE error in out. */
void bsre_v2_error_fields(const char *url, struct resp *out);
/* 1 if a native verification's chain report says "revoked". */
int bsre_revoked(json_t *chain);
/* "YYYY-MM-DDTHH:MM:SSZ" */
void bsre_time(int64_t t, char *out, size_t cap);
/* The native "visible" JSON of a box (page from 1, origin and size in
 * points), or, with a tag (tag_koordinat), of a box of that size placed
 * at the tag's text with the origin as its offset; new string. */
char *bsre_visible(const char *tag, long page, double x, double y, double w,
		   double h);
/* A signature's document was changed after signing in a way that shows
 * (content, form fields, annotations), not by validation data or further
 * signatures alone (/v1/verify's modifications.changes). */
int bsre_modified(json_t *sig);
/* VALID, WARNING, INVALID or NO_SIGNATURE for a native verdict (v2). */
const char *bsre_summary(const char *verdict);
/* The CN of an RFC 2253 name (a JSON string "CN=x,O=y"), as a new
 * JSON string; JSON null when it has none. */
json_t *bsre_common_name(json_t *dn);
/* The level of signatures the BSrE routes make (bsre_level). */
const char *bsre_level(void);
/* The subscriber's status (ref "nik:…" or "email:…") as BSrE answers it. */
void bsre_user_status(struct req *r, struct resp *out, const char *ref);

#endif
