/*
 * ct_err.c - error messages of host/ct go to the caller's buffer.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ct/ct_err.h"

int ctnic_ct_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
