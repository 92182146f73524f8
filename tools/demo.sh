#!/usr/bin/env bash
# ctnic demo: one DNAT connection through the simulated card.
#
#   tools/demo.sh BUILD_DIR        (make demo runs it as tools/demo.sh build/rel)
#
# It writes two input pcaps (a client's request on port 0, the server's
# answer on port 1), starts ctnic-sim (the RTL in Verilator) on them, starts
# ctnicd with one DNAT flow, shows `ctnicctl device`, and prints each packet
# before and after the card translated it (tcpdump -vv also checks the
# checksums). Everything it starts is stopped before it exits.
set -euo pipefail

B=${1:?usage: tools/demo.sh BUILD_DIR (e.g. build/rel)}
SIM=$B/sim/ctnic-sim/ctnic-sim
CTNICD=$B/host/ctnicd
CTNICCTL=$B/tools/ctnicctl/ctnicctl
for p in "$SIM" "$CTNICD" "$CTNICCTL"; do
  [ -x "$p" ] || { echo "demo: $p is not built: run make all first" >&2; exit 1; }
done

DIR=$(mktemp -d /tmp/ctnic-demo-XXXXXX)
SIM_PID= ; D_PID=
cleanup() {
  [ -n "$D_PID" ] && kill "$D_PID" 2>/dev/null && wait "$D_PID" 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

wait_path() { # PATH PID: until PATH exists, while PID lives
  for _ in $(seq 1 600); do
    [ -e "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

section() { printf '\n=== %s\n' "$*"; }

# The inputs. Checksums computed here over whole headers (RFC 791/793), in Python's standard library only.
python3 - "$DIR" <<'EOF'
import socket, struct, sys

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def tcp_frame(dmac, smac, src, sport, dst, dport, seq, ack, payload):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, 0x18, 65535, 0, 0) + payload
    c = csum(s + d + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return bytes.fromhex(dmac.replace(':', '')) + bytes.fromhex(smac.replace(':', '')) + b'\x08\x00' + ip + tcp

def pcap(path, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1, i, len(fr), len(fr)) + fr)

d = sys.argv[1]
pcap(d + '/in0.pcap', [tcp_frame('02:00:00:00:00:01', '02:00:00:00:00:07', '198.51.100.7', 40000,
                                 '203.0.113.10', 80, 1000, 2000, b'GET / HTTP/1.0\r\n\r\n')])
pcap(d + '/in1.pcap', [tcp_frame('02:00:00:00:01:01', '02:00:00:00:01:0a', '192.0.2.10', 8080,
                                 '198.51.100.7', 40000, 2000, 1018, b'HTTP/1.0 200 OK\r\n\r\nhello\n')])
EOF

section "ctnic-sim: the RTL card, port 0 fed with in0.pcap (client side), port 1 with in1.pcap (server side)"
"$SIM" --socket "$DIR/sim.sock" --in "0=$DIR/in0.pcap" --in "1=$DIR/in1.pcap" \
  --out "0=$DIR/out0.pcap" --out "1=$DIR/out1.pcap" --host "$DIR/host.pcap" \
  --exit-when-done 2>"$DIR/sim.log" &
SIM_PID=$!
wait_path "$DIR/sim.sock" "$SIM_PID" || { cat "$DIR/sim.log"; exit 1; }
cat "$DIR/sim.log"

FLOW='proto=tcp src=198.51.100.7:40000 dst=203.0.113.10:80 dnat=192.0.2.10:8080 out=1 reply-out=0
      out-mac=02:00:00:00:01:0a/02:00:00:00:01:01 reply-mac=02:00:00:00:00:07/02:00:00:00:00:01'
section "ctnicd: one DNAT flow, 203.0.113.10:80 served by 192.0.2.10:8080"
echo "flow: $(echo $FLOW)"
"$CTNICD" --device "sim:$DIR/sim.sock" --socket "$DIR/ctnicd.sock" --flow "$(echo $FLOW)" 2>"$DIR/ctnicd.log" &
D_PID=$!
wait_path "$DIR/ctnicd.sock" "$D_PID" || { cat "$DIR/ctnicd.log"; exit 1; }
cat "$DIR/ctnicd.log"

section "ctnicctl device (ctnicctl -> ctnicd -> libctnic -> ctnic-sim -> RTL registers)"
"$CTNICCTL" -s "$DIR/ctnicd.sock" device

kill "$D_PID"; wait "$D_PID" || true; D_PID=
wait "$SIM_PID" || { echo "demo: ctnic-sim failed" >&2; cat "$DIR/sim.log"; exit 1; }
SIM_PID=

show() { tcpdump -nn -vv -e -r "$1" 2>/dev/null | sed 's/^/    /'; }
section "client -> VIP, as it entered port 0"
show "$DIR/in0.pcap"
section "the same packet as the card sent it out of port 1 (DNAT, TTL-1, MACs of the next hop)"
show "$DIR/out1.pcap"
section "server's answer, as it entered port 1"
show "$DIR/in1.pcap"
section "the answer as the card sent it out of port 0 (source back to the VIP)"
show "$DIR/out0.pcap"
section "punted to the host: $(tcpdump -r "$DIR/host.pcap" 2>/dev/null | wc -l) packets"
[ -s "$DIR/out1.pcap" ] && [ "$(tcpdump -r "$DIR/out1.pcap" 2>/dev/null | wc -l)" -eq 1 ] ||
  { echo "demo: the card sent nothing on port 1" >&2; exit 1; }
echo
echo "demo: done"
