#!/bin/bash
# UDP through lwfp-inspect, with UDP echo servers (python3) in the server
# netns that tag each reply with the address it was sent to:
#   (a) one unconnected socket sends to two destinations through one
#       --register --proto udp instance: each reply comes back from the
#       right source, and the proxy logs two flows with their counts; so
#       does an IPV6_V6ONLY socket to two IPv6 destinations (through the
#       flows' IPv6 addresses); connected dual-stack and IPV6_V6ONLY sockets
#       work too; --block PREFIX drops a
#       flow, logged with verdict block. --proto tcp,udp registers both
#       kinds of filter; a second instance cannot take a UDP port in use;
#   (b) idle expiry: the registered filter carries --udp-idle-timeout 2, and
#       while the application keeps its socket open, its flow is gone from
#       `lwfpctl flows -j` after 2 s; the next datagram makes a new flow;
#   (c) a two-hop chain of instances: it ends at the destination, each proxy
#       logs each flow once with one token, the second's chain names both
#       hops, and `lwfpctl flows -j` shows the second hop with two;
#   (d) scale: 10,000 datagrams over 100 flows (10 unconnected sockets x 10
#       destinations), paced 100 in flight, all come back through one hop
#       from the right source, and the log counts every one. A datagram that
#       the engine refuses at sendto() (ENOBUFS: it could not make the flow)
#       is counted, and must match the engine's flow_table_full counter;
#   (e) `up` routes the IPv6 flow addresses in its netns, for this host's
#       packets only (a neighbour's do not reach them), `down` removes it;
#   (f) a proxy's per-flow UDP socket answers the state query (BY_SELF for
#       its service, BY_OTHER for another), records and original destination.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"

SRV4B=198.18.0.3
IDLE=2

setup_netns
ip -n "$NS_SRV" addr add "$SRV4B/24" dev "$VETH_SRV" || fail "cannot add $SRV4B"
engine_up
mkcg app

# ---- helpers -----------------------------------------------------------------------

# The echo server: one socket per ADDR:PORT argument ([V6]:PORT for IPv6);
# each datagram comes back as "ADDR:PORT|" and the datagram.
cat >"$T/echo.py" <<'PY'
import selectors, socket, sys

sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    host, port = spec.rsplit(":", 1)
    v6 = host.startswith("[")
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((host.strip("[]"), int(port)))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, (spec + "|").encode())
while True:
    for key, _ in sel.select():
        while True:
            try:
                data, peer = key.fileobj.recvfrom(65536)
            except BlockingIOError:
                break
            key.fileobj.sendto(key.data + data, peer)
PY

# The application. Every reply must come from where the datagram went, with
# the tag of the server listening there.
cat >"$T/app.py" <<'PY'
import errno, json, select, socket, sys, time

