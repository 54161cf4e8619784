/*
 * libFuzzer target: the BSrE v2 documents taken out of the raw JSON
 * before jansson parses it (api/v2files.c), checked against jansson
 * itself. When the files are taken:
 *  - the shortened body is valid JSON exactly when the original was
 *    (json_loadb with JSON_REJECT_DUPLICATES, as the API parses it);
 *  - for a valid body, each decoded file equals the base64 decoding of
 *    the string jansson reads at the same place, and the shortened body
 *    has "" there, with every other member unchanged.
 * Any difference aborts (a crash for libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/v2files.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The value of "file" as a list of strings (an array or one string). */
static json_t *file_of(json_t *j, size_t i)
{
	json_t *f = json_object_get(j, "file");

	return json_is_array(f) ? json_array_get(f, i) : i == 0 ? f : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct v2_files f;
	json_t *orig, *after;
	char *buf = malloc(size + 1);
	size_t len = size;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	orig = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	v2_files_take(buf, &len, &f);
	if (!f.taken) {
		if (len != size || memcmp(buf, data, size) != 0)
			abort();          /* untouched when not taken */
		goto out;
	}
	if (len > size || buf[len] != '\0' || f.n == 0 || f.n > V2_MAX_FILES)
		abort();
	after = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	if ((orig == NULL) != (after == NULL))
		abort();
	if (orig != NULL) {
		const char *key;
		json_t *v;

		for (size_t i = 0; i < f.n; i++) {
			const char *s = json_string_value(file_of(orig, i));
			const char *t = json_string_value(file_of(after, i));
			uint8_t *dec = NULL;
			size_t dlen = 0;

			if (s == NULL || t == NULL || t[0] != '\0' ||
			    esd_b64_decode(s, &dec, &dlen) != 0 ||
			    dlen != f.len[i] ||
			    (dlen > 0 && memcmp(dec, f.pdf[i], dlen) != 0))
				abort();
			free(dec);
		}
		if (file_of(orig, f.n) != NULL || json_object_size(orig) !=
						     json_object_size(after))
			abort();
		json_object_foreach(orig, key, v)
			if (strcmp(key, "file") != 0 &&
			    !json_equal(v, json_object_get(after, key)))
				abort();
	}
	json_decref(after);
out:
	v2_files_free(&f);
	json_decref(orig);
	free(buf);
	return 0;
}
