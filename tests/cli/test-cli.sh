#!/usr/bin/env bash
# ctnicctl against a running daemon on the simulated card: every command, its
# text, JSON and Prometheus output, refused and malformed requests, usage
# errors, and the socket's permissions. TAP on stdout.
#
# The daemon: ctnic-replay --backend sim replays the story of
# shared/design.md (tools/gen/ctnic-story-gen, short gap: the connection is
# still there) into the RTL card (its own ctnic-sim) and ctnicd's core, then
# serves ctnicd's control socket (--serve) with that table. Then the ctnicd
# program itself on a ctnic-sim (--device sim:): static flows, every command.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
CTL=${CTNICCTL:-$B/tools/ctnicctl/ctnicctl}
REPLAY=$B/tools/replay/ctnic-replay
GEN=$B/tools/gen/ctnic-story-gen
w=$(mktemp -d /tmp/ctnic-cli-test.XXXXXX)
chmod 755 "$w" # the permission test connects as another user
D_PID=
S_PID= C_PID=
cleanup() {
  local p
  for p in $C_PID $D_PID $S_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$w"
}
trap cleanup EXIT

. tests/tap.sh

SOCK=$w/ctl.sock
"$GEN" --scenario dnat --gap 1 --out0 "$w/in0.pcap" --out1 "$w/in1.pcap" >/dev/null
# The story's gateway plus a static UDP flow (a connection of another protocol, never expiring).
{ cat tests/replay/story-dnat.conf
  echo "flow proto=udp src=192.0.2.20:5000 dst=198.51.100.53:53 out=1 reply-out=0"; } >"$w/gw.conf"
"$REPLAY" --backend sim --quiet --config "$w/gw.conf" --in 0="$w/in0.pcap" --in 1="$w/in1.pcap" --serve "$SOCK" \
  2>"$w/daemon.log" &
D_PID=$!
for _ in $(seq 1 600); do [ -S "$SOCK" ] && break; kill -0 "$D_PID" 2>/dev/null || break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "not ok 1 - daemon_starts"; sed 's/^/# /' "$w/daemon.log"; echo "1..1"; exit 0; }

# run NAME ARGS...: ctnicctl -s SOCK ARGS with stdout, stderr and status in $w/NAME.{out,err,rc}
run() { local name=$1; shift; "$CTL" -s "$SOCK" "$@" >"$w/$name.out" 2>"$w/$name.err"; echo $? >"$w/$name.rc"; }
rc_is() { [ "$(cat "$w/$1.rc")" = "$2" ] || { sed 's/^/# /' "$w/$1.err"; return 1; }; }
out_has() { grep -qE -- "$2" "$w/$1.out" || { sed 's/^/# out: /' "$w/$1.out" | head -5; return 1; }; }
err_has() { grep -qE -- "$2" "$w/$1.err" || { sed 's/^/# err: /' "$w/$1.err" | head -5; return 1; }; }
lines() { [ "$(grep -c . "$w/$1.out")" = "$2" ]; }
ok_with() { rc_is "$1" 0 && out_has "$1" "$2"; }
json_ok() { rc_is "$1" 0 && python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if a["ok"] else 1)' "$w/$1.out"; }

CONN_RE='^tcp +6 [0-9]+ TIME_WAIT src=192\.0\.2\.10 dst=198\.51\.100\.80 sport=40000 dport=80 packets=[0-9]+ bytes=[0-9]+ src=203\.0\.113\.5 dst=192\.0\.2\.10 sport=8080 dport=40000 packets=[0-9]+ bytes=[0-9]+ \[ASSURED\] \[HW_OFFLOAD\]$'
UDP_RE='^udp +17 - src=192\.0\.2\.20 dst=198\.51\.100\.53 sport=5000 dport=53 .*\[STATIC\]$'

