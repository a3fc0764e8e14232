#!/bin/bash
# lwfp-inspect and the flows whose host name it cannot read (issue 12 item 7).
# A --register --proto tcp,udp instance with --block-unnamed --block-quic,
# in front of TCP and UDP echo servers:
#   - named, and passed: an HTTP request whose Host follows a header line
#     servers skip ("X@Y: 1"); a 60 KiB ClientHello in four records; a DNS
#     query with NSCOUNT 1 and trailing bytes. The echo comes back.
#   - unnamed, blocked with rule --block-unnamed and "unnamed": true, never
#     answered: an HTTP/1.0 request without Host; a ClientHello of over
#     64 KiB; a UDP datagram that is not a DNS query; a DNS flow's second
#     datagram, which is not a query (the first one passed);
#   - UDP to port 443 (a QUIC Initial's first bytes): rule --block-quic;
#   - without the options, an unnamed flow passes, logged "unnamed": true;
#   - a symbolic link at the --log path is refused, at start (exit 1, one
#     clear line) and on SIGHUP (a warning; the link's target stays empty);
#   - --block-unnamed with --peek-timeout 0 is refused.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"

ECHO_PORT=9001
JUNK_PORT=9053
IDLE=2

setup_netns
engine_up
mkcg app insp

# ---- the servers and the client -------------------------------------------------------

# UDP echo on the given ports, in the server netns.
cat >"$T/udp_echo.py" <<'PY'
import selectors, socket, sys

sel = selectors.DefaultSelector()
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        data, peer = key.fileobj.recvfrom(65535)
        key.fileobj.sendto(data, peer)
PY

# cli.py tcp|udp HOST PORT KIND...: sends the payloads KIND (on one socket,
# each after the echo of the last), and prints what came back: "echo" per
# payload echoed whole, "none" (UDP: nothing within 1 s), "closed" (TCP: EOF
# or a reset before the whole echo).
cat >"$T/cli.py" <<'PY'
import socket, struct, sys

def hello(name, pad, chunk):
    sni = name.encode()
    exts = struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    exts += struct.pack(">HH", 21, pad) + bytes(pad)
    body = b"\x03\x03" + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00"
    body += struct.pack(">H", len(exts)) + exts
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"".join(b"\x16\x03\x01" + struct.pack(">H", len(hs[i:i + chunk])) + hs[i:i + chunk]
                    for i in range(0, len(hs), chunk))

def dns(name, ns=0, tail=b""):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, ns, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return q + b"\x00\x01\x00\x01" + tail

PAYLOADS = {
    "http-invalid": b"GET / HTTP/1.1\r\nX@Y: 1\r\nHost: named.example\r\n\r\n",
    "http-nohost": b"GET / HTTP/1.0\r\n\r\n",
    "tls-60k": hello("big.example", 60000, 16384),
    "tls-huge": hello("huge.example", 65500, 16384),
    "dns-odd": dns("odd.example", ns=1, tail=b"trailing bytes"),
    "junk": b"\x01\x02 not a query",
    "quic": b"\xc3\x00\x00\x00\x01\x08" + bytes(1194),
}

proto, host, port, kinds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((host, port))
    for k in kinds:
        s.send(PAYLOADS[k])
        try:
            print("echo" if s.recv(65535) == PAYLOADS[k] else "other")
        except OSError:
            print("none")
    sys.exit(0)
data = PAYLOADS[kinds[0]]
s = socket.create_connection((host, port), timeout=10)
got = b""
try:
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    while chunk := s.recv(1 << 16):
        got += chunk
except OSError:
    pass
print("echo" if got == data else "closed")
PY

spawn echo - "$NSP_SRV" "$PY" "$LWFP_ROOT/tests/integration/echo_server.py" "$ECHO_PORT" 1024
spawn uecho - "$NSP_SRV" "$PY" "$T/udp_echo.py" 53 "$JUNK_PORT" 443
wait_listen "$NSP_SRV" "$ECHO_PORT"
wait_until 10 udp_bound "$NSP_SRV" 443 || fail "the UDP echo server does not listen: $(cat "$T/uecho.err")"

# cli NAME PROTO PORT KIND...: the client in the app cgroup; what it prints
# must be NAME's wanted output, given in WANT.
cli() {
	local got
	got=$(run_in app "$PY" "$T/cli.py" "$2" "$SRV4" "$3" "${@:4}" 2>&1 | tr '\n' ' ')
	[ "$got" = "$WANT " ] || fail "$1: the client got '$got', want '$WANT '"
}

# The line of NAME's log for the flow to ADDR:PORT (the first one, or the
# Nth with a third argument).
line_to() {
	grep -n "\"orig_dst\":\"$2\"" "$T/$1.log" | sed -n "${3:-1}p" | cut -d: -f1
}

# ---- --block-unnamed --block-quic ---------------------------------------------------------

