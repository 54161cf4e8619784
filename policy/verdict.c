#include <stdarg.h>
#include <stdio.h>

#include "policy/verdict.h"

int pol_refuse(struct pol_verdict *v, int code, const char *fmt, ...)
{
	va_list ap;

	if (v != NULL) {
		v->code = code;
		va_start(ap, fmt);
		vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int pol_allow(struct pol_verdict *v)
{
	if (v != NULL) {
		v->code = 0;
		v->msg[0] = '\0';
	}
	return 0;
}
