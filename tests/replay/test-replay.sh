#!/usr/bin/env bash
# ctnic-replay: the story of shared/design.md through the card and ctnicd's
# core, held against what a correct NAT gateway sends (ctnic-story-gen
# --expect0/--expect1, compared with ctnic-pcapdiff): no leak in any scenario;
# the same replay twice gives the same bytes; the device clock follows the
# capture; usage errors. Then the same through the simulated card (the RTL
# in ctnic-sim, --backend sim): every scenario against the correct gateway
# and against the model (the same packets in the same order on every port),
# the card's own aging ending the connections (its AGING_EXPIRED, no
# software removal, the linger memory counted from the card's expiry to the
# millisecond), byte-identical reruns, a seeded random mix. TAP on stdout.
#
#   tests/replay/test-replay.sh [SEED]     (or CTNIC_SEED=N): the random gaps and mixes
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
GEN=$B/tools/gen/ctnic-story-gen
REPLAY=$B/tools/replay/ctnic-replay
DIFF=$B/tools/pcapdiff/ctnic-pcapdiff
CONF=tests/replay
w=$(mktemp -d /tmp/ctnic-replay-test.XXXXXX)
trap 'rm -rf "$w"' EXIT

seed=${1:-${CTNIC_SEED:-$(date +%s)}}
echo "# seed $seed (replay: $0 $seed)"
RANDOM=$seed

. tests/tap.sh

# gen DIR SCENARIO [ctnic-story-gen options]: the story's inputs and expected outputs in DIR
gen() {
  local d=$1 sc=$2; shift 2
  local args=(--scenario "$sc")
  mkdir -p "$d"
  case $sc in
    snat) args=(--scenario snat --snat 203.0.113.1) ;;
    masquerade) args=(--scenario snat --snat 198.51.100.1) ;;
  esac
  "$GEN" "${args[@]}" "$@" --out0 "$d/in0.pcap" --out1 "$d/in1.pcap" \
    --expect0 "$d/expect0.pcap" --expect1 "$d/expect1.pcap" >/dev/null
}
# replay DIR SCENARIO OUTDIR [options]: the story of DIR through ctnic into OUTDIR/out0.pcap, out1.pcap
replay() {
  local d=$1 sc=$2 o=$3; shift 3
  mkdir -p "$o"
  "$REPLAY" --config "$CONF/story-$sc.conf" --in 0="$d/in0.pcap" --in 1="$d/in1.pcap" \
    --out 0="$o/out0.pcap" --out 1="$o/out1.pcap" "$@" >"$o/stdout" 2>"$o/stderr"
}
# same_as_expected DIR OUTDIR: ctnic-pcapdiff finds every packet as a correct gateway sends it
same_as_expected() {
  "$DIFF" --names expect,ctnic 0="$1/expect0.pcap,$2/out0.pcap" 1="$1/expect1.pcap,$2/out1.pcap" >"$2/diff" 2>&1 ||
    { sed 's/^/# /' "$2/diff"; return 1; }
}
identical() { cmp -s "$1/out0.pcap" "$2/out0.pcap" && cmp -s "$1/out1.pcap" "$2/out1.pcap"; }
# has_addr PCAP ADDR: a packet carries ADDR as source or destination
# (tcpdump's output is read whole before grep: with pipefail, grep -q leaving early would fail the pipe)
has_addr() { local t; t=$(tcpdump -nn -r "$1" 2>/dev/null); grep -qE "(IP |> )${2//./\\.}\\.[0-9]+[ :]" <<<"$t"; }
stat_is() { grep -qx "$2 = $3" "$1/stdout"; }

for sc in dnat snat masquerade; do
  gen "$w/$sc" "$sc"
  replay "$w/$sc" "$sc" "$w/$sc/a"
  check "story_${sc}_late_fin_leaves_translated_as_a_correct_gateway_sends_it" same_as_expected "$w/$sc" "$w/$sc/a"
  replay "$w/$sc" "$sc" "$w/$sc/b"
  check "story_${sc}_same_replay_twice_gives_identical_bytes" identical "$w/$sc/a" "$w/$sc/b"
  check "story_${sc}_late_packets_counted_as_translated_by_linger" stat_is "$w/$sc/a" daemon.late.translated 2
  check "story_${sc}_connection_expired_in_close_wait" stat_is "$w/$sc/a" daemon.conn_expired 1
