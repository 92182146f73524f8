#!/usr/bin/env bash
# test-live-many.sh with the RTL card as the gateway (ctnic-sim with its DMA
# rings on TAP ports, ctnicd on sim:): N connections (default 1,000) open
# at once, each seen in the card, used and closed, and the full audit of the
# card's table (docs/live.md). Usage: test-live-many-rtl.sh [SEED [N]]
CTNIC_LIVE_CARD=sim exec bash "$(dirname "$0")/test-live-many.sh" "$@"
