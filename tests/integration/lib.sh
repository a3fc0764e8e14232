# shellcheck shell=bash
# tests/integration/lib.sh: the harness every test_*.sh sources.
#
# Each test gets, named after its pid ($$):
#   - a pin directory          /sys/fs/bpf/lwfp-t-$$
#   - a cgroup v2 child        <cgroup2 mount>/lwfp-t-$$  ($CG; the engine is
#     attached there, never to the v2 root; the app and every relay run in a
#     child of it: $CG/app, $CG/svcA, ...)
#   - two network namespaces   lwfpt-cli-$$ (client and relays) and
#     lwfpt-srv-$$ (the HTTP server), joined by a veth pair:
#       client 198.18.0.1/24 2001:db8::1/64  <->  server 198.18.0.2/24 2001:db8::2/64
#   - a scratch directory      $T
# and `trap cleanup EXIT INT TERM` removes all of it on success and failure.
#
# Processes run in the client netns with nsenter (not `ip netns exec`, which
# remounts /sys and hides bpffs and cgroupfs), entering their cgroup first:
#   sh -c 'echo $$ > CG/cgroup.procs && exec nsenter --net=/run/netns/NS CMD'
#
# Binaries come from $LWFP_BUILD/bin (default: build/bin of this tree).
# LWFP_KEEP=1 keeps $T after a failure for inspection.

set -u
set -o pipefail

