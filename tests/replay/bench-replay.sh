#!/usr/bin/env bash
# make bench-replay: how fast ctnic-replay runs recorded traffic through the
# model card and ctnicd's core (run it in a plain, optimised build). A seeded
# random mix (tests/replay/mixgen.py: TCP and UDP connections over an hour of
# device time) is replayed once; prints, never asserts:
#   replay_frames_per_s: N          input frames per wall-clock second
#   replay_device_s_per_s: N        seconds of capture replayed per wall-clock second
#   tests/replay/bench-replay.sh BUILD_DIR [CONNECTIONS (20000)] [SEED (1)]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:?usage: tests/replay/bench-replay.sh BUILD_DIR [CONNECTIONS] [SEED]}
conns=${2:-20000} seed=${3:-1}
w=$(mktemp -d /tmp/ctnic-bench-replay.XXXXXX)
trap 'rm -rf "$w"' EXIT
python3 tests/replay/mixgen.py "$seed" "$w/in0.pcap" "$w/in1.pcap" "$conns"
start=$(date +%s.%N)
"$B/tools/replay/ctnic-replay" --config tests/replay/story-dnat.conf --in 0="$w/in0.pcap" --in 1="$w/in1.pcap" \
  --out 0="$w/out0.pcap" --out 1="$w/out1.pcap" >"$w/replay.txt"
end=$(date +%s.%N)
frames=$(sed -nE 's/^replay: ([0-9]+) frames in, device time ([0-9.]+) s.*/\1/p' "$w/replay.txt")
device=$(sed -nE 's/^replay: ([0-9]+) frames in, device time ([0-9.]+) s.*/\2/p' "$w/replay.txt")
echo "# $conns connections (seed $seed), $frames frames, $device s of device time"
awk -v f="$frames" -v d="$device" -v a="$start" -v b="$end" 'BEGIN {
  t = b - a; if (t <= 0) t = 1e-9
  printf "replay_frames_per_s: %.0f\nreplay_device_s_per_s: %.0f\n", f / t, d / t }'
