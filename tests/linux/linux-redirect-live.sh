#!/usr/bin/env bash
# The Linux oracle for REDIRECT, with real sockets: the story of
# shared/design.md exactly. REDIRECT ends the connection in the gateway's own
# stack (the local proxy), so recorded server traffic cannot stand in for it.
#
# Namespaces client (192.0.2.10) and gw (192.0.2.1 | 203.0.113.1,
# 198.51.100.1) and server (no address: a capture point only), unique per
# run, removed on exit. In gw: REDIRECT of 198.51.100.80 tcp to port 80, a
# proxy listening on port 80, CLOSE_WAIT's timeout lowered. The client
# connects to 198.51.100.80:80 and sends a request; the proxy answers and
# shuts its side (FIN); the client's kernel ACKs; the client waits past the
# timeout, then closes (its FIN).
#
#   tests/linux/linux-redirect-live.sh --out DIR [--close-wait S (2)]
#                                      [--wait S (close-wait + 1.5)]
#
# --wait is how long the client stays half-closed; shorter than the timeout
# it is the control (the FIN reaches the proxy).
#
# Writes into --out: linux0.pcap (the client network, both directions),
# linux1.pcap (what the gateway sent to the server network), client.log,
# proxy.log, gw-state.txt, netns.txt.
set -euo pipefail

out= close_wait=2 wait=
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --close-wait) close_wait=$2; shift 2 ;;
    --wait) wait=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "linux-redirect-live: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "usage: $0 --out DIR [--close-wait S] [--wait S]" >&2; exit 2; }
[ -n "$wait" ] || wait=$(awk -v t="$close_wait" 'BEGIN { print t + 1.5 }')
[ "$(id -u)" -eq 0 ] || { echo "linux-redirect-live: needs root" >&2; exit 2; }
for tool in ip iptables iptables-save conntrack tcpdump python3; do
  command -v "$tool" >/dev/null || { echo "linux-redirect-live: $tool missing (make deps)" >&2; exit 2; }
done

mkdir -p "$out"
. "$(dirname "$0")/topo.sh"
topo_up "$out"
# The client gets its address, and reaches the service's network through
# the gateway, nothing else.
ip -n "$NS_C" addr add $CLIENT/24 dev c0
ip -n "$NS_C" route add 198.51.100.0/24 via 192.0.2.1
ip -n "$NS_C" neigh replace 192.0.2.1 lladdr $GW0_MAC dev c0 nud permanent

in_ns "$NS_GW" iptables -t nat -A PREROUTING -d 198.51.100.80/32 -p tcp -j REDIRECT --to-ports 80
topo_close_wait "$close_wait"

# Captures first: the client network whole, the server network inbound.
in_ns "$NS_C" tcpdump -i c0 -nn -U -w "$out/linux0.pcap" 2>"$out/tcpdump0.log" & topo_pids+=($!)
in_ns "$NS_S" tcpdump -i s0 -Q in -nn -U -w "$out/linux1.pcap" 2>"$out/tcpdump1.log" & topo_pids+=($!)
for f in "$out/tcpdump0.log" "$out/tcpdump1.log"; do
  for _ in $(seq 50); do grep -q 'listening on' "$f" && break; sleep 0.1; done
  grep -q 'listening on' "$f" || { echo "linux-redirect-live: tcpdump did not start" >&2; cat "$f" >&2; exit 1; }
done

# The local proxy: answers one request, shuts its sending side, then waits
# for the client's FIN (which, with the entry expired, never comes to it).
in_ns "$NS_GW" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80)); s.listen(1); print("listening", flush=True)
c, peer = s.accept(); print("accepted", peer, flush=True)
c.recv(1000); c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
c.shutdown(socket.SHUT_WR); print("sent FIN", flush=True)
c.settimeout(float(sys.argv[1]))
try: print("read after FIN:", c.recv(1000), flush=True)
except socket.timeout: print("no FIN from the client", flush=True)
' "$((close_wait + 4))" >"$out/proxy.log" 2>&1 & topo_pids+=($!)
for _ in $(seq 50); do grep -q listening "$out/proxy.log" && break; sleep 0.1; done

# The client: stays half-closed past CLOSE_WAIT's timeout, then closes.
in_ns "$NS_C" python3 -c '
import socket, sys, time
c = socket.create_connection(("198.51.100.80", 80), timeout=5)
print("connected from", c.getsockname(), flush=True)
c.sendall(b"GET / HTTP/1.0\r\nHost: service\r\n\r\n")
data = b""
while True:
    d = c.recv(1000)
    if not d: break
    data += d
print("got", len(data), "bytes and the FIN", flush=True)
time.sleep(float(sys.argv[1]))
c.close(); print("closed", flush=True)
time.sleep(2)
' "$wait" >"$out/client.log" 2>&1
sleep 1

topo_gw_state "scenario redirect (live sockets), close_wait $close_wait s, client half-closed $wait s" \
  >"$out/gw-state.txt"