done
# What each scenario hides never leaves where it must not be seen.
hidden() { ! has_addr "$1" "$2"; }
check "story_dnat_service_address_never_on_server_side" hidden "$w/dnat/a/out1.pcap" 198.51.100.80
check "story_dnat_target_never_on_client_side" hidden "$w/dnat/a/out0.pcap" 203.0.113.5
check "story_snat_client_address_never_on_server_side" hidden "$w/snat/a/out1.pcap" 192.0.2.10
check "story_masquerade_client_address_never_on_server_side" hidden "$w/masquerade/a/out1.pcap" 192.0.2.10

# Any gap up to CLOSE_WAIT (60 s) + linger (120 s): the late FIN is translated.
gap=$((1 + RANDOM % 175))
gen "$w/gap" dnat --gap "$gap"
replay "$w/gap" dnat "$w/gap/a"
check "random_gap_${gap}s_late_fin_translated" same_as_expected "$w/gap" "$w/gap/a"

# A seeded random hour of TCP and UDP connections (timeouts, FIN, RST, late packets): the same
# bytes on every run, and no TCP packet ever leaves with an address the DNAT hides.
python3 tests/replay/mixgen.py "$seed" "$w/mix-in0.pcap" "$w/mix-in1.pcap" 200
mkdir -p "$w/mix"
mix_run() {
  "$REPLAY" --config "$CONF/story-dnat.conf" --in 0="$w/mix-in0.pcap" --in 1="$w/mix-in1.pcap" \
    --out 0="$w/mix/$1-0.pcap" --out 1="$w/mix/$1-1.pcap" >"$w/mix/$1.txt" 2>&1
}
mix_run a
mix_run b
mix_identical() {
  [ -s "$w/mix/a-1.pcap" ] && cmp -s "$w/mix/a-0.pcap" "$w/mix/b-0.pcap" && cmp -s "$w/mix/a-1.pcap" "$w/mix/b-1.pcap" &&
    diff -q <(grep -v "^replay: .* to " "$w/mix/a.txt") <(grep -v "^replay: .* to " "$w/mix/b.txt") >/dev/null
}
check "random_mix_seed_${seed}_same_replay_twice_gives_identical_bytes_and_statistics" mix_identical
mix_no_leak() {
  [ -z "$(tcpdump -nn -r "$w/mix/a-1.pcap" 'tcp and dst host 198.51.100.80' 2>/dev/null)" ] &&
    [ -z "$(tcpdump -nn -r "$w/mix/a-0.pcap" 'tcp and src host 203.0.113.5' 2>/dev/null)" ] &&
    grep -q '^daemon.late.translated = [1-9]' "$w/mix/a.txt"
}
check "random_mix_seed_${seed}_late_packets_translated_none_leaked" mix_no_leak

# Past the linger time the late FIN and the server's answer are dropped and counted, never leaked.
gen "$w/long" dnat --gap 400
replay "$w/long" dnat "$w/long/a"
never_leaked_after_linger() {
  [ "$(tcpdump -nn -r "$w/long/a/out1.pcap" 2>/dev/null | wc -l)" = 5 ] &&
    [ "$(tcpdump -nn -r "$w/long/a/out0.pcap" 2>/dev/null | wc -l)" = 3 ] &&
    ! has_addr "$w/long/a/out1.pcap" 198.51.100.80 && stat_is "$w/long/a" daemon.late.dropped 2
}
check "late_fin_after_linger_dropped_and_counted_never_leaked" never_leaked_after_linger

# Outputs carry the device time each frame left: the capture's clock, 120.011 s for the late FIN.
late_fin_at_capture_time() {
  local t0 t9
  t0=$(tcpdump -nn -tt -r "$w/dnat/in0.pcap" 2>/dev/null | awk 'NR==1 { print $1 }')
  t9=$(tcpdump -nn -tt -r "$w/dnat/a/out1.pcap" 2>/dev/null | awk '/Flags \[F\.\]/ { print $1 }')
  awk -v a="$t0" -v b="$t9" 'BEGIN { d = b - a; exit !(d > 120.0105 && d < 120.0115) }'
}
check "outputs_carry_device_time_following_the_capture" late_fin_at_capture_time

