#!/usr/bin/env bash
# Real programs through ctnic as the gateway (docs/live.md): the model card
# and ctnicd's core (ctnic-live-gw) between a client namespace (192.0.2.0/24)
# and a server namespace (198.51.100.0/24, 203.0.113.0/24), its host port in
# a third with a local proxy. curl to python3's http.server through DNAT,
# SNAT, MASQUERADE and a REDIRECT to the proxy (each file's bytes checked
# with sha256), a UDP request/response, ping (ICMP echo translated), TTL
# probes answered by the gateway, and the connection table. Captures on
# both networks show which addresses each side saw. TAP on stdout; root.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
need_root test-live.sh

out=$(mktemp -d /tmp/ctnic-live.XXXXXX)
cleanup() { topo_down; [ -n "${KEEP:-}" ] || rm -rf "$out"; }
seed=${1:-$RANDOM}
echo "# seed $seed (tests/live/test-live.sh $seed replays it)"
echo "1..14"

if ! live_gw_up "$out"; then not_ok "the gateway starts"; exit 1; fi
trap cleanup EXIT
ok "the gateway starts, its TAPs are the client's, the server's and the host's interfaces"

# The web root: seeded random files.
mkdir -p "$out/www"
python3 - "$out/www" "$seed" <<'PY'
import os, random, sys
r = random.Random(int(sys.argv[2]))
for name, size in (("small", 1000), ("big", 300000)):
    open(os.path.join(sys.argv[1], name), "wb").write(bytes(r.getrandbits(8) for _ in range(size)))
PY
bg "$NS_S" "$out/http.log" python3 -m http.server --bind 0.0.0.0 8080 --directory "$out/www"
bg "$NS_S" "$out/udp.log" python3 tests/live/udp_echo.py 203.0.113.5:5353
bg "$NS_H" "$out/proxy.log" python3 tests/live/proxy.py 0.0.0.0:3128 203.0.113.5:8080
bg "$NS_S" "$out/cap-server.log" tcpdump -i s0 -nn -U -w "$out/server.pcap"; cap_s=$!
bg "$NS_C" "$out/cap-client.log" tcpdump -i c0 -nn -U -w "$out/client.pcap"; cap_c=$!
wait_for 10 in_ns "$NS_S" bash -c 'exec 3<>/dev/tcp/203.0.113.5/8080'
wait_for 10 grep -q listening "$out/proxy.log"
wait_for 10 grep -q "listening on" "$out/cap-server.log"
wait_for 10 grep -q "listening on" "$out/cap-client.log"

want_small=$(sha256sum <"$out/www/small" | cut -d' ' -f1)
want_big=$(sha256sum <"$out/www/big" | cut -d' ' -f1)
# fetch NAME URL FILE: curl from the client, the body's sha256 against the file's.
fetch() {
  local got want
  want=$([ "$3" = big ] && echo "$want_big" || echo "$want_small")
  got=$(in_ns "$NS_C" curl -sS --max-time 20 "$2" | sha256sum | cut -d' ' -f1)
  if [ "$got" = "$want" ]; then ok "$1"; else not_ok "$1" "curl $2: sha256 $got, the file's $want"; fi
}
fetch "curl through DNAT (198.51.100.80:80 -> 203.0.113.5:8080), 300 kB, bytes checked" \
  http://198.51.100.80/big big
fetch "curl through SNAT (192.0.2.10 -> 203.0.113.7) to 203.0.113.6:8080, bytes checked" \
  http://203.0.113.6:8080/big big
fetch "curl through MASQUERADE (192.0.2.10 -> 203.0.113.1) to 198.51.100.20:8080, bytes checked" \
  http://198.51.100.20:8080/small small
fetch "curl through a REDIRECT (198.51.100.90:80) to the local proxy behind the host port, bytes checked" \
  http://198.51.100.90/big big

res=$(in_ns "$NS_C" python3 - "$seed" <<'PY'
import random, socket, sys
r = random.Random(int(sys.argv[1]) + 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
good = 0
for i in range(50):
    d = bytes(r.getrandbits(8) for _ in range(r.randint(1, 1400)))
    s.sendto(d, ("198.51.100.80", 53))
    try:
        a, peer = s.recvfrom(65535)[0], None
    except socket.timeout:
        break
    if a != d[::-1]:
        break
    good += 1
print(good)
PY
)
check "UDP request/response through DNAT (198.51.100.80:53 -> 203.0.113.5:5353): 50 of 50 answered, bytes checked (got $res)" \
  test "$res" = 50

pingout=$(in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 198.51.100.20 2>&1)
check "ping 198.51.100.20 through MASQUERADE: 3 echo replies" grep -q '3 received' <<<"$pingout"
ttl1=$(in_ns "$NS_C" ping -c 1 -t 1 -W 2 198.51.100.20 2>&1)
check "ping with TTL 1: 'Time to live exceeded' from the gateway (192.0.2.1)" \
  grep -q 'From 192.0.2.1 .*Time to live exceeded' <<<"$ttl1"
probe=$(in_ns "$NS_C" python3 tests/live/probe.py 203.0.113.6:33434 4)
echo "$probe" | sed 's/^/# /'
check "TTL probes (UDP, traceroute-style): TTL 1 expires at the gateway (192.0.2.1, ICMP 11/0)" \
  grep -q '^TTL 1 192.0.2.1 11 0$' <<<"$probe"
check "TTL probes: TTL 2 reaches 203.0.113.6 through SNAT, its port unreachable comes back translated (ICMP 3/3)" \
  grep -q '^TTL 2 203.0.113.6 3 3$' <<<"$probe"

conns=$(ctl "$out" '{"cmd":"conn list"}')
check "the connection table (conn list) holds the UDP flow, DNATed to 203.0.113.5:5353" \
  grep -q '203.0.113.5' <<<"$conns"
echo "$conns" | python3 -c '
import json, sys
a = json.loads(sys.stdin.read())
for c in (a.get("result") or {}).get("conns", [])[:8]:
    print("#  ", c.get("proto"), c.get("state"), json.dumps(c.get("orig")), "reply", json.dumps(c.get("reply")))' 2>/dev/null

sleep 0.5
# The captures: tcpdump stopped cleanly so the files are complete.
stop_pid "$cap_s"; stop_pid "$cap_c"
check "server network: the client's own address 192.0.2.10 only where DNAT alone is asked (never to 203.0.113.6 or 198.51.100.20)" \
  test "$(pcap_count "$out/server.pcap" "host 192.0.2.10 and (host 203.0.113.6 or host 198.51.100.20)")" -eq 0
check "client network: no packet from the hidden DNAT target 203.0.113.5 nor the SNAT address 203.0.113.7" \
  test "$(pcap_count "$out/client.pcap" "host 203.0.113.5 or host 203.0.113.7 or host 203.0.113.1")" -eq 0
check "client network: the REDIRECT's answers come from 198.51.100.90:80, never from the proxy's 192.0.2.1:3128" \
  test "$(pcap_count "$out/client.pcap" "src host 198.51.100.90 and tcp src port 80")" -ge 1 -a \
       "$(pcap_count "$out/client.pcap" "tcp port 3128")" -eq 0
[ $failed -eq 0 ]
