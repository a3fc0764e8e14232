#!/bin/bash
# The Winsock compatibility layer against a real engine (DESIGN.md §4):
#   (a) examples/winsock-proxy, a Windows-style proxy built on include/lwfp/win,
#       chained with lwfp-inspect: curl -> winsock-proxy -> lwfp-inspect ->
#       server. Files arrive byte-exact (sha256), one and eight at a time;
#       lwfp-inspect's log names both hops in order, so the records the
#       proxy set went on; the proxy saw 32 bytes of records and the
#       256-byte sockaddrs context, the records through the overlapped
#       call's event and the context through its completion routine;
#   (b) a filter without context: the proxy gets ERROR_NOT_FOUND and falls
#       back to SO_ORIGINAL_DST;
#   (c) the error-table rows that need a redirected socket, for WSAIoctl,
#       WSPIoctl and WskControlSocket (lwfp-test-win serve): success, size
#       probe (122 with the size), 2 bytes (WSAEINVAL with 0), small buffers,
#       the WSK size query both ways, overlapped completion, bad records
#       (WSAEINVAL / STATUS_INVALID_PARAMETER);
#   (d) set records by a process that is not a service: WSAEACCES /
#       STATUS_ACCESS_DENIED; by the service: success;
#   (e) sockets of the engine's cgroup that were not redirected, unconnected
#       or listening: ERROR_NOT_FOUND, WSAENOTCONN;
#   (f) the application's own redirected socket (lwfp-test-win appctx): the
#       native API reads its context, the Windows layer says ERROR_NOT_FOUND
#       / STATUS_NOT_FOUND, as only the accepted socket has one on Windows.
. "$(dirname "$0")/lib.sh"

WSPROXY=$BIN/winsock-proxy
INSPECT=$BIN/lwfp-inspect
WINTEST=$BIN/lwfp-test-win
for b in "$WSPROXY" "$INSPECT" "$WINTEST"; do
	[ -x "$b" ] || fail "$b is missing (run make, or set LWFP_BUILD)"
done

NOCTX_PORT=8002
ERR_PORT=8001
setup_all 4
start_http "$NOCTX_PORT"
mkcg app svcW svcI svcT

# ---- (a) curl -> winsock-proxy -> lwfp-inspect -> server --------------------

service_add HW winsock --cgroup "$CG/svcW"
filter_add FW --service winsock --to 127.0.0.1:15001 --weight 200 --proto tcp --family 4 \
	--dst "$SRV4/32" --dport "$HTTP_PORT" --context sockaddrs
filter_add FN --service winsock --to 127.0.0.1:15001 --weight 200 --proto tcp --family 4 \
	--dst "$SRV4/32" --dport "$NOCTX_PORT" --context none

spawn wsproxy svcW "$NSP_CLI" "$WSPROXY" -l 127.0.0.1:15001
wsproxy=$LAST_PID
wait_until 10 grep -q '^listening on' "$T/wsproxy.out" ||
	fail "winsock-proxy did not start: $(cat "$T/wsproxy.err")"

: >"$T/inspect.log"
spawn inspect svcI "$NSP_CLI" "$INSPECT" --listen 127.0.0.1:15002 --pin-dir "$PIN" \
	--log "$T/inspect.log" --register --service inspect --dport "$HTTP_PORT" --weight 100
inspect=$LAST_PID
if ! wait_until 10 grep -q 'flow limit' "$T/inspect.err"; then
	alive "$inspect" || fail "lwfp-inspect exited at start: $(cat "$T/inspect.err")"
	fail "lwfp-inspect did not start within 10 s: $(cat "$T/inspect.err")"
fi

# proxy_line N: line N of the proxy's flow lines.
proxy_line() { grep '^flow ' "$T/wsproxy.out" | sed -n "${1}p"; }
proxy_flows() { grep -c '^flow ' "$T/wsproxy.out"; }
# shellcheck disable=SC2317 # called through wait_until
proxy_has() { [ "$(proxy_flows)" -ge "$1" ]; }