def tag(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

def check(data, src, host, port, msg):
    want = (tag(host, port) + "|").encode() + msg
    if (src[0], src[1]) != (host, port):
        sys.exit(f"reply to {tag(host, port)} came from {src}")
    if data != want:
        sys.exit(f"reply to {tag(host, port)}: {data[:80]!r}, want {want[:80]!r}")

def ask(s, host, port, msg, connected=False):
    if connected:
        s.send(msg)
    else:
        s.sendto(msg, (host, port))
    data, src = s.recvfrom(65536)
    check(data, src, host, port, msg)

def udp4(timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    return s

mode, args = sys.argv[1], sys.argv[2:]
if mode == "multi":
    # multi ROUNDS HOST:PORT...: one unconnected socket, every destination per
    # round; IPV6_V6ONLY for [IPv6]:PORT destinations
    rounds = int(args[0])
    dsts = [(a.rsplit(":", 1)[0].strip("[]"), int(a.rsplit(":", 1)[1])) for a in args[1:]]
    if ":" in dsts[0][0]:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.settimeout(5)
    else:
        s = udp4()
    for r in range(rounds):
        for host, port in dsts:
            ask(s, host, port, f"round {r} to {host}:{port}".encode())
    print("ok")
elif mode == "connected":
    # connected FAMILY HOST PORT N: a connected socket; 6 means dual-stack
    # IPv6, 6only IPV6_V6ONLY
    fam, host, port, n = args[0], args[1], int(args[2]), int(args[3])
    s = socket.socket(socket.AF_INET if fam == "4" else socket.AF_INET6, socket.SOCK_DGRAM)
    if fam != "4":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(fam == "6only"))
    s.settimeout(5)
    s.connect((host, port))
    peer = s.getpeername()
    if (peer[0], peer[1]) != (host, port):
        sys.exit(f"getpeername: {peer}, want {host}:{port}")
    for i in range(n):
        ask(s, host, port, f"connected {i}".encode(), connected=True)
    print("ok")
elif mode == "silent":
    # silent HOST PORT: no reply may come
    s = udp4(1.5)
    s.sendto(b"anyone?", (args[0], int(args[1])))
    try:
        data, src = s.recvfrom(65536)
        sys.exit(f"a reply came from {src}: {data[:80]!r}")
    except socket.timeout:
        print("ok")
elif mode == "hold":
    # hold HOST PORT READY GO: a datagram, then wait for the file GO (while the
    # test watches the flow expire), then another datagram on the same socket
    host, port, ready, go = args[0], int(args[1]), args[2], args[3]
    s = udp4()
    ask(s, host, port, b"before")
    open(ready, "w").write("1")
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            open(go).close()
            break
        except FileNotFoundError:
            time.sleep(0.05)
    ask(s, host, port, b"after")
    print("ok")
elif mode == "scale":
    # scale NSOCK ROUNDS HOST PORT...: NSOCK unconnected sockets, each sending
    # to every HOST:PORT, one datagram per flow and round; a round waits for
    # its replies (up to 2 s), so at most NSOCK * len(PORTS) are in flight.
    nsock, rounds, host, ports = int(args[0]), int(args[1]), args[2], [int(p) for p in args[3:]]
    socks = [udp4() for _ in range(nsock)]
    index = {s: i for i, s in enumerate(socks)}
    for s in socks:
        s.setblocking(False)
    sent = refused = got = bad = 0
    seen = set()
    for r in range(rounds):
        for i, s in enumerate(socks):
            for p in ports:
                try:
                    s.sendto(f"{i} {p} {r}".encode().ljust(64, b"."), (host, p))
                    sent += 1
                except OSError as e:
                    # The engine refused to make the flow (its flow_table_full).
                    if e.errno != errno.ENOBUFS:
                        raise
                    refused += 1
        end = time.monotonic() + 2
        while got < sent and time.monotonic() < end:
            ready, _, _ = select.select(socks, [], [], max(0, end - time.monotonic()))
            for s in ready:
                while True:
                    try:
                        data, src = s.recvfrom(65536)
                    except BlockingIOError:
                        break
                    head, _, body = data.partition(b"|")
                    fi, fp, fr = body.rstrip(b".").decode().split()
                    key = (int(fi), int(fp), int(fr))
                    if (src[0], src[1]) != (host, key[1]) or head.decode() != f"{host}:{fp}" \
                            or key[0] != index[s] or key in seen:
                        bad += 1
                    else:
                        seen.add(key)
                        got += 1
    print(json.dumps({"sent": sent, "refused": refused, "received": got, "bad": bad}))
PY

# line_of NAME KEY=VALUE: the number of the one line of NAME's log whose
# string field KEY is VALUE.
line_of() {
	"$PY" -c '
import json, sys
k, v = sys.argv[2].split("=", 1)
hits = [n for n, l in enumerate(open(sys.argv[1]), 1) if l.strip() and json.loads(l).get(k) == v]
if len(hits) != 1:
    sys.exit(f"{len(hits)} lines with {k}={v}")
print(hits[0])' "$T/$1.log" "$2" 2>"$T/line_of.err" ||
		fail "log of $1: $(cat "$T/line_of.err"): $(cat "$T/$1.log")"
}

app() { # NAME MODE ARGS...: app.py in the app cgroup, output in $T/NAME.out
	local name=$1
	shift
	run_in app "$PY" "$T/app.py" "$@" >"$T/$name.out" 2>&1 ||
		fail "app $* failed: $(cat "$T/$name.out")"
}

# flows_json: `lwfpctl flows -j`
flows_json() { "$LWFPCTL" flows -j --pin-dir "$PIN"; }

# ---- the servers ----------------------------------------------------------------------

scale_ports=()
for p in $(seq 7100 7109); do scale_ports+=("$p"); done
specs=("$SRV4:7001" "$SRV4B:7002" "[$SRV6]:7001" "[$SRV6]:7002" "$SRV4:7003")
for p in "${scale_ports[@]}"; do specs+=("$SRV4:$p"); done
spawn echo - "$NSP_SRV" "$PY" "$T/echo.py" "${specs[@]}"
wait_until 10 udp_bound "$NSP_SRV" 7109 || fail "the echo server did not start: $(cat "$T/echo.err")"

# ---- (a) one socket, two destinations ----------------------------------------------------

mkcg insp1
start_inspect I1 insp1 127.0.0.1:15001 --register --proto udp --dport 7001-7002 \
	--udp-idle-timeout "$IDLE" --block 198.18.0.128/25
I1=$LAST_PID
S1=lwfp-inspect-$I1
ctl filter list -j
"$PY" -c '
import json, sys
f = json.load(sys.stdin)
assert len(f) == 1, f
assert (f[0]["to"], f[0]["proto"], f[0]["idle_timeout"]) == ("127.0.0.1:15001", "udp", 2), f[0]
' <<<"$CTL_OUT" || fail "the filter of --register --proto udp --udp-idle-timeout 2: $CTL_OUT"

# Both protocols: a TCP filter per family with a listener, and one UDP
# filter, for both families, to the IPv4 listener.
mkcg insp9
start_inspect X insp9 127.0.0.1:15009 --listen '[::1]:15009' --register --proto tcp,udp \
	--dport 7009
X=$LAST_PID
ctl filter list -j
"$PY" -c '
import json, sys
f = sorted((x["proto"], x["family"] or 0, x["to"], x["dport"]) for x in json.load(sys.stdin)
           if x["service"] == sys.argv[1])
want = [("tcp", 4, "127.0.0.1:15009", "7009"), ("tcp", 6, "[::1]:15009", "7009"),
        ("udp", 0, "127.0.0.1:15009", "7009")]
assert f == want, f
' "lwfp-inspect-$X" <<<"$CTL_OUT" || fail "the filters of --register --proto tcp,udp: $CTL_OUT"
stop_inspect X "$X"
# Another instance on a UDP port in use: with --proto udp it cannot start;
# TCP-only, it starts and says it relays no UDP there.
run_in insp9 "$INSPECT" --listen 127.0.0.2:15001 --register --proto udp --pin-dir "$PIN" \
	>"$T/dup.out" 2>&1 && fail "a second --proto udp instance on UDP port 15001 started"
grep -q 'UDP port 15001' "$T/dup.out" || fail "a second instance on UDP port 15001: $(cat "$T/dup.out")"
start_inspect Y insp9 127.0.0.2:15001 --register --dport 7009
grep -q 'UDP port 15001: .*not relaying UDP there' "$T/Y.err" ||
	fail "a TCP-only instance on a taken UDP port: $(cat "$T/Y.err")"
stop_inspect Y "$LAST_PID"
ctl filter list -j
[ "$(tr -d ' \n' <<<"$CTL_OUT" | grep -c 15009)" = 0 ] || fail "filters left: $CTL_OUT"

app two multi 3 "$SRV4:7001" "$SRV4B:7002"
wait_flows I1 2
l1=$(line_of I1 "orig_dst=$SRV4:7001")
l2=$(line_of I1 "orig_dst=$SRV4B:7002")
for l in "$l1" "$l2"; do
	expect_flow I1 "$l" proto=udp verdict=pass "chain=[\"$S1\"]" comm=python3 uid=0 \
		packets_up=3 packets_down=3 dropped_up=0 dropped_down=0 'bytes_up>=60' '!dns'
done
"$PY" -c '
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][:2]
assert a["pid"] == b["pid"], (a, b)
assert a["token"] != b["token"], (a, b)
' "$T/I1.log" || fail "the two flows of one socket: not one pid, or one token: $(cat "$T/I1.log")"

