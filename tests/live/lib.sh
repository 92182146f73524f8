# Sourced by the live tests (docs/live.md): TAP output, waiting, the
# gateway. Uses tests/linux/topo.sh's namespaces (topo_card_ns,
# topo_card_links). Needs root: without it a test fails, never skips.

B=${CTNIC_BUILD:-build/san}
. tests/linux/topo.sh

. tests/tap.sh # ok, not_ok, check, skip; n and failed

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "1..1"
    echo "not ok 1 - $1 needs root (network namespaces, TAP devices): run as root"
    exit 1
  fi
}

# bg NS LOGFILE CMD...: CMD in namespace NS in the background, stopped by
# topo_down. ip netns exec execs CMD, so the pid is CMD's own (a shell
# function put in the background would leave CMD behind when killed).
bg() {
  local ns=$1 log=$2; shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  topo_pids+=($!)
}
# stop_pid PID: SIGTERM and wait (for output files a clean stop completes).
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }

# wait_for SECONDS CMD...: polls CMD every 0.1 s.
wait_for() {
  local t=$(( $1 * 10 )); shift
  while [ $t -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; t=$((t - 1)); done
  return 1
}

# live_gw_up OUTDIR [CONFIG]: namespaces, the gateway in NS_GW with TAP
# ports c0, s0 and host port h0, the links moved into place. Control socket
# OUTDIR/ctl.sock, log OUTDIR/gw.log. The gateway is ctnic-live-gw (the
# model card and ctnicd's core), or with CTNIC_LIVE_CARD=sim the RTL card
# (ctnic-sim --tap --realtime) and ctnicd on sim: with --tap h0.
live_gw_up() {
  local out=$1 conf=${2:-${CTNIC_LIVE_CONF:-tests/live/live.conf}}
  topo_card_ns "$out"
  if [ "${CTNIC_LIVE_CARD:-model}" = sim ]; then
    # --realtime: device time on the wall clock, so live.conf's timeouts are
    # seconds of the test's clock, as on the card (ctnic-sim alone runs
    # ~1/1500 of the card's speed; docs/simulator.md).
    bg "$NS_GW" "$out/sim.log" "$B/sim/ctnic-sim/ctnic-sim" --socket "$out/sim.sock" --tap 0=c0 --tap 1=s0 --realtime
    if ! wait_for 60 test -S "$out/sim.sock"; then
      echo "# ctnic-sim did not start:"; sed 's/^/#   /' "$out/sim.log"; return 1
    fi
    bg "$NS_GW" "$out/gw.log" "$B/host/ctnicd" --device "sim:$out/sim.sock" --config "$conf" --tap h0 \
      --socket "$out/ctl.sock"
    if ! wait_for 120 test -S "$out/ctl.sock"; then
      echo "# ctnicd did not start:"; sed 's/^/#   /' "$out/gw.log"; return 1
    fi
    sed 's/^/# /' "$out/gw.log"
  else
    bg "$NS_GW" "$out/gw.log" "$B/tests/live/ctnic-live-gw" --config "$conf" --port 0=c0 --port 1=s0 \
      --host-tap h0 --socket "$out/ctl.sock"
    if ! wait_for 20 grep -q 'ctnic-live-gw: ready' "$out/gw.log"; then
      echo "# ctnic-live-gw did not start:"; sed 's/^/#   /' "$out/gw.log"; return 1
    fi
  fi
  topo_card_links
}

# How long the story's client stays half-closed (test-live-story*.sh): past
# CLOSE_WAIT's 2 s (live.conf) and the card's retiring of the connection. The
# RTL card's aging scanner visits one flow record a clock: a pass over its
# 65,536 records is 65,536 cycles, ~0.5-1 s of wall time at ctnic-sim's speed
# and more on a loaded machine, so a flow retires up to that much after its timeout.
if [ "${CTNIC_LIVE_CARD:-model}" = sim ]; then STORY_WAIT=8; else STORY_WAIT=4; fi

# ctl OUTDIR JSON [SECONDS]: one control request to the gateway (ctnicd's
# protocol), the answer line; fails without an answer within SECONDS (none: no limit).
ctl() {
  python3 - "$1/ctl.sock" "$2" "${3:-0}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n")
if float(sys.argv[3]) > 0:
    s.settimeout(float(sys.argv[3]))
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(65536)
    if not d: break
    buf += d
sys.stdout.write(buf.decode())
PY
}

# pcap_has PCAP FILTER: the capture holds a packet matching the tcpdump filter.
pcap_count() { tcpdump -nn -r "$1" "$2" 2>/dev/null | wc -l; }
