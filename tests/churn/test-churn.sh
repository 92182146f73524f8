#!/usr/bin/env bash
# The churn of issue 6 (docs/testing.md, "The churn"): thousands of TCP and UDP
# connections opened, closed, reset, refused, timed out and their client ports
# reused in random order (ctnic-story-gen --scenario churn), replayed through
# ctnic-replay on the model card, and a smaller churn on both the model card
# and the simulated card (ctnic-sim, the RTL in Verilator: ~1000x slower). On
# each replay: every packet leaves as a correct NAT gateway sends it (the
# generator's expected outputs), the server network sees translated addresses
# only, the audit finds the daemon's table and the card's equal, no connection,
# key or flow record is left after everything ended, the counters match the
# plan (created = planned = ended; expiries by the card's scanner, late FINs)
# and the card dropped nothing but the closing frame. Then: the two cards sent
# the same packets in the same order on each port, and the daemon counted the
# same. The generator's plan is the oracle: it follows Linux's states and the
# timeouts it writes into the configuration. TAP on stdout.
#
#   tests/churn/test-churn.sh [--conns N] [--sim-conns M] [SEED]
#     N connections on the model card (default 2000), M on both cards (default 2000; 0: none)
#   (or CTNIC_SEED, CTNIC_CHURN_CONNS, CTNIC_CHURN_SIM_CONNS)
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${CTNIC_BUILD:-build/san}
GEN=$B/tools/gen/ctnic-story-gen
REPLAY=$B/tools/replay/ctnic-replay
DIFF=$B/tools/pcapdiff/ctnic-pcapdiff

conns=${CTNIC_CHURN_CONNS:-2000}
sim_conns=${CTNIC_CHURN_SIM_CONNS:-2000}
seed=${CTNIC_SEED:-}
while [ $# -gt 0 ]; do
  case $1 in
    --conns) conns=$2; shift 2 ;;
    --sim-conns) sim_conns=$2; shift 2 ;;
    *) seed=$1; shift ;;
  esac
done
seed=${seed:-$(date +%s)}
echo "# seed $seed (replay: $0 --conns $conns --sim-conns $sim_conns $seed)"

w=$(mktemp -d /tmp/ctnic-churn.XXXXXX)
trap 'rm -rf "$w"' EXIT

. tests/tap.sh

# gen P N [options]: the churn plan P of N connections in $w/P (inputs, expected outputs, gateway)
gen() {
  local p=$w/$1 c=$2; shift 2
  mkdir -p "$p"
  "$GEN" --scenario churn --conns "$c" --seed "$seed" --conf "$p/gw.conf" "$@" \
    --out0 "$p/in0.pcap" --out1 "$p/in1.pcap" --expect0 "$p/x0.pcap" --expect1 "$p/x1.pcap" >"$p/plan" 2>"$p/plan.err"
}
# plan P NAME: a number of plan P's summary
plan() { sed -n "s/^churn\.$2 = //p" "$w/$1/plan"; }
# stat_of DIR NAME: a statistic of the replay's report (ctnicctl stats names)
stat_of() { sed -n "s/^$2 = //p" "$1/report"; }
# stat_is DIR NAME VALUE
stat_is() {
  local v; v=$(stat_of "$1" "$2")
  [ "$v" = "$3" ] || { echo "# $2 = ${v:-(none)}, expected $3"; return 1; }
}

