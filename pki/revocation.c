/*
 * A certificate's revocation status from validation data: the CRLs and
 * OCSP responses a document carries (PAdES /DSS, ETSI EN 319 142-1 §5.4.2)
 * and the appliance's own CRL. Nothing is fetched from the network. Each
 * answer is only believed when its issuer signed it (a CRL with the
 * certificate issuer's key; an OCSP response by the issuer or a delegated
 * responder, RFC 6960 §4.2.2.2), and the revocation time is kept so the
 * caller can compare it with a proof of existence. A "good" answer also
 * says when it was issued (a CRL's thisUpdate, an OCSP response's
 * producedAt) and counts only when the certificate that signed it was
 * within its validity period then: the caller judges its freshness
 * against the time it must prove (docs/verify.md "Revocation data").
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "pki/verify_int.h"

static int asn1_time_t(const ASN1_GENERALIZEDTIME *a, time_t *out)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* t lies within x's validity period. */
static int valid_at(X509 *x, time_t t)
{
	time_t nb = 0, na = 0;

	return x != NULL && t != 0 &&
	       asn1_time_t(X509_get0_notBefore(x), &nb) == 0 &&
	       asn1_time_t(X509_get0_notAfter(x), &na) == 0 &&
	       nb <= t && t <= na;
}

/* Revoked wins; the earliest revocation time stands; *issued is the
 * latest issuance among good answers. */
static void merge(enum pki_revocation *rev, time_t *at, time_t *issued,
		  enum pki_revocation r, time_t rat)
{
	if (r == PKI_REV_GOOD && rat > *issued)
		*issued = rat;
	if (r == PKI_REV_REVOKED) {
		if (*rev != PKI_REV_REVOKED || (rat != 0 && (*at == 0 ||
							    rat < *at)))
			*at = rat;
		*rev = PKI_REV_REVOKED;
	} else if (r == PKI_REV_GOOD && *rev == PKI_REV_UNKNOWN) {
		*rev = PKI_REV_GOOD;
	}
}

/* The certificates an answer's issuer may be among: certs, the anchors'
 * and vd's (decoded; those are freed by pool_free from base on). */
static STACK_OF(X509) *pool_new(STACK_OF(X509) *certs, X509_STORE *anchors,
				const struct pki_vdata *vd, int *base)
{
	STACK_OF(X509) *pool = sk_X509_new_null();
	STACK_OF(X509_OBJECT) *objs;

	if (pool == NULL)
		return NULL;
	for (int i = 0; i < sk_X509_num(certs); i++)
		sk_X509_push(pool, sk_X509_value(certs, i));
	objs = anchors ? X509_STORE_get0_objects(anchors) : NULL;
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (x != NULL)
			sk_X509_push(pool, x);
	}
	*base = sk_X509_num(pool);
	for (size_t i = 0; i < vd->ncerts; i++) {
		const unsigned char *p = vd->certs[i].p;
		X509 *x = d2i_X509(NULL, &p, (long)vd->certs[i].len);

		if (x != NULL && sk_X509_push(pool, x) > 0)
			continue;
		X509_free(x);
	}
	return pool;
}

static void pool_free(STACK_OF(X509) *pool, int base)
{
	for (int i = base; i < sk_X509_num(pool); i++)
		X509_free(sk_X509_value(pool, i));
	sk_X509_free(pool);
}

/* cert's status in one DER CRL its issuer (in pool) signed; *at: the
 * revocation time, or for good the CRL's thisUpdate (the issuer valid
 * then, else the CRL says nothing). */
static enum pki_revocation crl_status(X509 *cert, STACK_OF(X509) *pool,
				      const struct pki_der *der, time_t *at)
{
	const unsigned char *p = der->p;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)der->len);
	enum pki_revocation rev = PKI_REV_UNKNOWN;
	X509_REVOKED *entry = NULL;

	if (crl == NULL || X509_NAME_cmp(X509_CRL_get_issuer(crl),
					 X509_get_issuer_name(cert)) != 0)
		goto out;
	for (int j = 0; j < sk_X509_num(pool); j++) {
		X509 *is = sk_X509_value(pool, j);

		if (X509_NAME_cmp(X509_get_subject_name(is),
				  X509_CRL_get_issuer(crl)) != 0 ||
		    X509_CRL_verify(crl, X509_get0_pubkey(is)) != 1)
			continue;
		if (X509_CRL_get0_by_cert(crl, &entry, cert) == 1) {
			rev = PKI_REV_REVOKED;
			(void)asn1_time_t(X509_REVOKED_get0_revocationDate(entry),
					  at);
		} else if (asn1_time_t(X509_CRL_get0_lastUpdate(crl), at) == 0 &&
			   valid_at(is, *at)) {
			rev = PKI_REV_GOOD;
		}
		break;
	}
out:
	X509_CRL_free(crl);
	return rev;
}

