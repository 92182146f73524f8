#!/usr/bin/env python3
"""Many parallel TCP connections (docs/live.md).

many.py server ADDR:PORT
    Each connection: a 4-byte length, that many bytes; answered with the
    bytes reversed; then it waits for the client's EOF and closes.
many.py client ADDR:PORT N SEED [--hold S] [--go FILE] [--parallel K] [--timeout S]
    Opens N connections at once and holds them all open (for a look at the
    gateway's table: until FILE exists, at most S seconds, default 2), then
    on each sends a seeded random payload (1 to 20000 bytes), reads the
    answer, checks every byte, and closes. At most K connections (default
    all) are between their payload and their close at a time, each answer
    within S seconds (default 30): the simulated card is a slow link.
    Prints "opened N", "checked N", "closed N" and any failure with its
    connection number.
"""
import argparse
import asyncio
import os
import random
import struct
import sys


async def handle(r, w):
    try:
        n = struct.unpack("!I", await r.readexactly(4))[0]
        d = await r.readexactly(n)
        w.write(d[::-1])
        await w.drain()
        await r.read()  # the client's FIN
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    w.close()


async def server(addr):
    a, p = addr.rsplit(":", 1)
    s = await asyncio.start_server(handle, a, int(p), backlog=4096)
    print("server: listening", flush=True)
    await s.serve_forever()


async def client(addr, n, seed, hold, go, parallel, timeout):
    a, p = addr.rsplit(":", 1)
    rnd = random.Random(seed)
    payloads = [rnd.randbytes(rnd.randint(1, 20000)) for _ in range(n)]
    sem = asyncio.Semaphore(200)  # connects in flight at once (all stay open)

    async def opener(i):
        async with sem:
            for attempt in range(3):
                try:
                    return await asyncio.wait_for(asyncio.open_connection(a, int(p)), 20)
                except (OSError, asyncio.TimeoutError) as e:
                    err = e
            raise RuntimeError("connection %d: %r" % (i, err))

    conns = await asyncio.gather(*(opener(i) for i in range(n)))
    print("opened %d" % len(conns), flush=True)
    loop = asyncio.get_running_loop()
    end = loop.time() + hold
    while loop.time() < end and not (go and os.path.exists(go)):
        await asyncio.sleep(0.1)
    busy = asyncio.Semaphore(parallel or n)

    async def use(i):
        r, w = conns[i]
        d = payloads[i]
        async with busy:
            w.write(struct.pack("!I", len(d)) + d)
            await w.drain()
            try:
                got = await asyncio.wait_for(r.readexactly(len(d)), timeout)
            except asyncio.TimeoutError:
                raise RuntimeError("connection %d: no full answer within %g s" % (i, timeout)) from None
            if got != d[::-1]:
                raise RuntimeError("connection %d: answer differs" % i)
            w.close()
            await w.wait_closed()
        return len(d)

    sizes = await asyncio.gather(*(use(i) for i in range(n)))
    print("checked %d (%d bytes each way)" % (len(sizes), sum(sizes)), flush=True)
    print("closed %d" % len(sizes), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(server(sys.argv[2]))
    else:
        ap = argparse.ArgumentParser(prog="many.py client")
        ap.add_argument("addr")
        ap.add_argument("n", type=int)
        ap.add_argument("seed", type=int)
        ap.add_argument("--hold", type=float, default=2.0)
        ap.add_argument("--go")
        ap.add_argument("--parallel", type=int, default=0)
        ap.add_argument("--timeout", type=float, default=30.0)
        a = ap.parse_args(sys.argv[2:])
        try:
            asyncio.run(client(a.addr, a.n, a.seed, a.hold, a.go, a.parallel, a.timeout))
        except Exception as e:  # noqa: BLE001 - any failure is the test's answer
            print("failed: %r" % e, flush=True)
            sys.exit(1)
