#!/bin/bash
# --host and dns_name: names the engine learns from the DNS answers its
# subtree receives. dnsmasq in the server netns answers several names with
# several addresses (TTL 1 s); curl resolves through it, with a resolv.conf
# bind-mounted in a mount namespace of its own, so the engine sees the
# answers as any application's:
#   - lwfp-inspect I (--host '*.example.test', weight 200) gets
#     www.example.test, both addresses of api.example.test, the AAAA of
#     v6.example.test and the address of an answer dig got over TCP, never
#     other.test nor an address asked by number;
#   - lwfp-inspect J (--dport 8000, no --host) gets every flow: those of
#     other.test, which match no host filter, log dns_name too; those of
#     example.test come through I, and J, the second hop, logs the name the
#     application resolved;
#   - once the TTL and the floor (lwfpctl dns floor 10) have run out, the
#     address no longer matches the name;
#   - a second namespace whose own dnsmasq answers www.example.test with
#     another address: a --block --host filter matches there only the
#     address that namespace was given;
#   - lwfpctl dns list -j shows both namespaces' answers; bad --host and
#     dns floor values are refused with one line;
#   - a filter with --host and --app matches only when both hold;
#   - TCP answers are parsed only for the local ports of live TCP sockets
#     that sent to port 53 (lwfp_dns_tcp_ports): a socket in another
#     namespace with the same port, marked but never connected, cannot take
#     that count away when it closes, so the answer is still learned; and
#     once the sockets are closed, every port's count is back to 0.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"
command -v dnsmasq >/dev/null || fail "dnsmasq is missing: apt-get install dnsmasq-base"
command -v curl >/dev/null || fail "curl is missing"
command -v dig >/dev/null || fail "dig is missing: apt-get install bind9-dnsutils"
[ -e /etc/resolv.conf ] || fail "/etc/resolv.conf is missing: nothing to bind-mount over"

NS2=lwfpt-c2-$ID
NSP2=/run/netns/$NS2
host_cleanup() {
	local rc=$?
	ip netns del "$NS2" 2>/dev/null
	(exit "$rc")
	cleanup
}
trap host_cleanup EXIT INT TERM

setup_all
for a in 198.18.0.3 198.18.0.4 198.18.0.5 198.18.0.6 198.18.0.8; do
	ip -n "$NS_SRV" addr add "$a/24" dev "$VETH_SRV" || fail "ip addr add $a"
done
ip -n "$NS_SRV" addr add 2001:db8::3/64 dev "$VETH_SRV" nodad || fail "ip addr add 2001:db8::3"
mkcg app insI insJ app2
# The floor leaves room for a slow machine (an emulated guest) between an
# answer and the connect that follows it.
ctl dns floor 10

spawn dnsmasq - "$NSP_SRV" dnsmasq --no-daemon --no-resolv --no-hosts --user=root --group=root \
	--listen-address="$SRV4" --bind-interfaces --port=53 --local-ttl=1 --log-queries \
	--host-record=www.example.test,198.18.0.3,1 \
	--host-record=api.example.test,198.18.0.4,1 --host-record=api.example.test,198.18.0.6,1 \
	--host-record=v6.example.test,2001:db8::3,1 --host-record=other.test,198.18.0.5,1 \
	--host-record=tcp.example.test,198.18.0.8,1 --host-record=tcp2.example.test,198.18.0.7,60
wait_until 10 udp_bound "$NSP_SRV" 53 || fail "dnsmasq does not listen: $(cat "$T/dnsmasq.err")"
printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$SRV4" >"$T/resolv1.conf"

# curl_in CGSUB NSPATH RESOLV OUT URL ARGS...: curl in CGSUB and NSPATH,
# resolving through RESOLV; the HTTP status (or 000) in OUT. Returns curl's.
curl_in() {
	local cg=$1 ns=$2 resolv=$3 out=$4
	shift 4
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG/$cg" \
		nsenter --net="$ns" unshare -m --propagation private sh -c \
		'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$resolv" \
		curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$@" >"$out" 2>"$out.err"
}

