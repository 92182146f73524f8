#!/usr/bin/env python3
"""Many parallel TCP connections (docs/live.md).

many.py server ADDR:PORT
    Each connection: a 4-byte length, that many bytes; answered with the
    bytes reversed; then it waits for the client's EOF and closes.
many.py client ADDR:PORT N SEED [HOLD]
    Opens N connections at once and holds them all open (HOLD seconds more,
    default 2, for a look at the gateway's table), then on each sends
    a seeded random payload (1 to 20000 bytes), reads the answer, checks
    every byte, and closes. Prints "opened N", "checked N", "closed N" and
    any failure with its connection number.
"""
import asyncio
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


async def client(addr, n, seed, hold):
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
    await asyncio.sleep(hold)

    async def use(i):
        r, w = conns[i]
        d = payloads[i]
        w.write(struct.pack("!I", len(d)) + d)
        await w.drain()
        got = await asyncio.wait_for(r.readexactly(len(d)), 30)
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
        try:
            hold = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
            asyncio.run(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), hold))
        except Exception as e:  # noqa: BLE001 - any failure is the test's answer
            print("failed: %s" % e, flush=True)
            sys.exit(1)