# expect_proxy N KEY=VALUE...: fields of the proxy's Nth flow line.
expect_proxy() {
	local n=$1 line kv got
	shift
	wait_until 10 proxy_has "$n" || fail "winsock-proxy logged $(proxy_flows) flows, want $n:
$(cat "$T/wsproxy.err")"
	line=$(proxy_line "$n")
	for kv in "$@"; do
		got=$(printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^${kv%%=*}=//p")
		[ "$got" = "${kv#*=}" ] || fail "winsock-proxy flow $n: ${kv%%=*}=$got, want $kv in: $line"
	done
}

# chains N: the "chain" of each of lwfp-inspect's first N log lines, as
# name,name one per line; every line must have passed.
chains() {
	"$PY" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][:int(sys.argv[2])]
for o in lines:
    assert o.get("verdict") == "pass", o
    assert o.get("orig_dst") == sys.argv[3], o
    print(",".join(o["chain"]))' "$T/inspect.log" "$1" "$SRV4:$HTTP_PORT"
}

inspect_lines() { grep -c '' "$T/inspect.log"; }
# shellcheck disable=SC2317 # called through wait_until
inspect_has() { [ "$(inspect_lines)" -ge "$1" ]; }

fetch_ok f0.bin
expect_proxy 1 "destination=$SRV4:$HTTP_PORT" records=32 context=256 end=closed \
	records_via=event context_via=routine
down=$(proxy_line 1 | tr ' ' '\n' | sed -n 's/^down=//p')
[ "$down" -gt 1048576 ] ||
	fail "winsock-proxy relayed $down bytes down, want the 1 MiB file and headers"
wait_until 10 inspect_has 1 || fail "lwfp-inspect logged nothing: $(cat "$T/inspect.err")"
got=$(chains 1) || fail "lwfp-inspect's log: $(cat "$T/inspect.log")"
[ "$got" = "winsock,inspect" ] ||
	fail "the chain is '$got', want 'winsock,inspect' (both hops, in order)"

# Eight at once: the proxy serves each on its own thread.
N=8
par_curls "$T/par" "http://$SRV4:$HTTP_PORT" "$N" 4 run_in app
par_check "$T/par" "$N" 4
wait_until 10 inspect_has $((N + 1)) ||
	fail "lwfp-inspect logged $(inspect_lines) flows, want $((N + 1))"
got=$(chains $((N + 1)) | sort -u) || fail "lwfp-inspect's log: $(cat "$T/inspect.log")"
[ "$got" = "winsock,inspect" ] || fail "chains of the parallel flows: '$got'"
expect_proxy $((N + 1)) records=32 context=256 end=closed records_via=event \
	context_via=routine

# ---- (b) no context: ERROR_NOT_FOUND, then SO_ORIGINAL_DST ------------------

rm -f "$T/fetch.bin"
app_curl "http://$SRV4:$NOCTX_PORT/f1.bin" "$T/fetch.bin" ||
	fail "curl through the no-context filter: $(cat "$T/curl.err")"
[ "$(sha256sum <"$T/fetch.bin" | cut -d' ' -f1)" = "${SUM[f1.bin]}" ] ||
	fail "the file fetched through the no-context filter differs"
expect_proxy $((N + 2)) "destination=$SRV4:$NOCTX_PORT" records=32 context=0 end=closed \
	context_via=routine

alive "$wsproxy" || fail "winsock-proxy died: $(cat "$T/wsproxy.err")"
[ ! -s "$T/wsproxy.err" ] || fail "winsock-proxy reported errors: $(cat "$T/wsproxy.err")"

# ---- (c) the rows of a redirected socket ------------------------------------

