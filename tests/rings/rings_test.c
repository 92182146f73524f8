/*
 * rings_test - the DMA rings (docs/rings.md) end to end over the model:
 * backend: the host side (driver/src/ring*.c) talks to the model's software
 * DMA engine (driver/src/model.c) through BAR0 and host memory only.
 *
 * Random parts print their seed ("# seed N"); `rings_test SEED` replays.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ctnic.h"
#include "ctnic_ring.h"

static unsigned seed;

/* A model card with all four rings. */
struct card {
	struct ctnic_dev *dev;
	struct ctnic_dma_pool *pool;
	struct ctnic_ring *ring[CTNIC_RINGS];
	/* frames the card sent out of its ports */
	unsigned tx_count, tx_port;
	size_t tx_len;
	uint8_t tx[CTNIC_RING_MAX_FRAME];
};

struct sizes {
	unsigned log2[CTNIC_RINGS];
	unsigned slot_log2; /* punt and inject */
};

static const struct sizes default_sizes = { { 6, 6, 6, 6 }, 11 };

static void on_tx(void *arg, unsigned port, const uint8_t *frame, size_t len, uint64_t tick)
{
	struct card *c = arg;

	(void)tick;
	c->tx_count++;
	c->tx_port = port;
	c->tx_len = len;
	memcpy(c->tx, frame, len);
}

static void card_open_sized(struct card *c, const char *uri, const struct sizes *s)
{
	char err[CTNIC_ERR_LEN];

	memset(c, 0, sizeof(*c));
	assert_int_equal(ctnic_open(&c->dev, uri, err, sizeof(err)), 0);
	assert_int_equal(ctnic_dma_pool_create(c->dev, &c->pool), 0);
	for (unsigned id = 0; id < CTNIC_RINGS; id++) {
		struct ctnic_ring_cfg cfg = {
			.id = (enum ctnic_ring_id)id, .size_log2 = s->log2[id], .slot_log2 = s->slot_log2,
			.irq_count = 1,
		};
		int rc = ctnic_ring_create(c->dev, c->pool, &cfg, &c->ring[id]);

		if (rc)
			fail_msg("ctnic_ring_create %s: %s", ctnic_ring_name((enum ctnic_ring_id)id),
				 ctnic_last_error(c->dev));
	}
	assert_int_equal(ctnic_model_port_tx_cb(c->dev, on_tx, c), 0);
	assert_int_equal(ctnic_csr_write(c->dev, CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK), 0);
}

static void card_open(struct card *c)
{
	card_open_sized(c, "model:", &default_sizes);
}

static void card_close(struct card *c)
{
	for (int id = CTNIC_RINGS - 1; id >= 0; id--)
		ctnic_ring_destroy(c->ring[id]);
	ctnic_dma_pool_destroy(c->pool);
	ctnic_close(c->dev);
}

static uint64_t counter(struct card *c, uint32_t lo_off)
{
	uint32_t lo, hi;

	assert_int_equal(ctnic_csr_read(c->dev, lo_off, &lo), 0);
	assert_int_equal(ctnic_csr_read(c->dev, lo_off + 4, &hi), 0);
	return (uint64_t)hi << 32 | lo;
}

/* ---- frames ---- */

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An Ethernet + IPv4 + TCP frame of `len` bytes (>= 54) for a key, payload filled from `fill`. */
static size_t tcp_frame(uint8_t *f, size_t len, const struct ctnic_key *k, uint8_t flags, unsigned fill)
{
	uint16_t ipl = (uint16_t)(len - 14), cs;

	memset(f, 0, len);
	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	f[14] = 0x45;
	f[16] = (uint8_t)(ipl >> 8);
	f[17] = (uint8_t)ipl;
	f[22] = 64;
	f[23] = 6;
	for (int i = 0; i < 4; i++) {
		f[26 + i] = (uint8_t)(k->saddr >> (24 - 8 * i));
		f[30 + i] = (uint8_t)(k->daddr >> (24 - 8 * i));
	}
	cs = ip_csum(f + 14, 20);
	f[24] = (uint8_t)(cs >> 8);
	f[25] = (uint8_t)cs;
	f[34] = (uint8_t)(k->sport >> 8);
	f[35] = (uint8_t)k->sport;
	f[36] = (uint8_t)(k->dport >> 8);
	f[37] = (uint8_t)k->dport;
	f[46] = 0x50;
	f[47] = flags;
	for (size_t i = 54; i < len; i++)
		f[i] = (uint8_t)(fill + i);
	return len;
}

static struct ctnic_key key_n(uint32_t n)
{
	return (struct ctnic_key){ .saddr = 0x0a000000u + n, .daddr = 0xc0000201u,
				   .sport = (uint16_t)(1024 + n), .dport = 80, .proto = 6 };
}

static struct ctnic_key key_reverse(const struct ctnic_key *k)
{
	return (struct ctnic_key){ .saddr = k->daddr, .daddr = k->saddr, .sport = k->dport,
				   .dport = k->sport, .proto = k->proto };
}

/* A SNAT flow for key k: original direction leaves from 198.51.100.1, port+1000, via next hop 1. */
static void nat_flow(const struct ctnic_key *k, struct ctnic_flow *f, uint16_t gen)
{
	memset(f, 0, sizeof(*f));
	f->valid = true;
	f->tclass = 3;
	f->generation = gen;
	f->dir[0] = (struct ctnic_flow_dir){ .saddr = 0xc6336401u, .daddr = k->daddr,
					     .sport = (uint16_t)(k->sport + 1000), .dport = k->dport,
					     .action = CTNIC_ACTION_FORWARD, .nexthop = 1 };
	f->dir[1] = (struct ctnic_flow_dir){ .saddr = k->daddr, .daddr = k->saddr, .sport = k->dport,
					     .dport = k->sport, .action = CTNIC_ACTION_FORWARD, .nexthop = 0 };
}

