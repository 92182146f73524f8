#!/usr/bin/env bash
# make demo-live (docs/live.md): ctnic as the gateway between real Linux
# hosts in network namespaces, shown working, then torn down. Needs root.
#   tests/live/demo-live.sh [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
export CTNIC_BUILD=${1:-build/rel}
. tests/live/lib.sh
if [ "$(id -u)" -ne 0 ]; then echo "demo-live: needs root (network namespaces, TAP devices)" >&2; exit 1; fi
out=$(mktemp -d /tmp/ctnic-demo-live.XXXXXX)
cleanup() { topo_down; rm -rf "$out"; echo "=== torn down: namespaces removed, processes stopped"; }
say() { echo; echo "=== $*"; }
shows() { echo "\$ ${*/#in_ns/ip netns exec}"; "$@" 2>&1 | sed "s/^/    /"; }
# conns: the connection table, with ctnicctl when it has 'conn list', else the raw answer made readable.
conns() {
  if "$B/tools/ctnicctl/ctnicctl" -s "$out/ctl.sock" conn list >"$out/conn.txt" 2>&1; then
    echo "\$ ctnicctl -s CTL conn list"; sed 's/^/    /' "$out/conn.txt"
  else
    echo "(ctnicctl has no 'conn list' yet: the control socket's answer, one line per connection)"
    ctl "$out" '{"cmd":"conn list"}' | python3 -c '
import json, sys
for c in json.loads(sys.stdin.read())["result"]["conns"]:
    o, r = c["orig"], c["reply"]
    port = lambda t, k: (":%s" % t[k]) if k in t else ""
    print("    %-5s %-12s %s%s -> %s%s   reply %s%s -> %s%s" % (c["proto"], c.get("state") or "",
          o["src"], port(o, "sport"), o["dst"], port(o, "dport"), r["src"], port(r, "sport"), r["dst"], port(r, "dport")))'
  fi
}

say "bringing up: client (192.0.2.0/24) | ctnic: model card + ctnicd's core | server (198.51.100.0/24, 203.0.113.0/24), host stack with a local proxy"
live_gw_up "$out" || exit 1
trap cleanup EXIT
sed 's/^/    /' "$out/gw.log"
mkdir -p "$out/www"; echo "hello from 203.0.113.5, through ctnic" >"$out/www/index.html"
bg "$NS_S" "$out/http.log" python3 -m http.server --bind 0.0.0.0 8080 --directory "$out/www"
bg "$NS_H" "$out/proxy.log" python3 tests/live/proxy.py 0.0.0.0:3128 203.0.113.5:8080
wait_for 10 in_ns "$NS_S" bash -c 'exec 3<>/dev/tcp/203.0.113.5/8080'
wait_for 10 grep -q listening "$out/proxy.log"
echo "namespaces: $NS_C $NS_GW $NS_S $NS_H"
say "the NAT rules (tests/live/live.conf)"
sed -n '/^\*nat/,/^COMMIT/p' tests/live/live.conf | grep -v '^#' | sed 's/^/    /'

say "client: curl http://198.51.100.80/ (DNAT to 203.0.113.5:8080)"
shows in_ns "$NS_C" curl -sS --max-time 10 http://198.51.100.80/
say "client: curl http://198.51.100.90/ (REDIRECT to the local proxy behind the host port)"
shows in_ns "$NS_C" curl -sS --max-time 10 http://198.51.100.90/
say "client: curl http://203.0.113.6:8080/ (SNAT: the server sees 203.0.113.7)"
shows in_ns "$NS_C" curl -sS --max-time 10 http://203.0.113.6:8080/
say "client: ping 198.51.100.20 (MASQUERADE; ICMP echo id translated)"
shows in_ns "$NS_C" ping -c 2 -i 0.2 198.51.100.20
say "client: ping -t 1 (the gateway answers time exceeded)"
shows in_ns "$NS_C" ping -c 1 -t 1 198.51.100.20
say "what the web server saw (its log): the client's address only where no SNAT hides it"
sed 's/^/    /' "$out/http.log"
say "ctnic's connection table"
conns
say "ctnic's statistics (daemon: new connections, installs, late packets)"
ctl "$out" '{"cmd":"stats"}' | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())["result"]["daemon"]
print("    conn_new %d  installs %d  fwd %d  time_exceeded %d  arp_replies %d  late %s" % (
      d["conn_new"], d["installs"], d["fwd"], d["time_exceeded"], d["arp_replies"], json.dumps(d["late"])))'
