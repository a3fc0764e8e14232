#!/bin/bash
# The native API's error table (DESIGN.md §4, native column) and lwfpctl's
# bad-input handling.
#   - no engine for the socket's cgroup: EOPNOTSUPP (before up, after down);
#   - a redirected accepted socket: size probe, small buffers, success, the
#     original destination, states, EISCONN (lwfp-test-native serve);
#   - context kind none: ENOENT on the context while records work;
#   - sockets that were not redirected, listening, unconnected, a pipe, a
#     closed fd, UDP, AF_UNIX (lwfp-test-native local);
#   - lwfpctl: each bad input exits non-zero with exactly one stderr line;
#   - a pin directory that is group/other-writable, not root's, or a symbolic
#     link is refused, with its path and the reason; mode 0755 is accepted;
#   - up --max-flows-per-uid: 0, too big or not a number refused; the value
#     lands in the config (stats -j), survives a plain up, and changes.
. "$(dirname "$0")/lib.sh"

setup_netns
mkcg app svcA svcN

# ---- no engine yet -----------------------------------------------------------
# (Programs attached to the v2 root, e.g. an engine brought up with the
# default --cgroup, would reach this cgroup too; say so if that is the case.)
root_progs=$(bpftool cgroup show "$CG2" 2>/dev/null | tail -n +2)
[ -z "$root_progs" ] || echo "$TEST_NAME: note: BPF programs are attached to the cgroup v2 root:
$root_progs" >"$T/root-progs.log"
native_ok noengine-before app noengine

# lwfpctl against a pin directory where no engine is up.
# bad_input DESCRIPTION [--as-nobody] ARGS...: non-zero, one stderr line, no stdout.
bad_input() {
	local what=$1 pre=() ctl=$LWFPCTL rc lines
	shift
	if [ "$1" = --as-nobody ]; then
		shift
		nobody_bin
		pre=("${AS_NOBODY[@]}")
		ctl=$NOBODY_BIN/lwfpctl
	fi
	"${pre[@]}" "$ctl" "$@" >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	lines=$(grep -c '' "$T/bad.err")
	[ "$rc" -ne 0 ] || fail "lwfpctl $* ($what) exited 0"
	[ "$lines" = 1 ] || fail "lwfpctl $* ($what) printed $lines stderr lines, want 1:
$(head -n 5 "$T/bad.err")"
	[ ! -s "$T/bad.out" ] || fail "lwfpctl $* ($what) printed on stdout: $(head -c 200 "$T/bad.out")"
	if grep -q '^setpriv:' "$T/bad.err"; then
		fail "lwfpctl $* ($what): setpriv failed: $(cat "$T/bad.err")"
	fi
}

NOPIN=/sys/fs/bpf/lwfp-t-$ID-none
bad_input "engine not up" service list --pin-dir "$NOPIN"
bad_input "engine not up" filter list --pin-dir "$NOPIN"
bad_input "engine not up" stats --pin-dir "$NOPIN"
bad_input "engine not up" flows --pin-dir "$NOPIN"
bad_input "engine not up" service add x --uid 1 --pin-dir "$NOPIN"
[ ! -e "$NOPIN" ] || {
	rm -rf "$NOPIN"
	fail "a command against a missing engine created $NOPIN"
}

engine_up

# ---- a redirected socket ------------------------------------------------------
service_add HA errsvc --cgroup "$CG/svcA"
service_add HN nonesvc --cgroup "$CG/svcN"
filter_add FA --service errsvc --to 127.0.0.1:15001 --proto tcp --dst "$SRV4/32" --dport 8000
filter_add FN --service nonesvc --to 127.0.0.1:15002 --proto tcp --dst "$SRV4/32" --dport 8001 \
	--context none

spawn serve svcA "$NSP_CLI" "$NATIVE" serve --listen 127.0.0.1:15001 --blob "$T/blob" \
	--pidfile "$T/serve.pid" --expect-orig "$SRV4:8000" --expect-nhops 1
serve=$LAST_PID
spawn serve-none svcN "$NSP_CLI" "$NATIVE" serve --listen 127.0.0.1:15002 --blob "$T/blob-none" \
	--pidfile "$T/serve-none.pid" --expect-orig "$SRV4:8001" --expect-nhops 1 --context none
