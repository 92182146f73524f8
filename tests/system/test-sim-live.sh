#!/usr/bin/env bash
# ctnic-sim with a live port (docs/simulator.md, "Live ports"): the host
# requests a client had sent are served in one turn, and a port whose MAC
# queue is full is held back (its frames wait in the TAP's kernel queue,
# nothing read is dropped). ctnic-sim's TAP port in a network namespace of
# this test's own; frames flooded into the TAP through AF_PACKET while the
# card does not take frames (CTRL.ENABLE 0), then taken. TAP on stdout;
# needs root (a network namespace, a TAP device): without it, it fails.
# usage: tests/system/test-sim-live.sh CTNIC-SIM
set -uo pipefail
SIM=${1:?usage: test-sim-live.sh CTNIC-SIM}
# The port's MAC queue (LIVE_RX_QUEUE, sim/ctnic-sim/main.cpp), the TAP's
# kernel queue (its txqueuelen, set here), and the frames flooded: more
# than both hold, so the kernel drops some.
QUEUE=1024 TXQ=200 FLOOD=1500 BURST=2000

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; echo "# failed: $*"; fi; }

echo "1..11"
if [ "$(id -u)" -ne 0 ]; then
  echo "not ok 1 - test-sim-live.sh needs root (a network namespace, a TAP device): run as root"
  exit 1
fi
ns=ctnic-simlive-$$
out=$(mktemp -d /tmp/ctnic-simlive.XXXXXX)
sim=
cleanup() {
  [ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$out"
}
trap cleanup EXIT
ip netns add "$ns"
# No IPv6 on the new TAP: the only frames on it are the test's.
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$ns" "$SIM" --socket "$out/sim.sock" --tap 0=lt0 --host "$out/host.pcap" 2>"$out/sim.log" &
sim=$!
for _ in $(seq 600); do [ -S "$out/sim.sock" ] && break; sleep 0.1; done
check "ctnic-sim starts with a TAP port" test -S "$out/sim.sock"
ip -n "$ns" link set lt0 txqueuelen $TXQ

# The client: requests, then the flood (AF_PACKET on lt0: the frames go into
# the TAP's queue, which ctnic-sim reads), then CTRL.ENABLE.
ip netns exec "$ns" python3 - "$out/sim.sock" $QUEUE $TXQ $FLOOD $BURST $((n + 1)) "$out/kdrop" >"$out/client.tap" 2>&1 <<'PY'
import socket, struct, sys, time
sock = sys.argv[1]
QUEUE, TXQ, FLOOD, BURST, n = (int(a) for a in sys.argv[2:7])
def tap(good, name, diag=""):
    global n
    print("%s %d - %s" % ("ok" if good else "not ok", n, name)); n += 1
    if diag: print("# " + diag)
    sys.stdout.flush()
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rb")
def answers(k):
    a = []
    while len(a) < k:
        l = f.readline().decode()
        if not l: sys.exit("ctnic-sim hung up")
        if not l.startswith("EV "): a.append(l.split())
    return a
def req(*lines):
    s.sendall("".join(l + "\n" for l in lines).encode())
    return answers(len(lines))
def cycle(a): return int(a[2])
req("HELLO 3")
# Pipelined requests, sent in one write: all served in one turn, no clock
# between them but their own cycles (one read of the ID register costs the
# same each time; before, 4096 bytes were read a turn and 256 cycles ran
# between turns).
a = req("STATUS", "R 0", "STATUS")
one = cycle(a[2]) - cycle(a[0])
a = req("STATUS", *(["R 0"] * BURST), "STATUS")
many = cycle(a[-1]) - cycle(a[0])
tap(one > 0 and many == BURST * one,
    "%d reads sent in one write (%d bytes) are served in one turn: %d cycles, %d x %d" %
    (BURST, 4 * BURST, many, BURST, one))
# One request at a time, each sent once its answer came (as libctnic does):
# ctnic-sim looks again CYCLES_AFTER_REQUEST cycles after a turn that served
# one; before, every access waited CYCLES_PER_POLL = 256 cycles at least.
k = 200
c0 = cycle(req("STATUS")[0]); t0 = time.monotonic()
for _ in range(k): req("R 0")
c1 = cycle(req("STATUS")[0]); dt = time.monotonic() - t0
tap((c1 - c0) / k < 256, "one read after another: %.1f cycles each (fewer than 256)" % ((c1 - c0) / k),
    "%.0f reads a second" % (k / dt))

def status():
    a = req("STATUS")[0]
    return {a[i]: int(a[i + 1]) for i in range(1, len(a) - 1, 2)}
tap(status()["rx_enable"] == 0, "the card takes no frames yet (CTRL.ENABLE 0)")
# UDP frames numbered in their payload; the card punts them (no flow).
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); p.bind(("lt0", 0))
def frame(i):
    udp = struct.pack("!HHHH", 40000, 9, 8 + 12, 0) + b"ctnicseq" + struct.pack("!I", i)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                     bytes([192, 0, 2, 10]), bytes([198, 51, 100, 9]))
    c = sum(struct.unpack("!10H", ip)); c = (c & 0xffff) + (c >> 16); c = (c & 0xffff) + (c >> 16)
    ip = ip[:10] + struct.pack("!H", ~c & 0xffff) + ip[12:]
    return b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00" + ip + udp + bytes(6)
