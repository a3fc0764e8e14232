#!/bin/bash
# DNS through one lwfp-inspect hop: dig (bind9-dnsutils) in the app cgroup
# asks dnsmasq in the server netns, and a --register --proto udp instance
# relays the query:
#   - the answer is right, and dig names the server's address as the source
#     of the reply (";; SERVER: 198.18.0.2#53");
#   - the engine redirected the query and reversed the reply's source;
#   - one JSON line per flow, written when it goes idle, with proto udp, the
#     query name and type, the original destination, dig's pid, one datagram
#     each way;
#   - the same over IPv6 (dig -6 @2001:db8::2), through the flow's IPv6
#     address: the answer, the reply's source, the log line;
#   - --block by a host pattern drops the query by its name (dig times out,
#     dnsmasq never sees it), logged with verdict block and the rule;
#   - after SIGTERM the service and filters are gone, and so are the flows.
. "$(dirname "$0")/lib.sh"

INSPECT=$BIN/lwfp-inspect
[ -x "$INSPECT" ] || fail "$INSPECT is missing (run make, or set LWFP_BUILD)"
command -v dig >/dev/null || fail "dig is missing: apt-get install bind9-dnsutils"
command -v dnsmasq >/dev/null || fail "dnsmasq is missing: apt-get install dnsmasq-base"

LISTEN=127.0.0.1:15053
IDLE=2

setup_netns
engine_up
mkcg app insp

# ---- helpers ------------------------------------------------------------------------

udp_bound() { # NSPATH PORT: some UDP socket is bound to PORT
	[ -n "$(nsenter --net="$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]
}

# jcheck FILE N CHECK...: line N of the JSON flow log FILE is an object whose
# fields pass each CHECK: key=VALUE (VALUE JSON-decoded when it can be, else
# a string), key>=INT, or !key (absent).
cat >"$T/jcheck.py" <<'PY'
import json, sys

path, n, checks = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
lines = [l for l in open(path) if l.strip()]
if not 1 <= n <= len(lines):
    sys.exit(f"{path} has {len(lines)} lines, no line {n}")
o = json.loads(lines[n - 1])
for c in checks:
    if c.startswith("!"):
        k, ok, want = c[1:], c[1:] not in o, "absent"
    elif ">=" in c:
        k, v = c.split(">=", 1)
        ok, want = type(o.get(k)) is int and o[k] >= int(v), f">= {v}"
    else:
        k, v = c.split("=", 1)
        try:
            v = json.loads(v)
        except ValueError:
            pass
        ok, want = o.get(k) == v and type(o.get(k)) is type(v), repr(v)
    if not ok:
        sys.exit(f"{path} line {n}: {k} is {o.get(k)!r}, want {want}: {lines[n - 1].strip()}")
PY

expect_flow() { # NAME N CHECK...
	local name=$1
	shift
	"$PY" "$T/jcheck.py" "$T/$name.log" "$@" >"$T/jcheck.err" 2>&1 ||
		fail "flow log of $name: $(cat "$T/jcheck.err")"
}

wait_flows() { # NAME N: a UDP flow is logged once it has been idle for IDLE s
	wait_until $((IDLE + 8)) log_has "$1" "$2" ||
		fail "$1 logged $(log_lines "$1") flows, want $2: $(tail -n 2 "$T/$1.log")"
}

# start_inspect NAME CGSUB LISTEN ARGS...: ready once it has announced itself.
start_inspect() {
	local name=$1 cg=$2 listen=$3 pid
	shift 3
	: >"$T/$name.log"
	spawn "$name" "$cg" "$NSP_CLI" "$INSPECT" --listen "$listen" --pin-dir "$PIN" \
		--log "$T/$name.log" "$@"
	pid=$LAST_PID
	if ! wait_until 10 grep -q 'flow limit' "$T/$name.err"; then
		alive "$pid" || fail "lwfp-inspect $name exited at start: $(cat "$T/$name.err")"
		fail "lwfp-inspect $name did not start within 10 s: $(cat "$T/$name.err")"
	fi
	LAST_PID=$pid
}

stop_inspect() { # NAME PID
	kill -TERM "$2" 2>/dev/null || fail "lwfp-inspect $1 (pid $2) is gone before SIGTERM"
	wait_exit "$2" 15
	[ "$WAIT_RC" = 0 ] || fail "lwfp-inspect $1 exited $WAIT_RC after SIGTERM: $(cat "$T/$1.err")"
}

# dig_app OUT ARGS...: dig in the app cgroup; its output in OUT; its pid in
# $T/dig.pid (the shell execs dig). Returns dig's status. The log's comm is
# the name of dig's thread that sent (isc-net-0000), its pid dig's.
dig_app() {
	local out=$1
	shift
	# shellcheck disable=SC2016
	run_in app sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/dig.pid" \
		dig +tries=1 +time=3 "$@" >"$out" 2>&1
}

# ---- the DNS server -----------------------------------------------------------------

spawn dnsmasq - "$NSP_SRV" dnsmasq --no-daemon --no-resolv --no-hosts --user=root --group=root \
	--listen-address="$SRV4" --listen-address="$SRV6" --bind-interfaces --port=53 --address=/test.example/198.18.0.77 \
	--log-queries --pid-file="$T/dnsmasq.pid"