# --conn prints conntrack -L lines: a short gap leaves the connection in TIME_WAIT.
gen "$w/short" dnat --gap 1
replay "$w/short" dnat "$w/short/a" --conn
conn_line() {
  grep -qE '^tcp +6 [0-9]+ TIME_WAIT src=192\.0\.2\.10 dst=198\.51\.100\.80 sport=40000 dport=80 .*src=203\.0\.113\.5 dst=192\.0\.2\.10 sport=8080 dport=40000.* \[ASSURED\]' \
    "$w/short/a/stdout" || { sed 's/^/# /' "$w/short/a/stdout" | tail -5; return 1; }
}
check "conn_prints_conntrack_L_lines" conn_line

# REDIRECT: the proxy is the host stack (--in host / --out host); nothing leaves port 1, and what
# reaches the proxy and the client is the story translated (TTL and MACs are a local delivery's).
gen "$w/redirect" redirect
mkdir -p "$w/redirect/a"
"$REPLAY" --config "$CONF/story-redirect.conf" --in 0="$w/redirect/in0.pcap" --in host="$w/redirect/in1.pcap" \
  --out 0="$w/redirect/a/out0.pcap" --out 1="$w/redirect/a/port1.pcap" --out host="$w/redirect/a/out1.pcap" \
  >"$w/redirect/a/stdout" 2>&1
redirect_ok() {
  [ "$(tcpdump -nn -r "$w/redirect/a/port1.pcap" 2>/dev/null | wc -l)" = 0 ] &&
    "$DIFF" --ignore ip.ttl,ip.csum,eth.src,eth.dst 0="$w/redirect/expect0.pcap,$w/redirect/a/out0.pcap" \
      1="$w/redirect/expect1.pcap,$w/redirect/a/out1.pcap" >/dev/null
}
check "story_redirect_late_fin_reaches_the_proxy_nothing_leaves_port_1" redirect_ok

# Usage: errors to stderr, exit 2; an unreadable input exits 1 and writes no output.
exits() { local want=$1; shift; "$@" >"$w/u.out" 2>"$w/u.err"; [ $? = "$want" ]; }
check "help_exits_0" exits 0 "$REPLAY" --help
check "no_config_exits_2" exits 2 "$REPLAY" --in 0="$w/dnat/in0.pcap"
check "bad_port_exits_2" exits 2 "$REPLAY" --config "$CONF/story-dnat.conf" --in 16="$w/dnat/in0.pcap"
check "bad_backend_exits_2" exits 2 "$REPLAY" --config "$CONF/story-dnat.conf" --backend fpga
bad_config() {
  printf 'port 0 lan 192.0.2.1/24\nbogus line\n' >"$w/bad.conf"
  "$REPLAY" --config "$w/bad.conf" 2>"$w/bad.err"
  [ $? = 2 ] && grep -q 'bad.conf:2' "$w/bad.err"
}
check "bad_config_line_exits_2_naming_it" bad_config
missing_input() {
  "$REPLAY" --config "$CONF/story-dnat.conf" --in 0="$w/none.pcap" --out 0="$w/m.pcap" 2>"$w/m.err"
  [ $? = 1 ] && [ ! -e "$w/m.pcap" ] && [ ! -e "$w/m.pcap.tmp" ] && grep -q none.pcap "$w/m.err"
}
check "missing_input_exits_1_and_writes_nothing" missing_input

