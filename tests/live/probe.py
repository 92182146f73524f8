#!/usr/bin/env python3
"""Traceroute-style TTL probes (docs/live.md): UDP datagrams to DST:PORT with
TTL 1, 2, ... read back the ICMP error each gets (IP_RECVERR), and print one
line per TTL: "TTL <n> <offender address> <icmp type> <icmp code>" or
"TTL <n> none". Stops at the first error that comes from the destination."""
import socket
import struct
import sys
import time

IP_RECVERR = 11
SO_EE_ORIGIN_ICMP = 2

dst, port = sys.argv[1].rsplit(":", 1)
maxttl = int(sys.argv[2]) if len(sys.argv) > 2 else 4
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
for ttl in range(1, maxttl + 1):
    s.setsockopt(socket.SOL_IP, socket.IP_TTL, ttl)
    s.sendto(b"probe %d" % ttl, (dst, int(port)))
    deadline = time.time() + 3
    got = None
    while time.time() < deadline and got is None:
        try:
            _, anc, _, _ = s.recvmsg(512, 512, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        for lvl, typ, data in anc:
            if lvl == socket.SOL_IP and typ == IP_RECVERR:
                errno_, origin, itype, icode = struct.unpack("IBBB", data[:7])
                offender = socket.inet_ntoa(data[20:24]) if len(data) >= 24 else "?"
                got = (offender, itype, icode)
    if got is None:
        print("TTL %d none" % ttl, flush=True)
        continue
    print("TTL %d %s %d %d" % (ttl, got[0], got[1], got[2]), flush=True)
    if got[0] == dst or got[1] == 3:
        break