/* Slots by the contract's hash: sub-table 0 way 0 for the original, sub-table 1 way 1 for the reply. */
static void slots_of(struct card *c, const struct ctnic_key *k, uint32_t *s0, uint32_t *s1)
{
	struct ctnic_dev_info info;
	struct ctnic_key r = key_reverse(k);

	assert_int_equal(ctnic_dev_info(c->dev, &info), 0);
	*s0 = ctnic_slot(0, ctnic_bucket(ctnic_key_hash(k), 0, info.buckets), 0, info.buckets, info.ways);
	*s1 = ctnic_slot(1, ctnic_bucket(ctnic_key_hash(&r), 1, info.buckets), 1, info.buckets, info.ways);
}

static void install(struct card *c, uint32_t flow_id, const struct ctnic_key *k, uint32_t *s0, uint32_t *s1)
{
	struct ctnic_key r = key_reverse(k);
	struct ctnic_key_entry k0 = { .valid = true, .flow_id = flow_id, .key = *k };
	struct ctnic_key_entry k1 = { .valid = true, .reply = true, .flow_id = flow_id, .key = r };
	struct ctnic_flow f;

	nat_flow(k, &f, (uint16_t)(flow_id + 7));
	slots_of(c, k, s0, s1);
	assert_int_equal(ctnic_cmd_flow_install(c->ring[CTNIC_RING_ID_CMD], flow_id, &f, *s0, &k0, *s1, &k1,
						flow_id), 0);
}

static int submit_wait(struct card *c, struct ctnic_event *cpl, ctnic_event_fn *fn, void *arg)
{
	uint32_t last;

	assert_int_equal(ctnic_cmd_submit(c->ring[CTNIC_RING_ID_CMD], &last), 0);
	return ctnic_cmd_wait(c->ring[CTNIC_RING_ID_CMD], c->ring[CTNIC_RING_ID_EVENT], last, cpl, fn, arg, 1000);
}

static void nexthops(struct card *c)
{
	struct ctnic_nexthop nh = { .valid = true, .rewrite_macs = true, .port = 1,
				    .dst_mac = { 2, 0, 0, 0, 0, 9 }, .src_mac = { 2, 0, 0, 0, 0, 8 } };

	assert_int_equal(ctnic_cmd_nexthop_write(c->ring[CTNIC_RING_ID_CMD], 1, &nh, 0), 0);
	nh.port = 0;
	assert_int_equal(ctnic_cmd_nexthop_write(c->ring[CTNIC_RING_ID_CMD], 0, &nh, 0), 0);
}

/* ---- tests ---- */

static void test_dma_pool_aligns_reuses_and_says_when_exhausted(void **state)
{
	struct ctnic_dev *dev;
	struct ctnic_dma_pool *pool;
	struct ctnic_dma_buf a, b, c, d;
	char err[CTNIC_ERR_LEN];

	(void)state;
	assert_int_equal(ctnic_open(&dev, "model:mem=1", err, sizeof(err)), 0);
	assert_int_equal(ctnic_dma_pool_create(dev, &pool), 0);
	assert_int_equal(ctnic_dma_alloc(pool, 1, &a), 0);
	assert_int_equal(ctnic_dma_alloc(pool, 5000, &b), 0);
	assert_int_equal(a.iova % 4096, 0);
	assert_int_equal(b.iova % 4096, 0);
	assert_int_equal(b.len, 8192);
	assert_true(a.iova >> 32); /* the model's host memory sits above 4 GiB */
	assert_int_equal(ctnic_dma_alloc(pool, 2u << 20, &c), -ENOMEM);
	assert_non_null(strstr(ctnic_last_error(dev), "no free block"));
	ctnic_dma_free(pool, &a);
	ctnic_dma_free(pool, &b);
	/* Freed neighbours coalesce: the whole MiB is one block again. */
	assert_int_equal(ctnic_dma_alloc(pool, 1u << 20, &d), 0);
	ctnic_dma_free(pool, &d);
	ctnic_dma_pool_destroy(pool);
	ctnic_close(dev);
}

static void test_model_uri_takes_parameters_and_refuses_garbage(void **state)
{
	struct ctnic_dev *dev;
	struct ctnic_dev_info info;
	char err[CTNIC_ERR_LEN];

	(void)state;
	assert_int_equal(ctnic_open(&dev, "model:flows=4096,buckets=1024,ports=4", err, sizeof(err)), 0);
	assert_int_equal(ctnic_dev_info(dev, &info), 0);
	assert_int_equal(info.flows, 4096);
	assert_int_equal(info.buckets, 1024);
	assert_int_equal(info.ports, 4);
	ctnic_close(dev);
	assert_int_equal(ctnic_open(&dev, "model:flows=lots", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "KEY=N"));
	assert_int_equal(ctnic_open(&dev, "model:flows=1000", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "powers of two"));
}

