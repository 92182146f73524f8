/*
 * bench_installs - flow installs per second through the command ring of the
 * model: backend from one host thread (issue 4): FLOW_INSTALL commands (a
 * flow record and both key entries each) posted in batches, one doorbell and
 * one completion per batch.
 *
 *   bench_installs [--installs N] [--batch N] [--flows N]
 *
 * Prints `host_installs_per_s: N` (and the parameters as `name: value`
 * lines). What is timed: packing the entries, the ring, the model's DMA
 * engine and its table writes. Not timed: choosing slots (the daemon's
 * cuckoo placement; here flow i takes key slots 2i and 2i+1). Before it
 * prints, it reads a sample of flows back through the table window and
 * exits 1 if one is not what was installed last.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctnic.h"
#include "ctnic_ring.h"

struct opts {
	unsigned long installs, batch, flows;
};

static int parse(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		unsigned long *dst = !strcmp(argv[i], "--installs") ? &o->installs :
				     !strcmp(argv[i], "--batch") ? &o->batch :
				     !strcmp(argv[i], "--flows") ? &o->flows : NULL;
		char *end;

		if (!dst || i + 1 >= argc) {
			fprintf(stderr, "usage: bench_installs [--installs N] [--batch N] [--flows N (a power of two)]\n");
			return -1;
		}
		*dst = strtoul(argv[++i], &end, 0);
		if (*end || !*dst) {
			fprintf(stderr, "bench_installs: %s needs a positive number, not '%s'\n", argv[i - 1], argv[i]);
			return -1;
		}
	}
	return 0;
}

static void make_flow(uint32_t id, uint32_t round, struct ctnic_flow *f, struct ctnic_key_entry *k0,
		      struct ctnic_key_entry *k1)
{
	struct ctnic_key k = { .saddr = 0x0a000000u + id, .daddr = 0xc0000201u,
			       .sport = (uint16_t)(1024 + round), .dport = 80, .proto = 6 };

	memset(f, 0, sizeof(*f));
	f->valid = true;
	f->generation = (uint16_t)round;
	f->dir[0] = (struct ctnic_flow_dir){ .saddr = 0xc6336401u, .daddr = k.daddr, .sport = k.sport,
					     .dport = k.dport, .nexthop = 1 };
	f->dir[1] = (struct ctnic_flow_dir){ .saddr = k.daddr, .daddr = k.saddr, .sport = k.dport,
					     .dport = k.sport };
	*k0 = (struct ctnic_key_entry){ .valid = true, .flow_id = id, .key = k };
	*k1 = (struct ctnic_key_entry){ .valid = true, .reply = true, .flow_id = id,
					.key = { k.daddr, k.saddr, k.dport, k.sport, k.proto } };
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	struct opts o = { .installs = 4000000, .batch = 1024, .flows = 65536 };
	struct ctnic_dev *dev = NULL;
	struct ctnic_dma_pool *pool = NULL;
	struct ctnic_ring *cmd = NULL, *ev = NULL;
	struct ctnic_flow *fl = NULL;
	struct ctnic_key_entry *k0 = NULL, *k1 = NULL;
	char uri[96], err[CTNIC_ERR_LEN];
	unsigned long done = 0;
	double t0, t;
	int rc = 1;

	if (parse(argc, argv, &o) < 0)
		return 2;
	/* Buckets: two key slots per flow, WAYS 4, two sub-tables. */
	snprintf(uri, sizeof(uri), "model:flows=%lu,buckets=%lu", o.flows, o.flows / 4 ? o.flows / 4 : 1);
	if (ctnic_open(&dev, uri, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_installs: %s\n", err);
		return 1;
	}
	unsigned cmd_log2 = 1;

	while ((1ul << cmd_log2) < o.batch + 1)
		cmd_log2++;
	struct ctnic_ring_cfg ccfg = { .id = CTNIC_RING_ID_CMD, .size_log2 = cmd_log2, .irq_count = 1 };
	struct ctnic_ring_cfg ecfg = { .id = CTNIC_RING_ID_EVENT, .size_log2 = 8, .irq_count = 1 };

	fl = calloc(o.flows, sizeof(*fl));
	k0 = calloc(o.flows, sizeof(*k0));
	k1 = calloc(o.flows, sizeof(*k1));
	if (!fl || !k0 || !k1) {
		fprintf(stderr, "bench_installs: out of memory for %lu flows\n", o.flows);
		goto out;
	}
	if (ctnic_dma_pool_create(dev, &pool) < 0 || ctnic_ring_create(dev, pool, &ccfg, &cmd) < 0 ||
	    ctnic_ring_create(dev, pool, &ecfg, &ev) < 0) {
		fprintf(stderr, "bench_installs: %s\n", ctnic_last_error(dev));
		goto out;
	}
	for (uint32_t i = 0; i < o.flows; i++)
		make_flow(i, 0, &fl[i], &k0[i], &k1[i]);

	t0 = now();
	while (done < o.installs) {
		unsigned long n = o.installs - done < o.batch ? o.installs - done : o.batch;
		uint32_t last;

		for (unsigned long j = 0; j < n; j++) {
			uint32_t id = (uint32_t)((done + j) & (o.flows - 1));

			fl[id].generation++;
			if (ctnic_cmd_flow_install(cmd, id, &fl[id], 2 * id, &k0[id], 2 * id + 1, &k1[id],
						   (uint32_t)(done + j)) < 0)
				goto fail;
		}
		if (ctnic_cmd_submit(cmd, &last) < 0 || ctnic_cmd_wait(cmd, ev, last, NULL, NULL, NULL, 5000) < 0)
			goto fail;
		done += n;
	}
	t = now() - t0;

	/* The table holds what was installed last (the card's RAM, through the register window). */
	for (uint32_t i = 0; i < o.flows; i += o.flows / 64 ? (uint32_t)(o.flows / 64) : 1) {
		struct ctnic_flow got;
		struct ctnic_key_entry e;

		if (ctnic_flow_read(dev, i, &got) < 0 || ctnic_key_read(dev, 2 * i + 1, &e) < 0)
			goto fail;
		if (got.generation != fl[i].generation || !got.valid || !e.valid || !e.reply || e.flow_id != i) {
			fprintf(stderr, "bench_installs: flow %u reads back generation %u (valid %d, reply key flow %u), installed %u\n",
				i, got.generation, got.valid, e.flow_id, fl[i].generation);
			goto out;
		}
	}
	printf("host_install_batch: %lu\n", o.batch);
	printf("host_installs: %lu\n", done);
	printf("host_installs_per_s: %.0f\n", (double)done / t);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench_installs: %s\n", ctnic_last_error(dev));
out:
	ctnic_ring_destroy(ev);
	ctnic_ring_destroy(cmd);
	ctnic_dma_pool_destroy(pool);
	free(k1);
	free(k0);
	free(fl);
	ctnic_close(dev);
	return rc;
}
