#!/bin/bash
# Unmodified transparent proxies (DESIGN.md §3): proxies that only call
# getsockopt(SO_ORIGINAL_DST) and never set records chain without loops.
#
#   (1) Two legacy proxies (lwfp-legacy-relay, registered as services by
#       cgroup) and one cooperative proxy (lwfp-test-relay, which sets
#       records), every filter matching all TCP (`--proto tcp`, nothing
#       else), in three weight orders (the cooperative one first, in the
#       middle, last). Per order: 20 parallel transfers arrive intact
#       (sha256), each proxy logs each flow exactly once, the engine counts
#       exactly 3 redirects per flow and no hop-limit event, and a held
#       connection shows one chain of three nested hops in `lwfpctl flows`.
#       Then the same over IPv6 (10 transfers).
#   (b) lwfp-test-relay --no-set-records registered as a service chains like
#       a legacy proxy: in the middle (the next proxy sees the inherited
#       hops) and last (the flow ends at the destination, no loop).
#   (a) A legacy relay that listens at a filter's target but whose process
#       is not the service's identity (the service is an empty cgroup) never
#       gets a flow: the engine redirects only to the service's registered
#       listeners, so the fail-closed filters refuse IPv4, IPv6 and v4-mapped
#       connects (counter no_listener). A legacy relay of the service, bound
#       after the service was added (which registers it), gets
#       SO_ORIGINAL_DST for all three on a dual-stack listener.
#   (c) getsockopt/setsockopt of other levels are undisturbed, with 4-byte and
#       8192-byte (longer than a page) buffers, on a redirected accepted socket
#       and on plain sockets: the same answers as in a cgroup outside the
#       engine; SO_ORIGINAL_DST on a plain socket gets the kernel's own error.
. "$(dirname "$0")/lib.sh"

LEGACY=$BIN/lwfp-legacy-relay
[ -x "$LEGACY" ] || fail "$LEGACY is missing (run make, or set LWFP_BUILD)"

NFILES=4
NPAR=20
setup_all "$NFILES"
mkcg app legA legB coop nsr unreg ghost plain sockopt

# ---- helpers ---------------------------------------------------------------------------

# start_legacy NAME CGSUB ADDR:PORT: a lwfp-legacy-relay in $CG/CGSUB of the
# client netns, logging to $T/NAME.log; ready once its pidfile is written.
start_legacy() {
	local name=$1 cg=$2 listen=$3
	: >"$T/$name.log"
	: >"$T/$name.pid"
	spawn "$name" "$cg" "$NSP_CLI" "$LEGACY" --listen "$listen" --name "$name" \
		--log "$T/$name.log" --pidfile "$T/$name.pid" --max-flows 64
	wait_until 10 test -s "$T/$name.pid" ||
		fail "legacy relay $name did not start: $(cat "$T/$name.err")"
}

# Requests the HTTP server logged so far.
served() { grep -c '"GET ' "$T/http-$HTTP_PORT.err"; }

# The client that holds one connection open (the server waits for a request
# that never comes) until $T/release exists.
cat >"$T/hold.py" <<'PY'
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
s.close()
PY

# expect_chain NAME...: the live flows are exactly one chain whose hops name
# the services NAME... in order, one flow per hop (prefix by prefix).
cat >"$T/chain.py" <<'PY'
import json, sys
flows, want = json.load(sys.stdin), sys.argv[1:]
chains = {f["chain_token"] for f in flows}
if len(chains) != 1:
    sys.exit(f"{len(flows)} live flows in {len(chains)} chains, want one chain: {flows}")
got = sorted([h["service"] for h in f["hops"]] for f in flows)
exp = [want[:i] for i in range(1, len(want) + 1)]
if got != exp:
    sys.exit(f"hops of the live flows: {got}, want {exp}")
PY
expect_chain() {
	ctl flows -j
	printf '%s' "$CTL_OUT" | "$PY" "$T/chain.py" "$@" >"$T/chain.err" 2>&1 ||
		fail "lwfpctl flows: $(cat "$T/chain.err")"
}