static void test_ring_config_the_card_refuses_is_reported(void **state)
{
	struct card c;
	struct ctnic_ring *r;
	struct ctnic_ring_cfg bad = { .id = CTNIC_RING_ID_PUNT, .size_log2 = 2, .slot_log2 = 11 };

	(void)state;
	card_open(&c);
	/* 4 slots of 2 KiB cannot hold a 9216-byte frame: refused before the card sees it. */
	assert_int_equal(ctnic_ring_create(c.dev, c.pool, &bad, &r), -EINVAL);
	assert_non_null(strstr(ctnic_last_error(c.dev), "cannot hold"));
	bad.size_log2 = 25;
	assert_int_equal(ctnic_ring_create(c.dev, c.pool, &bad, &r), -EINVAL);
	card_close(&c);
}

static void test_flows_installed_through_the_command_ring_read_back(void **state)
{
	struct card c;
	struct ctnic_event cpl;
	enum { N = 40 };
	uint32_t s0[N], s1[N];

	(void)state;
	card_open_sized(&c, "model:flows=1024,buckets=1024", &default_sizes);
	for (uint32_t i = 0; i < N; i++) {
		struct ctnic_key k = key_n(i);

		install(&c, i, &k, &s0[i], &s1[i]);
	}
	assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
	assert_int_equal(cpl.type, CTNIC_EVT_CPL);
	assert_int_equal(cpl.code, CTNIC_CMD_STATUS_OK);
	assert_int_equal(cpl.aux, CTNIC_CMD_OP_FLOW_INSTALL);
	assert_int_equal(cpl.tag, N - 1);

	for (uint32_t i = 0; i < N; i++) {
		struct ctnic_key k = key_n(i);
		struct ctnic_flow want, got;
		struct ctnic_key_entry e;

		/* Through the register window ... */
		nat_flow(&k, &want, (uint16_t)(i + 7));
		assert_int_equal(ctnic_flow_read(c.dev, i, &got), 0);
		assert_memory_equal(&got.dir, &want.dir, sizeof(want.dir));
		assert_int_equal(got.generation, i + 7);
		assert_int_equal(ctnic_key_read(c.dev, s1[i], &e), 0);
		assert_true(e.valid && e.reply);
		assert_int_equal(e.flow_id, i);
		/* ... and through the ring. */
		assert_int_equal(ctnic_cmd_read(c.ring[CTNIC_RING_ID_CMD], CTNIC_CMD_OP_FLOW_READ, i, 1000 + i), 0);
		assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
		assert_int_equal(cpl.tag, 1000 + i);
		ctnic_flow_unpack(cpl.data, &got);
		assert_memory_equal(&got.dir, &want.dir, sizeof(want.dir));
		assert_int_equal(ctnic_cmd_read(c.ring[CTNIC_RING_ID_CMD], CTNIC_CMD_OP_KEY_READ, s0[i], 0), 0);
		assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
		ctnic_key_entry_unpack(cpl.data, &e);
		assert_true(e.valid && !e.reply);
		assert_int_equal(e.key.saddr, k.saddr);
		assert_int_equal(e.key.sport, k.sport);
		assert_int_equal(e.key.proto, k.proto);
	}
	card_close(&c);
}

static void test_punt_arrives_with_its_descriptor(void **state)
{
	struct card c;
	struct ctnic_punt_frame p;
	struct ctnic_key k = key_n(1);
	uint8_t f[200];
	size_t len = tcp_frame(f, sizeof(f), &k, CTNIC_TCP_SYN, 3);

	(void)state;
	card_open(&c);
	assert_int_equal(ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p), 0);
	assert_int_equal(ctnic_model_port_rx(c.dev, 1, f, len, 0), 0);
	assert_int_equal(ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p), 1);
	assert_int_equal(p.desc.reason, CTNIC_PUNT_MISS);
	assert_int_equal(p.desc.port, 1);
	assert_int_equal(p.desc.len, len);
	assert_int_equal(p.desc.l3_off, 14);
	assert_int_equal(p.desc.l4_off, 34);
	assert_int_equal(p.desc.tcp_flags, CTNIC_TCP_SYN);
	assert_false(p.desc.flow_valid);
	assert_int_equal(p.len, len);
	assert_memory_equal(p.frame, f, len);
	assert_int_equal(ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p), 0);
	assert_int_equal(ctnic_ring_release(c.ring[CTNIC_RING_ID_PUNT]), 0);
	assert_int_equal(counter(&c, CTNIC_REG_CNT_PUNT_LO(CTNIC_PUNT_MISS)), 1);
	card_close(&c);
}

static void test_full_punt_ring_drops_whole_frames_and_counts_them(void **state)
{
	/* 8 slots of 2 KiB: room for one 9216-byte frame (5 slots) or eight small ones. */
	struct sizes s = { { 3, 6, 6, 6 }, 11 };
	struct card c;
	struct ctnic_punt_frame p;
	uint8_t f[CTNIC_RING_MAX_FRAME];
	unsigned sent = 0, got = 0;

	(void)state;
	card_open_sized(&c, "model:", &s);
	for (unsigned i = 0; i < 12; i++, sent++) {
		struct ctnic_key k = key_n(i);

		assert_int_equal(ctnic_model_port_rx(c.dev, 0, f, tcp_frame(f, 100 + i, &k, 0, i), 0), 0);
	}
	/* The ninth and later found the ring full: dropped whole, counted, ring intact. */
	assert_int_equal(counter(&c, CTNIC_REG_CNT_DROP_LO(CTNIC_DROP_HOST_FULL)), 4);
	while (ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p) == 1) {
		struct ctnic_key k = key_n(got);
		uint8_t want[200];

		assert_int_equal(p.len, 100 + got);
		assert_memory_equal(p.frame, want, tcp_frame(want, 100 + got, &k, 0, got));
		got++;
	}
	assert_int_equal(got, 8);
	assert_int_equal(ctnic_ring_release(c.ring[CTNIC_RING_ID_PUNT]), 0);
	/* A jumbo frame needs five free slots; after the release it fits. */
	{
		struct ctnic_key k = key_n(99);

		assert_int_equal(ctnic_model_port_rx(c.dev, 0, f, tcp_frame(f, 9000, &k, 0, 5), 0), 0);
		assert_int_equal(ctnic_model_port_rx(c.dev, 0, f, tcp_frame(f, 9000, &k, 0, 5), 0), 0);
		assert_int_equal(counter(&c, CTNIC_REG_CNT_DROP_LO(CTNIC_DROP_HOST_FULL)), 5);
		assert_int_equal(ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p), 1);
		assert_int_equal(p.len, 9000);
		assert_memory_equal(p.frame, f, 9000);
		assert_int_equal(ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p), 0);
	}
	(void)sent;
	card_close(&c);
}

