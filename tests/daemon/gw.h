/*
 * gw.h - a gateway in a test: the model: card with its rings, the daemon's
 * core over it, frames in on the card's ports, everything that leaves (a
 * port, or the host stack as port GW_HOST) recorded. Expected frames are
 * built with tools/gen/pkt.c (its own checksum code), never with the code
 * under test.
 */
#ifndef CTNICD_TEST_GW_H
#define CTNICD_TEST_GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* tools/gen/pkt.h names TCP flags as ctnic_regs.h does: take the register map's. */
#include "../../tools/gen/pkt.h"
#undef CTNIC_TCP_FIN
#undef CTNIC_TCP_SYN
#undef CTNIC_TCP_RST
#include "core.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define GW_HOST 16u
#define GW_OUT_MAX 256u

struct gw_frame {
	unsigned port;
	size_t len;
	uint8_t f[1600];
};

struct gw {
	struct ctnic_dev *dev;
	struct ctnicd_core *core;
	struct gw_frame out[GW_OUT_MAX];
	unsigned nout;
	unsigned lost;               /* frames beyond GW_OUT_MAX */
	struct { unsigned port; uint32_t addr; bool src; } never[4];
	unsigned nnever;
	unsigned leaks;              /* frames that showed a forbidden address (gw_forbid) */
};

/* MACs of the test network. */
extern const uint8_t gw_mac_lan[6], gw_mac_wan[6], gw_mac_client[6], gw_mac_server[6], gw_mac_router[6];

/* The configuration's ports, route and neighbours (lan 192.0.2.1/24, wan 203.0.113.1/24). */
#define GW_CONF_NET \
	"port 0 lan 192.0.2.1/24 mac 02:00:00:00:01:00\n" \
	"port 1 wan 203.0.113.1/24 mac 02:00:00:00:01:01\n" \
	"route default via 203.0.113.254\n" \
	"neighbour 203.0.113.254 02:00:00:00:00:fe\n" \
	"neighbour 192.0.2.10 02:00:00:00:00:0a\n" \
	"neighbour 192.0.2.20 02:00:00:00:00:14\n"

/* Network-order fields of `bytes` bytes (1..4) at p: the tests' own, not the daemon's. */
void gw_put(uint8_t *p, unsigned bytes, uint32_t v);
uint32_t gw_get(const uint8_t *p, unsigned bytes);

/* A random test's seed: argv[1], else $CTNIC_SEED, else the time; printed with how to replay it. */
uint64_t gw_seed(int argc, char **argv);

/* Opens model:URI_ARGS with conf_text; fails the test on error. */
void gw_open(struct gw *g, const char *model_uri, const char *conf_text);
void gw_close(struct gw *g);
/* A frame into a port, then the daemon drains the punt ring. */
void gw_rx(struct gw *g, unsigned port, const uint8_t *f, size_t len);
/* A frame from the host stack (a local proxy). */
void gw_host(struct gw *g, const uint8_t *f, size_t len);
/* Lets seconds of device time pass and runs the daemon's expiry sweep over the whole table. */
void gw_advance(struct gw *g, uint32_t seconds);
/* Forgets the recorded output. */
void gw_clear(struct gw *g);

/* A TCP frame (ttl 64 unless given), MACs given. */
size_t gw_tcp(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint32_t sa, uint16_t sp,
	      uint32_t da, uint16_t dp, uint8_t flags, uint8_t ttl);

/* Asserts that exactly one frame left, out of port, equal to want. */
void gw_expect_one(struct gw *g, unsigned port, const uint8_t *want, size_t len);
/* Asserts that nothing left. */
void gw_expect_none(struct gw *g);

/* From now on, count every frame out of port that carries addr (as source when src). */
void gw_forbid(struct gw *g, unsigned port, uint32_t addr, bool src);

/* Does any recorded frame out of port carry addr as IPv4 source (src) or destination? */
bool gw_any_addr(const struct gw *g, unsigned port, uint32_t addr, bool src);

#endif /* CTNICD_TEST_GW_H */
