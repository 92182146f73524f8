#!/usr/bin/env bash
# make demo's script (tools/demo.sh) runs to completion, tells the story
# (ctnic's late FIN translated, the same as a correct gateway; Linux's leaked
# when a live Linux run was possible), and leaves no process or directory of
# its own behind. TAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
out=$(mktemp /tmp/ctnic-demo-test.XXXXXX)
trap 'rm -f "$out"' EXIT
before=$(ls -d /tmp/ctnic-demo-?????? 2>/dev/null | sort)

n=0
check() {
  local name=$1; shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; echo "# failed: $*"; fi
}
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
check "demo_rtl_card_translates" grep -q 'as the RTL sent it out of port 1' "$out"
after=$(ls -d /tmp/ctnic-demo-?????? 2>/dev/null | sort)
check "demo_leaves_no_directory" test "$before" = "$after"
# The demo's processes are the ones serving sockets in its directory ('[-]' keeps pgrep from finding this line).
no_process() { ! pgrep -f -- '[-]-(socket|serve) /tmp/ctnic-demo-' >/dev/null; }
check "demo_leaves_no_process" no_process
echo "1..$n"