# ---- conn list
run list conn list
check "conn_list_prints_conntrack_L_lines" ok_with list "$CONN_RE"
check "conn_list_shows_a_static_flow_never_expiring" out_has list "$UDP_RE"
check "conn_list_counts_on_stderr_as_conntrack" err_has list '^ctnicctl: 2 flow entries have been shown\.$'
run proto conn list -p udp
check "conn_list_filters_by_protocol" bash -c "[ \"\$(cat $w/proto.rc)\" = 0 ] && [ \"\$(grep -c . $w/proto.out)\" = 1 ] && grep -q '^udp ' $w/proto.out"
run state conn list --state TIME_WAIT
check "conn_list_filters_by_state" bash -c "grep -qE '$CONN_RE' $w/state.out && [ \"\$(grep -c . $w/state.out)\" = 1 ]"
run state2 conn list --state ESTABLISHED
check "conn_list_state_that_no_connection_has_is_empty" bash -c "[ \"\$(cat $w/state2.rc)\" = 0 ] && [ ! -s $w/state2.out ]"
run addr conn list --addr 203.0.113.5
check "conn_list_filters_by_address_in_the_reply_tuple" bash -c "grep -qE '$CONN_RE' $w/addr.out && [ \"\$(grep -c . $w/addr.out)\" = 1 ]"
run port conn list --port 53
check "conn_list_filters_by_port" bash -c "grep -q '^udp ' $w/port.out && [ \"\$(grep -c . $w/port.out)\" = 1 ]"
run tuple conn list -p tcp -s 203.0.113.5 -d 192.0.2.10 --sport 8080 --dport 40000
check "conn_list_finds_a_connection_by_its_reply_tuple" bash -c "grep -qE '$CONN_RE' $w/tuple.out"
run json -o json conn list
json_conn() {
  json_ok json && python3 - "$w/json.out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["result"]
c = [x for x in r["conns"] if x["proto"] == "tcp"][0]
assert c["state"] == "TIME_WAIT" and c["in_card"] and "ASSURED" in c["flags"], c
assert c["orig"] == {"src": "192.0.2.10", "dst": "198.51.100.80", "sport": 40000, "dport": 80}, c
assert c["reply"]["src"] == "203.0.113.5" and c["reply"]["sport"] == 8080, c
assert r["count"] == 2
EOF
}
check "conn_list_o_json_is_the_daemons_answer" json_conn
run json2 conn list -o json
check "conn_list_takes_o_json_after_the_command" json_ok json2

# refused and malformed
run badstate conn list --state NOT_A_STATE
check "conn_list_bad_state_refused_by_the_daemon_exit_1" bash -c "[ \"\$(cat $w/badstate.rc)\" = 1 ] && grep -q 'state' $w/badstate.err && [ ! -s $w/badstate.out ]"
run badaddr conn list --addr 300.1.1.1
check "conn_list_bad_address_is_a_usage_error" bash -c "[ \"\$(cat $w/badaddr.rc)\" = 2 ] && grep -q '300.1.1.1' $w/badaddr.err"
run badport conn list --port 70000
check "conn_list_bad_port_is_a_usage_error" rc_is badport 2
run badproto conn list -p sctp
check "conn_list_bad_protocol_is_a_usage_error" rc_is badproto 2
run halftuple conn list -p tcp -s 192.0.2.10
check "conn_list_half_a_tuple_refused_by_the_daemon" bash -c "[ \"\$(cat $w/halftuple.rc)\" = 1 ] && grep -q 'tuple' $w/halftuple.err"
run nodel conn delete
check "conn_delete_without_filter_is_a_usage_error" bash -c "[ \"\$(cat $w/nodel.rc)\" = 2 ] && grep -q 'flush' $w/nodel.err"

# ---- timeouts
run tget timeout get nf_conntrack_tcp_timeout_close_wait
check "timeout_get_prints_a_sysctl_line" ok_with tget '^nf_conntrack_tcp_timeout_close_wait = 60$'
run tset timeout set net.netfilter.nf_conntrack_tcp_timeout_close_wait 30
run tget2 timeout get nf_conntrack_tcp_timeout_close_wait
check "timeout_set_changes_it_by_sysctl_name" ok_with tget2 '^nf_conntrack_tcp_timeout_close_wait = 30$'
run tlist timeout list
check "timeout_list_prints_every_timeout" bash -c "[ \"\$(grep -c '^nf_conntrack_.* = [0-9]*$' $w/tlist.out)\" = 16 ] && grep -q '^nf_conntrack_tcp_timeout_established = 432000$' $w/tlist.out"
run tbad timeout get nf_conntrack_no_such_timeout
check "timeout_unknown_name_refused_exit_1" bash -c "[ \"\$(cat $w/tbad.rc)\" = 1 ] && grep -q 'timeout list' $w/tbad.err"
run tbadval timeout set nf_conntrack_tcp_timeout_close_wait -5
check "timeout_negative_seconds_is_a_usage_error" rc_is tbadval 2
run tmissing timeout set nf_conntrack_tcp_timeout_close_wait
check "timeout_set_without_seconds_is_a_usage_error" rc_is tmissing 2