static void test_punt_ring_wraps_with_frames_split_at_its_end(void **state)
{
	struct sizes s = { { 4, 6, 6, 6 }, 10 }; /* 16 slots of 1 KiB */
	struct card c;
	struct ctnic_punt_frame p;
	uint8_t f[CTNIC_RING_MAX_FRAME], want[CTNIC_RING_MAX_FRAME];
	unsigned r = seed;

	(void)state;
	card_open_sized(&c, "model:", &s);
	for (unsigned i = 0; i < 500; i++) {
		struct ctnic_key k = key_n(i);
		size_t len = 60 + (size_t)rand_r(&r) % 3000;
		unsigned burst = 1 + (unsigned)rand_r(&r) % 3, n = 0;

		for (unsigned j = 0; j < burst; j++)
			assert_int_equal(ctnic_model_port_rx(c.dev, 0, f, tcp_frame(f, len + j, &k, 0, i + j), 0), 0);
		while (ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p) == 1) {
			assert_int_equal(p.len, len + n);
			assert_memory_equal(p.frame, want, tcp_frame(want, len + n, &k, 0, i + n));
			n++;
		}
		/* Bursts that do not fit are dropped whole; what arrives is intact and in order. */
		assert_true(n >= 1 && n <= burst);
		assert_int_equal(ctnic_ring_release(c.ring[CTNIC_RING_ID_PUNT]), 0);
	}
	card_close(&c);
}

static void test_command_ring_wraps_over_many_batches(void **state)
{
	struct sizes s = { { 6, 6, 3, 2 }, 11 }; /* 8 command slots, 4 event slots */
	struct card c;
	struct ctnic_event cpl;

	(void)state;
	card_open_sized(&c, "model:", &s);
	for (uint32_t round = 0; round < 100; round++) {
		for (uint32_t i = 0; i < 7; i++) {
			struct ctnic_key k = key_n(round * 7 + i);
			uint32_t s0, s1;

			install(&c, (round * 7 + i) % 256, &k, &s0, &s1);
		}
		assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
		assert_int_equal(cpl.index, round * 8 + 6); /* 7 installs, then ... */
		assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0); /* ... a NOP fence */
		assert_int_equal(cpl.aux, CTNIC_CMD_OP_NOP);
	}
	card_close(&c);
}

/* Completions of reads tagged 0, 1, 2, ... arrive in order. */
static void count_reads(void *arg, const struct ctnic_event *e)
{
	unsigned *n = arg;

	assert_int_equal(e->type, CTNIC_EVT_CPL);
	assert_int_equal(e->tag, *n);
	(*n)++;
}

static void test_event_ring_smaller_than_the_reads_of_a_batch_holds_commands_not_loses_them(void **state)
{
	struct sizes s = { { 6, 6, 6, 1 }, 11 }; /* 2 event slots */
	struct card c;
	struct ctnic_event cpl;
	unsigned others = 0;

	(void)state;
	card_open_sized(&c, "model:", &s);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(ctnic_cmd_read(c.ring[CTNIC_RING_ID_CMD], CTNIC_CMD_OP_NH_READ, i, i), 0);
	assert_int_equal(submit_wait(&c, &cpl, count_reads, &others), 0);
	assert_int_equal(others, 9);
	assert_int_equal(cpl.tag, 9);
	card_close(&c);
}

static void garble_seen(void *arg, const struct ctnic_event *e)
{
	unsigned *refused = arg;

	if (e->type == CTNIC_EVT_CPL && e->code != CTNIC_CMD_STATUS_OK)
		(*refused)++;
}

