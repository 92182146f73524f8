/*
 * test_flow.c - the hash and the table packing of docs/contract.md.
 * The expected values here are computed independently (the CRC-32C check
 * value from RFC 3720, words written out by hand from the contract tables).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ctnic_flow.h"

static void test_crc32c_matches_the_standard_check_value(void **state)
{
	(void)state;
	assert_int_equal(ctnic_crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(ctnic_crc32c("", 0), 0x00000000u);
}

static void test_key_hashes_its_13_bytes_in_network_order(void **state)
{
	struct ctnic_key k = { 0xc0000201u, 0xc6336450u, 40000, 80, 6 };
	const uint8_t want[CTNIC_KEY_BYTES] = { 192, 0, 2, 1, 198, 51, 100, 80,
						0x9c, 0x40, 0x00, 0x50, 6 };
	uint8_t b[CTNIC_KEY_BYTES];

	(void)state;
	ctnic_key_bytes(&k, b);
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(ctnic_key_hash(&k), ctnic_crc32c(want, sizeof(want)));
}

static void test_buckets_take_low_and_high_hash_halves(void **state)
{
	(void)state;
	assert_int_equal(ctnic_bucket(0xabcd1234u, 0, 64), 0x34u);
	assert_int_equal(ctnic_bucket(0xabcd1234u, 1, 64), 0x0du);
	assert_int_equal(ctnic_bucket(0xabcd1234u, 1, 65536), 0xabcdu);
	assert_int_equal(ctnic_slot(1, 3, 2, 64, 4), (64u + 3u) * 4u + 2u);
}

static void test_key_entry_words_follow_the_contract_table(void **state)
{
	struct ctnic_key_entry e = { .valid = true, .reply = true, .flow_id = 0x2abcde,
				     .key = { 0xc0000201u, 0xcb007105u, 1234, 8080, 17 } };
	struct ctnic_key_entry back;
	uint32_t w[CTNIC_KEY_WORDS];

	(void)state;
	ctnic_key_entry_pack(&e, w);
	assert_int_equal(w[0], 0xc0000201u);
	assert_int_equal(w[1], 0xcb007105u);
	assert_int_equal(w[2], (1234u << 16) | 8080u);
	assert_int_equal(w[3], 0x80000000u | 0x40000000u | (0x2abcdeu << 8) | 17u);
	ctnic_key_entry_unpack(w, &back);
	assert_int_equal(back.key.saddr, e.key.saddr);
	assert_int_equal(back.key.daddr, e.key.daddr);
	assert_int_equal(back.key.sport, e.key.sport);
	assert_int_equal(back.key.dport, e.key.dport);
	assert_int_equal(back.key.proto, e.key.proto);
	assert_true(back.valid && back.reply);
	assert_int_equal(back.flow_id, 0x2abcde);
}

static void test_flow_record_round_trips_with_48_bit_byte_counts(void **state)
{
	struct ctnic_flow f = { 0 }, back;
	uint32_t w[CTNIC_FLOW_WORDS];

	(void)state;
	f.dir[0] = (struct ctnic_flow_dir){ 0xc0000201u, 0xcb007105u, 40000, 8080,
					    CTNIC_ACTION_FORWARD, true, 7 };
	f.dir[1] = (struct ctnic_flow_dir){ 0xc6336450u, 0xc0000201u, 80, 40000,
					    CTNIC_ACTION_HOST, false, 200 };
	f.valid = true;
	f.tclass = 11;
	f.generation = 0xbeef;
	f.last_seen = 0x12345678u;
	f.pkts[0] = 5;
	f.pkts[1] = 6;
	f.bytes[0] = 0xa1b2c3d4e5f6ull;
	f.bytes[1] = 0x0000ffff0001ull;
	ctnic_flow_pack(&f, w);
	assert_int_equal(w[3], 0u | 1u << 2 | 7u << 8);
	assert_int_equal(w[7], 1u | 200u << 8);
	assert_int_equal(w[8], 1u | 11u << 4 | 0xbeefu << 16);
	assert_int_equal(w[11], 0xc3d4e5f6u);
	assert_int_equal(w[14], 0xa1b2u | 0x0000u << 16);
	assert_int_equal(w[15], 0u);
	ctnic_flow_unpack(w, &back);
	for (int d = 0; d < 2; d++) {
		assert_int_equal(back.dir[d].saddr, f.dir[d].saddr);
		assert_int_equal(back.dir[d].daddr, f.dir[d].daddr);
		assert_int_equal(back.dir[d].sport, f.dir[d].sport);
		assert_int_equal(back.dir[d].dport, f.dir[d].dport);
		assert_int_equal(back.dir[d].action, f.dir[d].action);
		assert_int_equal(back.dir[d].ttl_dec, f.dir[d].ttl_dec);
		assert_int_equal(back.dir[d].nexthop, f.dir[d].nexthop);
		assert_int_equal(back.pkts[d], f.pkts[d]);
		assert_int_equal(back.bytes[d], f.bytes[d]);
	}
	assert_true(back.valid);
	assert_int_equal(back.tclass, f.tclass);
	assert_int_equal(back.generation, f.generation);
	assert_int_equal(back.last_seen, f.last_seen);
}

static void test_nexthop_macs_pack_byte_zero_first(void **state)
{
	struct ctnic_nexthop n = { true, true, 3, { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
				   { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee } }, back;
	uint32_t w[CTNIC_NH_WORDS];

	(void)state;
	ctnic_nexthop_pack(&n, w);
	assert_int_equal(w[0], 0x80000013u);
	assert_int_equal(w[1], 0x02112233u);
	assert_int_equal(w[2], 0x445502aau);
	assert_int_equal(w[3], 0xbbccddeeu);
	ctnic_nexthop_unpack(w, &back);
	assert_true(back.valid && back.rewrite_macs);
	assert_int_equal(back.port, n.port);
	assert_memory_equal(back.dst_mac, n.dst_mac, 6);
	assert_memory_equal(back.src_mac, n.src_mac, 6);
}

static void test_punt_descriptor_is_little_endian(void **state)
{
	struct ctnic_punt_desc d = { 1514, CTNIC_PUNT_TCP_FLAGS, 1, 0x12345, true, true,
				     0xa0b0c0d0u, 18, 38, 0x11 }, back;
	const uint8_t want[CTNIC_PUNT_DESC_BYTES] = { 0xea, 0x05, 2, 1, 0x45, 0x23, 0x01, 0xc0,
						      0xd0, 0xc0, 0xb0, 0xa0, 18, 38, 0x11, 0 };
	uint8_t b[CTNIC_PUNT_DESC_BYTES];

	(void)state;
	ctnic_punt_desc_pack(&d, b);
	assert_memory_equal(b, want, sizeof(want));
	ctnic_punt_desc_unpack(b, &back);
	assert_int_equal(back.len, d.len);
	assert_int_equal(back.reason, d.reason);
	assert_int_equal(back.port, d.port);
	assert_int_equal(back.flow_id, d.flow_id);
	assert_true(back.reply && back.flow_valid);
	assert_int_equal(back.tick, d.tick);
	assert_int_equal(back.l3_off, d.l3_off);
	assert_int_equal(back.l4_off, d.l4_off);
	assert_int_equal(back.tcp_flags, d.tcp_flags);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_matches_the_standard_check_value),
		cmocka_unit_test(test_key_hashes_its_13_bytes_in_network_order),
		cmocka_unit_test(test_buckets_take_low_and_high_hash_halves),
		cmocka_unit_test(test_key_entry_words_follow_the_contract_table),
		cmocka_unit_test(test_flow_record_round_trips_with_48_bit_byte_counts),
		cmocka_unit_test(test_nexthop_macs_pack_byte_zero_first),
		cmocka_unit_test(test_punt_descriptor_is_little_endian),
	};

	return cmocka_run_group_tests_name("contract", tests, NULL, NULL);
}