serve_none=$LAST_PID
wait_until 10 test -s "$T/serve.pid" || fail "serve did not start: $(cat "$T/serve.out")"
wait_until 10 test -s "$T/serve-none.pid" || fail "serve --context none did not start"

# The clients hold their connections until the servers have written the blob.
spawn client app "$NSP_CLI" "$NATIVE" client --connect "$SRV4:8000" --expect-peer "$SRV4:8000" \
	--until "$T/blob"
client=$LAST_PID
spawn client-none app "$NSP_CLI" "$NATIVE" client --connect "$SRV4:8001" \
	--expect-peer "$SRV4:8001" --until "$T/blob-none"
client_none=$LAST_PID
for p in serve serve_none client client_none; do
	wait_exit "${!p}" 30
	[ "$WAIT_RC" = 0 ] || fail "${p/_/-} failed:
$(grep -v '^ok ' "$T/${p/_/-}.out")"
done
# Each check really ran.
for c in records-size-probe records-size-probe-null records-small-buffer-2 records-exact-buffer \
	records-big-buffer records-decode original-destination-value context-size-probe \
	context-small-buffer-2 context-exact-buffer context-metadata state-by-self state-by-other \
	set-records-connected; do
	grep -qx "ok $c" "$T/serve.out" || fail "serve did not report 'ok $c'"
done
for c in records-exact-buffer context-none-probe context-none original-destination-value; do
	grep -qx "ok $c" "$T/serve-none.out" || fail "serve --context none did not report 'ok $c'"
done

# ---- sockets that were not redirected -------------------------------------------
native_ok local app local

# ---- lwfpctl bad input ----------------------------------------------------------------
P=(--pin-dir "$PIN")
bad_input "unknown service" filter add --service nosuch --to 127.0.0.1:15009 "${P[@]}"
bad_input "unknown service" service del nosuch "${P[@]}"
bad_input "bad prefix" filter add --service errsvc --to 127.0.0.1:15009 --dst 198.18.0.0/33 "${P[@]}"
bad_input "bad prefix" filter add --service errsvc --to 127.0.0.1:15009 --dst 198.18.0.300/32 "${P[@]}"
bad_input "bad prefix" filter add --service errsvc --to 127.0.0.1:15009 --dst 2001:db8::/129 "${P[@]}"
bad_input "bad prefix" filter add --service errsvc --to 127.0.0.1:15009 --dst not-an-address "${P[@]}"
bad_input "bad port" filter add --service errsvc --to 127.0.0.1:15009 --dport 70000 "${P[@]}"
bad_input "bad port" filter add --service errsvc --to 127.0.0.1:15009 --dport 20-10 "${P[@]}"
bad_input "bad port" filter add --service errsvc --to 127.0.0.1:15009 --dport 80x "${P[@]}"
bad_input "bad port" filter add --service errsvc --to 127.0.0.1:99999 "${P[@]}"
bad_input "bad port" filter add --service errsvc --to 127.0.0.1 "${P[@]}"
bad_input "bad address" filter add --service errsvc --to "[::1:15009" "${P[@]}"
bad_input "bad UUID" service add u1 --provider not-a-uuid --uid 1 "${P[@]}"
bad_input "bad UUID" service add u2 --provider 12345678-1234-1234-1234-12345678901 --uid 1 "${P[@]}"
bad_input "bad UUID" service add u3 --provider 12345678-1234-1234-1234-12345678901g --uid 1 "${P[@]}"
bad_input "duplicate name" service add errsvc --cgroup "$CG/svcA" "${P[@]}"
bad_input "no identity" service add u4 "${P[@]}"
bad_input "missing cgroup" service add u5 --cgroup "$CG/no-such-cgroup" "${P[@]}"
bad_input "unknown filter" filter del 999999 "${P[@]}"
bad_input "unknown command" frobnicate "${P[@]}"
bad_input "non-root caller" --as-nobody service list "${P[@]}"
bad_input "non-root caller" --as-nobody filter add --service errsvc --to 127.0.0.1:15009 "${P[@]}"
bad_input "non-root caller" --as-nobody stats "${P[@]}"
# ---- a pin directory not safe to trust -----------------------------------------------
# refused_pin DIR WHY ARGS...: lwfpctl --pin-dir DIR ARGS fails with one line
# naming DIR and WHY.
refused_pin() {
	local dir=$1 why=$2
	shift 2
	bad_input "pin directory that $why" --pin-dir "$dir" "$@"
	grep -qF "refusing the pin directory $dir: it $why" "$T/bad.err" ||
		fail "lwfpctl --pin-dir $dir $*: want the reason '$why', got: $(cat "$T/bad.err")"
}
chmod 0777 "$PIN" || fail "chmod $PIN"
refused_pin "$PIN" "is writable by its group or others (mode 0777)" service list
refused_pin "$PIN" "is writable by its group or others (mode 0777)" up --cgroup "$CG"
chmod 0730 "$PIN" || fail "chmod $PIN"
refused_pin "$PIN" "is writable by its group or others (mode 0730)" filter list
chmod 0700 "$PIN" && chown 65534 "$PIN" || fail "chown $PIN"
refused_pin "$PIN" "is owned by uid 65534, not root" stats
refused_pin "$PIN" "is owned by uid 65534, not root" filter add --block --dport 1
refused_pin "$PIN" "is owned by uid 65534, not root" run -- true
chown 0 "$PIN" || fail "chown $PIN"
# Inside $PIN, so that the harness removes it if the test fails here.
ln -s "$PIN" "$PIN/link" || fail "ln -s $PIN $PIN/link"
refused_pin "$PIN/link" "is a symbolic link" service list
refused_pin "$PIN/link" "is a symbolic link" up --cgroup "$CG"
rm -f "$PIN/link"
# Readable by all is fine; the refused commands changed nothing.
chmod 0755 "$PIN" || fail "chmod $PIN"
ctl up --cgroup "$CG"
chmod 0700 "$PIN"

