/* Writing the generators' pcap files (libpcap's dumper behind a dead
 * handle), microsecond or nanosecond timestamps. */
#ifndef CTNIC_GEN_PCAPW_H
#define CTNIC_GEN_PCAPW_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

struct ctnic_pcapw {
	pcap_t *dead;
	pcap_dumper_t *dump;
	int nano;
	const char *path;
};

/* Opens path for writing (path NULL: a writer that writes nothing).
 * 0, or -1 with the reason on stderr, prefixed with prog. */
int ctnic_pcapw_open(struct ctnic_pcapw *w, const char *path, int nano, const char *prog);
/* Appends a frame at sec + nsec (nsec < 1e9; a microsecond file keeps
 * nsec / 1000). */
void ctnic_pcapw_put(struct ctnic_pcapw *w, uint64_t sec, uint32_t nsec, const uint8_t *frame, size_t len);
/* Flushes and closes; a writer never opened is skipped. 0, or -1 when
 * writing failed (said on stderr). */
int ctnic_pcapw_close(struct ctnic_pcapw *w, const char *prog);

#endif
