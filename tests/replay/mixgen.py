#!/usr/bin/env python3
"""A seeded random mix of TCP and UDP connections through the story's gateway,
as two pcaps (client network on port 0, server network on port 1), for the
determinism test of ctnic-replay. Standard library only.

    tests/replay/mixgen.py SEED OUT0 OUT1 [CONNECTIONS]

The client 192.0.2.10 talks to the service 198.51.100.80:80 (DNATed to
203.0.113.5:8080 by tests/replay/story-dnat.conf) and to 203.0.113.5:53
over UDP (not NATed); the server side answers as it would see the
translated packets. Start times are spread over an hour, some connections
stay idle past their timeouts, some end with FIN or RST.
"""
import random
import socket
import struct
import sys

CLIENT_MAC = bytes.fromhex("02000000000a")
SERVER_MAC = bytes.fromhex("020000000050")
GW0 = bytes.fromhex("020000000100")
GW1 = bytes.fromhex("020000000101")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(dmac, smac, src, dst, proto, l4):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    if proto == 6:
        c = csum(s + d + struct.pack("!BBH", 0, 6, len(l4)) + l4)
        l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
    else:
        c = csum(s + d + struct.pack("!BBH", 0, 17, len(l4)) + l4) or 0xFFFF
        l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), random.randrange(65536), 0x4000, 64, proto, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + l4


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def main():
    seed, out0, out1 = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    random.seed(seed)
    pkts = []  # (time, port, frame)
    for i in range(n):
        c = "192.0.2.10"  # the neighbour the configuration knows
        cp = random.randint(1024, 65535)
        t = random.uniform(0, 3600)
        if random.random() < 0.7:
            cs, ss = random.randrange(1 << 32), random.randrange(1 << 32)
            # client -> service (port 0), server -> client as translated (port 1)
            c2s = lambda f, p=b"": frame(GW0, CLIENT_MAC, c, "198.51.100.80", 6, tcp(cp, 80, cs, ss, f, p))
            s2c = lambda f, p=b"": frame(GW1, SERVER_MAC, "203.0.113.5", c, 6, tcp(8080, cp, ss, cs, f, p))
            steps = [(0, c2s(0x02)), (1, s2c(0x12)), (0, c2s(0x10)), (0, c2s(0x18, b"GET / HTTP/1.0\r\n\r\n")),
                     (1, s2c(0x18, b"HTTP/1.0 200 OK\r\n\r\n"))]
            end = random.random()
            if end < 0.4:
                steps += [(1, s2c(0x11)), (0, c2s(0x10)), (0, c2s(0x11)), (1, s2c(0x10))]
            elif end < 0.6:
                steps += [(0, c2s(0x04))]
            for port, f in steps:
                # mostly quick, now and then a pause longer than a timeout
                t += random.choice([0.001, 0.01, 0.2]) if random.random() < 0.9 else random.uniform(30, 400)
                pkts.append((t, port, f))
        else:
            q = frame(GW0, CLIENT_MAC, c, "203.0.113.5", 17, udp(cp, 53, b"query %d" % i))
            a = frame(GW1, SERVER_MAC, "203.0.113.5", c, 17, udp(53, cp, b"answer %d" % i))
            pkts.append((t, 0, q))
            pkts.append((t + random.uniform(0.001, 60), 1, a))
    pkts.sort(key=lambda p: p[0])
    for port, path in ((0, out0), (1, out1)):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, p, fr in pkts:
                if p == port:
                    us = int(1767225600 * 1e6 + t * 1e6)
                    f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(fr), len(fr)) + fr)


main()