# IPv6 sockets, connected dual-stack and IPV6_V6ONLY: redirected through
# the flows' IPv6 addresses, their peer and replies still show the server.
app conn6 connected 6 "$SRV6" 7001 2
wait_flows I1 3
expect_flow I1 3 proto=udp verdict=pass "orig_dst=[$SRV6]:7001" packets_up=2 packets_down=2
app conn6only connected 6only "$SRV6" 7001 2
wait_flows I1 4
expect_flow I1 4 proto=udp verdict=pass "orig_dst=[$SRV6]:7001" packets_up=2 packets_down=2

# One unconnected IPV6_V6ONLY socket, two IPv6 destinations: two flows.
app two6 multi 3 "[$SRV6]:7001" "[$SRV6]:7002"
wait_flows I1 6
for l in 5 6; do
	expect_flow I1 "$l" proto=udp verdict=pass "chain=[\"$S1\"]" packets_up=3 packets_down=3 \
		dropped_up=0 dropped_down=0
done
"$PY" -c '
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][4:6]
assert sorted((a["orig_dst"], b["orig_dst"])) == sys.argv[2:], (a, b)
assert a["pid"] == b["pid"] and a["token"] != b["token"], (a, b)
' "$T/I1.log" "[$SRV6]:7001" "[$SRV6]:7002" ||
	fail "the two IPv6 flows of one socket: $(tail -n 2 "$T/I1.log")"

