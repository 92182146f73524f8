#!/usr/bin/env bash
# ctnic-story-gen: the story's packets, addresses, checksums and timing, read
# back with tcpdump (libpcap); the churn scenario's files against its own
# summary. TAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
GEN=$B/tools/gen/ctnic-story-gen
w=$(mktemp -d /tmp/ctnic-story-gen.XXXXXX)
trap 'rm -rf "$w"' EXIT

. tests/tap.sh
td() { tcpdump -nn -S -tt -vv -r "$@" 2>/dev/null; }
# The lines naming the flow, tcpdump -v style (the second line of each packet).
flows() { td "$1" | grep -oE '^ +[0-9.]+ > [0-9.]+:' | sed 's/^ *//; s/:$//' | sort -u | tr '\n' ' '; }

for sc in dnat snat redirect; do
  "$GEN" --scenario $sc --gap 150 --out0 "$w/$sc-0.pcap" --out1 "$w/$sc-1.pcap" \
    --expect0 "$w/$sc-x0.pcap" --expect1 "$w/$sc-x1.pcap" || echo "# $sc: generator failed"
done

check "story_gen_writes_six_client_and_four_server_packets" \
  test "$(td "$w/dnat-0.pcap" | grep -c 'proto TCP')/$(td "$w/dnat-1.pcap" | grep -c 'proto TCP')" = 6/4