start_inspect U insp 127.0.0.1:15001 --register --proto tcp,udp \
	--dport "$ECHO_PORT,53,$JUNK_PORT,443" --udp-idle-timeout "$IDLE" --block-unnamed --block-quic
U=$LAST_PID
TO=$SRV4:$ECHO_PORT

WANT="echo" cli "X@Y header" tcp "$ECHO_PORT" http-invalid
wait_flows U 1
expect_flow U 1 proto=tcp verdict=pass host=named.example '!unnamed' "orig_dst=$TO" 'bytes_up>=40'

WANT="echo" cli "60 KiB ClientHello" tcp "$ECHO_PORT" tls-60k
wait_flows U 2
expect_flow U 2 proto=tcp verdict=pass sni=big.example '!unnamed' 'bytes_up>=60000' \
	'bytes_down>=60000'

WANT="closed" cli "HTTP/1.0 without Host" tcp "$ECHO_PORT" http-nohost
wait_flows U 3
expect_flow U 3 proto=tcp verdict=block rule=--block-unnamed unnamed=true '!host' bytes_up=0

WANT="closed" cli "ClientHello over 64 KiB" tcp "$ECHO_PORT" tls-huge
wait_flows U 4
expect_flow U 4 proto=tcp verdict=block rule=--block-unnamed unnamed=true '!sni' bytes_up=0

# The UDP flows end after IDLE s without a datagram: all at about once.
WANT="echo" cli "DNS query, NSCOUNT 1 and trailing bytes" udp 53 dns-odd
WANT="none" cli "a datagram that is no query" udp "$JUNK_PORT" junk
WANT="none" cli "QUIC" udp 443 quic
WANT="echo none" cli "a DNS flow's second datagram" udp 53 dns-odd junk
wait_flows U 8
expect_flow U "$(line_to U "$SRV4:53")" proto=udp verdict=pass dns=odd.example dns_type=A \
	'!unnamed' packets_up=1 packets_down=1
expect_flow U "$(line_to U "$SRV4:$JUNK_PORT")" proto=udp verdict=block rule=--block-unnamed \
	unnamed=true '!dns' packets_up=0 'dropped_up>=1'
expect_flow U "$(line_to U "$SRV4:443")" proto=udp verdict=block rule=--block-quic unnamed=true \
	packets_up=0 'dropped_up>=1'
expect_flow U "$(line_to U "$SRV4:53" 2)" proto=udp verdict=block rule=--block-unnamed \
	unnamed=true dns=odd.example packets_up=1 packets_down=1 dropped_up=1

# SIGHUP with a link planted where the log was: refused, the old file kept.
mv "$T/U.log" "$T/U.old"
: >"$T/target"
ln -s "$T/target" "$T/U.log"
kill -HUP "$U"
wait_until 10 grep -q "reopening $T/U.log: a symbolic link, which is not followed" "$T/U.err" ||
	fail "no warning after SIGHUP with a link at the log path: $(cat "$T/U.err")"
WANT="closed" cli "HTTP/1.0 without Host, after SIGHUP" tcp "$ECHO_PORT" http-nohost
old_has() { [ "$(grep -c . "$T/U.old")" -ge "$1" ]; }
wait_until 10 old_has 9 ||
	fail "the flow after SIGHUP is not in the old log: $(tail -n 1 "$T/U.old")"
[ -s "$T/target" ] && fail "the log was written through the link: $(cat "$T/target")"
stop_inspect U "$U"
rm -f "$T/U.log"

# ---- without the options: logged, passed ---------------------------------------------------

start_inspect P insp 127.0.0.1:15001 --register --dport "$ECHO_PORT"
P=$LAST_PID
WANT="echo" cli "HTTP/1.0 without Host, no --block-unnamed" tcp "$ECHO_PORT" http-nohost
wait_flows P 1
expect_flow P 1 proto=tcp verdict=pass unnamed=true '!rule'
stop_inspect P "$P"

# ---- a symbolic link at --log ------------------------------------------------------------------

ln -s "$T/target" "$T/link.log"
"$INSPECT" --listen 127.0.0.1:15002 --pin-dir "$PIN" --log "$T/link.log" >"$T/link.out" 2>&1 &&
	fail "lwfp-inspect started with a symbolic link as its log"
[ "$(cat "$T/link.out")" = "lwfp-inspect: --log $T/link.log: a symbolic link, which is not followed" ] ||
	fail "the error for a linked log: $(cat "$T/link.out")"
[ -s "$T/target" ] && fail "the link's target was written"

# --block-unnamed judges what the peek saw: without the peek it is refused.
"$INSPECT" --listen 127.0.0.1:15002 --pin-dir "$PIN" --block-unnamed --peek-timeout 0 \
	>"$T/nopeek.out" 2>&1 && fail "lwfp-inspect took --block-unnamed with --peek-timeout 0"
grep -q -- "--block-unnamed needs the peek" "$T/nopeek.out" ||
	fail "the error for --block-unnamed without the peek: $(cat "$T/nopeek.out")"

pass
