#!/usr/bin/env bash
# ctnic-sim's live ports (docs/live.md): the RTL card with --tap ports whose
# TAPs are moved into a client and a server namespace. ctnicd on sim: puts
# one static UDP flow (DNAT) into the card through the table window; a real
# UDP socket in the client namespace talks to one in the server namespace
# through the RTL, both ways, bytes checked. A frame the card has no flow
# for goes to the host (--host pcap). Then an --iface port (AF_PACKET on a
# veth). TAP on stdout; needs root.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
need_root test-sim-tap.sh

SIM=$B/sim/ctnic-sim/ctnic-sim
CTNICD=$B/host/ctnicd
out=$(mktemp -d /tmp/ctnic-live-sim.XXXXXX)
cleanup() { topo_down; [ -n "${KEEP:-}" ] || rm -rf "$out"; }
seed=${1:-$RANDOM}
echo "# seed $seed (tests/live/test-sim-tap.sh $seed replays it)"
echo "1..7"

topo_card_ns "$out"
trap cleanup EXIT
bg "$NS_GW" "$out/sim.log" "$SIM" --socket "$out/sim.sock" --tap 0=c0 --tap 1=s0 --host "$out/host.pcap" \
  --out 1="$out/out1.pcap"
sim=$!
check "ctnic-sim starts with two TAP ports" wait_for 60 test -S "$out/sim.sock"
flow="proto=udp src=$CLIENT:40000 dst=$SERVICE:53 dnat=$DNAT_TARGET:5353 out=1 reply-out=0"
flow+=" out-mac=$SERVER_MAC/$GW1_MAC reply-mac=$CLIENT_MAC/$GW0_MAC"
"$CTNICD" --device "sim:$out/sim.sock" --socket "$out/ctl.sock" --flow "$flow" 2>"$out/ctnicd.log" & topo_pids+=($!)
check "ctnicd installs the static flow on the RTL card" wait_for 60 test -S "$out/ctl.sock"
topo_card_links
# Static neighbours: this test is about the card's TAP ports, not ctnicd's ARP.
ip -n "$NS_C" neigh replace 192.0.2.1 lladdr $GW0_MAC dev c0 nud permanent
ip -n "$NS_S" neigh replace 203.0.113.1 lladdr $GW1_MAC dev s0 nud permanent

# The server: a UDP echo that answers each datagram with its bytes reversed.
bg "$NS_S" "$out/echo.log" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("203.0.113.5", 5353))
while True:
    d, a = s.recvfrom(65535); s.sendto(d[::-1], a)'
sleep 0.5
res=$(in_ns "$NS_C" python3 - "$seed" <<'PY'
import random, socket, sys
rnd = random.Random(int(sys.argv[1]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.10", 40000)); s.settimeout(5)
good = 0
for i in range(20):
    d = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 1400)))
    s.sendto(d, ("198.51.100.80", 53))
    try:
        r, a = s.recvfrom(65535)
    except socket.timeout:
        print("timeout at datagram", i); break
    if r != d[::-1] or a != ("198.51.100.80", 53):
        print("datagram", i, "wrong:", a, len(r), len(d)); break
    good += 1
print(good)
PY
)
check "20 UDP datagrams through the RTL card's DNAT both ways, bytes checked (got: $res)" test "$res" = 20

# A frame with no flow: the card hands it to the host.
in_ns "$NS_C" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"no flow", ("198.51.100.80", 54))'
sleep 1
stop_pid $sim
check "a frame the card has no flow for reaches the host (punt)" \
  test "$(pcap_count "$out/host.pcap" "udp and dst port 54")" -ge 1
check "what port 1 sent is translated: to $DNAT_TARGET:5353, never to $SERVICE" \
  test "$(pcap_count "$out/out1.pcap" "udp and dst host $DNAT_TARGET and dst port 5353")" -ge 20 -a \
       "$(pcap_count "$out/out1.pcap" "host $SERVICE")" -eq 0
grep -E "port [01] \(tap" "$out/sim.log" | sed 's/^/# /'

# --iface: the RTL card on a veth through AF_PACKET. A frame sent on the peer reaches the card (punted to host).
ip -n "$NS_GW" link add v0 type veth peer name v1 netns "$NS_C"
ip -n "$NS_GW" link set v0 up; ip -n "$NS_C" link set v1 up
ip -n "$NS_C" addr add 192.0.2.20/24 dev v1
in_ns "$NS_C" ip neigh replace 192.0.2.1 lladdr $GW0_MAC dev v1 nud permanent
ip -n "$NS_GW" link set v0 up
bg "$NS_GW" "$out/sim2.log" "$SIM" --socket "$out/sim2.sock" --iface 0=v0 --host "$out/host2.pcap"
pid=$!
wait_for 60 test -S "$out/sim2.sock"
python3 - "$out/sim2.sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"HELLO 1\nW 16 1\n"); time.sleep(0.3); s.recv(999)
PY
in_ns "$NS_C" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.20", 0))
for i in range(3): s.sendto(b"via af_packet", ("192.0.2.1", 7))'
sleep 1
stop_pid $pid
check "--iface: frames sent on a veth reach the card through AF_PACKET" \
  test "$(pcap_count "$out/host2.pcap" "udp and dst port 7")" -eq 3
check "ctnic-sim refuses --exit-when-done with a live port" \
  bash -c "! '$SIM' --socket $out/x.sock --tap 0=zz0 --exit-when-done 2>&1 | grep -q 'never done'; test \${PIPESTATUS[0]} -ne 0" 
[ $failed -eq 0 ]
