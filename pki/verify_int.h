/*
 * Private to pki/verify.c and pki/revocation.c: a certificate's status
 * from validation data (CRLs and OCSP responses).
 */
#ifndef ESD_PKI_VERIFY_INT_H
#define ESD_PKI_VERIFY_INT_H

#include <time.h>
#include <openssl/x509.h>

#include "pki/verify.h"

/*
 * cert's status in the CRLs and OCSP responses of vd: a CRL counts when
 * its issuer (found among certs, vd's certificates and the anchors) signed
 * it; an OCSP response as pki_vdata says. Revoked wins over good; then
 * *revoked_at (may be NULL) is the earliest revocation time given. Good:
 * *issued (may be NULL) is the latest issuance time (thisUpdate,
 * producedAt) of an answer that says so; an answer whose signer was not
 * within its validity period at that time is not counted.
 */
enum pki_revocation pki_vd_revocation(X509 *cert, STACK_OF(X509) *certs,
				      X509_STORE *anchors,
				      const struct pki_vdata *vd,
				      time_t *revoked_at, time_t *issued);

/* cert's status in the CRL vd->crl_at gives for its first CRL
 * distribution point URI (checked like the /DSS CRLs). */
enum pki_revocation pki_issuer_revocation(X509 *cert, STACK_OF(X509) *certs,
					  X509_STORE *anchors,
					  const struct pki_vdata *vd,
					  time_t *revoked_at);

#endif
