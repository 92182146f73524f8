#!/usr/bin/env bash
# The short Linux comparison of make test: the story's traffic through a
# Linux namespace gateway (tests/linux/linux-oracle.sh) and through ctnic
# on the simulated card (ctnic-replay --backend sim: the RTL in ctnic-sim and
# the daemon's core, on the very same input files), packet by packet with
# ctnic-pcapdiff. ctnic must send what a correct NAT gateway sends, and
# differ from Linux in exactly the packets of the documented leak
# (docs/user-guide.md "ctnic and Linux"):
#   dnat:       port 0 #4 (Linux: the DNAT target's late ACK, picked up
#               untranslated), port 1 #6 (Linux: the late FIN, untranslated);
#   snat, masquerade: port 1 #6 (the late FIN from the client's real
#               address), port 0 #4 only ctnic (Linux never returns the
#               server's ACK), port 1 #7 only Linux (its own stack's RST).
# Needs root (namespaces, iptables); skips otherwise. TAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
REPLAY=$B/tools/replay/ctnic-replay
DIFF=$B/tools/pcapdiff/ctnic-pcapdiff

. tests/tap.sh
if [ "$(id -u)" -ne 0 ] || ! command -v iptables >/dev/null || ! command -v conntrack >/dev/null; then
  echo "ok 1 - linux_against_ctnic # SKIP needs root, iptables and conntrack (make deps)"
  echo "1..1"
  exit 0
fi
w=$(mktemp -d /tmp/ctnic-linux-diff.XXXXXX)
trap 'rm -rf "$w"' EXIT

declare -A documented=(
  [dnat]="port 0 #4 DIFFERS|port 1 #6 DIFFERS"
  [snat]="port 0 #4 ONLY ctnic|port 1 #6 DIFFERS|port 1 #7 ONLY linux"
)
# Runs a command with its output as TAP comments.
quietly() { "$@" > >(sed 's/^/# /') 2>&1; }
# The differences ctnic-pcapdiff lists, one line each, joined with '|'.
differences() { grep -E '^port [0-9]+ #[0-9]+ (DIFFERS|ONLY [a-z]+)$' "$1" | paste -sd'|'; }

for sc in dnat snat; do
  d=$w/$sc
  if ! tests/linux/linux-oracle.sh --scenario "$sc" --build "$B" --out "$d" >"$w/$sc.log" 2>&1; then
    sed 's/^/# /' "$w/$sc.log" | tail -5
    check "linux_oracle_${sc}_runs" false
    continue
  fi
  "$REPLAY" --backend sim --config tests/replay/story-$sc.conf --quiet --in 0="$d/in0.pcap" --in 1="$d/in1.pcap" \
    --out 0="$d/ctnic0.pcap" --out 1="$d/ctnic1.pcap" 2>"$w/$sc.replay.err"
  check "ctnic_replays_${sc}_story" test -s "$d/ctnic1.pcap"
  check "ctnic_${sc}_equals_a_correct_nat_gateway" quietly \
    "$DIFF" --names expect,ctnic 0="$d/expect0.pcap,$d/ctnic0.pcap" 1="$d/expect1.pcap,$d/ctnic1.pcap"
  "$DIFF" --names linux,ctnic 0="$d/linux0.pcap,$d/ctnic0.pcap" 1="$d/linux1.pcap,$d/ctnic1.pcap" >"$w/$sc.diff"
  got=$(differences "$w/$sc.diff")
  echo "# $sc: linux against ctnic: $got"
  check "ctnic_${sc}_differs_from_linux_only_in_the_documented_leak" test "$got" = "${documented[$sc]}"
done
echo "1..$n"
