/*
 * readfile.c - the only file reading of host/ct: a whole text file into
 * memory, for the configuration and the NAT rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/ct_util.h"
#include "ct/ctnic_conf.h"

#define MAX_TEXT (16u << 20) /* a configuration larger than this is a mistake */

int ctnic_ct_read_file(const char *path, char **text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	*text = NULL;
	if (!f)
		return ctnic_ct_errf(err, errlen, "open %s: %s", path, strerror(errno));
	do {
		if (cap - len < 4096) {
			char *t = cap + 65536 > MAX_TEXT ? NULL : realloc(buf, cap + 65536);

			if (!t) {
				fclose(f);
				free(buf);
				return ctnic_ct_errf(err, errlen, "read %s: larger than %u bytes or "
						     "out of memory", path, MAX_TEXT);
			}
			buf = t;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return ctnic_ct_errf(err, errlen, "read %s: I/O error", path);
	}
	fclose(f);
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		return ctnic_ct_errf(err, errlen, "%s: contains a NUL byte: not a text file", path);
	}
	*text = buf;
	return 0;
}
