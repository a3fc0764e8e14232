#!/bin/bash
# lwfpctl run -- CMD without --via: a built-in lwfp-inspect relays CMD's
# connections.
#   (a) with the test's engine: CMD's stdout is CMD's alone (the body curl
#       fetched), the inspector's JSON flow line is on stderr, CMD's exit
#       status comes back, and nothing run added is left;
#   (b) with no engine at --pin-dir: run brings up a private one for CMD and
#       takes it down again, leaving no pin directory and no lwfp-run-*
#       cgroup anywhere under the cgroup2 mount;
#   (c) a tty is passed through to CMD (util-linux script), and so is stdin;
#   (d) --netns PATH: CMD enters another network namespace (with its own
#       veth to the server) before it connects; the built-in inspector
#       serves that namespace too, relays there, and logs its inode.
. "$(dirname "$0")/lib.sh"

[ -x "$BIN/lwfp-inspect" ] || fail "$BIN/lwfp-inspect is missing (run make, or set LWFP_BUILD)"
command -v script >/dev/null || fail "script (util-linux) is missing"

setup_all 1
URL=http://$SRV4:$HTTP_PORT/f0.bin
SIZE=$(stat -c %s "$T/www/f0.bin")

# (b)'s run and its private engine, named after run's pid, are outside what
# the harness removes: if the test stops while they exist, remove them here.
PRIV_DIR=/sys/fs/bpf/lwfp-t-$ID-priv
PRIV_RUN=
# shellcheck disable=SC2317 # called by the trap
cleanup_private() {
	local rc=$? d
	if [ -n "$PRIV_RUN" ]; then
		# SIGTERM first: run then takes down what it set up by itself.
		{
			kill -TERM "$PRIV_RUN" && wait_until 10 dead "$PRIV_RUN"
			kill -KILL "$PRIV_RUN"
			wait "$PRIV_RUN"
		} 2>/dev/null
		for d in "$CG2/lwfp-run-$PRIV_RUN/cmd" "$CG2/lwfp-run-$PRIV_RUN/inspect"; do
			[ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill" 2>/dev/null
		done
		[ -d "/sys/fs/bpf/lwfp-run-$PRIV_RUN" ] &&
			"$LWFPCTL" down --pin-dir "/sys/fs/bpf/lwfp-run-$PRIV_RUN" >/dev/null 2>&1
		rm -rf "/sys/fs/bpf/lwfp-run-$PRIV_RUN" 2>/dev/null
		for _ in $(seq 1 20); do
			[ -d "$CG2/lwfp-run-$PRIV_RUN" ] || break
			find "$CG2/lwfp-run-$PRIV_RUN" -depth -type d -exec rmdir {} \; 2>/dev/null
			sleep 0.1
		done
	fi
	[ -e "$PRIV_DIR" ] && rm -rf "$PRIV_DIR" 2>/dev/null
	return "$rc"
}
NS_X=lwfpt-x-$ID
trap 'cleanup_private; ip netns del "$NS_X" 2>/dev/null; cleanup' EXIT INT TERM

# run_ctl PIN ARGS...: lwfpctl run in the client netns (nsenter execs
# lwfpctl), outside the engine's cgroup.
run_ctl() {
	local pin=$1
	shift
	nsenter --net="$NSP_CLI" "$LWFPCTL" run --pin-dir "$pin" "$@"
}

# flow_lines FILE: the JSON objects among the lines of FILE, one a line
# (the inspector also says on stderr that it started).
flow_lines() {
	"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    try:
        o = json.loads(l)
    except ValueError:
        continue
    if isinstance(o, dict):
        print(json.dumps(o))' "$1"
}

# expect_one_flow FILE CHECK...: FILE has exactly one JSON flow line, and it
# passes each CHECK, a Python expression about o.
expect_one_flow() {
	local file=$1
	shift
	flow_lines "$file" | "$PY" -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
if len(lines) != 1:
    sys.exit(f"{len(lines)} flow lines, want 1")
o = lines[0]
for c in sys.argv[1:]:
    if not eval(c, {"o": o}):
        sys.exit(f"not {c} in {json.dumps(o)}")' "$@" >"$T/flow.check" 2>&1 ||
		fail "the flow log on run's stderr: $(cat "$T/flow.check"); stderr was: $(head -c 1000 "$file")"
}

# no_leftovers WHAT: nothing that run adds is left in the test's engine.
no_leftovers() {
	local cgs
	cgs=$(ls -d "$CG"/lwfp-run-* 2>/dev/null)
	[ -z "$cgs" ] || fail "$1 left cgroups: $cgs"
	ctl service list -j
	[ "$CTL_OUT" = "[]" ] || fail "$1 left services: $CTL_OUT"
	ctl filter list -j
	[ "$CTL_OUT" = "[]" ] || fail "$1 left filters: $CTL_OUT"
}

# ---- (a) with the test's engine ----------------------------------------------------------------

# In the background for its pid (nsenter execs lwfpctl), which names the
# built-in inspector's service.
nsenter --net="$NSP_CLI" "$LWFPCTL" run --pin-dir "$PIN" -- \
	sh -c "curl -sS --max-time 20 '$URL'; exit 5" >"$T/a.body" 2>"$T/a.stderr" &
run_pid=$!
wait_exit "$run_pid" 40
[ "$WAIT_RC" = 5 ] || fail "run exited $WAIT_RC, want CMD's 5: $(head -c 1000 "$T/a.stderr")"
# Byte for byte the body: no log line, no message of run's on stdout.
[ "$(stat -c %s "$T/a.body"):$(sha256sum <"$T/a.body" | cut -d' ' -f1)" = "$SIZE:${SUM[f0.bin]}" ] ||
	fail "run's stdout is not just the body ($(stat -c %s "$T/a.body") bytes, want $SIZE): $(head -c 200 "$T/a.body" | tr -c '[:print:]\n' '.')"
expect_one_flow "$T/a.stderr" 'o["verdict"] == "pass"' 'o["comm"] == "curl"' \
	"o['orig_dst'] == '$SRV4:$HTTP_PORT'" "o['bytes_down'] > $SIZE" \
	"o['chain'] == ['lwfp-run-$run_pid']" 'len(o["token"]) == 16'
no_leftovers run

# ---- (b) with no engine at --pin-dir ------------------------------------------------------------

[ -e "$PRIV_DIR" ] && fail "$PRIV_DIR exists before the test"
# CMD says which cgroup it ran in.
nsenter --net="$NSP_CLI" "$LWFPCTL" run --pin-dir "$PRIV_DIR" -- \
	sh -c "cat /proc/self/cgroup >'$T/b.cgroup'; curl -sS --max-time 20 '$URL'" \
	>"$T/b.body" 2>"$T/b.stderr" &
PRIV_RUN=$!
wait_exit "$PRIV_RUN" 40
[ "$WAIT_RC" = 0 ] || fail "run without an engine exited $WAIT_RC: $(head -c 1000 "$T/b.stderr")"
[ "$(sha256sum <"$T/b.body" | cut -d' ' -f1)" = "${SUM[f0.bin]}" ] ||
	fail "run without an engine: wrong body ($(stat -c %s "$T/b.body") bytes)"
expect_one_flow "$T/b.stderr" 'o["verdict"] == "pass"' 'o["comm"] == "curl"' \
	"o['orig_dst'] == '$SRV4:$HTTP_PORT'" "o['bytes_down'] > $SIZE" \
	"o['chain'] == ['lwfp-run-$PRIV_RUN']"
# A private engine's own cgroup below the cgroup2 root, not the root itself.
grep -qx "0::/lwfp-run-$PRIV_RUN/cmd" "$T/b.cgroup" ||
	fail "CMD of a private engine ran in '$(cat "$T/b.cgroup")', want 0::/lwfp-run-$PRIV_RUN/cmd"
[ -e "$PRIV_DIR" ] && fail "run left $PRIV_DIR: $(ls -A "$PRIV_DIR")"
# What run adds is named after its pid (other runs on the host may come and go).
left=$(find "$CG2" -type d -name "lwfp-run-$PRIV_RUN" 2>/dev/null)
[ -z "$left" ] || fail "run left cgroups: $left"
[ -e "/sys/fs/bpf/lwfp-run-$PRIV_RUN" ] && fail "run left /sys/fs/bpf/lwfp-run-$PRIV_RUN"
PRIV_RUN=
# The test's own engine was not touched.
no_leftovers "the private run, in the test's engine,"

# ---- (c) a tty and stdin -----------------------------------------------------------------------

# shellcheck disable=SC2016
TTY_CMD="nsenter --net='$NSP_CLI' '$LWFPCTL' run --pin-dir '$PIN' -- sh -c 'test -t 0 && test -t 1 && echo TTY-\$((6 * 7))'"
script -qec "$TTY_CMD" /dev/null </dev/null >"$T/tty.out" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "script -qec 'lwfpctl run ...' exited $rc: $(head -c 600 "$T/tty.out")"
grep -q 'TTY-42' "$T/tty.out" ||
	fail "CMD did not get the tty: $(head -c 600 "$T/tty.out")"
# The control: without a tty, the same test says so.
run_ctl "$PIN" -- sh -c 'test -t 0 || test -t 1 || echo NO-TTY' </dev/null >"$T/notty.out" 2>"$T/notty.err" ||
	fail "run without a tty failed: $(cat "$T/notty.err")"
[ "$(cat "$T/notty.out")" = NO-TTY ] || fail "run without a tty: CMD printed '$(cat "$T/notty.out")'"

echo data | run_ctl "$PIN" -- cat >"$T/stdin.out" 2>"$T/stdin.err" ||
	fail "echo data | lwfpctl run -- cat failed: $(cat "$T/stdin.err")"
[ "$(cat "$T/stdin.out")" = data ] || fail "echo data | lwfpctl run -- cat printed '$(cat "$T/stdin.out")'"
# 4 MiB through a pipe: all of it, in order, and its end.
head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/stdin.bin"
run_ctl "$PIN" -- sha256sum <"$T/stdin.bin" >"$T/stdin.sum" 2>"$T/stdin.err" ||
	fail "lwfpctl run -- sha256sum <4 MiB failed: $(cat "$T/stdin.err")"
[ "$(cut -d' ' -f1 "$T/stdin.sum")" = "$(sha256sum <"$T/stdin.bin" | cut -d' ' -f1)" ] ||
	fail "CMD read other bytes from stdin than were given"
no_leftovers "the runs of (c)"

# ---- (d) --netns PATH ------------------------------------------------------------------------

ip netns add "$NS_X" &&
	ip link add "lx$ID" netns "$NS_X" type veth peer name "lsx$ID" netns "$NS_SRV" &&
	ip -n "$NS_X" link set lo up && ip -n "$NS_X" addr add 198.18.2.1/24 dev "lx$ID" &&
	ip -n "$NS_SRV" addr add 198.18.2.2/24 dev "lsx$ID" &&
	ip -n "$NS_X" link set "lx$ID" up && ip -n "$NS_SRV" link set "lsx$ID" up ||
	fail "cannot make namespace $NS_X"
XINO=$(stat -L -c %i "/run/netns/$NS_X")
run_ctl "$PIN" --netns "/run/netns/$NS_X" -- nsenter --net="/run/netns/$NS_X" \
	curl -sS --max-time 20 "http://198.18.2.2:$HTTP_PORT/f0.bin" >"$T/d.body" 2>"$T/d.stderr" ||
	fail "lwfpctl run --netns PATH -- nsenter curl failed: $(head -c 1000 "$T/d.stderr")"
[ "$(sha256sum <"$T/d.body" | cut -d' ' -f1)" = "${SUM[f0.bin]}" ] || fail "run --netns: wrong body"
expect_one_flow "$T/d.stderr" 'o["verdict"] == "pass"' 'o["comm"] == "curl"' \
	"o['orig_dst'] == '198.18.2.2:$HTTP_PORT'" "o['netns'] == $XINO"
no_leftovers "run --netns"

pass