# hold_chain LASTLOG N NAME...: one held connection from the app; once the
# last proxy's log has N lines, the live flows must be the chain NAME...
hold_chain() {
	local last=$1 n=$2 pid
	shift 2
	rm -f "$T/release"
	spawn hold app "$NSP_CLI" "$PY" "$T/hold.py" "$SRV4" "$HTTP_PORT" "$T/release"
	pid=$LAST_PID
	wait_until 10 log_has "$last" "$n" || fail "the held connection did not reach $last: $(cat "$T/hold.err")"
	expect_chain "$@"
	touch "$T/release"
	wait_exit "$pid" 10
	[ "$WAIT_RC" = 0 ] || fail "the held connection failed: $(cat "$T/hold.err")"
	wait_until 10 flows_empty || fail "flows left after the held connection: $(nflows)"
}

expect_no_hop_limit() {
	local hl=
	counter_var hl hop_limit
	[ "$hl" = 0 ] || fail "hop_limit counter is $hl, want 0 (a loop was cut off by the hop limit)"
}

# ---- the proxies ----------------------------------------------------------------------------

service_add HA legA --cgroup "$CG/legA"
service_add HB legB --cgroup "$CG/legB"
service_add HC coop --cgroup "$CG/coop"
# The legacy relays listen dual-stack: IPv4 flows arrive v4-mapped, and they
# ask SOL_IP for those (as mitmproxy does).
start_legacy LA legA "[::]:15001"
start_legacy LB legB "[::]:15002"
start_relay C coop 127.0.0.1:15003 --state-handles "$HA,$HB,$HC" --max-flows 64
start_relay C6 coop "[::1]:15003" --state-handles "$HA,$HB,$HC" --max-flows 64

# ---- (1) two legacy proxies and one cooperative, three orders ----------------------------

# order WA WB WC: (re)add the three match-everything filters with these weights.
order() {
	local f
	for f in ${FA:-} ${FB:-} ${FC:-}; do ctl filter del "$f"; done
	filter_add FA --service legA --to 127.0.0.1:15001 --proto tcp --weight "$1"
	filter_add FB --service legB --to 127.0.0.1:15002 --proto tcp --weight "$2"
	filter_add FC --service coop --to 127.0.0.1:15003 --proto tcp --weight "$3"
}

# hops_of X...: the hops "handle/filter,..." of the services X (A, B or C).
hops_of() {
	local x h f out=
	for x in "$@"; do
		h=H$x f=F$x
		out=$out${out:+,}${!h}/${!f}
	done
	echo "$out"
}

# round WA WB WC NHOPS_C HOPS_C NAME...: one order; NHOPS_C and HOPS_C (as
# letters for hops_of) are what the cooperative relay must log for every
# flow, NAME... the chain's services.
round() {
	local wa=$1 wb=$2 wc=$3 nhc=$4 hopsc r0 r1 s0 s1 last
	order "$wa" "$wb" "$wc"
	# shellcheck disable=SC2086
	hopsc=$(hops_of $5)
	shift 5
	for r in LA LB C; do : >"$T/$r.log"; done
	counter_var r0 redirect
	s0=$(served)
	par_fetch "$NPAR"
	for r in LA LB C; do expect_log_lines "$r" "$NPAR"; done
	expect_log LA all "orig=$SRV4:$HTTP_PORT" connect=0
	expect_log LB all "orig=$SRV4:$HTTP_PORT" connect=0
	expect_log C all "orig=$SRV4:$HTTP_PORT" agree=1 "nhops=$nhc" "hops=$hopsc" set=0 connect=0
	s1=$(served)
	[ $((s1 - s0)) = "$NPAR" ] || fail "the server got $((s1 - s0)) requests, want $NPAR"
	counter_var r1 redirect
	[ $((r1 - r0)) = $((3 * NPAR)) ] ||
		fail "order $*: $((r1 - r0)) redirects for $NPAR flows, want $((3 * NPAR))"
	expect_no_hop_limit
	wait_until 10 flows_empty || fail "flows left after the transfers: $(nflows)"
	case $3 in legA) last=LA ;; legB) last=LB ;; coop) last=C ;; esac
	hold_chain "$last" $((NPAR + 1)) "$@"
	for r in LA LB C; do expect_log_lines "$r" $((NPAR + 1)); done
}

