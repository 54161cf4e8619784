/*
 * GET /v1/openapi.json: docs/openapi.yaml as JSON. api/gen_openapi.py
 * converts it when the front is built (api/meson.build), so the daemon
 * parses no YAML at run time and the document is the one in the tree it
 * was built from.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/openapi_json.h"
#include "common/err.h"

void api_openapi(struct req *r, struct resp *out)
{
	char *body;

	(void)r;
	/* The response owns its body (it is freed once sent). */
	body = malloc(api_openapi_json_len);
	if (body == NULL) {
		resp_error(out, ESD_ENOMEM, NULL);
		return;
	}
	memcpy(body, api_openapi_json, api_openapi_json_len);
	resp_text(out, 200, "application/json", body, api_openapi_json_len);
}
