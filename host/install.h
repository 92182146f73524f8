/*
 * install.h - static flows for the minimal daemon: a one-line flow spec
 * (original tuple, NAT, egress per direction) parsed into both key entries,
 * one flow record and next hops, and written into the card in the order
 * the contract asks (next hops and flow record first, key entries last).
 *
 * Spec syntax (docs/daemon.md), words separated by blanks:
 *   proto=tcp|udp|icmp src=ADDR:PORT dst=ADDR:PORT
 *   [snat=ADDR[:PORT]] [dnat=ADDR[:PORT]]
 *   out=PORT reply-out=PORT [out-mac=DST/SRC] [reply-mac=DST/SRC]
 *   [ttl=dec|keep] [class=N]
 * For ICMP echo, src's port is the echo identifier and dst has no port.
 */
#ifndef CTNICD_INSTALL_H
#define CTNICD_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic.h"

struct ctnicd_flow_spec {
	struct ctnic_key orig;       /* the connection's original tuple */
	bool snat, snat_port, dnat, dnat_port;
	uint32_t snat_addr, dnat_addr;
	uint16_t snat_to, dnat_to;   /* ports, when snat_port / dnat_port */
	struct ctnic_nexthop nh[2];  /* [0] original direction, [1] reply */
	bool ttl_dec;
	uint8_t tclass;
};

/* Where an installed flow went. */
struct ctnicd_flow_placed {
	uint32_t flow_id;
	uint32_t slot[2];    /* key entry of each direction */
	uint8_t nexthop[2];
};

/* Parses one spec; 0, or -EINVAL with the word at fault and what to write in err. */
int ctnicd_flow_spec_parse(const char *text, struct ctnicd_flow_spec *spec, char *err, size_t errlen);

/* The reply direction's key: the original tuple after NAT, reversed. */
void ctnicd_flow_reply_key(const struct ctnicd_flow_spec *spec, struct ctnic_key *reply);

/*
 * Installs spec on dev (capacities from info). Chooses a free way in either
 * candidate bucket of each key; refuses (-ENOSPC) when both are full and
 * (-EEXIST) when a key is already in the table.
 */
int ctnicd_flow_install(struct ctnic_dev *dev, const struct ctnic_dev_info *info,
			const struct ctnicd_flow_spec *spec, struct ctnicd_flow_placed *placed,
			char *err, size_t errlen);

#endif /* CTNICD_INSTALL_H */
