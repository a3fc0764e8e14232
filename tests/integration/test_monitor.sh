#!/bin/bash
# lwfpctl monitor and the per-filter hit counters:
#   - two and three concurrent monitors each see every refused connection
#     exactly once;
#   - a monitor killed with SIGKILL gives its reader slot to the next one
#     (more monitors than slots over time), and all slots held says so;
#   - times are UTC, within a second of `date -u`;
#   - --log FILE has one JSON line per refusal, with filter and reason;
#   - `filter list` hits count what each filter decided.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg app svc
SLOTS=16
BLOCK_PORT=9 # blocked; nothing listens there
PROBE_PORT=13 # blocked too: a monitor that shows it is reading
CLOSED_PORT=7 # redirected to a relay that is not running: fail closed

service_add H monsvc --cgroup "$CG/svc"
filter_add FB --block --proto tcp --dst "$SRV4/32" --dport "$BLOCK_PORT"
filter_add FP --block --proto tcp --dst "$SRV4/32" --dport "$PROBE_PORT"
filter_add FC --service monsvc --to 127.0.0.1:15009 --proto tcp --dst "$SRV4/32" \
	--dport "$CLOSED_PORT"
filter_add FR --service monsvc --to 127.0.0.1:15001 --proto tcp --dst "$SRV4/32" \
	--dport "$HTTP_PORT"

refused_connect() { # PORT: one connect, which must fail
	run_in app "$NATIVE" peername --connect "$SRV4:$1" >"$T/peer.out" 2>&1 &&
		fail "connect to port $1 succeeded: $(cat "$T/peer.out")"
	return 0
}

# events NAME PORT: the monitor's -j lines for that destination port.
events() {
	"$PY" - "$T/$1.out" "$SRV4:$2" <<'PYEOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    if line.strip() and json.loads(line).get("orig_dst") == sys.argv[2]:
        n += 1
print(n)
PYEOF
}

# start_monitor NAME ARGS...: a -j monitor, running once it shows a probe.
start_monitor() {
	local name=$1
	shift
	spawn "$name" - "$NSP_CLI" "$LWFPCTL" monitor -j --pin-dir "$PIN" "$@"
	eval "MON_$name=$LAST_PID"
}

monitors_ready() { # NAME...: every one has seen a probe made after it started
	local m
	refused_connect "$PROBE_PORT"
	for m in "$@"; do
		[ "$(events "$m" "$PROBE_PORT")" -gt 0 ] || return 1
	done
}

wait_ready() {
	wait_until 10 monitors_ready "$@" || fail "monitors $* did not start: $(cat "$T/$1.err")"
}

# ---- every monitor sees every event -----------------------------------------------
N=12
start_monitor m1
start_monitor m2
wait_ready m1 m2
for i in $(seq "$N"); do refused_connect "$BLOCK_PORT"; done
start_monitor m3
wait_ready m3
for i in $(seq "$N"); do refused_connect "$BLOCK_PORT"; done
wait_until 10 eval '[ "$(events m3 $BLOCK_PORT)" -ge $N ]' || true
for m in m1 m2; do
	got=$(events "$m" "$BLOCK_PORT")
	[ "$got" = $((2 * N)) ] || fail "monitor $m saw $got of $((2 * N)) blocked connects"
done
got=$(events m3 "$BLOCK_PORT")
[ "$got" = "$N" ] || fail "monitor m3 saw $got of the $N blocked connects made while it ran"
echo "three monitors each saw every blocked connect once" >&3

# ---- the fields of a refusal: UTC time, filter, reason --------------------------
before=$(date -u +%s.%N)
refused_connect "$CLOSED_PORT"
after=$(date -u +%s.%N)
wait_until 10 eval '[ "$(events m1 $CLOSED_PORT)" = 1 ]' || fail "m1 did not see the fail-closed connect"
"$PY" - "$T/m1.out" "$SRV4" "$before" "$after" "$FB" "$FC" "$CLOSED_PORT" "$BLOCK_PORT" <<'PYEOF' ||
import datetime, json, sys
out, srv, before, after, fb, fc, closed, blocked = sys.argv[1:]
evs = [json.loads(l) for l in open(out) if l.strip()]
def one(port):
    return [e for e in evs if e["orig_dst"] == "%s:%s" % (srv, port)]
e = one(closed)[0]
t = e["time"]
assert t.endswith("Z") and len(t) == 24, "time %r is not RFC 3339 UTC with ms" % t
ts = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
    tzinfo=datetime.timezone.utc).timestamp()
assert float(before) - 1 <= ts <= float(after) + 1, "time %s is not near date -u (%s..%s)" % (
    t, before, after)
assert (e["type"], e["filter"], e["reason"], e["errno"]) == ("fail_closed", int(fc), "no_listener", 111), e
for b in one(blocked):
    assert (b["type"], b["filter"], b["reason"], b["errno"]) == ("block", int(fb), "block", 1), b
PYEOF
	fail "the monitor's events are wrong (above)"
echo "times are UTC; refusals carry the filter and the reason" >&3

# Text output: the same time format and the reason column.
spawn text - "$NSP_CLI" "$LWFPCTL" monitor --pin-dir "$PIN"
wait_until 10 eval 'grep -q REASON "$T/text.out"' || fail "text monitor did not start"
refused_connect "$CLOSED_PORT"
wait_until 10 eval 'grep -q "$SRV4:$CLOSED_PORT" "$T/text.out"' || fail "text monitor saw nothing"
grep "$SRV4:$CLOSED_PORT" "$T/text.out" |
	grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z +fail_closed .* $FC +[0-9]+ no_listener$" ||
	fail "text line: $(grep "$SRV4:$CLOSED_PORT" "$T/text.out")"
