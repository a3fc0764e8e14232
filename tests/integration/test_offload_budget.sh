#!/bin/bash
# lwfp-inspect --offload-budget: the kernel memory offloaded flows may hold,
# and one user's share of it (tools/lwfp-inspect/budget.h). The attack it
# stops: a user opens many offloaded flows that read nothing, each holding
# --offload-max-queue per direction in kernel queues charged to no socket.
#
# One hop with --offload-max-queue 1 --offload-budget 4: room for two flows,
# one per user. Flows are held open (offload_peer.py's GATE) while the next
# one starts, and each is checked in the hop's log once its gate opens:
#   1. uid 65534: offloaded;
#   2. uid 65534 again: over its share, spliced, and delivered intact;
#   3. root, which has no share: offloaded, the budget is now full;
#   4. root again: the budget is full, spliced, delivered intact;
#   5. once they ended, uid 65534 and root at once: both offloaded, so what
#      the first four took was all given back.
# Nothing is timed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_inspect.sh"

PORT=9110
PEER=$T/offload_peer.py
cp "$LWFP_ROOT/tests/integration/offload_peer.py" "$PEER" && chmod 644 "$PEER" ||
	fail "cannot stage offload_peer.py"

setup_netns
mkcg app
engine_up
if [ ! -e "$PIN/lwfp_offload_rx" ]; then
	echo "$TEST_NAME: note: no fast path on Linux $(uname -r) (before 6.2): nothing to budget" >&3
	pass
fi

spawn srv - "$NSP_SRV" "$PY" "$PEER" server "$PORT" "$T/results"
wait_listen "$NSP_SRV" "$PORT"
: >"$T/results"
start_inspect A insp "127.0.0.1:15111" --register --proto tcp --dport "$PORT" \
	--service budgetA --offload --offload-max-queue 1 --offload-budget 4

SIZE=2097152
declare -A CPID

# client N uid|root: flow N, held open after half its upload until $T/gateN exists.
client() {
	local as=()
	[ "$2" = uid ] && as=("${AS_NOBODY[@]}")
	spawn "c$1" app "$NSP_CLI" "${as[@]}" "$PY" "$PEER" client "$SRV4" "$PORT" \
		"$SIZE" "$SIZE" client "$1" "$T/gate$1"
	CPID[$1]=$LAST_PID
}

started() { [ "$(grep -c '' "$T/results.start" 2>/dev/null)" -ge "$1" ]; }

# open N: flow N has reached the server, so the hop has decided how to relay it.
open_flow() {
	client "$1" "$2"
	wait_until 20 started "$3" || fail "flow $1 did not reach the server: $(cat "$T/c$1.err")"
}

# finish N LOGLINE CHECK...: open flow N's gate; it ends intact and is logged as said.
finish() {
	local n=$1 line=$2
	shift 2
	touch "$T/gate$n"
	wait_exit "${CPID[$n]}" 60
	[ "$WAIT_RC" = 0 ] && [ "$(cat "$T/c$n.out")" = ok ] ||
		fail "flow $n: client exited $WAIT_RC: $(cat "$T/c$n.out" "$T/c$n.err")"
	wait_flows A "$line"
	expect_flow A "$line" verdict=pass "bytes_down=$SIZE" "$@"
}

open_flow 1 uid 1
open_flow 2 uid 2
open_flow 3 root 3
open_flow 4 root 4
finish 1 1 relay=offload uid=65534 '!offload'
finish 2 2 relay=splice uid=65534 "offload=the user's share of the offload budget is full"
finish 3 3 relay=offload uid=0 '!offload'
finish 4 4 relay=splice uid=0 'offload=offload budget full'

open_flow 5 uid 5
open_flow 6 root 6
finish 5 5 relay=offload uid=65534 '!offload'
finish 6 6 relay=offload uid=0 '!offload'
pass