TEST_NAME=$(basename "$0" .sh)
LWFP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LWFP_BUILD=${LWFP_BUILD:-$LWFP_ROOT/build}
case $LWFP_BUILD in /*) ;; *) LWFP_BUILD=$PWD/$LWFP_BUILD ;; esac
BIN=$LWFP_BUILD/bin
LWFPCTL=$BIN/lwfpctl
RELAY=$BIN/lwfp-test-relay
NATIVE=$BIN/lwfp-test-native
PY=/usr/bin/python3

ID=$$
PIN=/sys/fs/bpf/lwfp-t-$ID
CG2=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
CG=$CG2/lwfp-t-$ID
NS_CLI=lwfpt-cli-$ID
NS_SRV=lwfpt-srv-$ID
NSP_CLI=/run/netns/$NS_CLI
NSP_SRV=/run/netns/$NS_SRV
VETH_CLI=lwc$ID
VETH_SRV=lws$ID
CLI4=198.18.0.1
SRV4=198.18.0.2
CLI6=2001:db8::1
SRV6=2001:db8::2
HTTP_PORT=8000
T=
PIDS=()
LAST_PID=
TEST_OK=0
CTL_OUT=
declare -A SUM=()

# ---- failing and cleaning up ------------------------------------------------

# The harness writes its messages to fd 3, a copy of the test's stderr, so
# that bash's job notices ("Killed", "Terminated") can be silenced on fd 2
# where processes are stopped on purpose.
exec 3>&2

fail() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&3
	exit 1
}

# The tail of every log a started process left, for a failed test.
show_logs() {
	local f n
	[ -n "$T" ] && [ -d "$T" ] || return 0
	for f in "$T"/*.log "$T"/*.out "$T"/*.err; do
		[ -s "$f" ] || continue
		printf -- '--- %s (last 15 lines)\n' "${f#"$T"/}" >&3
		tail -n 15 "$f" >&3
	done
	# A flow log's errors, which the tail of a busy log often no longer holds.
	for f in "$T"/*.log; do
		n=$(grep -c '"verdict":"error"' "$f" 2>/dev/null) || continue
		printf -- '--- %s (errors: %s, the first 5)\n' "${f#"$T"/}" "$n" >&3
		grep -m 5 '"verdict":"error"' "$f" >&3
	done
}

kill_cgroup_procs() {
	local i pids
	[ -d "$CG" ] || return 0
	for i in $(seq 1 50); do
		[ -e "$CG/cgroup.kill" ] && echo 1 >"$CG/cgroup.kill" 2>/dev/null
		pids=$(find "$CG" -name cgroup.procs -exec cat {} + 2>/dev/null)
		[ -z "$pids" ] && return 0
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		sleep 0.1
	done
	echo "$TEST_NAME: warning: processes left in $CG" >&3
}

remove_cgroups() {
	local i
	for i in $(seq 1 20); do
		[ -d "$CG" ] || return 0
		find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$CG" ] || return 0
		sleep 0.1
	done
	echo "$TEST_NAME: warning: cannot remove $CG" >&3
}

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	# A reader that went away (run.sh | head) must not stop the cleanup.
	trap '' PIPE
	set +e
	# An exit status of 0 without pass() means a signal ended the test.
	if [ "$rc" -eq 0 ] && [ "$TEST_OK" != 1 ]; then
		echo "$TEST_NAME: FAIL: interrupted" >&3
		rc=1
	fi
	[ "$rc" -ne 0 ] && show_logs
	exec 2>/dev/null
	kill_cgroup_procs
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -x "$LWFPCTL" ] && [ -e "$PIN" ]; then
		"$LWFPCTL" down --pin-dir "$PIN" >/dev/null 2>&1
	fi
	case $PIN in /sys/fs/bpf/lwfp-t-*) [ -e "$PIN" ] && rm -rf "$PIN" ;; esac
	remove_cgroups
	ip netns del "$NS_CLI" 2>/dev/null
	ip netns del "$NS_SRV" 2>/dev/null
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "$rc" -ne 0 ] && [ "${LWFP_KEEP:-0}" = 1 ]; then
			echo "$TEST_NAME: kept $T" >&3
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

pass() {
	TEST_OK=1
	exit 0
}

# ---- preconditions --------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || {
	echo "$TEST_NAME: FAIL: integration tests need root" >&2
	exit 1
}
for _b in "$LWFPCTL" "$RELAY" "$NATIVE"; do
	[ -x "$_b" ] || {
		echo "$TEST_NAME: FAIL: $_b is missing (run make, or set LWFP_BUILD)" >&2
		exit 1
	}
done
[ -n "$CG2" ] && [ -d "$CG2" ] || {
	echo "$TEST_NAME: FAIL: no cgroup2 mount in /proc/self/mounts" >&2
	exit 1
}
[ -x "$PY" ] || {
	echo "$TEST_NAME: FAIL: $PY is missing" >&2
	exit 1
}

trap cleanup EXIT INT TERM
T=$(mktemp -d "/tmp/lwfp-t-$ID.XXXXXX") || fail "mktemp"
chmod 755 "$T"

# ---- waiting ------------------------------------------------------------------------

# wait_until SECONDS CMD...: poll CMD every 50 ms; 1 if it never succeeds.
wait_until() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

is_listening() { # NSPATH PORT
	[ -n "$(nsenter --net="$1" ss -Hltn "sport = :$2" 2>/dev/null)" ]
}

not_listening() { ! is_listening "$@"; }

wait_listen() { # NSPATH PORT
	wait_until 10 is_listening "$1" "$2" || fail "nothing listens on port $2 in $1"
}

# A process that runs (a zombie, not yet reaped, does not count).
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
dead() { ! alive "$1"; }

# wait_exit PID SECONDS: reap a started process; its exit status in WAIT_RC.
wait_exit() {
	wait_until "$2" dead "$1" || fail "process $1 did not exit within $2 s"
	wait "$1" 2>/dev/null
	WAIT_RC=$?
	export WAIT_RC
}

# ---- cgroups and processes ----------------------------------------------------------

mkcg() { # NAME...: children of $CG
	local n
	[ -d "$CG" ] || mkdir "$CG" || fail "cannot create $CG"
	for n in "$@"; do
		[ -d "$CG/$n" ] || mkdir "$CG/$n" || fail "cannot create $CG/$n"
	done
}

# The wrapper that enters a cgroup ($1, may be empty) and a netns ($2).
_ENTER='cg=$1 ns=$2; shift 2
if [ -n "$cg" ]; then echo $$ >"$cg/cgroup.procs" || exit 126; fi
exec nsenter --net="$ns" "$@"'

# run_in CGSUB CMD...: in the foreground, in $CG/CGSUB and the client netns.
run_in() {
	local cg=$1
	shift
	mkcg "$cg"
	sh -c "$_ENTER" sh "$CG/$cg" "$NSP_CLI" "$@" 3>&-
}

# spawn NAME CGSUB|- NSPATH CMD...: in the background, output in $T/NAME.out
# and $T/NAME.err; its pid in LAST_PID (the same process all the way to CMD:
# sh, nsenter and setpriv exec).
spawn() {
	local name=$1 cg=$2 ns=$3
	shift 3
	if [ "$cg" = - ]; then
		cg=
	else
		mkcg "$cg"
		cg=$CG/$cg
	fi
	sh -c "$_ENTER" sh "$cg" "$ns" "$@" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# Copies of the test binaries that uid 65534 can execute whatever the
# permissions of the build tree.
NOBODY_BIN=
nobody_bin() {
	if [ -z "$NOBODY_BIN" ]; then
		NOBODY_BIN=$T/nobody-bin
		mkdir -p "$NOBODY_BIN" && cp "$LWFPCTL" "$RELAY" "$NATIVE" "$NOBODY_BIN/" &&
			chmod 755 "$NOBODY_BIN" "$NOBODY_BIN"/* || fail "cannot stage binaries"
	fi
}
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# ---- topology and the HTTP server --------------------------------------------------------

setup_netns() {
	ip netns add "$NS_CLI" || fail "ip netns add $NS_CLI"
	ip netns add "$NS_SRV" || fail "ip netns add $NS_SRV"
	ip link add "$VETH_CLI" netns "$NS_CLI" type veth peer name "$VETH_SRV" netns "$NS_SRV" ||
		fail "cannot create the veth pair"
	ip -n "$NS_CLI" link set lo up &&
		ip -n "$NS_SRV" link set lo up &&
		ip -n "$NS_CLI" addr add "$CLI4/24" dev "$VETH_CLI" &&
		ip -n "$NS_SRV" addr add "$SRV4/24" dev "$VETH_SRV" &&
		ip -n "$NS_CLI" addr add "$CLI6/64" dev "$VETH_CLI" nodad &&
		ip -n "$NS_SRV" addr add "$SRV6/64" dev "$VETH_SRV" nodad &&
		ip -n "$NS_CLI" link set "$VETH_CLI" up &&
		ip -n "$NS_SRV" link set "$VETH_SRV" up || fail "cannot configure the namespaces"
}

# make_files N: $T/www/f0.bin .. f(N-1).bin, 1 MiB of random bytes each;
# their sha256 in SUM[fI.bin].
make_files() {
	local i
	mkdir -p "$T/www"
	for ((i = 0; i < $1; i++)); do
		head -c 1048576 /dev/urandom >"$T/www/f$i.bin" || fail "cannot write $T/www/f$i.bin"
		SUM[f$i.bin]=$(sha256sum <"$T/www/f$i.bin" | cut -d' ' -f1)
	done
}

# start_http [PORT]: python's http.server on [::]:PORT (dual stack: it serves
# 198.18.0.2 and 2001:db8::2) in the server netns; its request log in
# $T/http-PORT.err.
start_http() {
	local port=${1:-$HTTP_PORT}
	spawn "http-$port" - "$NSP_SRV" "$PY" -m http.server --bind :: "$port" --directory "$T/www"
	wait_listen "$NSP_SRV" "$port"
}

# The usual set-up: namespaces, N files (default 1) behind the HTTP server,
# the cgroup $CG with the engine attached.
setup_all() {
	setup_netns
	make_files "${1:-1}"
	start_http
	engine_up
}

# ---- lwfpctl ----------------------------------------------------------------------------

# engine_up [CGROUP]: the engine, attached to $CG (or to CGROUP, an existing
# cgroup below it). `up` again inside the client netns, where the
# applications are: it is idempotent, and routes the IPv6 UDP flow addresses
# there (lib/route.c).
engine_up() {
	local cg=${1:-$CG}
	mkcg
	"$LWFPCTL" up --cgroup "$cg" --pin-dir "$PIN" >"$T/up.out" 2>"$T/up.err" ||
		fail "lwfpctl up --cgroup $cg --pin-dir $PIN: $(cat "$T/up.err")"
	[ -e "$NSP_CLI" ] || return 0
	nsenter --net="$NSP_CLI" "$LWFPCTL" up --cgroup "$cg" --pin-dir "$PIN" >"$T/up.out" \
		2>"$T/up.err" || fail "lwfpctl up in $NS_CLI: $(cat "$T/up.err")"
}

# ctl ARGS...: lwfpctl with the test's pin directory; stdout in CTL_OUT; the
# test fails with lwfpctl's message if it fails.
ctl() {
	CTL_OUT=$("$LWFPCTL" "$@" --pin-dir "$PIN" 2>"$T/ctl.stderr") ||
		fail "lwfpctl $* failed: $(head -c 600 "$T/ctl.stderr")"
}

# ctl_add VAR KIND WHAT ARGS...: `lwfpctl KIND add ARGS...` must print a number,
# WHAT in the failure message; it goes in $VAR. The locals start with _ so that
# printf -v cannot set one of them instead of the caller's VAR.
ctl_add() {
	local _var=$1 _kind=$2 _what=$3
	shift 3
	ctl "$_kind" add "$@"
	[[ $CTL_OUT =~ ^[0-9]+$ ]] || fail "lwfpctl $_kind add $* printed '$CTL_OUT', not $_what"
	printf -v "$_var" '%s' "$CTL_OUT"
}

# service_add VAR NAME IDENTITY...: its handle in $VAR.
service_add() { ctl_add "$1" service "a handle" "${@:2}"; }

# filter_add VAR ARGS...: its id in $VAR.
filter_add() { ctl_add "$1" filter "an id" "${@:2}"; }

# counter NAME: the value of a counter of `lwfpctl stats -j` on stdout.
counter() {
	local out
	out=$("$LWFPCTL" stats -j --pin-dir "$PIN" 2>"$T/ctl.stderr") || return 1
	printf '%s' "$out" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)[sys.argv[1]]
assert isinstance(v, int) and not isinstance(v, bool)
print(v)' "$1"
}

# counter_var VAR NAME: the counter's value in $VAR, or the test fails.
counter_var() {
	local v
	v=$(counter "$2") || fail "lwfpctl stats -j has no integer counter '$2' ($(cat "$T/ctl.stderr"))"
	printf -v "$1" '%s' "$v"
}

# nflows: how many entries `lwfpctl flows -j` lists (checks the shape too).
nflows() {
	local out
	out=$("$LWFPCTL" flows -j --pin-dir "$PIN" 2>"$T/ctl.stderr") || return 1
	printf '%s' "$out" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
assert isinstance(v, list)
for f in v:
    assert "token" in f and "nhops" in f and "hops" in f, f
print(len(v))'
}

flows_empty() { [ "$(nflows)" = 0 ]; }

# ---- relays -------------------------------------------------------------------------------

# start_relay NAME CGSUB ADDR:PORT [relay options...]: a lwfp-test-relay in
# $CG/CGSUB of the client netns, logging to $T/NAME.log; ready when it has
# written its pidfile. With RELAY_AS_NOBODY=1 it runs as uid 65534. Its pid
# is in LAST_PID.
start_relay() {
	local name=$1 cg=$2 listen=$3 relay=$RELAY
	local pre=()
	shift 3
	: >"$T/$name.log"
	: >"$T/$name.pid"
	chmod 666 "$T/$name.log" "$T/$name.pid"
	if [ "${RELAY_AS_NOBODY:-0}" = 1 ]; then
		nobody_bin
		relay=$NOBODY_BIN/lwfp-test-relay
		pre=("${AS_NOBODY[@]}")
	fi
	spawn "$name" "$cg" "$NSP_CLI" "${pre[@]}" "$relay" --listen "$listen" --name "$name" \
		--log "$T/$name.log" --pidfile "$T/$name.pid" "$@"
	wait_until 10 test -s "$T/$name.pid" ||
		fail "relay $name did not start: $(cat "$T/$name.err")"
}

stop_relay() { # NAME PID PORT
	{
		kill -TERM "$2"
		wait_until 10 dead "$2" || fail "relay $1 did not stop"
		wait "$2"
	} 2>/dev/null
	wait_until 10 not_listening "$NSP_CLI" "$3" || fail "port $3 still listens after $1 stopped"
}

log_lines() { # NAME: the number of lines in the relay's log
	grep -c '' "$T/$1.log"
}

log_has() { # NAME N: the relay's log has at least N lines (for wait_until)
	[ "$(log_lines "$1")" -ge "$2" ]
}

expect_log_lines() { # NAME N
	local n
	n=$(log_lines "$1")
	[ "$n" = "$2" ] || fail "relay $1 logged $n flows, want $2: $(tail -n 3 "$T/$1.log")"
}

# expect_log NAME LINE KEY=VALUE...: fields of one line of a relay's log
# (LINE is a number, or "all" for every line).
expect_log() {
	local name=$1 line=$2 kv key want got n total
	shift 2
	total=$(log_lines "$name")
	[ "$total" -gt 0 ] || fail "relay $name logged nothing"
	for ((n = 1; n <= total; n++)); do
		[ "$line" = all ] || [ "$line" = "$n" ] || continue
		for kv in "$@"; do
			key=${kv%%=*}
			want=${kv#*=}
			got=$(sed -n "${n}p" "$T/$name.log" | tr ' ' '\n' | sed -n "s/^$key=//p")
			[ "$got" = "$want" ] ||
				fail "relay $name, flow $n: $key=$got, want $key=$want in: $(sed -n "${n}p" "$T/$name.log")"
		done
	done
}

# ---- the application --------------------------------------------------------------------

# app_curl URL OUT [CURL OPTIONS...]: curl in the app cgroup ($CG/$APP_CG,
# default $CG/app) and the client netns; its stderr in $T/curl.err.
app_curl() {
	local url=$1 out=$2
	shift 2
	run_in "${APP_CG:-app}" curl -sS -g --noproxy '*' --connect-timeout 10 --max-time 30 \
		-o "$out" "$@" "$url" 2>"$T/curl.err"
}

# fetch_ok FILE [HOST]: fetch /FILE from the server through whatever the
# filters do, and compare its sha256.
fetch_ok() {
	local f=$1 host=${2:-$SRV4} got
	rm -f "$T/fetch.bin"
	app_curl "http://$host:$HTTP_PORT/$f" "$T/fetch.bin" ||
		fail "curl http://$host:$HTTP_PORT/$f failed: $(cat "$T/curl.err")"
	got=$(sha256sum <"$T/fetch.bin" | cut -d' ' -f1)
	[ "$got" = "${SUM[$f]}" ] || fail "http://$host:$HTTP_PORT/$f: sha256 $got, want ${SUM[$f]}"
}

# The native checker in the foreground: its output in $T/NAME.out, shown on failure.
native_ok() { # NAME CGSUB ARGS...
	local name=$1 cg=$2
	shift 2
	run_in "$cg" "$NATIVE" "$@" >"$T/$name.out" 2>&1 ||
		fail "lwfp-test-native $* (in $cg):
$(grep -v '^ok ' "$T/$name.out")"
}

# ---- lwfp-inspect ---------------------------------------------------------------------------

# inspect_ready NAME PID: wait until the lwfp-inspect started as NAME (its
# stderr in $T/NAME.err) says it serves; its flow limit per worker in
# INSPECT_LIMIT.
inspect_ready() {
	if ! wait_until 10 grep -q 'flow limit' "$T/$1.err"; then
		alive "$2" || fail "lwfp-inspect $1 exited at start: $(cat "$T/$1.err")"
		fail "lwfp-inspect $1 did not start within 10 s: $(cat "$T/$1.err")"
	fi
	INSPECT_LIMIT=$(sed -n 's/.*flow limit \([0-9]*\) per worker.*/\1/p' "$T/$1.err")
}

