/*
 * The messages the front sends the keeper (and the master's control
 * messages). Every request payload starts with the caller's credential:
 *
 *   u8 kind                     CRED_NONE | CRED_BEARER | CRED_PEER | CRED_BASIC
 *   CRED_BEARER: bytes[32]      SHA-256 of the bearer token
 *   CRED_BASIC: bytes[32], str  SHA-256 of the Basic password (the client's
 *                               token) and the user name (the client's)
 *   CRED_PEER:   nothing: the frame carries the Unix-socket client's
 *                connection (SCM_RIGHTS), and the keeper reads its
 *                SO_PEERCRED itself; no uid in a frame is believed
 *
 * then the message's own fields (see keeper.c's dispatch table). A reply
 * has status 0 and a JSON document (or, for the DER services MSG_TSA,
 * MSG_OCSP, MSG_CRL and MSG_CA_CERT, the DER) as payload, or a negative
 * ESD_E* status and a message string.
 */
#ifndef ESD_DAEMON_PROTO_H
#define ESD_DAEMON_PROTO_H

#include <stdint.h>
#include <sys/types.h>

enum msg_type {
	MSG_HEALTH = 1,       /* -> {"ok":bool,"checks":{...}} */
	MSG_STATUS = 2,       /* admin */
	MSG_KEYS_LIST = 3,    /* admin */
	MSG_KEY_GENERATE = 4, /* admin: str label, str type */
	MSG_KEY_SIGN = 5,     /* admin over the Unix socket: str label,
			       * str alg, str hash, bytes digest; raw: the
			       * digest is signed as given (not for documents,
			       * whose keys take MSG_DOC_SIGN's checks) */
	MSG_AUDIT_VERIFY = 6, /* admin -> {"ok":bool,"records":n,"first_bad":n} */
	MSG_DOC_KEY = 7,      /* str purpose ("seal" | "individual"), str key
			       * ("" = the client's default seal key) ->
			       * {"key","alg","cert":b64 DER,"chain":[b64 DER]} */
	MSG_DOC_SIGN = 8,     /* str purpose, str key (as for MSG_DOC_KEY), str
			       * label and bytes certs id (SHA-256 over the
			       * certificate's and the chain's DER) the front
			       * used, bytes signed attributes (the DER of the
			       * CMS SignedAttributes, SET OF form, at most
			       * PKI_SATTRS_MAX), bytes document digest (the
			       * one authorised; the attributes' messageDigest
			       * must equal it), str document name, str
			       * authorisation -> the signature value (binary);
			       * ESD_ESTALE if the key is no longer that label
			       * and those certificates; ESD_ESATTRS if the
			       * attributes are refused (pki/signedattrs.h) */
	MSG_TSA = 9,          /* bytes struct pki_tsq -> TimeStampResp DER */
	MSG_OCSP = 10,        /* bytes struct pki_ocsp_query -> OCSPResponse DER */
	MSG_CRL = 11,         /* str CA key label -> CRL DER */
	MSG_CA_CERT = 12,     /* str CA key label -> certificate DER */
	MSG_CERT_LIST = 13,   /* admin -> {"certs":[...]} */
	MSG_CERT_REVOKE = 14, /* admin: str serial (hex), str reason -> {...} */
	MSG_AUDIT_EXPORT = 15, /* admin: u64 since, u32 limit -> {"records":[..]} */
	MSG_LT_DATA = 16,     /* str signer key label ->
			       * {"certs":[b64 DER CA and TSA certificates],
			       *  "crls":[b64 DER current CRLs],
			       *  "ocsps":[b64 DER OCSP responses for the
			       *  signer's and the TSA's certificates]} (B-LT) */
	MSG_RA = 17,          /* str operation, str JSON arguments -> JSON: the
			       * registration authority (keeper/ra.c) */
	MSG_CERT_EXPIRY = 18, /* -> {"certs":[{"key","serial","not_after"}]}:
			       * valid certificates, for /metrics */
	MSG_RESULT_PUT = 19,  /* client: str id (SHA-256 hex), bytes PDF ->
			       * {"kept":bool} (BSrE download retention) */
	MSG_RESULT_GET = 20,  /* client: str id -> the PDF (binary) */
	MSG__COUNT
};

/* Master <-> child control channel. */
enum ctl_type {
	CTL_READY = 100,      /* child -> master: serving */
	CTL_CHANNELS = 101,   /* master -> child: new channel fds (SCM_RIGHTS) */
	CTL_CONFIG = 102,     /* master -> child: struct esd_config after SIGHUP */
	CTL_CHANNEL_LOST = 103, /* front -> master: a channel broke, send one */
	CTL_CHANNEL_ADD = 104,  /* master -> front: one more channel fd */
};

enum cred_kind { CRED_NONE = 0, CRED_BEARER = 1, CRED_PEER = 2,
		 CRED_BASIC = 3 };

struct cred {
	enum cred_kind kind;
	uint8_t token_hash[32];
	char user[65];            /* CRED_BASIC: the client's name */
	uid_t uid;                /* CRED_PEER: as the keeper read them */
	gid_t gid;
	int peer_fd;              /* CRED_PEER, front only: the connection */
};

#endif
