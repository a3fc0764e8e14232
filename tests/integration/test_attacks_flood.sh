#!/bin/bash
# Issue 12, attack 6: the engine fails closed on its internal errors. A
# fail-OPEN UDP filter sends 198.18.0.0/24 to lwfp-inspect, which blocks
# 198.18.0.2 and relays the rest. Against it, 16,384 datagrams from uid
# 65534 (paced: bursts of 256, 2 ms apart) and 16,384 from root (one
# burst), each opening a flow of its own (16 unconnected sockets x 1,024
# ports of 198.18.0.2), held open: not one datagram reaches the server
# netns uninspected (its UDP counters, and a server on 64 of the ports).
# With `lwfpctl up --max-flows-per-uid 1000` (when lwfpctl has it; a note
# says so otherwise), uid 65534's flows past 1000 are refused (uid_flow_cap)
# and never go direct, while root (never capped) still gets a flow through
# the proxy, and every one of its 16,384.
# Controls: root's and uid 65534's datagrams to 198.18.0.3:7000 come back
# through the proxy before the flood. The figures are the `attacks:` lines
# on stderr (run the test directly to see them). An attack that gets
# through is reported as a BREACH and the test goes on; it fails at the end.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"

SRV4B=198.18.0.3
# Below lwfp-inspect's own UDP flow budget (about 1,660 per worker here):
# past that the proxy, not the engine, is what one user exhausts.
CAP=1000
FLOWS=16384

setup_netns
ip -n "$NS_SRV" addr add "$SRV4B/24" dev "$VETH_SRV" || fail "cannot add $SRV4B"
engine_up
mkcg app svcI attacker
. "$(dirname "$0")/../relay/lwfp-test-attack.sh"

capped=0
if "$LWFPCTL" up --cgroup "$CG" --pin-dir "$PIN" --max-flows-per-uid "$CAP" >"$T/cap.out" 2>&1; then
	capped=1
else
	echo "$TEST_NAME: note: lwfpctl up refuses --max-flows-per-uid here, the per-uid cap is not tested: $(head -n 1 "$T/cap.out")" >&3
fi

service_add HI floodsvc --cgroup "$CG/svcI"
filter_add FI --service floodsvc --to 127.0.0.1:15060 --proto udp --family 4 --dst 198.18.0.0/24 \
	--fail open --idle-timeout 3
start_inspect I svcI 127.0.0.1:15060 --service floodsvc --block "$SRV4/32" --udp-idle-timeout 3
I=$LAST_PID
spawn flood-srv - "$NSP_SRV" "$ATTACK" udp-serve --listen "$SRV4" --ports 6000-6063 --log "$T/flood-srv.log" \
	--ready "$T/flood-srv.ready"
spawn echo - "$NSP_SRV" "$ATTACK" udp-serve --listen "$SRV4B" --ports 7000-7000 --log "$T/echo.log" \
	--ready "$T/echo.ready"
wait_until 10 test -e "$T/flood-srv.ready" -a -e "$T/echo.ready" ||
	fail "the UDP servers did not start: $(cat "$T/flood-srv.err" "$T/echo.err")"

# Every datagram that reached the server netns, to an open port or not.
arrived() {
	nsenter --net="$NSP_SRV" awk '/^Udp:/ { if (h) { print $2 + $3 + $4; exit } h = 1 }' /proc/net/snmp
}

# ask CGSUB [nobody]: one new flow to 198.18.0.3:7000; 0 if its answer
# comes back from there.
ask() {
	local pre=()
	[ "${2:-}" = nobody ] && pre=("${AS_NOBODY[@]}")
	run_in "$1" "${pre[@]}" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"ping", (sys.argv[1], 7000))
data, src = s.recvfrom(100)
sys.exit(0 if (data, src) == (f"{sys.argv[1]}:7000|ping".encode(), (sys.argv[1], 7000)) else f"{data!r} from {src}")
' "$SRV4B" >"$T/ask.out" 2>&1
}

