#!/usr/bin/env python3
# trickle.py PORT FILE: an HTTP/1.0 server that answers any request with FILE
# at 16 KiB every 50 ms, so that a transfer stays open long enough to be seen
# (curl's --limit-rate is no bound: the kernel's buffers fill at once).
import asyncio, sys

body = open(sys.argv[2], "rb").read()

async def serve(r, w):
    try:
        await r.readuntil(b"\r\n\r\n")
        w.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
        for i in range(0, len(body), 16384):
            w.write(body[i:i + 16384])
            await w.drain()
            await asyncio.sleep(0.05)
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        w.close()

async def main():
    srv = await asyncio.start_server(serve, host=None, port=int(sys.argv[1]))
    await srv.serve_forever()

asyncio.run(main())
