#!/bin/bash
# A chain of three services A, B and C with different weights and identities
# (A by cgroup, B by uid 65534, C by pid), each with its own relay:
#   - every relay sees the flow exactly once, the last one with 3 hops in order;
#   - lwfp_query_redirect_state gives the WFP value for each service on the
#     accepted and the outbound socket of every relay;
#   - 100 parallel 1 MiB transfers arrive intact (sha256);
#   - with nine services the flow passes eight and reaches the server, and
#     the hop_limit counter shows the ninth was skipped.
. "$(dirname "$0")/lib.sh"

NFILES=4
setup_all "$NFILES"
mkcg app svcA svcB svcC
match=(--proto tcp --family 4 --dst "$SRV4/32" --dport "$HTTP_PORT")

service_add HA chainA --provider 11111111-1111-4111-8111-111111111111 --cgroup "$CG/svcA"
service_add HB chainB --provider 22222222-2222-4222-8222-222222222222 --uid 65534
# C is identified by its pid, which must exist before the service does: a
# shell waits for the handles, then execs the relay (the pid stays the same).
: >"$T/C.log"
: >"$T/C.pid"
# shellcheck disable=SC2016
spawn C svcC "$NSP_CLI" sh -c '
	while [ ! -s "$1" ]; do sleep 0.05; done
	h=$(cat "$1"); shift
	exec "$@" --state-handles "$h"' sh "$T/handles" \
	"$RELAY" --listen 127.0.0.1:15003 --name C --log "$T/C.log" --pidfile "$T/C.pid"
pid_c=$LAST_PID
service_add HC chainC --pid "$pid_c"
echo "$HA,$HB,$HC" >"$T/handles.tmp" && mv "$T/handles.tmp" "$T/handles"
wait_until 10 test -s "$T/C.pid" || fail "relay C did not start: $(cat "$T/C.err")"
[ "$(cat "$T/C.pid")" = "$pid_c" ] || fail "relay C runs as pid $(cat "$T/C.pid"), not $pid_c"
start_relay A svcA 127.0.0.1:15001 --state-handles "$HA,$HB,$HC"
RELAY_AS_NOBODY=1 start_relay B svcB 127.0.0.1:15002 --state-handles "$HA,$HB,$HC"

# Filters added out of weight order: the weights decide the order.
filter_add FC --service chainC --to 127.0.0.1:15003 --weight 100 "${match[@]}"
filter_add FA --service chainA --to 127.0.0.1:15001 --weight 300 "${match[@]}"
filter_add FB --service chainB --to 127.0.0.1:15002 --weight 200 "${match[@]}"

fetch_ok f0.bin
for r in A B C; do expect_log_lines "$r" 1; done
common=("orig=$SRV4:$HTTP_PORT" "ctx_orig=$SRV4:$HTTP_PORT" agree=1 set=0 connect=0)
# WFP rules: the last hop's service is BY_SELF (1), a service with an earlier
# hop PREVIOUSLY_BY_SELF (3), one without a hop BY_OTHER (2). The outbound
# socket carries the records it was given, so it reads the same.
expect_log A 1 "${common[@]}" nhops=1 "hops=$HA/$FA" \
	"in_state=$HA:1,$HB:2,$HC:2" "out_state=$HA:1,$HB:2,$HC:2"
expect_log B 1 "${common[@]}" nhops=2 "hops=$HA/$FA,$HB/$FB" \
	"in_state=$HA:3,$HB:1,$HC:2" "out_state=$HA:3,$HB:1,$HC:2"
expect_log C 1 "${common[@]}" nhops=3 "hops=$HA/$FA,$HB/$FB,$HC/$FC" \
	"in_state=$HA:3,$HB:3,$HC:1" "out_state=$HA:3,$HB:3,$HC:1"

# 100 parallel transfers of 1 MiB, each checked by sha256.
N=100
par_fetch "$N"
for r in A B C; do expect_log_lines "$r" $((N + 1)); done
expect_log C all nhops=3 "hops=$HA/$FA,$HB/$FB,$HC/$FC" set=0 connect=0 agree=1

# Nine services: six more below C. The flow passes eight and reaches the
# server; the ninth is skipped at the hop limit.
counter_var hl0 hop_limit
hops=$HA/$FA,$HB/$FB,$HC/$FC
for i in 4 5 6 7 8 9; do
	mkcg "svc$i"
	service_add "H$i" "chain$i" --cgroup "$CG/svc$i"
	start_relay "R$i" "svc$i" "127.0.0.1:1500$i"
	h=H$i
	filter_add "F$i" --service "chain$i" --to "127.0.0.1:1500$i" --weight $((130 - 10 * i)) "${match[@]}"
	f=F$i
	[ "$i" -le 8 ] && hops=$hops,${!h}/${!f}
done
fetch_ok f2.bin
for r in A B C; do expect_log_lines "$r" $((N + 2)); done
for i in 4 5 6 7 8; do expect_log_lines "R$i" 1; done
expect_log_lines R9 0
expect_log R8 1 nhops=8 "hops=$hops" set=0 connect=0 agree=1
counter_var hl1 hop_limit
[ "$hl1" -gt "$hl0" ] || fail "counter hop_limit did not grow ($hl0 -> $hl1)"

pass
