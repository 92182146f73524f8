/*
 * ctlcmd.c - the control requests (ctlcmd.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlcmd.h"
#include "ctlnat.h"

/* ---- device --------------------------------------------------------------------- */

static cJSON *cmd_device(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_daemon *d = ctx;
	struct ctnic_dev_info i;
	char id[5], ver[16], hex[24];
	uint32_t st;
	cJSON *r;

	(void)req;
	if (ctnic_dev_info(d->dev, &i) < 0) {
		snprintf(err, errlen, "%s", ctnic_last_error(d->dev));
		return NULL;
	}
	for (int k = 0; k < 4; k++) {
		char c = (char)(i.id >> (24 - 8 * k));
		id[k] = c >= 0x20 && c < 0x7f ? c : '.';
	}
	id[4] = '\0';
	snprintf(ver, sizeof(ver), "%u.%u.%u", (i.version & CTNIC_VERSION_MAJOR_MASK) >> CTNIC_VERSION_MAJOR_SHIFT,
		 (i.version & CTNIC_VERSION_MINOR_MASK) >> CTNIC_VERSION_MINOR_SHIFT,
		 (i.version & CTNIC_VERSION_PATCH_MASK) >> CTNIC_VERSION_PATCH_SHIFT);
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "uri", ctnic_uri(d->dev));
	snprintf(hex, sizeof(hex), "0x%08x", i.id);
	cJSON_AddStringToObject(r, "id", hex);
	cJSON_AddStringToObject(r, "id_text", id);
	snprintf(hex, sizeof(hex), "0x%08x", i.version);
	cJSON_AddStringToObject(r, "version_raw", hex);
	cJSON_AddStringToObject(r, "version", ver);
	/* A JSON number holds 53 bits exactly; the tick goes as a decimal string too. */
	cJSON_AddNumberToObject(r, "tick", (double)i.tick);
	snprintf(hex, sizeof(hex), "%llu", (unsigned long long)i.tick);
	cJSON_AddStringToObject(r, "tick_text", hex);
	cJSON_AddNumberToObject(r, "ports", i.ports);
	cJSON_AddNumberToObject(r, "ways", i.ways);
	cJSON_AddNumberToObject(r, "buckets", i.buckets);
	cJSON_AddNumberToObject(r, "flows", i.flows);
	cJSON_AddNumberToObject(r, "nexthops", i.nexthops);
	cJSON_AddNumberToObject(r, "classes", i.classes);
	/* Whether the ports take frames: the first thing to look at when nothing flows. */
	if (ctnic_csr_read(d->dev, CTNIC_REG_STATUS, &st) < 0) {
		snprintf(err, errlen, "%s", ctnic_last_error(d->dev));
		cJSON_Delete(r);
		return NULL;
	}
	cJSON_AddBoolToObject(r, "enabled", (st & CTNIC_STATUS_ENABLED_MASK) != 0);
	return r;
}

/* Every readable register by name, read now (ctnic_reg_table). */
static cJSON *cmd_device_regs(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_daemon *d = ctx;
	const struct ctnic_reg_desc *t;
	cJSON *r, *regs;
	size_t n;

	(void)req;
	t = ctnic_reg_table(&n);
	r = cJSON_CreateObject();
	regs = cJSON_AddArrayToObject(r, "regs");
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < t[i].count && t[i].access != 'w'; k++) {
			uint32_t off = t[i].offset + k * t[i].stride, v;
			char name[64], hex[16];
			cJSON *o;

			if (ctnic_csr_read(d->dev, off, &v) < 0) {
				snprintf(err, errlen, "%s", ctnic_last_error(d->dev));
				cJSON_Delete(r);
				return NULL;
			}
			if (t[i].count > 1)
				snprintf(name, sizeof(name), "%s[%u]", t[i].name, k);
			else
				snprintf(name, sizeof(name), "%s", t[i].name);
			snprintf(hex, sizeof(hex), "0x%08x", v);
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", name);
			cJSON_AddNumberToObject(o, "offset", off);
			cJSON_AddStringToObject(o, "value", hex);
			cJSON_AddItemToArray(regs, o);
		}
	return r;
}

/* ---- helpers ---------------------------------------------------------------------- */

static struct ctnicd_core *need_core(struct ctnicd_daemon *d, char *err, size_t errlen)
{
	if (!d->core)
		snprintf(err, errlen, "no connection tracking on this card: %s", d->no_core ? d->no_core : "not set up");
	return d->core;
}

