#!/bin/bash
# The Winsock layer's UDP part against a real engine: lwfp-test-win udp, a
# UDP proxy written with the Windows API (WSARecvMsg, WSASendMsg, IN_PKTINFO),
# is the target of a UDP filter with the sockaddrs context, and lwfp-inspect
# (--register --proto udp, lower weight) comes after it:
#   app (python3) -> lwfp-test-win udp -> lwfp-inspect -> UDP echo server
#   (a) the proxy's WSARecvMsg gets IP_WFP_REDIRECT_RECORDS (32 bytes: one
#       hop) and IP_WFP_REDIRECT_CONTEXT (256 bytes) with the flow's first
#       datagram, next to its own IP_PKTINFO, and neither with the later
#       ones;
#   (b) WSASendMsg with the records message on the proxy's outbound socket
#       works: the datagrams go on to lwfp-inspect, whose log names both
#       hops (the chain continues and does not come back to the proxy), and
#       every answer reaches the application from the original destination;
#   (c) the records message on a connected UDP socket: WSAEISCONN;
#   (d) all of it again over IPv6: an IPV6_V6ONLY application socket, the
#       proxy on [::] with IPV6_PKTINFO, the flow's IPv6 address.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"
WINTEST=$BIN/lwfp-test-win
[ -x "$WINTEST" ] || fail "$WINTEST is missing (run make, or set LWFP_BUILD)"

PORT=7201
IDLE=2
N=4

setup_netns
engine_up
mkcg app svcW svcI

# The echo server: each datagram comes back as "echo|" and the datagram.
cat >"$T/echo.py" <<'PY'
import selectors, socket, sys
sel = selectors.DefaultSelector()
for host in sys.argv[1:-1]:
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(sys.argv[-1])))
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        data, peer = key.fileobj.recvfrom(65536)
        key.fileobj.sendto(b"echo|" + data, peer)
PY
spawn echo - "$NSP_SRV" "$PY" "$T/echo.py" "$SRV4" "$SRV6" "$PORT"
wait_until 10 udp_bound "$NSP_SRV" "$PORT" || fail "the echo server did not start: $(cat "$T/echo.err")"

# The application: N datagrams on one unconnected socket, one at a time, each
# answer from where the datagram went.
cat >"$T/app.py" <<'PY'
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
if ":" in host:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.settimeout(10)
for i in range(n):
    msg = f"datagram {i}".encode()
    s.sendto(msg, (host, port))
    data, src = s.recvfrom(65536)
    if (src[0], src[1]) != (host, port):
        sys.exit(f"answer {i} came from {src}, want {host}:{port}")
    if data != b"echo|" + msg:
        sys.exit(f"answer {i}: {data!r}")
print("ok")
PY

service_add HW winudp --cgroup "$CG/svcW"
start_inspect inspect svcI 127.0.0.1:15102 --register --proto udp --service inspect \
	--dport "$PORT" --weight 100 --udp-idle-timeout "$IDLE"

# flow_through FAMILY DST LISTEN LOGLINE: (a)-(c) for the application's
# datagrams to DST:PORT, with lwfp-test-win udp on LISTEN; lwfp-inspect's
# log line LOGLINE is the flow's.
flow_through() {
	local fam=$1 dst=$2 listen=$3 line=$4 want got i orig
	filter_add FW --service winudp --to "127.0.0.1:${listen##*:}" --weight 200 --proto udp \
		--family "$fam" --dst "$dst/$([ "$fam" = 4 ] && echo 32 || echo 128)" --dport "$PORT" \
		--context sockaddrs
	rm -f "$T/winudp.ready"
	spawn winudp svcW "$NSP_CLI" "$WINTEST" udp --listen "$listen" --count "$N" \
		--pidfile "$T/winudp.ready" --timeout 30
	winudp=$LAST_PID
	wait_until 10 test -s "$T/winudp.ready" ||
		fail "lwfp-test-win udp did not start: $(cat "$T/winudp.out" "$T/winudp.err")"

	run_in app "$PY" "$T/app.py" "$dst" "$PORT" "$N" >"$T/app.out" 2>&1 ||
		fail "the application (IPv$fam): $(cat "$T/app.out")
proxy: $(cat "$T/winudp.out" "$T/winudp.err")
engine: $("$LWFPCTL" stats --pin-dir "$PIN" 2>&1 | tr '\n' ' ')"

	wait_exit "$winudp" 15
	[ "$WAIT_RC" = 0 ] || fail "lwfp-test-win udp exited $WAIT_RC:
$(cat "$T/winudp.out" "$T/winudp.err")"
	grep -q '^FAIL' "$T/winudp.out" && fail "lwfp-test-win udp: $(cat "$T/winudp.out")"

	want="dgram 0 records=32 context=256 pktinfo=1"
	for ((i = 1; i < N; i++)); do
		want+=$'\n'"dgram $i records=0 context=0 pktinfo=1"
	done
	got=$(grep '^dgram ' "$T/winudp.out")
	[ "$got" = "$want" ] || fail "the proxy's datagrams (IPv$fam):
$got
want:
$want"
	grep -qx 'ok udp-sendmsg-connected' "$T/winudp.out" ||
		fail "records on a connected socket (IPv$fam): $(cat "$T/winudp.out")"

	# The flow through lwfp-inspect is logged once idle: both hops, in order.
	wait_until $((IDLE + 8)) log_has inspect "$line" ||
		fail "lwfp-inspect logged no line $line: $(cat "$T/inspect.err")"
	orig="$dst:$PORT"
	[ "$fam" = 6 ] && orig="[$dst]:$PORT"
	got=$("$PY" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == int(sys.argv[3]), lines
o = lines[-1]
assert o.get("verdict") == "pass", o
assert o.get("orig_dst") == sys.argv[2], o
print(",".join(o["chain"]))' "$T/inspect.log" "$orig" "$line") ||
		fail "lwfp-inspect's log: $(cat "$T/inspect.log")"
	[ "$got" = "winudp,inspect" ] || fail "the chain (IPv$fam) is '$got', want 'winudp,inspect'"
	ctl filter del "$FW"
}

# ---- (a)-(c) ------------------------------------------------------------------

flow_through 4 "$SRV4" 127.0.0.1:15101 1

# ---- (d) IPv6 -----------------------------------------------------------------

flow_through 6 "$SRV6" '[::1]:15103' 2

pass
