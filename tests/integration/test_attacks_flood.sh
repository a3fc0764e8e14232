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
# Then lwfp-inspect's own table is made smaller than that cap (a low
# descriptor limit, as a small guest has): uid 65534 may hold half of it
# (its share), its new flows past that are dropped and counted, and root and
# uid 65533 still get flows; once its flows have ended, its share is back.
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

# ask CGSUB [nobody|UID]: one new flow to 198.18.0.3:7000, from root,
# uid 65534 or UID; 0 if its answer comes back from there.
ask() {
	local pre=()
	case ${2:-} in
	nobody) pre=("${AS_NOBODY[@]}") ;;
	[0-9]*) pre=(setpriv --reuid="$2" --regid="$2" --clear-groups) ;;
	esac
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

# ---- lwfp-inspect's table smaller than the engine's cap --------------------------------------
# With a low descriptor limit (one worker of 150 flows), the engine's cap of
# 1000 does not keep uid 65534 from filling lwfp-inspect's table; its share
# there does: half the table. uid 65534 opens 400 flows (under the engine's
# cap): SHARE of them live, the rest are dropped and counted; root and
# another user (uid 65533) still get flows meanwhile, and uid 65534 does
# again once its flows have ended.
NOFILE=$((64 + 4 + 6 * 150))
SHARE_FLOWS=400
# TCP too: connections to 198.18.0.3:7100 (where nothing listens) go to J,
# where each waits up to 10 s for its first bytes.
filter_add FT --service floodsvc --to 127.0.0.1:15060 --proto tcp --family 4 --dst "$SRV4B/32" --dport 7100
: >"$T/J.log"
# shellcheck disable=SC2016
spawn J svcI "$NSP_CLI" sh -c 'ulimit -n "$1" || exit 1; shift; exec "$@"' sh "$NOFILE" \
	"$INSPECT" --listen 127.0.0.1:15060 --pin-dir "$PIN" --log "$T/J.log" --service floodsvc \
	--block "$SRV4/32" --udp-idle-timeout 5 --peek-timeout 10000 --workers 1
J=$LAST_PID
inspect_ready J "$J"
[ "${INSPECT_LIMIT:-0}" -ge 20 ] && [ "$INSPECT_LIMIT" -lt "$CAP" ] ||
	fail "lwfp-inspect J takes ${INSPECT_LIMIT:-?} flows with $NOFILE descriptors, want 20 to $((CAP - 1)): $(cat "$T/J.err")"
SHARE=$((INSPECT_LIMIT / 2))
ask app || fail "control: root's datagram through J did not come back: $(cat "$T/ask.out")"
spawn share-flood attacker "$NSP_CLI" "${AS_NOBODY[@]}" "$NATTACK" udp-flood --to "$SRV4" --ports 6000-7023 \
	--sockets 16 --count "$SHARE_FLOWS" --burst 50 --pace-us 2000 --ready "$NB/share.ready" --stop "$T/share.stop"
SHARE_PID=$LAST_PID
wait_until 30 test -e "$NB/share.ready" -o ! -d "/proc/$SHARE_PID" ||
	fail "the flood against J did not finish sending: $(cat "$T/share-flood.out" "$T/share-flood.err")"
[ -e "$NB/share.ready" ] || fail "the flood against J: $(cat "$T/share-flood.out" "$T/share-flood.err")"
# At once, while the flood's flows live (for 5 s without a datagram).
ask app || breach "uid share: with uid 65534 at its share of lwfp-inspect J, root got no flow: $(cat "$T/ask.out")"
ask attacker 65533 || breach "uid share: with uid 65534 at its share of lwfp-inspect J, uid 65533 got no flow: $(cat "$T/ask.out")"
grep -q "uid 65534 holds its share, $SHARE of the worker's $INSPECT_LIMIT flows" "$T/J.err" ||
	breach "uid share: lwfp-inspect J ($INSPECT_LIMIT flows) refused none of uid 65534's $SHARE_FLOWS new flows: $(summary "$T/share-flood.out" flood); $(cat "$T/J.err")"