service_add HT wintest --cgroup "$CG/svcT"
filter_add FT --service wintest --to 127.0.0.1:15003 --proto tcp --dst "$SRV4/32" \
	--dport "$ERR_PORT" --context sockaddrs
spawn serve svcT "$NSP_CLI" "$WINTEST" serve --listen 127.0.0.1:15003 --blob "$T/blob" \
	--pidfile "$T/serve.pid" --expect-orig "$SRV4:$ERR_PORT" --timeout 40
serve=$LAST_PID
wait_until 10 test -s "$T/serve.pid" ||
	fail "lwfp-test-win serve did not start: $(cat "$T/serve.err")"
spawn client app "$NSP_CLI" "$NATIVE" client --connect "$SRV4:$ERR_PORT" --until "$T/release" \
	--timeout 40
client=$LAST_PID
wait_until 30 test -s "$T/blob" || fail "lwfp-test-win serve wrote no blob:
$(grep -v '^ok ' "$T/serve.out")"
grep -q '^FAIL' "$T/serve.out" && fail "lwfp-test-win serve:
$(grep -v '^ok ' "$T/serve.out")"
for c in wsaioctl-records-size-probe wsaioctl-records-small-2 wsaioctl-records-8k \
	wspioctl-records-size-probe wspioctl-records-small-3 wspioctl-context-exact \
	wsaioctl-context-size-probe-buffer wsk-records-1k-buffer wsk-records-size-query \
	wsk-records-sized-buffer wsk-context-size-query wsk-context-sized-buffer \
	wsk-records-size-query-irp-only wsk-context-size-query-irp-only wsk-records-small-2 \
	context-sockaddrs so-original-dst overlapped-routine overlapped-size-probe \
	overlapped-event wspioctl-overlapped-routine wsaioctl-set-valid wspioctl-set-valid \
	wsk-set-valid wsaioctl-set-edited wspioctl-set-truncated wsk-set-edited \
	wsaioctl-set-connected; do
	grep -qx "ok $c" "$T/serve.out" || fail "lwfp-test-win serve did not report 'ok $c'"
done

# ---- (d) set records: not a service, then the service -----------------------

win_ok() { # NAME CGSUB ARGS...
	local name=$1 cg=$2
	shift 2
	run_in "$cg" "$WINTEST" "$@" >"$T/$name.out" 2>&1 ||
		fail "lwfp-test-win $* (in $cg):
$(grep -v '^ok ' "$T/$name.out")"
}
win_ok setrec-app app setrec --blob "$T/blob" --expect WSAEACCES
grep -qx 'ok wsk-set-WSAEACCES' "$T/setrec-app.out" || fail "setrec as the app did not check WSK"
win_ok setrec-service svcT setrec --blob "$T/blob" --expect OK

touch "$T/release"
wait_exit "$client" 20
[ "$WAIT_RC" = 0 ] || fail "client: $(cat "$T/client.out")"
wait_exit "$serve" 20
[ "$WAIT_RC" = 0 ] || fail "lwfp-test-win serve: $(grep -v '^ok ' "$T/serve.out")"

# ---- (e) sockets that were not redirected -----------------------------------

win_ok local app local
for c in wsaioctl-not-redirected-records wspioctl-not-redirected-size-probe \
	wsk-not-redirected-records wsaioctl-unconnected-records wsk-listening-size-query; do
	grep -qx "ok $c" "$T/local.out" || fail "lwfp-test-win local did not report 'ok $c'"
done

# ---- (f) the application's own socket ---------------------------------------

win_ok appctx app appctx --connect "$SRV4:$HTTP_PORT"
for c in appctx-native-context wsaioctl-appctx-context wspioctl-appctx-context-size-probe \
	wsk-appctx-context wsk-appctx-size-query; do
	grep -qx "ok $c" "$T/appctx.out" || fail "lwfp-test-win appctx did not report 'ok $c'"
done

kill -TERM "$inspect" 2>/dev/null
wait_exit "$inspect" 15
pass