static void addr_text(uint32_t a, char *buf, size_t len)
{
	struct in_addr ia = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &ia, buf, (socklen_t)len);
}

static const char *proto_name(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "other";
}

static cJSON *tuple_json(const struct ctnic_key *k)
{
	cJSON *t = cJSON_CreateObject();
	char a[INET_ADDRSTRLEN];

	addr_text(k->saddr, a, sizeof(a));
	cJSON_AddStringToObject(t, "src", a);
	addr_text(k->daddr, a, sizeof(a));
	cJSON_AddStringToObject(t, "dst", a);
	if (k->proto == 1) {
		cJSON_AddNumberToObject(t, "id", k->sport);
	} else {
		cJSON_AddNumberToObject(t, "sport", k->sport);
		cJSON_AddNumberToObject(t, "dport", k->dport);
	}
	return t;
}

/* A connection filter: any of addr, port, proto, state; or an exact tuple (proto src dst sport dport). */
struct filter {
	bool has_addr, has_port, has_proto, has_state, has_tuple;
	uint32_t addr;
	uint16_t port;
	uint8_t proto;
	uint8_t state;
	struct ctnic_key tuple;
};

static int get_addr(const cJSON *req, const char *name, uint32_t *a, bool *has, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);
	struct in_addr ia;

	*has = v != NULL;
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || inet_pton(AF_INET, v->valuestring, &ia) != 1) {
		snprintf(err, errlen, "\"%s\" must be an IPv4 address as a string, e.g. \"192.0.2.10\"", name);
		return -1;
	}
	*a = ntohl(ia.s_addr);
	return 0;
}

static int get_port(const cJSON *req, const char *name, uint16_t *p, bool *has, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);

	*has = v != NULL;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 65535 ||
	    v->valuedouble != (double)(int)v->valuedouble) {
		snprintf(err, errlen, "\"%s\" must be a port number 0..65535", name);
		return -1;
	}
	*p = (uint16_t)v->valueint;
	return 0;
}

static int parse_filter(const cJSON *req, struct filter *f, char *err, size_t errlen)
{
	const cJSON *v;
	bool hs, hd, hsp, hdp;

	memset(f, 0, sizeof(*f));
	if (get_addr(req, "addr", &f->addr, &f->has_addr, err, errlen) < 0 ||
	    get_port(req, "port", &f->port, &f->has_port, err, errlen) < 0 ||
	    get_addr(req, "src", &f->tuple.saddr, &hs, err, errlen) < 0 ||
	    get_addr(req, "dst", &f->tuple.daddr, &hd, err, errlen) < 0 ||
	    get_port(req, "sport", &f->tuple.sport, &hsp, err, errlen) < 0 ||
	    get_port(req, "dport", &f->tuple.dport, &hdp, err, errlen) < 0)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(req, "proto"))) {
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "tcp") && strcmp(v->valuestring, "udp") &&
					   strcmp(v->valuestring, "icmp"))) {
			snprintf(err, errlen, "\"proto\" must be \"tcp\", \"udp\" or \"icmp\"");
			return -1;
		}
		f->has_proto = true;
		f->proto = !strcmp(v->valuestring, "tcp") ? 6 : !strcmp(v->valuestring, "udp") ? 17 : 1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(req, "state"))) {
		unsigned s;

		for (s = 0; cJSON_IsString(v) && s < CTNIC_TCP_STATES; s++)
			if (!strcasecmp(v->valuestring, ctnic_tcp_state_name(s)))
				break;
		if (!cJSON_IsString(v) || s == CTNIC_TCP_STATES) {
			snprintf(err, errlen, "\"state\" must be a TCP state name such as \"ESTABLISHED\" or \"CLOSE_WAIT\"");
			return -1;
		}
		f->has_state = true;
		f->state = (uint8_t)s;
	}
	if (hs || hd || hsp || hdp) {
		if (!(hs && hd && hsp && hdp && f->has_proto)) {
			snprintf(err, errlen, "a tuple needs all of \"proto\", \"src\", \"dst\", \"sport\" and \"dport\" (ICMP: sport is the echo id, dport 0)");
			return -1;
		}
		f->has_tuple = true;
		f->tuple.proto = f->proto;
	}
	return 0;
}

