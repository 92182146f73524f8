# tests/tap.sh - TAP lines for the shell tests (docs/testing.md). Sourced from
# the top of the tree:
#   . tests/tap.sh
#   check NAME CMD...        ok when CMD succeeds, else not ok with the command
#   ok NAME; not_ok NAME [DIAGNOSTIC...]; skip NAME WHY
# n counts the lines so far (the plan "1..$n" at the end), failed the not oks.
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
  local l
  for l in "$@"; do echo "# $l"; done
}
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
