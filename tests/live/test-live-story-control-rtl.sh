#!/usr/bin/env bash
# test-live-story-control.sh (the story without the linger memory: the late
# FIN dropped, never leaked, the sockets hang) with the RTL card as the
# gateway: ctnic-sim on TAP ports with device time on the wall clock
# (--realtime), ctnicd on sim:.
CTNIC_LIVE_CARD=sim exec bash "$(dirname "$0")/test-live-story-control.sh" "$@"