static bool matches(struct ctnicd_core *c, uint32_t id, const struct filter *f)
{
	const struct ctnicd_conn *cn = &c->conns.c[id];
	struct ctnic_key k[2] = { cn->orig, ctnicd_conns_key(&c->conns, id, CTNIC_DIR_REPLY) };

	if (f->has_tuple)
		return ctnic_key_equal(&k[0], &f->tuple) || ctnic_key_equal(&k[1], &f->tuple);
	if (f->has_proto && cn->orig.proto != f->proto)
		return false;
	if (f->has_state && (cn->orig.proto != 6 || cn->tcp.state != f->state))
		return false;
	if (f->has_addr && k[0].saddr != f->addr && k[0].daddr != f->addr && k[1].saddr != f->addr &&
	    k[1].daddr != f->addr)
		return false;
	if (f->has_port && k[0].sport != f->port && k[0].dport != f->port && k[1].sport != f->port &&
	    k[1].dport != f->port)
		return false;
	return true;
}

static cJSON *conn_json(struct ctnicd_core *c, uint32_t id)
{
	struct ctnicd_conn *cn = &c->conns.c[id];
	struct ctnic_key reply = ctnicd_conns_key(&c->conns, id, CTNIC_DIR_REPLY);
	cJSON *j = cJSON_CreateObject(), *flags = cJSON_CreateArray();
	struct ctnic_flow f;
	bool card = (cn->flags & CTNICD_CONN_IN_CARD) && ctnic_flow_read(c->dev, id, &f) == 0 && f.valid &&
		    f.generation == cn->gen;

	/* The card's last-seen is the newer one when it forwarded packets on its own. */
	if (card && (uint32_t)((uint32_t)c->now - f.last_seen) < (uint32_t)((uint32_t)c->now - cn->last_seen))
		cn->last_seen = f.last_seen;
	cJSON_AddNumberToObject(j, "id", id);
	cJSON_AddStringToObject(j, "proto", proto_name(cn->orig.proto));
	cJSON_AddNumberToObject(j, "protonum", cn->orig.proto);
	if (cn->orig.proto == 6)
		cJSON_AddStringToObject(j, "state", ctnic_tcp_state_name(cn->tcp.state));
	if (cn->flags & CTNICD_CONN_STATIC) {
		cJSON_AddNullToObject(j, "timeout"); /* a static flow never expires */
	} else {
		cJSON_AddNumberToObject(j, "timeout", (double)(ctnicd_conn_left(c, id) / c->ticks_per_sec));
		cJSON_AddStringToObject(j, "class", ctnic_tclass_sysctl((enum ctnic_tclass)cn->tclass));
	}
	cJSON_AddItemToObject(j, "orig", tuple_json(&cn->orig));
	cJSON_AddItemToObject(j, "reply", tuple_json(&reply));
	if (card) {
		cJSON_AddNumberToObject(j, "packets", f.pkts[0]);
		cJSON_AddNumberToObject(j, "bytes", (double)f.bytes[0]);
		cJSON_AddNumberToObject(j, "reply_packets", f.pkts[1]);
		cJSON_AddNumberToObject(j, "reply_bytes", (double)f.bytes[1]);
	}
	if (cn->flags & CTNICD_CONN_ASSURED || (cn->orig.proto == 6 && (cn->tcp.flags & CTNIC_TCPF_ASSURED)))
		cJSON_AddItemToArray(flags, cJSON_CreateString("ASSURED"));
	if (!(cn->flags & CTNICD_CONN_REPLIED) && !(cn->orig.proto == 6 && (cn->tcp.flags & CTNIC_TCPF_SEEN_REPLY)))
		cJSON_AddItemToArray(flags, cJSON_CreateString("UNREPLIED"));
	if (card)
		cJSON_AddItemToArray(flags, cJSON_CreateString("OFFLOAD"));
	if (cn->flags & CTNICD_CONN_TO_HOST)
		cJSON_AddItemToArray(flags, cJSON_CreateString("TO_HOST"));
	if (cn->flags & CTNICD_CONN_STATIC)
		cJSON_AddItemToArray(flags, cJSON_CreateString("STATIC"));
	cJSON_AddItemToObject(j, "flags", flags);
	cJSON_AddBoolToObject(j, "in_card", card);
	return j;
}

/* ---- conn ------------------------------------------------------------------------ */