# ---- the simulated card (--backend sim): the RTL in a ctnic-sim of ctnic-replay's own
# same_packets A B: the same packets in the same order on both ports (timestamps aside)
same_packets() {
  "$DIFF" --names model,sim 0="$1/out0.pcap,$2/out0.pcap" 1="$1/out1.pcap,$2/out1.pcap" >"$2/vs-model" 2>&1 ||
    { sed 's/^/# /' "$2/vs-model"; return 1; }
}
# card_aged OUT: the connection ended by the card's aging scanner (an EXPIRY event), not by a
# software sweep (which would count a removal), in CLOSE_WAIT after its 60 s
card_aged() {
  stat_is "$1" card.aging.expired 1 && stat_is "$1" daemon.conn_expired 1 && stat_is "$1" daemon.removes 0 ||
    { grep -E "aging|conn_expired|removes" "$1/stdout" | sed 's/^/# /'; return 1; }
}
# the same statistics as the model's (the report's own lines, the output paths and the aging
# scanner's passes aside: the model makes a pass whenever time moves, the RTL one a record a clock)
same_stats() {
  diff <(grep -v -e '^replay: ' -e '^card\.aging\.passes = ' "$1/stdout") \
       <(grep -v -e '^replay: ' -e '^card\.aging\.passes = ' "$2/stdout") | sed 's/^/# /' | head -10
  [ "${PIPESTATUS[0]}" = 0 ]
}
for sc in dnat snat masquerade; do
  replay "$w/$sc" "$sc" "$w/$sc/sim" --backend sim
  check "sim_story_${sc}_late_fin_leaves_translated_as_a_correct_gateway_sends_it" same_as_expected "$w/$sc" "$w/$sc/sim"
  check "sim_story_${sc}_backends_give_the_same_packets_in_the_same_order" same_packets "$w/$sc/a" "$w/$sc/sim"
  check "sim_story_${sc}_the_card_ended_the_connection_by_its_own_aging" card_aged "$w/$sc/sim"
  check "sim_story_${sc}_late_packets_counted_as_translated_by_linger" stat_is "$w/$sc/sim" daemon.late.translated 2
  check "sim_story_${sc}_same_statistics_as_the_model" same_stats "$w/$sc/a" "$w/$sc/sim"
done
check "sim_story_dnat_service_address_never_on_server_side" hidden "$w/dnat/sim/out1.pcap" 198.51.100.80
check "sim_story_dnat_target_never_on_client_side" hidden "$w/dnat/sim/out0.pcap" 203.0.113.5
check "sim_story_snat_client_address_never_on_server_side" hidden "$w/snat/sim/out1.pcap" 192.0.2.10
check "sim_story_masquerade_client_address_never_on_server_side" hidden "$w/masquerade/sim/out1.pcap" 192.0.2.10
replay "$w/dnat" dnat "$w/dnat/sim2" --backend sim
check "sim_same_replay_twice_gives_identical_bytes" identical "$w/dnat/sim" "$w/dnat/sim2"

# Timestamps: the device time each frame left, the model's plus the pipeline's time (under 1 ms).
sim_device_time() {
  paste <(tcpdump -nn -tt -r "$w/dnat/a/out1.pcap" 2>/dev/null | awk '{ print $1 }') \
        <(tcpdump -nn -tt -r "$w/dnat/sim/out1.pcap" 2>/dev/null | awk '{ print $1 }') >"$w/dnat/sim/times"
  [ "$(wc -l <"$w/dnat/sim/times")" = 6 ] &&
    awk '{ d = $2 - $1; if (d < 0 || d >= 0.001) bad = 1 } END { exit bad }' "$w/dnat/sim/times" &&
    sort -c -n "$w/dnat/sim/times" 2>/dev/null || { sed 's/^/# model sim: /' "$w/dnat/sim/times"; return 1; }
}
check "sim_outputs_carry_device_time_the_models_plus_the_pipelines" sim_device_time