static void test_garbled_commands_get_error_completions_and_harm_nothing(void **state)
{
	struct card c;
	struct ctnic_event cpl;
	struct ctnic_ring *cmd;
	struct ctnic_cmd bad_index = { .op = CTNIC_CMD_OP_FLOW_INSTALL, .index = 5, .index2 = 1u << 30 };
	struct ctnic_cmd bad_op = { .op = 200 };
	struct ctnic_cmd reserved = { .op = CTNIC_CMD_OP_KEY_WRITE, .flags = 0x80 };
	uint8_t raw[CTNIC_CMD_ENTRY_BYTES];
	unsigned r = seed, refused = 0;
	uint32_t s0, s1, before[CTNIC_FLOW_WORDS], after[CTNIC_FLOW_WORDS];
	struct ctnic_key k = key_n(5);

	(void)state;
	card_open(&c);
	cmd = c.ring[CTNIC_RING_ID_CMD];
	install(&c, 3, &k, &s0, &s1);
	assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
	assert_int_equal(ctnic_tbl_op(c.dev, CTNIC_TBL_OP_FLOW_READ, 3, before, CTNIC_FLOW_WORDS), 0);

	assert_int_equal(ctnic_cmd_post(cmd, &bad_index), 0);
	assert_int_equal(ctnic_cmd_post(cmd, &bad_op), 0);
	assert_int_equal(ctnic_cmd_post(cmd, &reserved), 0);
	for (unsigned i = 0; i < 20; i++) {
		for (size_t j = 0; j < sizeof(raw); j++)
			raw[j] = (uint8_t)rand_r(&r);
		raw[2] |= 1; /* a reserved byte set: refused whatever the rest says */
		assert_int_equal(ctnic_cmd_post_raw(cmd, raw), 0);
	}
	install(&c, 4, &k, &s0, &s1); /* the ring goes on after refusals */
	assert_int_equal(submit_wait(&c, &cpl, garble_seen, &refused), -EIO);
	assert_non_null(strstr(ctnic_last_error(c.dev), "23 command(s) refused"));
	assert_non_null(strstr(ctnic_last_error(c.dev), "op flow_install, tag 0): bad_index"));
	assert_int_equal(refused, 23);
	assert_int_equal(cpl.code, CTNIC_CMD_STATUS_OK);

	/* The earlier flow is untouched and the later one is in. */
	assert_int_equal(ctnic_tbl_op(c.dev, CTNIC_TBL_OP_FLOW_READ, 3, after, CTNIC_FLOW_WORDS), 0);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(ctnic_tbl_op(c.dev, CTNIC_TBL_OP_FLOW_READ, 4, after, CTNIC_FLOW_WORDS), 0);
	assert_int_equal(after[8] & 1, 1);
	card_close(&c);
}

static void test_inject_without_lookup_leaves_the_named_port_as_is(void **state)
{
	struct card c;
	struct ctnic_key k = key_n(2);
	uint8_t f[300];
	size_t len = tcp_frame(f, sizeof(f), &k, 0, 1);

	(void)state;
	card_open(&c);
	assert_int_equal(ctnic_inject_post(c.ring[CTNIC_RING_ID_INJECT], 1, f, len), 0);
	assert_int_equal(c.tx_count, 0); /* nothing before the doorbell */
	assert_int_equal(ctnic_ring_flush(c.ring[CTNIC_RING_ID_INJECT]), 0);
	assert_int_equal(c.tx_count, 1);
	assert_int_equal(c.tx_port, 1);
	assert_int_equal(c.tx_len, len);
	assert_memory_equal(c.tx, f, len);
	assert_int_equal(ctnic_ring_free(c.ring[CTNIC_RING_ID_INJECT]), 64);
	assert_int_equal(ctnic_inject_post(c.ring[CTNIC_RING_ID_INJECT], 0x21, f, len), -EINVAL);
	assert_int_equal(ctnic_inject_post(c.ring[CTNIC_RING_ID_INJECT], 1, f, 0), -EINVAL);
	assert_int_equal(ctnic_inject_post(c.ring[CTNIC_RING_ID_INJECT], 1, f, CTNIC_RING_MAX_FRAME + 1), -EINVAL);
	card_close(&c);
}

static void test_inject_with_lookup_runs_the_pipeline(void **state)
{
	struct card c;
	struct ctnic_event cpl;
	struct ctnic_punt_frame p;
	struct ctnic_key k = key_n(9), miss = key_n(10);
	uint8_t f[128];
	uint32_t s0, s1;
	size_t len;

	(void)state;
	card_open(&c);
	nexthops(&c);
	install(&c, 9, &k, &s0, &s1);
	assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);

	/* A hit: translated (SNAT source address and port) and out of next hop 1's port. */
	len = tcp_frame(f, sizeof(f), &k, 0x10 /* ACK */, 0);
	assert_int_equal(ctnic_inject_post(c.ring[CTNIC_RING_ID_INJECT], CTNIC_INJECT_LOOKUP | 0, f, len), 0);
	assert_int_equal(ctnic_ring_flush(c.ring[CTNIC_RING_ID_INJECT]), 0);
	assert_int_equal(c.tx_count, 1);
	assert_int_equal(c.tx_port, 1);
	assert_memory_equal(c.tx + 26, "\xc6\x33\x64\x01", 4);
	assert_int_equal(c.tx[34] << 8 | c.tx[35], k.sport + 1000);

	/* A miss: to the host, from the host port (CAP_PORTS). */
	len = tcp_frame(f, sizeof(f), &miss, 0, 0);
	assert_int_equal(ctnic_inject_post(c.ring[CTNIC_RING_ID_INJECT], CTNIC_INJECT_LOOKUP | 0, f, len), 0);
	assert_int_equal(ctnic_ring_flush(c.ring[CTNIC_RING_ID_INJECT]), 0);
	assert_int_equal(ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p), 1);
	assert_int_equal(p.desc.reason, CTNIC_PUNT_MISS);
	assert_int_equal(p.desc.port, 2);
	assert_memory_equal(p.frame, f, len);
	card_close(&c);
}

