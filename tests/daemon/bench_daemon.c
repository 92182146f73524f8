/*
 * bench_daemon.c - `make bench`: the daemon's two numbers through the
 * model: card, one thread (docs/daemon.md "Numbers").
 *
 *   daemon_new_conn_per_s   new connections per second: a SYN into the
 *                           card's port, punted (MISS), the daemon creates
 *                           the connection (SNAT binding), installs both
 *                           directions (FLOW_INSTALL, cuckoo moves when
 *                           needed) and sends the SYN out translated; the
 *                           time includes the model card's own work.
 *   daemon_bytes_per_conn   heap the daemon's core holds per tracked
 *                           connection (mallinfo2 before its creation and
 *                           with N connections live, mmap()ed blocks too),
 *                           with nf_conntrack_max = N: connection records,
 *                           the tuple set, the key-table shadow, next hops,
 *                           counters. The linger memory is a fixed pool of
 *                           linger-entries ended connections, not a cost
 *                           per live one: it is measured on its own and
 *                           printed apart (a comment line), not counted.
 *
 * Usage: bench_daemon [N] (default 100000). Performance is printed, never
 * asserted; the run fails only when the daemon lost connections.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"

#define BATCH 64u

static uint64_t sent;

static void on_tx(void *arg, unsigned port, const uint8_t *f, size_t len, uint64_t tick)
{
	(void)arg, (void)port, (void)f, (void)len, (void)tick;
	sent++;
}

static size_t heap(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* The heap a linger memory of the configuration's size holds (measured by making one). */
static size_t linger_heap(const struct ctnic_conf *conf)
{
	size_t b = heap(), a;
	char err[256];
	struct ctnic_linger *l = ctnic_linger_create(conf->linger_entries, 1000, err, sizeof(err));

	a = heap();
	ctnic_linger_destroy(l);
	return a - b;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000u;
	char conf_text[1024], err[1024], uri[128];
	struct ctnic_conf *conf;
	struct ctnic_dev *dev;
	struct ctnicd_core *core;
	size_t before, after, linger;
	uint8_t frame[CTNIC_PKT_MAX];
	uint32_t buckets = 1024, flows;
	double t0, t1;

	if (n < 1 || n > 2000000) {
		fprintf(stderr, "bench_daemon: N must be 1..2000000\n");
		return 2;
	}
	/* A card with room: flows >= N, key slots for 2N keys at most ~76 % full. */
	for (flows = 1024; flows < n; flows *= 2)
		;
	while (2u * buckets * 4u < (uint32_t)(2.6 * n) && buckets < 65536)
		buckets *= 2;
	snprintf(uri, sizeof(uri), "model:flows=%u,buckets=%u,mem=64", flows, buckets);
	snprintf(conf_text, sizeof(conf_text), GW_CONF_NET "nf_conntrack_max = %u\n"
		 "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 192.0.2.0/24 -o wan -j SNAT --to-source 203.0.113.5\nCOMMIT\n",
		 n);
	if (ctnic_conf_parse(conf_text, "bench.conf", NULL, &conf, err, sizeof(err)) < 0 ||
	    ctnic_open(&dev, uri, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_daemon: %s\n", err);
		return 1;
	}
	linger = linger_heap(conf);
	before = heap();
	if (ctnicd_core_create(&core, dev, conf, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_daemon: %s\n", err);
		return 1;
	}
	ctnic_model_port_tx_cb(dev, on_tx, NULL);
	ctnic_csr_write(dev, CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK);

	t0 = now_s();
	for (uint32_t i = 0; i < n; i++) {
		/* Clients 192.0.2.64..191 (every one a static neighbour is not needed: replies are not sent). */
		uint32_t client = IP(192, 0, 2, 10);
		size_t len = gw_tcp(frame, gw_mac_lan, gw_mac_client, client, (uint16_t)(1024 + i % 60000),
				    IP(198, 51, 100, (i / 60000) + 1), 80, 0x02, 64);

		ctnic_model_port_rx(dev, 0, frame, len, 0);
		if (i % BATCH == BATCH - 1 || i == n - 1)
			ctnicd_core_punts(core);
	}
	t1 = now_s();
	after = heap();

	if (core->conns.used != n || sent != n) {
		fprintf(stderr, "bench_daemon: %u connections and %llu frames out for %u SYNs (%s)\n", core->conns.used,
			(unsigned long long)sent, n, core->err);
		return 1;
	}
	printf("# %u connections, %llu in the card (%llu cuckoo moves), card: %u flows, %u buckets x 4 ways x 2\n",
	       n, (unsigned long long)core->st.installs, (unsigned long long)core->st.cuckoo_moves, flows, buckets);
	printf("daemon_new_conn_per_s: %.0f\n", n / (t1 - t0));
	printf("# heap of the core: %zu bytes with %u connections; of it the linger memory (linger-entries %u, "
	       "a fixed pool for ended connections, not counted below): %zu\n", after - before, n,
	       core->conf->linger_entries, linger);
	printf("daemon_bytes_per_conn: %.0f\n", (double)(after - before - linger) / n);
	ctnicd_core_destroy(core);
	ctnic_close(dev);
	return 0;
}
