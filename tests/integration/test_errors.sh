#!/bin/bash
# The native API's error table (DESIGN.md §4, native column) and lwfpctl's
# bad-input handling.
#   - no engine for the socket's cgroup: EOPNOTSUPP (before up, after down);
#   - a redirected accepted socket: size probe, small buffers, success, the
#     original destination, states, the single query, EISCONN
#     (lwfp-test-native serve);
#   - context kind none: ENOENT on the context while records work;
#   - sockets that were not redirected, listening, unconnected, a pipe, a
#     closed fd, UDP, AF_UNIX (lwfp-test-native local);
#   - lwfpctl: each bad input exits non-zero with exactly one stderr line;
#     with -j that line is {"error": "..."}; run's own failures exit 125;
#     lwfp-inspect --service of a service that does not exist exits 1, and
#     so does --offload-max-queue out of 1..1024, --offload-budget out of
#     1..1048576, and a budget that holds no flow;
#   - --dport lists, filter show ID (-j), filter flush (--service), cgroups
#     shown as paths (service list, filter list), --version of both tools;
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
	set-records-connected redirect-size-probe redirect-small-buffer-2 redirect-exact-buffer \
	redirect-layout; do
	grep -qx "ok $c" "$T/serve.out" || fail "serve did not report 'ok $c'"
done
for c in records-exact-buffer context-none-probe context-none original-destination-value \
	redirect-layout; do
	grep -qx "ok $c" "$T/serve-none.out" || fail "serve --context none did not report 'ok $c'"
done
for p in client client-none; do
	grep -qx "ok client-redirect-not-delivered" "$T/$p.out" ||
		fail "$p did not report 'ok client-redirect-not-delivered'"
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
# Issue 15's edges: a row each. want_err TEXT: the last bad_input said TEXT.
want_err() {
	grep -qF -- "$1" "$T/bad.err" || fail "want '$1' in the error, got: $(cat "$T/bad.err")"
}
A=(filter add --service errsvc --to 127.0.0.1:15009)
bad_input "missing value" "${A[@]:0:4}" --dport --to 127.0.0.1:15009 "${P[@]}"
want_err "option '--dport' needs a value, got the option '--to'"
bad_input "missing value" service add u6 --cgroup --pin-dir "$PIN"
want_err "option '--cgroup' needs a value, got the option '--pin-dir'"
bad_input "missing value, at the end" "${A[@]}" "${P[@]}" --weight
bad_input "TCP, family 6, IPv4 --to" "${A[@]}" --proto tcp --family 6 "${P[@]}"
want_err "--to 127.0.0.1:15009 is IPv4 but --family is 6: the filter could never apply"
bad_input "family 4, IPv6 --to" filter add --service errsvc --to "[::1]:15009" --family 4 "${P[@]}"
bad_input "TCP, IPv6 --dst, IPv4 --to" "${A[@]}" --proto tcp --dst 2001:db8::/32 "${P[@]}"
bad_input "IPv4 --dst, IPv6 --to" filter add --service errsvc --to "[::1]:15009" --dst 198.18.0.0/15 "${P[@]}"
bad_input "UDP, IPv6 --to" filter add --service errsvc --to "[::1]:15009" --proto udp "${P[@]}"
bad_input "host bits" "${A[@]}" --dst 198.18.1.0/15 "${P[@]}"
want_err "--dst '198.18.1.0/15' has host bits set: the network is 198.18.0.0/15"
bad_input "host bits" filter add --block --dst 2001:db8::1/32 "${P[@]}"
want_err "the network is 2001:db8::/32"
bad_input "negative port" "${A[@]}" --dport -1 "${P[@]}"
bad_input "reversed range" "${A[@]}" --sport 90-80 "${P[@]}"
bad_input "reversed range" "${A[@]}" --uid 10-5 "${P[@]}"
bad_input "port over 65535" "${A[@]}" --sport 65536 "${P[@]}"
bad_input "port list, empty item" "${A[@]}" --dport 80,,443 "${P[@]}"
bad_input "port list, trailing comma" "${A[@]}" --dport 80, "${P[@]}"
bad_input "port list, 17 items" "${A[@]}" --dport 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 "${P[@]}"
want_err "at most 16 items"
bad_input "empty port" "${A[@]}" --dport "" "${P[@]}"
bad_input "empty service" filter add --service "" --to 127.0.0.1:15009 "${P[@]}"
bad_input "empty proto" "${A[@]}" --proto "" "${P[@]}"
bad_input "unknown proto" "${A[@]}" --proto icmp "${P[@]}"
want_err "bad --proto value 'icmp'"
bad_input "negative weight" "${A[@]}" --weight -5 "${P[@]}"
bad_input "unknown filter" filter show 999999 "${P[@]}"
bad_input "bad filter id" filter show 1x "${P[@]}"
bad_input "flush, unknown service" filter flush --service nosuch "${P[@]}"
bad_input "flush, argument" filter flush 3 "${P[@]}"
# -j: the one line is a JSON object with "error".
for args in "filter add --service nosuch --to 127.0.0.1:15009" "frobnicate" "filter show 999999" \
	"filter add --service errsvc --dport --to 127.0.0.1:15009"; do
	# shellcheck disable=SC2086 # the words of args
	bad_input "-j error" -j $args "${P[@]}"
	"$PY" -c 'import json, sys; e = json.load(sys.stdin)["error"]; assert e and not e.startswith("lwfpctl:")' \
		<"$T/bad.err" || fail "lwfpctl -j $args: error not JSON: $(cat "$T/bad.err")"
