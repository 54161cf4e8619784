/*
 * POST /v1/verify: validation report of every signature in a PDF
 * (docs/verify.md). Public: no credential needed; the body is bounded by
 * max_body like every request.
 */
#ifndef ESD_API_VERIFY_H
#define ESD_API_VERIFY_H

#include "api/api.h"

/*
 * Multipart field "file" (the PDF). Answers 200 with
 * {"verdict", "signature_count", "signatures": [...]} for any PDF that
 * could be read, whatever its signatures are worth ("valid", "invalid",
 * "indeterminate", or "unsigned" without signatures); 4xx with the pdf
 * error codes (not_pdf, pdf_truncated, pdf_encrypted, pdf_damaged, ...)
 * for a file that cannot be read.
 */
void api_verify(struct req *r, struct resp *out);

#endif