static void test_bad_inject_entry_is_skipped_and_reported(void **state)
{
	struct card c;
	struct ctnic_event e;
	struct ctnic_ring *inj;
	struct ctnic_key k = key_n(2);
	uint8_t f[100], *slot0;
	void *base;
	size_t memlen;
	uint64_t iova;
	uint32_t lo, hi;

	(void)state;
	card_open(&c);
	inj = c.ring[CTNIC_RING_ID_INJECT];
	/* Post a good frame, then spoil its header in host memory (a reserved byte). */
	assert_int_equal(ctnic_inject_post(inj, 0, f, tcp_frame(f, sizeof(f), &k, 0, 0)), 0);
	assert_int_equal(ctnic_host_mem(c.dev, &base, &memlen, &iova), 0);
	assert_int_equal(ctnic_csr_read(c.dev, CTNIC_REG_RING_BASE_LO(CTNIC_RING_ID_INJECT), &lo), 0);
	assert_int_equal(ctnic_csr_read(c.dev, CTNIC_REG_RING_BASE_HI(CTNIC_RING_ID_INJECT), &hi), 0);
	slot0 = (uint8_t *)base + (((uint64_t)hi << 32 | lo) - iova);
	slot0[40] = 1;
	assert_int_equal(ctnic_inject_post(inj, 1, f, sizeof(f)), 0);
	assert_int_equal(ctnic_ring_flush(inj), 0);
	assert_int_equal(c.tx_count, 1); /* the spoiled one skipped, the next one sent */
	assert_int_equal(c.tx_port, 1);
	assert_int_equal(ctnic_event_poll(c.ring[CTNIC_RING_ID_EVENT], &e), 1);
	assert_int_equal(e.type, CTNIC_EVT_ERROR);
	assert_int_equal(e.code, CTNIC_RING_ERR_INJECT_BAD);
	assert_int_equal(e.aux, CTNIC_RING_ID_INJECT);
	assert_int_equal(e.index, 0);
	card_close(&c);
}

static void test_doorbell_beyond_the_ring_is_ignored_and_reported(void **state)
{
	struct card c;
	struct ctnic_event e;
	uint32_t cons;

	(void)state;
	card_open(&c);
	assert_int_equal(ctnic_csr_write(c.dev, CTNIC_REG_RING_PROD(CTNIC_RING_ID_CMD), 1000), 0);
	assert_int_equal(ctnic_csr_read(c.dev, CTNIC_REG_RING_CONS(CTNIC_RING_ID_CMD), &cons), 0);
	assert_int_equal(cons, 0);
	assert_int_equal(ctnic_event_poll(c.ring[CTNIC_RING_ID_EVENT], &e), 1);
	assert_int_equal(e.type, CTNIC_EVT_ERROR);
	assert_int_equal(e.code, CTNIC_RING_ERR_DOORBELL);
	assert_int_equal(e.aux, CTNIC_RING_ID_CMD);
	assert_int_equal(e.index, 1000);
	card_close(&c);
}

static void test_interrupt_fd_fires_per_moderation_and_ack_rearms_it(void **state)
{
	struct card c;
	struct ctnic_punt_frame p;
	struct ctnic_key k = key_n(1);
	uint8_t f[80];
	int fd;
	uint32_t st;
	struct pollfd pfd;

	(void)state;
	card_open(&c);
	assert_int_equal(ctnic_irq_fd(c.dev, CTNIC_RING_ID_PUNT, &fd), 0);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(ctnic_model_port_rx(c.dev, 0, f, tcp_frame(f, sizeof(f), &k, 0, 0), 0), 0);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(ctnic_csr_read(c.dev, CTNIC_REG_IRQ_STATUS, &st), 0);
	assert_int_equal(st, 1u << CTNIC_RING_ID_PUNT);
	assert_int_equal(ctnic_irq_ack(c.dev, CTNIC_RING_ID_PUNT), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(ctnic_csr_read(c.dev, CTNIC_REG_IRQ_STATUS, &st), 0);
	assert_int_equal(st, 0);
	while (ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p) == 1)
		;
	assert_int_equal(ctnic_ring_release(c.ring[CTNIC_RING_ID_PUNT]), 0);
	/* Masked: the cause is recorded, the vector waits for IRQ_ENABLE. */
	assert_int_equal(ctnic_csr_write(c.dev, CTNIC_REG_IRQ_ENABLE, 0), 0);
	assert_int_equal(ctnic_csr_write(c.dev, CTNIC_REG_IRQ_TEST, 1u << CTNIC_RING_ID_PUNT), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(ctnic_csr_write(c.dev, CTNIC_REG_IRQ_ENABLE, 0xf), 0);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	card_close(&c);
}

static void test_flow_remove_returns_final_counters_and_stops_hits(void **state)
{
	struct card c;
	struct ctnic_event cpl;
	struct ctnic_punt_frame p;
	struct ctnic_flow fl;
	struct ctnic_key k = key_n(4);
	uint8_t f[100];
	uint32_t s0, s1;
	size_t len = tcp_frame(f, sizeof(f), &k, 0, 0);

	(void)state;
	card_open(&c);
	nexthops(&c);
	install(&c, 4, &k, &s0, &s1);
	assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ctnic_model_port_rx(c.dev, 0, f, len, 0), 0);
	assert_int_equal(c.tx_count, 3);
	assert_int_equal(ctnic_cmd_flow_remove(c.ring[CTNIC_RING_ID_CMD], 4, s0, s1, 44), 0);
	assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
	assert_int_equal(cpl.aux, CTNIC_CMD_OP_FLOW_REMOVE);
	ctnic_flow_unpack(cpl.data, &fl);
	assert_int_equal(fl.pkts[0], 3);
	assert_int_equal(fl.bytes[0], 3 * len);
	assert_int_equal(ctnic_model_port_rx(c.dev, 0, f, len, 0), 0);
	assert_int_equal(c.tx_count, 3);
	assert_int_equal(ctnic_punt_poll(c.ring[CTNIC_RING_ID_PUNT], &p), 1);
	assert_int_equal(p.desc.reason, CTNIC_PUNT_MISS);
	assert_int_equal(ctnic_flow_read(c.dev, 4, &fl), 0);
	assert_false(fl.valid);
	card_close(&c);
}

