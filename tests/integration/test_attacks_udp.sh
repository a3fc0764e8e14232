#!/bin/bash
# Issue 12, attacks 1 and 2: the UDP flow addresses (127.128.0.0/9 and
# fd6c:7766:7000::/96). Only a process of the service a flow was delivered
# to may bind that flow's address (at the flow's target port), and only a
# service's registered socket may send from one; everyone else gets EPERM,
# counted as bind_refused and spoof_refused.
#   (1) escaping a block filter: udp 127.0.0.53:53 and [2001:db8::2]:5302
#       are blocked (a plain datagram: EPERM). As uid 65534 and as root:
#       from a socket bound to 127.128.0.99, or to fd6c:7766:7000::7f80:1234
#       with IPV6_FREEBIND, the bind gives EPERM; from an unbound socket
#       with that address as the IP_PKTINFO / IPV6_PKTINFO source, the send
#       gives EPERM. UDP servers at both destinations count nothing.
#   (2) a root application's flows through lwfp-inspect to an echo server:
#       uid 65534 reads their flow addresses from /proc/net/udp, then binds
#       each one at the proxy port, plainly and with SO_REUSEADDR (EPERM:
#       no datagram, records or context of the flow can reach it); sends the
#       application datagrams from each with IP_PKTINFO (EPERM: no spoofed
#       reply); binds the next 32 flow addresses at the proxy port (EPERM)
#       and sends a datagram to each (poisoning); binds the proxy's wildcard
#       port with SO_REUSEADDR (EADDRINUSE). Then the application opens 16 new flows:
#       every one of its flows, old and new, gets exactly its replies, and
#       nothing the attacker holds receives a datagram.
# The figures are the `attacks:` lines on stderr (run the test directly to
# see them). An attack that gets through is reported as a BREACH and the
# test goes on; it fails at the end.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"

PORT=15053

setup_netns
engine_up
mkcg app svcI attacker
. "$(dirname "$0")/../relay/lwfp-test-attack.sh"


# start_udpsrv NAME NSPATH ADDR LO-HI: the servers the attacks aim at (udp-serve),
# root, outside the engine's cgroup; every datagram is a line of $T/NAME.log.
start_udpsrv() {
	spawn "$1" - "$2" "$ATTACK" udp-serve --listen "$3" --ports "$4" --log "$T/$1.log" --ready "$T/$1.ready"
	wait_until 10 test -e "$T/$1.ready" || fail "UDP server $1 did not start: $(cat "$T/$1.err")"
}

# ---- (1) escaping a block filter from a flow address ------------------------------------

start_udpsrv dns "$NSP_CLI" 127.0.0.53 53-53
start_udpsrv srv6 "$NSP_SRV" "$SRV6" 5302-5302
filter_add FB4 --block --proto udp --dst 127.0.0.53/32 --dport 53
filter_add FB6 --block --proto udp --dst "$SRV6/128" --dport 5302
counter_var br0 bind_refused
counter_var sr0 spoof_refused

