#ifndef ESD_API_V2FILES_H
#define ESD_API_V2FILES_H

#include <stddef.h>
#include <stdint.h>

/*
 * The documents of a v2 body, taken out before jansson parses it: jansson
 * copies every string byte by byte, which was two thirds of the front's
 * CPU for ten 140 KB files per call (docs/performance.md). A skim of the
 * raw JSON finds the top-level "file" value (an array of strings, or one
 * string), decodes each base64 string, and cuts it down to "", so the
 * body stays the same JSON with empty strings. Anything
 * unexpected (another shape, an escape other than \/, bad base64) leaves
 * the body as it was, for jansson and the checks after it to judge.
 */
#define V2_MAX_FILES 50

struct v2_files {
	int taken;              /* 1: the files below; 0: body untouched */
	size_t n;
	uint8_t *pdf[V2_MAX_FILES];   /* decoded, malloc'd */
	size_t len[V2_MAX_FILES];
};

/* body[0..*len) is the request's JSON, NUL-terminated at *len; when the
 * files are taken, it is shortened in place and *len updated. */
void v2_files_take(char *body, size_t *len, struct v2_files *f);
void v2_files_free(struct v2_files *f);

#endif
