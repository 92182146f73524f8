#!/usr/bin/env python3
"""The local proxy behind ctnic's host port (docs/live.md): a TCP relay.

proxy.py LISTEN_ADDR:PORT UPSTREAM_ADDR:PORT
Each connection accepted is relayed byte for byte to UPSTREAM in both
directions; a half-close is passed on (shutdown(SHUT_WR)), so the story's
half-closed connection stays half-closed through the proxy.
"""
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(c, up):
    u = socket.create_connection(up, timeout=10)
    u.settimeout(None)
    t = [threading.Thread(target=pump, args=(c, u)), threading.Thread(target=pump, args=(u, c))]
    for x in t:
        x.start()
    for x in t:
        x.join()
    c.close()
    u.close()


def main():
    la, lp = sys.argv[1].rsplit(":", 1)
    ua, up = sys.argv[2].rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((la, int(lp)))
    s.listen(128)
    print("proxy: listening on %s, upstream %s" % (sys.argv[1], sys.argv[2]), flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, (ua, int(up))), daemon=True).start()


if __name__ == "__main__":
    main()
