/*
 * libFuzzer target: esignd.conf parsing (daemon/config.h config_parse).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct esd_config c; /* ~40 KB: keep it off the stack */
	char err[256];
	volatile size_t sink;

	err[0] = '\0';
	if (config_parse((const char *)data, size, "fuzz.conf", "/tmp", &c,
			 err, sizeof(err)) != 0) {
		sink = strlen(err);
	} else {
		/* Every string field must come out NUL-terminated. */
		sink = strlen(c.path) + strlen(c.pkcs11_module) +
		       strlen(c.token_label) + strlen(c.pin_file) +
		       strlen(c.softhsm_conf) + strlen(c.state_dir) +
		       strlen(c.https_listen) + strlen(c.tls_cert) +
		       strlen(c.tls_key) + strlen(c.unix_socket) +
		       strlen(c.user) + strlen(c.trust_anchors);
	}
	(void)sink;
	return 0;
}
