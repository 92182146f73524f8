/*
 * ctnic_conf.h - the daemon's one configuration file (format in
 * docs/conntrack.md): ports and their addresses, static routes and
 * neighbours, timeouts by their Linux sysctl names, nf_conntrack_tcp_loose,
 * the linger memory, the late-packet policy, and the NAT rules (an embedded
 * `iptables-save -t nat` block or a file it names).
 *
 * A bad line is refused with "FILE:LINE: what, why"; a file with any error
 * gives no configuration at all, so the caller keeps the one it runs with.
 */
#ifndef CTNIC_CONF_H
#define CTNIC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct/ctnic_conntrack.h"
#include "ct/ctnic_nat.h"

#define CTNIC_CONF_PORTS 16 /* the card's port numbers are 4 bits */

struct ctnic_conf_port {
	bool set;
	char name[16];
	uint32_t addr;           /* host order */
	uint8_t plen;            /* prefix length of its subnet */
	bool has_mac;
	uint8_t mac[6];          /* 0 when not set: the daemon uses the card's */
	unsigned line;
};

struct ctnic_conf_route {
	uint32_t dst;            /* network, host order */
	uint8_t plen;
	uint32_t via;            /* next-hop address, 0: directly connected */
	unsigned port;           /* egress port number */
	char dev[16];            /* the port name as written, "" when not given */
	unsigned line;
};

struct ctnic_conf_neigh {
	uint32_t addr;
	uint8_t mac[6];
	unsigned port;
	char dev[16];            /* the port name as written, "" when not given */
	unsigned line;
};

/* A line kept for the daemon to read itself (its static "flow SPEC" lines). */
struct ctnic_conf_line {
	unsigned line;
	char *text;              /* after the keyword, comment and outer blanks removed */
};

enum ctnic_late_policy {
	CTNIC_LATE_DROP = 0,     /* drop a late packet a NAT rule covers (counted) */
	CTNIC_LATE_RST,          /* and answer a TCP one with a rate-limited RST */
};

struct ctnic_conf {
	struct ctnic_conf_port ports[CTNIC_CONF_PORTS];
	struct ctnic_conf_route *routes;
	size_t nroutes;
	struct ctnic_conf_neigh *neighs;
	size_t nneighs;
	struct ctnic_ct_opts ct;           /* timeouts (seconds) and tcp_loose */
	uint32_t conntrack_max;            /* nf_conntrack_max */
	uint32_t linger_sec;               /* linger-time */
	uint32_t linger_entries;           /* linger-entries */
	enum ctnic_late_policy late;       /* late-packets */
	uint32_t late_rst_per_sec;         /* late-rst-limit */
	struct ctnic_nat_ruleset *nat;     /* never NULL after a successful parse */
	struct ctnic_conf_line *flows;     /* "flow SPEC" lines (docs/daemon.md), unchecked here */
	size_t nflows;
	char nat_source[4200];             /* "FILE" or "FILE:LINE" of the rules */
};

/* The defaults of a file that says nothing (Linux's timeouts, loose on). */
#define CTNIC_CONF_CONNTRACK_MAX_DEFAULT  262144u
#define CTNIC_CONF_LINGER_SEC_DEFAULT     120u
#define CTNIC_CONF_LINGER_ENTRIES_DEFAULT 65536u
#define CTNIC_CONF_LATE_RST_DEFAULT       100u

/*
 * Parses configuration text. `name` labels errors; `base_dir` resolves a
 * relative `nat-rules` path (NULL: the current directory). On success *out
 * is a new configuration (free with ctnic_conf_free); on error -1, err is
 * filled and *out is NULL.
 */
int ctnic_conf_parse(const char *text, const char *name, const char *base_dir,
		     struct ctnic_conf **out, char *err, size_t errlen);

/* Reads and parses a file; a relative nat-rules path is taken from its directory. */
int ctnic_conf_load(const char *path, struct ctnic_conf **out, char *err, size_t errlen);

void ctnic_conf_free(struct ctnic_conf *c);

/*
 * The NAT evaluator's view of the ports (name and address of each set
 * port), in ifaces[] of at least CTNIC_CONF_PORTS entries. The names point
 * into *c. Returns the count.
 */
size_t ctnic_conf_nat_env(const struct ctnic_conf *c, struct ctnic_nat_iface *ifaces);

/* The port whose subnet holds addr, or -1. */
int ctnic_conf_port_of(const struct ctnic_conf *c, uint32_t addr);

/* Reads a whole text file (for configuration and rules); the caller frees *text. */
int ctnic_ct_read_file(const char *path, char **text, char *err, size_t errlen);

#endif /* CTNIC_CONF_H */
