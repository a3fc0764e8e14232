#!/bin/bash
# Records attacks. While a redirected flow is open:
#   - its service sets the real blob: accepted (the control);
#   - random bytes, a forged token or tag, every truncation, trailing bytes,
#     edited hops and every one-bit flip: EINVAL;
#   - the real blob on a connected socket: EISCONN;
#   - a process that is not a service (root in the app cgroup, and uid 65534
#     elsewhere): EACCES.
# Once the flow has closed, replaying the real blob: EINVAL.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg app svcA other
service_add HA attsvc --cgroup "$CG/svcA"
filter_add FA --service attsvc --to 127.0.0.1:15001 --proto tcp --family 4 \
	--dst "$SRV4/32" --dport "$HTTP_PORT"

spawn serve svcA "$NSP_CLI" "$NATIVE" serve --listen 127.0.0.1:15001 --blob "$T/blob" \
	--pidfile "$T/serve.pid" --expect-orig "$SRV4:$HTTP_PORT" --expect-nhops 1 --timeout 40
serve=$LAST_PID
wait_until 10 test -s "$T/serve.pid" || fail "serve did not start: $(cat "$T/serve.out")"
spawn client app "$NSP_CLI" "$NATIVE" client --connect "$SRV4:$HTTP_PORT" --until "$T/release" \
	--timeout 40
client=$LAST_PID
wait_until 15 test -s "$T/blob" || fail "serve wrote no blob: $(cat "$T/serve.out")"

counter_var einval0 set_records_einval
counter_var eacces0 set_records_eacces

# The flow is alive: the service's attacks.
native_ok attack svcA attack --blob "$T/blob"
native_ok setrec-service svcA setrec --blob "$T/blob" --expect 0
# Not a service: root in the app cgroup, and uid 65534 in another cgroup.
native_ok setrec-app app setrec --blob "$T/blob" --expect EACCES
nobody_bin
chmod 644 "$T/blob"
run_in other "${AS_NOBODY[@]}" "$NOBODY_BIN/lwfp-test-native" setrec --blob "$T/blob" \
	--expect EACCES >"$T/setrec-nobody.out" 2>&1 ||
	fail "setrec as uid 65534: $(cat "$T/setrec-nobody.out")"

counter_var einval1 set_records_einval
counter_var eacces1 set_records_eacces
[ "$einval1" -gt "$einval0" ] || fail "counter set_records_einval did not grow ($einval0 -> $einval1)"
[ "$eacces1" -gt "$eacces0" ] || fail "counter set_records_eacces did not grow ($eacces0 -> $eacces1)"

# Close the flow, wait until the engine has forgotten it, replay the blob.
touch "$T/release"
wait_exit "$client" 20
[ "$WAIT_RC" = 0 ] || fail "client: $(cat "$T/client.out")"
wait_exit "$serve" 20
[ "$WAIT_RC" = 0 ] || fail "serve: $(grep -v '^ok ' "$T/serve.out")"
wait_until 10 flows_empty || fail "flows -j still lists $(nflows) flow(s) after the flow closed"
native_ok replay svcA setrec --blob "$T/blob" --expect EINVAL

pass
