#!/bin/bash
# mitmproxy, unmodified (Debian's mitmdump in transparent mode), in an lwfp
# chain between two lwfp-inspect services, with no iptables rule:
#
#   curl (app) -> inspect A (weight 300) -> mitmdump (service "mitm", by
#   cgroup, weight 200) -> inspect B (weight 100) -> http.server 198.18.0.2:8000
#
# Every filter matches the HTTP port. mitmdump finds the original destination
# with getsockopt(SOL_IP, SO_ORIGINAL_DST), which lwfp answers; it never sets
# records, so its outbound connect inherits the records of the flow it
# relays (same service, same original destination) and is sent on to B
# only, never back to A or to itself.
#
#   - curl gets the right bodies (sha256), also with a Host header that
#     resolves nowhere: mitmproxy connects where SO_ORIGINAL_DST says;
#   - mitmproxy's own flow output (stdout and its -w flow file) names the
#     original host and server address, and the Host header it was sent;
#   - each proxy sees each flow exactly once: A's and B's JSON logs have one
#     line per request, B's chain is ["inspA","mitm","inspB"], mitmproxy's
#     flow file has one flow per request; the server gets each request once;
#   - the hop_limit counter is 0, and there are exactly 3 redirects per request.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"
MITMDUMP=$(command -v mitmdump) || fail "mitmdump is missing (apt-get install mitmproxy)"

PORT_A=15001
PORT_M=15002
PORT_B=15003
setup_all 2
mkcg app inspA mitm inspB
dport=(--proto tcp --dport "$HTTP_PORT")
r0=0 r1=0 hl=0 # counter_var sets them

# ---- the chain ----------------------------------------------------------------------------------

service_add HM mitm --cgroup "$CG/mitm"
filter_add FM --service mitm --to "127.0.0.1:$PORT_M" --weight 200 "${dport[@]}"
# mitmdump as shipped: transparent mode, its CA in $T, one line per flow on
# stdout, and every flow saved to a file for the checks below.
spawn mitm mitm "$NSP_CLI" "$MITMDUMP" --mode transparent --listen-host 127.0.0.1 \
	--listen-port "$PORT_M" --set confdir="$T/mitm" --set flow_detail=1 \
	--set termlog_verbosity=info -w "$T/mitm.flows"
MITM=$LAST_PID
# It takes seconds to start (Python, then its CA).
wait_until 60 is_listening "$NSP_CLI" "$PORT_M" || {
	alive "$MITM" || fail "mitmdump exited at start: $(cat "$T/mitm.err")"
	fail "mitmdump does not listen on $PORT_M after 60 s: $(tail -n 5 "$T/mitm.out")"
}
start_inspect A inspA "127.0.0.1:$PORT_A" --register --service inspA --weight 300 "${dport[@]}"
start_inspect B inspB "127.0.0.1:$PORT_B" --register --service inspB --weight 100 "${dport[@]}"

# ---- two requests ---------------------------------------------------------------------------------

counter_var r0 redirect
fetch_ok f0.bin
# A Host header that resolves nowhere: only SO_ORIGINAL_DST can tell
# mitmproxy where to connect.
rm -f "$T/fetch.bin"
app_curl "http://$SRV4:$HTTP_PORT/f1.bin" "$T/fetch.bin" -H 'Host: legacy.example.test' ||
	fail "curl with Host legacy.example.test failed: $(cat "$T/curl.err")"
[ "$(sha256sum <"$T/fetch.bin" | cut -d' ' -f1)" = "${SUM[f1.bin]}" ] ||
	fail "the body with Host legacy.example.test is corrupted"

wait_until 10 log_has A 2 || fail "inspect A logged $(log_lines A) flows, want 2"
wait_until 10 log_has B 2 || fail "inspect B logged $(log_lines B) flows, want 2"

# ---- mitmproxy's own view, after it stopped (its outputs are then flushed) -------------------

kill -TERM "$MITM"
wait_exit "$MITM" 20

grep -q "http://$SRV4:$HTTP_PORT/f0.bin" "$T/mitm.out" ||
	fail "mitmdump's output does not name http://$SRV4:$HTTP_PORT/f0.bin: $(tail -n 8 "$T/mitm.out")"
# (in transparent mode it prints the address it connected to, whatever the Host)
grep -q "http://$SRV4:$HTTP_PORT/f1.bin" "$T/mitm.out" ||
	fail "mitmdump's output does not name http://$SRV4:$HTTP_PORT/f1.bin: $(tail -n 8 "$T/mitm.out")"
[ "$(grep -c "server connect $SRV4:$HTTP_PORT\$" "$T/mitm.out")" = 2 ] ||
	fail "mitmdump did not connect twice to $SRV4:$HTTP_PORT: $(grep 'server connect' "$T/mitm.out")"
grep -qi 'Transparent mode failure' "$T/mitm.out" "$T/mitm.err" &&
	fail "mitmdump could not find the original destination: $(grep -i -m1 -A2 'Transparent mode failure' "$T/mitm.out")"
# The flow file (read with mitmproxy's own Python module): one flow per
# request, each to the original server address, status 200.
/usr/bin/python3 - "$T/mitm.flows" "$SRV4" "$HTTP_PORT" >"$T/flows.err" 2>&1 <<'PY' ||
import sys
from mitmproxy import io, http
path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "rb") as f:
    flows = [fl for fl in io.FlowReader(f).stream() if isinstance(fl, http.HTTPFlow)]
got = [(fl.server_conn.address, fl.request.path, fl.request.headers.get("host"),
        fl.response.status_code if fl.response else None) for fl in flows]
want = [((host, port), "/f0.bin", host + ":" + str(port), 200),
        ((host, port), "/f1.bin", "legacy.example.test", 200)]
got = [(tuple(a) if a else a, p, h, s) for a, p, h, s in got]
if got != want:
    sys.exit(f"mitmproxy's flows: {got}, want {want}")
PY
	fail "$(cat "$T/flows.err")"

# ---- each proxy once, in order ---------------------------------------------------------------

expect_log_lines A 2
expect_log_lines B 2
for n in 1 2; do
	expect_flow A "$n" chain='["inspA"]'
	expect_flow B "$n" chain='["inspA","mitm","inspB"]'
	expect_flow A "$n" "orig_dst=\"$SRV4:$HTTP_PORT\""
	expect_flow B "$n" "orig_dst=\"$SRV4:$HTTP_PORT\""
	expect_flow A "$n" verdict='"pass"'
	expect_flow B "$n" verdict='"pass"'
done
expect_flow A 2 host='"legacy.example.test"'
expect_flow B 2 host='"legacy.example.test"'
# The application that opened the chain is carried through mitmproxy.
expect_flow B 1 comm='"curl"'
[ "$(grep -c '"GET /f[01].bin' "$T/http-$HTTP_PORT.err")" = 2 ] ||
	fail "the server got $(grep -c '"GET ' "$T/http-$HTTP_PORT.err") requests, want 2"
counter_var r1 redirect
[ $((r1 - r0)) = 6 ] || fail "$((r1 - r0)) redirects for 2 requests, want 6 (3 hops each)"
counter_var hl hop_limit
[ "$hl" = 0 ] || fail "hop_limit counter is $hl, want 0"
wait_until 10 flows_empty || fail "flows left after the requests: $(nflows)"

pass
