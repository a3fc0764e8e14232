#!/usr/bin/env python3
"""offload_peer.py: the two ends of test_offload.sh's transfers.

  offload_peer.py server PORT RESULTS
      serves connections on [::]:PORT until killed; for each, appends "start"
      to RESULTS.start once it has the client's first line, then one line
      "ok UP_BYTES" or "bad WHY" to RESULTS.
  offload_peer.py client HOST PORT UP DOWN FIRST [SEED [GATE [READ_GATE]]]
      sends UP pseudo-random bytes while it receives DOWN, both checked by
      sha256; FIRST (client|server) says which side half-closes first: the
      other sends its FIN only after it has read the first one's. With GATE,
      it stops sending after half of UP until the file GATE exists; with
      READ_GATE, it reads nothing until the file READ_GATE exists ("-": no
      gate). Prints "ok", or exits 1 saying what differed (or how the
      connection ended).

The client's first line tells the server "UP DOWN FIRST SEED". Both sides
make the bytes of a direction with random.Random(SEED * 2 + direction).
"""
import hashlib, os, random, socket, sys, threading, time

CHUNK = 1 << 16


def stream(seed, size):
    rnd = random.Random(seed)
    while size:
        n = min(CHUNK, size)
        yield rnd.randbytes(n)
        size -= n


def digest(seed, size):
    h = hashlib.sha256()
    for piece in stream(seed, size):
        h.update(piece)
    return h.hexdigest()


GATE = None
READ_GATE = None


def gate(sent, size):
    if GATE and sent >= size // 2:
        while not os.path.exists(GATE):
            time.sleep(0.05)
        return True
    return False


def send(sock, seed, size, wait=None, gated=False, failed=None):
    try:
        send_all(sock, seed, size, wait, gated)
    except OSError as e:
        failed.append(e)


def send_all(sock, seed, size, wait, gated):
    sent = 0
    for piece in stream(seed, size):
        sock.sendall(piece)
        sent += len(piece)
        if gated and gate(sent, size):
            gated = False
    if wait is not None:
        wait.wait()
    sock.shutdown(socket.SHUT_WR)


def receive(sock, got, gated):
    while gated and not os.path.exists(READ_GATE):
        time.sleep(0.05)
    h, n = hashlib.sha256(), 0
    while True:
        b = sock.recv(1 << 18)
        if not b:
            break
        h.update(b)
        n += len(b)
    got.extend([n, h.hexdigest()])


def transfer(sock, out_seed, out_size, in_seed, in_size, shut_first, gated=False):
    """Send and receive at once; returns (bytes in, ok)."""
    got, eof, failed = [], threading.Event(), []
    # The side that goes second sends its FIN only after it read the other's.
    wait = None if shut_first else eof
    t = threading.Thread(target=send, args=(sock, out_seed, out_size, wait, gated, failed))
    t.start()
    try:
        receive(sock, got, gated and READ_GATE)
    finally:
        eof.set()
        t.join()
    # A reset seen by the sender is the connection's failure, even when the
    # receiving side then reads an end (the error is reported only once).
    if failed:
        raise failed[0]
    return got[0], got[0] == in_size and got[1] == digest(in_seed, in_size)


def header(conn):
    """The first line, read a byte at a time so that nothing after it is taken."""
    line = b""
    while not line.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            raise EOFError("no header")
        line += b
    return line.split()


def serve_one(conn, results):
    try:
        up, down, first, seed = header(conn)
        up, down, seed = int(up), int(down), int(seed)
        with open(results + ".start", "a") as r:
            r.write("start\n")
        n, ok = transfer_server(conn, up, down, first.decode() == "server", seed)
        line = f"ok {n}" if ok else f"bad got {n} of {up} bytes or a wrong sha256"
    except Exception as e:  # noqa: BLE001 - every failure goes in the results
        line = f"bad {e!r}"
    with open(results, "a") as r:
        r.write(line + "\n")
    conn.close()


def transfer_server(conn, up, down, shut_first, seed):
    return transfer(conn, seed * 2 + 1, down, seed * 2, up, shut_first)


def server(port, results):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("::", port))
    ls.listen(64)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve_one, args=(conn, results), daemon=True).start()


def client(host, port, up, down, first, seed):
    sock = socket.create_connection((host, port), timeout=120)
    sock.sendall(f"{up} {down} {first} {seed}\n".encode())
    try:
        n, ok = transfer(sock, seed * 2, up, seed * 2 + 1, down, first == "client", True)
    except OSError as e:
        sys.exit(f"connection failed: {e!r}")
    if not ok:
        sys.exit(f"received {n} of {down} bytes, or a wrong sha256")
    print("ok")


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "server":
        server(int(a[1]), a[2])
    else:
        GATE = a[7] if len(a) > 7 and a[7] != "-" else None
        READ_GATE = a[8] if len(a) > 8 else None
        client(a[1], int(a[2]), int(a[3]), int(a[4]), a[5], int(a[6]) if len(a) > 6 else 1)