round 300 100 200 2 "A C" legA coop legB
round 200 100 300 1 "C" coop legA legB
round 300 200 100 3 "A B C" legA legB coop

# IPv6: the same three services with IPv6 filters and targets (the IPv4
# filters above cannot take an IPv6 socket), legA > coop > legB.
filter_add FA6 --service legA --to "[::1]:15001" --proto tcp --family 6 --weight 300
filter_add FC6 --service coop --to "[::1]:15003" --proto tcp --family 6 --weight 200
filter_add FB6 --service legB --to "[::1]:15002" --proto tcp --family 6 --weight 100
for r in LA LB C C6; do : >"$T/$r.log"; done
counter_var r0 redirect
par_fetch 10 "[$SRV6]"
for r in LA LB C6; do expect_log_lines "$r" 10; done
expect_log_lines C 0
expect_log LA all "orig=[$SRV6]:$HTTP_PORT" connect=0
expect_log LB all "orig=[$SRV6]:$HTTP_PORT" connect=0
expect_log C6 all "orig=[$SRV6]:$HTTP_PORT" agree=1 nhops=2 "hops=$HA/$FA6,$HC/$FC6" set=0 connect=0
counter_var r1 redirect
[ $((r1 - r0)) = 30 ] || fail "IPv6: $((r1 - r0)) redirects for 10 flows, want 30"
expect_no_hop_limit
for f in $FA6 $FB6 $FC6; do ctl filter del "$f"; done

# ---- (b) a cooperative relay without its set-records step --------------------------------

service_add HN nsr --cgroup "$CG/nsr"
start_relay N nsr 127.0.0.1:15004 --no-set-records --state-handles "$HA,$HN,$HC" --max-flows 64
# In the middle: C, after it, sees the hops N's outbound inherited.
for f in $FA $FB $FC; do ctl filter del "$f"; done
filter_add FA --service legA --to 127.0.0.1:15001 --proto tcp --weight 300
filter_add FN --service nsr --to 127.0.0.1:15004 --proto tcp --weight 200
filter_add FC --service coop --to 127.0.0.1:15003 --proto tcp --weight 100
for r in LA N C; do : >"$T/$r.log"; done
counter_var r0 redirect
par_fetch 5
for r in LA N C; do expect_log_lines "$r" 5; done
expect_log N all "orig=$SRV4:$HTTP_PORT" agree=1 nhops=2 "hops=$HA/$FA,$HN/$FN" \
	"in_state=$HA:3,$HN:1,$HC:2" set=off connect=0
expect_log C all "orig=$SRV4:$HTTP_PORT" nhops=3 "hops=$HA/$FA,$HN/$FN,$HC/$FC" set=0 connect=0
counter_var r1 redirect
[ $((r1 - r0)) = 15 ] || fail "(b) middle: $((r1 - r0)) redirects for 5 flows, want 15"
# Last: nothing after it, the flow ends at the destination.
ctl filter del "$FC"
filter_add FC --service coop --to 127.0.0.1:15003 --proto tcp --weight 400
for r in LA N C; do : >"$T/$r.log"; done
counter_var r0 redirect
par_fetch 5
for r in LA N C; do expect_log_lines "$r" 5; done
expect_log C all nhops=1 "hops=$HC/$FC" set=0 connect=0
expect_log N all nhops=3 "hops=$HC/$FC,$HA/$FA,$HN/$FN" "in_state=$HA:3,$HN:1,$HC:3" set=off connect=0
counter_var r1 redirect
[ $((r1 - r0)) = 15 ] || fail "(b) last: $((r1 - r0)) redirects for 5 flows, want 15"
hold_chain N 6 coop legA nsr
expect_no_hop_limit
for s in legA legB coop nsr; do ctl service del "$s"; done

# ---- (a) the redirect target is not the service's process ---------------------------------

