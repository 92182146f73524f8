/*
 * ctnic_nat.h - NAT rules read from `iptables-save -t nat` text, their
 * evaluation for a packet at a hook, and the leak guard: does any rule
 * cover a tuple, in either direction.
 *
 * The supported syntax is listed in docs/conntrack.md; anything else is an
 * error naming the option or target and its line, and a ruleset with an
 * error is not returned at all. Addresses and ports are host byte order.
 */
#ifndef CTNIC_NAT_H
#define CTNIC_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic_flow.h"

enum ctnic_nat_hook {
	CTNIC_HOOK_PREROUTING = 0,
	CTNIC_HOOK_INPUT,
	CTNIC_HOOK_OUTPUT,
	CTNIC_HOOK_POSTROUTING,
	CTNIC_HOOKS,
};

enum ctnic_nat_target {
	CTNIC_NAT_T_NONE = 0,   /* no -j: the rule only matches (counts), go on */
	CTNIC_NAT_T_ACCEPT,     /* stop, no translation */
	CTNIC_NAT_T_RETURN,
	CTNIC_NAT_T_JUMP,       /* -j USERCHAIN */
	CTNIC_NAT_T_GOTO,       /* -g USERCHAIN */
	CTNIC_NAT_T_DNAT,
	CTNIC_NAT_T_SNAT,
	CTNIC_NAT_T_REDIRECT,
	CTNIC_NAT_T_MASQUERADE,
};

const char *ctnic_nat_hook_name(enum ctnic_nat_hook h);
const char *ctnic_nat_target_name(enum ctnic_nat_target t);

/* A translation's range: Linux's nf_nat_range2 for IPv4. */
struct ctnic_nat_range {
	uint32_t min_addr, max_addr;
	uint16_t min_port, max_port;
	bool map_ips;            /* an address range was given */
	bool map_ports;          /* a port range was given */
	bool random;             /* --random */
	bool random_fully;       /* --random-fully */
	bool persistent;         /* --persistent */
};

struct ctnic_portrange {
	uint16_t lo, hi;
};

#define CTNIC_NAT_MULTIPORT_MAX 15 /* as xt_multiport */

/* Inversion bits (a "!" before the option). */
#define CTNIC_NAT_INV_SRC    0x001u
#define CTNIC_NAT_INV_DST    0x002u
#define CTNIC_NAT_INV_PROTO  0x004u
#define CTNIC_NAT_INV_IN     0x008u
#define CTNIC_NAT_INV_OUT    0x010u
#define CTNIC_NAT_INV_SPORT  0x020u
#define CTNIC_NAT_INV_DPORT  0x040u
#define CTNIC_NAT_INV_MPORT  0x080u
#define CTNIC_NAT_INV_SRCTYPE 0x100u
#define CTNIC_NAT_INV_DSTTYPE 0x200u

/* What a rule matches. An empty field matches everything. */
struct ctnic_nat_match {
	uint32_t src, src_mask;
	uint32_t dst, dst_mask;
	uint8_t proto;                   /* 0: any */
	char in_if[16], out_if[16];      /* "": any; a trailing '+' is a prefix */
	bool has_sport, has_dport;
	struct ctnic_portrange sport, dport;
	uint8_t mport_kind;              /* 0 none, 1 --sports, 2 --dports, 3 --ports */
	uint8_t mport_n;
	struct ctnic_portrange mport[CTNIC_NAT_MULTIPORT_MAX];
	bool src_local, dst_local;       /* -m addrtype --src-type/--dst-type LOCAL */
	uint16_t inv;                    /* CTNIC_NAT_INV_* */
};

struct ctnic_nat_rule {
	unsigned line;                   /* line in the source text */
	struct ctnic_nat_match m;
	enum ctnic_nat_target target;
	unsigned chain_to;               /* JUMP/GOTO: index of the chain */
	struct ctnic_nat_range range;    /* DNAT, SNAT, REDIRECT, MASQUERADE */
};

struct ctnic_nat_chain {
	char name[32];
	bool builtin;
	unsigned line;                   /* where it was declared */
	struct ctnic_nat_rule *rules;
	size_t nrules, cap;
};

