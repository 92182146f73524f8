#!/usr/bin/env bash
# The Linux oracle's short version (make test): the story through a Linux
# namespace gateway, per scenario, compared with what a correct NAT gateway
# sends (ctnic-story-gen --expect*). Proves what Linux does with the late FIN
# after CLOSE_WAIT expired: docs/linux-oracle.md. TAP on stdout.
#
# The gateway must translate the connection while conntrack knows it, then
# leak the late FIN untranslated to the server side. Needs root.
set -uo pipefail
cd "$(dirname "$0")/../.."

B=${CTNIC_BUILD:-build/san}
PCAPDIFF=$B/tools/pcapdiff/ctnic-pcapdiff
work=$(mktemp -d /tmp/ctnic-linux-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT

. tests/tap.sh

# The block of a pcapdiff report about one packet ("port P #K ...").
packet_report() { awk -v h="port $2 #$3 " 'index($0, h) == 1 { on = 1; print; next }
                                             /^port / { on = 0 } on' "$1"; }
# field_is REPORT PORT PKT FIELD LINUX_VALUE EXPECTED_VALUE
field_is() {
  packet_report "$1" "$2" "$3" | grep -qE "^ +$4 +linux: $5, expect: $6\$"
}
same_until() {  # every packet of PORT before #K is the same in both
  local rep=$1 port=$2 k=$3 i
  for ((i = 1; i < k; i++)); do
    if packet_report "$rep" "$port" "$i" | grep -q .; then return 1; fi
  done
  return 0
}

# The control: a late FIN that comes back within CLOSE_WAIT's timeout (gap
# 1 s, timeout 2 s) is translated, and so is the server's ACK: Linux sends
# exactly what a correct gateway sends. So the leak below is the expiry's.
for sc in dnat snat; do
  out=$work/$sc-control
  if tests/linux/linux-oracle.sh --scenario "$sc" --build "$B" --out "$out" --gap 1 \
       >"$work/$sc-control.log" 2>&1 &&
     "$PCAPDIFF" --names linux,expect 0="$out/linux0.pcap,$out/expect0.pcap" \
       1="$out/linux1.pcap,$out/expect1.pcap" >"$work/$sc-control.diff"; then
    ok "linux_${sc}_translates_fin_within_close_wait_like_a_correct_gateway"
  else
    not_ok "linux_${sc}_translates_fin_within_close_wait_like_a_correct_gateway" \
      "$(cat "$work/$sc-control.log" "$work/$sc-control.diff" 2>/dev/null)"
  fi
done

# port 1 #7 is on Linux's side only: a RST from the gateway's address.
only_linux_rst() {
  grep -A1 '^port 1 #7 ONLY linux' "$1" | grep -q "$2.40000 > 198.51.100.80.80: Flags \[R\]"
}
# conntrack -S, summed over CPUs, counted at least one invalid packet.
counted_invalid() {
  sed -n '/^# conntrack -S/,$p' "$1" | grep -oE 'invalid=[0-9]+' |
    awk -F= '{ s += $2 } END { exit !(s >= 1) }'
}

root_cw_before=$(sysctl -n net.netfilter.nf_conntrack_tcp_timeout_close_wait)

for sc in dnat snat masquerade; do
  out=$work/$sc
  if ! tests/linux/linux-oracle.sh --scenario "$sc" --build "$B" --out "$out" >"$work/$sc.log" 2>&1; then
    not_ok "linux_${sc}_gateway_replays_the_story" "$(cat "$work/$sc.log")"
    continue
  fi
  ok "linux_${sc}_gateway_replays_the_story"
  rep=$work/$sc.diff
  "$PCAPDIFF" --names linux,expect 0="$out/linux0.pcap,$out/expect0.pcap" \
    1="$out/linux1.pcap,$out/expect1.pcap" >"$rep"
  echo "# $sc: Linux against a correct NAT gateway (expect):"
  sed 's/^/#   /' "$rep"

  # Packets 1-3 to the client, 1-5 to the server: the live connection.
  check "linux_${sc}_translates_to_client_side_until_close_wait_expires" \
    same_until "$rep" 0 4
  check "linux_${sc}_translates_to_server_side_until_close_wait_expires" \
    same_until "$rep" 1 6
  # Port 1 #6 is the client's late FIN.
  case $sc in
    dnat)
      check "linux_dnat_late_fin_leaves_server_side_with_untranslated_destination" \
        field_is "$rep" 1 6 ip.dst 198.51.100.80 203.0.113.5
      check "linux_dnat_late_fin_leaves_server_side_with_untranslated_port" \
        field_is "$rep" 1 6 tcp.dport 80 8080
      # Port 0 #4 is the server's ACK of that FIN: loose pickup makes a new
      # entry with no NAT, so the hidden server shows on the client side.
      check "linux_dnat_server_ack_after_expiry_leaks_hidden_address_to_client" \
        field_is "$rep" 0 4 ip.src 203.0.113.5 198.51.100.80
      ;;
    snat|masquerade)
      addr=203.0.113.1; [ "$sc" = masquerade ] && addr=198.51.100.1
      check "linux_${sc}_late_fin_leaves_server_side_with_client_real_address" \
        field_is "$rep" 1 6 ip.src 192.0.2.10 "$addr"
      # The server's ACK of the FIN goes to the gateway's own address; with
      # no NAT binding left the gateway's stack answers it with a RST, and
      # the client never sees it.
      check "linux_${sc}_gateway_resets_server_ack_after_expiry" \
        only_linux_rst "$rep" "$addr"
      check "linux_${sc}_server_ack_after_expiry_never_reaches_client" \
        grep -q '^port 0 #4 ONLY expect' "$rep"
      ;;
  esac
  check "linux_${sc}_conntrack_counts_the_late_fin_invalid" counted_invalid "$out/gw-state.txt"
