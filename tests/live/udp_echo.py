#!/usr/bin/env python3
"""UDP request/response server of the live tests: ADDR:PORT; each datagram is
answered with its bytes reversed, so a reply proves it came from here."""
import socket
import sys

a, p = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((a, int(p)))
while True:
    d, peer = s.recvfrom(65535)
    s.sendto(d[::-1], peer)