# The linger memory starts when the card retires the connection (60.011 s: CLOSE_WAIT's 60 s after
# the client's ACK at 0.011 s, the last packet the card saw) and lasts linger-time (120 s): a late
# FIN 179.999 s after that ACK is translated, one at 180.000 s is dropped (and so is the server's
# ACK 1 ms later in both), on both cards. A card that retired it late, at the next packet, would
# translate both.
linger_edge() { # GAP TRANSLATED DROPPED
  local d=$w/edge-$1
  gen "$d" dnat --gap "$1"
  replay "$d" dnat "$d/model" && replay "$d" dnat "$d/sim" --backend sim &&
    stat_is "$d/model" daemon.late.translated "$2" && stat_is "$d/model" daemon.late.dropped "$3" &&
    stat_is "$d/sim" daemon.late.translated "$2" && stat_is "$d/sim" daemon.late.dropped "$3" &&
    same_packets "$d/model" "$d/sim" && ! has_addr "$d/sim/out1.pcap" 198.51.100.80 ||
    { grep -hE '^daemon\.late\.(translated|dropped)' "$d/model/stdout" "$d/sim/stdout" | sed 's/^/# /'; return 1; }
}
check "sim_linger_from_the_cards_expiry_late_fin_at_179.999s_translated" linger_edge 179.999 1 1
check "sim_linger_from_the_cards_expiry_late_fin_at_180.000s_dropped" linger_edge 180 0 2

# Past the linger time the late FIN and the server's answer are dropped and counted, never leaked.
replay "$w/long" dnat "$w/long/sim" --backend sim
sim_long() {
  same_packets "$w/long/a" "$w/long/sim" && stat_is "$w/long/sim" daemon.late.dropped 2 &&
    ! has_addr "$w/long/sim/out1.pcap" 198.51.100.80
}
check "sim_late_fin_after_linger_dropped_and_counted_never_leaked" sim_long

# SNAT, MASQUERADE and REDIRECT past the linger time too, on both cards: the late FIN and the
# answer to it dropped and counted (as for DNAT above), the client's address never on the server
# network, nothing for the REDIRECT's proxy (the host stack) but the connection's five frames.
for sc in snat masquerade; do
  gen "$w/long-$sc" "$sc" --gap 400
  for be in model sim; do
    replay "$w/long-$sc" "$sc" "$w/long-$sc/$be" --backend $be
    past_linger() {
      [ "$(tcpdump -nn -r "$1/out1.pcap" 2>/dev/null | wc -l)" = 5 ] && stat_is "$1" daemon.late.dropped 2 &&
        stat_is "$1" daemon.late.translated 0 && ! has_addr "$1/out1.pcap" 192.0.2.10
    }
    check "${be}_story_${sc}_after_linger_late_fin_dropped_and_counted_never_leaked" past_linger "$w/long-$sc/$be"
  done
done
gen "$w/long-redirect" redirect --gap 400
for be in model sim; do
  o=$w/long-redirect/$be
  mkdir -p "$o"
  "$REPLAY" --backend $be --config "$CONF/story-redirect.conf" --in 0="$w/long-redirect/in0.pcap" \
    --in host="$w/long-redirect/in1.pcap" --out 0="$o/out0.pcap" --out 1="$o/port1.pcap" --out host="$o/host.pcap" \
    >"$o/stdout" 2>&1
  past_linger_redirect() {
    [ "$(tcpdump -nn -r "$1/port1.pcap" 2>/dev/null | wc -l)" = 0 ] &&
      [ "$(tcpdump -nn -r "$1/host.pcap" 2>/dev/null | wc -l)" = 5 ] &&
      stat_is "$1" daemon.late.dropped 2 && stat_is "$1" daemon.late.translated 0
  }
  check "${be}_story_redirect_after_linger_late_fin_dropped_and_counted_not_for_the_proxy" past_linger_redirect "$o"
done

# Any gap up to CLOSE_WAIT + linger: the late FIN translated, as by the model.
replay "$w/gap" dnat "$w/gap/sim" --backend sim
check "sim_random_gap_${gap}s_late_fin_translated" same_as_expected "$w/gap" "$w/gap/sim"
check "sim_random_gap_${gap}s_same_packets_as_the_model" same_packets "$w/gap/a" "$w/gap/sim"

# REDIRECT through the simulated card: the proxy is the host stack.
mkdir -p "$w/redirect/sim"
"$REPLAY" --backend sim --config "$CONF/story-redirect.conf" --in 0="$w/redirect/in0.pcap" --in host="$w/redirect/in1.pcap" \
  --out 0="$w/redirect/sim/out0.pcap" --out 1="$w/redirect/sim/port1.pcap" --out host="$w/redirect/sim/out1.pcap" \
  >"$w/redirect/sim/stdout" 2>&1