fetch() { # URL ARGS...: through the client netns and dnsmasq; must answer 200
	curl_in app "$NSP_CLI" "$T/resolv1.conf" "$T/curl.out" "$@" ||
		fail "curl $*: $(cat "$T/curl.out.err")"
	[ "$(cat "$T/curl.out")" = 200 ] || fail "curl $*: HTTP $(cat "$T/curl.out")"
}

# has_flow NAME CHECK...: some line of $T/NAME.log has key=VALUE for each CHECK.
has_flow() {
	local name=$1
	shift
	"$PY" -c '
import json, sys
want = dict(c.split("=", 1) for c in sys.argv[2:])
for l in open(sys.argv[1]):
    o = json.loads(l)
    if all(str(o.get(k)) == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)' "$T/$name.log" "$@"
}

expect_flow_with() { # NAME CHECK...
	has_flow "$@" || fail "no flow in $1's log with $*: $(cat "$T/$1.log")"
}

expect_no_flow_with() { # NAME CHECK...
	has_flow "$@" && fail "a flow in $1's log with $*: $(cat "$T/$1.log")"
	return 0
}

# ---- bad values ------------------------------------------------------------------------

for bad in '' '*' 'a..b' 'www.*.test' 'a b' "$(printf 'a%.0s' {1..64})"; do
	if "$LWFPCTL" filter add --block --host "$bad" --pin-dir "$PIN" >/dev/null 2>"$T/bad.err"; then
		fail "filter add --host '$bad' was accepted"
	fi
	[ "$(grep -c '' "$T/bad.err")" = 1 ] && grep -q 'host' "$T/bad.err" ||
		fail "filter add --host '$bad': not one clear line: $(cat "$T/bad.err")"
done
for bad in abc 1x 86401; do
	"$LWFPCTL" dns floor "$bad" --pin-dir "$PIN" >/dev/null 2>"$T/bad.err" &&
		fail "dns floor $bad was accepted"
	[ "$(cat "$T/bad.err")" = "lwfpctl: bad floor value '$bad'" ] ||
		fail "dns floor $bad: $(cat "$T/bad.err")"
done
"$LWFPCTL" filter add --block --host a.test --host b.test --pin-dir "$PIN" >/dev/null 2>"$T/bad.err" &&
	fail "two --host in one filter were accepted"
grep -q 'one pattern a filter' "$T/bad.err" || fail "two --host: $(cat "$T/bad.err")"

# ---- two services: I by host name, J by port --------------------------------------------

start_inspect I insI 127.0.0.1:15001 --listen '[::1]:15001' --register --host '*.Example.TEST' \
	--weight 200
I=$LAST_PID
start_inspect J insJ 127.0.0.1:15002 --listen '[::1]:15002' --register --dport "$HTTP_PORT" \
	--weight 100
J=$LAST_PID
ctl filter list -j
"$PY" -c '
import json, sys
f = [x for x in json.load(sys.stdin) if x.get("host")]
assert len(f) == 2 and all(x["host"] == "*.example.test" for x in f), f
' <<<"$CTL_OUT" || fail "filter list -j does not show the pattern: $CTL_OUT"
ctl save
grep -q -- "--host \*.example.test" <<<"$CTL_OUT" || fail "save does not keep --host: $CTL_OUT"

fetch "http://www.example.test:$HTTP_PORT/f0.bin"
fetch "http://api.example.test:$HTTP_PORT/f0.bin"
# api.example.test's other address, learned from the same answer.
fetch --resolve "api.example.test:$HTTP_PORT:198.18.0.6" "http://api.example.test:$HTTP_PORT/f0.bin"
fetch "http://other.test:$HTTP_PORT/f0.bin"
fetch -6 "http://v6.example.test:$HTTP_PORT/f0.bin"
# An address asked by number: never learned.
fetch "http://198.18.0.2:$HTTP_PORT/f0.bin"
# An answer over TCP, then its address by number: learned from that answer.
run_in app dig +tcp +tries=1 +time=3 @"$SRV4" tcp.example.test A >"$T/dig.out" 2>&1 ||
	fail "dig +tcp: $(cat "$T/dig.out")"
