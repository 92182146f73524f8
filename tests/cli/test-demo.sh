#!/usr/bin/env bash
# make demo's script (tools/demo.sh) runs to completion, tells the story
# through the simulated card (ctnic's late FIN translated, the same as a
# correct gateway and as the reference model; the card's own aging ended the
# connection; Linux's late FIN leaked when a live Linux run was possible),
# and leaves no process or directory of its own behind. TAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
out=$(mktemp /tmp/ctnic-demo-test.XXXXXX)
trap 'rm -f "$out" "$out.rtl"' EXIT
before=$(ls -d /tmp/ctnic-demo-?????? 2>/dev/null | sort)
# ctnic-sim processes of ctnic-replay ('[-]' keeps pgrep from finding this line)
sims() { pgrep -f -- '[-]-socket /tmp/ctnic-replay-' | sort; }
sims_before=$(sims)

. tests/tap.sh
tools/demo.sh "$B" >"$out" 2>&1
rc=$?
check "demo_runs_to_completion" bash -c "[ $rc = 0 ] && tail -1 $out | grep -qx 'demo: done'"
[ $rc = 0 ] || tail -20 "$out" | sed 's/^/# /'
check "demo_ctnic_equals_a_correct_gateway" grep -q '^ctnic against a correct NAT gateway: SAME: 10 same' "$out"
check "demo_ctnic_late_fin_translated" grep -qE '^  6  .*192\.0\.2\.10\.40000 > 203\.0\.113\.5\.8080 \[F\.\] len 0( |$)' "$out"
check "demo_shows_the_connection_table_and_counters" \
  bash -c "grep -q '^daemon.late.translated = 2$' $out && grep -qE '^tcp +6 60 CLOSE_WAIT .*\\[HW_OFFLOAD\\]$' $out"
if grep -q '^     Linux gateway' "$out"; then
  check "demo_linux_column_shows_the_leaked_fin" \
    grep -qE '^  6  192\.0\.2\.10\.40000 > 198\.51\.100\.80\.80 \[F\.\] len 0 .*<== differs$' "$out"
else
  check "demo_shows_linuxs_recorded_result_when_no_live_run" grep -q 'as recorded in docs/linux-oracle.md' "$out"
fi
check "demo_runs_ctnic_on_the_simulated_card" \
  bash -c "grep -q '^=== ctnic: the same packets through ctnic-replay on the simulated card' $out &&
    grep -qE '^\([0-9]+ s of wall time for 120 s of device time\)$' $out"
grep -E '^\([0-9]+ s of wall time' "$out" | sed 's/^/# /'
check "demo_reference_model_and_rtl_card_send_the_same_packets" \
  grep -q '^ctnic on the reference model against ctnic on the RTL card: SAME: 10 same' "$out"
check "demo_the_cards_aging_ended_the_connection" \
  bash -c "grep -q \"^replay: the card's aging scanner: 1 flows retired\" $out && grep -q '^card.aging.expired = 1$' $out &&
    grep -q '^daemon.conn_expired = 1$' $out && grep -q '^daemon.removes = 0$' $out"
rtl_translates() {
  grep -A2 '^as the RTL sent it out of port 1' "$out" >"$out.rtl"
  grep -q 'ttl 63' "$out.rtl" && grep -qE '192\.0\.2\.10\.40000 > 203\.0\.113\.5\.8080: Flags \[P\.\], cksum 0x[0-9a-f]+ \(correct\)' "$out.rtl"
}
check "demo_rtl_card_translates" rtl_translates
after=$(ls -d /tmp/ctnic-demo-?????? 2>/dev/null | sort)
check "demo_leaves_no_directory" test "$before" = "$after"
# The demo's processes are the ones serving sockets in its directory ('[-]' keeps pgrep from finding this line).
no_process() {
  ! pgrep -f -- '[-]-(socket|serve) /tmp/ctnic-demo-' >/dev/null &&
    [ -z "$(comm -13 <(echo "$sims_before") <(sims))" ]
}
check "demo_leaves_no_process" no_process
echo "1..$n"