# In chunks the TAP's queue holds, each read by ctnic-sim before the next,
# until its queue is full; then the rest at once.
sent = 0
def dropped():
    return int(open("/sys/class/net/lt0/statistics/tx_dropped").read())
d0 = dropped()
while sent < QUEUE:
    for i in range(sent, min(sent + 100, QUEUE)): p.send(frame(i))
    sent = min(sent + 100, QUEUE)
    t0 = time.monotonic()
    while status()["inputs"] < sent and time.monotonic() - t0 < 60: time.sleep(0.05)
for i in range(sent, FLOOD): p.send(frame(i))
time.sleep(1)
w = status()["inputs"]
tap(w == QUEUE, "%d frames sent: the port's queue fills to %d and stays there (%d a second after the last)" %
    (FLOOD, QUEUE, w))
# The TAP's queue is a ring of txqueuelen slots; slots its reader took are
# released in batches of 16, so up to 15 may still be taken.
d = dropped() - d0
open(sys.argv[7], "w").write("%d\n" % d)
tap(TXQ - 16 < FLOOD - QUEUE - d <= TXQ,
    "while the port is held back the TAP's queue holds %d frames (txqueuelen %d), the kernel drops the other %d (TX dropped)" %
    (FLOOD - QUEUE - d, TXQ, d))
req("W 0x10 1")
waiting, t0 = -1, time.monotonic()
while time.monotonic() - t0 < 120:
    if status()["inputs"] == 0:
        time.sleep(0.5)
        if status()["inputs"] == 0: break
    time.sleep(0.2)
tap(status()["inputs"] == 0, "with CTRL.ENABLE 1 the card takes every frame waiting")
PY
cat "$out/client.tap"
# The client's six checks, as many lines as it printed (a client that died prints fewer).
oks=$(grep -c '^ok ' "$out/client.tap"); noks=$(grep -c '^not ok ' "$out/client.tap")
n=$((n + 6)); failed=$((failed + noks + 6 - oks - noks))
sleep 0.5
kill "$sim"; wait "$sim"; rc=$?; sim=
check "ctnic-sim exits 0 on SIGTERM" test $rc -eq 0
sed 's/^/# /' "$out/sim.log"

# What ctnic-sim read (its exit line) and what the card punted (--host):
# every frame read reached the card.
line=$(grep "port 0 (tap lt0)" "$out/sim.log")
read_=$(sed -n 's/.*: \([0-9]*\) frames received.*/\1/p' <<<"$line")
held=$(sed -n 's/.*held back \([0-9]*\) times.*/\1/p' <<<"$line")
seqs=$(python3 - "$out/host.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(); o = 24; seqs = []
while o < len(d):
    _, _, cap, _ = struct.unpack("<IIII", d[o:o + 16]); fr = d[o + 16:o + 16 + cap]; o += 16 + cap
    k = fr.find(b"ctnicseq")
    if k >= 0: seqs.append(struct.unpack("!I", fr[k + 8:k + 12])[0])
print(len(seqs), int(seqs == list(range(len(seqs)))))
PY
)
echo "# read by ctnic-sim: $read_, held back: $held times, punted (count, in order 0..n-1): $seqs"
check "the port was held back while its queue was full (exit line: held back $held times)" test "${held:-0}" -ge 1
kdrop=$(cat "$out/kdrop" 2>/dev/null)
check "ctnic-sim read every frame the kernel did not drop, also those that waited in the TAP's queue: $FLOOD - $kdrop (read $read_)" \
  test "${read_:-0}" -eq $((FLOOD - ${kdrop:-FLOOD})) -a "${read_:-0}" -gt $QUEUE
check "every frame ctnic-sim read reached the card, in order, none lost: frames 0..$((read_ - 1)) punted ($seqs)" \
  test "$seqs" = "$read_ 1"
[ $failed -eq 0 ]