grep -q '198\.18\.0\.8' "$T/dig.out" || fail "dig +tcp: not the answer: $(cat "$T/dig.out")"
fetch "http://198.18.0.8:$HTTP_PORT/f0.bin"
wait_flows J 7
wait_flows I 5
expect_flow_with I orig_dst=198.18.0.3:8000 dns_name=www.example.test
expect_flow_with I orig_dst=198.18.0.4:8000 dns_name=api.example.test
expect_flow_with I orig_dst=198.18.0.6:8000 dns_name=api.example.test
expect_flow_with I "orig_dst=[2001:db8::3]:8000" dns_name=v6.example.test
expect_flow_with I orig_dst=198.18.0.8:8000 dns_name=tcp.example.test
expect_no_flow_with I dns_name=other.test
expect_no_flow_with I orig_dst=198.18.0.2:8000
# J: the second hop of the example.test flows, the only one of the others.
expect_flow_with J orig_dst=198.18.0.3:8000 dns_name=www.example.test
expect_flow_with J "orig_dst=[2001:db8::3]:8000" dns_name=v6.example.test
expect_flow_with J orig_dst=198.18.0.5:8000 dns_name=other.test
"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["orig_dst"] == "198.18.0.2:8000":
        assert "dns_name" not in o, o
        sys.exit(0)
sys.exit(1)' "$T/J.log" || fail "J: the flow to 198.18.0.2 has a dns_name or none is logged: $(cat "$T/J.log")"
"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["orig_dst"] == "198.18.0.3:8000":
        assert len(o["chain"]) == 2, o
        sys.exit(0)
sys.exit(1)' "$T/J.log" || fail "J: the www.example.test flow did not come through I: $(cat "$T/J.log")"

# ---- the TTL (1 s) and the floor (10 s) run out --------------------------------------------

fetch "http://www.example.test:$HTTP_PORT/f0.bin"
wait_flows I 6
sleep 11
fetch --resolve "www.example.test:$HTTP_PORT:198.18.0.3" "http://www.example.test:$HTTP_PORT/f0.bin"
wait_flows J 9
[ "$(log_lines I)" = 6 ] || fail "an expired name still matched: $(tail -n 1 "$T/I.log")"

# ---- a second namespace, another answer for www.example.test ------------------------------------

ip netns add "$NS2" || fail "ip netns add $NS2"
ip -n "$NS2" link set lo up || fail "lo up in $NS2"
spawn dnsmasq2 - "$NSP2" dnsmasq --no-daemon --no-resolv --no-hosts --user=root --group=root \
	--listen-address=127.0.0.1 --bind-interfaces --port=53 --log-queries \
	--host-record=www.example.test,198.18.0.9,60
wait_until 10 udp_bound "$NSP2" 53 || fail "dnsmasq2 does not listen: $(cat "$T/dnsmasq2.err")"
printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:2\n' >"$T/resolv2.conf"
filter_add B --block --host www.example.test --cgroup "$CG/app2" --weight 300
counter_var blk0 block
# 198.18.0.3 was www.example.test for the client netns only.
curl_in app2 "$NSP2" "$T/resolv2.conf" "$T/c2.out" "http://198.18.0.3:$HTTP_PORT/" &&
	fail "curl to 198.18.0.3 in $NS2 connected: it has no route"
counter_var blk1 block
[ "$blk1" = "$blk0" ] || fail "an address learned in another namespace matched (block $blk0 -> $blk1)"
curl_in app2 "$NSP2" "$T/resolv2.conf" "$T/c2.out" "http://www.example.test:$HTTP_PORT/" &&
	fail "curl to www.example.test in $NS2 connected"
