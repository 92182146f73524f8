/*
 * install_test - ctnicd's static flows (host/install.c): specs parsed or
 * refused by the word at fault, and installs on the RTL through ctnic-sim:
 * both key entries, the flow record and the next hops read back as
 * written, a key already present refused, a key whose first bucket is full
 * placed in its second, and one whose two candidate buckets are full
 * refused with a message that names them.
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
/* A UDP spec from 198.51.100.20:sport whose reply key's buckets are not its original key's. */
static void spec_for(const struct ctnic_dev_info *info, uint16_t sport, char *text, size_t len,
		     uint32_t *b0, uint32_t *b1)
{
	for (;; sport++) {
		struct ctnic_key k = { tframe_addr("198.51.100.20"), tframe_addr("203.0.113.5"), sport, 53, IPPROTO_UDP };
		struct ctnic_key r = { k.daddr, k.saddr, 53, sport, IPPROTO_UDP };
		uint32_t h = ctnic_key_hash(&k), hr = ctnic_key_hash(&r);

		*b0 = ctnic_bucket(h, 0, info->buckets);
		*b1 = ctnic_bucket(h, 1, info->buckets);
		if (ctnic_bucket(hr, 0, info->buckets) != *b0 && ctnic_bucket(hr, 1, info->buckets) != *b1)
			break;
	}
	snprintf(text, len, "proto=udp src=198.51.100.20:%u dst=203.0.113.5:53 out=1 reply-out=0", sport);
}

/* Fills ways [0, n) of a bucket with valid entries of other keys (10.0.0.x: never traffic here). */
static int fill(struct ctnic_dev *dev, const struct ctnic_dev_info *info, unsigned st, uint32_t bucket, unsigned n)
{
	for (unsigned w = 0; w < n; w++) {
		struct ctnic_key_entry e = { .valid = true, .flow_id = 0,
					     .key = { 0x0a000000u + st * 256 + w, 0x0a0000ffu, 1, 2, IPPROTO_UDP } };

		if (ctnic_key_write(dev, ctnic_slot(st, bucket, w, info->buckets, info->ways), &e) < 0)
			return -1;
	}
	return 0;
}

static void test_full_buckets(struct ctnic_dev *dev, const struct ctnic_dev_info *info)
{
	struct ctnicd_flow_spec s;
	struct ctnicd_flow_placed pl;
	char text[160], err[512];
	uint32_t b0, b1;
	int rc;

	/* First bucket full, one way left in the second: the key takes that way. */
	spec_for(info, 20000, text, sizeof(text), &b0, &b1);
	ctnicd_flow_spec_parse(text, &s, err, sizeof(err));
	rc = fill(dev, info, 0, b0, info->ways) | fill(dev, info, 1, b1, info->ways - 1);
	rc = rc ? rc : ctnicd_flow_install(dev, info, &s, &pl, err, sizeof(err));
	if (!tap(rc == 0 && pl.slot[0] == ctnic_slot(1, b1, info->ways - 1, info->buckets, info->ways),
		 "with its first bucket full a key takes the free way of its second bucket"))
		tap_diag("rc %d: %s", rc, err);

	/* Both buckets full: refused, and the message names them. */
	spec_for(info, 30000, text, sizeof(text), &b0, &b1);
	ctnicd_flow_spec_parse(text, &s, err, sizeof(err));
	rc = fill(dev, info, 0, b0, info->ways) | fill(dev, info, 1, b1, info->ways);
	rc = rc ? rc : ctnicd_flow_install(dev, info, &s, &pl, err, sizeof(err));
	char want[96];
	snprintf(want, sizeof(want), "sub-table 0 bucket %u, sub-table 1 bucket %u", b0, b1);
	if (!tap(rc == -ENOSPC && strstr(err, "both candidate buckets are full") && strstr(err, want),
		 "with both candidate buckets full the flow is refused, naming the buckets"))
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
		test_full_buckets(dev, &info);
		ctnic_close(dev);
	}
	kill(sim, SIGTERM);
	th_wait(sim, 20000);
	th_cleanup();
	return tap_done();
}
