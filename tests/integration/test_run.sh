#!/bin/bash
# lwfpctl run --via: CMD runs in a transient cgroup below the engine's, its
# connections pass the named services in order, its exit status comes back,
# two runs at once do not see each other's traffic, and everything run added
# is gone afterwards, also when run is stopped with SIGTERM.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg svcA svcB
URL=http://$SRV4:$HTTP_PORT/f0.bin

service_add HA runA --cgroup "$CG/svcA"
service_add HB runB --cgroup "$CG/svcB"
start_relay A svcA 127.0.0.1:15001
start_relay B svcB 127.0.0.1:15002
# Filters that match nothing by themselves: only run's scoped filters redirect.
filter_add FA --service runA --to 127.0.0.1:15001 --dport 1
filter_add FB --service runB --to 127.0.0.1:15002 --dport 1

run_ctl() { # ARGS...: lwfpctl run in the client netns, outside the engine's cgroup
	nsenter --net="$NSP_CLI" "$LWFPCTL" run --pin-dir "$PIN" "$@"
}
leftovers() { # lwfp-run-* cgroups and filters beyond the two above; prints them
	local out
	ls -d "$CG"/lwfp-run-* 2>/dev/null
	# Not ctl: its fail would only leave this $(...) subshell.
	out=$("$LWFPCTL" filter list -j --pin-dir "$PIN" 2>&1) || { echo "filter list failed: $out"; return; }
	[ "$(echo "$out" | grep -o '"id":' | wc -l)" = 2 ] || echo "filters: $out"
}

# A chain of two, in the order given, and the exit status of CMD.
run_ctl --via runA --via runB -- sh -c "curl -sS -o '$T/run.bin' '$URL'; exit 7" 2>"$T/run.err"
rc=$?
[ "$rc" = 7 ] || fail "run exited $rc, want CMD's 7: $(cat "$T/run.err")"
[ "$(sha256sum <"$T/run.bin" | cut -d' ' -f1)" = "${SUM[f0.bin]}" ] || fail "run: wrong body"
expect_log_lines A 1
expect_log_lines B 1
expect_log B 1 nhops=2
[ -z "$(leftovers)" ] || fail "run left behind: $(leftovers)"

# Two runs at once, each through its own service.
run_ctl --via runA -- sh -c "sleep 0.5; curl -sS -o '$T/r1.bin' '$URL'" 2>"$T/r1.err" &
r1=$!
run_ctl --via runB -- sh -c "sleep 0.5; curl -sS -o '$T/r2.bin' '$URL'" 2>"$T/r2.err" &
r2=$!
wait "$r1" || fail "first concurrent run failed: $(cat "$T/r1.err")"
wait "$r2" || fail "second concurrent run failed: $(cat "$T/r2.err")"
expect_log_lines A 2
expect_log_lines B 2
expect_log A 2 nhops=1
expect_log B 2 nhops=1
[ -z "$(leftovers)" ] || fail "concurrent runs left behind: $(leftovers)"

# SIGTERM while CMD runs: CMD is stopped, and run still cleans up.
# (not through run_ctl: $! must be lwfpctl itself, which nsenter becomes)
nsenter --net="$NSP_CLI" "$LWFPCTL" run --pin-dir "$PIN" --via runA -- sleep 30 2>"$T/r3.err" &
r3=$!
# CMD has started once `sleep` runs in the cmd cgroup: the cgroup alone is
# made during set-up, and SIGTERM then is a set-up interruption (125).
cmd_running() {
	local p
	for p in $(cat "$CG"/lwfp-run-*/cmd/cgroup.procs 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && return 0
	done
	return 1
}
wait_until 10 cmd_running || fail "run did not start CMD"
kill -TERM "$r3"
wait_until 10 dead "$r3" || fail "run did not stop on SIGTERM"
wait "$r3"
rc=$?
[ "$rc" = 143 ] || fail "run stopped by SIGTERM exited $rc, want 143 (CMD killed by SIGTERM)"
[ -z "$(leftovers)" ] || fail "SIGTERM left behind: $(leftovers)"

# Bad input: one line, non-zero.
run_ctl --via nosuch -- true 2>"$T/bad.err" && fail "run --via nosuch succeeded"
[ "$(grep -c '' "$T/bad.err")" = 1 ] || fail "run --via nosuch: $(cat "$T/bad.err")"
run_ctl 2>"$T/bad.err" && fail "run without CMD succeeded"
[ -z "$(leftovers)" ] || fail "failed runs left behind: $(leftovers)"
pass
