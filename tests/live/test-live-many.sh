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
cleanup() { topo_down; [ -n "${KEEP:-}" ] || rm -rf "$out"; }
seed=${1:-$RANDOM} N=${2:-1000}
echo "# seed $seed, $N connections (tests/live/test-live-many.sh $seed $N replays it)"
echo "1..7"
if ! live_gw_up "$out"; then not_ok "the gateway starts"; exit 1; fi
trap cleanup EXIT
ok "the gateway starts"
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" # 1,000 sockets in one process
bg "$NS_S" "$out/server.log" python3 -u tests/live/many.py server 203.0.113.5:9000
wait_for 10 grep -q listening "$out/server.log"
t0=$(date +%s.%N)
in_ns "$NS_C" python3 -u tests/live/many.py client 198.51.100.80:9000 "$N" "$seed" >"$out/client.log" 2>&1 &
cl=$!
# While they are all open: the table holds N established connections.
wait_for 120 grep -q '^opened' "$out/client.log"
sleep 0.5 # the last handshakes' ACKs through the gateway; the client holds them open 2 s
est=$(ctl "$out" '{"cmd":"conn list"}' | python3 -c '
import json, sys
cs = json.loads(sys.stdin.read())["result"]["conns"]
print(sum(1 for c in cs if c.get("state") == "ESTABLISHED" and (c.get("reply") or {}).get("sport") == 9000))')
wait "$cl"; rc=$?
t1=$(date +%s.%N)
sed 's/^/# /' "$out/client.log"
echo "# $(python3 -c "print('%.1f s' % ($t1 - $t0))") for $N connections"
check "$N connections opened at once through DNAT" grep -qx "opened $N" "$out/client.log"
check "ctnic's table held $N established connections while they were all open (it had $est)" test "$est" -ge "$N"
check "every connection used: $N payloads answered, every byte checked" grep -q "^checked $N " "$out/client.log"
check "every connection closed by the client, cleanly (exit $rc)" test $rc -eq 0 -a "$(grep -c "^closed $N" "$out/client.log")" -eq 1
audit=$(ctl "$out" '{"cmd":"audit"}')
stats=$(ctl "$out" '{"cmd":"stats"}')
check "the daemon made $N or more connections and every one was installed in the card" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["result"]["daemon"]
print("#  conn_new %d installs %d install_no_slot %d cuckoo_moves %d" % (d["conn_new"], d["installs"], d["install_no_slot"], d["cuckoo_moves"]))
sys.exit(0 if d["conn_new"] >= int(sys.argv[2]) and d["install_no_slot"] == 0 else 1)' "$stats" "$N"
check "the card's table equals the daemon's afterwards (audit: no difference)" python3 -c '
import json, sys
a = json.loads(sys.argv[1])["result"]
for d in a.get("list", [])[:5]:
    print("#  ", d)
sys.exit(0 if a["differences"] == 0 else 1)' "$audit"
[ $failed -eq 0 ]