/* A parsed nat table. Chains 0..3 are PREROUTING, INPUT, OUTPUT, POSTROUTING. */
struct ctnic_nat_ruleset {
	struct ctnic_nat_chain *chains;
	size_t nchains, cap;
	size_t nrules;                   /* all chains together */
};

/*
 * Parses `iptables-save -t nat` text (one *nat ... COMMIT block; comments
 * and blank lines allowed). `name` and `first_line` only label errors
 * ("name:LINE: ..."): pass the file name and 1, or the config file's name
 * and the line the block starts on. On error returns -1, fills err and
 * returns no ruleset; on success *out must be freed with
 * ctnic_nat_ruleset_free(). Empty text gives an empty ruleset.
 */
int ctnic_nat_parse(const char *text, const char *name, unsigned first_line,
		    struct ctnic_nat_ruleset **out, char *err, size_t errlen);

/* Reads and parses a file (the only I/O here). */
int ctnic_nat_parse_file(const char *path, struct ctnic_nat_ruleset **out,
			 char *err, size_t errlen);

void ctnic_nat_ruleset_free(struct ctnic_nat_ruleset *rs);

/*
 * The ruleset back as `iptables-save -t nat` text (comments dropped, options
 * in iptables-save's order), which ctnic_nat_parse() reads back to the same
 * ruleset. Returns a string to free(), or NULL when out of memory.
 */
char *ctnic_nat_save(const struct ctnic_nat_ruleset *rs);

/* One interface and its (primary) IPv4 address. */
struct ctnic_nat_iface {
	const char *name;
	uint32_t addr;
};

/* What the evaluator knows of the gateway: its interfaces and addresses. */
struct ctnic_nat_env {
	const struct ctnic_nat_iface *ifaces;
	size_t nifaces;
};

/* A packet at a hook. */
struct ctnic_nat_pkt {
	struct ctnic_key k;      /* the packet's tuple */
	const char *in_if;       /* NULL at OUTPUT/POSTROUTING of local packets */
	const char *out_if;      /* NULL at PREROUTING/INPUT */
};

enum ctnic_nat_manip { CTNIC_NAT_MANIP_NONE = 0, CTNIC_NAT_MANIP_SRC, CTNIC_NAT_MANIP_DST };

/* What a hook's chain traversal asks for. */
struct ctnic_nat_action {
	enum ctnic_nat_manip manip;       /* NONE: no translation at this hook */
	enum ctnic_nat_target target;     /* the rule's target (DNAT, ...) */
	const struct ctnic_nat_rule *rule;/* the deciding rule, NULL for the policy */
	struct ctnic_nat_range range;     /* concrete: REDIRECT and MASQUERADE resolved */
};

/*
 * Traverses the hook's chain as iptables does (first match of a NAT target
 * wins; ACCEPT and the policy stop with no translation; RETURN and the end
 * of a user chain go back to the caller). REDIRECT becomes a DST range on
 * the incoming interface's address, MASQUERADE a SRC range on the outgoing
 * one's. Returns 0, or -1 with err (e.g. MASQUERADE out of an interface
 * without an address).
 */
int ctnic_nat_eval(const struct ctnic_nat_ruleset *rs, enum ctnic_nat_hook hook,
		   const struct ctnic_nat_pkt *p, const struct ctnic_nat_env *env,
		   struct ctnic_nat_action *a, char *err, size_t errlen);

/* Why a tuple is covered. */
enum ctnic_nat_cover {
	CTNIC_NAT_COVER_NONE = 0,
	CTNIC_NAT_COVER_MATCH,   /* a NAT rule's match takes this packet */
	CTNIC_NAT_COVER_REPLY,   /* it comes from (DNAT, REDIRECT) or goes to (SNAT,
				    MASQUERADE) the address a rule translates to */
};

/*
 * The leak guard (issue 5): does any DNAT, SNAT, REDIRECT or MASQUERADE rule
 * cover this packet in either direction? Over-approximates on purpose: the
 * path of jumps to a rule is not required, and interface conditions count
 * only when the interface is known (in_if may be NULL). On a hit, *line is
 * the rule's line.
 */
enum ctnic_nat_cover ctnic_nat_covers(const struct ctnic_nat_ruleset *rs,
				      const struct ctnic_key *k, const char *in_if,
				      const struct ctnic_nat_env *env, unsigned *line);

#endif /* CTNIC_NAT_H */