# ---- stats
run stats stats
check "stats_prints_name_value_lines" bash -c "grep -q '^card.port0.rx_packets = 6$' $w/stats.out && grep -q '^daemon.table.connections = 2$' $w/stats.out && grep -q '^daemon.installs = ' $w/stats.out"
run prom stats -o prometheus
prometheus_valid() {
  rc_is prom 0 && python3 - "$w/prom.out" <<'EOF'
import re, sys
seen_type = set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        name, kind = line.split()[2:4]
        assert kind in ("counter", "gauge"), line
        seen_type.add(name)
    elif line.startswith("# HELP "):
        pass
    else:
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.e+]+)', line)
        assert m, "not a sample line: " + line
        assert m.group(1) in seen_type, "no TYPE before " + line
text = open(sys.argv[1]).read()
assert 'ctnic_card_port_rx_packets_total{port="0"} 6' in text
assert 'ctnic_daemon_late_total{action="translated"}' in text
assert 'ctnic_daemon_table_connections 2' in text
EOF
}
check "stats_o_prometheus_is_the_text_exposition_format" prometheus_valid
run promwrong -o prometheus device
check "o_prometheus_for_another_command_is_a_usage_error" rc_is promwrong 2

# ---- device
run device device
check "device_shows_id_version_capacities" bash -c "grep -q '^id        0x43544e43 (CTNC)$' $w/device.out && grep -q '^ports     2 network ports$' $w/device.out"
check "device_is_the_simulated_card" grep -q '^device    sim:/tmp/ctnic-replay-[^ ]*/sim.sock' "$w/device.out"
run regs device regs
check "device_regs_prints_registers_by_name" bash -c "grep -qE '^ID +0x0000 +0x43544e43$' $w/regs.out && grep -qE '^CAP_PORTS +0x0040 +0x00000002$' $w/regs.out"
# The replay left the simulated card's tick to TICK_ADVANCE alone, and its aging on.
check "device_regs_show_the_cards_aging_on_and_its_tick_period_0" \
  bash -c "grep -qE '^AGING_CTRL +0x0200 +0x00000001$' $w/regs.out && grep -qE '^TICK_PERIOD +0x0018 +0x00000000$' $w/regs.out"

# ---- nat
run natlist nat list
check "nat_list_prints_iptables_save_text" bash -c "[ \"\$(cat $w/natlist.rc)\" = 0 ] && grep -q '^\\*nat$' $w/natlist.out && grep -q -- '--to-destination 203.0.113.5:8080' $w/natlist.out"
nat_round_trip() {
  run natadd nat add -A PREROUTING -d 198.51.100.81/32 -p tcp -j DNAT --to-destination 203.0.113.6:8080 &&
    rc_is natadd 0 && run natlist2 nat list && out_has natlist2 '198\.51\.100\.81' &&
    run natdel nat delete -A PREROUTING -d 198.51.100.81/32 -p tcp -j DNAT --to-destination 203.0.113.6:8080 &&
    rc_is natdel 0 && run natlist3 nat list && ! grep -q '198\.51\.100\.81' "$w/natlist3.out" &&
    "$CTL" -s "$SOCK" nat list >"$w/saved.rules" && run natload nat load "$w/saved.rules" && rc_is natload 0 &&
    run natlist4 nat list && cmp -s "$w/saved.rules" "$w/natlist4.out"
}
check "nat_add_list_delete_load_round_trip" nat_round_trip
run natdelnone nat delete -A PREROUTING -d 198.51.100.99/32 -p tcp -j DNAT --to-destination 203.0.113.9:8080
check "nat_delete_of_a_rule_not_there_refused_exit_1" bash -c "[ \"\$(cat $w/natdelnone.rc)\" = 1 ] && grep -q 'no such rule' $w/natdelnone.err"
printf '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-mark 1\nCOMMIT\n' >"$w/bad.rules"
run natbad nat load "$w/bad.rules"
check "nat_load_of_a_bad_ruleset_refused_exit_1" rc_is natbad 1
run natnofile nat load "$w/no-such.rules"
check "nat_load_of_a_missing_file_exit_1_naming_it" bash -c "[ \"\$(cat $w/natnofile.rc)\" = 1 ] && grep -q no-such.rules $w/natnofile.err"
run natnorule nat add PREROUTING -j ACCEPT
check "nat_add_without_A_is_a_usage_error" rc_is natnorule 2

