#!/usr/bin/env bash
# Runs verilator --lint-only -Wall on the RTL and reports it as one TAP line,
# so `make test` gates on lint. Output of verilator goes to the log.
cd "$(dirname "$0")/.." || exit 1
out=$(make --no-print-directory lint 2>&1)
rc=$?
printf '%s\n' "$out"
if [ $rc -eq 0 ] && ! grep -q '%Warning\|%Error' <<<"$out"; then
	echo "ok 1 - rtl_lint_verilator_wall_clean"
else
	echo "not ok 1 - rtl_lint_verilator_wall_clean"
fi