# escape NAME CGSUB PREFIX... -- ARGS...: udp-escape, which must exit 0
# (every attempt refused with EPERM); PREFIX runs it as uid 65534 or not.
escape() {
	local name=$1 cg=$2 bin=$ATTACK pre=()
	shift 2
	if [ "$1" = nobody ]; then
		bin=$NATTACK
		pre=("${AS_NOBODY[@]}")
	fi
	shift
	run_in "$cg" "${pre[@]}" "$bin" udp-escape "$@" >"$T/$name.out" 2>&1
	case $? in
	0) ;;
	1) breach "$name (udp-escape $*): $(tr '\n' ' ' <"$T/$name.out")" ;;
	*) fail "$name (udp-escape $*): $(cat "$T/$name.out")" ;;
	esac
}
DNS=127.0.0.53:53
BLK6=[$SRV6]:5302
F4=127.128.0.99
F6=fd6c:7766:7000::7f80:1234
escape plain4 attacker nobody --to "$DNS"
escape plain6 attacker nobody --to "$BLK6"
escape bind4 attacker nobody --to "$DNS" --bind "$F4"
escape bind6 attacker nobody --to "$BLK6" --bind "$F6"
escape pkt4 attacker nobody --to "$DNS" --src "$F4"
escape pkt6 attacker nobody --to "$BLK6" --src "$F6"
escape rbind4 app root --to "$DNS" --bind "$F4"
escape rbind6 app root --to "$BLK6" --bind "$F6"
escape rpkt4 app root --to "$DNS" --src "$F4"
escape rpkt6 app root --to "$BLK6" --src "$F6"
sleep 0.5
for s in dns srv6; do
	[ "$(lines "$T/$s.log")" = 0 ] ||
		breach "a blocked destination's server ($s) got $(lines "$T/$s.log") datagrams: $(head -n 3 "$T/$s.log")"
done
counter_var br1 bind_refused
counter_var sr1 spoof_refused
[ $((br1 - br0)) -ge 4 ] || breach "bind_refused grew by $((br1 - br0)), want at least 4 (the refused binds)"
[ $((sr1 - sr0)) -ge 12 ] || breach "spoof_refused grew by $((sr1 - sr0)), want at least 12 (the refused IP_PKTINFO sends)"
for n in bind4 bind6 rbind4 rbind6; do
	sent=$(summary "$T/$n.out" send)
	echo "attacks: escape a block filter, $n: bind $(summary "$T/$n.out" bind)${sent:+; then send $sent}" >&2
done
for n in pkt4 pkt6 rpkt4 rpkt6; do
	echo "attacks: escape a block filter, $n: IP(V6)_PKTINFO from a flow address $(summary "$T/$n.out" pktinfo)" >&2
done
echo "attacks: escape a block filter: the blocked servers got $(lines "$T/dns.log") + $(lines "$T/srv6.log") datagrams; bind_refused +$((br1 - br0)), spoof_refused +$((sr1 - sr0))" >&2
ctl filter del "$FB4"
ctl filter del "$FB6"

# ---- (2) a root application's flows ------------------------------------------------------

start_udpsrv echo "$NSP_SRV" "$SRV4" 5300-5339
start_inspect I svcI "127.0.0.1:$PORT" --register --proto udp --dport 5300-5339 --udp-idle-timeout 30
I=$LAST_PID

# The victim: 4 unconnected sockets, one per destination, ask and check
# replies in rounds until DIR/new appears; then 16 new sockets to 16 new
# destinations, 3 questions each; the figures in DIR/result. A reply must
# come from the destination asked and carry exactly the question's echo;
# anything else (a spoofed datagram) counts as bad, a timeout as lost.
cat >"$T/victim.py" <<'PY'
import json, os, socket, sys, time

d, host, port0 = sys.argv[1], sys.argv[2], int(sys.argv[3])
st = {"rounds": 0, "asked": 0, "bad": 0, "lost": 0, "new_ok": 0, "new_fail": 0, "why": []}

def ask(s, port, msg):
    st["asked"] += 1
    s.sendto(msg, (host, port))
    want = f"{host}:{port}|".encode() + msg
    end = time.monotonic() + 2
    while time.monotonic() < end:
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            break
        if src == (host, port) and data == want:
            return True
        st["bad"] += 1
        st["why"].append(f"{data[:40]!r} from {src}")
    st["lost"] += 1
    return False

def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    return s

old = [(sock(), port0 + i) for i in range(4)]
deadline = time.monotonic() + 60
while not os.path.exists(d + "/new") and time.monotonic() < deadline:
    for s, p in old:
        ask(s, p, f"old {p} round {st['rounds']}".encode())
    st["rounds"] += 1
    if st["rounds"] == 1:
        open(d + "/ready", "w").close()
    time.sleep(0.02)
