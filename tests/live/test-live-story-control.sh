#!/usr/bin/env bash
# The control of test-live-story.sh (docs/live.md): the same story (DNAT+SNAT)
# with the linger memory off (linger-time 0). The late FIN then finds no
# binding; a NAT rule covers it, so ctnic drops it (late.dropped): still no
# packet with the client's address on the server network, but the server
# never reads EOF and the sockets hang, as with Linux's "drop ct state
# invalid". So the story test's EOF check proves the linger memory's work.
# TAP on stdout; root.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
need_root test-live-story-control.sh

out=$(mktemp -d /tmp/ctnic-live-control.XXXXXX)
cleanup() { topo_down; [ -n "${KEEP:-}" ] || rm -rf "$out"; }
seed=${1:-$RANDOM}
echo "# seed $seed (tests/live/test-live-story-control.sh $seed replays it)"
echo "1..6"
sed 's/^linger-time .*/linger-time 0/' tests/live/live.conf >"$out/nolinger.conf"
if ! live_gw_up "$out" "$out/nolinger.conf"; then not_ok "the gateway starts (linger-time 0)"; exit 1; fi
trap cleanup EXIT
ok "the gateway starts (linger-time 0)"
bg "$NS_S" "$out/server.log" python3 -u tests/live/story_peer.py server 203.0.113.6:8081
bg "$NS_S" "$out/cap-s.log" tcpdump -i s0 -nn -U -w "$out/server.pcap"; cap_s=$!
wait_for 10 grep -q listening "$out/server.log"
wait_for 10 grep -q "listening on" "$out/cap-s.log"
in_ns "$NS_C" python3 -u tests/live/story_peer.py client 198.51.100.70:80 "$STORY_WAIT" "$seed" >"$out/client.log" 2>&1
check "the client had its response, stayed half-closed $STORY_WAIT s and closed" grep -q 'client: closed' "$out/client.log"
sleep 2
stats=$(ctl "$out" '{"cmd":"stats"}')
echo "# ctnic stats: $(grep -o '"late":{[^}]*}' <<<"$stats")"
check "without a binding the late FIN is dropped (late.dropped), never passed" python3 -c '
import json, sys
l = json.loads(sys.argv[1])["result"]["daemon"]["late"]
sys.exit(0 if l["dropped"] >= 1 and l["translated"] == 0 and l["passed"] == 0 else 1)' "$stats"
check "so the server never reads EOF (the story test's EOF is the linger memory's work)" \
  bash -c "! grep -q 'server: eof' '$out/server.log'"
check "the client's socket hangs in LAST-ACK" bash -c "ip netns exec '$NS_C' ss -tan | grep -q LAST-ACK"
stop_pid "$cap_s"
check "still no packet with the client's own address on the server network" \
  test "$(pcap_count "$out/server.pcap" "host 192.0.2.10")" -eq 0
[ $failed -eq 0 ]
