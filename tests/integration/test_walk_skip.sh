#!/bin/bash
# A proxy's own outbound connection may skip the filter walk (bpf/classify.h,
# walk_needless) only where the WFP rules give the walk's answer anyway:
#   - one service: its relay's outbound connection goes out, and
#     skip_by_self counts it once;
#   - a block filter below the redirect one: the app is still redirected,
#     but the relay's outbound connection is blocked (the walk is not
#     skipped while the table has a permit or block filter);
#   - a second service's filter: the first relay's outbound connection is
#     REDIRECTED_BY_OTHER and goes on to the second relay (a chain), whose
#     own outbound connection, carrying both hops, goes out.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg app svcA svcB
match=(--proto tcp --family 4 --dst "$SRV4/32" --dport "$HTTP_PORT")

service_add HA skipA --cgroup "$CG/svcA"
service_add HB skipB --cgroup "$CG/svcB"
start_relay A svcA 127.0.0.1:15001 --state-handles "$HA,$HB"
start_relay B svcB 127.0.0.1:15002 --state-handles "$HA,$HB"
filter_add FA --service skipA --to 127.0.0.1:15001 --weight 300 "${match[@]}"

# ---- one service -------------------------------------------------------------------------
counter_var self0 skip_by_self
counter_var prev0 skip_previously_by_self
fetch_ok f0.bin
expect_log_lines A 1
expect_log A 1 nhops=1 "hops=$HA/$FA"
counter_var self1 skip_by_self
counter_var prev1 skip_previously_by_self
[ "$((self1 - self0))" = 1 ] || fail "skip_by_self moved by $((self1 - self0)), want 1"
[ "$((prev1 - prev0))" = 0 ] || fail "skip_previously_by_self moved by $((prev1 - prev0)), want 0"

# ---- a block filter below: the walk must run -----------------------------------------------
filter_add FX --block --weight 100 "${match[@]}"
counter_var block0 block
app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/blocked.bin" &&
	fail "the fetch went through, though the relay's outbound connection matches a block filter"
wait_until 10 log_has A 2 || fail "the blocked flow did not reach relay A: $(tail -n 2 "$T/A.log")"
counter_var block1 block
[ "$block1" -gt "$block0" ] || fail "counter block did not grow ($block0 -> $block1)"
[ "$(log_lines B)" = 0 ] || fail "relay B saw a flow while it has no filter"
ctl filter del "$FX"
fetch_ok f0.bin

# ---- a second service: BY_OTHER goes on ---------------------------------------------------
filter_add FB --service skipB --to 127.0.0.1:15002 --weight 200 "${match[@]}"
counter_var prev0 skip_previously_by_self
fetch_ok f0.bin
wait_until 10 log_has B 1 || fail "relay A's outbound connection did not reach relay B"
expect_log B 1 nhops=2 "hops=$HA/$FA,$HB/$FB"
counter_var prev1 skip_previously_by_self
[ "$((prev1 - prev0))" = 1 ] || fail "skip_previously_by_self moved by $((prev1 - prev0)), want 1"

pass