static cJSON *cmd_conn_list(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = need_core(ctx, err, errlen);
	struct filter f;
	cJSON *r, *arr;

	if (!c || parse_filter(req, &f, err, errlen) < 0)
		return NULL;
	ctnicd_core_commit(c);
	ctnicd_core_clock(c);
	r = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(r, "conns");
	for (uint32_t id = 0; id < c->conns.cap; id++)
		if ((c->conns.c[id].flags & CTNICD_CONN_USED) && matches(c, id, &f))
			cJSON_AddItemToArray(arr, conn_json(c, id));
	cJSON_AddNumberToObject(r, "count", cJSON_GetArraySize(arr));
	return r;
}

/* Ends the matching connections (their bindings linger: a late packet of them stays translated). */
static cJSON *end_matching(struct ctnicd_core *c, const struct filter *f)
{
	uint32_t n = 0;
	cJSON *r = cJSON_CreateObject();

	for (uint32_t id = 0; id < c->conns.cap; id++)
		if ((c->conns.c[id].flags & CTNICD_CONN_USED) && (!f || matches(c, id, f))) {
			ctnicd_conn_end(c, id, c->conns.c[id].gen, false, true, CTNICD_END_DELETED);
			n++;
		}
	ctnicd_core_commit(c);
	cJSON_AddNumberToObject(r, "deleted", n);
	return r;
}

static cJSON *cmd_conn_delete(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = need_core(ctx, err, errlen);
	struct filter f;

	if (!c || parse_filter(req, &f, err, errlen) < 0)
		return NULL;
	if (!f.has_tuple && !f.has_addr && !f.has_port && !f.has_proto && !f.has_state) {
		snprintf(err, errlen, "conn delete needs a tuple (proto src dst sport dport) or a filter (addr port proto state); \"conn flush\" deletes all");
		return NULL;
	}
	return end_matching(c, &f);
}

static cJSON *cmd_conn_flush(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = need_core(ctx, err, errlen);

	(void)req;
	return c ? end_matching(c, NULL) : NULL;
}

/* ---- stats ----------------------------------------------------------------------- */

static void add_u64(cJSON *o, const char *name, uint64_t v)
{
	cJSON_AddNumberToObject(o, name, (double)v);
}

static uint64_t reg64(struct ctnic_dev *dev, uint32_t lo)
{
	uint32_t l = 0, h = 0;

	ctnic_csr_read(dev, lo, &l);
	ctnic_csr_read(dev, lo + 4, &h);
	return (uint64_t)h << 32 | l;
}

static cJSON *card_stats(struct ctnic_dev *dev, const struct ctnic_dev_info *i)
{
	cJSON *card = cJSON_CreateObject(), *ports = cJSON_AddArrayToObject(card, "ports");
	cJSON *punt = cJSON_AddObjectToObject(card, "punt"), *drop = cJSON_AddObjectToObject(card, "drop");

	for (uint32_t p = 0; p <= i->ports && p < 16; p++) {
		cJSON *o = cJSON_CreateObject();
		uint32_t b = CTNIC_REG_CNT_PORT_RX_PKTS_LO(p);

		cJSON_AddStringToObject(o, "port", p == i->ports ? "host" : "");
		if (p < i->ports)
			cJSON_ReplaceItemInObject(o, "port", cJSON_CreateNumber(p));
		add_u64(o, "rx_packets", reg64(dev, b));
		add_u64(o, "rx_bytes", reg64(dev, b + 8));
		add_u64(o, "tx_packets", reg64(dev, b + 16));
		add_u64(o, "tx_bytes", reg64(dev, b + 24));
		cJSON_AddItemToArray(ports, o);
	}
	for (unsigned r = 0; r < 16; r++) {
		const char *n = ctnic_punt_name(r);

		if (n)
			add_u64(punt, n, reg64(dev, CTNIC_REG_CNT_PUNT_LO(r)));
		n = ctnic_drop_name(r);
		if (n)
			add_u64(drop, n, reg64(dev, CTNIC_REG_CNT_DROP_LO(r)));
	}
	add_u64(card, "hits", reg64(dev, CTNIC_REG_CNT_HIT_LO));
	add_u64(card, "misses", reg64(dev, CTNIC_REG_CNT_MISS_LO));
	{
		/* The card's own aging (docs/hardware.md): is it on, passes over the table, flows it retired. */
		cJSON *aging = cJSON_AddObjectToObject(card, "aging");
		uint32_t v = 0;

		ctnic_csr_read(dev, CTNIC_REG_AGING_CTRL, &v);
		cJSON_AddBoolToObject(aging, "enabled", (v & CTNIC_AGING_CTRL_ENABLE_MASK) != 0);
		v = 0;
		ctnic_csr_read(dev, CTNIC_REG_AGING_PASSES, &v);
		add_u64(aging, "passes", v);
		v = 0;
		ctnic_csr_read(dev, CTNIC_REG_AGING_EXPIRED, &v);
		add_u64(aging, "expired", v);
	}
	return card;
}

