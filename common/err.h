/*
 * esignd error codes: one enum for the whole appliance.
 *
 * Every function that can fail returns 0 or a negative ESD_E* value. The
 * names are stable: the API answers them as the JSON error "code" and maps
 * each to one HTTP status (esd_err_http). Never renumber; append.
 */
#ifndef ESD_COMMON_ERR_H
#define ESD_COMMON_ERR_H

enum esd_err {
	ESD_OK = 0,
	ESD_EINVAL = -1,       /* bad_request: malformed or invalid input */
	ESD_EJSON = -2,        /* malformed_json */
	ESD_EAUTH = -3,        /* unauthorized: missing or wrong credential */
	ESD_EPERM = -4,        /* forbidden: credential valid, action not allowed */
	ESD_ENOTFOUND = -5,    /* not_found */
	ESD_EMETHOD = -6,      /* method_not_allowed */
	ESD_EEXIST = -7,       /* conflict: already exists / illegal transition */
	ESD_ETOOBIG = -8,      /* payload_too_large */
	ESD_ETOKEN = -9,       /* token_unavailable: PKCS#11 token fault */
	ESD_EUNAVAIL = -10,    /* unavailable: keeper down, draining */
	ESD_ESTORE = -11,      /* storage_error: the store failed */
	ESD_EINTERNAL = -12,   /* internal_error */
	ESD_ENOMEM = -13,      /* out_of_memory */
	ESD_EIO = -14,         /* io_error */
	ESD_ECONFIG = -15,     /* config_error */
	ESD_EPROTO = -16,      /* protocol_error: broken IPC frame */
	ESD_ECRYPTO = -17,     /* crypto_error: OpenSSL failure */
	ESD_ELIMIT = -18,      /* rate_limited */
	ESD_EUNSUPP = -19,     /* unsupported: known but not supported here */
	ESD_ENOTPDF = -20,     /* not_pdf */
	ESD_EPDFTRUNC = -21,   /* pdf_truncated */
	ESD_EENCRYPTED = -22,  /* pdf_encrypted: /Encrypt, any handler */
	ESD_ESIGNED = -23,     /* already_signed: a seal on a signed document */
	ESD_EDAMAGED = -24,    /* pdf_damaged: structure beyond repair */
	ESD_ECONTENTS = -25,   /* contents_too_small: /Contents reservation */
	ESD_EPDFUNSUPP = -26,  /* pdf_unsupported: a PDF feature we do not read */
	ESD_EMEDIA = -27,      /* unsupported_media_type */
	ESD_ELOCKED = -28,     /* locked: too many wrong passphrases or codes */
	ESD_EAUTHZ = -29,      /* authorization_failed: wrong or missing
				* passphrase, seal code or activation code */
	ESD_EANCHOR = -30,     /* anchor_not_found: the text a visible
				* signature is placed at is not in the PDF */
	ESD_ESTALE = -31,      /* key_changed: the signing key or its
				* certificate changed while the front built
				* the signature (the front asks again) */
	ESD_ESATTRS = -32,     /* signed_attrs_refused: the keeper refused
				* the CMS signed attributes the front built
				* (not the document digest authorised, not
				* the key's certificate, not PAdES's three) */
	ESD_EDBDOWN = -33,     /* store_unavailable: the database (a
				* cluster's PostgreSQL) cannot be reached
				* now; nothing was changed, ask again */
	ESD_ERR_MIN = -33
};

/* Stable snake_case name of an error ("bad_request"); never NULL. */
const char *esd_err_name(int err);
/* Human-readable default message; never NULL. */
const char *esd_err_msg(int err);
/* HTTP status the API answers for this error (200 for ESD_OK). */
unsigned esd_err_http(int err);

#endif
