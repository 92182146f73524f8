/*
 * ct_util.h - library-internal helpers of host/ct: the one error reporter
 * and the number and address readers every parser here shares.
 */
#ifndef CT_UTIL_H
#define CT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Formats into the caller's buffer (when there is one) and returns -1. */
int ctnic_ct_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A decimal number min..max, nothing else on the string; 0 or -1. */
int ctnic_ct_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v);

/* A dotted-quad IPv4 address into host order; 0 or -1. */
int ctnic_ct_parse_ip(const char *s, uint32_t *a);

#endif /* CT_UTIL_H */
