#!/usr/bin/env bash
# ctnic-story-gen: the story's packets, addresses, checksums and timing, read
# back with tcpdump (libpcap). TAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
GEN=$B/tools/gen/ctnic-story-gen
w=$(mktemp -d /tmp/ctnic-story-gen.XXXXXX)
trap 'rm -rf "$w"' EXIT

n=0
check() {
  local name=$1; shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; echo "# failed: $*"; fi
}
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
