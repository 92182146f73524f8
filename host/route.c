/*
 * route.c - routes, neighbours, next hops and sending (route.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "route.h"
#include "pkt.h"

int ctnicd_local_port(const struct ctnicd_core *c, uint32_t addr)
{
	for (unsigned p = 0; p < CTNIC_CONF_PORTS; p++)
		if (c->conf->ports[p].set && c->conf->ports[p].addr == addr)
			return (int)p;
	return -1;
}

static uint32_t mask(unsigned plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

/* Longest prefix over the routes and the ports' own subnets. */
static int lookup(const struct ctnicd_core *c, uint32_t daddr, unsigned *port, uint32_t *gw)
{
	int best = -1;

	for (unsigned p = 0; p < CTNIC_CONF_PORTS; p++) {
		const struct ctnic_conf_port *cp = &c->conf->ports[p];

		if (cp->set && cp->plen && ((daddr ^ cp->addr) & mask(cp->plen)) == 0 && (int)cp->plen > best) {
			best = cp->plen;
			*port = p;
			*gw = daddr;
		}
	}
	for (size_t i = 0; i < c->conf->nroutes; i++) {
		const struct ctnic_conf_route *r = &c->conf->routes[i];

		if (((daddr ^ r->dst) & mask(r->plen)) == 0 && (int)r->plen > best) {
			best = r->plen;
			*port = r->port;
			*gw = r->via ? r->via : daddr;
		}
	}
	return best < 0 ? -1 : 0;
}

static struct ctnicd_neigh *neigh_find(struct ctnicd_core *c, unsigned port, uint32_t addr)
{
	for (unsigned i = 0; i < c->nneigh; i++)
		if (c->neigh[i].addr == addr && c->neigh[i].port == port)
			return &c->neigh[i];
	return NULL;
}

void ctnicd_neigh_learn(struct ctnicd_core *c, unsigned port, uint32_t addr, const uint8_t mac[6])
{
	struct ctnicd_neigh *n = neigh_find(c, port, addr);

	if (n && n->is_static)
		return;
	if (!n) {
		if (c->nneigh == CTNICD_NEIGH_MAX)
			return;
		n = &c->neigh[c->nneigh++];
		c->st.arp_learned++;
	}
	*n = (struct ctnicd_neigh){ .addr = addr, .port = (uint8_t)port };
	memcpy(n->mac, mac, 6);
}

void ctnicd_neigh_static(struct ctnicd_core *c)
{
	unsigned k = 0;

	/* Learned ones stay; static ones are the configuration's alone. */
	for (unsigned i = 0; i < c->nneigh; i++)
		if (!c->neigh[i].is_static)
			c->neigh[k++] = c->neigh[i];
	c->nneigh = k;
	for (size_t i = 0; i < c->conf->nneighs && c->nneigh < CTNICD_NEIGH_MAX; i++) {
		const struct ctnic_conf_neigh *cn = &c->conf->neighs[i];
		struct ctnicd_neigh *n = neigh_find(c, cn->port, cn->addr);

		if (!n)
			n = &c->neigh[c->nneigh++];
		*n = (struct ctnicd_neigh){ .addr = cn->addr, .port = (uint8_t)cn->port, .is_static = true };
		memcpy(n->mac, cn->mac, 6);
	}
}

int ctnicd_resolve(struct ctnicd_core *c, uint32_t daddr, struct ctnic_nexthop *nh)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct ctnicd_neigh *n;
	unsigned port = 0;
	uint32_t gw = 0;
	uint8_t frame[64];

	memset(nh, 0, sizeof(*nh));
	nh->valid = true;
	if (ctnicd_local_port(c, daddr) >= 0) {
		nh->port = CTNICD_HOST_PORT;
		return 0;
	}
	if (lookup(c, daddr, &port, &gw) < 0 || port >= c->info.ports || !c->conf->ports[port].set)
		return -1;
	nh->port = (uint8_t)port;
	n = neigh_find(c, port, gw);
	if (!n) {
		ctnicd_send(c, port, frame,
			    ctnicd_build_arp(frame, 1, c->port_mac[port], c->conf->ports[port].addr,
					     (const uint8_t[6]){ 0 }, gw, bcast));
		c->st.arp_requests++;
		return -2;
	}
	nh->rewrite_macs = true;
	memcpy(nh->dst_mac, n->mac, 6);
	memcpy(nh->src_mac, c->port_mac[port], 6);
	return 0;
}

static bool same_nh(const struct ctnic_nexthop *a, const struct ctnic_nexthop *b)
{
	return a->valid == b->valid && a->port == b->port && a->rewrite_macs == b->rewrite_macs &&
	       !memcmp(a->dst_mac, b->dst_mac, 6) && !memcmp(a->src_mac, b->src_mac, 6);
}

int ctnicd_nexthop_index(struct ctnicd_core *c, const struct ctnic_nexthop *nh, uint8_t *idx)
{
	unsigned limit = c->info.nexthops < 256 ? c->info.nexthops : 256;
	struct ctnic_cmd cmd = { .op = CTNIC_CMD_OP_NH_WRITE };

	for (unsigned i = 0; i < c->nnh; i++)
		if (same_nh(&c->nh[i], nh)) {
			*idx = (uint8_t)i;
			return 0;
		}
	if (c->nnh >= limit)
		return -1;
	c->nh[c->nnh] = *nh;
	cmd.index = c->nnh;
	ctnic_nexthop_pack(nh, cmd.data);
	if (ctnicd_post(c, &cmd) < 0)
		return -1;
	*idx = (uint8_t)c->nnh++;
	return 0;
}

int ctnicd_post(struct ctnicd_core *c, const struct ctnic_cmd *cmd)
{
	int rc = ctnic_cmd_post(c->ring[CTNIC_RING_ID_CMD], cmd);

	if (rc == -EAGAIN) {
		if ((rc = ctnicd_core_commit(c)) < 0)
			return rc;
		rc = ctnic_cmd_post(c->ring[CTNIC_RING_ID_CMD], cmd);
	}
	if (rc == 0)
		c->pending++;
	else
		snprintf(c->err, sizeof(c->err), "posting command %u: %s", cmd->op, ctnic_last_error(c->dev));
	return rc;
}

void ctnicd_send(struct ctnicd_core *c, unsigned port, const uint8_t *frame, size_t len)
{
	int rc;

	if (port == CTNICD_HOST_PORT) {
		if (!c->host_tx) {
			c->st.host_no_stack++;
			return;
		}
		c->host_tx(c->host_arg, frame, len);
		c->st.tx_port[CTNICD_HOST_PORT]++;
		return;
	}
	rc = ctnic_inject_post(c->ring[CTNIC_RING_ID_INJECT], (uint8_t)(port & CTNIC_INJECT_PORT_MASK), frame, len);
	if (rc == -EAGAIN) {
		ctnicd_core_flush(c);
		rc = ctnic_inject_post(c->ring[CTNIC_RING_ID_INJECT], (uint8_t)(port & CTNIC_INJECT_PORT_MASK),
				       frame, len);
	}
	if (rc < 0) {
		c->st.inject_full++;
		return;
	}
	c->st.tx_port[port]++;
}
