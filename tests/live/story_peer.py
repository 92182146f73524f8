#!/usr/bin/env python3
"""The two ends of the design brief's story with real sockets (docs/live.md).

story_peer.py server ADDR:PORT
    Each connection: read the request, send the response, close the sending
    side first (FIN), then wait up to 30 s for the client's FIN (EOF) and
    print "server: eof after S s, N bytes after the FIN" or "server: no eof".
story_peer.py client ADDR:PORT WAIT SEED
    Connect, send a seeded request, read the response until the server's FIN
    (checked: the request reversed), print "client: half-closed", stay
    half-closed WAIT seconds, then close (FIN) and print "client: closed".
"""
import random
import socket
import sys
import threading
import time


def serve(c):
    req = b""
    while not req.endswith(b"\n"):
        d = c.recv(65536)
        if not d:
            break
        req += d
    c.sendall(req[:-1][::-1] + b"\n")
    c.shutdown(socket.SHUT_WR)
    t0 = time.time()
    c.settimeout(30)
    n = 0
    try:
        while True:
            d = c.recv(65536)
            if not d:
                print("server: eof after %.1f s, %d bytes after the FIN" % (time.time() - t0, n), flush=True)
                break
            n += len(d)
    except socket.timeout:
        print("server: no eof", flush=True)
    c.close()


def server(addr):
    a, p = addr.rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, int(p)))
    s.listen(16)
    print("server: listening", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def client(addr, wait, seed):
    a, p = addr.rsplit(":", 1)
    r = random.Random(seed)
    req = bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(2000))
    c = socket.create_connection((a, int(p)), timeout=10)
    c.sendall(req + b"\n")
    got = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        got += d
    if got != req[::-1] + b"\n":
        print("client: wrong response (%d bytes)" % len(got), flush=True)
        return 1
    print("client: half-closed, response checked", flush=True)
    time.sleep(wait)
    c.close()
    print("client: closed", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2])
    else:
        sys.exit(client(sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
