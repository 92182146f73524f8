/* Writing the generators' pcap files: see pcapw.h. */
#include "pcapw.h"

#include <stdio.h>
#include <string.h>

int ctnic_pcapw_open(struct ctnic_pcapw *w, const char *path, int nano, const char *prog)
{
	memset(w, 0, sizeof(*w));
	if (!path)
		return 0;
	w->path = path;
	w->nano = nano;
	w->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, nano ? PCAP_TSTAMP_PRECISION_NANO :
							  PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->dead) {
		fprintf(stderr, "%s: pcap_open_dead failed\n", prog);
		return -1;
	}
	w->dump = pcap_dump_open(w->dead, path);
	if (!w->dump) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, path, pcap_geterr(w->dead));
		pcap_close(w->dead);
		w->dead = NULL;
		return -1;
	}
	return 0;
}

void ctnic_pcapw_put(struct ctnic_pcapw *w, uint64_t sec, uint32_t nsec, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;

	if (!w->dump)
		return;
	h.ts.tv_sec = (time_t)sec;
	h.ts.tv_usec = (suseconds_t)(w->nano ? nsec : nsec / 1000);
	h.caplen = (bpf_u_int32)len;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)w->dump, &h, frame);
}

int ctnic_pcapw_close(struct ctnic_pcapw *w, const char *prog)
{
	int rc = 0;

	if (w->dump) {
		if (pcap_dump_flush(w->dump) != 0) {
			fprintf(stderr, "%s: writing %s failed\n", prog, w->path);
			rc = -1;
		}
		pcap_dump_close(w->dump);
	}
	if (w->dead)
		pcap_close(w->dead);
	w->dump = NULL;
	w->dead = NULL;
	return rc;
}