static cJSON *cmd_stats(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_daemon *d = ctx;
	struct ctnicd_core *c = d->core;
	struct ctnic_dev_info info;
	cJSON *r, *dm, *o;

	(void)req;
	if (ctnic_dev_info(d->dev, &info) < 0) {
		snprintf(err, errlen, "%s", ctnic_last_error(d->dev));
		return NULL;
	}
	r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "card", card_stats(d->dev, &info));
	if (!c)
		return r;
	dm = cJSON_AddObjectToObject(r, "daemon");
	o = cJSON_AddObjectToObject(dm, "punt");
	for (unsigned i = 0; i < 16; i++)
		if (ctnic_punt_name(i))
			add_u64(o, ctnic_punt_name(i), c->st.punt[i]);
	o = cJSON_AddObjectToObject(dm, "table");
	add_u64(o, "connections", c->conns.used);
	add_u64(o, "max", c->conns.cap);
	add_u64(o, "key_slots_used", c->place.used);
	add_u64(o, "key_slots", c->place.nslots);
	add_u64(o, "linger", ctnic_linger_count(c->linger));
	add_u64(o, "linger_evicted", ctnic_linger_evicted(c->linger));
	o = cJSON_AddObjectToObject(dm, "late");
	add_u64(o, "translated", c->late.count[CTNIC_LATE_ACT_TRANSLATE]);
	add_u64(o, "dropped", c->late.count[CTNIC_LATE_ACT_DROP]);
	add_u64(o, "rst", c->late.count[CTNIC_LATE_ACT_RST]);
	add_u64(o, "rst_limited", c->late.rst_limited);
	add_u64(o, "passed", c->late.count[CTNIC_LATE_ACT_PASS]);
	o = cJSON_AddArrayToObject(dm, "tx_ports");
	for (unsigned p = 0; p < info.ports && p < 16; p++)
		cJSON_AddItemToArray(o, cJSON_CreateNumber((double)c->st.tx_port[p]));
	add_u64(dm, "tx_host_stack", c->st.tx_port[CTNICD_HOST_PORT]);
#define S(name) add_u64(dm, #name, c->st.name)
	S(punt_bad); S(host_rx); S(conn_new); S(conn_end); S(conn_expired); S(conn_early_drop);
	S(conn_full_drop); S(conn_no_binding); S(installs); S(install_no_slot); S(updates); S(removes);
	S(cuckoo_moves); S(fwd); S(fwd_invalid); S(drop_ttl); S(time_exceeded); S(icmp_err_translated);
	S(icmp_err_dropped); S(icmp_err_passed); S(arp_replies); S(arp_requests); S(arp_learned);
	S(arp_dropped); S(non_ipv4_dropped); S(no_route); S(no_neigh); S(covered_unsupported); S(passed);
	S(inject_full); S(cmd_errors); S(ring_errors); S(host_no_stack);
#undef S
	return r;
}

/* ---- timeouts ---------------------------------------------------------------------- */

static const char *need_name(const cJSON *req, char *err, size_t errlen)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(req, "name");

	if (!cJSON_IsString(n)) {
		snprintf(err, errlen, "\"name\" must be a sysctl name, e.g. \"nf_conntrack_tcp_timeout_established\"");
		return NULL;
	}
	return n->valuestring;
}

static cJSON *cmd_timeout_get(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = need_core(ctx, err, errlen);
	const char *name = c ? need_name(req, err, errlen) : NULL;
	uint32_t v;
	cJSON *r;

	if (!name)
		return NULL;
	if (ctnic_ct_opts_get(&c->conf->ct, name, &v) < 0) {
		snprintf(err, errlen, "\"%.64s\" is not a timeout or nf_conntrack_tcp_loose (see \"timeout list\")", name);
		return NULL;
	}
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddNumberToObject(r, "value", v);
	return r;
}

