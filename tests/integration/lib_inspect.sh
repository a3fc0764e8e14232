# shellcheck shell=bash
# tests/integration/lib_inspect.sh: for the tests that run lwfp-inspect.
# Source it after lib.sh. It gives:
#   start_inspect NAME CGSUB LISTEN ARGS...  lwfp-inspect in $CG/CGSUB of the
#       client netns, its flow log in $T/NAME.log, its stderr in
#       $T/NAME.err; ready once it has announced itself (after listening and
#       registering); its pid in LAST_PID
#   stop_inspect NAME PID   SIGTERM, and it must exit 0
#   expect_flow NAME N|last CHECK...   line N of $T/NAME.log (jlog.py)
#   wait_flows NAME N       the log reaches N lines; a flow is logged when it
#       ends, a UDP flow once idle for $IDLE s
#   udp_bound NSPATH PORT   some UDP socket is bound to PORT

INSPECT=$BIN/lwfp-inspect
[ -x "$INSPECT" ] || fail "$INSPECT is missing (run make, or set LWFP_BUILD)"
JLOG=$LWFP_ROOT/tests/integration/jlog.py

start_inspect() {
	local name=$1 cg=$2 listen=$3 pid
	shift 3
	: >"$T/$name.log"
	spawn "$name" "$cg" "$NSP_CLI" "$INSPECT" --listen "$listen" --pin-dir "$PIN" \
		--log "$T/$name.log" "$@"
	pid=$LAST_PID
	inspect_ready "$name" "$pid"
	LAST_PID=$pid
}

stop_inspect() {
	kill -TERM "$2" 2>/dev/null || fail "lwfp-inspect $1 (pid $2) is gone before SIGTERM"
	wait_exit "$2" 15
	[ "$WAIT_RC" = 0 ] || fail "lwfp-inspect $1 exited $WAIT_RC after SIGTERM, want 0: $(cat "$T/$1.err")"
}

expect_flow() {
	local name=$1
	shift
	"$PY" "$JLOG" "$T/$name.log" "$@" >"$T/jlog.stderr" 2>&1 ||
		fail "flow log of $name: $(cat "$T/jlog.stderr")"
}

wait_flows() {
	wait_until $((${IDLE:-0} + 10)) log_has "$1" "$2" ||
		fail "$1 logged $(log_lines "$1") flows, want $2: $(tail -n 2 "$T/$1.log")"
}

udp_bound() {
	[ -n "$(nsenter --net="$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]
}
