#!/usr/bin/env python3
"""echo_server.py PORT NOFILE [SINKPORT]: the TCP echo server of the load tests.

On PORT it echoes what it reads as it reads it, with flow control (it stops
reading while the client does not take the echo), and half-closes after the
client's EOF. With SINKPORT, a server there accepts and never reads. The
descriptor limit is raised to NOFILE, or to the hard limit where raising it
needs CAP_SYS_RESOURCE.
"""
import asyncio
import resource
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, t):
        self.t = t
        t.set_write_buffer_limits(high=1 << 18)

    def data_received(self, data):
        self.t.write(data)

    def pause_writing(self):
        self.t.pause_reading()

    def resume_writing(self):
        self.t.resume_reading()

    def eof_received(self):
        self.t.write_eof()
        return True


held = []


async def sink(reader, writer):
    held.append(writer)  # never read: past the stream's limit the buffers fill


async def main(port, sink_port):
    loop = asyncio.get_running_loop()
    servers = [await loop.create_server(Echo, host=None, port=port, backlog=4096)]
    if sink_port:
        servers.append(await asyncio.start_server(sink, host=None, port=sink_port, backlog=16))
    await asyncio.gather(*(s.serve_forever() for s in servers))


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(int(sys.argv[2]), hard), hard))
asyncio.run(main(int(sys.argv[1]), int(sys.argv[3]) if len(sys.argv) > 3 else 0))
