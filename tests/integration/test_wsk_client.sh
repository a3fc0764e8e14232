#!/bin/bash
# examples/wsk-client, the WSK sample, against a real engine:
#   (a) a filter with the sockaddrs context redirects curl to it: its line
#       names the original destination, the 32-byte records and the
#       256-byte context, each read by a size query, a pool buffer and an
#       IRP whose completion routine sets a KEVENT;
#   (b) a filter without context: the context query ends in
#       STATUS_NOT_FOUND, the records still come;
#   (c) IPv6: the original destination in brackets.
# The sample closes each connection after its queries, so curl sees an
# empty reply; only the sample's lines are checked.
. "$(dirname "$0")/lib.sh"

WSK=$BIN/wsk-client
[ -x "$WSK" ] || fail "$WSK is missing (run make, or set LWFP_BUILD)"

NOCTX_PORT=8002
WSK_PORT=15010
setup_all 1
mkcg app svcK

service_add HK wsk --cgroup "$CG/svcK"
filter_add FK4 --service wsk --to 127.0.0.1:$WSK_PORT --proto tcp --family 4 \
	--dst "$SRV4/32" --dport "$HTTP_PORT" --context sockaddrs
filter_add FN --service wsk --to 127.0.0.1:$WSK_PORT --proto tcp --family 4 \
	--dst "$SRV4/32" --dport "$NOCTX_PORT" --context none
filter_add FK6 --service wsk --to "[::1]:$((WSK_PORT + 1))" --proto tcp --family 6 \
	--dst "$SRV6/128" --dport "$HTTP_PORT" --context sockaddrs

spawn wsk4 svcK "$NSP_CLI" "$WSK" -l "127.0.0.1:$WSK_PORT"
wsk4=$LAST_PID
spawn wsk6 svcK "$NSP_CLI" "$WSK" -l "[::1]:$((WSK_PORT + 1))"
wsk6=$LAST_PID
for n in wsk4 wsk6; do
	wait_until 10 grep -q '^listening on' "$T/$n.out" ||
		fail "wsk-client ($n) did not start: $(cat "$T/$n.err")"
done

# flow_line NAME N: the sample's Nth flow line, once it is there.
flow_line() {
	# shellcheck disable=SC2317 # called through wait_until
	has() { [ "$(grep -c '^flow ' "$T/$1.out")" -ge "$2" ]; }
	wait_until 10 has "$1" "$2" || fail "wsk-client ($1) printed no flow line $2:
$(cat "$T/$1.out" "$T/$1.err")"
	grep '^flow ' "$T/$1.out" | sed -n "${2}p"
}

expect_line() { # WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# ---- (a) the sockaddrs context ----------------------------------------------
app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/a.bin"
expect_line "IPv4 context" "$(flow_line wsk4 1)" \
	"flow destination=$SRV4:$HTTP_PORT records=32 context=256"

# ---- (b) no context ---------------------------------------------------------
app_curl "http://$SRV4:$NOCTX_PORT/f0.bin" "$T/b.bin"
expect_line "no context" "$(flow_line wsk4 2)" "flow records=32 context=STATUS_NOT_FOUND"

# ---- (c) IPv6 ---------------------------------------------------------------
app_curl "http://[$SRV6]:$HTTP_PORT/f0.bin" "$T/c.bin"
expect_line "IPv6 context" "$(flow_line wsk6 1)" \
	"flow destination=[$SRV6]:$HTTP_PORT records=32 context=256"

for n in wsk4 wsk6; do
	[ ! -s "$T/$n.err" ] || fail "wsk-client ($n) reported errors: $(cat "$T/$n.err")"
done
alive "$wsk4" && alive "$wsk6" || fail "wsk-client died"
pass
