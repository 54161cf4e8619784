#include "common/err.h"

static const struct {
	const char *name;
	const char *msg;
	unsigned http;
} errs[] = {
	[0] = { "ok", "success", 200 },
	[1] = { "bad_request", "the request is malformed or invalid", 400 },
	[2] = { "malformed_json", "the request body is not valid JSON", 400 },
	[3] = { "unauthorized", "missing or invalid credential", 401 },
	[4] = { "forbidden", "this credential may not do that", 403 },
	[5] = { "not_found", "no such resource", 404 },
	[6] = { "method_not_allowed", "method not allowed on this resource", 405 },
	[7] = { "conflict", "conflicts with the current state", 409 },
	[8] = { "payload_too_large", "request body exceeds the configured limit", 413 },
	[9] = { "token_unavailable", "the signing token is unavailable", 503 },
	[10] = { "unavailable", "the service is temporarily unavailable", 503 },
	[11] = { "storage_error", "the state store failed", 500 },
	[12] = { "internal_error", "internal error", 500 },
	[13] = { "out_of_memory", "out of memory", 503 },
	[14] = { "io_error", "input/output error", 500 },
	[15] = { "config_error", "configuration error", 500 },
	[16] = { "protocol_error", "internal protocol error", 500 },
	[17] = { "crypto_error", "cryptographic operation failed", 500 },
	[18] = { "rate_limited", "too many requests", 429 },
	[19] = { "unsupported", "not supported", 400 },
	[20] = { "not_pdf", "the document is not a PDF", 400 },
	[21] = { "pdf_truncated", "the PDF is truncated", 400 },
	[22] = { "pdf_encrypted", "encrypted PDFs cannot be signed", 400 },
	[23] = { "already_signed", "the document already carries a signature", 409 },
	[24] = { "pdf_damaged", "the PDF structure is damaged beyond repair", 400 },
	[25] = { "contents_too_small", "the signature does not fit the reserved space", 400 },
	[26] = { "pdf_unsupported", "the PDF uses a feature esignd cannot read", 400 },
	[27] = { "unsupported_media_type", "unsupported media type", 415 },
	[28] = { "locked", "locked after too many wrong passphrases or codes", 403 },
	[29] = { "authorization_failed", "the signer's passphrase or code is wrong", 401 },
	[30] = { "anchor_not_found", "the anchor text is not in the document", 422 },
	[31] = { "key_changed", "the signing key changed during the request; "
		 "send it again", 409 },
	[32] = { "signed_attrs_refused", "the signing service refused the "
		 "signature it was asked to make; nothing was signed", 500 },
	[33] = { "store_unavailable", "the database cannot be reached now; "
		 "nothing was changed, send it again", 503 },
};

static unsigned idx(int err)
{
	if (err > 0 || err < ESD_ERR_MIN)
		return 12;
	return (unsigned)-err;
}

const char *esd_err_name(int err) { return errs[idx(err)].name; }
const char *esd_err_msg(int err) { return errs[idx(err)].msg; }
unsigned esd_err_http(int err) { return errs[idx(err)].http; }
