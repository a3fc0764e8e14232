#!/bin/bash
# Fault tests (issue 8), with lwfp-inspect as a service configured with
# lwfpctl (so that the filter, and its fail mode, outlive the proxy):
#   (a) lwfp-inspect is killed with SIGKILL while 500 flows through it are
#       mid-transfer with an echo server: every flow ends with EOF or a
#       reset within seconds, none hangs; new connects then follow the
#       filter's fail mode (closed: ECONNREFUSED and nothing reaches the
#       server; open: straight to the server); once the clients have
#       closed, `lwfpctl flows -j` is empty;
#   (b) with 50 flows streaming through a new lwfp-inspect: `lwfpctl up` run
#       again changes nothing (services, filters, flows) and the flows keep
#       flowing; then an engine upgrade, `lwfpctl down` and `lwfpctl up`
#       again: the flows keep flowing through it all; between the two a new
#       connect is not redirected (the window documented in
#       docs/security.md); after `up` the services and filters are gone
#       until added again, and once lwfp-inspect registers its listeners
#       again (SIGHUP), new connects are redirected again;
#   (c) one flow whose server never reads (its socket buffers fill up in
#       the proxy) does not stall 20 other flows through the same
#       single-worker lwfp-inspect.
. "$(dirname "$0")/lib.sh"

INSPECT=$BIN/lwfp-inspect
[ -x "$INSPECT" ] || fail "$INSPECT is missing (run make, or set LWFP_BUILD)"
ECHO_PORT=9000
SINK_PORT=9001
NOFILE=65536
N_KILL=500

setup_netns
mkcg app insp
engine_up

# The client. Modes:
#   kill HOST PORT N READY: N flows that echo 4 KiB chunks without end; when
#     every one has its first echo, the file READY appears; each flow then
#     runs until EOF or an error. A flow without a byte for 15 s hangs.
#     Prints "eof=E reset=R hang=H"; exit 1 unless E + R == N.
#   steady HOST PORT N PROGRESS STOP: N flows that echo 4 KiB chunks (checked
#     byte for byte) until the file STOP appears, then close cleanly. The
#     bytes echoed so far go to PROGRESS every 0.1 s. Exit 1 on any error.
#   stall HOST PORT SINKPORT N: one flow pushes 64 MiB at SINKPORT (never
#     read); once it is stuck, N flows echo 1 MiB each at PORT, all within
#     20 s. Prints the stuck flow's bytes written and the time taken.
cat >"$T/client.py" <<'PY'
import asyncio, os, resource, sys, time
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
except (ValueError, OSError):
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
CHUNK = 4096

async def echo_once(r, w, data):
    w.write(data)
    await w.drain()
    got = await asyncio.wait_for(r.readexactly(len(data)), 15)
    if got != data:
        raise AssertionError("echo differs")
    return len(got)

async def kill_mode(n, ready):
    first, outcome = 0, {"eof": 0, "reset": 0, "hang": 0}
    all_first = asyncio.Event()
    async def flow():
        nonlocal first
        r, w = await asyncio.open_connection(host, port)
        data = os.urandom(CHUNK)
        await echo_once(r, w, data)
        first += 1
        if first == n:
            open(ready, "w").close()
            all_first.set()
        try:
            while True:
                await echo_once(r, w, data)
                await asyncio.sleep(0.01)
        except asyncio.IncompleteReadError:
            outcome["eof"] += 1
        except (ConnectionError, BrokenPipeError, OSError):
            outcome["reset"] += 1
        except asyncio.TimeoutError:
            outcome["hang"] += 1
        finally:
            w.close()
    tasks = [asyncio.create_task(flow()) for _ in range(n)]
    try:
        await asyncio.wait_for(all_first.wait(), 30)
    except asyncio.TimeoutError:
        sys.exit(f"only {first} of {n} flows got going within 30 s")
    res = await asyncio.gather(*tasks, return_exceptions=True)
    bad = [x for x in res if isinstance(x, BaseException)]
    print(" ".join(f"{k}={v}" for k, v in outcome.items()))
    if bad or outcome["eof"] + outcome["reset"] != n:
        sys.exit(f"{len(bad)} flows failed otherwise: {bad[:3]!r}")

