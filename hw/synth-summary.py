#!/usr/bin/env python3
"""Reads a yosys log (synth_xilinx, then stat) and prints synth_luts,
synth_ffs and synth_bram36, each on its own line. A RAMB18 counts as half a
RAMB36."""
import re
import sys

text = open(sys.argv[1]).read()
# the last stat block is the final netlist
block = text[text.rfind("Printing statistics"):]
luts = ffs = 0
bram36 = 0.0
for m in re.finditer(r"^\s+(\S+)\s+(\d+)\s*$", block, re.M):
    cell, n = m.group(1), int(m.group(2))
    if re.fullmatch(r"LUT[1-6]", cell):
        luts += n
    elif re.fullmatch(r"FD[CEPRS]E?(_1)?", cell):
        ffs += n
    elif cell.startswith("RAMB36"):
        bram36 += n
    elif cell.startswith("RAMB18"):
        bram36 += n / 2
print(f"synth_luts: {luts}")
print(f"synth_ffs: {ffs}")
print(f"synth_bram36: {bram36:g}")