sim_redirect_ok() {
  [ "$(tcpdump -nn -r "$w/redirect/sim/port1.pcap" 2>/dev/null | wc -l)" = 0 ] &&
    "$DIFF" --names model,sim 0="$w/redirect/a/out0.pcap,$w/redirect/sim/out0.pcap" \
      1="$w/redirect/a/out1.pcap,$w/redirect/sim/out1.pcap" >/dev/null && card_aged "$w/redirect/sim"
}
check "sim_story_redirect_late_fin_reaches_the_proxy_as_on_the_model" sim_redirect_ok

# A seeded random mix (20 connections over an hour: timeouts, FIN, RST, late packets): the same
# packets in the same order and the same statistics as the model.
python3 tests/replay/mixgen.py "$seed" "$w/smix-in0.pcap" "$w/smix-in1.pcap" 20
mkdir -p "$w/smix/model" "$w/smix/sim"
for be in model sim; do
  "$REPLAY" --backend $be --audit --config "$CONF/story-dnat.conf" --in 0="$w/smix-in0.pcap" --in 1="$w/smix-in1.pcap" \
    --out 0="$w/smix/$be/out0.pcap" --out 1="$w/smix/$be/out1.pcap" >"$w/smix/$be/stdout" 2>"$w/smix/$be/stderr"
  echo $? >"$w/smix/$be/rc"
done
sim_mix() { [ -s "$w/smix/sim/out1.pcap" ] && same_packets "$w/smix/model" "$w/smix/sim" && same_stats "$w/smix/model" "$w/smix/sim"; }
check "sim_random_mix_seed_${seed}_same_packets_and_statistics_as_the_model" sim_mix
# The daemon's table is the RTL card's at the end: every key slot and flow record (ctnicctl audit).
sim_audit() {
  [ "$(cat "$w/smix/sim/rc")" = 0 ] &&
    grep -qx "replay: audit: 0 differences between the daemon's table and the card's" "$w/smix/sim/stdout" ||
    { grep -h audit "$w/smix/sim/stdout" "$w/smix/sim/stderr" | head -5 | sed 's/^/# /'; return 1; }
}
check "sim_random_mix_seed_${seed}_audit_finds_the_daemons_table_in_the_rtl_card" sim_audit

# A seeded churn of 40 connections (ctnic-story-gen --scenario churn: every kind of end, client
# ports reused, late FINs; timeouts whole rounds of 2 s): every packet as a correct gateway sends it
# and as the model does. Regression: connections whose last packet only the card saw (the
# daemon's last-seen older than the card's) once made the replay wait for an expiry the card
# rightly never made, because it judged them by the daemon's clock of before the step.
mkdir -p "$w/churn"
"$GEN" --scenario churn --conns 40 --seed "$seed" --conf "$w/churn.conf" --out0 "$w/churn/in0.pcap" \
  --out1 "$w/churn/in1.pcap" --expect0 "$w/churn/expect0.pcap" --expect1 "$w/churn/expect1.pcap" >/dev/null
for be in model sim; do
  mkdir -p "$w/churn/$be"
  "$REPLAY" --backend $be --config "$w/churn.conf" --in 0="$w/churn/in0.pcap" --in 1="$w/churn/in1.pcap" \
    --out 0="$w/churn/$be/out0.pcap" --out 1="$w/churn/$be/out1.pcap" >"$w/churn/$be/stdout" 2>"$w/churn/$be/stderr"
done
sim_churn() {
  [ -s "$w/churn/sim/out1.pcap" ] && same_as_expected "$w/churn" "$w/churn/sim" &&
    same_packets "$w/churn/model" "$w/churn/sim" && same_stats "$w/churn/model" "$w/churn/sim" &&
    stat_is "$w/churn/sim" daemon.table.connections 0 ||
    { grep -h 'ctnic-replay' "$w/churn/sim/stderr" | sed 's/^/# /' | cut -c1-300; return 1; }
}
check "sim_churn_seed_${seed}_of_40_connections_as_a_correct_gateway_and_the_model" sim_churn

