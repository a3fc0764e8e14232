#!/bin/bash
# One proxy: curl in the app cgroup fetches from the server namespace through
# one lwfp-test-relay. The relay reads the original destination both from
# the context and from lwfp_query_original_destination; curl's output is
# byte-identical to a direct fetch; `flows -j` lists the live flow and drops
# it once the connection has closed.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg app svcA

# A direct fetch, before any filter exists.
app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/direct.bin" || fail "direct fetch: $(cat "$T/curl.err")"
cmp -s "$T/direct.bin" "$T/www/f0.bin" || fail "the direct fetch differs from the file"

service_add HA relayA --cgroup "$CG/svcA"
start_relay A svcA 127.0.0.1:15001 --state-handles "$HA"
filter_add FA --service relayA --to 127.0.0.1:15001 --proto tcp --family 4 \
	--dst "$SRV4/32" --dport "$HTTP_PORT"

counter_var redirects0 redirect
app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/proxied.bin" || fail "proxied fetch: $(cat "$T/curl.err")"
cmp -s "$T/direct.bin" "$T/proxied.bin" || fail "the proxied fetch differs from the direct fetch"

expect_log_lines A 1
expect_log A 1 relay=A "orig=$SRV4:$HTTP_PORT" "ctx_orig=$SRV4:$HTTP_PORT" agree=1 nhops=1 \
	"hops=$HA/$FA" "in_state=$HA:1" "out_state=$HA:1" set=0 connect=0 rec=0 ctx=metadata
counter_var redirects1 redirect
[ "$redirects1" -gt "$redirects0" ] || fail "counter redirect did not grow ($redirects0 -> $redirects1)"

# A held connection is listed by `flows -j`, then released when it closes.
wait_until 10 flows_empty || fail "flows -j is not empty after the fetch: $(nflows)"
spawn client app "$NSP_CLI" "$NATIVE" client --connect "$SRV4:$HTTP_PORT" \
	--expect-peer "$SRV4:$HTTP_PORT" --until "$T/release" --timeout 20
client=$LAST_PID
wait_until 10 log_has A 2 || fail "the held connection did not reach relay A"
n=$(nflows) || fail "lwfpctl flows -j failed or is malformed: $(cat "$T/ctl.stderr")"
[ "$n" -ge 1 ] || fail "flows -j lists no flow while a redirected connection is open"
touch "$T/release"
wait_exit "$client" 20
[ "$WAIT_RC" = 0 ] || fail "client: $(cat "$T/client.out")"
wait_until 10 flows_empty || fail "flows -j still lists $(nflows) flow(s) after every connection closed"

pass
