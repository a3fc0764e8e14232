#!/bin/bash
# Issue 12, attack 3: squatting a proxy's listening port. A redirect goes
# only to a listener registered by the filter's service (a socket bound by
# one of its processes, or lwfp_register_listener); otherwise the filter's
# fail mode applies, counted as no_listener. With a fail-closed filter to
# 127.0.0.1:15003 and its proxy down, uid 65534 (in a child cgroup of the
# engine's) listens there:
#   - its lwfp_register_listener for the proxy's service gives EACCES;
#   - root's connects get ECONNREFUSED and the squatter accepts nothing
#     (no payload, no context), while no_listener counts them;
#   - while the proxy restarts and waits for the port the squatter holds:
#     still refused, never delivered to the squatter;
#   - with the filter fail-open: the flow goes direct to the server, not to
#     the squatter;
#   - once the squatter leaves and the proxy has the port: redirected
#     again, and the proxy sees root's context.
# Controls: the proxy works before the squatter comes. The figures are the
# `attacks:` lines on stderr (run the test directly to see them: run.sh
# shows a test's output only when it fails). An attack that gets through is reported as a
# BREACH and the test goes on to the next one, so that one run lists them
# all; it fails at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../relay/lwfp-test-attack.sh"

N=100

setup_all 1
mkcg app svcP squat

service_add HP proxysvc --cgroup "$CG/svcP"
match=(--proto tcp --family 4 --dst "$SRV4/32" --dport "$HTTP_PORT")
filter_add FP --service proxysvc --to 127.0.0.1:15003 --fail closed "${match[@]}"
requests() { grep -c '' "$T/http-$HTTP_PORT.err"; }

# start_proxy NAME [listen options]: the legitimate proxy, root, in svcP.
start_proxy() {
	local name=$1
	shift
	rm -f "$T/$name.ready"
	spawn "$name" svcP "$NSP_CLI" "$ATTACK" listen --listen 127.0.0.1:15003 --log "$T/$name.log" \
		--ready "$T/$name.ready" "$@"
}

# app_connect NAME N OUTCOME: N connects of root's application to the
# server, each must end as OUTCOME (ok or an errno name).
app_connect() {
	run_in app "$ATTACK" connect --to "$SRV4:$HTTP_PORT" --count "$2" --expect "$3" >"$T/$1.out" 2>&1 ||
		breach "$1: $2 connects, want every one $3: $(cat "$T/$1.out")"
}

# proxy_saw NAME N: the proxy's log has N connections, every one root's
# application's, with its context.
proxy_saw() {
	[ "$(lines "$T/$1.log")" = "$2" ] || breach "proxy $1 logged $(lines "$T/$1.log") connections, want $2"
	grep -v -e "ctx=0 pid=[0-9]* uid=0 comm=lwfp-test-attac orig=$SRV4:$HTTP_PORT " "$T/$1.log" |
		grep -q . && breach "proxy $1 saw a connection without root's context: $(grep -v "uid=0" "$T/$1.log" | head -n 3)"
	return 0
}

# The outcomes of a run of `connect`, for the figures.
outcomes() { summary "$T/$1.out" connect; }

squat_empty() {
	[ "$(lines "$NB/squat.log")" = 0 ] ||
		breach "the squatter accepted $(lines "$NB/squat.log") connections: $(head -n 3 "$NB/squat.log")"
}

# ---- control: the proxy serves ---------------------------------------------------------

start_proxy proxy1
P1=$LAST_PID
wait_until 10 test -e "$T/proxy1.ready" || fail "the proxy did not start: $(cat "$T/proxy1.err")"
app_connect control 5 ok
proxy_saw proxy1 5
kill -TERM "$P1" 2>/dev/null
wait_exit "$P1" 10
wait_until 10 not_listening "$NSP_CLI" 15003 || fail "port 15003 still listens after the proxy stopped"

# ---- the squatter ---------------------------------------------------------------------

spawn squat squat "$NSP_CLI" "${AS_NOBODY[@]}" "$NATTACK" listen \
	--listen 127.0.0.1:15003 --log "$NB/squat.log" --ready "$NB/squat.ready" --register "$HP"
SQ=$LAST_PID
wait_until 10 test -e "$NB/squat.ready" || fail "the squatter did not start: $(cat "$T/squat.out" "$T/squat.err")"
grep -qx 'register EACCES' "$T/squat.out" ||
	breach "uid 65534 registering its socket as proxysvc's listener: $(grep register "$T/squat.out"), want EACCES"

counter_var nl0 no_listener
req0=$(requests)
app_connect squatted "$N" ECONNREFUSED
squat_empty
[ "$(requests)" = "$req0" ] || breach "fail closed, squatted: a connection reached the server"
counter_var nl1 no_listener
[ $((nl1 - nl0)) -ge "$N" ] || breach "no_listener grew by $((nl1 - nl0)) over $N refused connects"
echo "attacks: listener squatting, proxy down: $(outcomes squatted); the squatter accepted $(lines "$NB/squat.log"); no_listener +$((nl1 - nl0)); lwfp_register_listener as uid 65534: $(sed -n 's/^register //p' "$T/squat.out")" >&2

# The proxy restarts while the squatter holds the port: it waits for it.
start_proxy proxy2 --retry-bind
P2=$LAST_PID
sleep 0.5
[ -e "$T/proxy2.ready" ] && breach "the restarted proxy got port 15003 while the squatter held it"
app_connect restarting "$N" ECONNREFUSED
squat_empty
echo "attacks: listener squatting, proxy restarting: $(outcomes restarting); the squatter accepted $(lines "$NB/squat.log")" >&2

# Fail open: the flow skips the filter and goes direct, never to the squatter.
ctl filter del "$FP"
filter_add FP --service proxysvc --to 127.0.0.1:15003 --fail open "${match[@]}"
counter_var fo0 fail_open
rm -f "$T/fetch.bin"
fetched=ok
app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/fetch.bin" &&
	[ "$(sha256sum <"$T/fetch.bin" | cut -d' ' -f1)" = "${SUM[f0.bin]}" ] ||
	{
		fetched=failed
		breach "fail open, squatted: the fetch did not get the server's file: $(cat "$T/curl.err")"
	}
squat_empty
counter_var fo1 fail_open
[ "$fo1" -gt "$fo0" ] || breach "fail open, squatted: fail_open did not grow ($fo0 -> $fo1)"
echo "attacks: listener squatting, fail open: the fetch from the server $fetched (fail_open +$((fo1 - fo0))); the squatter accepted $(lines "$NB/squat.log")" >&2
ctl filter del "$FP"
filter_add FP --service proxysvc --to 127.0.0.1:15003 --fail closed "${match[@]}"

# ---- the squatter leaves; the proxy has the port -----------------------------------------

kill -TERM "$SQ" 2>/dev/null
wait_exit "$SQ" 10
wait_until 10 test -e "$T/proxy2.ready" || fail "the restarted proxy never got port 15003: $(cat "$T/proxy2.err")"
app_connect after 5 ok
proxy_saw proxy2 5
squat_empty

end_attacks