# A blocked prefix: the datagram goes nowhere, the flow is logged as blocked.
app blocked silent 198.18.0.200 7001
wait_flows I1 7
expect_flow I1 7 proto=udp verdict=block rule=198.18.0.128/25 "orig_dst=198.18.0.200:7001" \
	packets_up=0 dropped_up=1 '!error'

# ---- (b) idle expiry ----------------------------------------------------------------------

wait_until 10 flows_empty || fail "flows left before the expiry test: $(flows_json)"
counter_var exp0 udp_expired
rm -f "$T/ready" "$T/go"
spawn hold app "$NSP_CLI" "$PY" "$T/app.py" hold "$SRV4" 7001 "$T/ready" "$T/go"
HOLD=$LAST_PID
wait_until 10 test -e "$T/ready" || fail "the holding app got no reply: $(cat "$T/hold.out" "$T/hold.err")"
[ "$(nflows)" -ge 1 ] || fail "no flow listed while the app's flow is live: $(flows_json)"
flows_json | "$PY" -c '
import json, sys
f = [x for x in json.load(sys.stdin) if x["orig_dst"] == sys.argv[1]]
assert len(f) == 1 and f[0]["proto"] == "udp", f
' "$SRV4:7001" || fail "flows -j does not show the UDP flow: $(flows_json)"
t0=$(date +%s%N)
wait_until $((IDLE + 5)) flows_empty || fail "the flow did not expire after ${IDLE} s: $(flows_json)"
ms=$((($(date +%s%N) - t0) / 1000000))
alive "$HOLD" || fail "the holding app exited: $(cat "$T/hold.out" "$T/hold.err")"
counter_var exp1 udp_expired
[ "$exp1" -gt "$exp0" ] || fail "udp_expired did not grow ($exp0 -> $exp1)"
echo "the flow expired ${ms} ms after it was seen live (idle timeout ${IDLE} s)" >&2
# The same socket to the same destination: a new flow, relayed again.
touch "$T/go"
wait_exit "$HOLD" 10
[ "$WAIT_RC" = 0 ] || fail "after the expiry, the app's next datagram: $(cat "$T/hold.out" "$T/hold.err")"
wait_flows I1 9
"$PY" -c '
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][7:9]
assert a["token"] != b["token"] and a["packets_up"] == b["packets_up"] == 1, (a, b)
' "$T/I1.log" || fail "before and after the expiry: not two flows of one datagram: $(tail -n 2 "$T/I1.log")"
stop_inspect I1 "$I1"

