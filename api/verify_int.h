/*
 * Private to api/verify.c and api/verify_rules.c: the judgement of one
 * signature in ETSI EN 319 102-1 terms, apart from the shape of the
 * answer (docs/verify.md "Results").
 */
#ifndef ESD_API_VERIFY_INT_H
#define ESD_API_VERIFY_INT_H

#include <jansson.h>
#include <time.h>

#include "pdf/pdf.h"
#include "pki/verify.h"

/* ETSI EN 319 102-1 §5.1.3 main indications; also the verdict (valid,
 * indeterminate, invalid). */
enum ind { IND_PASSED = 0, IND_INDETERMINATE = 1, IND_FAILED = 2 };

/* The outcome of one signature: verdict (0 valid, 1 indeterminate,
 * 2 invalid, the same as the ETSI main indication), sub-indication and a
 * stable reason with its sentence. */
struct outcome {
	int ind;
	const char *sub;
	const char *reason;
	const char *text;
};

/* "TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED". */
const char *verify_ind_name(int v);
/* "valid", "indeterminate", "invalid". */
const char *verify_verdict_name(int v);

/* The first, worst finding stands: o changes only for a worse ind. */
void verify_set_outcome(struct outcome *o, int ind, const char *sub,
			const char *reason, const char *text);

/* The changes a certification signature with DocMDP P permits (ISO
 * 32000-1 §12.8.2.2 Table 254), PDF_CHANGE_* bits; validation data and
 * document timestamps at every level. 0 for an approval signature. */
unsigned verify_docmdp_allows(int p);

/* The structural checks every signature passes before its CMS counts
 * (ISO 32000-1 §12.8.1, ISO 32000-2 §12.8.2.2): the stable reason of the
 * first that fails and its sentence in *text, NULL if none. */
const char *verify_structure_problem(const struct pdf_sig_info *s,
				     const struct pdf_rev_diff *rd,
				     const char **text);

/* What the chain says, for an intact signature or timestamp. */
void verify_chain_outcome(const struct pki_chain_result *c,
			  struct outcome *o);

/* What changed after the signed revision; docmdp: the signature's DocMDP
 * P, 0 for an approval signature. */
void verify_mods_outcome(const struct pdf_rev_diff *rd, int docmdp,
			 struct outcome *o);

/* The time a valid signature timestamp whose TSA is trusted and not
 * revoked proves the signature existed at (proof of existence), 0 if
 * none. */
time_t verify_signature_poe(const struct pki_verify_result *v);

/* The earliest of two proofs of existence (0: none). */
time_t verify_poe_min(time_t a, time_t b);

/* The signer's revocation from every source into v->chain (the path,
 * the /DSS, the appliance's current CRL; revoked wins, the earliest time
 * stands). poe: the signature's proof of existence (its timestamp or a
 * document timestamp covering it), 0 none; need: the time the
 * revocation data must prove (the signature timestamp's, else the
 * claimed signing time, 0 none). A good /DSS answer issued before need (minus PKI_REV_GRACE) is
 * not counted: *stale says so. *after_poe: revoked, but only after poe. */
void verify_revocation_judge(struct pki_verify_result *v, time_t poe,
			     time_t need, int *after_poe, int *stale);

/* verify_json.c: the answer's shapes (docs/verify.md). */

/* What happened after the signed revision, with its summary sentence;
 * docmdp: the signature's DocMDP P (0: approval). NULL on ENOMEM. */
json_t *verify_mods_json(const struct pdf_rev_diff *rd, int docmdp);

/* The members a signature and a document timestamp share, in the order
 * the answer shows them, with a signature's own ones (filter, /M and the
 * texts) in between; s as its signed revision has it, doc_tst the token
 * of a document timestamp (NULL for a signature). Takes integrity and
 * mods. NULL on ENOMEM. */
json_t *verify_signature_json(const struct pdf_sig_info *s,
			      const struct pki_tst_result *doc_tst,
			      json_t *integrity, const char *level,
			      const struct outcome *oc, json_t *mods);

/* {ok, digest_ok, signature_ok, problem}: problem only when not ok. */
json_t *verify_integrity_json(int ok, int digest_ok, int signature_ok,
			      const char *problem);

/* A signature's cms, signer, chain and timestamp members into j (all null
 * when v is NULL: the CMS was never read). -1 on ENOMEM. */
int verify_cms_members(json_t *j, const struct pki_verify_result *v);

/* B-LTA (ETSI EN 319 142-1 §6.5): raises each B-LT signature of the
 * answer's list that a valid later document timestamp covers. */
void verify_lta(json_t *list);

#endif
