/*
 * ct_err.h - the one error-reporting helper of host/ct (library-internal).
 */
#ifndef CT_ERR_H
#define CT_ERR_H

#include <stddef.h>

/* Formats into the caller's buffer (when there is one) and returns -1. */
int ctnic_ct_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* CT_ERR_H */
