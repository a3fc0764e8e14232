#!/usr/bin/env python3
"""dns_tcp_client.py: a DNS query over TCP from a fixed local port.

  dns_tcp_client.py hold PORT SERVER NAME READY GATE
      binds PORT, connects to SERVER:53, creates READY, waits until GATE
      exists, asks for NAME's A record and prints the first address of the
      answer.
  dns_tcp_client.py fail PORT SERVER
      binds PORT and connects to SERVER:53, which must fail before a SYN
      leaves (no route); prints the errno's name.
"""
import errno, os, socket, struct, sys, time


def bound(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    return s


def query(name):
    q = struct.pack("!HHHHHH", 0x1d5, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def recv_all(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("the server closed early")
        b += c
    return b


def hold(port, server, name, ready, gate):
    s = bound(port)
    s.connect((server, 53))
    open(ready, "w").close()
    while not os.path.exists(gate):
        time.sleep(0.05)
    q = query(name)
    s.sendall(struct.pack("!H", len(q)) + q)
    (n,) = struct.unpack("!H", recv_all(s, 2))
    msg = recv_all(s, n)
    if struct.unpack("!H", msg[6:8])[0] < 1:
        sys.exit("no answer")
    # The answer's A record ends the message: its last 4 bytes.
    print(socket.inet_ntoa(msg[-4:]))


def fail(port, server):
    s = bound(port)
    try:
        s.connect((server, 53))
    except OSError as e:
        print(errno.errorcode.get(e.errno, e.errno))
        return
    sys.exit("connected")


if __name__ == "__main__":
    {"hold": hold, "fail": fail}[sys.argv[1]](*sys.argv[2:])
