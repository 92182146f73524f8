/*
 * test_ct_conf.c - the daemon's configuration file: a full example, the
 * defaults, a rules file next to the configuration, and bad files refused
 * with their line number and nothing returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ct_test.h"
#include "ct/ctnic_conf.h"

static const char example[] =
	"# ctnicd.conf: the REDIRECT gateway of design.md\n"          /* 1 */
	"port 0 lan 192.0.2.1/24 mac 02:00:00:00:00:01\n"
	"port 1 wan 203.0.113.1/24\n"
	"route default via 203.0.113.254\n"
	"route 198.51.100.0/24 via 203.0.113.254 dev wan\n"           /* 5 */
	"neighbour 203.0.113.254 02:00:00:00:00:fe\n"
	"neighbour 192.0.2.10 02:00:00:00:00:0a dev lan\n"
	"\n"
	"net.netfilter.nf_conntrack_tcp_timeout_close_wait = 30  # lowered\n"
	"nf_conntrack_tcp_timeout_established=3600\n"                 /* 10 */
	"nf_conntrack_udp_timeout 20\n"
	"nf_conntrack_tcp_loose = 0\n"
	"nf_conntrack_max = 65536\n"
	"linger-time 180\n"
	"linger-entries 4096\n"                                       /* 15 */
	"late-packets rst\n"
	"late-rst-limit 50\n"
	"*nat\n"
	":PREROUTING ACCEPT [0:0]\n"
	":INPUT ACCEPT [0:0]\n"                                       /* 20 */
	":OUTPUT ACCEPT [0:0]\n"
	":POSTROUTING ACCEPT [0:0]\n"
	"-A PREROUTING -i lan -d 198.51.100.20/32 -p tcp -j REDIRECT --to-ports 80\n"
	"-A POSTROUTING -o wan -j MASQUERADE\n"
	"COMMIT\n"                                                    /* 25 */
	"# after the block, settings go on\n"
	"nf_conntrack_icmp_timeout = 10\n"
	"flow proto=udp src=192.0.2.20:5000 dst=203.0.113.53:53 out=1 reply-out=0  # static\n";

static struct ctnic_conf *parse_ok(const char *text)
{
	struct ctnic_conf *c = NULL;
	char err[512] = "";

	if (ctnic_conf_parse(text, "ctnicd.conf", NULL, &c, err, sizeof(err)))
		fail_msg("unexpected error: %s", err);
	assert_non_null(c);
	return c;
}