done

# REDIRECT, with real sockets (tests/linux/linux-redirect-live.sh): the
# client's late FIN goes out to the server network with the client's
# address, never to the proxy; the control (closing within the timeout)
# reaches the proxy and leaks nothing.
redirect_leaked() {
  tcpdump -nn -r "$1/linux1.pcap" 2>/dev/null |
    grep -qE ' IP 192\.0\.2\.10\.[0-9]+ > 198\.51\.100\.80\.80: Flags \[F\.\]'
}
redirect_nothing_to_server() {
  [ -f "$1/linux1.pcap" ] && [ -z "$(tcpdump -nn -r "$1/linux1.pcap" 2>/dev/null)" ]
}
for run in leak control; do
  out=$work/redirect-$run
  args=(); [ $run = control ] && args=(--wait 0.5)
  if ! tests/linux/linux-redirect-live.sh --out "$out" "${args[@]}" >"$work/redirect-$run.log" 2>&1; then
    not_ok "linux_redirect_live_${run}_runs" "$(cat "$work/redirect-$run.log")"
    continue
  fi
  if [ $run = leak ]; then
    echo "# redirect: what Linux sent to the server network:"
    tcpdump -nn -r "$out/linux1.pcap" 2>/dev/null | sed 's/^/#   /'
    check "linux_redirect_late_fin_leaves_to_server_network_with_client_address" \
      redirect_leaked "$out"
    check "linux_redirect_proxy_never_gets_the_late_fin" \
      grep -q 'no FIN from the client' "$out/proxy.log"
    check "linux_redirect_conntrack_counts_the_late_fin_invalid" counted_invalid "$out/gw-state.txt"
  else
    check "linux_redirect_fin_within_close_wait_reaches_the_proxy" \
      grep -q "read after FIN: b''" "$out/proxy.log"
    check "linux_redirect_fin_within_close_wait_leaks_nothing_to_server_network" \
      redirect_nothing_to_server "$out"
  fi
done

check "linux_oracle_leaves_root_namespace_timeouts_alone" \
  test "$(sysctl -n net.netfilter.nf_conntrack_tcp_timeout_close_wait)" = "$root_cw_before"
# Each run lists the namespaces it made; none may be left.
namespaces_gone() {
  cat "$work"/*/netns.txt >"$work/all-netns" && [ -s "$work/all-netns" ] &&
    ! ip netns list | awk '{ print $1 }' | grep -qxFf "$work/all-netns"
}
check "linux_oracle_removes_its_namespaces" namespaces_gone