# replay P BACKEND [NAME [OPTIONS...]]: plan P through ctnic-replay on BACKEND into $w/P/NAME
# (default: BACKEND), with the audit (every key slot and flow record of the card against the
# daemon's table) and the connections left.
replay() {
  local p=$1 b=$2 d=$w/$1/${3:-$2} t0 t1
  shift $(($# < 3 ? $# : 3))
  mkdir -p "$d"
  t0=$(date +%s.%N)
  "$REPLAY" --backend "$b" --audit --conn --config "$w/$p/gw.conf" --in 0="$w/$p/in0.pcap" --in 1="$w/$p/in1.pcap" \
    --out 0="$d/o0.pcap" --out 1="$d/o1.pcap" "$@" >"$d/report" 2>"$d/stderr"
  echo $? >"$d/rc"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >"$d/seconds"
}

# checks P BACKEND: plan P's replay on BACKEND, every check (names prefixed with BACKEND_N)
checks() {
  local p=$1 b=$2 d=$w/$1/$2 tag
  tag=${2}_$(plan "$p" connections)
  if [ ! -s "$d/o1.pcap" ]; then
    check "${tag}_churn_replays" false
    sed 's/^/# /' "$d/stderr" | tail -5
    return
  fi
  echo "# $b: $(plan "$p" connections) connections, $(($(plan "$p" frames0) + $(plan "$p" frames1))) frames," \
    "$(plan "$p" device_seconds) s of device time: the replay took $(cat "$d/seconds") s"
  all_frames_in() {
    grep -q "^replay: $(($(plan "$p" frames0) + $(plan "$p" frames1) + 1)) frames in, device time $(plan "$p" device_seconds)\\.000 s" "$d/report" ||
      { grep '^replay:' "$d/report" | sed 's/^/# /'; return 1; }
  }
  check "${tag}_churn_replays_every_frame_over_the_plan's_device_time" all_frames_in

  same_as_expected() {
    "$DIFF" --names expect,"$b" 0="$w/$p/x0.pcap,$d/o0.pcap" 1="$w/$p/x1.pcap,$d/o1.pcap" >"$d/diff" 2>&1 ||
      { sed 's/^/# /' "$d/diff" | tail -12; return 1; }
  }
  check "${tag}_every_packet_leaves_translated_as_a_correct_gateway_sends_it" same_as_expected

  # The server network sees the gateway's address and the DNAT targets only, the client
  # network the services only: no client address, no hidden address, on the wrong side.
  only_translated() {
    local bad0 bad1 n1
    n1=$(tcpdump -nn -r "$d/o1.pcap" 2>/dev/null | wc -l)
    bad1=$(tcpdump -nn -r "$d/o1.pcap" 'not (src host 203.0.113.1 and (dst host 203.0.113.5 or dst host 203.0.113.53))' 2>/dev/null | wc -l)
    bad0=$(tcpdump -nn -r "$d/o0.pcap" 'not ((src host 198.51.100.80 or src host 198.51.100.53) and dst net 192.0.2.0/24)' 2>/dev/null | wc -l)
    [ "$n1" = "$(plan "$p" frames0)" ] && [ "$bad1" = 0 ] && [ "$bad0" = 0 ] ||
      { echo "# port 1: $n1 frames (plan: $(plan "$p" frames0)), $bad1 with another address; port 0: $bad0"; return 1; }
  }
  check "${tag}_server_side_sees_only_translated_addresses" only_translated

  audit_clean() {
    grep -q "^replay: audit: 0 differences between the daemon's table and the card's$" "$d/report" && [ "$(cat "$d/rc")" = 0 ] ||
      { grep -E '^replay: audit|audit: ' "$d/report" "$d/stderr" | head -10 | sed 's/^/# /'; return 1; }
  }
  check "${tag}_audit_finds_the_daemon_table_and_the_card_equal" audit_clean

  # After everything ended: no connection in the daemon, no key in the card's table and
  # no flow record valid (the audit above compared every slot and record with an empty table).
  nothing_left() {
    stat_is "$d" daemon.table.connections 0 && stat_is "$d" daemon.table.key_slots_used 0 &&
      [ "$(sed -n '/^--- connections/,$p' "$d/report" | sed 1d)" = "ctnic-replay: 0 flow entries have been shown." ]
  }
  check "${tag}_no_connection_key_or_flow_record_left" nothing_left

  counters_add_up() {
    local new end live
    new=$(stat_of "$d" daemon.conn_new); end=$(stat_of "$d" daemon.conn_end); live=$(stat_of "$d" daemon.table.connections)
    [ -n "$new" ] && [ "$new" = $((end + live)) ] && stat_is "$d" daemon.conn_new "$(plan "$p" connections)" &&
      stat_is "$d" daemon.installs "$(plan "$p" connections)" && stat_is "$d" daemon.conn_early_drop 0 &&
      stat_is "$d" daemon.conn_full_drop 0 && stat_is "$d" daemon.conn_no_binding 0 &&
      stat_is "$d" daemon.install_no_slot 0
  }
  check "${tag}_connections_created_as_planned_once_each_and_all_ended" counters_add_up

  # card.aging.expired (AGING_EXPIRED): the flows the card's scanner retired, one EXPIRY event each
  expiries() {
    local card
    card=$(stat_of "$d" card.aging.expired)
    stat_is "$d" daemon.conn_expired "$(plan "$p" expired)" &&
      { [ "$card" = "$(plan "$p" expired)" ] || { echo "# the card's scanner retired ${card:-?} flows, plan: $(plan "$p" expired)"; return 1; }; }
  }
  check "${tag}_every_timeout_expired_by_the_card_as_planned" expiries

  late_fins() {
    stat_is "$d" daemon.late.translated "$(plan "$p" late_packets)" && stat_is "$d" daemon.late.dropped 0 &&
      stat_is "$d" daemon.late.passed 0
  }
  check "${tag}_late_fins_after_expiry_translated_by_linger" late_fins

  # Nothing dropped but the closing frame (its IPv4 checksum is wrong on purpose).
  no_drops() {
    local dr
    dr=$(grep -E '^card\.drop\.[a-z_]+ = [1-9]' "$d/report" | tr '\n' ' ')
    [ "$dr" = "card.drop.bad_ipcsum = 1 " ] || { echo "# drops: ${dr:-none}"; return 1; }
  }
  check "${tag}_the_card_dropped_only_the_closing_frame" no_drops
}

# ---- thousands on the model card
if gen big "$conns"; then
  echo "# plan: $(plan big connections) connections ($(plan big tcp) TCP, $(plan big udp) UDP) on $(plan big client_ports)" \
    "client ports, at most $(plan big max_live) at once; $(plan big expired) expire, $(plan big reopened) reopened," \
    "$(plan big ended_at_once) refused; $(plan big late_fins) late FINs; $(plan big expiry_rounds) expiry moments"
  replay big model
  checks big model

  # The same churn on a model card whose table holds fewer keys than the churn has at its peak:
  # cuckoo moves, and connections kept in software only when no slot is free (the daemon
  # forwards their packets, its sweep ends them). Everything else as on the full card.
  buckets=1
  while [ $((16 * buckets)) -le $((2 * $(plan big max_live))) ]; do buckets=$((2 * buckets)); done
  replay big model small-table --card buckets=$buckets
  small_table() {
    local d=$w/big/small-table card
    card=$(stat_of "$d" card.aging.expired)
    echo "# $((8 * buckets)) key slots: $(stat_of "$d" daemon.cuckoo_moves) cuckoo moves," \
      "$(stat_of "$d" daemon.install_no_slot) connections in software only, ${card:-?} expiries by the card"
    "$DIFF" 0="$w/big/x0.pcap,$d/o0.pcap" 1="$w/big/x1.pcap,$d/o1.pcap" >"$d/diff" 2>&1 ||
      { sed 's/^/# /' "$d/diff" | tail -8; return 1; }
    grep -q "^replay: audit: 0 differences" "$d/report" && [ "$(cat "$d/rc")" = 0 ] &&
      stat_is "$d" daemon.table.connections 0 && stat_is "$d" daemon.table.key_slots_used 0 &&
      stat_is "$d" daemon.conn_new "$(plan big connections)" && stat_is "$d" daemon.conn_end "$(plan big connections)" &&
      stat_is "$d" daemon.conn_expired "$(plan big expired)" && stat_is "$d" daemon.conn_early_drop 0 &&
      stat_is "$d" daemon.late.translated "$(plan big late_packets)" && [ "$(stat_of "$d" daemon.cuckoo_moves)" -gt 0 ]
  }
  check "model_$(plan big connections)_small_table_cuckoo_and_software_only_connections_end_as_planned" small_table
else
  check "churn_of_${conns}_generated" false
  sed 's/^/# /' "$w/big/plan.err"
fi

# ---- on the model card, each kind of connection alone: which kind ends otherwise than Linux's
# states say (a failure of the counters above names its kind here)
kinds=$("$GEN" --help | sed -n 's/^--kind: only connections of one kind: //p')
each_kind_alone() {
  local k bad=""
  for k in $kinds; do
    gen "kind-$k" 200 --kind "$k" || { bad="$bad $k(generator failed)"; continue; }
    "$REPLAY" --config "$w/kind-$k/gw.conf" --in 0="$w/kind-$k/in0.pcap" --in 1="$w/kind-$k/in1.pcap" >"$w/kind-$k/report" 2>&1 ||
      { bad="$bad $k(replay failed)"; continue; }
    local got want
    got="$(stat_of "$w/kind-$k" daemon.conn_new)/$(stat_of "$w/kind-$k" daemon.conn_expired)/$(stat_of "$w/kind-$k" daemon.late.translated)"
    want="$(plan "kind-$k" connections)/$(plan "kind-$k" expired)/$(plan "kind-$k" late_packets)"
    [ "$got" = "$want" ] || { bad="$bad $k"; echo "# $k: created/expired/late translated $got, plan: $want"; }
  done
  [ -n "$kinds" ] && [ -z "$bad" ] || { echo "# kinds that end otherwise than planned:${bad:- (no kinds listed)}"; return 1; }
}
check "model_each_kind_alone_creates_expires_and_translates_as_planned" each_kind_alone

# ---- fewer on both cards, and the two cards against each other
if [ "$sim_conns" -gt 0 ]; then
  if gen small "$sim_conns"; then
    replay small model
    replay small sim
    # (a sim replay that fails fails its checks: no refusal is taken for a skip)
    if checks small sim && [ -s "$w/small/sim/o1.pcap" ]; then
      backends_same() {
        "$DIFF" --names model,sim 0="$w/small/model/o0.pcap,$w/small/sim/o0.pcap" 1="$w/small/model/o1.pcap,$w/small/sim/o1.pcap" \
          >"$w/backends.diff" 2>&1 || { sed 's/^/# /' "$w/backends.diff" | tail -12; return 1; }
      }
      check "model_and_sim_send_the_same_packets_in_the_same_order_on_each_port" backends_same
      same_daemon_counters() {
        diff <(grep '^daemon\.' "$w/small/model/report") <(grep '^daemon\.' "$w/small/sim/report") >"$w/counters.diff" ||
          { sed 's/^/# /' "$w/counters.diff" | head -12; return 1; }
      }
      check "model_and_sim_daemons_count_the_same" same_daemon_counters
    fi
  else
    check "churn_of_${sim_conns}_generated" false
    sed 's/^/# /' "$w/small/plan.err"
  fi
fi
echo "1..$n"