# ---- events, and conn delete and flush (last: they change the table)
"$CTL" -s "$SOCK" events >"$w/events.out" 2>"$w/events.err" &
E_PID=$!
"$CTL" -s "$SOCK" -o json events -p udp >"$w/events-json.out" 2>"$w/events-json.err" &
EJ_PID=$!
sleep 0.5
run del conn delete -p tcp --port 8080
check "conn_delete_by_filter_ends_the_connection" bash -c "[ \"\$(cat $w/del.rc)\" = 0 ] && grep -q '1 flow entries have been deleted' $w/del.err"
run after conn list
check "conn_delete_left_the_other_connection" bash -c "[ \"\$(grep -c . $w/after.out)\" = 1 ] && grep -q '^udp ' $w/after.out"
run statsafter stats
check "stats_count_the_ended_connection_and_its_lingering_binding" bash -c "grep -q '^daemon.conn_end = 1$' $w/statsafter.out && grep -q '^daemon.table.linger = 1$' $w/statsafter.out"
run flush conn flush
run empty conn list
check "conn_flush_empties_the_table" bash -c "[ \"\$(cat $w/flush.rc)\" = 0 ] && [ ! -s $w/empty.out ] && grep -q 'emptied' $w/flush.err"
sleep 0.5
kill -INT "$E_PID" "$EJ_PID" 2>/dev/null
wait "$E_PID"; erc=$?
wait "$EJ_PID"; ejrc=$?
events_text() {
  [ $erc = 0 ] && grep -qE '^\[DESTROY\] tcp +6 src=192\.0\.2\.10 dst=198\.51\.100\.80 sport=40000 dport=80 .*src=203\.0\.113\.5 .*\(deleted\)$' "$w/events.out" &&
    grep -qE '^\[DESTROY\] udp +17 src=192\.0\.2\.20 ' "$w/events.out" ||
    { sed 's/^/# events: /' "$w/events.out" "$w/events.err"; return 1; }
}
check "events_prints_conntrack_E_lines_for_delete_and_flush" events_text
events_json() {
  [ $ejrc = 0 ] && python3 - "$w/events-json.out" <<'EOF'
import json, sys
evs = [json.loads(line) for line in open(sys.argv[1])]
assert evs and all(e["proto"] == "udp" for e in evs), evs
assert any(e["type"] == "DESTROY" for e in evs), evs
EOF
}
check "events_o_json_with_a_filter_gives_only_the_matching_events" events_json

# ---- the protocol itself: malformed requests get an error and the daemon carries on
malformed() {
  python3 - "$SOCK" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
bad = [b"not json", b"[1,2]", b"{}", b'{"cmd":5}', b'{"cmd":"conn list","proto":7}',
       b'{"cmd":"timeout set","name":"nf_conntrack_tcp_timeout_close_wait","value":-1}',
       b'{"cmd":"conn delete"}', b'{"cmd":"no such thing"}', b"\xff\xfe garbage", b"x" * 70000]
for line in bad:
    f.write(line + b"\n"); f.flush()
    a = json.loads(f.readline())
    assert a["ok"] is False and a["error"], (line[:40], a)
f.write(b'{"cmd":"device","id":7}\n'); f.flush()
a = json.loads(f.readline())
assert a["ok"] and a["id"] == 7 and a["result"]["id_text"] == "CTNC", a
EOF
}
check "malformed_requests_answered_with_errors_the_daemon_carries_on" malformed

