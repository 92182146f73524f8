/*
 * install_test - ctnicd's static flows (host/install.c): specs parsed or
 * refused by the word at fault, and installs on the RTL through ctnic-sim:
 * both key entries, the flow record and the next hops read back as
 * written, a key already present refused, and a ninth key whose two
 * candidate buckets are full refused with a message that says so.
 *
 * usage: install_test CTNIC-SIM
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ctnic.h"
#include "frames.h"
#include "harness.h"
#include "install.h"

static void test_spec_errors_name_the_word(void)
{
	static const struct {
		const char *spec, *needle, *name;
	} bad[] = {
		{ "proto=sctp src=192.0.2.1:1 dst=192.0.2.2:2 out=0 reply-out=1", "'proto=sctp'", "an unknown protocol" },
		{ "proto=tcp src=192.0.2.1 dst=192.0.2.2:2 out=0 reply-out=1", "'src=192.0.2.1'", "a source without port" },
		{ "proto=tcp src=192.0.2.1:1 dst=192.0.2.2:2 out=16 reply-out=1", "'out=16'", "a port past 15" },
		{ "proto=tcp src=192.0.2.1:1 dst=192.0.2.2:2 out=0", "lacks reply-out", "a missing reply-out" },
		{ "proto=tcp src=192.0.2.1:1 dst=192.0.2.2:2 out=0 reply-out=1 color=red", "'color=red'", "an unknown key" },
		{ "proto=tcp src=192.0.2.1:1 dst=192.0.2.2 out=0 reply-out=1", "dst needs a port", "tcp without a destination port" },
		{ "proto=icmp src=192.0.2.1:7 dst=192.0.2.2:2 out=0 reply-out=1", "ICMP echo has only an identifier", "icmp with a destination port" },
		{ "proto=udp src=192.0.2.1:1 dst=192.0.2.2:2 out=0 reply-out=1 out-mac=02:00:00:00:00:01", "'out-mac=", "one MAC where two are due" },
		{ "proto=udp src=192.0.2.300:1 dst=192.0.2.2:2 out=0 reply-out=1", "'src=192.0.2.300:1'", "an address out of range" },
	};
	struct ctnicd_flow_spec s;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ctnicd_flow_spec_parse(bad[i].spec, &s, err, sizeof(err));
		if (!tap(rc == -EINVAL && strstr(err, bad[i].needle), "a flow spec with %s is refused, naming it", bad[i].name))
			tap_diag("got %d: %s", rc, err);
	}
}

static void test_dnat_spec_gives_the_reply_key_of_the_translated_tuple(void)
{
	struct ctnicd_flow_spec s;
	struct ctnic_key r;
	char err[256];

	int rc = ctnicd_flow_spec_parse("proto=tcp src=198.51.100.7:40000 dst=203.0.113.10:80 "
					"dnat=192.0.2.10:8080 out=1 reply-out=0 ttl=keep class=3",
					&s, err, sizeof(err));
	ctnicd_flow_reply_key(&s, &r);
	tap(rc == 0 && s.orig.proto == IPPROTO_TCP && s.orig.saddr == tframe_addr("198.51.100.7") &&
		    s.orig.dport == 80 && !s.ttl_dec && s.tclass == 3 && s.nh[0].port == 1 && s.nh[1].port == 0 &&
		    r.saddr == tframe_addr("192.0.2.10") && r.sport == 8080 &&
		    r.daddr == tframe_addr("198.51.100.7") && r.dport == 40000,
	    "a DNAT spec parses, and its reply key comes from the DNAT target back to the client");
}

static void test_install_reads_back(struct ctnic_dev *dev, const struct ctnic_dev_info *info)
{
	struct ctnicd_flow_spec s;
	struct ctnicd_flow_placed pl;
	struct ctnic_key_entry ke[2];
	struct ctnic_flow f;
	struct ctnic_nexthop nh;
	char err[512];
	int ok;

	ctnicd_flow_spec_parse("proto=udp src=192.0.2.20:5000 dst=203.0.113.53:53 snat=198.51.100.1:61000 "
			       "out=1 reply-out=0 out-mac=02:00:00:00:01:0a/02:00:00:00:01:01",
			       &s, err, sizeof(err));
	ok = ctnicd_flow_install(dev, info, &s, &pl, err, sizeof(err)) == 0;
	if (!tap(ok, "an SNAT flow installs"))
		tap_diag("%s", err);
	ok = ok && ctnic_key_read(dev, pl.slot[0], &ke[0]) == 0 && ctnic_key_read(dev, pl.slot[1], &ke[1]) == 0 &&
	     ctnic_flow_read(dev, pl.flow_id, &f) == 0 && ctnic_nexthop_read(dev, pl.nexthop[0], &nh) == 0;
	tap(ok && ke[0].valid && !ke[0].reply && ke[0].flow_id == pl.flow_id && ke[0].key.sport == 5000 &&
		    ke[1].valid && ke[1].reply && ke[1].flow_id == pl.flow_id &&
		    ke[1].key.saddr == tframe_addr("203.0.113.53") && ke[1].key.daddr == tframe_addr("198.51.100.1") &&
		    ke[1].key.dport == 61000,
	    "both key entries read back from the card: original and reply, one flow id");
	tap(ok && f.valid && f.dir[0].saddr == tframe_addr("198.51.100.1") && f.dir[0].sport == 61000 &&
		    f.dir[1].daddr == tframe_addr("192.0.2.20") && f.dir[1].dport == 5000 &&
		    f.dir[0].nexthop == pl.nexthop[0] && f.dir[1].nexthop == pl.nexthop[1],
	    "the flow record reads back: SNAT going out, un-SNAT coming back");
	tap(ok && nh.valid && nh.port == 1 && nh.rewrite_macs && nh.dst_mac[4] == 1 && nh.dst_mac[5] == 0x0a,
	    "the next hop reads back with its port and MACs");
	tap(ctnicd_flow_install(dev, info, &s, &pl, err, sizeof(err)) == -EEXIST && strstr(err, "already in the card"),
	    "installing the same flow again is refused: its key is already in the table");
	ctnicd_flow_spec_parse("proto=udp src=192.0.2.21:5000 dst=203.0.113.53:53 out=1 reply-out=7", &s, err, sizeof(err));
	tap(ctnicd_flow_install(dev, info, &s, &pl, err, sizeof(err)) == -EINVAL &&
		    strstr(err, "reply-out port 7 does not exist"),
	    "a flow to a port the card does not have is refused");
}

/* Nine UDP flows whose original keys share both candidate buckets, and whose reply keys stay out of them. */
static int buckets_empty(struct ctnic_dev *dev, const struct ctnic_dev_info *info, uint32_t b0, uint32_t b1)
{
	for (unsigned st = 0; st < 2; st++)
		for (unsigned w = 0; w < info->ways; w++) {
			struct ctnic_key_entry e;

			if (ctnic_key_read(dev, ctnic_slot(st, st ? b1 : b0, w, info->buckets, info->ways), &e) < 0 ||
			    e.valid)
				return 0;
		}
	return 1;
}

