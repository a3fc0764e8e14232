#!/bin/bash
# Fail modes, with the target relay stopped:
#   - fail closed: the connect is refused (ECONNREFUSED, curl "Connection
#     refused"), nothing reaches the server, even with another filter below;
#   - fail open: the filter is skipped: the flow reaches the server directly,
#     or the next filter's relay when there is one.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg app svcA svcB
URL=http://$SRV4:$HTTP_PORT/f0.bin
match=(--proto tcp --family 4 --dst "$SRV4/32" --dport "$HTTP_PORT")
requests() { grep -c '"GET /' "$T/http-$HTTP_PORT.err"; }

service_add HA failsvc --cgroup "$CG/svcA"
start_relay A svcA 127.0.0.1:15001
relay_a=$LAST_PID
filter_add FA --service failsvc --to 127.0.0.1:15001 --weight 100 --fail closed "${match[@]}"

# With the relay up, the flow goes through it.
fetch_ok f0.bin
expect_log_lines A 1
stop_relay A "$relay_a" 15001

# ---- fail closed --------------------------------------------------------------
refused() { # what the application gets
	local before rc
	before=$(requests)
	counter_var fc0 fail_closed
	# curl 7.88 reports a refused connect as "Couldn't connect to server"
	# (exit 7); its verbose trace names the errno.
	app_curl "$URL" "$T/refused.bin" -v
	rc=$?
	[ "$rc" = 7 ] || fail "fail closed: curl exited $rc, want 7: $(grep -v '^[<>{}*]' "$T/curl.err")"
	grep -q "Connection refused" "$T/curl.err" ||
		fail "fail closed: curl did not see ECONNREFUSED: $(grep -i -e fail -e connect "$T/curl.err")"
	run_in app "$NATIVE" peername --connect "$SRV4:$HTTP_PORT" >"$T/peer.out" 2>&1 &&
		fail "fail closed: connect succeeded: $(cat "$T/peer.out")"
	grep -q ": ECONNREFUSED " "$T/peer.out" || fail "fail closed: connect gave: $(cat "$T/peer.out")"
	[ "$(requests)" = "$before" ] || fail "fail closed: a request reached the server"
	counter_var fc1 fail_closed
	[ "$fc1" -gt "$fc0" ] || fail "counter fail_closed did not grow ($fc0 -> $fc1)"
}
refused

# ---- fail open ------------------------------------------------------------------
ctl filter del "$FA"
filter_add FA --service failsvc --to 127.0.0.1:15001 --weight 100 --fail open "${match[@]}"
counter_var fo0 fail_open
before=$(requests)
fetch_ok f0.bin
[ "$(requests)" -gt "$before" ] || fail "fail open: the server saw no request"
expect_log_lines A 1
counter_var fo1 fail_open
[ "$fo1" -gt "$fo0" ] || fail "counter fail_open did not grow ($fo0 -> $fo1)"

# Fail open skips only that filter: a lower one of another service redirects.
service_add HB nextsvc --cgroup "$CG/svcB"
start_relay B svcB 127.0.0.1:15002 --state-handles "$HA,$HB"
filter_add FB --service nextsvc --to 127.0.0.1:15002 --weight 50 "${match[@]}"
fetch_ok f0.bin
expect_log_lines B 1
expect_log B 1 "orig=$SRV4:$HTTP_PORT" agree=1 nhops=1 "hops=$HB/$FB" "in_state=$HA:2,$HB:1" \
	set=0 connect=0

# Fail closed refuses even though a lower filter could redirect.
ctl filter del "$FA"
filter_add FA --service failsvc --to 127.0.0.1:15001 --weight 100 --fail closed "${match[@]}"
refused
expect_log_lines B 1

pass