counter_var blk2 block
[ "$blk2" -gt "$blk1" ] || fail "www.example.test (198.18.0.9) was not blocked in $NS2: $(cat "$T/c2.out.err")"
ctl dns list -j
"$PY" -c '
import json, sys
v = [e for e in json.load(sys.stdin) if e["name"] == "www.example.test"]
addrs = {e["addr"]: e["netns_cookie"] for e in v}
assert "198.18.0.3" in addrs and "198.18.0.9" in addrs, v
assert addrs["198.18.0.3"] != addrs["198.18.0.9"], v
' <<<"$CTL_OUT" || fail "dns list -j: $CTL_OUT"

# ---- --host and --app in one filter: a permit above B only for curl ---------------------------

# try_www VAR...: curl to www.example.test in $NS2 (no route: it never
# connects), then the block and permit counters in the two VARs.
try_www() {
	curl_in app2 "$NSP2" "$T/resolv2.conf" "$T/c2.out" "http://www.example.test:$HTTP_PORT/" &&
		fail "curl to www.example.test in $NS2 connected"
	counter_var "$1" block
	counter_var "$2" permit
}
filter_add P1 --permit --host www.example.test --app "$(readlink -f "$PY")" --cgroup "$CG/app2" \
	--weight 400
try_www blk3 per3
[ "$blk3" -gt "$blk2" ] || fail "--host with another --app matched curl (block $blk2 -> $blk3)"
filter_add P2 --permit --host www.example.test --app "$(readlink -f "$(command -v curl)")" \
	--cgroup "$CG/app2" --weight 400
try_www blk4 per4
if [ "$blk4" != "$blk3" ] || [ "$per4" -le "$per3" ]; then
	fail "--host with curl's --app did not permit curl (block $blk3 -> $blk4, permit $per3 -> $per4)"
fi
ctl save
grep -- "--host www.example.test" <<<"$CTL_OUT" | grep -q -- "--app '$(readlink -f "$PY")'" ||
	fail "save does not keep --host and --app together: $CTL_OUT"

# ---- TCP answers: a port's count is its own sockets' -------------------------------------------

DNSC=$T/dns_tcp_client.py
cp "$LWFP_ROOT/tests/integration/dns_tcp_client.py" "$DNSC" && chmod 755 "$DNSC" ||
	fail "cannot stage dns_tcp_client.py"
DPORT=40053
spawn victim app "$NSP_CLI" "$PY" "$DNSC" hold "$DPORT" "$SRV4" tcp2.example.test "$T/vready" "$T/vgate"
VPID=$LAST_PID
wait_until 10 test -e "$T/vready" || fail "the victim did not connect: $(cat "$T/victim.err")"
# uid 65534 in the other namespace: the same port, marked by a connect to
# port 53 that fails before its SYN (no route there), then closed.
mkcg app2
sh -c "$_ENTER" sh "$CG/app2" "$NSP2" "${AS_NOBODY[@]}" "$PY" "$DNSC" fail "$DPORT" 198.18.0.2 \
	>"$T/att.out" 2>&1 || fail "the attacker: $(cat "$T/att.out")"
grep -qx ENETUNREACH "$T/att.out" || fail "the attacker's connect: $(cat "$T/att.out")"
touch "$T/vgate"
wait_exit "$VPID" 15
[ "$WAIT_RC" = 0 ] && grep -qx 198.18.0.7 "$T/victim.out" ||
	fail "the victim's query: $(cat "$T/victim.out" "$T/victim.err")"
ctl dns list -j
"$PY" -c '
import json, sys
assert any(e["name"] == "tcp2.example.test" and e["addr"] == "198.18.0.7"
           for e in json.load(sys.stdin))
' <<<"$CTL_OUT" || fail "the TCP answer for tcp2.example.test was not learned: $CTL_OUT"
ports_counted() {
	bpftool map dump pinned "$PIN/lwfp_dns_tcp_ports" -j | "$PY" -c '
import json, sys
print(sum(int.from_bytes(bytes(int(x, 16) for x in e["value"]), "little")
          for e in json.load(sys.stdin)))'
}
ports_zero() { [ "$(ports_counted)" = 0 ]; }
wait_until 10 ports_zero || fail "TCP DNS ports still counted after their sockets closed: $(ports_counted)"

stop_inspect I "$I"
stop_inspect J "$J"
pass