static void test_rings_recreated_over_a_previous_owner_start_from_zero(void **state)
{
	struct card c;
	struct ctnic_ring *again;
	struct ctnic_ring_cfg cfg = { .id = CTNIC_RING_ID_CMD, .size_log2 = 4 };
	struct ctnic_event cpl;
	uint32_t last;

	(void)state;
	card_open(&c);
	assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
	/* A daemon that died left the command ring on; a new one takes it over. */
	assert_int_equal(ctnic_ring_create(c.dev, c.pool, &cfg, &again), 0);
	assert_int_equal(ctnic_cmd_submit(again, &last), 0);
	assert_int_equal(last, 0);
	assert_int_equal(ctnic_cmd_wait(again, c.ring[CTNIC_RING_ID_EVENT], last, &cpl, NULL, NULL, 1000), 0);
	ctnic_ring_destroy(again);
	card_close(&c); /* frees the first owner's ring too */
}

static void test_frame_for_a_port_the_card_lacks_is_refused(void **state)
{
	struct ctnic_dev *dev;
	char err[CTNIC_ERR_LEN];

	(void)state;
	assert_int_equal(ctnic_open(&dev, "model:", err, sizeof(err)), 0);
	assert_int_equal(ctnic_model_port_rx(dev, 7, "x", 1, 0), -EINVAL);
	assert_non_null(strstr(ctnic_last_error(dev), "port 7 does not exist"));
	ctnic_close(dev);
}

static void test_completions_are_dropped_while_the_event_ring_is_off_and_commands_still_run(void **state)
{
	struct card c;
	struct ctnic_ring *cmd;
	struct ctnic_key k = key_n(6);
	struct ctnic_flow fl;
	uint32_t s0, s1, last, prod;

	(void)state;
	card_open(&c);
	cmd = c.ring[CTNIC_RING_ID_CMD];
	ctnic_ring_destroy(c.ring[CTNIC_RING_ID_EVENT]);
	c.ring[CTNIC_RING_ID_EVENT] = NULL;
	install(&c, 6, &k, &s0, &s1);
	assert_int_equal(ctnic_cmd_submit(cmd, &last), 0);
	assert_int_equal(ctnic_ring_free(cmd), ctnic_ring_slots(cmd));
	assert_int_equal(ctnic_csr_read(c.dev, CTNIC_REG_RING_PROD(CTNIC_RING_ID_EVENT), &prod), 0);
	assert_int_equal(prod, 0);
	assert_int_equal(ctnic_flow_read(c.dev, 6, &fl), 0);
	assert_true(fl.valid);
	card_close(&c);
}

/* Table words of a whole device, through the register window. */
static void table_words(struct ctnic_dev *dev, uint32_t *out, size_t cap, size_t *n)
{
	struct ctnic_dev_info info;
	uint32_t w[CTNIC_FLOW_WORDS];

	assert_int_equal(ctnic_dev_info(dev, &info), 0);
	assert_true((size_t)2 * info.buckets * info.ways * CTNIC_KEY_WORDS +
		    (size_t)info.flows * CTNIC_FLOW_WORDS + (size_t)info.nexthops * CTNIC_NH_WORDS <= cap);
	*n = 0;
	for (uint32_t i = 0; i < 2 * info.buckets * info.ways; i++) {
		assert_int_equal(ctnic_tbl_op(dev, CTNIC_TBL_OP_KEY_READ, i, w, CTNIC_KEY_WORDS), 0);
		memcpy(out + *n, w, CTNIC_KEY_WORDS * 4);
		*n += CTNIC_KEY_WORDS;
	}
	for (uint32_t i = 0; i < info.flows; i++) {
		assert_int_equal(ctnic_tbl_op(dev, CTNIC_TBL_OP_FLOW_READ, i, w, CTNIC_FLOW_WORDS), 0);
		memcpy(out + *n, w, sizeof(w));
		*n += CTNIC_FLOW_WORDS;
	}
	for (uint32_t i = 0; i < info.nexthops; i++) {
		assert_int_equal(ctnic_tbl_op(dev, CTNIC_TBL_OP_NH_READ, i, w, CTNIC_NH_WORDS), 0);
		memcpy(out + *n, w, CTNIC_NH_WORDS * 4);
		*n += CTNIC_NH_WORDS;
	}
}

