#!/bin/bash
# Observability of the engine: `stats`, `stats --prometheus` and `flows`.
#   (a) three connections through a chain of two lwfp-inspect instances move
#       each counter of the chain by what that traffic must cost: two
#       redirects and hand-offs per connection, the skips that stop loops,
#       and two flows closed per connection once they end;
#   (b) `stats --prometheus` parses with the Prometheus client's own parser
#       (text format 0.0.4): every metric has HELP and TYPE and the lwfp_
#       prefix, each counter of `stats -j` is lwfp_NAME_total with the same
#       value, the gauges equal the lengths of `flows -j`, `service list -j`
#       and `filter list -j`, and each filter's hits, redirected and refused
#       equal `filter list -j`'s; it refuses to be combined with -j;
#   (c) during a slow download through the chain (the server trickles), `flows` shows each hop's
#       bytes from its connecting socket growing between two looks, a
#       positive and growing age, and the chain as the services' names in
#       hop order, in the table and in -j; a UDP flow's bytes are unknown:
#       "-" and null;
#   (d) `metrics --listen` serves the same text as `stats --prometheus` at
#       /metrics with the 0.0.4 content type, refuses other paths, methods
#       and oversized requests with their HTTP status, answers 503 while
#       the engine is down and reads the new one after `up`, refuses a bad
#       or missing --listen, and exits 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"

SLOW=$((2 * 1024 * 1024))
SLOW_PORT=8001

setup_all 1
head -c "$SLOW" /dev/urandom >"$T/www/slow.bin" || fail "cannot write $T/www/slow.bin"
mkcg app

# The slow server: whatever the request, an HTTP/1.0 reply of slow.bin at
# 16 KiB every 50 ms (the client's pace is no bound: curl's --limit-rate
# lets the kernel's buffers fill at once).
spawn trickle - "$NSP_SRV" "$PY" "$(dirname "$0")/trickle.py" "$SLOW_PORT" "$T/www/slow.bin"
wait_listen "$NSP_SRV" "$SLOW_PORT"

# Started in the opposite order of their weights: mA gets the first hop.
# Only mA takes UDP too, for the UDP flow of (c).
start_inspect MB inspB 127.0.0.1:15022 --register --dport "$HTTP_PORT,$SLOW_PORT" \
	--service mB --weight 100
start_inspect MA inspA 127.0.0.1:15021 --register --dport "$HTTP_PORT,$SLOW_PORT" \
	--service mA --weight 200 --proto tcp,udp

# ---- (a) counters after known traffic ------------------------------------------------------

COUNTED=(connect redirect skip_by_self skip_previously_by_self handoff flow_closed block
	fail_closed fail_open hop_limit handoff_miss)
declare -A C0 C1
snapshot() { # ARRAY: every counter of COUNTED
	local -n arr=$1
	local k
	for k in "${COUNTED[@]}"; do
		counter_var "arr[$k]" "$k"
	done
}
# expect_delta NAME WANT: the counter moved by exactly WANT between C0 and C1.
expect_delta() {
	expect_eq "counter $1 after 3 connections through 2 proxies" \
		"$((C1[$1] - C0[$1]))" "$2"
}
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

snapshot C0
for i in 1 2 3; do
	fetch_ok f0.bin
done
wait_flows MA 3
wait_flows MB 3
wait_until 10 flows_empty || fail "flows left after the fetches: $(nflows)"
snapshot C1
# Per connection: curl's connect is redirected to mA (1 redirect); mA's
# outbound one skips mA's filter (by self) and is redirected to mB; mB's
# skips mA's (previously by self) and its own (by self), and goes out.
expect_delta redirect 6
expect_delta handoff 6
expect_delta connect 9
expect_delta skip_by_self 6
expect_delta skip_previously_by_self 3
expect_delta flow_closed 6
for k in block fail_closed fail_open hop_limit handoff_miss; do
	expect_delta "$k" 0