# ---- (c) a two-hop chain ----------------------------------------------------------------------

mkcg inspA inspB
start_inspect CB inspB 127.0.0.1:15012 --register --proto udp --dport 7003 --service chainB \
	--weight 100 --udp-idle-timeout 3
CB=$LAST_PID
start_inspect CA inspA 127.0.0.1:15011 --register --proto udp --dport 7003 --service chainA \
	--weight 200 --udp-idle-timeout 3
CA=$LAST_PID
app chain1 multi 3 "$SRV4:7003"
app chain2 connected 4 "$SRV4" 7003 2
# While the proxies' flows live, the second hop carries both.
flows_json | "$PY" -c '
import json, sys
f = json.load(sys.stdin)
two = [x for x in f if x["nhops"] == 2]
assert two, f
for x in two:
    assert [h["service"] for h in x["hops"]] == ["chainA", "chainB"], x
' || fail "flows -j has no second hop with the hops chainA, chainB: $(flows_json)"
IDLE=3 wait_flows CA 2
IDLE=3 wait_flows CB 2
"$PY" -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert len(a) == len(b) == 2, (a, b)
assert sorted(x["token"] for x in a) == sorted(x["token"] for x in b), (a, b)
assert len({x["token"] for x in a}) == 2, a
for x in a:
    assert x["chain"] == ["chainA"] and x["verdict"] == "pass", x
for x in b:
    assert x["chain"] == ["chainA", "chainB"] and x["verdict"] == "pass", x
for x in a + b:
    assert x["orig_dst"] == sys.argv[3] and x["comm"] == "python3", x
    assert x["packets_up"] == x["packets_down"] in (2, 3), x
    assert x["dropped_up"] == x["dropped_down"] == 0, x
' "$T/CA.log" "$T/CB.log" "$SRV4:7003" ||
	fail "the chain's logs: $(cat "$T/CA.log" "$T/CB.log")"
stop_inspect CA "$CA"
stop_inspect CB "$CB"
if [ "$(log_lines CA)" != 2 ] || [ "$(log_lines CB)" != 2 ]; then
	fail "the chain logged more flows than it had: $(cat "$T/CA.log" "$T/CB.log")"
fi

# ---- (d) scale -------------------------------------------------------------------------------

mkcg inspS
start_inspect SC inspS 127.0.0.1:15021 --register --proto udp --dport 7100-7109 \
	--udp-idle-timeout "$IDLE"
SC=$LAST_PID
snmp() { # NSPATH: the UDP RcvbufErrors of the netns
	nsenter --net="$1" awk '/^Udp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp
}
rb_cli0=$(snmp "$NSP_CLI")
rb_srv0=$(snmp "$NSP_SRV")
counter_var full0 flow_table_full
app scale scale 10 100 "$SRV4" "${scale_ports[@]}"
res=$(cat "$T/scale.out")
counter_var full1 flow_table_full
wait_flows SC 100
stop_inspect SC "$SC"
# Every datagram the kernel took from the application comes back; one that
# the engine refused at sendto() (ENOBUFS) must show in flow_table_full.
"$PY" -c '
import json, sys
r = json.loads(sys.argv[2])
sent, refused, received, bad = r["sent"], r["refused"], r["received"], r["bad"]
full = int(sys.argv[5])
flows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
up = sum(f["packets_up"] for f in flows)
down = sum(f["packets_down"] for f in flows)
drop = sum(f["dropped_up"] + f["dropped_down"] for f in flows)
print(f"scale: {r}; the proxy logged {len(flows)} flows, {up} datagrams up, {down} down, "
      f"{drop} dropped; receive-buffer drops: client netns {sys.argv[3]}, server netns "
      f"{sys.argv[4]}; the engine refused {full} new flows (flow_table_full)", file=sys.stderr)
if sent + refused != 10000:
    sys.exit("the application did not try 10000 datagrams")
if refused != full:
    sys.exit(f"{refused} datagrams refused at sendto(), but flow_table_full grew by {full}")
if received != sent or bad:
    sys.exit(f"{sent - received} of {sent} datagrams lost, {bad} wrong")