async def steady_mode(n, progress, stop):
    total = 0
    async def flow():
        nonlocal total
        r, w = await asyncio.open_connection(host, port)
        data = os.urandom(CHUNK)
        while not os.path.exists(stop):
            total += await echo_once(r, w, data)
            await asyncio.sleep(0.005)
        w.write_eof()
        if await asyncio.wait_for(r.read(), 15):
            raise AssertionError("bytes after EOF")
        w.close()
    async def report():
        while not os.path.exists(stop):
            with open(progress + ".tmp", "w") as f:
                f.write(str(total))
            os.replace(progress + ".tmp", progress)
            await asyncio.sleep(0.1)
    tasks = [asyncio.create_task(flow()) for _ in range(n)]
    rep = asyncio.create_task(report())
    res = await asyncio.gather(*tasks, return_exceptions=True)
    rep.cancel()
    bad = [x for x in res if isinstance(x, BaseException)]
    if bad:
        sys.exit(f"{len(bad)} of {n} steady flows failed: {bad[:3]!r}")
    print(f"steady: {total} bytes echoed")

async def stall_mode(sink_port, n):
    r0, w0 = await asyncio.open_connection(host, sink_port)
    block, written = os.urandom(1 << 16), 0
    async def push():
        nonlocal written
        for _ in range(1024):
            w0.write(block)
            await w0.drain()
            written += len(block)
    pusher = asyncio.create_task(push())
    last, t = -1, time.monotonic()
    while written != last:  # stuck: no progress for 1 s
        last = written
        await asyncio.sleep(1)
        if time.monotonic() - t > 20 or pusher.done():
            sys.exit(f"the never-read flow did not get stuck ({written} bytes written)")
    async def flow():
        r, w = await asyncio.open_connection(host, port)
        data, got = os.urandom(1 << 20), 0
        w.write(data)
        await w.drain()
        got = await asyncio.wait_for(r.readexactly(len(data)), 20)
        if got != data:
            raise AssertionError("echo differs")
        w.close()
    t = time.monotonic()
    res = await asyncio.gather(*[flow() for _ in range(n)], return_exceptions=True)
    bad = [x for x in res if isinstance(x, BaseException)]
    if bad:
        sys.exit(f"{len(bad)} of {n} flows failed beside the stuck one: {bad[:3]!r}")
    if pusher.done():
        sys.exit("the never-read flow got unstuck")
    print(f"stall: stuck flow at {written} bytes, {n} flows of 1 MiB in {time.monotonic() - t:.2f} s")
    pusher.cancel()
    w0.close()

if mode == "kill":
    asyncio.run(kill_mode(int(sys.argv[4]), sys.argv[5]))
elif mode == "steady":
    asyncio.run(steady_mode(int(sys.argv[4]), sys.argv[5], sys.argv[6]))
elif mode == "stall":
    asyncio.run(stall_mode(int(sys.argv[4]), int(sys.argv[5])))
PY

spawn servers - "$NSP_SRV" "$PY" "$LWFP_ROOT/tests/integration/echo_server.py" "$ECHO_PORT" "$NOFILE" "$SINK_PORT"
wait_listen "$NSP_SRV" "$ECHO_PORT"
wait_listen "$NSP_SRV" "$SINK_PORT"

# start_inspect NAME ARGS...: lwfp-inspect in $CG/insp as the configured
# service "insp", on 127.0.0.1:15001; its pid in LAST_PID.
start_inspect() {
	local name=$1 pid
	shift
	: >"$T/$name.log"
	# shellcheck disable=SC2016
	spawn "$name" insp "$NSP_CLI" sh -c 'ulimit -n "$1" 2>/dev/null; shift; exec "$@"' sh "$NOFILE" \
		"$INSPECT" --listen 127.0.0.1:15001 --service insp --pin-dir "$PIN" --log "$T/$name.log" "$@"
	pid=$LAST_PID
	if ! wait_until 10 grep -q 'flow limit' "$T/$name.err"; then
		alive "$pid" || fail "lwfp-inspect $name exited at start: $(cat "$T/$name.err")"
		fail "lwfp-inspect $name did not start within 10 s: $(cat "$T/$name.err")"
	fi
	wait_listen "$NSP_CLI" 15001
	LAST_PID=$pid
}