# --serve on sim: ctnicctl reads the table of the RTL card; the --out files are written when
# serving ends (ctnic-sim completes them when it stops), the same bytes as without --serve.
sim_serve() {
  local d=$w/dnat/serve pid i
  mkdir -p "$d"
  "$REPLAY" --backend sim --config "$CONF/story-dnat.conf" --in 0="$w/dnat/in0.pcap" --in 1="$w/dnat/in1.pcap" \
    --out 0="$d/out0.pcap" --out 1="$d/out1.pcap" --serve "$d/ctl.sock" >"$d/stdout" 2>"$d/stderr" &
  pid=$!
  for i in $(seq 1 300); do [ -S "$d/ctl.sock" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  python3 - "$d/ctl.sock" >"$d/stats" <<'EOF2' || { kill $pid; wait $pid; return 1; }
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"stats"}\n')
print(json.loads(s.makefile().readline())["result"]["daemon"]["late"]["translated"])
EOF2
  [ ! -e "$d/out1.pcap" ] || { echo "# out1.pcap there while serving"; kill $pid; wait $pid; return 1; }
  kill -TERM $pid
  wait $pid || { sed 's/^/# /' "$d/stderr"; return 1; }
  [ "$(cat "$d/stats")" = 2 ] && identical "$w/dnat/sim" "$d"
}
check "sim_serve_answers_ctnicctl_then_writes_the_same_outputs_when_it_ends" sim_serve

# --audit: the daemon's table is the card's at the end (0 differences, exit 0).
audit_clean() {
  "$REPLAY" --audit --config "$CONF/story-dnat.conf" --in 0="$w/mix-in0.pcap" --in 1="$w/mix-in1.pcap" >"$w/audit.out" 2>&1 &&
    grep -qx "replay: audit: 0 differences between the daemon's table and the card's" "$w/audit.out"
}
check "audit_of_a_random_hour_finds_the_daemons_table_in_the_card" audit_clean

# Usage on sim: the card's size is ctnic-sim's; a port the card lacks is refused by ctnic-sim,
# and the replay fails saying so, with no output and nothing left behind.
check "sim_card_option_is_a_usage_error" exits 2 "$REPLAY" --backend sim --card flows=4096 --config "$CONF/story-dnat.conf"
sim_bad_port() {
  "$REPLAY" --backend sim --config "$CONF/story-dnat.conf" --in 0="$w/dnat/in0.pcap" --out 5="$w/p5.pcap" 2>"$w/p5.err"
  [ $? = 1 ] && grep -q 'ctnic-sim: --out 5=' "$w/p5.err" && [ ! -e "$w/p5.pcap" ] || { sed 's/^/# /' "$w/p5.err"; return 1; }
}
check "sim_port_the_card_lacks_refused_naming_it" sim_bad_port
sim_missing_program() {
  "$REPLAY" --backend sim --sim "$w/no-ctnic-sim" --config "$CONF/story-dnat.conf" --in 0="$w/dnat/in0.pcap" \
    --out 0="$w/m2.pcap" 2>"$w/m2.err"
  [ $? = 1 ] && grep -q 'no-ctnic-sim' "$w/m2.err" && [ ! -e "$w/m2.pcap" ]
}
check "sim_missing_ctnic_sim_exits_1_naming_it" sim_missing_program
# Every ctnic-sim these replays started is gone, and its directory too.
sim_cleaned_up() {
  local socks s
  socks=$(cat "$w"/*/sim/stderr "$w"/*/*/stdout "$w"/*/*/stderr "$w/p5.err" 2>/dev/null |
    grep -oE 'the simulated card: ctnic-sim \(pid [0-9]+\) on [^ ]+' | awk '{ print $NF }' | sort -u)
  [ -n "$socks" ] || { echo "# no replay said which ctnic-sim it started"; return 1; }
  for s in $socks; do
    [ ! -e "$(dirname "$s")" ] || { echo "# $(dirname "$s") is left"; return 1; }
    ! pgrep -f -- "--socket $s" >/dev/null || { echo "# a ctnic-sim on $s still runs"; return 1; }
  done
}
check "sim_backend_leaves_no_process_or_directory" sim_cleaned_up
echo "1..$n"
