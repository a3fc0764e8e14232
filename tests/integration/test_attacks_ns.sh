#!/bin/bash
# Issue 12, attacks 4 and 5, against a redirect filter (fail closed) from
# 198.18.0.2:9000, where nothing listens, to a root proxy in the client
# netns that logs every connection's redirect context:
#   (4) MPTCP: uid 65534 opens 1,000 IPPROTO_MPTCP connections through the
#       filter, each closed; every one reaches the proxy, and `lwfpctl
#       flows -j` is back to its baseline (empty) afterwards (skipped, with
#       a note, only if net.mptcp.enabled is not 1 in the client netns or
#       the kernel refuses the sockets);
#   (5) namespaces: uid 65534 makes a user and network namespace of its own
#       (its own loopback, where it listens at the proxy's address) and
#       opens 1,000 connections with the same 4-tuples as root's
#       application opens at the same time (source ports 41000-41999, the
#       same destination, redirected to the same proxy address). The root
#       proxy gets exactly root's 1,000 connections, each with root's
#       context (pid, uid 0, comm, original destination, and the client
#       netns when the context says which); the attacker's listener never
#       sees root's context; `flows -j` is back to its count before the
#       race (what MPTCP left, if it leaks).
# The figures are the `attacks:` lines on stderr (run the test directly to
# see them). An attack that gets through is reported as a BREACH and the
# test goes on; it fails at the end.
. "$(dirname "$0")/lib.sh"

N=1000
DST=$SRV4:9000

setup_netns
engine_up
mkcg app svcP attacker
. "$(dirname "$0")/../relay/lwfp-test-attack.sh"

service_add HP nsproxy --cgroup "$CG/svcP"
filter_add FP --service nsproxy --to 127.0.0.1:15005 --proto tcp --family 4 --dst "$SRV4/32" --dport 9000
spawn proxy svcP "$NSP_CLI" "$ATTACK" listen --listen 127.0.0.1:15005 --log "$T/proxy.log" --ready "$T/proxy.ready"
wait_until 10 test -e "$T/proxy.ready" || fail "the proxy did not start: $(cat "$T/proxy.err")"

outcomes() { summary "$1" connect; }
flows_at() { [ "$(nflows)" = "$1" ]; }
flows_json() { "$LWFPCTL" flows -j --pin-dir "$PIN" 2>&1 | head -c 600; }

wait_until 10 flows_empty || fail "flows before the attacks: $(flows_json)"

# ---- (4) MPTCP ------------------------------------------------------------------------

if [ "$(nsenter --net="$NSP_CLI" sysctl -n net.mptcp.enabled 2>/dev/null)" != 1 ]; then
	echo "$TEST_NAME: note: net.mptcp.enabled is not 1 in $NS_CLI: MPTCP not tested" >&3
else
	before=$(lines "$T/proxy.log")
	base=$(nflows)
	run_in attacker "${AS_NOBODY[@]}" "$NATTACK" connect --mptcp --to "$DST" --count "$N" >"$T/mptcp.out" 2>&1
	rc=$?
	if [ "$rc" = 3 ]; then
		echo "$TEST_NAME: note: the kernel refuses MPTCP sockets, not tested: $(cat "$T/mptcp.out")" >&3
	else
		[ "$rc" = 0 ] || fail "MPTCP connects: $(cat "$T/mptcp.out")"
		got=$(($(lines "$T/proxy.log") - before))
		[ "$(sed -n 's/.* ok=\([0-9]*\) .*/\1/p' "$T/mptcp.out")" = "$N" ] && [ "$got" = "$N" ] ||
			breach "MPTCP: $(outcomes "$T/mptcp.out"), the proxy got $got, want all $N redirected"
		wait_until 10 flows_at "$base" || breach "MPTCP: flows -j lists $(nflows) flows after $N closed, want $base: $(flows_json)"
		echo "attacks: MPTCP: $(outcomes "$T/mptcp.out"); the proxy got $got; flows left after: $(nflows)" >&2
	fi
fi

# ---- (5) the same 4-tuples from another network namespace -------------------------------

before=$(lines "$T/proxy.log")
base=$(nflows)
spawn rootapp app "$NSP_CLI" "$ATTACK" connect --to "$DST" --count "$N" --sport-base 41000 \
	--ready "$T/root.ready" --go "$T/go"
ROOTAPP=$LAST_PID
spawn nsattack attacker "$NSP_CLI" "${AS_NOBODY[@]}" "$NATTACK" connect --unshare --squat 127.0.0.1:15005 \
	--log "$NB/squat.log" --to "$DST" --count "$N" --sport-base 41000 --ready "$NB/attack.ready" --go "$T/go"
NSATTACK=$LAST_PID
wait_until 10 test -e "$T/root.ready" || fail "the root application did not start: $(cat "$T/rootapp.err")"
wait_until 10 test -e "$NB/attack.ready" -o ! -d "/proc/$NSATTACK" ||
	fail "the attacker did not start: $(cat "$T/nsattack.out" "$T/nsattack.err")"
touch "$T/go"
wait_exit "$ROOTAPP" 60
[ "$WAIT_RC" = 0 ] || breach "the root application, raced: $(outcomes "$T/rootapp.out"), want every one ok"
wait_exit "$NSATTACK" 60
if [ "$WAIT_RC" = 3 ]; then
	echo "$TEST_NAME: note: uid 65534 cannot make a user namespace here, attack 5 not tested: $(cat "$T/nsattack.out")" >&3
else
	[ "$WAIT_RC" = 0 ] || fail "the attacker: $(cat "$T/nsattack.out" "$T/nsattack.err")"
	ino=$(stat -L -c %i "$NSP_CLI")
	got=$(($(lines "$T/proxy.log") - before))
	sed -n "$((before + 1)),\$p" "$T/proxy.log" >"$T/raced.log"
	good="ctx=0 pid=$ROOTAPP uid=0 comm=lwfp-test-attac orig=$DST netns=($ino|0)\$"
	bad=$(grep -cvE "$good" "$T/raced.log")
	[ "$got" = "$N" ] && [ "$bad" = 0 ] ||
		breach "namespaces: the root proxy got $got connections, want $N; $bad without root's context: $(grep -vE "$good" "$T/raced.log" | head -n 3)"
	leaked=$(grep -c "uid=0 " "$NB/squat.log" 2>/dev/null)
	[ "${leaked:-0}" = 0 ] ||
		breach "namespaces: the attacker's listener saw root's context $leaked times: $(grep "uid=0 " "$NB/squat.log" | head -n 2)"
	wait_until 10 flows_at "$base" ||
		breach "namespaces: flows -j lists $(nflows) flows after the race, want $base (before it): $(flows_json)"
	echo "attacks: namespaces: root $(outcomes "$T/rootapp.out"); attacker (own user+net ns, same 4-tuples) $(outcomes "$T/nsattack.out"); the root proxy got $got, $bad without root's context; the attacker's listener accepted $(lines "$NB/squat.log"), $leaked with root's context; flows left after: $(nflows)" >&2
fi

end_attacks