configure() { # FAIL: the service and its filter for both server ports
	service_add HI insp --cgroup "$CG/insp"
	filter_add FI --service insp --to 127.0.0.1:15001 --proto tcp --family 4 --dst "$SRV4/32" \
		--dport "$ECHO_PORT-$SINK_PORT" --fail "$1"
}
configure closed

# ---- (a) SIGKILL during 500 live flows ------------------------------------------------------

start_inspect K
kpid=$LAST_PID
spawn kill app "$NSP_CLI" "$PY" "$T/client.py" kill "$SRV4" "$ECHO_PORT" "$N_KILL" "$T/kill.ready"
kcli=$LAST_PID
wait_until 40 test -e "$T/kill.ready" || fail "the $N_KILL flows did not get going: $(cat "$T/kill.err")"
n=$(nflows) || fail "lwfpctl flows -j failed"
[ "$n" -ge "$N_KILL" ] || fail "lwfpctl flows -j lists $n flows with $N_KILL live"
t0=$(date +%s%N)
{
	kill -KILL "$kpid"
	wait "$kpid"
} 2>/dev/null
wait_exit "$kcli" 30
[ "$WAIT_RC" = 0 ] || fail "after SIGKILL of the proxy: $(cat "$T/kill.out" "$T/kill.err")"
ended_ms=$((($(date +%s%N) - t0) / 1000000))
wait_until 10 flows_empty || fail "flows -j still lists $(nflows) flow(s) after the killed flows closed"
echo "faults: SIGKILL with $N_KILL live flows: $(cat "$T/kill.out"), all ended in ${ended_ms} ms, flows -j empty" >"$T/figures.log"

# New connects, fail closed: refused, and nothing reaches the server.
before=$(grep -c '' "$T/servers.err")
run_in app "$NATIVE" peername --connect "$SRV4:$ECHO_PORT" >"$T/refused.out" 2>&1 &&
	fail "fail closed after SIGKILL: connect succeeded: $(cat "$T/refused.out")"
grep -q ": ECONNREFUSED " "$T/refused.out" || fail "fail closed after SIGKILL: $(cat "$T/refused.out")"
# Fail open: straight to the echo server.
ctl filter del "$FI"
filter_add FI --service insp --to 127.0.0.1:15001 --proto tcp --family 4 --dst "$SRV4/32" \
	--dport "$ECHO_PORT-$SINK_PORT" --fail open
run_in app "$PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(b"direct")
s.shutdown(socket.SHUT_WR)
got = b""
while chunk := s.recv(100):
    got += chunk
sys.exit(0 if got == b"direct" else f"echo {got!r}")' "$SRV4" "$ECHO_PORT" >"$T/open.out" 2>&1 ||
	fail "fail open after SIGKILL: $(cat "$T/open.out")"
[ "$(grep -c '' "$T/servers.err")" = "$before" ] || fail "the servers logged: $(tail -n 3 "$T/servers.err")"
wait_until 10 flows_empty || fail "flows -j lists $(nflows) flow(s) after a fail-open connect"
ctl filter del "$FI"
filter_add FI --service insp --to 127.0.0.1:15001 --proto tcp --family 4 --dst "$SRV4/32" \
	--dport "$ECHO_PORT-$SINK_PORT" --fail closed

# ---- (b) `up` again, and down + up, during live flows ------------------------------------------

