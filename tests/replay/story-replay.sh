#!/usr/bin/env bash
# The story of shared/design.md through ctnic, every scenario of the Linux
# oracle (docs/linux-oracle.md), so that Linux's outputs can be held against
# ctnic's (make test-linux-diff CTNIC_OUT=DIR).
#
#   tests/replay/story-replay.sh --build DIR --out DIR [--gap S (120)] [--backend model|sim]
#
# For each scenario (dnat, snat, masquerade) writes into --out DIR/<scenario>/:
# in0.pcap in1.pcap (ctnic-story-gen with the arguments linux-oracle.sh
# gives it, so the bytes are the same as Linux gets), expect0.pcap
# expect1.pcap (what a correct NAT gateway sends), out0.pcap out1.pcap (what
# ctnic sent, by ctnic-replay with tests/replay/story-<scenario>.conf),
# replay.txt (its statistics and connection table) and vs-expect.txt
# (ctnic-pcapdiff of ctnic against the correct gateway). Exit status 0 when
# ctnic equals the correct gateway in every scenario, 1 when not, 2 on error.
set -euo pipefail
cd "$(dirname "$0")/../.."

build= out= gap=120 backend=model
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --gap) gap=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "story-replay: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$build" ] && [ -n "$out" ] || { echo "usage: $0 --build DIR --out DIR [--gap S] [--backend model|sim]" >&2; exit 2; }
GEN=$build/tools/gen/ctnic-story-gen
REPLAY=$build/tools/replay/ctnic-replay
DIFF=$build/tools/pcapdiff/ctnic-pcapdiff
for b in "$GEN" "$REPLAY" "$DIFF"; do
  [ -x "$b" ] || { echo "story-replay: $b is not built (make BUILD_ROOT=... all)" >&2; exit 2; }
done

rc=0
for sc in dnat snat masquerade; do
  d=$out/$sc
  mkdir -p "$d"
  # The generator's arguments of tests/linux/linux-oracle.sh, scenario by scenario.
  case $sc in
    dnat) gen_args=(--scenario dnat) ;;
    snat) gen_args=(--scenario snat --snat 203.0.113.1) ;;
    masquerade) gen_args=(--scenario snat --snat 198.51.100.1) ;;
  esac
  "$GEN" "${gen_args[@]}" --gap "$gap" --list --out0 "$d/in0.pcap" --out1 "$d/in1.pcap" \
    --expect0 "$d/expect0.pcap" --expect1 "$d/expect1.pcap" >"$d/story.txt"
  "$REPLAY" --backend "$backend" --config tests/replay/story-$sc.conf --conn \
    --in 0="$d/in0.pcap" --in 1="$d/in1.pcap" --out 0="$d/out0.pcap" --out 1="$d/out1.pcap" >"$d/replay.txt" ||
    { echo "story-replay: $sc: ctnic-replay failed" >&2; exit 2; }
  drc=0
  "$DIFF" --names expect,ctnic 0="$d/expect0.pcap,$d/out0.pcap" 1="$d/expect1.pcap,$d/out1.pcap" \
    >"$d/vs-expect.txt" || drc=$?
  [ $drc -le 1 ] || exit 2
  echo "$sc: $(tail -1 "$d/vs-expect.txt") (ctnic against a correct NAT gateway; $d)"
  [ $drc = 0 ] || rc=1
done
exit $rc