# The service's identity is an empty cgroup: the relay in $CG/unreg is no
# service at all. It listens dual-stack on [::]:15010.
service_add HG ghost --cgroup "$CG/ghost"
start_legacy U unreg "[::]:15010"
filter_add FG4 --service ghost --to 127.0.0.1:15010 --proto tcp --family 4 --cgroup "$CG/app"
filter_add FG6 --service ghost --to "[::1]:15010" --proto tcp --family 6 --cgroup "$CG/app"
counter_var nol0 no_listener
for host in "$SRV4" "[$SRV6]" "[::ffff:$SRV4]"; do
	app_curl "http://$host:$HTTP_PORT/f0.bin" "$T/fetch.bin" &&
		fail "a flow for service ghost reached a relay that is not its process ($host)"
done
counter_var nol1 no_listener
[ $((nol1 - nol0)) -ge 3 ] || fail "no_listener grew by $((nol1 - nol0)) for 3 refused connects"
expect_log_lines U 0
ctl filter del "$FG4"
ctl filter del "$FG6"

# The same relay as a process of its service: its bind registers it.
mkcg legV
service_add HV legV --cgroup "$CG/legV"
start_legacy V legV "[::]:15011"
filter_add FV4 --service legV --to 127.0.0.1:15011 --proto tcp --family 4 --cgroup "$CG/app"
filter_add FV6 --service legV --to "[::1]:15011" --proto tcp --family 6 --cgroup "$CG/app"
fetch_ok f0.bin
fetch_ok f1.bin "[$SRV6]"
# curl opens an AF_INET6 socket for a v4-mapped literal: an IPv4 filter
# matches it and the engine redirects it to ::ffff:127.0.0.1.
fetch_ok f2.bin "[::ffff:$SRV4]"
expect_log_lines V 3
expect_log V 1 "orig=$SRV4:$HTTP_PORT" connect=0
expect_log V 2 "orig=[$SRV6]:$HTTP_PORT" connect=0
expect_log V 3 "orig=$SRV4:$HTTP_PORT" connect=0
expect_no_hop_limit

# ---- (c) other options are undisturbed ------------------------------------------------------

# sockopt.py server ADDR PORT OUT: accept one connection on ADDR:PORT, write
# the answers of the accepted socket to OUT. sockopt.py plain OUT HOST PORT:
# the answers of fresh AF_INET and AF_INET6 TCP sockets and of a socket
# connected to HOST:PORT. sockopt.py client HOST PORT: connect, wait for EOF.
# getsockopt goes through libc (Python's own caps buffers at 1024 bytes).
cat >"$T/sockopt.py" <<'PY'
import ctypes, errno, json, socket, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
SO_ORIGINAL_DST = 80
SOL_IPV6 = 41
TCP_INFO, TCP_CONGESTION = 11, 13

def get(fd, level, opt, size):
    buf = ctypes.create_string_buffer(size)
    n = ctypes.c_uint32(size)
    if libc.getsockopt(fd, level, opt, buf, ctypes.byref(n)):
        return "err:" + errno.errorcode[ctypes.get_errno()]
    return f"ok:{n.value}:{buf.raw[:n.value].hex()}"

def put(fd, level, opt, data):
    buf = ctypes.create_string_buffer(data, len(data))
    if libc.setsockopt(fd, level, opt, buf, len(data)):
        return "err:" + errno.errorcode[ctypes.get_errno()]
    return "ok"

