/*
 * libFuzzer target: request-body JSON acceptance as the API does it
 * (api/routes.c body_object + need_str): jansson json_loadb with
 * JSON_REJECT_DUPLICATES, object check, unknown-field check against an
 * allowlist, then string fields read with json_string_value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = { "label", "type", "digest", "alg",
				       "hash", NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t e;
	json_t *j, *v;
	const char *key;
	char msg[256];
	volatile size_t sink = 0;

	if (size == 0)
		return 0;
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		snprintf(msg, sizeof(msg), "invalid JSON at line %d: %s",
			 e.line, e.text);
		sink += strlen(msg);
		return 0;
	}
	if (!json_is_object(j))
		goto out;
	json_object_foreach(j, key, v) {
		size_t i;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL) {
			snprintf(msg, sizeof(msg), "unknown field '%.64s'", key);
			sink += strlen(msg);
			goto out;
		}
	}
	for (size_t i = 0; allowed[i] != NULL; i++) {
		const char *s = json_string_value(json_object_get(j, allowed[i]));

		if (s != NULL)
			sink += strlen(s) + json_string_length(
				json_object_get(j, allowed[i]));
	}
out:
	json_decref(j);
	(void)sink;
	return 0;
}
