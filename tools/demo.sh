#!/usr/bin/env bash
# ctnic demo: the story of shared/design.md ("The problem it solves").
#
#   tools/demo.sh BUILD_DIR        (make demo runs it as tools/demo.sh build/rel)
#
# A gateway NATs a client's connection to a server (DNAT). Conntrack timeouts
# were lowered. The server closes its side, the client ACKs and stays
# half-closed past CLOSE_WAIT's timeout, then sends its FIN. The demo
# generates that traffic (ctnic-story-gen), sends it through a Linux gateway
# (network namespaces, when root: tests/linux/linux-oracle.sh; else Linux's
# recorded result from docs/linux-oracle.md) and through ctnic on the
# simulated card (ctnic-replay --backend sim: the RTL with its DMA rings in
# ctnic-sim, and the daemon's core), shows side by side what each sent, then
# ctnic's connection table and counters (ctnicctl), what the card's own aging
# did, and a packet as it entered the RTL card and as the card sent it out.
# Everything it starts is stopped before it exits.
set -euo pipefail
cd "$(dirname "$0")/.."

B=${1:?usage: tools/demo.sh BUILD_DIR (e.g. build/rel)}
GEN=$B/tools/gen/ctnic-story-gen
REPLAY=$B/tools/replay/ctnic-replay
CTNICCTL=$B/tools/ctnicctl/ctnicctl
SIM=$B/sim/ctnic-sim/ctnic-sim
LREPLAY=$B/tests/linux/ctnic-linux-replay
CONF=tests/replay/story-dnat.conf
for p in "$GEN" "$REPLAY" "$CTNICCTL" "$SIM"; do
  [ -x "$p" ] || { echo "demo: $p is not built: run make all first" >&2; exit 1; }
done

