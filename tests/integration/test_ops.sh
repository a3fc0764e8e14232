#!/bin/bash
# Where a proxy runs, and a proxy's service seen from both sides (issue 15,
# item 3). The engine is attached to $CG/eng, so that $CG/out is a cgroup
# outside its subtree that the test still owns:
#   - lwfp-inspect --register in $CG/out exits 1 with one line naming both
#     cgroups, leaves no service behind, and breaks no one's flow;
#   - the same with --cgroup-join px moves itself to $CG/eng/px and serves;
#   - `service list` says "listening" while it runs; after `service del`
#     it registers again by itself and curl works again within seconds;
#   - killed, its service stays with STATE "no listener".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_inspect.sh"

# The applications run inside the engine's subtree.
app_curl() {
	local url=$1 out=$2
	shift 2
	run_in eng/app curl -sS -g --noproxy '*' --connect-timeout 10 --max-time 30 \
		-o "$out" "$@" "$url" 2>"$T/curl.err"
}

# ns_ctl ARGS...: lwfpctl in the client netns, where the proxy listens.
ns_ctl() {
	CTL_OUT=$(nsenter --net="$NSP_CLI" "$LWFPCTL" "$@" --pin-dir "$PIN" 2>"$T/ctl.stderr") ||
		fail "lwfpctl $* failed: $(cat "$T/ctl.stderr")"
}

# state NAME: the STATE of service NAME in `service list -j` ("" if absent).
state() {
	ns_ctl service list -j
	"$PY" -c 'import json,sys
for s in json.loads(sys.argv[1]):
    if s["name"] == sys.argv[2]: print(s["state"])' "$CTL_OUT" "$1"
}
state_is() { [ "$(state "$1")" = "$2" ]; }

setup_netns
make_files 1
start_http
mkcg eng out
for ns in "" "$NSP_CLI"; do
	${ns:+nsenter --net="$ns"} "$LWFPCTL" up --cgroup "$CG/eng" --pin-dir "$PIN" \
		>"$T/up.out" 2>"$T/up.err" || fail "lwfpctl up --cgroup $CG/eng: $(cat "$T/up.err")"
done
grep -q 'root cgroup' "$T/up.err" && fail "up --cgroup said it attaches to the root: $(cat "$T/up.err")"

REG=(--register --service ops1 --proto tcp --family 4 --dst "$SRV4/32" --dport "$HTTP_PORT")

# Outside the subtree: exit 1, one line, nothing registered, flows intact.
spawn out out "$NSP_CLI" "$INSPECT" --listen 127.0.0.1:15001 --pin-dir "$PIN" "${REG[@]}"
wait_exit "$LAST_PID" 10
[ "$WAIT_RC" = 1 ] || fail "lwfp-inspect outside the subtree exited $WAIT_RC, want 1: $(cat "$T/out.err")"
[ "$(wc -l <"$T/out.err")" = 1 ] || fail "want one line on stderr, got: $(cat "$T/out.err")"
grep -q "cgroup $CG/out, outside the engine's cgroup $CG/eng" "$T/out.err" &&
	grep -q -- '--cgroup-join' "$T/out.err" || fail "the line does not say why: $(cat "$T/out.err")"
[ -z "$(state ops1)" ] || fail "a refused lwfp-inspect left service ops1 behind"
fetch_ok f0.bin

# --cgroup-join from outside: it moves below the engine's cgroup and serves.
start_inspect P out 127.0.0.1:15001 "${REG[@]}" --cgroup-join px
P=$LAST_PID
grep -qx "0::${CG#"$CG2"}/eng/px" "/proc/$P/cgroup" ||
	fail "lwfp-inspect is in $(cat "/proc/$P/cgroup"), not $CG/eng/px"
fetch_ok f0.bin
wait_flows P 1
state_is ops1 listening || fail "service ops1 is '$(state ops1)', want listening"
ns_ctl service list
grep -q '^[0-9]* *ops1 .* listening ' <<<"$CTL_OUT" || fail "no STATE column: $CTL_OUT"

# Deleted under it: it says so and registers again.
ctl service del ops1
wait_until 10 state_is ops1 listening || fail "lwfp-inspect did not register ops1 again: $(cat "$T/P.err")"
grep -q 'service ops1 is gone' "$T/P.err" || fail "it did not say the service was gone: $(cat "$T/P.err")"
wait_until 5 fetch_ok f0.bin
fetch_ok f0.bin
wait_flows P 2

# Killed: the service stays, with no listener.
kill -KILL "$P"
wait_exit "$P" 10
wait_until 5 state_is ops1 "no listener" || fail "service ops1 is '$(state ops1)' after the kill"
ctl service del ops1

pass