# ---- the per-uid flow cap -----------------------------------------------------------
# flow_cap: what `stats -j` says the engine enforces.
flow_cap() {
	ctl stats -j
	printf '%s' "$CTL_OUT" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["max_flows_per_uid"])'
}
bad_input "flow cap 0" up --cgroup "$CG" --max-flows-per-uid 0 "${P[@]}"
bad_input "flow cap too big" up --cgroup "$CG" --max-flows-per-uid 262145 "${P[@]}"
bad_input "flow cap not a number" up --cgroup "$CG" --max-flows-per-uid 10k "${P[@]}"
grep -qF "bad --max-flows-per-uid value '10k' (want 1..262144)" "$T/bad.err" ||
	fail "flow cap error: $(cat "$T/bad.err")"
[ "$(flow_cap)" = 65536 ] || fail "default flow cap: got $(flow_cap), want 65536"
ctl up --cgroup "$CG" --max-flows-per-uid 123 -j
printf '%s' "$CTL_OUT" | grep -q '"max_flows_per_uid":123' || fail "up -j: $CTL_OUT"
[ "$(flow_cap)" = 123 ] || fail "flow cap after up 123: got $(flow_cap)"
ctl up --cgroup "$CG"
[ "$(flow_cap)" = 123 ] || fail "up without the option changed the cap to $(flow_cap)"
ctl up --cgroup "$CG" --max-flows-per-uid 262144
[ "$(flow_cap)" = 262144 ] || fail "flow cap after up 262144: got $(flow_cap)"
ctl stats
printf '%s\n' "$CTL_OUT" | grep -Eq '^max_flows_per_uid +262144$' || fail "stats: $CTL_OUT"

# None of that changed anything.
ctl service list -j
printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
names = sorted(s["name"] for s in json.load(sys.stdin))
assert names == ["errsvc", "nonesvc"], names' || fail "services changed by bad input: $CTL_OUT"
ctl filter list -j
printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
assert len(json.load(sys.stdin)) == 2' || fail "filters changed by bad input: $CTL_OUT"

# ---- no engine any more ------------------------------------------------------------
"$LWFPCTL" down --pin-dir "$PIN" >"$T/down.out" 2>&1 || fail "lwfpctl down: $(cat "$T/down.out")"
native_ok noengine-after app noengine

pass
