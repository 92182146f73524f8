#!/usr/bin/env bash
# The design brief's story with real sockets through ctnic (docs/live.md):
# the server side closes first, the client stays half-closed past
# CLOSE_WAIT's lowered timeout (2 s in live.conf), then closes. Twice:
#   dnat+snat: 198.51.100.70:80 is 203.0.113.6:8081, which sees the client
#              as 203.0.113.7;
#   redirect:  198.51.100.90:80 goes to the local proxy behind the host port
#              (the brief's own gateway), which relays to 203.0.113.6:8081.
# The connection has left ctnic's table when the client's FIN comes; the FIN
# reaches the server side translated (linger memory), both sockets close
# cleanly, the server network never sees the client's own address and the
# client network never sees a hidden one. TAP on stdout; root.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
need_root test-live-story.sh

out=$(mktemp -d /tmp/ctnic-live-story.XXXXXX)
cleanup() { topo_down; [ -n "${KEEP:-}" ] || rm -rf "$out"; }
seed=${1:-$RANDOM}
WAIT=$STORY_WAIT # seconds half-closed: past close_wait (2 s) and the card's retiring (lib.sh)
echo "# seed $seed (tests/live/test-live-story.sh $seed replays it)"
echo "1..14"

if ! live_gw_up "$out"; then not_ok "the gateway starts"; exit 1; fi
trap cleanup EXIT
ok "the gateway starts"
bg "$NS_S" "$out/server.log" python3 -u tests/live/story_peer.py server 203.0.113.6:8081
bg "$NS_H" "$out/proxy.log" python3 -u tests/live/proxy.py 0.0.0.0:3128 203.0.113.6:8081
bg "$NS_S" "$out/cap-s.log" tcpdump -i s0 -nn -U -w "$out/server.pcap"; cap_s=$!
bg "$NS_C" "$out/cap-c.log" tcpdump -i c0 -nn -U -w "$out/client.pcap"; cap_c=$!
wait_for 10 grep -q listening "$out/server.log"
wait_for 10 grep -q listening "$out/proxy.log"
wait_for 10 grep -q "listening on" "$out/cap-s.log"
wait_for 10 grep -q "listening on" "$out/cap-c.log"

# story NAME SERVICE: one connection of the story; the client's output in OUT/NAME.client.
story() {
  local name=$1 svc=$2 conns
  in_ns "$NS_C" python3 -u tests/live/story_peer.py client "$svc" "$WAIT" "$seed" >"$out/$name.client" 2>&1 &
  local cl=$!
  wait_for 30 grep -q half-closed "$out/$name.client"
  local t0; t0=$(date +%s.%N)
  check "$name: the server closed first, the client has the response (bytes checked) and stays half-closed" \
    grep -q 'half-closed, response checked' "$out/$name.client"
  # CLOSE_WAIT (2 s) runs out in ctnic while the client is still half-closed
  # (WAIT s): the connection leaves ctnic's table. A conn list counts only
  # if the client had not closed yet when it was answered.
  local gone=""
  while ! grep -q 'client: closed' "$out/$name.client"; do
    conns=$(ctl "$out" '{"cmd":"conn list"}')
    if ! grep -q "\"${svc%:*}\"" <<<"$conns" && ! grep -q 'client: closed' "$out/$name.client"; then
      gone=$(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))"); break
    fi
    sleep 0.3
  done
  check "$name: after CLOSE_WAIT's timeout the connection has left ctnic's table, the client still half-closed (gone ${gone:-never} s after the half-close was seen)" \
    test -n "$gone"
  [ -n "$gone" ] || echo "# the last conn list before the client closed: $conns"
  wait "$cl"
  check "$name: the client closes (its late FIN goes out)" grep -q 'client: closed' "$out/$name.client"
}
story dnat+snat 198.51.100.70:80
wait_for 5 grep -q 'server: ' <(grep -v listening "$out/server.log")
check "dnat+snat: the late FIN reaches the server translated: its socket reads EOF" \
  grep -q 'server: eof after' "$out/server.log"
story redirect 198.51.100.90:80
wait_for 5 test "$(grep -c 'server: eof' "$out/server.log")" -ge 2
check "redirect: the late FIN reaches the local proxy translated and the proxy passes it on: EOF at the server" \
  test "$(grep -c 'server: eof after' "$out/server.log")" -eq 2
sleep 1
stats=$(ctl "$out" '{"cmd":"stats"}')
echo "# ctnic stats: $(grep -o '"late":{[^}]*}' <<<"$stats")"
check "ctnic translated the late packets with the linger memory, dropped none and passed none untranslated" \
  python3 -c '
import json, sys
l = json.loads(sys.argv[1])["result"]["daemon"]["late"]
sys.exit(0 if l["translated"] >= 2 and l.get("passed", 0) == 0 else 1)' "$stats"
socks=$(in_ns "$NS_C" ss -tan; in_ns "$NS_H" ss -tan; in_ns "$NS_S" ss -tan)
echo "$socks" | grep -v LISTEN | sed 's/^/#   /'
check "both ends (and the proxy) closed cleanly: no socket left in CLOSE_WAIT, LAST_ACK, FIN_WAIT or CLOSING" \
  bash -c "! grep -qE 'CLOSE-WAIT|LAST-ACK|FIN-WAIT|CLOSING' <<<'$socks'"
stop_pid "$cap_s"; stop_pid "$cap_c"
check "server network: no packet with the client's own address 192.0.2.10" \
  test "$(pcap_count "$out/server.pcap" "host 192.0.2.10")" -eq 0
check "server network: the late FINs are there, from 203.0.113.7 (SNAT) and 203.0.113.1 (the proxy)" \
  test "$(pcap_count "$out/server.pcap" "tcp[tcpflags] & tcp-fin != 0 and dst port 8081 and (src host 203.0.113.7 or src host 203.0.113.1)")" -ge 2
check "client network: no packet with a hidden address (203.0.113.6, 203.0.113.7, the proxy at 192.0.2.1)" \
  test "$(pcap_count "$out/client.pcap" "host 203.0.113.6 or host 203.0.113.7 or (host 192.0.2.1 and tcp)")" -eq 0
[ $failed -eq 0 ]