static cJSON *cmd_timeout_set(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = need_core(ctx, err, errlen);
	const char *name = c ? need_name(req, err, errlen) : NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "value");
	char val[32];

	if (!name)
		return NULL;
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 4294967295.0 &&
	    v->valuedouble == (double)(uint32_t)v->valuedouble)
		snprintf(val, sizeof(val), "%u", (uint32_t)v->valuedouble);
	else if (cJSON_IsString(v) && strlen(v->valuestring) < sizeof(val))
		snprintf(val, sizeof(val), "%s", v->valuestring);
	else {
		snprintf(err, errlen, "\"value\" must be whole seconds (or 0/1 for nf_conntrack_tcp_loose)");
		return NULL;
	}
	if (ctnic_ct_opts_set(&c->conf->ct, name, val, err, errlen) < 0)
		return NULL;
	ctnicd_core_apply(c);
	return cmd_timeout_get(ctx, req, err, errlen);
}

static cJSON *cmd_timeout_list(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = need_core(ctx, err, errlen);
	cJSON *r;

	(void)req;
	if (!c)
		return NULL;
	r = cJSON_CreateObject();
	for (unsigned k = 0; k < CTNIC_TCLASSES; k++)
		cJSON_AddNumberToObject(r, ctnic_tclass_sysctl((enum ctnic_tclass)k), c->conf->ct.timeouts.sec[k]);
	cJSON_AddNumberToObject(r, "nf_conntrack_tcp_loose", c->conf->ct.tcp_loose);
	return r;
}

/* ---- events ------------------------------------------------------------------------ */

#define EVENTS_MAX_DEFAULT 256u

/* What an event kept of its connection. */
static cJSON *event_json(const struct ctnicd_ev *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	cJSON_AddStringToObject(o, "type", ctnicd_ev_type_name((enum ctnicd_ev_type)e->type));
	cJSON_AddNumberToObject(o, "tick", (double)e->tick);
	cJSON_AddNumberToObject(o, "id", e->id);
	cJSON_AddStringToObject(o, "proto", proto_name(e->orig.proto));
	cJSON_AddNumberToObject(o, "protonum", e->orig.proto);
	if (e->orig.proto == 6)
		cJSON_AddStringToObject(o, "state", ctnic_tcp_state_name(e->state));
	if (e->type == CTNICD_EV_DESTROY)
		cJSON_AddStringToObject(o, "why", ctnicd_end_why_name((enum ctnicd_end_why)e->why));
	cJSON_AddItemToObject(o, "orig", tuple_json(&e->orig));
	cJSON_AddItemToObject(o, "reply", tuple_json(&e->reply));
	return o;
}

void ctnicd_events_stream(struct ctnicd_daemon *d, ctnicd_line_fn *fn, void *arg)
{
	struct ctnicd_core *c = d->core;
	uint64_t first;

	if (!c || !c->ev.e)
		return;
	first = ctnicd_evlog_first(&c->ev);
	if (d->streamed < first) {
		char line[96];

		snprintf(line, sizeof(line), "{\"event\":{\"type\":\"LOST\",\"count\":%llu}}",
			 (unsigned long long)(first - d->streamed));
		fn(arg, line);
		d->streamed = first;
	}
	for (; d->streamed < c->ev.next; d->streamed++) {
		const struct ctnicd_ev *e = ctnicd_evlog_get(&c->ev, d->streamed);
		bool live = e->type != CTNICD_EV_DESTROY && ctnicd_conns_live(&c->conns, e->id, e->gen);
		cJSON *o = cJSON_CreateObject(), *ev = cJSON_AddObjectToObject(o, "event");
		char *line;

		cJSON_AddStringToObject(ev, "type", ctnicd_ev_type_name((enum ctnicd_ev_type)e->type));
		cJSON_AddNumberToObject(ev, "tick", (double)e->tick);
		cJSON_AddNumberToObject(ev, "seq", (double)e->seq);
		cJSON_AddItemToObject(ev, "conn", live ? conn_json(c, e->id) : event_json(e));
		if (live && e->orig.proto == 6) /* the state the event saw, not a later one */
			cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "conn"), "state",
						  cJSON_CreateString(ctnic_tcp_state_name(e->state)));
		if ((line = cJSON_PrintUnformatted(o)))
			fn(arg, line);
		free(line);
		cJSON_Delete(o);
	}
}