start_inspect U
upid=$LAST_PID
spawn steady app "$NSP_CLI" "$PY" "$T/client.py" steady "$SRV4" "$ECHO_PORT" 50 "$T/progress" "$T/stop"
scli=$LAST_PID
progress() { cat "$T/progress" 2>/dev/null || echo 0; }
flowing() { # WHAT: the 50 flows echo another MiB within 10 s
	local p0 p1 i
	p0=$(progress)
	for i in $(seq 1 100); do
		p1=$(progress)
		[ "$p1" -ge $((p0 + 1048576)) ] && return 0
		alive "$scli" || fail "$1: the steady client died: $(cat "$T/steady.err")"
		sleep 0.1
	done
	fail "$1: the 50 flows stalled (echoed $p0 -> $p1 bytes in 10 s)"
}
wait_until 20 test -s "$T/progress" || fail "the steady client did not start: $(cat "$T/steady.err")"
flowing "before"
[ "$(nflows)" -ge 50 ] || fail "flows -j lists $(nflows) flows with 50 live"

ctl service list -j
svc0=$CTL_OUT
ctl filter list -j
flt0=$CTL_OUT
nf0=$(nflows)
ctl up --cgroup "$CG"
ctl service list -j
[ "$CTL_OUT" = "$svc0" ] || fail "up again changed the services: $svc0 -> $CTL_OUT"
ctl filter list -j
[ "$CTL_OUT" = "$flt0" ] || fail "up again changed the filters: $flt0 -> $CTL_OUT"
[ "$(nflows)" = "$nf0" ] || fail "up again: flows -j lists $(nflows) flows, $nf0 before"
flowing "after up again"

# The upgrade: down, then up with the same build.
ctl down
flowing "after down"
# The window: a new connect is not redirected (it reaches the server
# directly, and the proxy logs nothing).
nlog=$(log_lines U)
run_in app "$NATIVE" peername --connect "$SRV4:$ECHO_PORT" >"$T/window.out" 2>&1 ||
	fail "connect with the engine down: $(cat "$T/window.out")"
ctl up --cgroup "$CG"
flowing "after down and up"
ctl service list -j
[ "$CTL_OUT" = "[]" ] || fail "after down and up, services are listed: $CTL_OUT"
ctl filter list -j
[ "$CTL_OUT" = "[]" ] || fail "after down and up, filters are listed: $CTL_OUT"
configure closed
# The new engine knows no listener: the proxy registers its own again on SIGHUP.
kill -HUP "$upid"
wait_until 10 grep -q "listeners registered with service insp" "$T/U.err" ||
	fail "lwfp-inspect did not register its listeners again on SIGHUP: $(tail -n 3 "$T/U.err")"
# New connects are redirected again, through the same running proxy.
run_in app "$PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.settimeout(10)
s.sendall(b"again")
s.shutdown(socket.SHUT_WR)
got = b""
while chunk := s.recv(100):
    got += chunk
sys.exit(0 if got == b"again" else f"echo {got!r}")' "$SRV4" "$ECHO_PORT" >"$T/again.out" 2>&1 ||
	fail "a new flow after the upgrade: $(cat "$T/again.out")"
wait_until 10 log_has U $((nlog + 1)) || fail "the flow after the upgrade was not redirected to lwfp-inspect"
sleep 0.3
[ "$(log_lines U)" = $((nlog + 1)) ] ||
	fail "lwfp-inspect logged $(($(log_lines U) - nlog)) flows since the engine went down, want 1 (the window's connect must not be redirected)"
flowing "at the end"
touch "$T/stop"
wait_exit "$scli" 30
[ "$WAIT_RC" = 0 ] || fail "the steady flows: $(cat "$T/steady.err")"
wait_until 10 flows_empty || fail "flows -j lists $(nflows) flow(s) after the steady flows closed"
echo "faults: up again, and down + up, under 50 live flows: $(cat "$T/steady.out"), no flow broken" >>"$T/figures.log"

# ---- (c) a flow whose server never reads ------------------------------------------------------

kill -TERM "$upid"
wait_exit "$upid" 15
start_inspect S --workers 1
run_in app "$PY" "$T/client.py" stall "$SRV4" "$ECHO_PORT" "$SINK_PORT" 20 >"$T/stall.out" 2>"$T/stall.err" ||
	fail "a never-read flow: $(cat "$T/stall.err")"
echo "faults: $(cat "$T/stall.out")" >>"$T/figures.log"

[ -n "${LWFP_FIGURES:-}" ] && cat "$T/figures.log" >&3
pass