done
# run: its own failures exit 125 with one line.
for args in "--frob -- true" "--via -- true" "--via nosuch -- true" "--pin-dir"; do
	# shellcheck disable=SC2086 # the words of args
	"$LWFPCTL" run --pin-dir "$PIN" $args >"$T/run.out" 2>"$T/run.err"
	rc=$?
	[ "$rc" = 125 ] || fail "lwfpctl run $args exited $rc, want 125: $(cat "$T/run.err")"
	[ "$(grep -c '' "$T/run.err")" = 1 ] || fail "lwfpctl run $args: want one line: $(cat "$T/run.err")"
done
# lwfp-inspect serving a service that does not exist.
# In the engine's subtree, where a proxy must run, so that only the service is wrong.
run_in nosuch "$BIN/lwfp-inspect" --listen 127.0.0.1:15010 --service nosuch --pin-dir "$PIN" \
	>"$T/nosuch.out" 2>"$T/nosuch.err"
rc=$?
[ "$rc" = 1 ] || fail "lwfp-inspect --service nosuch exited $rc, want 1"
[ "$(grep -c '' "$T/nosuch.err")" = 1 ] && grep -qF "service 'nosuch' does not exist; create it with lwfpctl service add" "$T/nosuch.err" ||
	fail "lwfp-inspect --service nosuch: $(cat "$T/nosuch.err")"
# lwfp-inspect --offload-max-queue and --offload-budget out of their
# ranges: one line, exit 1. inspect_range OPTION RANGE VALUE...
inspect_range() {
	local opt=$1 range=$2 q
	shift 2
	for q in "$@"; do
		"$BIN/lwfp-inspect" --listen 127.0.0.1:15011 --offload "--$opt" "$q" \
			--pin-dir "$PIN" >"$T/range.out" 2>"$T/range.err"
		rc=$?
		[ "$rc" = 1 ] || fail "lwfp-inspect --$opt $q exited $rc, want 1"
		grep -qF "bad --$opt '$q' ($range)" "$T/range.err" ||
			fail "lwfp-inspect --$opt $q: $(cat "$T/range.err")"
	done
}
inspect_range offload-max-queue "1 to 1024" 0 1025 1x
inspect_range offload-budget "1 to 1048576" 0 1048577 1x
# A budget below one flow's two queues.
"$BIN/lwfp-inspect" --listen 127.0.0.1:15011 --offload --offload-budget 15 --offload-max-queue 8 \
	--pin-dir "$PIN" >"$T/budget.out" 2>"$T/budget.err"
