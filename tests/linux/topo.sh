# Sourced by the Linux oracle scripts: the three-namespace topology.
#
#   client (c0) <-veth-> (gw0) gw (gw1) <-veth-> (s0) server
#
# gw0 192.0.2.1/24, gw1 203.0.113.1/24 and 198.51.100.1/24, static
# neighbours for the client (192.0.2.10) and the server side's hosts
# (198.51.100.80, 203.0.113.5), IPv6 off everywhere (no router solicitations
# or MLD reports in captures). c0 and s0 get no address here: no route out of
# any namespace. Names are unique per run (ctnic-<pid>-...); topo_down, on
# EXIT, stops the processes in topo_pids and removes the namespaces.

CLIENT=192.0.2.10       CLIENT_MAC=02:00:00:00:00:0a
SERVICE=198.51.100.80   SERVER_MAC=02:00:00:00:00:50
DNAT_TARGET=203.0.113.5
GW0_MAC=02:00:00:00:01:00 GW1_MAC=02:00:00:00:01:01
SNAT_ADDR=203.0.113.1
# MASQUERADE takes the address of gw1 that is on the next hop's subnet.
MASQ_ADDR=198.51.100.1

NS_C=ctnic-$$-client NS_GW=ctnic-$$-gw NS_S=ctnic-$$-server
# The host stack's namespace behind ctnic's host port (topo_card_*, tests/live).
NS_H=ctnic-$$-host
topo_pids=()

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

topo_down() {
  local pid ns
  for pid in "${topo_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in "$NS_C" "$NS_GW" "$NS_S" "$NS_H"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

# topo_up OUTDIR: the namespaces listed in OUTDIR/netns.txt.
topo_up() {
  local ns
  trap topo_down EXIT
  trap 'exit 130' INT TERM
  printf '%s\n' "$NS_C" "$NS_GW" "$NS_S" >"$1/netns.txt"
  for ns in "$NS_C" "$NS_GW" "$NS_S"; do
    ip netns add "$ns"
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_C" link add c0 address $CLIENT_MAC type veth peer name gw0 netns "$NS_GW" address $GW0_MAC
  ip -n "$NS_S" link add s0 address $SERVER_MAC type veth peer name gw1 netns "$NS_GW" address $GW1_MAC
  ip -n "$NS_C" link set c0 up
  ip -n "$NS_S" link set s0 up
  ip -n "$NS_GW" addr add 192.0.2.1/24 dev gw0
  ip -n "$NS_GW" addr add 203.0.113.1/24 dev gw1
  ip -n "$NS_GW" addr add 198.51.100.1/24 dev gw1
  ip -n "$NS_GW" link set gw0 up
  ip -n "$NS_GW" link set gw1 up
  ip -n "$NS_GW" neigh replace $CLIENT lladdr $CLIENT_MAC dev gw0 nud permanent
  ip -n "$NS_GW" neigh replace $SERVICE lladdr $SERVER_MAC dev gw1 nud permanent
  ip -n "$NS_GW" neigh replace $DNAT_TARGET lladdr $SERVER_MAC dev gw1 nud permanent
  in_ns "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
}

# topo_close_wait SECONDS: CLOSE_WAIT's timeout in the gateway namespace only
# (the nf_conntrack sysctls are per namespace on this kernel), checked.
topo_close_wait() {
  local got
  in_ns "$NS_GW" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close_wait="$1"
  got=$(in_ns "$NS_GW" sysctl -n net.netfilter.nf_conntrack_tcp_timeout_close_wait)
  if [ "$got" != "$1" ]; then
    echo "close_wait timeout in $NS_GW is $got, wanted $1" >&2
    return 1
  fi
}

# topo_gw_state TITLE: the gateway's rules, conntrack table and statistics.
topo_gw_state() {
  echo "# $1"
  echo "# iptables-save -t nat (in the gateway namespace)"
  in_ns "$NS_GW" iptables-save -t nat | grep -v '^#'
  echo "# iptables -t nat -L -n -v"
  in_ns "$NS_GW" iptables -t nat -L -n -v
  echo "# conntrack -L (afterwards)"
  in_ns "$NS_GW" conntrack -L 2>&1 || true
  echo "# conntrack -S"
  in_ns "$NS_GW" conntrack -S 2>&1 || true
}

# ---- the same networks with ctnic as the gateway (tests/live, docs/live.md) ----
#
#   client (c0 TAP) <-> [card port 0 | ctnic in gw | card port 1] <-> (s0 TAP) server
#                                     host port <-> (h0 TAP) host
#
# The gateway process runs in NS_GW and creates the TAPs c0, s0 and h0
# there; topo_card_links moves each into its namespace, so the client's and
# the server's interfaces are the card's wires. Same names, addresses and
# MACs as above; gw gets no address and does not forward: only the card does.
SERVER_ADDRS="203.0.113.5 203.0.113.6 198.51.100.20"

# topo_card_ns OUTDIR: the four namespaces, listed in OUTDIR/netns.txt.
topo_card_ns() {
  local ns
  trap topo_down EXIT
  trap 'exit 130' INT TERM
  printf '%s\n' "$NS_C" "$NS_GW" "$NS_S" "$NS_H" >"$1/netns.txt"
  for ns in "$NS_C" "$NS_GW" "$NS_S" "$NS_H"; do
    ip netns add "$ns"
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
}

# topo_card_links: c0, s0 (and h0 when it exists) from NS_GW into their
# namespaces, with addresses and routes. The server answers the client
# network through the card; 203.0.113.7 (an SNAT address) is the card's too.
topo_card_links() {
  local a
  ip -n "$NS_GW" link set c0 netns "$NS_C"
  ip -n "$NS_C" link set c0 down
  ip -n "$NS_C" link set c0 address $CLIENT_MAC
  ip -n "$NS_C" link set c0 up
  ip -n "$NS_C" addr add $CLIENT/24 dev c0
  ip -n "$NS_C" route add 198.51.100.0/24 via 192.0.2.1
  ip -n "$NS_C" route add 203.0.113.0/24 via 192.0.2.1
  ip -n "$NS_GW" link set s0 netns "$NS_S"
  ip -n "$NS_S" link set s0 down
  ip -n "$NS_S" link set s0 address $SERVER_MAC
  ip -n "$NS_S" link set s0 up
  for a in $SERVER_ADDRS; do ip -n "$NS_S" addr add "$a/24" dev s0; done
  ip -n "$NS_S" route add 192.0.2.0/24 via 203.0.113.1
  ip -n "$NS_S" neigh replace 203.0.113.7 lladdr $GW1_MAC dev s0 nud permanent
  if ip -n "$NS_GW" link show h0 >/dev/null 2>&1; then
    ip -n "$NS_GW" link set h0 netns "$NS_H"
    ip -n "$NS_H" link set h0 up
    ip -n "$NS_H" addr add 192.0.2.1/32 dev h0
    ip -n "$NS_H" addr add 203.0.113.1/32 dev h0
    ip -n "$NS_H" route add 192.0.2.0/24 dev h0 src 192.0.2.1
    ip -n "$NS_H" route add 203.0.113.0/24 dev h0 src 203.0.113.1
    ip -n "$NS_H" route add 198.51.100.0/24 dev h0 src 203.0.113.1
  fi
}