static void test_random_command_batches_equal_the_same_writes_through_the_register_window(void **state)
{
	/* The oracle: a second card written one register-window operation at a time. */
	struct card c;
	struct ctnic_dev *ref;
	char err[CTNIC_ERR_LEN];
	unsigned r = seed ^ 0x5eed;
	static uint32_t a[(2 * 64 * 4) * 4 + 256 * 16 + 256 * 4], b[sizeof(a) / 4];
	size_t na, nb;

	(void)state;
	/* Small tables, named here: the arrays above are sized for them. */
	card_open_sized(&c, "model:flows=256,buckets=64", &default_sizes);
	assert_int_equal(ctnic_open(&ref, "model:flows=256,buckets=64", err, sizeof(err)), 0);
	for (unsigned batch = 0; batch < 50; batch++) {
		unsigned n = 1 + (unsigned)rand_r(&r) % 40;
		struct ctnic_event cpl;

		for (unsigned i = 0; i < n; i++) {
			uint32_t flow = (uint32_t)rand_r(&r) % 256, s0 = (uint32_t)rand_r(&r) % 512,
				 s1 = (uint32_t)rand_r(&r) % 512, w[CTNIC_FLOW_WORDS];
			struct ctnic_key k = key_n((uint32_t)rand_r(&r));
			struct ctnic_key_entry k0 = { .valid = true, .flow_id = flow, .key = k };
			struct ctnic_key_entry k1 = { .valid = true, .reply = true, .flow_id = flow, .key = key_reverse(&k) };
			struct ctnic_nexthop nh = { .valid = true, .port = (uint8_t)(rand_r(&r) % 2), .dst_mac = { 2, 1 } };
			struct ctnic_flow f;

			nat_flow(&k, &f, (uint16_t)rand_r(&r));
			switch (rand_r(&r) % 5) {
			case 0:
				assert_int_equal(ctnic_cmd_flow_install(c.ring[CTNIC_RING_ID_CMD], flow, &f, s0, &k0, s1, &k1, i), 0);
				assert_int_equal(ctnic_flow_write(ref, flow, &f), 0);
				assert_int_equal(ctnic_key_write(ref, s0, &k0), 0);
				assert_int_equal(ctnic_key_write(ref, s1, &k1), 0);
				break;
			case 1:
				assert_int_equal(ctnic_cmd_flow_remove(c.ring[CTNIC_RING_ID_CMD], flow, s0, s1, i), 0);
				memset(&k0, 0, sizeof(k0));
				assert_int_equal(ctnic_key_write(ref, s0, &k0), 0);
				assert_int_equal(ctnic_key_write(ref, s1, &k0), 0);
				assert_int_equal(ctnic_tbl_op(ref, CTNIC_TBL_OP_FLOW_READ, flow, w, CTNIC_FLOW_WORDS), 0);
				w[8] &= ~1u;
				assert_int_equal(ctnic_tbl_op(ref, CTNIC_TBL_OP_FLOW_WRITE, flow, w, CTNIC_FLOW_WORDS), 0);
				break;
			case 2:
				assert_int_equal(ctnic_cmd_key_delete(c.ring[CTNIC_RING_ID_CMD], s0, i), 0);
				memset(&k0, 0, sizeof(k0));
				assert_int_equal(ctnic_key_write(ref, s0, &k0), 0);
				break;
			case 3:
				assert_int_equal(ctnic_cmd_nexthop_write(c.ring[CTNIC_RING_ID_CMD], flow, &nh, i), 0);
				assert_int_equal(ctnic_nexthop_write(ref, flow, &nh), 0);
				break;
			default:
				assert_int_equal(ctnic_cmd_flow_write(c.ring[CTNIC_RING_ID_CMD], flow, &f, i), 0);
				assert_int_equal(ctnic_flow_write(ref, flow, &f), 0);
				break;
			}
		}
		assert_int_equal(submit_wait(&c, &cpl, NULL, NULL), 0);
	}
	table_words(c.dev, a, sizeof(a) / 4, &na);
	table_words(ref, b, sizeof(b) / 4, &nb);
	assert_int_equal(na, nb);
	assert_int_equal(na, sizeof(a) / 4);
	assert_memory_equal(a, b, na * 4);
	ctnic_close(ref);
	card_close(&c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_pool_aligns_reuses_and_says_when_exhausted),
		cmocka_unit_test(test_model_uri_takes_parameters_and_refuses_garbage),
		cmocka_unit_test(test_ring_config_the_card_refuses_is_reported),
		cmocka_unit_test(test_flows_installed_through_the_command_ring_read_back),
		cmocka_unit_test(test_punt_arrives_with_its_descriptor),
		cmocka_unit_test(test_full_punt_ring_drops_whole_frames_and_counts_them),
		cmocka_unit_test(test_punt_ring_wraps_with_frames_split_at_its_end),
		cmocka_unit_test(test_command_ring_wraps_over_many_batches),
		cmocka_unit_test(test_event_ring_smaller_than_the_reads_of_a_batch_holds_commands_not_loses_them),
		cmocka_unit_test(test_garbled_commands_get_error_completions_and_harm_nothing),
		cmocka_unit_test(test_inject_without_lookup_leaves_the_named_port_as_is),
		cmocka_unit_test(test_inject_with_lookup_runs_the_pipeline),
		cmocka_unit_test(test_bad_inject_entry_is_skipped_and_reported),
		cmocka_unit_test(test_doorbell_beyond_the_ring_is_ignored_and_reported),
		cmocka_unit_test(test_interrupt_fd_fires_per_moderation_and_ack_rearms_it),
		cmocka_unit_test(test_flow_remove_returns_final_counters_and_stops_hits),
		cmocka_unit_test(test_rings_recreated_over_a_previous_owner_start_from_zero),
		cmocka_unit_test(test_frame_for_a_port_the_card_lacks_is_refused),
		cmocka_unit_test(test_completions_are_dropped_while_the_event_ring_is_off_and_commands_still_run),
		cmocka_unit_test(test_random_command_batches_equal_the_same_writes_through_the_register_window),
	};

	seed = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : (unsigned)time(NULL);
	printf("# seed %u (replay: %s %u)\n", seed, argv[0], seed);
	fflush(stdout);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