if len(flows) != 100 or up != sent or down != sent or drop:
    sys.exit("the log does not count every datagram")
if full:
    print(f"NOTE: the engine refused {full} datagrams that would have opened a flow "
          "(ENOBUFS at sendto, flow_table_full); not a loss of lwfp-inspect", file=sys.stderr)
' "$T/SC.log" "$res" "$(($(snmp "$NSP_CLI") - rb_cli0))" "$(($(snmp "$NSP_SRV") - rb_srv0))" \
	"$((full1 - full0))" 2>"$T/scale.err" || fail "$(cat "$T/scale.err")"
cat "$T/scale.err" >&2

wait_until 10 flows_empty || fail "flows left at the end: $(flows_json)"
ctl service list -j
[ "$(tr -d ' \n' <<<"$CTL_OUT")" = "[]" ] || fail "services left at the end: $CTL_OUT"

# ---- (f) a proxy's per-flow socket answers the state query ------------------------------

# A UDP proxy in Python: the first datagram's flow address (IP_PKTINFO), a
# per-flow socket bound there and connected to the client, and on it
# LWFP_SO_STATE(handle) for its own service (BY_SELF) and another (BY_OTHER),
# the records' size and the original destination's port.
cat >"$T/stateproxy.py" <<'PY'
import socket, struct, sys
port, mine, other, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
SOL_LWFP, IP_PKTINFO = 0x4c57, 8
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
s.bind(("0.0.0.0", port))
open(out + ".ready", "w").close()
s.settimeout(20)
data, anc, _, peer = s.recvmsg(2048, 256)
flow = [socket.inet_ntoa(v[8:12]) for l, t, v in anc if l == socket.IPPROTO_IP and t == IP_PKTINFO][0]
f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
f.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
f.bind((flow, port))
f.connect(peer)
state = lambda h: struct.unpack("I", f.getsockopt(SOL_LWFP, 0x100000 | h, 4))[0]
rec = f.getsockopt(SOL_LWFP, 1, 512)
dst = f.getsockopt(SOL_LWFP, 3, 64)
# All before the answer: the client's close then ends the flow.
res = f"{state(mine)} {state(other)} {len(rec)} {struct.unpack('!H', dst[16:18])[0]}\n"
f.send(b"ok")
open(out, "w").write(res)
PY
mkcg stateP
service_add HP stateproxy --cgroup "$CG/stateP"
service_add HQ otherproxy --uid 65534
filter_add FP --service stateproxy --to 127.0.0.1:15077 --proto udp --family 4 --dst "$SRV4/32" \
	--dport 7077
spawn stateproxy stateP "$NSP_CLI" "$PY" "$T/stateproxy.py" 15077 "$HP" "$HQ" "$T/state.res"
wait_until 10 test -e "$T/state.res.ready" || fail "the state proxy did not start: $(cat "$T/stateproxy.err")"
run_in app "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(b"state?", (sys.argv[1], 7077))
data, src = s.recvfrom(100)
assert data == b"ok" and src == (sys.argv[1], 7077), (data, src)
' "$SRV4" >"$T/stateapp.out" 2>&1 || fail "the state proxy's client: $(cat "$T/stateapp.out" "$T/stateproxy.err")"
read -r st_self st_other rec_len dport <"$T/state.res" || fail "the state proxy wrote nothing: $(cat "$T/stateproxy.err")"
[ "$st_self" = 1 ] && [ "$st_other" = 2 ] ||
	fail "state on a per-flow UDP socket: $st_self for its service, $st_other for another; want 1 (BY_SELF), 2 (BY_OTHER); records $rec_len bytes, port $dport"
[ "$rec_len" -gt 0 ] && [ "$dport" = 7077 ] || fail "records $rec_len bytes, original port $dport on the per-flow socket"
ctl filter del "$FP"

# ---- (e) the route of the IPv6 flow addresses ----------------------------------------------