static int colliding_specs(struct ctnic_dev *dev, const struct ctnic_dev_info *info, char specs[9][160])
{
	static uint8_t count[65536];
	static uint16_t ports[65536][9];
	uint32_t dst = tframe_addr("203.0.113.5");

	memset(count, 0, sizeof(count));
	for (uint32_t sport = 1024; sport < 65536; sport++) {
		struct ctnic_key k = { tframe_addr("198.51.100.20"), dst, (uint16_t)sport, 53, IPPROTO_UDP };
		struct ctnic_key r = { dst, k.saddr, 53, (uint16_t)sport, IPPROTO_UDP };
		uint32_t h = ctnic_key_hash(&k), hr = ctnic_key_hash(&r);
		uint32_t b0 = ctnic_bucket(h, 0, info->buckets), b1 = ctnic_bucket(h, 1, info->buckets);
		uint32_t pair = b0 * info->buckets + b1;

		if (pair >= 65536 || count[pair] > 9 ||
		    ctnic_bucket(hr, 0, info->buckets) == b0 || ctnic_bucket(hr, 1, info->buckets) == b1)
			continue;
		ports[pair][count[pair]++] = (uint16_t)sport;
		/* Buckets that earlier tests already use are no good: mark them spent. */
		if (count[pair] == 9 && !buckets_empty(dev, info, b0, b1))
			count[pair] = 10;
		if (count[pair] == 9) {
			for (int i = 0; i < 9; i++)
				snprintf(specs[i], 160, "proto=udp src=198.51.100.20:%u dst=203.0.113.5:53 out=1 reply-out=0",
					 ports[pair][i]);
			tap_diag("sub-table 0 bucket %u, sub-table 1 bucket %u: sports %u..%u", b0, b1, ports[pair][0], sport);
			return 0;
		}
	}
	return -1;
}

static void test_full_buckets_refuse_the_next_key(struct ctnic_dev *dev, const struct ctnic_dev_info *info)
{
	char specs[9][160], err[512];
	int installed = 0, rc = 0;

	if (info->ways != 4 || info->buckets > 256 || colliding_specs(dev, info, specs) < 0) {
		tap(0, "nine keys sharing both buckets found for %u ways, %u buckets", info->ways, info->buckets);
		return;
	}
	for (int i = 0; i < 9; i++) {
		struct ctnicd_flow_spec s;
		struct ctnicd_flow_placed pl;

		ctnicd_flow_spec_parse(specs[i], &s, err, sizeof(err));
		rc = ctnicd_flow_install(dev, info, &s, &pl, err, sizeof(err));
		if (rc < 0)
			break;
		installed++;
	}
	tap(installed == 2 * (int)info->ways, "eight keys sharing both candidate buckets all install (%d did)", installed);
	if (!tap(rc == -ENOSPC && strstr(err, "both candidate buckets are full"),
		 "the ninth is refused: both candidate buckets are full"))
		tap_diag("rc %d: %s", rc, err);
	else
		tap_diag("%s", err);
}

int main(int argc, char **argv)
{
	char sock[128], logf[128], uri[160], err[CTNIC_ERR_LEN];
	struct ctnic_dev_info info;
	struct ctnic_dev *dev;
	const char *dir;
	pid_t sim;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CTNIC-SIM\n", argv[0]);
		return 2;
	}
	test_spec_errors_name_the_word();
	test_dnat_spec_gives_the_reply_key_of_the_translated_tuple();

	dir = th_tmpdir("inst");
	snprintf(sock, sizeof(sock), "%s/sim.sock", dir);
	snprintf(logf, sizeof(logf), "%s/sim.log", dir);
	snprintf(uri, sizeof(uri), "sim:%s", sock);
	char *sim_argv[] = { argv[1], "--socket", sock, NULL };
	sim = th_spawn(sim_argv, logf);
	if (!tap(th_wait_path(sock, sim, 30000) == 0 && ctnic_open(&dev, uri, err, sizeof(err)) == 0 &&
		 ctnic_dev_info(dev, &info) == 0,
		 "libctnic opens ctnic-sim and reads the card's capacities")) {
		th_diag_file(logf);
	} else {
		test_install_reads_back(dev, &info);
		test_full_buckets_refuse_the_next_key(dev, &info);
		ctnic_close(dev);
	}
	kill(sim, SIGTERM);
	th_wait(sim, 20000);
	th_cleanup();
	return tap_done();
}
