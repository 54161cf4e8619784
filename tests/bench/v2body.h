/* v2body.c: BSrE v2 bodies for signbench. */
#ifndef ESD_BENCH_V2BODY_H
#define ESD_BENCH_V2BODY_H

#include <stddef.h>

/* Standard base64 with padding; a malloc'ed string or NULL. */
char *b64_encode(const unsigned char *p, size_t n, size_t *out_len);
/* {"idSubscriber","totp","signatureProperties":[…],"file":[…]} with files
 * copies of pdf; malloc'ed, or NULL. */
char *v2_request(const char *subscriber, const char *code, const char *pdf,
		 size_t pdf_len, unsigned files, size_t *out_len);
/* NULL if body is a v2 answer of files sealed PDFs, each longer than
 * sent_len bytes; else why not. */
const char *v2_reply_problem(const char *body, unsigned files,
			     size_t sent_len);
/* Writes the files of a v2 reply, decoded, to PREFIX.K.pdf; 0 or -1. */
int save_v2(const char *prefix, const char *body);

#endif
