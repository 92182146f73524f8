/*
 * route.h - where a packet leaves: the static routes and port subnets of the
 * configuration, neighbours (static first, then learned by ARP), the card's
 * next-hop table, and sending a frame out of a port or to the host stack.
 */
#ifndef CTNICD_ROUTE_H
#define CTNICD_ROUTE_H

#include "core.h"

/* Is addr one of our port addresses? Its port, or -1. */
int ctnicd_local_port(const struct ctnicd_core *c, uint32_t addr);

/*
 * Resolves the next hop of a packet to daddr: nh->port and the MACs
 * (CTNICD_HOST_PORT for our own addresses). 0; -1 no route (counted by the
 * caller); -2 the neighbour is unknown: an ARP request went out.
 */
int ctnicd_resolve(struct ctnicd_core *c, uint32_t daddr, struct ctnic_nexthop *nh);

/* Learns (or refreshes) a neighbour; a static one is never overwritten. */
void ctnicd_neigh_learn(struct ctnicd_core *c, unsigned port, uint32_t addr, const uint8_t mac[6]);

/* The card's next-hop index for nh, posting NH_WRITE when it is new; -1 when the card's are all taken. */
int ctnicd_nexthop_index(struct ctnicd_core *c, const struct ctnic_nexthop *nh, uint8_t *idx);

/* Out of a port (inject ring, no lookup) or, for CTNICD_HOST_PORT, to the host stack. */
void ctnicd_send(struct ctnicd_core *c, unsigned port, const uint8_t *frame, size_t len);

/* Posts one command, submitting the batch first when the ring is full. */
int ctnicd_post(struct ctnicd_core *c, const struct ctnic_cmd *cmd);

/* The statically configured neighbours of the configuration (reload keeps learned ones). */
void ctnicd_neigh_static(struct ctnicd_core *c);

#endif /* CTNICD_ROUTE_H */