/* cert's status in one DER OCSPResponse (RFC 6960) that verifies: signed
 * by cert's issuer or a responder it delegated to, with a path to the
 * anchors. The CertID may use SHA-1 or SHA-256. *at: the revocation
 * time, or for good the response's producedAt (its signer valid then,
 * else the response says nothing). */
static enum pki_revocation ocsp_status(X509 *cert, STACK_OF(X509) *pool,
				       X509_STORE *anchors,
				       const struct pki_der *der, time_t *at)
{
	const unsigned char *p = der->p;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)der->len);
	OCSP_BASICRESP *bs = NULL;
	X509 *issuer = NULL, *responder = NULL;
	time_t produced = 0;
	enum pki_revocation rev = PKI_REV_UNKNOWN;
	const EVP_MD *mds[2] = { EVP_sha1(), EVP_sha256() };

	if (resp == NULL || anchors == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		goto out;
	for (int j = 0; j < sk_X509_num(pool) && issuer == NULL; j++)
		if (X509_check_issued(sk_X509_value(pool, j), cert) ==
		    X509_V_OK)
			issuer = sk_X509_value(pool, j);
	if (issuer == NULL || OCSP_basic_verify(bs, pool, anchors, 0) != 1 ||
	    OCSP_resp_get0_signer(bs, &responder, pool) != 1 ||
	    asn1_time_t(OCSP_resp_get0_produced_at(bs), &produced) != 0)
		goto out;
	for (size_t m = 0; m < 2 && rev == PKI_REV_UNKNOWN; m++) {
		OCSP_CERTID *id = OCSP_cert_to_id(mds[m], cert, issuer);
		ASN1_GENERALIZEDTIME *rt = NULL;
		int status = -1, reason = -1;

		if (id != NULL &&
		    OCSP_resp_find_status(bs, id, &status, &reason, &rt, NULL,
					  NULL) == 1) {
			if (status == V_OCSP_CERTSTATUS_GOOD &&
			    valid_at(responder, produced)) {
				rev = PKI_REV_GOOD;
				*at = produced;
			} else if (status == V_OCSP_CERTSTATUS_REVOKED) {
				rev = PKI_REV_REVOKED;
				(void)asn1_time_t(rt, at);
			}
		}
		OCSP_CERTID_free(id);
	}
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return rev;
}

enum pki_revocation pki_vd_revocation(X509 *cert, STACK_OF(X509) *certs,
				      X509_STORE *anchors,
				      const struct pki_vdata *vd,
				      time_t *revoked_at, time_t *issued)
{
	enum pki_revocation rev = PKI_REV_UNKNOWN;
	time_t at = 0, iss = 0;
	STACK_OF(X509) *pool;
	int base = 0;

	pool = pool_new(certs, anchors, vd, &base);
	if (pool == NULL)
		return rev;
	for (size_t i = 0; i < vd->ncrls; i++) {
		time_t t = 0;
		enum pki_revocation r = crl_status(cert, pool, &vd->crls[i], &t);

		merge(&rev, &at, &iss, r, t);
	}
	for (size_t i = 0; i < vd->nocsps; i++) {
		time_t t = 0;
		enum pki_revocation r = ocsp_status(cert, pool, anchors,
						    &vd->ocsps[i], &t);

		merge(&rev, &at, &iss, r, t);
	}
	pool_free(pool, base);
	ERR_clear_error();
	if (revoked_at != NULL)
		*revoked_at = rev == PKI_REV_REVOKED ? at : 0;
	if (issued != NULL)
		*issued = rev == PKI_REV_GOOD ? iss : 0;
	return rev;
}

enum pki_revocation pki_issuer_revocation(X509 *cert, STACK_OF(X509) *certs,
					  X509_STORE *anchors,
					  const struct pki_vdata *vd,
					  time_t *revoked_at)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert,
						     NID_crl_distribution_points,
						     NULL, NULL);
	enum pki_revocation rev = PKI_REV_UNKNOWN;
	const char *uri = NULL;

	if (revoked_at != NULL)
		*revoked_at = 0;
	for (int i = 0; i < sk_DIST_POINT_num(dps) && uri == NULL; i++) {
		DIST_POINT_NAME *n = sk_DIST_POINT_value(dps, i)->distpoint;

		for (int j = 0; n != NULL && n->type == 0 &&
		     j < sk_GENERAL_NAME_num(n->name.fullname) && uri == NULL;
		     j++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(n->name.fullname,
								j);

			if (g->type == GEN_URI)
				uri = (const char *)ASN1_STRING_get0_data(
					g->d.uniformResourceIdentifier);
		}
	}
	if (uri != NULL) {
		uint8_t *der = NULL;
		size_t len = 0;

		if (vd->crl_at(vd->crl_arg, uri, &der, &len) == 0) {
			struct pki_der crl = { der, len };
			struct pki_vdata one = { NULL, 0, &crl, 1, NULL, NULL,
						 NULL, 0 };

			rev = pki_vd_revocation(cert, certs, anchors, &one,
						revoked_at, NULL);
			free(der);
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	ERR_clear_error();
	return rev;
}
