#!/usr/bin/env bash
# make bench-replay: how fast ctnic-replay runs recorded traffic through the
# model card and ctnicd's core (run it in a plain, optimised build), and
# through the simulated card (--backend sim: the RTL in ctnic-sim). A seeded
# random mix (tests/replay/mixgen.py: TCP and UDP connections over an hour of
# device time) is replayed once on each; prints, never asserts:
#   replay_frames_per_s: N          input frames per wall-clock second (model)
#   replay_device_s_per_s: N        seconds of capture replayed per wall-clock second (model)
#   replay_sim_frames_per_s: N      the same on the simulated card (a smaller mix)
#   replay_sim_device_s_per_s: N
#   replay_sim_s_per_aging_tick: N  wall seconds per tick at which the card's aging ran (sim)
#   tests/replay/bench-replay.sh BUILD_DIR [CONNECTIONS (20000)] [SEED (1)] [SIM_CONNECTIONS (50)]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:?usage: tests/replay/bench-replay.sh BUILD_DIR [CONNECTIONS] [SEED] [SIM_CONNECTIONS]}
conns=${2:-20000} seed=${3:-1} sim_conns=${4:-50}
w=$(mktemp -d /tmp/ctnic-bench-replay.XXXXXX)
trap 'rm -rf "$w"' EXIT
# bench BACKEND CONNECTIONS PREFIX: one replay of a mix, its rates printed as PREFIX_*
bench() {
  local be=$1 n=$2 pre=$3 start end frames device ticks
  python3 tests/replay/mixgen.py "$seed" "$w/in0.pcap" "$w/in1.pcap" "$n"
  start=$(date +%s.%N)
  "$B/tools/replay/ctnic-replay" --backend "$be" --config tests/replay/story-dnat.conf --in 0="$w/in0.pcap" \
    --in 1="$w/in1.pcap" --out 0="$w/out0.pcap" --out 1="$w/out1.pcap" >"$w/replay.txt" 2>"$w/replay.err" ||
    { cat "$w/replay.err" >&2; exit 1; }
  end=$(date +%s.%N)
  frames=$(sed -nE 's/^replay: ([0-9]+) frames in, device time ([0-9.]+) s.*/\1/p' "$w/replay.txt")
  device=$(sed -nE 's/^replay: ([0-9]+) frames in, device time ([0-9.]+) s.*/\2/p' "$w/replay.txt")
  ticks=$(sed -nE "s/^replay: the simulated card's clock ran for its aging at ([0-9]+) ticks$/\1/p" "$w/replay.txt")
  echo "# $be: $n connections (seed $seed), $frames frames, $device s of device time${ticks:+, aging ran at $ticks ticks}"
  awk -v f="$frames" -v d="$device" -v a="$start" -v b="$end" -v p="$pre" -v k="${ticks:-}" 'BEGIN {
    t = b - a; if (t <= 0) t = 1e-9
    printf "%s_frames_per_s: %.0f\n%s_device_s_per_s: %.0f\n", p, f / t, p, d / t
    if (k != "" && k > 0) printf "%s_s_per_aging_tick: %.2f\n", p, t / k }'
}
bench model "$conns" replay
bench sim "$sim_conns" replay_sim
