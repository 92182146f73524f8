#!/usr/bin/env bash
# The register map has one source (hw/regmap.json); its three outputs are
# generated and committed. These tests prove the stale check really fails
# when the source changes without regeneration, and that a broken source is
# refused without touching the outputs.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
tool=tools/regmap/regmap.py
n=0
fails=0
tap() { # tap STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A copy outside any git tree: --check then compares against the files on disk.
copy() {
	rm -rf "$tmp/w" && mkdir -p "$tmp/w/hw" "$tmp/w/driver/include" "$tmp/w/docs" "$tmp/w/tools/regmap"
	cp hw/regmap.json hw/ctnic_regs.vh "$tmp/w/hw/"
	cp driver/include/ctnic_regs.h "$tmp/w/driver/include/"
	cp docs/regmap.md "$tmp/w/docs/"
	cp $tool "$tmp/w/tools/regmap/"
}

python3 $tool --src hw/regmap.json --root . --check >"$tmp/out" 2>&1
tap $? "committed generated files match hw/regmap.json"

copy
sed -i 's/"reset": "0x00000100"/"reset": "0x00000101"/' "$tmp/w/hw/regmap.json"
grep -q 0x00000101 "$tmp/w/hw/regmap.json" || echo "# test setup: the edit did not apply"
(cd "$tmp/w" && python3 tools/regmap/regmap.py --src hw/regmap.json --root . --check) >"$tmp/out" 2>&1
rc=$?
ok=1
[ $rc -eq 1 ] && grep -q "hw/ctnic_regs.vh" "$tmp/out" && grep -q "driver/include/ctnic_regs.h" "$tmp/out" \
	&& grep -q "docs/regmap.md" "$tmp/out" && ok=0
[ $ok -eq 0 ] || sed 's/^/# /' "$tmp/out"
tap $ok "editing the register source without regenerating fails the stale check, naming each file"

(cd "$tmp/w" && python3 tools/regmap/regmap.py --src hw/regmap.json --root . &&
	python3 tools/regmap/regmap.py --src hw/regmap.json --root . --check) >"$tmp/out" 2>&1
rc=$?
ok=1
[ $rc -eq 0 ] && grep -q "32'h00000101" "$tmp/w/hw/ctnic_regs.vh" && grep -q "0x00000101u" "$tmp/w/driver/include/ctnic_regs.h" && ok=0
tap $ok "regenerating writes the new value into every output and clears the check"

copy
before=$(cat "$tmp/w/hw/ctnic_regs.vh" "$tmp/w/driver/include/ctnic_regs.h" "$tmp/w/docs/regmap.md" | md5sum)
python3 - "$tmp/w/hw/regmap.json" <<'PY'
import json, sys
p = sys.argv[1]
m = json.load(open(p))
m["registers"].append({"name": "OVERLAP", "offset": "0x0008", "access": "rw", "doc": "x"})
json.dump(m, open(p, "w"))
PY
(cd "$tmp/w" && python3 tools/regmap/regmap.py --src hw/regmap.json --root .) >"$tmp/out" 2>&1
rc=$?
after=$(cat "$tmp/w/hw/ctnic_regs.vh" "$tmp/w/driver/include/ctnic_regs.h" "$tmp/w/docs/regmap.md" | md5sum)
ok=1
[ $rc -eq 2 ] && grep -q "OVERLAP overlaps SCRATCH at 0x0008" "$tmp/out" && [ "$before" = "$after" ] && ok=0
[ $ok -eq 0 ] || sed 's/^/# /' "$tmp/out"
tap $ok "an overlapping register is refused with its name and nothing is written"

copy
echo '{ "registers": [ ' >"$tmp/w/hw/regmap.json"
(cd "$tmp/w" && python3 tools/regmap/regmap.py --src hw/regmap.json --root .) >"$tmp/out" 2>&1
rc=$?
after=$(cat "$tmp/w/hw/ctnic_regs.vh" "$tmp/w/driver/include/ctnic_regs.h" "$tmp/w/docs/regmap.md" | md5sum)
ok=1
[ $rc -eq 2 ] && grep -q "regmap.json" "$tmp/out" && [ "$before" = "$after" ] && ok=0
tap $ok "malformed JSON in the register source is refused and nothing is written"

echo "1..$n"
exit $((fails > 0))