new = [(sock(), port0 + 4 + j) for j in range(16)]
for r in range(3):
    for s, p in new:
        ok = ask(s, p, f"new {p} round {r}".encode())
        if r == 2:
            st["new_ok" if ok else "new_fail"] += 1
    for s, p in old:
        ask(s, p, f"old {p} after {r}".encode())
st["why"] = st["why"][:5]
json.dump(st, open(d + "/result", "w"))
PY
mkdir -p "$T/v"
spawn victim app "$NSP_CLI" "$PY" "$T/victim.py" "$T/v" "$SRV4" 5300
VICTIM=$LAST_PID
wait_until 15 test -e "$T/v/ready" || fail "the victim's first round failed: $(cat "$T/victim.err")"

counter_var br0 bind_refused
counter_var sr0 spoof_refused
spawn steal attacker "$NSP_CLI" "${AS_NOBODY[@]}" "$NATTACK" flow-steal --port "$PORT" --next 32 \
	--ready "$NB/steal.ready" --stop "$T/steal.stop"
STEAL=$LAST_PID
wait_until 15 test -e "$NB/steal.ready" -o ! -d "/proc/$STEAL" ||
	fail "the attacker did not get ready: $(cat "$T/steal.out" "$T/steal.err")"
[ -e "$NB/steal.ready" ] || fail "the attacker: $(cat "$T/steal.out" "$T/steal.err")"
touch "$T/v/new"
wait_exit "$VICTIM" 60
[ "$WAIT_RC" = 0 ] || fail "the victim: $(cat "$T/victim.err")"
touch "$T/steal.stop"
wait_exit "$STEAL" 10
[ "$WAIT_RC" = 0 ] || fail "the attacker: $(cat "$T/steal.out" "$T/steal.err")"
counter_var br1 bind_refused
counter_var sr1 spoof_refused

nflow=$(sed -n 's/^flows \([0-9]*\) .*/\1/p' "$T/steal.out")
[ "${nflow:-0}" -ge 4 ] || fail "the attacker found ${nflow:-0} per-flow sockets, want the victim's 4: $(cat "$T/steal.out")"
for w in bind_plain bind_reuse spoof prebind; do
	all_are "$T/steal.out" "$w" EPERM || breach "$w: $(summary "$T/steal.out" "$w"), want every one EPERM"
done
# Joining the proxy's UDP port with SO_REUSEADDR: EADDRINUSE, every time
# (the tool counts that errno under other, and names the last one).
all_are "$T/steal.out" bind_wild other && summary "$T/steal.out" bind_wild | grep -q 'last=EADDRINUSE' ||
	breach "bind_wild: $(summary "$T/steal.out" bind_wild), want every one EADDRINUSE"
stolen=$(sed -n 's/^stolen //p' "$T/steal.out")
[ "$stolen" = 0 ] || breach "the attacker's sockets received $stolen datagrams"
read -r vbad vlost vnew vnewfail vasked < <("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["bad"], r["lost"], r["new_ok"], r["new_fail"], r["asked"])' "$T/v/result") ||
	fail "the victim's result: $(cat "$T/v/result")"
[ "$vbad" = 0 ] && [ "$vlost" = 0 ] && [ "$vnew" = 16 ] ||
	breach "the victim: $vbad unexpected datagrams, $vlost questions unanswered of $vasked, $vnew of 16 new flows answered: $(cat "$T/v/result")"
for w in bind_plain bind_reuse spoof bind_wild prebind poison; do
	echo "attacks: a root application's UDP flows, $w: $(summary "$T/steal.out" "$w")" >&2
done
echo "attacks: a root application's UDP flows: the victim asked $vasked, got $vbad unexpected datagrams and lost $vlost; $vnew of 16 new flows answered; the attacker received $stolen; bind_refused +$((br1 - br0)), spoof_refused +$((sr1 - sr0))" >&2
stop_inspect I "$I"

end_attacks
