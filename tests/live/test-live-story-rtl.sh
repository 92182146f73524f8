#!/usr/bin/env bash
# test-live-story.sh (the design brief's story with real sockets: DNAT+SNAT
# and the REDIRECT to the local proxy) with the RTL card as the gateway:
# ctnic-sim (hw/ctnic_card.v with its DMA rings) on TAP ports, its device
# time on the wall clock (--realtime), and ctnicd on sim:.
CTNIC_LIVE_CARD=sim exec bash "$(dirname "$0")/test-live-story.sh" "$@"