static void parse_fails(const char *text, const char *want)
{
	struct ctnic_conf *c = (void *)1;
	char err[512] = "";

	assert_int_equal(ctnic_conf_parse(text, "ctnicd.conf", NULL, &c, err, sizeof(err)), -1);
	assert_null(c);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_full_example_is_read_completely(void **state)
{
	struct ctnic_conf *c = parse_ok(example);
	struct ctnic_nat_iface ifs[CTNIC_CONF_PORTS];
	struct ctnic_nat_env env = { ifs, 0 };
	struct ctnic_nat_pkt pkt = { .k = key(6, IP(192, 0, 2, 10), 40000, IP(198, 51, 100, 20), 443),
				     .in_if = "lan" };
	struct ctnic_nat_action a;
	char err[256];

	(void)state;
	assert_true(c->ports[0].set && c->ports[1].set && !c->ports[2].set);
	assert_string_equal(c->ports[0].name, "lan");
	assert_int_equal(c->ports[0].addr, IP(192, 0, 2, 1));
	assert_int_equal(c->ports[0].plen, 24);
	assert_true(c->ports[0].has_mac);
	assert_int_equal(c->ports[0].mac[5], 1);
	assert_false(c->ports[1].has_mac);
	assert_int_equal(c->nroutes, 2);
	assert_int_equal(c->routes[0].plen, 0);
	assert_int_equal(c->routes[0].via, IP(203, 0, 113, 254));
	assert_int_equal(c->routes[0].port, 1);
	assert_int_equal(c->routes[1].dst, IP(198, 51, 100, 0));
	assert_int_equal(c->nneighs, 2);
	assert_int_equal(c->neighs[0].port, 1);
	assert_int_equal(c->neighs[1].port, 0);
	assert_int_equal(c->neighs[1].mac[5], 0x0a);
	assert_int_equal(c->ct.timeouts.sec[CTNIC_TC_TCP_CLOSE_WAIT], 30);
	assert_int_equal(c->ct.timeouts.sec[CTNIC_TC_TCP_ESTABLISHED], 3600);
	assert_int_equal(c->ct.timeouts.sec[CTNIC_TC_UDP], 20);
	assert_int_equal(c->ct.timeouts.sec[CTNIC_TC_ICMP], 10);
	assert_int_equal(c->ct.timeouts.sec[CTNIC_TC_TCP_SYN_SENT], 120); /* untouched: Linux's */
	assert_false(c->ct.tcp_loose);
	assert_int_equal(c->conntrack_max, 65536);
	assert_int_equal(c->linger_sec, 180);
	assert_int_equal(c->linger_entries, 4096);
	assert_int_equal(c->late, CTNIC_LATE_RST);
	assert_int_equal(c->late_rst_per_sec, 50);
	assert_string_equal(c->nat_source, "ctnicd.conf:18");
	assert_int_equal(c->nat->nrules, 2);
	assert_int_equal(c->nflows, 1);
	assert_int_equal(c->flows[0].line, 28);
	assert_string_equal(c->flows[0].text,
			    "proto=udp src=192.0.2.20:5000 dst=203.0.113.53:53 out=1 reply-out=0");
	/* Rule lines are the configuration's lines. */
	assert_int_equal(c->nat->chains[CTNIC_HOOK_PREROUTING].rules[0].line, 23);
	env.nifaces = ctnic_conf_nat_env(c, ifs);
	assert_int_equal(env.nifaces, 2);
	assert_int_equal(ctnic_nat_eval(c->nat, CTNIC_HOOK_PREROUTING, &pkt, &env, &a, err,
					sizeof(err)), 0);
	assert_int_equal(a.target, CTNIC_NAT_T_REDIRECT);
	assert_int_equal(a.range.min_addr, IP(192, 0, 2, 1));
	assert_int_equal(ctnic_conf_port_of(c, IP(203, 0, 113, 77)), 1);
	assert_int_equal(ctnic_conf_port_of(c, IP(198, 51, 100, 1)), -1);
	ctnic_conf_free(c);
}

static void test_empty_file_gives_linux_defaults(void **state)
{
	struct ctnic_conf *c = parse_ok("# nothing\n\n");
	struct ctnic_ct_timeouts d;

	(void)state;
	ctnic_ct_timeouts_default(&d);
	assert_memory_equal(&c->ct.timeouts, &d, sizeof(d));
	assert_true(c->ct.tcp_loose);
	assert_int_equal(c->linger_sec, CTNIC_CONF_LINGER_SEC_DEFAULT);
	assert_int_equal(c->late, CTNIC_LATE_DROP);
	assert_non_null(c->nat);
	assert_int_equal(c->nat->nrules, 0);
	ctnic_conf_free(c);
}

static void test_bad_lines_are_refused_with_their_line(void **state)
{
	(void)state;
	parse_fails("port 0 lan 192.0.2.1\n", "ctnicd.conf:1: port address 192.0.2.1: write ADDRESS/PREFIXLEN");
	parse_fails("port 0 lan 192.0.2.1/24\n\nfrobnicate 3\n", "ctnicd.conf:3: unknown setting 'frobnicate'");
	parse_fails("nf_conntrack_tcp_timeout_close_wait = 0\n",
		    ":1: nf_conntrack_tcp_timeout_close_wait = 0: a timeout is a whole number of seconds");
	parse_fails("\nnf_conntrack_udp_timeout = soon\n", ":2: nf_conntrack_udp_timeout = soon");
	parse_fails("nf_conntrack_tcp_be_liberal = 1\n", ":1: nf_conntrack_tcp_be_liberal: not a setting ctnic knows");
	parse_fails("nf_conntrack_tcp_loose = 2\n", ":1: nf_conntrack_tcp_loose = 2: must be 0 or 1");
	parse_fails("port 0 lan 192.0.2.1/24\nport 0 wan 203.0.113.1/24\n", ":2: port 0 is already defined on line 1");
	parse_fails("port 0 lan 192.0.2.1/24\nport 1 lan 203.0.113.1/24\n", ":2: port 1: name lan is already port 0's");
	parse_fails("port 16 x 192.0.2.1/24\n", ":1: port 16: the number must be 0..15");
	parse_fails("port 0 lan 192.0.2.1/24 mac 02:00:00:00:00\n", ":1: port 0: 'mac 02:00:00:00:00'");
	parse_fails("port 0 lan 192.0.2.1/24\nroute default via 203.0.113.254\n",
		    ":2: route: gateway 203.0.113.254 is on no port's subnet");
	parse_fails("route 198.51.100.1/24 via 192.0.2.254\n", ":1: route 198.51.100.1/24: host bits set");
	parse_fails("port 0 lan 192.0.2.1/24\nroute default dev wan\n", ":2: route: dev wan is no port");
	parse_fails("neighbour 192.0.2.9 02:00:00:00:00:09\n", ":1: neighbour: address is on no port's subnet");
	parse_fails("late-packets reject\n", ":1: late-packets: write 'late-packets drop'");
	parse_fails("linger-time -5\n", ":1: linger-time: write 'linger-time N'");
	parse_fails("\nflow   # nothing\n", ":2: flow: write 'flow SPEC'");
	/* The NAT block: its errors keep the configuration's line numbers. */
	parse_fails("port 0 lan 192.0.2.1/24\n*nat\n:PREROUTING ACCEPT [0:0]\n"
		    "-A PREROUTING -p tcp -j TPROXY --on-port 80\nCOMMIT\n",
		    "ctnicd.conf:4: unsupported target TPROXY");
	parse_fails("port 0 lan 192.0.2.1/24\n*nat\n-A PREROUTING -j ACCEPT\n",
		    "ctnicd.conf:2: *nat block has no COMMIT line");
	parse_fails("port 0 lan 192.0.2.1/24\n*nat\n-A PREROUTING -i eth7 -j ACCEPT\nCOMMIT\n",
		    "ctnicd.conf:3: interface eth7 is no port of this configuration");
	parse_fails("*nat\nCOMMIT\n*nat\nCOMMIT\n", ":3: NAT rules are already given on line 1");
	parse_fails("*filter\nCOMMIT\n", ":1: table *filter: only the nat table is supported");
	parse_fails("nat-rules /nonexistent/ct-rules\n", ":1: nat-rules: open /nonexistent/ct-rules");
}

static void test_bad_file_leaves_the_running_configuration(void **state)
{
	struct ctnic_conf *running = parse_ok(example), *next = NULL;
	char err[512];
	char *bad = malloc(sizeof(example) + 64);

	(void)state;
	/* The same file with one bad line at the end: nothing of it comes back. */
	snprintf(bad, sizeof(example) + 64, "%snf_conntrack_generic_timeout = never\n", example);
	assert_int_equal(ctnic_conf_parse(bad, "ctnicd.conf", NULL, &next, err, sizeof(err)), -1);
	assert_null(next);
	assert_non_null(strstr(err, "ctnicd.conf:29:"));
	assert_int_equal(running->ct.timeouts.sec[CTNIC_TC_TCP_CLOSE_WAIT], 30);
	free(bad);
	ctnic_conf_free(running);
}

static void test_rules_file_next_to_the_configuration(void **state)
{
	char dir[] = "/tmp/ct-conf-XXXXXX";
	char conf[64], rules[64], err[512];
	struct ctnic_conf *c = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/ctnicd.conf", dir);
	snprintf(rules, sizeof(rules), "%s/nat.rules", dir);
	f = fopen(conf, "w");
	fputs("port 0 lan 192.0.2.1/24\nport 1 wan 203.0.113.1/24\nnat-rules nat.rules\n", f);
	fclose(f);
	f = fopen(rules, "w");
	fputs("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 192.0.2.0/24 -o wan "
	      "-j SNAT --to-source 203.0.113.5\nCOMMIT\n", f);
	fclose(f);
	if (ctnic_conf_load(conf, &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c->nat->nrules, 1);
	assert_string_equal(c->nat_source, rules);
	ctnic_conf_free(c);

	/* A rule naming an unknown port: the error points into the rules file. */
	f = fopen(rules, "w");
	fputs("*nat\n:POSTROUTING ACCEPT [0:0]\n\n-A POSTROUTING -o ppp0 -j MASQUERADE\nCOMMIT\n", f);
	fclose(f);
	assert_int_equal(ctnic_conf_load(conf, &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, "nat.rules:4: interface ppp0 is no port"));
	unlink(rules);
	unlink(conf);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example_is_read_completely),
		cmocka_unit_test(test_empty_file_gives_linux_defaults),
		cmocka_unit_test(test_bad_lines_are_refused_with_their_line),
		cmocka_unit_test(test_bad_file_leaves_the_running_configuration),
		cmocka_unit_test(test_rules_file_next_to_the_configuration),
	};

	return cmocka_run_group_tests_name("ct_conf", tests, NULL, NULL);
}