# `up` routes them in the netns it runs in, in a table of their own that
# only this host's packets consult (a rule "iif lo"); `down` removes both
# when no other engine sits next to its pin directory ($PIN/solo has none).
route6() {
	echo $(($(ip -n "$1" -6 route show table 19575 2>/dev/null | grep -c '^local fd6c:7766:7000::/96 dev lo proto 76') +
		$(ip -n "$1" -6 rule show | grep -c 'to fd6c:7766:7000::/96 iif lo lookup 19575 proto 76')))
}
[ "$(route6 "$NS_CLI")" = 2 ] || fail "no route and rule of fd6c:7766:7000::/96 in $NS_CLI after up"
[ "$(route6 "$NS_SRV")" = 0 ] || fail "a route of fd6c:7766:7000::/96 in $NS_SRV before any up there"

# A neighbour that routes fd6c:7766:7000::/96 to this host reaches no flow
# address; this host's own datagram does.
cat >"$T/sink6.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::", 7999))
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(0.2)
got, end = [], time.monotonic() + 3
while time.monotonic() < end:
    try:
        got.append(s.recvfrom(100))
    except socket.timeout:
        pass
open(sys.argv[1], "w").write(" ".join(d.decode() for d, _ in got) + "\n")
PY
ip -n "$NS_SRV" -6 route add fd6c:7766:7000::/96 via "$CLI6" || fail "cannot route fd6c:7766:7000::/96 in $NS_SRV"
spawn sink6 - "$NSP_CLI" "$PY" "$T/sink6.py" "$T/sink6.res"
sink6=$LAST_PID
wait_until 10 test -e "$T/sink6.res.ready" || fail "the IPv6 sink did not start: $(cat "$T/sink6.err")"
send6='import socket, sys; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ("fd6c:7766:7000::7f80:1", 7999))'
for k in 1 2 3; do nsenter --net="$NSP_SRV" "$PY" -c "$send6" outside || fail "cannot send from $NS_SRV"; done
nsenter --net="$NSP_CLI" "$PY" -c "$send6" local || fail "cannot send in $NS_CLI"
wait_exit "$sink6" 10
[ "$(cat "$T/sink6.res")" = local ] ||
	fail "the flow addresses' sink got '$(cat "$T/sink6.res")', want only 'local': a neighbour reached them"

# One engine per cgroup path (lwfpctl(8)): the test's own goes down before
# the solo engine comes up on $CG/solo, under a fresh $PIN.
"$LWFPCTL" down --pin-dir "$PIN" >/dev/null 2>"$T/solo.err" || fail "down: $(cat "$T/solo.err")"
mkdir -m 700 "$PIN" || fail "cannot make $PIN again"
mkcg solo
nsenter --net="$NSP_SRV" "$LWFPCTL" up --pin-dir "$PIN/solo" --cgroup "$CG/solo" >/dev/null 2>"$T/solo.err" ||
	fail "up in $NS_SRV: $(cat "$T/solo.err")"
[ "$(route6 "$NS_SRV")" = 2 ] || fail "up in $NS_SRV did not route fd6c:7766:7000::/96"
nsenter --net="$NSP_SRV" "$LWFPCTL" down --pin-dir "$PIN/solo" >/dev/null 2>"$T/solo.err" ||
	fail "down in $NS_SRV: $(cat "$T/solo.err")"
[ "$(route6 "$NS_SRV")" = 0 ] || fail "down in $NS_SRV left the route or rule of fd6c:7766:7000::/96"
# With IPv6 off in a namespace there is no route to add, and `up` works.
nsenter --net="$NSP_SRV" sysctl -qw net.ipv6.conf.lo.disable_ipv6=1 || fail "cannot turn IPv6 off on lo"
nsenter --net="$NSP_SRV" "$LWFPCTL" up --pin-dir "$PIN/solo" --cgroup "$CG/solo" >/dev/null 2>"$T/solo.err" ||
	fail "up in $NS_SRV with IPv6 off on lo: $(cat "$T/solo.err")"
nsenter --net="$NSP_SRV" "$LWFPCTL" down --pin-dir "$PIN/solo" >/dev/null 2>"$T/solo.err" ||
	fail "down in $NS_SRV with IPv6 off on lo: $(cat "$T/solo.err")"

pass
