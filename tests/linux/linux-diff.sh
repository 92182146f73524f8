#!/usr/bin/env bash
# make test-linux-diff: the story through the Linux oracle, every scenario
# (REDIRECT with real sockets, as it ends in the gateway's own stack),
# and a report of where Linux differs from a correct NAT gateway (and from
# ctnic, when its replay outputs are given).
#
#   tests/linux/linux-diff.sh --build DIR --out DIR [--ctnic DIR]
#
# --ctnic DIR holds ctnic's outputs of the same inputs: DIR/<scenario>/out0.pcap
# and out1.pcap (ctnic-replay --out 0=... --out 1=..., inputs in0.pcap and
# in1.pcap of --out DIR/<scenario>). The report goes to stdout and to
# --out DIR/report.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

build= out= ctnic=
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --ctnic) ctnic=$2; shift 2 ;;
    *) echo "linux-diff: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$build" ] && [ -n "$out" ] || { echo "usage: $0 --build DIR --out DIR [--ctnic DIR]" >&2; exit 2; }
PCAPDIFF=$build/tools/pcapdiff/ctnic-pcapdiff
mkdir -p "$out"

report() {
  local sc dir rc
  for sc in dnat snat masquerade; do
    dir=$out/$sc
    echo "=== $sc"
    tests/linux/linux-oracle.sh --scenario "$sc" --build "$build" --out "$dir" >/dev/null
    echo "--- the story (ctnic-story-gen --list): $dir/in0.pcap, $dir/in1.pcap"
    cat "$dir/story.txt"
    echo "--- what Linux sent to the client side: $dir/linux0.pcap"
    tcpdump -nn -S -r "$dir/linux0.pcap" 2>/dev/null
    echo "--- what Linux sent to the server side: $dir/linux1.pcap"
    tcpdump -nn -S -r "$dir/linux1.pcap" 2>/dev/null
    echo "--- Linux against a correct NAT gateway (ctnic-story-gen --expect0/--expect1)"
    rc=0
    "$PCAPDIFF" --names linux,expect 0="$dir/linux0.pcap,$dir/expect0.pcap" \
      1="$dir/linux1.pcap,$dir/expect1.pcap" || rc=$?
    [ $rc -le 1 ] || return 1
    if [ -n "$ctnic" ]; then
      echo "--- Linux against ctnic ($ctnic/$sc)"
      rc=0
      "$PCAPDIFF" --names linux,ctnic 0="$dir/linux0.pcap,$ctnic/$sc/out0.pcap" \
        1="$dir/linux1.pcap,$ctnic/$sc/out1.pcap" || rc=$?
      [ $rc -le 1 ] || return 1
    fi
    echo "--- the gateway afterwards"
    cat "$dir/gw-state.txt"
  done
  dir=$out/redirect
  echo "=== redirect (real sockets: tests/linux/linux-redirect-live.sh)"
  tests/linux/linux-redirect-live.sh --out "$dir" >/dev/null
  echo "--- the client network, both directions: $dir/linux0.pcap"
  tcpdump -nn -r "$dir/linux0.pcap" 2>/dev/null
  echo "--- what Linux sent to the server network: $dir/linux1.pcap"
  tcpdump -nn -r "$dir/linux1.pcap" 2>/dev/null
  echo "--- the client and the proxy"
  cat "$dir/client.log" "$dir/proxy.log"
  echo "--- the gateway afterwards"
  cat "$dir/gw-state.txt"
}
report | tee "$out/report.txt"
exit "${PIPESTATUS[0]}"
