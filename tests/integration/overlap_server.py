#!/usr/bin/env python3
"""overlap_server.py IFACE ADDR PORT EXPECT: a TCP server, written out by
hand, whose answer retransmits part of itself with other bytes.

It answers one connection to ADDR:PORT (IPv4) arriving on IFACE: it reads
packets with a packet socket and sends with a raw socket, so the kernel of
its namespace must not see them (test_offload.sh drops them in prerouting).
Once the client's first line is in, it sends

    segment 1: FIRST            at offset 0      (400 bytes)
    segment 2: OTHER + SECOND   at offset 200    (200 + 200 bytes)

and then its FIN. Segment 2 overlaps the tail of segment 1 with different
bytes, as a retransmit after a resegmentation does (with the same bytes),
or a hostile server. TCP keeps what came first, so the client must read
FIRST + SECOND, 600 bytes: EXPECT gets them. Exits when the client's FIN
is acknowledged, or after 20 s.
"""
import os, random, socket, struct, sys, time

ETH_P_IP = 0x0800
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
ISN = 1000


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Conn:
    def __init__(self, iface, addr, port):
        self.addr, self.port = addr, port
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        self.rx.bind((iface, ETH_P_IP))
        self.rx.settimeout(0.2)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.tx.bind((addr, 0))
        self.peer = None
        self.rcv_nxt = 0

    def send(self, seq, flags, payload=b""):
        src, dst = socket.inet_aton(self.addr), socket.inet_aton(self.peer[0])
        hdr = struct.pack("!HHIIBBHHH", self.port, self.peer[1], seq & 0xFFFFFFFF,
                          self.rcv_nxt & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr) + len(payload))
        csum = checksum(pseudo + hdr + payload)
        hdr = hdr[:16] + struct.pack("!H", csum) + hdr[18:]
        self.tx.sendto(hdr + payload, (self.peer[0], 0))

    def recv(self):
        """The next TCP segment to ADDR:PORT: (src, sport, seq, flags, payload), or None."""
        try:
            pkt = self.rx.recv(65536)
        except socket.timeout:
            return None
        ihl = (pkt[0] & 0x0F) * 4
        if pkt[9] != socket.IPPROTO_TCP or socket.inet_ntoa(pkt[16:20]) != self.addr:
            return None
        total = struct.unpack("!H", pkt[2:4])[0]
        tcp = pkt[ihl:total]
        sport, dport, seq, _, off, flags = struct.unpack("!HHIIBB", tcp[:14])
        if dport != self.port:
            return None
        return socket.inet_ntoa(pkt[12:16]), sport, seq, flags, tcp[(off >> 4) * 4:]


def main():
    iface, addr, port, expect = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rnd = random.Random(7)
    first, other, second = rnd.randbytes(400), rnd.randbytes(200), rnd.randbytes(200)
    with open(expect, "wb") as f:
        f.write(first + second)
    c = Conn(iface, addr, port)
    deadline = time.monotonic() + 20
    sent = False
    while time.monotonic() < deadline:
        seg = c.recv()
        if not seg:
            continue
        src, sport, seq, flags, payload = seg
        if flags & SYN:
            c.peer, c.rcv_nxt = (src, sport), seq + 1
            c.send(ISN, SYN | ACK)
            continue
        if c.peer != (src, sport) or flags & RST:
            continue
        if payload and seq == c.rcv_nxt:
            c.rcv_nxt += len(payload)
        if flags & FIN and seq + len(payload) == c.rcv_nxt:
            c.rcv_nxt += 1
            c.send(ISN + 602, ACK)
            return 0
        c.send(ISN + 1 + (602 if sent else 0) - (1 if sent else 0), ACK)
        if payload.endswith(b"\n") and not sent:
            c.send(ISN + 1, ACK | PSH, first)
            time.sleep(0.05)
            c.send(ISN + 1 + 200, ACK | PSH, other + second)
            c.send(ISN + 1 + 600, ACK | FIN)
            sent = True
    print("overlap_server: no FIN from the client", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