static cJSON *cmd_events(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = need_core(ctx, err, errlen);
	const cJSON *since = cJSON_GetObjectItemCaseSensitive(req, "since");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(req, "max");
	uint64_t from, first, n = EVENTS_MAX_DEFAULT;
	cJSON *r, *arr;

	if (!c)
		return NULL;
	if (!since && !max) {
		/* A stream: the socket sends this client every event from now on (ctnicd_events_stream). */
		struct ctnicd_daemon *d = ctx;

		if (ctnicd_evlog_start(&c->ev) < 0) {
			snprintf(err, errlen, "events: out of memory");
			return NULL;
		}
		if (d->streamed < ctnicd_evlog_first(&c->ev) || d->streamed > c->ev.next)
			d->streamed = c->ev.next;
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "stream", "events");
		cJSON_AddNumberToObject(r, "next", (double)c->ev.next);
		return r;
	}
	if ((since && (!cJSON_IsNumber(since) || since->valuedouble < 0 || since->valuedouble > 9007199254740992.0)) ||
	    (max && (!cJSON_IsNumber(max) || max->valuedouble < 1 || max->valuedouble > CTNICD_EVLOG_SIZE))) {
		snprintf(err, errlen, "\"since\" must be a sequence number from an earlier answer's \"next\", "
			 "\"max\" 1..%u", CTNICD_EVLOG_SIZE);
		return NULL;
	}
	if (ctnicd_evlog_start(&c->ev) < 0) {
		snprintf(err, errlen, "events: out of memory");
		return NULL;
	}
	if (max)
		n = (uint64_t)max->valuedouble;
	/* Without "since": from now on. */
	from = since ? (uint64_t)since->valuedouble : c->ev.next;
	if (from > c->ev.next)
		from = c->ev.next; /* a number from the future: nothing yet */
	first = ctnicd_evlog_first(&c->ev);
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "lost", (double)(from < first ? first - from : 0));
	if (from < first)
		from = first;
	arr = cJSON_AddArrayToObject(r, "events");
	for (; from < c->ev.next && n; from++, n--)
		cJSON_AddItemToArray(arr, event_json(ctnicd_evlog_get(&c->ev, from)));
	cJSON_AddNumberToObject(r, "next", (double)from);
	return r;
}

/* ---- audit ------------------------------------------------------------------------- */

#define AUDIT_LIST_MAX 100

static void audit_one(void *arg, const char *difference)
{
	cJSON *list = arg;

	if (cJSON_GetArraySize(list) < AUDIT_LIST_MAX)
		cJSON_AddItemToArray(list, cJSON_CreateString(difference));
}

static cJSON *cmd_audit(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = need_core(ctx, err, errlen);
	uint32_t n = 0;
	cJSON *r, *list;

	(void)req;
	if (!c)
		return NULL;
	r = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(r, "list");
	if (ctnicd_core_audit(c, audit_one, list, &n) < 0) {
		snprintf(err, errlen, "audit: reading the card: %s", ctnic_last_error(c->dev));
		cJSON_Delete(r);
		return NULL;
	}
	cJSON_AddNumberToObject(r, "differences", n);
	return r;
}

const struct ctnicd_ctl_cmd ctnicd_commands[] = {
	{ "device", cmd_device, "the card's id, version, tick counter and capacities" },
	{ "device regs", cmd_device_regs, "every readable register by name" },
	{ "conn list", cmd_conn_list, "connections (filters: addr port proto state, or a tuple)" },
	{ "conn delete", cmd_conn_delete, "ends the connections of a tuple or filter" },
	{ "conn flush", cmd_conn_flush, "ends every connection" },
	{ "stats", cmd_stats, "counters of the daemon and the card" },
	{ "timeout get", cmd_timeout_get, "a timeout (or nf_conntrack_tcp_loose) by sysctl name" },
	{ "timeout set", cmd_timeout_set, "sets one by sysctl name" },
	{ "timeout list", cmd_timeout_list, "every timeout" },
	{ "nat list", ctnicd_cmd_nat_list, "the NAT rules as iptables-save text" },
	{ "nat load", ctnicd_cmd_nat_load, "replaces the NAT rules with iptables-save text" },
	{ "nat add", ctnicd_cmd_nat_add, "appends one rule to its chain (iptables -A)" },
	{ "nat delete", ctnicd_cmd_nat_delete, "deletes a rule by text or by chain and index (iptables -D)" },
	{ "events", cmd_events, "connection events since a sequence number (NEW, UPDATE, DESTROY)" },
	{ "audit", cmd_audit, "the daemon's table against the card's: every difference" },
	{ NULL, NULL, NULL },
};
