#!/usr/bin/env bash
# test-live.sh's real programs (curl through DNAT, SNAT, MASQUERADE and a
# REDIRECT, UDP, ping, TTL expiry) with the RTL card as the gateway:
# ctnic-sim (hw/ctnic_card.v with its DMA rings) on TAP ports and ctnicd on
# sim:, instead of the model card.
CTNIC_LIVE_CARD=sim exec bash "$(dirname "$0")/test-live.sh" "$@"
