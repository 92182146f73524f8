#!/usr/bin/env python3
"""ctnicd as a program on the model: card: start with a configuration and
a static flow, control requests over its socket (garbage included), SIGHUP
with a bad file (refused with its line, nothing applied) and a good one
(applied), SIGTERM (exit 0, socket gone), and a bad file at start (exit 2,
its line named). Prints TAP.

Usage: ctnicd_run_test.py CTNICD
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

n = 0
failed = 0


def tap(ok, name):
    global n, failed
    n += 1
    failed += 0 if ok else 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, name), flush=True)
    return ok


CONF = """port 0 lan 192.0.2.1/24
port 1 wan 203.0.113.1/24
route default via 203.0.113.254
neighbour 203.0.113.254 02:00:00:00:00:fe
nf_conntrack_tcp_timeout_close_wait = %d
flow proto=udp src=192.0.2.20:5000 dst=203.0.113.53:53 out=1 reply-out=0
*nat
-A POSTROUTING -o wan -j MASQUERADE
COMMIT
"""


def wait_path(path, proc, secs=20):
    end = time.time() + secs
    while time.time() < end:
        if os.path.exists(path):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")

    def raw(self, data):
        self.f.write(data)
        self.f.flush()
        return json.loads(self.f.readline())

    def ask(self, obj):
        return self.raw(json.dumps(obj).encode() + b"\n")


def main():
    ctnicd = sys.argv[1]
    d = tempfile.mkdtemp(prefix="ctnicd-run-")
    conf, sock, log = os.path.join(d, "c.conf"), os.path.join(d, "d.sock"), os.path.join(d, "d.log")
    with open(conf, "w") as f:
        f.write(CONF % 60)
    logf = open(log, "w")
    p = subprocess.Popen([ctnicd, "--device", "model:", "--socket", sock, "--config", conf],
                         stdout=logf, stderr=logf)
    if not tap(wait_path(sock, p), "ctnicd starts on model: and serves its socket"):
        print(open(log).read())
        p.kill()
        return
    c = Client(sock)
    r = c.ask({"cmd": "device", "id": 3})
    tap(r["ok"] and r["id"] == 3 and r["result"]["id_text"] == "CTNC" and r["result"]["enabled"],
        "device answers with the card's id, ports on")
    r = c.ask({"cmd": "conn list"})
    tap(r["ok"] and r["result"]["count"] == 1 and "STATIC" in r["result"]["conns"][0]["flags"]
        and r["result"]["conns"][0]["in_card"], "the static flow is a connection in the card")
    bad = [b"\x00\xff\xfe garbage\n", b"{\n", b"[1,2]\n", b'{"cmd":"conn list","port":"x"}\n',
           b'{"cmd":"timeout set","name":"nf_conntrack_tcp_timeout_close_wait","value":-3}\n',
           b"x" * 70000 + b"\n"]
    ok = all(not c.raw(b)["ok"] for b in bad)
    tap(ok and c.ask({"cmd": "conn list"})["result"]["count"] == 1,
        "garbled requests get errors and change nothing")

    def close_wait():
        return c.ask({"cmd": "timeout get", "name": "nf_conntrack_tcp_timeout_close_wait"})["result"]["value"]

    with open(conf, "a") as f:
        f.write("bogus-setting 3\n")
    p.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    text = open(log).read()
    tap("reload refused" in text and ":10:" in text and close_wait() == 60,
        "SIGHUP with a bad file: refused with its line, nothing applied")
    with open(conf, "w") as f:
        f.write(CONF % 25)
    p.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    tap("reloaded" in open(log).read() and close_wait() == 25, "SIGHUP with a good file applies it")
    # The events stream: a second client subscribes, the first deletes the static flow.
    w = Client(sock)
    r = w.ask({"cmd": "events", "id": 9})
    sub = r["ok"] and r["id"] == 9 and r["result"]["stream"] == "events"
    r = c.ask({"cmd": "conn flush"})
    ev = json.loads(w.f.readline()) if sub and r["ok"] else {}
    e = ev.get("event", {})
    tap(sub and e.get("type") == "DESTROY" and e.get("conn", {}).get("why") == "deleted"
        and e["conn"]["orig"]["src"] == "192.0.2.20",
        "events stream: a subscriber gets the DESTROY of a deleted connection")
    tap(w.ask({"cmd": "device"})["ok"], "a subscriber still gets answers to its requests")
    w.s.close()
    r = c.ask({"cmd": "stats"})
    tap(r["ok"] and r["result"]["daemon"]["table"]["connections"] == 0 and
        len(r["result"]["card"]["ports"]) == 3, "stats of daemon and card")
    c.s.close()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = -1
    tap(rc == 0 and not os.path.exists(sock), "SIGTERM: exit 0, socket removed")

    with open(conf, "w") as f:
        f.write("port 0 lan 192.0.2.1/24\nport 0 wan 203.0.113.1/24\n")
    r = subprocess.run([ctnicd, "--device", "model:", "--socket", sock, "--config", conf],
                       capture_output=True, text=True, timeout=20)
    tap(r.returncode == 2 and "line 2" in r.stderr and not os.path.exists(sock),
        "a bad file at start: exit 2 naming its line, no socket")


main()
print("1..%d" % n)
sys.exit(1 if failed else 0)