touch "$T/share.stop"
wait_exit "$SHARE_PID" 10
# uid_of_flows UID: J's logged flows of UID; uid_logged UID N: at least N.
uid_of_flows() { grep -c "\"uid\":$1," "$T/J.log"; }
uid_logged() { [ "$(uid_of_flows "$1")" -ge "$2" ]; }
wait_until 15 uid_logged 65534 "$SHARE" ||
	fail "J logged $(uid_of_flows 65534) flows of uid 65534, want $SHARE once idle: $(tail -n 2 "$T/J.log")"
sleep 1
[ "$(uid_of_flows 65534)" = "$SHARE" ] ||
	breach "uid share: uid 65534 held $(uid_of_flows 65534) flows of lwfp-inspect J's $INSPECT_LIMIT, past its share of $SHARE"

# hold NAME CGSUB N [nobody]: N TCP connections to 198.18.0.3:7100, held
# until $T/NAME.stop; once they had a second to be refused, how many are
# still open in $T/NAME.alive.
hold() {
	local pre=()
	[ "${4:-}" = nobody ] && pre=("${AS_NOBODY[@]}")
	spawn "$1" "$2" "$NSP_CLI" "${pre[@]}" "$PY" -c '
import os, socket, sys, time
n, alive_file, stop = int(sys.argv[2]), sys.argv[3], sys.argv[4]
socks = []
for _ in range(n):
    try:
        socks.append(socket.create_connection((sys.argv[1], 7100), timeout=3))
    except ConnectionError:
        pass  # refused at once
time.sleep(1)
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        alive += s.recv(1) != b""
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
with open(alive_file + ".tmp", "w") as f:
    print(alive, file=f)
os.rename(alive_file + ".tmp", alive_file)
while not os.path.exists(stop):
    time.sleep(0.05)
' "$SRV4B" "$3" "$NB/$1.alive" "$T/$1.stop"
	HOLD_PID=$LAST_PID
	wait_until 10 test -e "$NB/$1.alive" -o ! -d "/proc/$HOLD_PID" ||
		fail "$1 did not hold its connections: $(cat "$T/$1.err")"
	[ -e "$NB/$1.alive" ] || fail "$1: $(cat "$T/$1.err")"
}
hold tcp-flood attacker $((SHARE + 25)) nobody
TCP_FLOOD=$HOLD_PID
tcp_alive=$(cat "$NB/tcp-flood.alive")
[ "$tcp_alive" = "$SHARE" ] ||
	breach "uid share: uid 65534 holds $tcp_alive TCP connections of lwfp-inspect J's $INSPECT_LIMIT flows, want its share, $SHARE"
hold tcp-root app 1
[ "$(cat "$NB/tcp-root.alive")" = 1 ] ||
	breach "uid share: with uid 65534 at its share of lwfp-inspect J, root's TCP connection was refused"
touch "$T/tcp-flood.stop" "$T/tcp-root.stop"
wait_exit "$TCP_FLOOD" 10
wait_exit "$HOLD_PID" 10
# Its flows ended (TCP's at once, their client gone): its share is back.
ask attacker nobody || fail "uid share: after its flows ended, uid 65534's datagram through J did not come back: $(cat "$T/ask.out")"
stop_inspect J "$J"
grep -q "still counted" "$T/J.err" && fail "lwfp-inspect J exited with flows still counted: $(cat "$T/J.err")"
refused=$(sed -n 's/.* \([0-9]*\) over their uid.s share.*/\1/p' "$T/J.err")
[ "${refused:-0}" -gt 0 ] || fail "lwfp-inspect J counted no datagram over a uid's share at exit: $(cat "$T/J.err")"
reset=$(sed -n 's/.* \([0-9]*\) TCP connections reset over their uid.s share.*/\1/p' "$T/J.err")
[ "${reset:-0}" = 25 ] || fail "lwfp-inspect J reset ${reset:-no} TCP connections over a uid's share, want 25: $(cat "$T/J.err")"
echo "attacks: lwfp-inspect of $INSPECT_LIMIT flows: uid 65534 $(summary "$T/share-flood.out" flood); $SHARE of its flows lived, $refused datagrams over its share dropped; TCP: $tcp_alive of its $((SHARE + 25)) connections held, $reset reset" >&2

end_attacks
