#!/bin/bash
# Relays that never set records (like an unmodified transparent proxy) still
# chain without loops: the outbound connection of a service inherits the
# records of the inbound flow it relays (DESIGN.md §3, "Unmodified
# transparent proxies"). Two services A and B, relays with --no-set-records.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg app svcA svcB
match=(--proto tcp --family 4 --dst "$SRV4/32" --dport "$HTTP_PORT")
service_add HA inhA --cgroup "$CG/svcA"
service_add HB inhB --cgroup "$CG/svcB"
# --max-flows bounds the damage if the engine lets the flow loop.
start_relay A svcA 127.0.0.1:15001 --no-set-records --state-handles "$HA,$HB" --max-flows 16
start_relay B svcB 127.0.0.1:15002 --no-set-records --state-handles "$HA,$HB" --max-flows 16
filter_add FA --service inhA --to 127.0.0.1:15001 --weight 200 "${match[@]}"
filter_add FB --service inhB --to 127.0.0.1:15002 --weight 100 "${match[@]}"

app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/fetch.bin" --max-time 10
rc=$?
[ "$(log_lines A)" -le 1 ] || fail "relay A saw the flow $(log_lines A) times: a loop"
[ "$(log_lines B)" -le 1 ] || fail "relay B saw the flow $(log_lines B) times: a loop"
[ "$rc" = 0 ] || fail "curl failed: $(cat "$T/curl.err")"
[ "$(sha256sum <"$T/fetch.bin" | cut -d' ' -f1)" = "${SUM[f0.bin]}" ] || fail "the fetch is corrupted"
expect_log_lines A 1
expect_log_lines B 1
expect_log A 1 "orig=$SRV4:$HTTP_PORT" agree=1 nhops=1 "hops=$HA/$FA" "in_state=$HA:1,$HB:2" \
	set=off connect=0
expect_log B 1 "orig=$SRV4:$HTTP_PORT" agree=1 nhops=2 "hops=$HA/$FA,$HB/$FB" \
	"in_state=$HA:3,$HB:1" set=off connect=0

pass