ask app || fail "control: root's datagram to $SRV4B:7000 did not come back: $(cat "$T/ask.out")"
ask attacker nobody || fail "control: uid 65534's datagram to $SRV4B:7000 did not come back: $(cat "$T/ask.out")"

# flood NAME CGSUB BURST PACE [nobody]: FLOWS datagrams, a flow each, held.
flood() {
	local pre=() bin=$ATTACK
	if [ "${5:-}" = nobody ]; then
		pre=("${AS_NOBODY[@]}")
		bin=$NATTACK
	fi
	spawn "$1" "$2" "$NSP_CLI" "${pre[@]}" "$bin" udp-flood --to "$SRV4" --ports 6000-7023 --sockets 16 \
		--count "$FLOWS" --burst "$3" --pace-us "$4" --ready "$NB/$1.ready" --stop "$T/flood.stop"
	FLOOD_PID=$LAST_PID
	wait_until 60 test -e "$NB/$1.ready" -o ! -d "/proc/$FLOOD_PID" ||
		fail "flood $1 did not finish sending: $(cat "$T/$1.out" "$T/$1.err")"
	[ -e "$NB/$1.ready" ] || fail "flood $1: $(cat "$T/$1.out" "$T/$1.err")"
}

a0=$(arrived)
counter_var cap0 uid_flow_cap
counter_var err0 flow_error
flood paced attacker 256 2000 nobody
PACED=$FLOOD_PID
counter_var cap1 uid_flow_cap
if [ "$capped" = 1 ]; then
	sent=$(summary "$T/paced.out" flood | sed 's/.* ok=\([0-9]*\) .*/\1/')
	[ "${sent:-$FLOWS}" -le "$CAP" ] && [ $((cap1 - cap0)) -ge $((FLOWS - CAP)) ] ||
		breach "per-uid cap $CAP: uid 65534 sent $sent of $FLOWS new flows, uid_flow_cap +$((cap1 - cap0))"
	# The control's own datagram reaches the server netns through the proxy.
	before_ask=$(arrived)
	ask app || breach "per-uid cap: with uid 65534 at its cap, root got no flow: $(cat "$T/ask.out")"
	a0=$((a0 + $(arrived) - before_ask))
fi
flood burst app "$FLOWS" 0
BURST=$FLOOD_PID
# Root is not capped: every one of its datagrams got a flow.
root_ok=$(summary "$T/burst.out" flood | sed 's/.* ok=\([0-9]*\) .*/\1/')
[ "$root_ok" = "$FLOWS" ] || breach "root's burst: $root_ok of $FLOWS new flows, want all (root is not capped)"
sleep 1
a1=$(arrived)
touch "$T/flood.stop"
wait_exit "$PACED" 10
wait_exit "$BURST" 10
sleep 0.5
a2=$(arrived)
[ "$a1" = "$a0" ] && [ "$a2" = "$a0" ] && [ "$(lines "$T/flood-srv.log")" = 0 ] ||
	breach "the flood: $((a2 - a0)) datagrams reached the server netns ($((a1 - a0)) while the flows lived), $(lines "$T/flood-srv.log") at the server: $(head -n 2 "$T/flood-srv.log")"
counter_var cap2 uid_flow_cap
counter_var err1 flow_error
echo "attacks: UDP flood against a fail-open filter: uid 65534 paced $(summary "$T/paced.out" flood); root burst $(summary "$T/burst.out" flood); $((a2 - a0)) reached the server netns; uid_flow_cap +$((cap2 - cap0)), flow_error +$((err1 - err0)); per-uid cap $([ "$capped" = 1 ] && echo "$CAP" || echo "not tested")" >&2
wait_until 15 flows_empty || breach "flows -j still lists $(nflows) flows after the floods ended"
# lwfp-inspect keeps its side of the flows until its own idle timeout (3 s).
wait_until 10 ask app || fail "after the flood: root's datagram to $SRV4B:7000 did not come back: $(cat "$T/ask.out")"
stop_inspect I "$I"

end_attacks