kill -TERM "$LAST_PID"
wait_exit "$LAST_PID" 10 || fail "the text monitor did not exit on SIGTERM"

# ---- slots: killed monitors are reclaimed; all held says so ---------------------
kill -KILL "$MON_m2" "$MON_m3"
held=(m1)
for i in $(seq 2 "$SLOTS"); do
	start_monitor "s$i"
	held+=("s$i")
done
wait_ready "${held[@]}"
"$LWFPCTL" monitor --pin-dir "$PIN" >"$T/full.out" 2>"$T/full.err" && fail "a 17th monitor started"
grep -q "all $SLOTS monitor slots are held" "$T/full.err" || fail "17th monitor: $(cat "$T/full.err")"
for i in 2 3 4; do kill -KILL "$(eval echo "\$MON_s$i")"; done
for i in 2 3 4; do start_monitor "r$i"; done
wait_ready r2 r3 r4 s16
echo "$((SLOTS + 5)) monitors over time in $SLOTS slots; SIGKILLed ones reclaimed" >&3
for i in $(seq 5 "$SLOTS"); do kill -TERM "$(eval echo "\$MON_s$i")"; done
for i in 2 3 4; do kill -TERM "$(eval echo "\$MON_r$i")"; done

# ---- --log FILE ------------------------------------------------------------------
kill -TERM "$MON_m1"
start_monitor audit --log "$T/audit.jsonl"
wait_ready audit
cp "$T/audit.jsonl" "$T/audit.jsonl.before"
start_relay A svc 127.0.0.1:15001
for i in 1 2 3 4 5; do refused_connect "$BLOCK_PORT"; done
for i in 1 2; do refused_connect "$CLOSED_PORT"; done
for i in 1 2 3; do fetch_ok f0.bin; done
wait_until 10 eval '[ "$(events audit $HTTP_PORT)" = 3 ]' || fail "audit monitor missed redirects"
"$PY" - "$T/audit.jsonl" "$T/audit.jsonl.before" "$SRV4" "$FB" "$FC" "$BLOCK_PORT" \
	"$CLOSED_PORT" <<'PYEOF' || fail "the --log file is wrong (above)"
import json, sys
log, before, srv, fb, fc, bport, cport = sys.argv[1:]
skip = len(open(before).readlines())
lines = [json.loads(l) for l in open(log).readlines()[skip:]]
got = [(l["orig_dst"], l["filter"], l["reason"]) for l in lines]
want = [("%s:%s" % (srv, bport), int(fb), "block")] * 5 + \
       [("%s:%s" % (srv, cport), int(fc), "no_listener")] * 2
assert got == want, "log lines %r, want %r" % (got, want)
PYEOF
echo "--log has one JSON line per refusal, none for redirects" >&3

# ---- bad --log destinations: one line, non-zero -------------------------------------
"$LWFPCTL" monitor --pin-dir "$PIN" --log "$T/no/such/dir.jsonl" >"$T/bad.out" 2>"$T/bad.err" &&
	fail "monitor --log into a missing directory started"
[ "$(wc -l <"$T/bad.err")" = 1 ] && grep -q "cannot open log $T/no/such/dir.jsonl" "$T/bad.err" ||
	fail "monitor --log into a missing directory: $(cat "$T/bad.err")"
if [ ! -S /run/systemd/journal/socket ]; then
	"$LWFPCTL" monitor --pin-dir "$PIN" --log journal >"$T/bad.out" 2>"$T/bad.err" &&
		fail "monitor --log journal started without journald"
	grep -q "no journald" "$T/bad.err" || fail "monitor --log journal: $(cat "$T/bad.err")"
fi

# ---- filter list hits -------------------------------------------------------------
ctl filter list -j
"$PY" - "$FB" "$FC" "$FR" "$N" <<PYEOF || fail "filter list hits: $CTL_OUT"
import json, sys
fs = {f["id"]: f for f in json.loads('''$CTL_OUT''')}
fb, fc, fr, n = map(int, sys.argv[1:])
assert (fs[fb]["hits"], fs[fb]["redirected"], fs[fb]["refused"]) == (2 * n + 5, None, None), fs[fb]
assert (fs[fc]["hits"], fs[fc]["redirected"], fs[fc]["refused"]) == (4, 0, 4), fs[fc]
assert (fs[fr]["hits"], fs[fr]["redirected"], fs[fr]["refused"]) == (3, 3, 0), fs[fr]
PYEOF
ctl filter list
echo "$CTL_OUT" | awk -v id="$FR" '$1 == id && $8 == 3 { ok = 1 } END { exit !ok }' ||
	fail "filter list: no HITS 3 for filter $FR: $CTL_OUT"
# A filter added again starts from zero.
ctl filter del "$FB"
filter_add FB2 --block --proto tcp --dst "$SRV4/32" --dport "$BLOCK_PORT"
ctl filter list -j
echo "$CTL_OUT" | "$PY" -c 'import json,sys; f=[f for f in json.load(sys.stdin) if f["id"]==int(sys.argv[1])][0]; assert f["hits"]==0, f' "$FB2" ||
	fail "a new filter does not start at 0 hits: $CTL_OUT"
echo "filter list hits: $((2 * N + 5)) blocked, 3 redirected, 4 refused" >&3

pass