# 3 scenarios x 20 packets (10 sent, 10 expected), each TCP checksum checked by
# tcpdump; a wrong IPv4 header checksum shows as "bad cksum".
checksums_ok() {
  local all good bad
  all=$(for f in "$w"/*.pcap; do tcpdump -nn -vv -r "$f" 2>/dev/null; done)
  good=$(grep -c 'cksum 0x[0-9a-f]* (correct)' <<<"$all")
  bad=$(grep -ciE 'incorrect|bad cksum' <<<"$all")
  [ "$good" = 60 ] && [ "$bad" = 0 ]
}
check "story_gen_ip_and_tcp_checksums_are_correct" checksums_ok
check "story_gen_client_side_addresses_the_service" \
  test "$(flows "$w/dnat-0.pcap")" = "192.0.2.10.40000 > 198.51.100.80.80 "
check "story_gen_dnat_server_side_answers_from_the_dnat_target" \
  test "$(flows "$w/dnat-1.pcap")" = "203.0.113.5.8080 > 192.0.2.10.40000 "
check "story_gen_snat_server_side_answers_the_snat_address" \
  test "$(flows "$w/snat-1.pcap")" = "198.51.100.80.80 > 203.0.113.1.40000 "
check "story_gen_redirect_host_side_answers_from_the_gateway" \
  test "$(flows "$w/redirect-1.pcap")" = "192.0.2.1.80 > 192.0.2.10.40000 "
expect_translated() {
  [ "$(tcpdump -nn -v -r "$w/snat-x1.pcap" 2>/dev/null | grep -c 'ttl 63')" = 6 ] &&
    tcpdump -nn -r "$w/snat-x1.pcap" 2>/dev/null |
      grep -q '203.0.113.1.40000 > 198.51.100.80.80: Flags \[F.\]'
}
check "story_gen_expected_output_is_translated_with_ttl_decremented" expect_translated
# The client's ACK of the server FIN (#5) and its late FIN (#6) are --gap apart.
check "story_gen_gap_separates_client_ack_and_late_fin" \
  test "$(td "$w/dnat-0.pcap" | awk '/proto TCP/ { t[++k] = $1 } END { printf "%.6f", t[6] - t[5] }')" = 150.000000
# Sequence numbers: the late FIN's seq follows the request, the server's ACK
# acknowledges it (seq + 1), and the FIN acknowledges the server's FIN.
num() { grep -oE "$1 [0-9]+" | cut -d' ' -f2; }
sequence_consistent() {
  local fin sfin sack
  fin=$(tcpdump -nn -S -r "$w/dnat-0.pcap" 2>/dev/null | grep 'Flags \[F.\]')
  sfin=$(tcpdump -nn -S -r "$w/dnat-1.pcap" 2>/dev/null | grep 'Flags \[F.\]')
  sack=$(tcpdump -nn -S -r "$w/dnat-1.pcap" 2>/dev/null | tail -1)
  [ -n "$fin" ] && [ -n "$sfin" ] &&
    [ "$(num ack <<<"$sack")" = $(($(num seq <<<"$fin") + 1)) ] &&
    [ "$(num ack <<<"$fin")" = $(($(num seq <<<"$sfin") + 1)) ]
}
check "story_gen_late_fin_and_its_ack_have_consistent_sequence_numbers" sequence_consistent
exits_2() { "$@" 2>/dev/null; [ $? = 2 ]; }
check "story_gen_rejects_unknown_scenario" \
  exits_2 "$GEN" --scenario bogus --out0 "$w/x0" --out1 "$w/x1"
check "story_gen_rejects_bad_address" \
  exits_2 "$GEN" --scenario dnat --dnat 203.0.113.999:80 --out0 "$w/x0"
check "story_gen_rejects_conns_without_churn" \
  exits_2 "$GEN" --scenario dnat --conns 10 --out0 "$w/x0"
check "story_gen_rejects_churn_without_conns" \
  exits_2 "$GEN" --scenario churn --out0 "$w/x0"
check "story_gen_rejects_unknown_churn_kind" \
  exits_2 "$GEN" --scenario churn --conns 10 --kind bogus --out0 "$w/x0"

# ---- --scenario churn (tests/churn replays it)
churn() { "$GEN" --scenario churn --conns 300 --out0 "$1-0.pcap" --out1 "$1-1.pcap" --expect0 "$1-x0.pcap" --expect1 "$1-x1.pcap" "${@:2}"; }
churn "$w/c1" --seed 5 --conf "$w/c1.conf" >"$w/c1.sum"
churn "$w/c2" --seed 5 >/dev/null
churn "$w/c3" --seed 6 >/dev/null
csum() { sed -n "s/^churn\.$1 = //p" "$w/c1.sum"; }
count() { tcpdump -nn -r "$1" 2>/dev/null | wc -l; }
check "churn_same_seed_same_bytes_other_seed_other_bytes" \
  eval 'cmp -s "$w/c1-0.pcap" "$w/c2-0.pcap" && cmp -s "$w/c1-1.pcap" "$w/c2-1.pcap" && ! cmp -s "$w/c1-0.pcap" "$w/c3-0.pcap"'
# The files hold what the summary says: each side's frames (and the closing frame on port 0),
# and the expected outputs the same frames on the other side.
churn_counts() {
  [ "$(csum connections)" = 300 ] &&
    [ "$(count "$w/c1-0.pcap")" = $(($(csum frames0) + 1)) ] && [ "$(count "$w/c1-1.pcap")" = "$(csum frames1)" ] &&
    [ "$(count "$w/c1-x1.pcap")" = "$(csum frames0)" ] && [ "$(count "$w/c1-x0.pcap")" = "$(csum frames1)" ] &&
    [ $(($(csum expired) + $(csum reopened) + $(csum ended_at_once))) = 300 ]
}
check "churn_files_hold_what_the_summary_counts" churn_counts
# Every checksum right, but the closing frame's IPv4 header checksum (the card drops it; its TCP one is right).
churn_checksums() {
  local all good bad
  all=$(for f in "$w"/c1-*.pcap; do tcpdump -nn -vv -r "$f" 2>/dev/null; done)
  good=$(grep -cE 'cksum 0x[0-9a-f]+ \(correct\)|udp sum ok' <<<"$all")
  bad=$(grep -ciE 'incorrect|bad cksum|bad udp cksum' <<<"$all")
  [ "$good" = $((2 * $(csum frames0) + 2 * $(csum frames1) + 1)) ] && [ "$bad" = 1 ]
}
check "churn_checksums_correct_but_the_closing_frame's" churn_checksums
# A round's frames lie within its first millisecond (one device tick), rounds 2 s apart.
churn_rounds() {
  tcpdump -nn -tt -r "$w/c1-0.pcap" 2>/dev/null | awk '{ split($1, t, "."); if ((t[1] - 1767225600) % 2 || t[2] + 0 >= 1000) bad++ } END { exit bad > 0 }' &&
    tcpdump -nn -tt -r "$w/c1-1.pcap" 2>/dev/null | awk '{ split($1, t, "."); if ((t[1] - 1767225600) % 2 || t[2] + 0 >= 1000) bad++ } END { exit bad > 0 }'
}
check "churn_each_round_lies_within_one_millisecond" churn_rounds
# The server network's side is written to the translated tuple: from the DNAT targets to the SNAT address.
churn_server_side() {
  [ -z "$(tcpdump -nn -r "$w/c1-1.pcap" 'not ((src host 203.0.113.5 or src host 203.0.113.53) and dst host 203.0.113.1)' 2>/dev/null)" ] &&
    grep -q -- '-j SNAT --to-source 203.0.113.1$' "$w/c1.conf" && grep -q '^nf_conntrack_tcp_timeout_time_wait = 4$' "$w/c1.conf"
}
check "churn_server_side_answers_the_translated_tuple" churn_server_side
echo "1..$n"