wait_until 10 udp_bound "$NSP_SRV" 53 || fail "dnsmasq does not listen: $(cat "$T/dnsmasq.err")"

# ---- one hop ------------------------------------------------------------------------------

start_inspect I insp "$LISTEN" --register --proto udp --dport 53 --udp-idle-timeout "$IDLE" \
	--block '*.blocked.example'
I=$LAST_PID
S=lwfp-inspect-$I
ctl filter list -j
"$PY" -c '
import json, sys
f = json.load(sys.stdin)
assert len(f) == 1, f
assert f[0]["to"] == sys.argv[1], f
' "$LISTEN" <<<"$CTL_OUT" || fail "filters after --register --proto udp: $CTL_OUT"
udp_bound "$NSP_CLI" "${LISTEN##*:}" || fail "lwfp-inspect has no UDP socket on ${LISTEN##*:}"

counter_var red0 redirect
counter_var rev0 udp_reversed
dig_app "$T/dig4.out" @"$SRV4" test.example A || fail "dig @$SRV4 test.example A: $(cat "$T/dig4.out")"
grep -q 'status: NOERROR' "$T/dig4.out" || fail "dig: no NOERROR: $(cat "$T/dig4.out")"
grep -Eq '^test\.example\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+198\.18\.0\.77$' \
	"$T/dig4.out" || fail "dig: not the answer 198.18.0.77: $(cat "$T/dig4.out")"
grep -q ";; SERVER: $SRV4#53($SRV4)" "$T/dig4.out" ||
	fail "dig did not see $SRV4#53 as the source: $(grep SERVER "$T/dig4.out")"
DIG_PID=$(cat "$T/dig.pid")
counter_var red1 redirect
counter_var rev1 udp_reversed
[ "$red1" -gt "$red0" ] || fail "the query was not redirected (redirect $red0 -> $red1)"
[ "$rev1" -gt "$rev0" ] || fail "the reply's source was not reversed (udp_reversed $rev0 -> $rev1)"
grep -q 'query\[A\] test.example from 198.18.0.1' "$T/dnsmasq.err" ||
	fail "dnsmasq did not get the query from the client netns: $(tail -n 5 "$T/dnsmasq.err")"

wait_flows I 1
expect_flow I 1 proto=udp verdict=pass dns=test.example dns_type=A "orig_dst=$SRV4:53" \
	"chain=[\"$S\"]" "pid=$DIG_PID" uid=0 packets_up=1 packets_down=1 \
	dropped_up=0 dropped_down=0 'bytes_up>=30' 'bytes_down>=46' "duration_ms>=$((IDLE * 1000))" \
	'!error' '!rule'
tok=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["token"])' "$T/I.log")
[[ $tok =~ ^[0-9a-f]{16}$ ]] || fail "token '$tok' is not 16 hex digits"

# IPv6: dig's socket sends to the server's IPv6 address.
dig_app "$T/dig6.out" -6 @"$SRV6" test.example A || fail "dig -6 @$SRV6: $(cat "$T/dig6.out")"
grep -q '198\.18\.0\.77' "$T/dig6.out" || fail "dig -6: not the answer 198.18.0.77: $(cat "$T/dig6.out")"
grep -q ";; SERVER: $SRV6#53($SRV6)" "$T/dig6.out" ||
	fail "dig -6 did not see $SRV6#53 as the source: $(grep SERVER "$T/dig6.out")"
wait_flows I 2
expect_flow I 2 proto=udp verdict=pass dns=test.example "orig_dst=[$SRV6]:53" "chain=[\"$S\"]" \
	"pid=$(cat "$T/dig.pid")" packets_up=1 packets_down=1 '!error'

# A name the host pattern matches: dropped, never reaching dnsmasq.
dig_app "$T/blocked.out" @"$SRV4" www.Blocked.Example A &&
	fail "a query for www.blocked.example got an answer: $(cat "$T/blocked.out")"
grep -qi 'blocked.example' "$T/dnsmasq.err" && fail "dnsmasq got the blocked query"
wait_flows I 3
expect_flow I 3 proto=udp verdict=block 'rule=*.blocked.example' dns=www.blocked.example \
	dns_type=A packets_up=0 packets_down=0 'dropped_up>=1' "pid=$(cat "$T/dig.pid")"

# ---- SIGTERM: nothing stays -----------------------------------------------------------------

stop_inspect I "$I"
[ "$(log_lines I)" = 3 ] || fail "lwfp-inspect logged $(log_lines I) flows, want 3: $(cat "$T/I.log")"
ctl service list -j
[ "$CTL_OUT" = "[]" ] || [ "$(tr -d ' \n' <<<"$CTL_OUT")" = "[]" ] || fail "services after SIGTERM: $CTL_OUT"
wait_until 10 flows_empty || fail "flows left after the idle timeout: $("$LWFPCTL" flows -j --pin-dir "$PIN")"
# The app goes direct now.
counter_var red2 redirect
dig_app "$T/direct.out" @"$SRV4" test.example A || fail "dig without lwfp-inspect: $(cat "$T/direct.out")"
grep -q '198\.18\.0\.77' "$T/direct.out" || fail "dig without lwfp-inspect: $(cat "$T/direct.out")"
counter_var red3 redirect
[ "$red3" = "$red2" ] || fail "a query was redirected after SIGTERM (redirect $red2 -> $red3)"

pass
