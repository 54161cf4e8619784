/*
 * The token's PKCS#11 function list for the calls libp11 lacks (key
 * generation with a template, AES-GCM): the instance libp11 loaded and
 * logged in when the module shares one, else an instance of this
 * module's own, initialised and logged in here (p11-kit-client.so hands
 * each caller a new one, as network HSM modules may).
 */
#include <dlfcn.h>
#include <string.h>
#include <p11-kit/pkcs11.h>

#include "common/err.h"
#include "common/log.h"
#include "hsm/hsm_int.h"

int hsm_raw_open(struct hsm_raw *r, const char *module, unsigned long slot,
		 const char *pin)
{
	CK_C_INITIALIZE_ARGS args = { NULL, NULL, NULL, NULL,
				      CKF_OS_LOCKING_OK, NULL };
	CK_C_GetFunctionList gfl;
	CK_RV rv;

	memset(r, 0, sizeof(*r));
	/* The module is already loaded by libp11: this only takes another
	 * reference to it. */
	r->dl = dlopen(module, RTLD_NOW | RTLD_NOLOAD);
	if (r->dl == NULL)
		return ESD_ETOKEN;
	gfl = (CK_C_GetFunctionList)dlsym(r->dl, "C_GetFunctionList");
	if (gfl == NULL || gfl(&r->f) != CKR_OK || r->f == NULL)
		goto fail;
	rv = r->f->C_Initialize(&args);
	if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return 0;     /* libp11's instance, already logged in */
	if (rv != CKR_OK) {
		log_err("hsm: C_Initialize: 0x%lx", (unsigned long)rv);
		goto fail;
	}
	r->own = 1;
	rv = r->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
				 NULL, NULL, &r->login);
	if (rv == CKR_OK) {
		rv = r->f->C_Login(r->login, CKU_USER, (CK_UTF8CHAR_PTR)pin,
				   strlen(pin));
		if (rv == CKR_USER_ALREADY_LOGGED_IN)
			rv = CKR_OK;
	}
	if (rv == CKR_OK)
		return 0;
	log_err("hsm: opening a second instance of the module: 0x%lx",
		(unsigned long)rv);
	r->f->C_Finalize(NULL);
fail:
	dlclose(r->dl);
	memset(r, 0, sizeof(*r));
	return ESD_ETOKEN;
}

void hsm_raw_close(struct hsm_raw *r)
{
	if (r->dl == NULL)
		return;
	if (r->own)
		r->f->C_Finalize(NULL);   /* closes the login session */
	dlclose(r->dl);
	memset(r, 0, sizeof(*r));
}