done
# Each proxy's TCP filter decided, and redirected, each connection once.
ctl filter list -j
hits=$("$PY" -c '
import json, sys
print(" ".join("%s:%d:%d:%d" % (f["service"], f["hits"], f["redirected"], f["refused"])
               for f in json.loads(sys.argv[1]) if f["hits"]))' "$CTL_OUT")
expect_eq "filter hits after 3 connections" "$hits" "mA:3:3:0 mB:3:3:0"

# ---- (b) the Prometheus format --------------------------------------------------------------

ctl stats -j
echo "$CTL_OUT" >"$T/stats.json"
ctl stats --prometheus
echo "$CTL_OUT" >"$T/stats.prom"
ctl flows -j
echo "$CTL_OUT" >"$T/flows.json"
ctl service list -j
echo "$CTL_OUT" >"$T/services.json"
ctl filter list -j
echo "$CTL_OUT" >"$T/filters.json"
"$PY" - "$T" >"$T/prom.err" 2>&1 <<'PY' || fail "stats --prometheus: $(cat "$T/prom.err")"
import json, re, sys
from prometheus_client.parser import text_string_to_metric_families

d = sys.argv[1]
text = open(f"{d}/stats.prom").read()
stats = json.load(open(f"{d}/stats.json"))
want_len = {n: len(json.load(open(f"{d}/{n}.json"))) for n in ("flows", "services", "filters")}
# The parser is lenient about comments: HELP and TYPE are checked here too.
for name in re.findall(r"^lwfp_(\w+) ", text, re.M):
    assert f"# HELP lwfp_{name} " in text and f"# TYPE lwfp_{name} " in text, name
samples, types, per_filter = {}, {}, {}
for fam in text_string_to_metric_families(text):
    assert fam.name.startswith("lwfp_") and fam.documentation, fam
    for s in fam.samples:
        types[s.name] = fam.type
        if s.labels:
            per_filter[(s.name, int(s.labels["filter"]))] = (s.value, s.labels)
        else:
            samples[s.name] = s.value
# Each filter's counters, as `filter list -j` shows them.
for f in json.load(open(f"{d}/filters.json")):
    v, labels = per_filter.pop(("lwfp_filter_hits_total", f["id"]))
    assert v == f["hits"] and labels["action"] == f["action"], (f, v, labels)
    assert labels["service"] == (f["service"] or ""), (f, labels)
    for k in ("redirected", "refused"):
        got = per_filter.pop((f"lwfp_filter_{k}_total", f["id"]), (None, None))[0]
        assert got == f[k], (k, f, got)
    assert types["lwfp_filter_hits_total"] == "counter"
assert not per_filter, per_filter
for k, v in stats.items():
    if k == "max_flows_per_uid":
        continue
    n = f"lwfp_{k}_total"
    assert n in samples, f"{n} missing"
    assert types[n] == "counter" and samples[n] == v, (n, types[n], samples[n], v)
for n, v in want_len.items():
    assert types[f"lwfp_{n}"] == "gauge" and samples[f"lwfp_{n}"] == v, (n, samples.get(f"lwfp_{n}"), v)
assert samples["lwfp_max_flows_per_uid"] == stats["max_flows_per_uid"]
assert len(samples) == len(stats) + 3, sorted(samples)
PY
"$LWFPCTL" stats --prometheus -j --pin-dir "$PIN" >"$T/both.out" 2>&1 &&
	fail "stats --prometheus -j was accepted: $(cat "$T/both.out")"
grep -q -- '--prometheus' "$T/both.out" || fail "stats --prometheus -j: $(cat "$T/both.out")"

# ---- (c) flows during a slow transfer --------------------------------------------------------

spawn slow app "$NSP_CLI" curl -sS --noproxy '*' --max-time 30 -o "$T/slow.out" \
	"http://$SRV4:$SLOW_PORT/slow.bin"
slow=$LAST_PID
# look N: `flows -j` in $T/flows.N.json once both hops of the download are live.
look() {
	"$LWFPCTL" flows -j --pin-dir "$PIN" >"$T/flows.$1.json" 2>"$T/ctl.stderr" &&
		[ "$("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' \
			"$T/flows.$1.json")" = 2 ]
}
wait_until 10 look 1 || fail "flows during the download: $(cat "$T/flows.1.json" "$T/ctl.stderr")"
sleep 1.5
look 2 || fail "flows later in the download: $(cat "$T/flows.2.json" "$T/ctl.stderr")"
# From inside the namespace too, where lwfpctl needs no thread to enter it.
nsenter --net="$NSP_CLI" "$LWFPCTL" flows -j --pin-dir "$PIN" >"$T/flows.3.json" 2>"$T/ctl.stderr" ||
	fail "flows -j in the client netns: $(cat "$T/ctl.stderr")"
ctl flows
echo "$CTL_OUT" >"$T/flows.txt"
"$PY" - "$T" "$SRV4:$SLOW_PORT" >"$T/flows.err" 2>&1 <<'PY' || fail "flows: $(cat "$T/flows.err")"
import json, sys

d, dst = sys.argv[1], sys.argv[2]
def hops(n):
    fl = json.load(open(f"{d}/flows.{n}.json"))
    return {f["nhops"]: f for f in fl if f["orig_dst"] == dst}
a, b, c = hops(1), hops(2), hops(3)
assert sorted(a) == [1, 2] and sorted(b) == [1, 2], (a, b)
assert all(c[h]["bytes_down"] >= b[h]["bytes_down"] for h in (1, 2)), (b, c)
assert b[1]["chain"] == ["mA"] and b[2]["chain"] == ["mA", "mB"], b
for h in (1, 2):
    x, y = a[h], b[h]
    assert x["token"] == y["token"], (x, y)
    assert isinstance(y["bytes_up"], int) and y["bytes_up"] > 0, y
    assert y["bytes_down"] > x["bytes_down"] > 0, (h, x["bytes_down"], y["bytes_down"])
    assert y["bytes_up"] == x["bytes_up"], (h, x["bytes_up"], y["bytes_up"])
    assert y["age_ms"] > x["age_ms"] > 0 and y["age_ms"] - x["age_ms"] >= 1000, (x["age_ms"], y["age_ms"])
# The table: the chain as names, and numbers where -j has them.
text = open(f"{d}/flows.txt").read().splitlines()
head = text[0].split()
assert head[:2] == ["TOKEN", "CHAIN"] and ["UP", "DOWN", "AGE"] == head[9:12], head
rows = {r.split()[0]: r.split() for r in text[1:]}
for h in (1, 2):
    r = rows[b[h]["token"]]
    assert r[1] == ">".join(b[h]["chain"]), r
    assert int(r[9]) >= b[h]["bytes_up"] and int(r[10]) >= b[h]["bytes_down"], r
    assert r[11].endswith("s") and float(r[11][:-1]) > 0, r
PY
wait_exit "$slow" 30
[ "$WAIT_RC" = 0 ] || fail "the slow download failed: $(cat "$T/slow.err")"
cmp -s "$T/slow.out" "$T/www/slow.bin" || fail "the slow download differs from the file"

# A UDP flow: the kernel keeps no byte counts for it, so they are unknown,
# "-" in the table and null in -j, never a number.
spawn udp app "$NSP_CLI" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
time.sleep(5)' "$SRV4" "$HTTP_PORT"
udp=$LAST_PID
udp_flow() {
	ctl flows -j
	"$PY" -c '
import json, sys
f = [x for x in json.loads(sys.argv[1]) if x["proto"] == "udp"]
assert len(f) == 1 and f[0]["bytes_up"] is None and f[0]["bytes_down"] is None, f
assert isinstance(f[0]["age_ms"], int) and f[0]["chain"] == ["mA"], f
open(sys.argv[2], "w").write(f[0]["token"])' "$CTL_OUT" "$T/udp.token" 2>"$T/udp.check"
}
wait_until 5 udp_flow || fail "flows -j, a UDP flow: $(cat "$T/udp.check") $CTL_OUT"
ctl flows
awk -v t="$(cat "$T/udp.token")" '$1 == t && $3 == "udp" && $10 == "-" && $11 == "-" { ok = 1 }
	END { exit !ok }' <<<"$CTL_OUT" || fail "flows, a UDP flow's bytes are not '-': $CTL_OUT"
kill "$udp" 2>/dev/null
wait_exit "$udp" 10

# ---- (d) metrics over HTTP ----------------------------------------------------------------

MPORT=9464
for bad in "" "--listen" "--listen 127.0.0.1" "--listen 127.0.0.1:0"; do
	# shellcheck disable=SC2086
	"$LWFPCTL" metrics $bad --pin-dir "$PIN" >"$T/mbad.out" 2>&1 &&
		fail "metrics $bad was accepted"
	[ "$(wc -l <"$T/mbad.out")" = 1 ] || fail "metrics $bad: not one line: $(cat "$T/mbad.out")"
done
spawn metrics - "$NSP_CLI" "$LWFPCTL" metrics --listen "127.0.0.1:$MPORT" --pin-dir "$PIN"
mpid=$LAST_PID
wait_listen "$NSP_CLI" "$MPORT"
wait_until 10 flows_empty || fail "flows left after the slow download: $(nflows)"
mcurl() { nsenter --net="$NSP_CLI" curl -sS --noproxy '*' --max-time 10 "$@"; }
mcurl -D "$T/m.head" -o "$T/m.body" "http://127.0.0.1:$MPORT/metrics" || fail "GET /metrics failed"
ctl stats --prometheus
[ "$(cat "$T/m.body")" = "$CTL_OUT" ] || fail "/metrics differs from stats --prometheus:
$(diff <(echo "$CTL_OUT") "$T/m.body" | head -n 10)"
head -n 1 "$T/m.head" | grep -q '^HTTP/1.0 200' || fail "GET /metrics: $(head -n 1 "$T/m.head")"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/m.head" ||
	fail "GET /metrics content type: $(cat "$T/m.head")"
status() { mcurl -o /dev/null -w '%{http_code}' "$@"; }
expect_eq "GET /other" "$(status "http://127.0.0.1:$MPORT/other")" 404
expect_eq "POST /metrics" "$(status -X POST -d x "http://127.0.0.1:$MPORT/metrics")" 405
expect_eq "a 6000-byte header" "$(status -H "X-Big: $(head -c 6000 /dev/zero | tr '\0' a)" \
	"http://127.0.0.1:$MPORT/metrics")" 431
raw="$(nsenter --net="$NSP_CLI" bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1" &&
	printf "nonsense\r\n\r\n" >&5 && head -n 1 <&5' sh "$MPORT")"
expect_eq "a request that is not HTTP" "${raw%$'\r'}" "HTTP/1.0 400 Bad Request"
mcurl -o /dev/null "http://127.0.0.1:$MPORT/metrics" || fail "GET /metrics after the refusals failed"
# A second one on the same port, and one with no engine, each fail with one line.
nsenter --net="$NSP_CLI" "$LWFPCTL" metrics --listen "127.0.0.1:$MPORT" --pin-dir "$PIN" \
	>"$T/mbad.out" 2>&1 && fail "a second metrics on port $MPORT started"
grep -q "cannot listen on 127.0.0.1:$MPORT" "$T/mbad.out" && [ "$(wc -l <"$T/mbad.out")" = 1 ] ||
	fail "a second metrics on port $MPORT: $(cat "$T/mbad.out")"
"$LWFPCTL" metrics --listen "127.0.0.1:$MPORT" --pin-dir "$PIN-none" >"$T/mbad.out" 2>&1 &&
	fail "metrics with no engine started"
grep -q "no engine is up" "$T/mbad.out" || fail "metrics with no engine: $(cat "$T/mbad.out")"
# Each scrape opens the engine: it sees a `down`, and the next `up`.
ctl down
expect_eq "GET /metrics with no engine" "$(status "http://127.0.0.1:$MPORT/metrics")" 503
engine_up
mcurl -o "$T/m.body" "http://127.0.0.1:$MPORT/metrics" || fail "GET /metrics after up failed"
grep -q '^lwfp_redirect_total 0$' "$T/m.body" || fail "after down and up: $(grep redirect "$T/m.body")"
kill -TERM "$mpid"
wait_exit "$mpid" 10
[ "$WAIT_RC" = 0 ] || fail "metrics exited $WAIT_RC on SIGTERM: $(cat "$T/metrics.err")"

pass