def answers(s):
    fd, r = s.fileno(), {}
    v4 = s.family == socket.AF_INET
    for size in (4, 8192):
        r[f"get SO_TYPE {size}"] = get(fd, socket.SOL_SOCKET, socket.SO_TYPE, size)
        r[f"get SO_RCVBUF {size}"] = get(fd, socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    # A value longer than a page: the kernel reads the first int.
    r["set SO_RCVBUF 8192"] = put(fd, socket.SOL_SOCKET, socket.SO_RCVBUF,
                                  struct.pack("i", 50000) + bytes(8188))
    r["set SO_SNDBUF 4"] = put(fd, socket.SOL_SOCKET, socket.SO_SNDBUF, struct.pack("i", 30000))
    for size in (4, 8192):
        r[f"get SO_RCVBUF {size} after set"] = get(fd, socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        r[f"get SO_SNDBUF {size} after set"] = get(fd, socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    r["get TCP_CONGESTION 8192"] = get(fd, socket.IPPROTO_TCP, TCP_CONGESTION, 8192)
    r["get TCP_INFO 8192 (length)"] = get(fd, socket.IPPROTO_TCP, TCP_INFO, 8192).split(":")[:2]
    r["get TCP_NODELAY 8192"] = get(fd, socket.IPPROTO_TCP, socket.TCP_NODELAY, 8192)
    if v4:
        r["set IP_TOS 8192"] = put(fd, socket.SOL_IP, socket.IP_TOS, struct.pack("i", 0x10) + bytes(8188))
        r["get IP_TOS 8192"] = get(fd, socket.SOL_IP, socket.IP_TOS, 8192)
    else:
        r["set IPV6_TCLASS 8192"] = put(fd, SOL_IPV6, socket.IPV6_TCLASS, struct.pack("i", 0x10) + bytes(8188))
        r["get IPV6_TCLASS 8192"] = get(fd, SOL_IPV6, socket.IPV6_TCLASS, 8192)
        r["get IPV6_V6ONLY 8192"] = get(fd, SOL_IPV6, socket.IPV6_V6ONLY, 8192)
    for level, name in ((socket.SOL_IP, "SOL_IP"), (SOL_IPV6, "SOL_IPV6")):
        for size in (8, 16, 28, 8192):
            r[f"get {name} SO_ORIGINAL_DST {size}"] = get(fd, level, SO_ORIGINAL_DST, size)
    return r

mode = sys.argv[1]
if mode == "server":
    addr, port, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    l = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port))
    l.listen(8)
    c, _ = l.accept()
    json.dump(answers(c), open(out, "w"), indent=1, sort_keys=True)
    c.close()
elif mode == "plain":
    out, host, port = sys.argv[2], sys.argv[3], int(sys.argv[4])
    res = {"inet": answers(socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
           "inet6": answers(socket.socket(socket.AF_INET6, socket.SOCK_STREAM)),
           "connected": answers(socket.create_connection((host, port), timeout=10))}
    json.dump(res, open(out, "w"), indent=1, sort_keys=True)
elif mode == "client":
    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
    s.settimeout(20)
    while s.recv(4096):
        pass
PY

# The same, outside the engine's cgroup (the test's own), in the client netns.
run_out() { nsenter --net="$NSP_CLI" "$@"; }

# sockopt_pair NAME DST LISTEN_ADDR PORT: a client in the app cgroup connects
# to DST:9999 (nothing listens there), the sockoptsvc service's filter sends it to
# a server in $CG/sockopt at LISTEN_ADDR:PORT, which answers into
# $T/NAME-redirected.json; then the same server and client, both outside the
# engine, at LISTEN_ADDR:PORT+1, answer into $T/NAME-reference.json.
sockopt_pair() {
	local name=$1 dst=$2 addr=$3 port=$4 srv
	spawn "$name-srv" sockopt "$NSP_CLI" "$PY" "$T/sockopt.py" server "$addr" "$port" \
		"$T/$name-redirected.json"
	srv=$LAST_PID
	wait_listen "$NSP_CLI" "$port"
	run_in app "$PY" "$T/sockopt.py" client "$dst" 9999 >"$T/$name-cli.err" 2>&1 ||
		fail "sockopt client ($name): $(cat "$T/$name-cli.err")"
	wait_exit "$srv" 10
	[ "$WAIT_RC" = 0 ] || fail "sockopt server ($name, redirected) failed: $(cat "$T/$name-srv.err")"
	spawn "$name-ref" - "$NSP_CLI" "$PY" "$T/sockopt.py" server "$addr" $((port + 1)) \
		"$T/$name-reference.json"
	srv=$LAST_PID
	wait_listen "$NSP_CLI" $((port + 1))
	run_out "$PY" "$T/sockopt.py" client "$addr" $((port + 1)) >"$T/$name-cli.err" 2>&1 ||
		fail "sockopt client ($name, reference): $(cat "$T/$name-cli.err")"
	wait_exit "$srv" 10
	[ "$WAIT_RC" = 0 ] || fail "sockopt server ($name, reference) failed: $(cat "$T/$name-ref.err")"
}

# The servers are processes of a service of their own, so their binds
# register them as its listeners.
mkcg sockopt
service_add HSO sockoptsvc --cgroup "$CG/sockopt"
filter_add FGS4 --service sockoptsvc --to 127.0.0.1:15020 --proto tcp --family 4 --dport 9999 \
	--cgroup "$CG/app" --weight 500
filter_add FGS6 --service sockoptsvc --to "[::1]:15030" --proto tcp --family 6 --dport 9999 \
	--cgroup "$CG/app" --weight 500
sockopt_pair v4 "$SRV4" 127.0.0.1 15020
sockopt_pair v6 "$SRV6" ::1 15030

# Plain sockets, in a cgroup under the engine and outside it.
run_in plain "$PY" "$T/sockopt.py" plain "$T/plain-in.json" "$SRV4" "$HTTP_PORT" >"$T/plain.err" 2>&1 ||
	fail "sockopt plain (in the engine's cgroup): $(cat "$T/plain.err")"
run_out "$PY" "$T/sockopt.py" plain "$T/plain-out.json" "$SRV4" "$HTTP_PORT" >"$T/plain.err" 2>&1 ||
	fail "sockopt plain (outside): $(cat "$T/plain.err")"

"$PY" - "$T" "$SRV4" "$SRV6" 9999 >"$T/compare.err" 2>&1 <<'PY' || fail "sockopt: $(cat "$T/compare.err")"
import json, socket, struct, sys
t, host4, host6, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
load = lambda n: json.load(open(f"{t}/{n}.json"))
bad = []
# On a redirected socket the level of the socket's family answers the
# original destination in conntrack's layout: a sockaddr_in (16 bytes) for
# SOL_IP, a sockaddr_in6 (28 bytes) for SOL_IPV6; too short a buffer is
# EINVAL. (Conntrack leaves the length the caller gave; the engine may return
# the exact size: what counts is the bytes.)
sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(host4) + bytes(8)
sin6 = (struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", port, 0) +
        socket.inet_pton(socket.AF_INET6, host6) + struct.pack("=I", 0))
for fam, level, sa in (("v4", "SOL_IP", sin), ("v6", "SOL_IPV6", sin6)):
    red, ref = load(f"{fam}-redirected"), load(f"{fam}-reference")
    want = {}
    for n in (8, 16, 28, 8192):
        want[f"get {level} SO_ORIGINAL_DST {n}"] = n if n >= len(sa) else "err:EINVAL"
    for k, n in want.items():
        got = red.get(k, "")
        if isinstance(n, str):
            if got != n:
                bad.append(f"{fam} redirected socket, {k}: {got}, want {n}")
            continue
        f = got.split(":")
        if not (len(f) == 3 and f[0] == "ok" and len(sa) <= int(f[1]) <= n
                and f[2][:2 * len(sa)] == sa.hex()):
            bad.append(f"{fam} redirected socket, {k}: {got}, want {sa.hex()}")
    for k in sorted(set(red) | set(ref)):
        if k not in want and red.get(k) != ref.get(k):
            bad.append(f"{fam} redirected socket, {k}: {red.get(k)}, without lwfp {ref.get(k)}")
pin, pout = load("plain-in"), load("plain-out")
for sock in sorted(set(pin) | set(pout)):
    a, b = pin.get(sock, {}), pout.get(sock, {})
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            bad.append(f"plain {sock} socket, {k}: {a.get(k)}, without lwfp {b.get(k)}")
    for k, v in a.items():
        if "SO_ORIGINAL_DST" in k and not v.startswith("err:"):
            bad.append(f"plain {sock} socket, {k}: {v}, want the kernel's error")
if bad:
    sys.exit("\n".join(bad))
PY
expect_no_hop_limit

pass
