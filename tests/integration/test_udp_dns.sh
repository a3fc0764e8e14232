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

. "$(dirname "$0")/lib_inspect.sh"
command -v dig >/dev/null || fail "dig is missing: apt-get install bind9-dnsutils"
command -v dnsmasq >/dev/null || fail "dnsmasq is missing: apt-get install dnsmasq-base"

LISTEN=127.0.0.1:15053
IDLE=2

setup_netns
engine_up
mkcg app insp

# ---- helpers ------------------------------------------------------------------------

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
