#!/usr/bin/env bash
# test-live-many.sh with the RTL card as the gateway (ctnic-sim with its DMA
# rings on TAP ports, ctnicd on sim:), at the size make test can afford:
# N connections (default 200) open at once, each used and closed, each seen
# in the card while open. Without the full audit (every key slot and flow
# record of the card read back over BAR0: minutes through ctnic-sim);
# `make test-live-many-sim` runs all 1,000 connections with it
# (docs/live.md). Usage: test-live-many-rtl.sh [SEED [N]]
CTNIC_LIVE_CARD=sim CTNIC_LIVE_MANY_AUDIT=0 exec bash "$(dirname "$0")/test-live-many.sh" "${1:-$RANDOM}" "${2:-200}"