DIR=$(mktemp -d /tmp/ctnic-demo-XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_path() { # PATH PID: until PATH exists, while PID lives
  for _ in $(seq 1 600); do
    [ -e "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null || true; }
section() { printf '\n=== %s\n' "$*"; }
# One line per packet: "src > dst [flags] (length)".
brief() { tcpdump -nn -S -r "$1" 2>/dev/null | sed -E 's/^[0-9:.]+ IP //; s/: Flags (\[[^]]*\]).*length ([0-9]+).*/ \1 len \2/'; }

section "The story (shared/design.md): one connection, its late FIN 120 s after the server's"
cat <<'EOF'
The gateway DNATs 198.51.100.80:80 (the service) to 203.0.113.5:8080 (the server).
CLOSE_WAIT's timeout was lowered to reclaim table space. The server closes (FIN),
the client ACKs and stays half-closed; two minutes later it sends its own FIN.
EOF
"$GEN" --scenario dnat --list --out0 "$DIR/in0.pcap" --out1 "$DIR/in1.pcap" \
  --expect0 "$DIR/expect0.pcap" --expect1 "$DIR/expect1.pcap" | tee "$DIR/story.txt"

section "The gateway's rule and timeouts ($CONF)"
grep -E '^(-A|net\.|linger)' "$CONF"

# ---- Linux -----------------------------------------------------------------------
LINUX= NOLINUX="not root: no namespaces"
# The oracle's injector is a test program: built here when missing (B is BUILD_ROOT/rel or BUILD_ROOT/san).
[ -x "$LREPLAY" ] || make --no-print-directory -s BUILD_ROOT="${B%/*}" SAN=$([ "${B##*/}" = san ] && echo 1 || echo 0) \
  "$LREPLAY" >"$DIR/make-linux.log" 2>&1 || true
[ "$(id -u)" -eq 0 ] && NOLINUX="$LREPLAY could not be built (see make $LREPLAY)"
[ "$(id -u)" -eq 0 ] && { command -v iptables >/dev/null && command -v conntrack >/dev/null; } ||
  NOLINUX="iptables or conntrack missing (make deps)"
if [ "$(id -u)" -eq 0 ] && command -v iptables >/dev/null && command -v conntrack >/dev/null && [ -x "$LREPLAY" ]; then
  section "Linux: the same packets through a namespace gateway with the same rule (tests/linux/linux-oracle.sh)"
  echo "(CLOSE_WAIT lowered to 2 s and the 120 s gap replayed as 3.5 s, so this takes a few seconds)"
  if tests/linux/linux-oracle.sh --scenario dnat --build "$B" --out "$DIR/linux" >"$DIR/linux.log" 2>&1 &&
     cmp -s "$DIR/linux/in0.pcap" "$DIR/in0.pcap" && cmp -s "$DIR/linux/in1.pcap" "$DIR/in1.pcap"; then
    LINUX=$DIR/linux
    grep -E 'invalid|ESTABLISHED' "$DIR/linux/gw-state.txt" | sed 's/^/    /' | head -4 || true
  else
    NOLINUX="the Linux gateway did not run here: $(tail -1 "$DIR/linux.log")"
  fi
fi

# ---- ctnic -----------------------------------------------------------------------
section "ctnic: the same packets through ctnic-replay on the simulated card (the RTL in ctnic-sim, and the daemon's core)"
t0=$SECONDS
"$REPLAY" --backend sim --config "$CONF" --in 0="$DIR/in0.pcap" --in 1="$DIR/in1.pcap" \
  --out 0="$DIR/ctnic0.pcap" --out 1="$DIR/ctnic1.pcap" >"$DIR/replay.txt" 2>"$DIR/replay.log" ||
  { cat "$DIR/replay.log"; exit 1; }
head -3 "$DIR/replay.txt"
grep "^replay: the card's aging scanner" "$DIR/replay.txt"
echo "($((SECONDS - t0)) s of wall time for 120 s of device time)"

side_by_side() { # PORT TITLE
  local port=$1
  section "$2"
  if [ -n "$LINUX" ]; then
    brief "$LINUX/linux$port.pcap" >"$DIR/l.txt"
    brief "$DIR/ctnic$port.pcap" >"$DIR/c.txt"
    awk 'NR == FNR { l[FNR] = $0; nl = FNR; next } { c[FNR] = $0; nc = FNR }
         END {
           n = nl > nc ? nl : nc
           printf "     %-48s %s\n", "Linux gateway", "ctnic"
           for (i = 1; i <= n; i++)
             printf "  %d  %-48s %s%s\n", i, (i in l) ? l[i] : "-", (i in c) ? c[i] : "-",
                    (l[i] == c[i]) ? "" : "    <== differs"
         }' "$DIR/l.txt" "$DIR/c.txt"
  else
    printf '     %s\n' "ctnic"
    brief "$DIR/ctnic$port.pcap" | awk '{ printf "  %d  %s\n", NR, $0 }'
  fi
}
side_by_side 1 "What each gateway sent to the server network (port 1)"
side_by_side 0 "What each gateway sent to the client network (port 0)"
if [ -z "$LINUX" ]; then
  section "What Linux sent, as recorded in docs/linux-oracle.md (no live run: $NOLINUX)"
  awk '/^\*\*dnat\*\*/ { on = 1 } on && /^```$/ { n++; if (n == 2) exit } on' docs/linux-oracle.md | sed 's/^/    /'
fi

section "The verdict"
"$B/tools/pcapdiff/ctnic-pcapdiff" --names correct,ctnic 0="$DIR/expect0.pcap,$DIR/ctnic0.pcap" \
  1="$DIR/expect1.pcap,$DIR/ctnic1.pcap" | tail -1 | sed 's/^/ctnic against a correct NAT gateway: /'
if [ -n "$LINUX" ]; then
  "$B/tools/pcapdiff/ctnic-pcapdiff" --names correct,linux 0="$DIR/expect0.pcap,$LINUX/linux0.pcap" \
    1="$DIR/expect1.pcap,$LINUX/linux1.pcap" | tail -1 | sed 's/^/Linux against a correct NAT gateway: /' || true
fi
# The card's reference model (in-process) gives the same packets, in the same order.
"$REPLAY" --quiet --config "$CONF" --in 0="$DIR/in0.pcap" --in 1="$DIR/in1.pcap" \
  --out 0="$DIR/model0.pcap" --out 1="$DIR/model1.pcap"
"$B/tools/pcapdiff/ctnic-pcapdiff" --names model,rtl 0="$DIR/model0.pcap,$DIR/ctnic0.pcap" \
  1="$DIR/model1.pcap,$DIR/ctnic1.pcap" | tail -1 | sed 's/^/ctnic on the reference model against ctnic on the RTL card: /' || true
cat <<'EOF'
Linux: the late FIN finds no conntrack entry (CLOSE_WAIT expired), is INVALID, is not NATed,
and leaves with the service's address; the server's ACK of it is picked up as a new connection
without NAT and reveals the hidden server to the client.
ctnic: the connection ended at its timeout too, but its binding lingers: the late FIN and the ACK
leave translated (daemon.late.translated below).
EOF

# The table after the story, through ctnicctl: the same replay, kept serving ctnicd's control socket.
"$REPLAY" --backend sim --quiet --config "$CONF" --in 0="$DIR/in0.pcap" --in 1="$DIR/in1.pcap" \
  --serve "$DIR/ctnic.sock" 2>"$DIR/serve.log" &
PIDS+=($!)
wait_path "$DIR/ctnic.sock" "${PIDS[-1]}" || { cat "$DIR/serve.log"; exit 1; }
section "ctnicctl stats, after the story (ctnicctl -> ctnic-replay --serve -> the daemon's core on the RTL card)"
"$CTNICCTL" -s "$DIR/ctnic.sock" stats | grep -E '^(card\.port[01]\.(rx|tx)_packets|card\.(hits|misses)|card\.punt\.(miss|tcp_flags)|card\.aging\.(enabled|expired)|daemon\.(conn_new|conn_expired|installs|removes|late\.|table\.(connections|linger) ))' \
  | grep -vE 'late\.(rst_limited|passed|rst) '
echo "(the card retired the connection itself: card.aging.expired, and no software removal: daemon.removes)"
section "ctnicctl conn list, after the story: the connection expired in CLOSE_WAIT (its binding lingers)"
"$CTNICCTL" -s "$DIR/ctnic.sock" conn list 2>"$DIR/conn.err"; cat "$DIR/conn.err"
stop "${PIDS[-1]}"

# The connection while it lived: the same replay stopped after packet 8 (the client's ACK of the FIN).
tcpdump -r "$DIR/in0.pcap" -w "$DIR/half0.pcap" -c 5 2>/dev/null
tcpdump -r "$DIR/in1.pcap" -w "$DIR/half1.pcap" -c 3 2>/dev/null
"$REPLAY" --backend sim --quiet --config "$CONF" --in 0="$DIR/half0.pcap" --in 1="$DIR/half1.pcap" \
  --serve "$DIR/half.sock" 2>"$DIR/half.log" &
PIDS+=($!)
wait_path "$DIR/half.sock" "${PIDS[-1]}" || { cat "$DIR/half.log"; exit 1; }
section "ctnicctl conn list, while the client is half-closed (the same replay stopped after packet 8)"
"$CTNICCTL" -s "$DIR/half.sock" conn list 2>"$DIR/conn.err"; cat "$DIR/conn.err"
echo "(CLOSE_WAIT, 60 s left, in the card: [HW_OFFLOAD]; at 60 s the card's aging retires it, and the FIN comes at 120 s)"
stop "${PIDS[-1]}"

# ---- the RTL card -------------------------------------------------------------------
section "The RTL card: the client's request, forwarded by the connection's flow record in the card"
# Packet 3 of port 0 (the client's request) and what the card sent for it: packet 3 of port 1.
tcpdump -r "$DIR/in0.pcap" -w "$DIR/req0.pcap" 'tcp[13] & 8 != 0' 2>/dev/null
tcpdump -r "$DIR/ctnic1.pcap" -w "$DIR/rtl1.pcap" 'tcp[13] & 8 != 0' 2>/dev/null
echo "as it entered port 0:"
tcpdump -nn -vv -r "$DIR/req0.pcap" 2>/dev/null | sed 's/^/    /'
echo "as the RTL sent it out of port 1 (DNAT, TTL-1, MACs of the next hop, checksums updated):"
tcpdump -nn -vv -r "$DIR/rtl1.pcap" 2>/dev/null | sed 's/^/    /'
[ "$(tcpdump -r "$DIR/rtl1.pcap" 2>/dev/null | wc -l)" -eq 1 ] || { echo "demo: the RTL card sent nothing on port 1" >&2; exit 1; }

echo
echo "demo: done"