rc=$?
[ "$rc" = 1 ] && [ "$(grep -c '' "$T/budget.err")" = 1 ] &&
	grep -qF -- "--offload-budget 15 MiB holds no flow: each may hold 16 MiB (twice --offload-max-queue)" "$T/budget.err" ||
	fail "lwfp-inspect --offload-budget 15 --offload-max-queue 8 exited $rc: $(cat "$T/budget.err")"
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

# ---- lists, show, flush, paths, --version -------------------------------------------
REL=${CG#"$CG2"}
ctl filter add --service errsvc --to 127.0.0.1:15001 --proto tcp --dst "$SRV4/32" --dport 80,443,9000-9009
read -r -a ids <<<"$(printf '%s' "$CTL_OUT" | tr '\n' ' ')"
[ "${#ids[@]}" = 3 ] || fail "filter add --dport 80,443,9000-9009 printed '$CTL_OUT', want 3 ids"
ctl filter show "${ids[1]}" -j
printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
f = json.load(sys.stdin)
assert (f["dport"], f["service"], f["action"], f["to"]) == ("443", "errsvc", "redirect", "127.0.0.1:15001"), f' ||
	fail "filter show -j: $CTL_OUT"
ctl filter show "${ids[2]}"
printf '%s\n' "$CTL_OUT" | grep -Eq '^dport +9000-9009$' || fail "filter show: $CTL_OUT"
filter_add FB --block --cgroup "$CG/app" --dport 9
# In a batch, a --dport list is as many filters too.
printf 'filter add --block --dport 7,8 --weight 5\n' >"$T/list.batch"
ctl -batch "$T/list.batch"
[ "$(printf '%s\n' "$CTL_OUT" | grep -c '^[0-9][0-9]*$')" = 2 ] || fail "-batch with --dport 7,8 printed '$CTL_OUT'"
ctl filter list
printf '%s\n' "$CTL_OUT" | grep -E "^$FB " | grep -qF "dport=9 cgroup=$REL/app" ||
	fail "filter list: no cgroup=$REL/app: $CTL_OUT"
ctl filter list -j
printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
f = [f for f in json.load(sys.stdin) if f["id"] == '"$FB"'][0]
assert f["cgroup"] == sys.argv[1] and isinstance(f["cgroup_id"], int), f' "$REL/app" ||
	fail "filter list -j: $CTL_OUT"
ctl service list
printf '%s\n' "$CTL_OUT" | grep -E ' errsvc ' | grep -qE " cgroup $REL/svcA\$" || fail "service list: $CTL_OUT"
ctl service list -j
printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
s = [s for s in json.load(sys.stdin) if s["name"] == "errsvc"][0]["identity"]
assert s["path"] == sys.argv[1] and isinstance(s["value"], int), s' "$REL/svcA" ||
	fail "service list -j: $CTL_OUT"
# flush --service takes that service's filters only; flush takes the rest.
ctl filter flush --service errsvc
[ -z "$CTL_OUT" ] || fail "filter flush printed '$CTL_OUT'"
ctl filter list -j
printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
fs = json.load(sys.stdin)
assert sorted(f["service"] or f["action"] for f in fs) == ["block"] * 3 + ["nonesvc"], fs' ||
	fail "filters after flush --service errsvc: $CTL_OUT"
ctl filter flush
ctl filter list -j
[ "$CTL_OUT" = "[]" ] || fail "filters after flush: $CTL_OUT"
for tool in lwfpctl lwfp-inspect; do
	"$BIN/$tool" --version >"$T/version.out" 2>&1 || fail "$tool --version failed"
	grep -Eqx "$tool [0-9]+\.[0-9]+\.[0-9]+ \(ABI [0-9]+\)" "$T/version.out" ||
		fail "$tool --version: $(cat "$T/version.out")"
done

# ---- no engine any more ------------------------------------------------------------
"$LWFPCTL" down --pin-dir "$PIN" >"$T/down.out" 2>&1 || fail "lwfpctl down: $(cat "$T/down.out")"
native_ok noengine-after app noengine

pass
