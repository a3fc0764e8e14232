#!/bin/bash
# The context kinds a filter can choose, read on the redirected accepted
# socket with the size rules of the native API (lwfp-test-native serve):
# metadata (struct lwfp_redirect_context), sockaddrs (WFPSampler: 2 x
# sockaddr_storage, the first the original remote) and raw:HEX (those bytes).
# Context kind none is in test_errors.sh.
. "$(dirname "$0")/lib.sh"

setup_netns
engine_up
mkcg app svcA
service_add HA ctxsvc --cgroup "$CG/svcA"
RAW=00017f4c5746500a0bfeedface
i=0
for kind in metadata sockaddrs "raw:$RAW"; do
	i=$((i + 1))
	port=$((8100 + i))
	filter_add F --service ctxsvc --to "127.0.0.1:1510$i" --proto tcp --dst "$SRV4/32" \
		--dport "$port" --context "$kind"
	spawn "serve$i" svcA "$NSP_CLI" "$NATIVE" serve --listen "127.0.0.1:1510$i" \
		--blob "$T/blob$i" --pidfile "$T/serve$i.pid" --expect-orig "$SRV4:$port" \
		--expect-nhops 1 --context "$kind"
	serve=$LAST_PID
	wait_until 10 test -s "$T/serve$i.pid" || fail "serve ($kind) did not start"
	spawn "client$i" app "$NSP_CLI" "$NATIVE" client --connect "$SRV4:$port" --until "$T/blob$i"
	client=$LAST_PID
	wait_exit "$serve" 30
	[ "$WAIT_RC" = 0 ] || fail "context $kind:
$(grep -v '^ok ' "$T/serve$i.out")"
	grep -q "^ok context-${kind%%:*}$" "$T/serve$i.out" || fail "context $kind was not checked"
	wait_exit "$client" 30
	[ "$WAIT_RC" = 0 ] || fail "client ($kind): $(cat "$T/client$i.out")"
done

pass