# ---- usage
run help --help
check "help_lists_every_command" bash -c "[ \"\$(cat $w/help.rc)\" = 0 ] && for c in conn events timeout nat stats device; do grep -q \"^  \$c \" $w/help.out || exit 1; done"
helps() { for c in "conn" "conn list" "events" "timeout" "nat" "stats" "device" "device regs"; do
  "$CTL" -s "$SOCK" $c --help >"$w/h.out" 2>&1 || { echo "# $c --help failed"; return 1; }
  grep -q '^usage: ctnicctl' "$w/h.out" || { echo "# $c --help: no usage"; return 1; }
done; }
check "every_command_has_help" helps
run unknown frobnicate
check "unknown_command_exit_2" bash -c "[ \"\$(cat $w/unknown.rc)\" = 2 ] && grep -q frobnicate $w/unknown.err"
run nocmd
check "no_command_exit_2" rc_is nocmd 2
run badout -o yaml stats
check "bad_output_format_exit_2" rc_is badout 2
nodaemon() { "$CTL" -s "$w/none.sock" device >/dev/null 2>"$w/nd.err"; [ $? = 1 ] && grep -q 'is ctnicd running' "$w/nd.err"; }
check "no_daemon_exit_1_with_a_hint" nodaemon

# ---- permissions: root or the ctnic group only
perm() {
  command -v runuser >/dev/null || return 2
  [ "$(id -u)" = 0 ] || return 2
  runuser -u nobody -- "$CTL" -s "$SOCK" device >/dev/null 2>"$w/perm.err"
  [ $? = 1 ] && grep -q "root and the 'ctnic' group only" "$w/perm.err"
}
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null && runuser -u nobody -- test -x "$CTL"; then
  check "a_user_outside_root_and_ctnic_is_refused" perm
else
  skip "a_user_outside_root_and_ctnic_is_refused" "needs root, runuser, and ctnicctl executable by nobody"
fi
# ---- the ctnicd program itself, on a simulated card (ctnic-sim; no traffic reaches its ports: the
# static flow only)
SIM_SOCK=$w/sim.sock
"$B/sim/ctnic-sim/ctnic-sim" --socket "$SIM_SOCK" 2>"$w/ctnic-sim.log" &
S_PID=$!
for _ in $(seq 1 300); do [ -S "$SIM_SOCK" ] && break; kill -0 $S_PID 2>/dev/null || break; sleep 0.1; done
D2=$w/ctnicd.sock
"$B/host/ctnicd" --device "sim:$SIM_SOCK" --config "$w/gw.conf" --socket "$D2" 2>"$w/ctnicd.log" &
C_PID=$!
for _ in $(seq 1 300); do [ -S "$D2" ] && break; kill -0 $C_PID 2>/dev/null || break; sleep 0.1; done
# Each output read whole first: grep -q leaving early would hand ctnicctl a SIGPIPE.
ctnicd_program() {
  "$CTL" -s "$D2" conn list >"$w/d-list.out" 2>"$w/d-list.err" && grep -qE "$UDP_RE" "$w/d-list.out" &&
    grep -q "^device    sim:$SIM_SOCK" <<<"$("$CTL" -s "$D2" device)" &&
    [ "$("$CTL" -s "$D2" timeout list | grep -c ' = ')" = 16 ] &&
    grep -q '^daemon.table.connections = 1$' <<<"$("$CTL" -s "$D2" stats)" &&
    grep -q '^\*nat$' <<<"$("$CTL" -s "$D2" nat list)" &&
    grep -q '^ctnic_daemon_table_connections 1$' <<<"$("$CTL" -s "$D2" stats -o prometheus)" &&
    grep -qE '^AGING_CTRL +0x0200 +0x00000001$' <<<"$("$CTL" -s "$D2" device regs)" ||
    { sed 's/^/# ctnicd: /' "$w/ctnicd.log" "$w/d-list.err" | tail -5; return 1; }
}
check "ctnicd_program_on_the_simulated_card_answers_every_command" ctnicd_program
kill -TERM $C_PID 2>/dev/null
wait $C_PID 2>/dev/null
check "ctnicd_program_stops_and_removes_its_socket" test ! -e "$D2"
kill -TERM $S_PID 2>/dev/null
wait $S_PID 2>/dev/null
echo "1..$n"
