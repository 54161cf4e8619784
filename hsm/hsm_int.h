/* Internal to hsm/: shared by hsm.c and keygen.c. */
#ifndef ESD_HSM_INT_H
#define ESD_HSM_INT_H

#include <libp11.h>
#include "hsm/hsm.h"

/* Raw C_GenerateKeyPair on the slot libp11 is logged in to (libp11 0.4
 * generates neither EC keys nor keys with an explicit template). */
int hsm_raw_keygen(const char *module, unsigned long slot_id,
		   const char *label, const uint8_t *id, size_t id_len,
		   enum hsm_keytype type);

#endif
