/*
 * gw.c - the test gateway (gw.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gw.h"

const uint8_t gw_mac_lan[6] = { 0x02, 0, 0, 0, 0x01, 0x00 };
const uint8_t gw_mac_wan[6] = { 0x02, 0, 0, 0, 0x01, 0x01 };
const uint8_t gw_mac_client[6] = { 0x02, 0, 0, 0, 0, 0x0a };
const uint8_t gw_mac_server[6] = { 0x02, 0, 0, 0, 0, 0x14 };
const uint8_t gw_mac_router[6] = { 0x02, 0, 0, 0, 0, 0xfe };

static uint32_t ip_at(const uint8_t *f, size_t len, bool src)
{
	unsigned l3 = len >= 18 && f[12] == 0x81 && f[13] == 0 ? 18 : 14;
	const uint8_t *a = f + l3 + (src ? 12 : 16);

	if (len < l3 + 20 || f[l3 - 2] != 0x08 || f[l3 - 1] != 0)
		return 0;
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

void gw_forbid(struct gw *g, unsigned port, uint32_t addr, bool src)
{
	g->never[g->nnever].port = port;
	g->never[g->nnever].addr = addr;
	g->never[g->nnever++].src = src;
}

static void record(struct gw *g, unsigned port, const uint8_t *f, size_t len)
{
	struct gw_frame *o;

	for (unsigned i = 0; i < g->nnever; i++)
		if (g->never[i].port == port && ip_at(f, len, g->never[i].src) == g->never[i].addr) {
			printf("# LEAK: a frame out of port %u carries %08x as %s\n", port, g->never[i].addr,
			       g->never[i].src ? "source" : "destination");
			g->leaks++;
		}

	if (g->nout == GW_OUT_MAX || len > sizeof(o->f)) {
		g->lost++;
		return;
	}
	o = &g->out[g->nout++];
	o->port = port;
	o->len = len;
	memcpy(o->f, f, len);
}

static void on_tx(void *arg, unsigned port, const uint8_t *f, size_t len, uint64_t tick)
{
	(void)tick;
	record(arg, port, f, len);
}

static void on_host(void *arg, const uint8_t *f, size_t len)
{
	record(arg, GW_HOST, f, len);
}

void gw_open(struct gw *g, const char *model_uri, const char *conf_text)
{
	struct ctnic_conf *conf;
	char err[1024];

	memset(g, 0, sizeof(*g));
	if (ctnic_conf_parse(conf_text, "test.conf", NULL, &conf, err, sizeof(err)) < 0)
		fail_msg("config: %s", err);
	if (ctnic_open(&g->dev, model_uri, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	if (ctnicd_core_create(&g->core, g->dev, conf, 1, err, sizeof(err)) < 0)
		fail_msg("core: %s", err);
	ctnicd_core_host_stack(g->core, on_host, g);
	assert_int_equal(ctnic_model_port_tx_cb(g->dev, on_tx, g), 0);
	assert_int_equal(ctnic_csr_write(g->dev, CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK), 0);
}

void gw_close(struct gw *g)
{
	ctnicd_core_destroy(g->core);
	ctnic_close(g->dev);
}

void gw_rx(struct gw *g, unsigned port, const uint8_t *f, size_t len)
{
	assert_int_equal(ctnic_model_port_rx(g->dev, port, f, len, 0), 0);
	assert_int_equal(ctnicd_core_punts(g->core), 0);
	assert_int_equal(ctnicd_core_events(g->core), 0);
}

void gw_host(struct gw *g, const uint8_t *f, size_t len)
{
	ctnicd_core_host_rx(g->core, f, len);
}

void gw_advance(struct gw *g, uint32_t seconds)
{
	assert_int_equal(ctnic_csr_write(g->dev, CTNIC_REG_TICK_ADVANCE, seconds * (uint32_t)g->core->ticks_per_sec), 0);
	assert_int_equal(ctnicd_core_timer(g->core, g->core->conns.cap), 0);
}

void gw_clear(struct gw *g)
{
	g->nout = 0;
	g->lost = 0;
}

size_t gw_tcp(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint32_t sa, uint16_t sp,
	      uint32_t da, uint16_t dp, uint8_t flags, uint8_t ttl)
{
	struct ctnic_tcp_frame t = {
		.saddr = sa, .daddr = da, .sport = sp, .dport = dp, .ip_id = 0x1234, .ttl = ttl,
		.seq = 1000, .ack = (flags & 0x10) ? 2000 : 0, .flags = flags, .window = 512,
	};

	memcpy(t.dst_mac, dst, 6);
	memcpy(t.src_mac, src, 6);
	return ctnic_tcp_frame_build(&t, buf);
}

static void hexdiff(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			printf("# byte %zu: got %02x want %02x\n", i, a[i], b[i]);
}

void gw_expect_one(struct gw *g, unsigned port, const uint8_t *want, size_t len)
{
	if (g->nout != 1)
		fail_msg("%u frames left, want 1 (out of port %u)", g->nout, port);
	if (g->out[0].port != port)
		fail_msg("the frame left port %u, want %u", g->out[0].port, port);
	assert_int_equal(g->out[0].len, len);
	if (memcmp(g->out[0].f, want, len)) {
		hexdiff(g->out[0].f, want, len);
		fail_msg("the frame out of port %u differs from the one expected", port);
	}
	gw_clear(g);
}

void gw_expect_none(struct gw *g)
{
	if (g->nout)
		fail_msg("%u frames left (first out of port %u), want none", g->nout, g->out[0].port);
}

bool gw_any_addr(const struct gw *g, unsigned port, uint32_t addr, bool src)
{
	for (unsigned i = 0; i < g->nout; i++)
		if (g->out[i].port == port && ip_at(g->out[i].f, g->out[i].len, src) == addr)
			return true;
	return false;
}

uint64_t gw_seed(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : getenv("CTNIC_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);

	if (!seed)
		seed = 1; /* xorshift needs a state other than 0 */
	printf("# seed %llu (replay: %s %llu)\n", (unsigned long long)seed, argv[0], (unsigned long long)seed);
	fflush(stdout);
	return seed;
}

void gw_put(uint8_t *p, unsigned bytes, uint32_t v)
{
	for (unsigned i = bytes; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

uint32_t gw_get(const uint8_t *p, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}
