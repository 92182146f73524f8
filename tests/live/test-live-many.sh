#!/usr/bin/env bash
# Many parallel connections through ctnic (docs/live.md): N (default 1000)
# TCP connections from the client through DNAT (198.51.100.80:9000 ->
# 203.0.113.5:9000), all open at once, then each used (a seeded random
# payload, the answer's every byte checked) and closed. ctnic's table holds
# them all while they are open and its card table agrees with the daemon's.
# TAP on stdout; root. Usage: test-live-many.sh [SEED [N]]
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
need_root test-live-many.sh

out=$(mktemp -d /tmp/ctnic-live-many.XXXXXX)
# After the gateway stopped: what the daemon complained of, and ctnic-sim's
# per-port counters (frames the live receive queue dropped).
cleanup() {
  topo_down
  grep -vE '^ctnicd: (serving|stopped)|the simulator exited' "$out/gw.log" 2>/dev/null | head -20 |
    sed 's/^/# gateway: /'
  [ -f "$out/sim.log" ] && grep -E 'frames (received|dropped)' "$out/sim.log" | sed 's/^/# /'
  [ -n "${KEEP:-}" ] || rm -rf "$out"
}
seed=${1:-$RANDOM} N=${2:-1000}
echo "# seed $seed, $N connections (tests/live/test-live-many.sh $seed $N replays it)"
# CTNIC_LIVE_MANY_AUDIT=0: without the last check, the full audit (every key
# slot and flow record of the card read back).
audit_on=${CTNIC_LIVE_MANY_AUDIT:-1}
echo "1..$((7 + audit_on))"
if ! live_gw_up "$out"; then not_ok "the gateway starts"; exit 1; fi
trap cleanup EXIT
ok "the gateway starts"
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" # 1,000 sockets in one process
bg "$NS_S" "$out/server.log" python3 -u tests/live/many.py server 203.0.113.5:9000
wait_for 10 grep -q listening "$out/server.log"
# The simulated card is a slow link (docs/live.md: ~1,500 times slower than
# the hosts): on it each answer may take up to TIMEOUT s, and the control
# requests that read the card take longer. CTNIC_LIVE_MANY_PARALLEL=K: at most
# K transfers at a time (default: all at once).
if [ "${CTNIC_LIVE_CARD:-model}" = sim ]; then
  parallel=${CTNIC_LIVE_MANY_PARALLEL:-0} timeout=${CTNIC_LIVE_MANY_TIMEOUT:-120} wait_est=300 audit_max=${CTNIC_LIVE_MANY_AUDIT_MAX:-300}
else
  parallel=${CTNIC_LIVE_MANY_PARALLEL:-0} timeout=${CTNIC_LIVE_MANY_TIMEOUT:-30} wait_est=30 audit_max=${CTNIC_LIVE_MANY_AUDIT_MAX:-120}
fi
echo "# transfers in flight at once: ${parallel/#0/all}, each answer within $timeout s"
t0=$(date +%s.%N)
in_ns "$NS_C" python3 -u tests/live/many.py client 198.51.100.80:9000 "$N" "$seed" --go "$out/go" \
  --hold $((wait_est + 60)) --parallel "$parallel" --timeout "$timeout" >"$out/client.log" 2>&1 &
cl=$!
# While they are all open (the client holds them until $out/go exists): the
# table holds N established connections. The last handshakes' ACKs may still
# be on their way through the gateway when the client has them all.
count_est() {
  ctl "$out" '{"cmd":"conn list"}' | python3 -c '
import json, sys
cs = json.loads(sys.stdin.read())["result"]["conns"]
e = [c for c in cs if c.get("state") == "ESTABLISHED" and (c.get("reply") or {}).get("sport") == 9000]
print(len(e), sum(1 for c in e if c.get("in_card")))'
}
est=0 incard=0
if wait_for $((wait_est + 60)) grep -q '^opened' "$out/client.log"; then
  t_open=$(date +%s.%N)
  end=$(( $(date +%s) + wait_est ))
  while read -r est incard < <(count_est) && [ "$est" -lt "$N" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.5; done
  t_est=$(date +%s.%N)
fi
touch "$out/go"
wait "$cl"; rc=$?
t1=$(date +%s.%N)
sed 's/^/# /' "$out/client.log"
# What the kernel dropped on the way into the gateway: a TAP's queue
# (txqueuelen frames) overflows into the device's TX dropped (docs/simulator.md).
tx_dropped() {
  ip -n "$1" -j -s link show "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])'
}
echo "# the kernel dropped on the way into the gateway: c0 $(tx_dropped "$NS_C" c0), s0 $(tx_dropped "$NS_S" s0) (TX dropped)"
echo "# $(python3 -c "print('%.1f s' % ($t1 - $t0))") for $N connections (opened after $(python3 -c "print('%.1f s' % (${t_open:-$t1} - $t0))"), $N established seen after $(python3 -c "print('%.1f s' % (${t_est:-$t1} - $t0))"))"
check "$N connections opened at once through DNAT" grep -qx "opened $N" "$out/client.log"
check "ctnic's table held $N established connections while they were all open (it had $est)" test "$est" -ge "$N"
check "each of them in the card: its flow record read back from the card, valid, same generation (in the card: $incard)" \
  test "$incard" -ge "$N"
check "every connection used: $N payloads answered, every byte checked" grep -q "^checked $N " "$out/client.log"
check "every connection closed by the client, cleanly (exit $rc)" test $rc -eq 0 -a "$(grep -c "^closed $N" "$out/client.log")" -eq 1
stats=$(ctl "$out" '{"cmd":"stats"}')
python3 -c '
import json, sys
r = json.loads(sys.argv[1])["result"]
c, d = r["card"], r["daemon"]
print("# card: hits %d misses %d, drops %s" % (c["hits"], c["misses"], {k: v for k, v in c["drop"].items() if v}))
print("# daemon: punts %s, inject_full %d ring_errors %d cmd_errors %d" % (
    {k: v for k, v in d["punt"].items() if v}, d["inject_full"], d["ring_errors"], d["cmd_errors"]))' "$stats"
check "the daemon made $N or more connections and every one was installed in the card" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["result"]["daemon"]
print("#  conn_new %d installs %d install_no_slot %d cuckoo_moves %d" % (d["conn_new"], d["installs"], d["install_no_slot"], d["cuckoo_moves"]))
sys.exit(0 if d["conn_new"] >= int(sys.argv[2]) and d["install_no_slot"] == 0 else 1)' "$stats" "$N"
if [ "$audit_on" = 0 ]; then
  echo "# the full audit is not run (CTNIC_LIVE_MANY_AUDIT=0)"
  exit $((failed > 0))
fi
# The audit reads every key slot and flow record of the card (through the
# command ring; ~15 s on the simulated card).
ta=$(date +%s.%N)
audit=$(ctl "$out" '{"cmd":"audit"}' "$audit_max" 2>/dev/null) ||
  audit='{"result":{"differences":-1,"list":["no answer within '"$audit_max"' s"]}}'
echo "# audit: $(python3 -c "print('%.1f s' % ($(date +%s.%N) - $ta))")"
check "the card's table equals the daemon's afterwards (audit: no difference)" python3 -c '
import json, sys
a = json.loads(sys.argv[1])["result"]
for d in a.get("list", [])[:5]:
    print("#  ", d)
sys.exit(0 if a["differences"] == 0 else 1)' "$audit"
[ $failed -eq 0 ]