# Descriptors and resident memory (KiB) of a process.
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# par_curls DIR URL N NFILES ENTER...: N parallel curls of URL/f(i % NFILES).bin,
# started by ENTER... (a command that runs the rest where the client lives:
# `run_in app`, or a test's own); each transfer's status and sha256 in DIR.
par_curls() {
	local dir=$1 url=$2 n=$3 nfiles=$4
	shift 4
	rm -rf "$dir"
	mkdir -p "$dir"
	# shellcheck disable=SC2016
	"$@" bash -c '
		out=$1 url=$2 n=$3 nfiles=$4
		for ((i = 0; i < n; i++)); do
			(curl -sS -g --noproxy "*" --connect-timeout 20 --max-time 45 "$url/f$((i % nfiles)).bin" |
				sha256sum | cut -d" " -f1 >"$out/$i.sum"
			echo "${PIPESTATUS[0]}" >"$out/$i.rc") 2>"$out/$i.err" &
		done
		wait' bash "$dir" "$url" "$n" "$nfiles"
}

# par_check DIR N NFILES [KEY [WHAT]]: the test fails unless each of DIR's N
# transfers exited 0 with the sha256 SUM[KEYf(i % NFILES).bin]; WHAT names
# them in the message.
par_check() {
	local dir=$1 n=$2 nfiles=$3 key=${4:-} what=${5:-parallel transfers} bad=0 i rc sum
	for ((i = 0; i < n; i++)); do
		rc=$(cat "$dir/$i.rc" 2>/dev/null)
		sum=$(cat "$dir/$i.sum" 2>/dev/null)
		if [ "$rc" != 0 ] || [ "$sum" != "${SUM[${key}f$((i % nfiles)).bin]}" ]; then
			[ "$bad" -lt 3 ] && echo "transfer $i: curl status '$rc', sha256 '$sum': $(cat "$dir/$i.err")" >&2
			bad=$((bad + 1))
		fi
	done
	[ "$bad" = 0 ] || fail "$bad of $n $what failed or were corrupted"
}

# par_fetch N [HOST]: N parallel curls from the app cgroup to HOST (default
# $SRV4; IPv6 in brackets), f(i % NFILES).bin each, checked by sha256.
par_fetch() {
	local n=$1 host=${2:-$SRV4}
	par_curls "$T/par" "http://$host:$HTTP_PORT" "$n" "$NFILES" run_in app
	par_check "$T/par" "$n" "$NFILES"
}
