#!/usr/bin/env bash
# ctnic-pcapdiff on captures written by ctnic-story-gen. TAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
GEN=$B/tools/gen/ctnic-story-gen
DIFF=$B/tools/pcapdiff/ctnic-pcapdiff
w=$(mktemp -d /tmp/ctnic-pcapdiff.XXXXXX)
trap 'rm -rf "$w"' EXIT

. tests/tap.sh
# runs ctnic-pcapdiff into $w/out, and succeeds when it exits with status $1
diff_exits() { local want=$1; shift; "$DIFF" "$@" >"$w/out" 2>&1; [ $? = "$want" ]; }

for sc in dnat snat; do
  "$GEN" --scenario $sc --out0 "$w/$sc-0.pcap" --out1 "$w/$sc-1.pcap" \
    --expect0 "$w/$sc-x0.pcap" --expect1 "$w/$sc-x1.pcap" || echo "# generator failed"
done
"$GEN" --scenario dnat --start 1000 --out0 "$w/later-0.pcap"

same_is_same() {
  diff_exits 0 0="$w/dnat-0.pcap,$w/dnat-0.pcap" 1="$w/dnat-1.pcap,$w/dnat-1.pcap" &&
    tail -1 "$w/out" | grep -q '^SAME: 10 same, 0 differ'
}
fields_reported() {
  diff_exits 1 --names dnat,snat 1="$w/dnat-x1.pcap,$w/snat-x1.pcap" &&
    grep -qE '^ +ip.src +dnat: 192.0.2.10, snat: 203.0.113.1$' "$w/out" &&
    grep -qE '^ +tcp.dport +dnat: 8080, snat: 80$' "$w/out" &&
    [ "$(grep -c '^port 1 #[0-9]* DIFFERS' "$w/out")" = 6 ]
}
one_side_listed() {
  diff_exits 1 0="$w/dnat-0.pcap,$w/dnat-1.pcap" &&
    grep -q '^port 0 #5 ONLY A' "$w/out" && grep -q '^port 0 #6 ONLY A' "$w/out"
}
check "pcapdiff_same_captures_are_same" same_is_same
check "pcapdiff_ignores_timestamps" diff_exits 0 0="$w/dnat-0.pcap,$w/later-0.pcap"
check "pcapdiff_reports_each_differing_field" fields_reported
check "pcapdiff_ignore_list_hides_those_fields" \
  diff_exits 0 --ignore ip.src,ip.dst,tcp.dport,ip.csum,tcp.csum 1="$w/dnat-x1.pcap,$w/snat-x1.pcap"
check "pcapdiff_lists_packets_on_one_side_only" one_side_listed
check "pcapdiff_missing_file_is_an_error" diff_exits 2 0="$w/none.pcap,$w/dnat-0.pcap"
check "pcapdiff_malformed_argument_is_an_error" diff_exits 2 "0=$w/dnat-0.pcap"
