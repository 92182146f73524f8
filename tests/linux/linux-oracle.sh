#!/usr/bin/env bash
# The Linux oracle: the story's recorded traffic through a Linux gateway.
#
# Makes three network namespaces (client, gw, server; names unique per run)
# joined by veth pairs client<->gw and gw<->server, with no route out and
# only documentation addresses. The gateway gets the scenario's iptables nat
# rules and lowered conntrack timeouts (inside its own namespace). The story
# (tools/gen/ctnic-story-gen) is replayed into the gateway's two sides in
# timestamp order, the long gap scaled to exceed the lowered CLOSE_WAIT
# timeout, and what the gateway sends out of each side is written as pcaps.
# docs/linux-oracle.md describes the topology and the result.
#
#   tests/linux/linux-oracle.sh --scenario dnat|snat|masquerade --build DIR --out DIR
#                               [--close-wait S (2)] [--gap S (120)]
#
# Writes into --out: in0.pcap in1.pcap (the story as sent), expect0.pcap
# expect1.pcap (what a correct NAT gateway sends), linux0.pcap linux1.pcap
# (what Linux sent out of port 0 = client side and port 1 = server side),
# story.txt, gw-state.txt (rules, conntrack table and statistics afterwards),
# replay.log, netns.txt (the namespaces it made and removed).
set -euo pipefail

scenario= build= out= close_wait=2 gap=120
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --close-wait) close_wait=$2; shift 2 ;;
    --gap) gap=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "linux-oracle: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ -z "$scenario" ] || [ -z "$build" ] || [ -z "$out" ]; then
  echo "usage: $0 --scenario dnat|snat|masquerade --build DIR --out DIR" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "linux-oracle: needs root (network namespaces, iptables)" >&2
  exit 2
fi
for tool in ip iptables iptables-save conntrack; do
  command -v "$tool" >/dev/null || { echo "linux-oracle: $tool missing (make deps)" >&2; exit 2; }
done

GEN=$build/tools/gen/ctnic-story-gen
REPLAY=$build/tests/linux/ctnic-linux-replay
for b in "$GEN" "$REPLAY"; do
  [ -x "$b" ] || { echo "linux-oracle: $b not built" >&2; exit 2; }
done

# The story's addresses are the generator's defaults.
. "$(dirname "$0")/topo.sh"

gen_args=(--scenario dnat)
case "$scenario" in
  dnat)
    rules=(-A PREROUTING -d $SERVICE/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination $DNAT_TARGET:8080) ;;
  snat)
    gen_args=(--scenario snat --snat $SNAT_ADDR)
    rules=(-A POSTROUTING -s 192.0.2.0/24 -o gw1 -j SNAT --to-source $SNAT_ADDR) ;;
  masquerade)
    gen_args=(--scenario snat --snat $MASQ_ADDR)
    rules=(-A POSTROUTING -s 192.0.2.0/24 -o gw1 -j MASQUERADE) ;;
  *) echo "linux-oracle: unknown scenario '$scenario' (dnat, snat, masquerade)" >&2; exit 2 ;;
esac

mkdir -p "$out"
topo_up "$out"
in_ns "$NS_GW" iptables -t nat "${rules[@]}"
topo_close_wait "$close_wait"

"$GEN" "${gen_args[@]}" --gap "$gap" --list \
  --out0 "$out/in0.pcap" --out1 "$out/in1.pcap" \
  --expect0 "$out/expect0.pcap" --expect1 "$out/expect1.pcap" >"$out/story.txt"

# The gap replays as close_wait + 1.5 s: longer than the timeout, still short.
speed=$(awk -v g="$gap" -v t="$close_wait" 'BEGIN { s = g / (t + 1.5); if (s < 1) s = 1; print s }')
"$REPLAY" --speed "$speed" --min-gap 0.02 --drain 1 \
  --port 0="$NS_C":c0 --port 1="$NS_S":s0 \
  --in 0="$out/in0.pcap" --in 1="$out/in1.pcap" \
  --out 0="$out/linux0.pcap" --out 1="$out/linux1.pcap" 2>"$out/replay.log" \
  || { cat "$out/replay.log" >&2; exit 1; }

topo_gw_state "scenario $scenario, close_wait $close_wait s, gap $gap s replayed at speed $speed" \
  >"$out/gw-state.txt"
cat "$out/replay.log"
