#!/bin/bash
# 1000 concurrent flows through a chain of two lwfp-inspect instances: each
# sends 1 byte to 4 MiB (log-uniform: ~270 KiB on average) to an echo server and gets it
# back byte-exact (sha256) while all 1000 are open at once (both proxies
# then hold at least two sockets per flow); each proxy logs every flow once,
# passed, with its bytes each way and the same token as the other; afterwards
# both proxies are back to their descriptor count at rest.
. "$(dirname "$0")/lib.sh"

INSPECT=$BIN/lwfp-inspect
[ -x "$INSPECT" ] || fail "$INSPECT is missing (run make, or set LWFP_BUILD)"

N=1000
MAXSIZE=4194304 # random sizes from 1 byte to 4 MiB, log-uniform
ECHO_PORT=9000
NOFILE=65536 # asked for the proxies, the server and the client; at least their hard limit

setup_netns
mkcg app inspA inspB
engine_up

# ---- the echo server and the client -----------------------------------------------------------

# load.py HOST PORT N MAXSIZE NOFILE SIZES PID...: N flows at once, of random
# sizes from 1 to MAXSIZE bytes (written to the file SIZES). Each connects,
# sends its random bytes and reads them back, compared by sha256; when the
# last of the N has its echo (all connections still open), the descriptor
# counts of the PIDs are taken, then each flow sends EOF, must read EOF and
# closes. Prints the counts; exit 1 on any failure, with the first few on
# stderr.
cat >"$T/load.py" <<'PY'
import asyncio, hashlib, os, random, resource, sys

host, port, n, maxsize, nofile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sizes_path, pids = sys.argv[6], sys.argv[7:]
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
except (ValueError, OSError):  # without CAP_SYS_RESOURCE: up to the hard limit
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)

def nfds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))

async def main():
    # Log-uniform: every scale from 1 byte to maxsize, without 2 GB of echo.
    sizes = [min(maxsize, int(2 ** random.uniform(0, maxsize.bit_length() - 1))) for _ in range(n)]
    with open(sizes_path, "w") as f:
        f.write(" ".join(map(str, sizes)))
    echoed = 0
    all_echoed = asyncio.Event()
    peak = []

    async def flow(i, size):
        nonlocal echoed
        data = os.urandom(size)
        want = hashlib.sha256(data).digest()
        r, w = await asyncio.open_connection(host, port)
        try:
            w.write(data)
            del data
            h, got = hashlib.sha256(), 0
            while got < size:
                chunk = await r.read(min(1 << 16, size - got))
                if not chunk:
                    raise AssertionError(f"flow {i}: EOF after {got} of {size} bytes")
                h.update(chunk)
                got += len(chunk)
            if h.digest() != want:
                raise AssertionError(f"flow {i}: the echo of {size} bytes differs from what was sent")
            echoed += 1
            if echoed == n:
                # Now, before any flow can go on to send its EOF.
                peak.extend(nfds(p) for p in pids)
                all_echoed.set()
            await all_echoed.wait()
            w.write_eof()
            rest = await r.read()
            if rest:
                raise AssertionError(f"flow {i}: {len(rest)} bytes more than were sent")
        finally:
            w.close()

    tasks = [asyncio.create_task(flow(i, size)) for i, size in enumerate(sizes)]
    try:
        await asyncio.wait_for(all_echoed.wait(), 40)
    except asyncio.TimeoutError:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        errs = [t.exception() for t in tasks if not t.cancelled() and t.exception()]
        print(f"only {echoed} of {n} flows got their echo within 40 s, {len(errs)} failed: "
              f"{errs[:3]!r}", file=sys.stderr)
        sys.exit(1)
    res = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)
    bad = [r for r in res if isinstance(r, BaseException)]
    if bad:
        print(f"{len(bad)} of {n} flows failed: {bad[:3]!r}", file=sys.stderr)
        sys.exit(1)
    print(*peak)

asyncio.run(main())
PY

spawn echo - "$NSP_SRV" "$PY" "$LWFP_ROOT/tests/integration/echo_server.py" "$ECHO_PORT" "$NOFILE"
wait_listen "$NSP_SRV" "$ECHO_PORT"

# ---- the chain ----------------------------------------------------------------------------------

# start_inspect NAME CGSUB LISTEN ARGS...: see test_inspect.sh. Its pid in
# LAST_PID. Each worker must be able to take all N flows (how SO_REUSEPORT
# spreads them is not ours to decide), or the flows cannot all be open at
# once: lwfp-inspect shares its descriptor limit out between its workers.
start_inspect() {
	local name=$1 cg=$2 listen=$3 pid
	shift 3
	: >"$T/$name.log"
	# shellcheck disable=SC2016
	spawn "$name" "$cg" "$NSP_CLI" sh -c 'ulimit -n "$1" 2>/dev/null; shift; exec "$@"' sh "$NOFILE" \
		"$INSPECT" --listen "$listen" --pin-dir "$PIN" --log "$T/$name.log" "$@"
	pid=$LAST_PID
	inspect_ready "$name" "$pid"
	[ "${INSPECT_LIMIT:-0}" -ge "$N" ] ||
		fail "lwfp-inspect $name takes ${INSPECT_LIMIT:-?} flows per worker, fewer than $N (hard RLIMIT_NOFILE $(ulimit -Hn)): $(cat "$T/$name.err")"
	LAST_PID=$pid
}

# Memory back after the flows: the allocator may keep some pages, but not a
# share of every flow (1000 flows x 2 splice pipes x 64 KiB would be 128 MiB).
RSS_SLACK_KIB=16384

start_inspect A inspA 127.0.0.1:15001 --register --dport "$ECHO_PORT" --service loadA --weight 200
PA=$LAST_PID
start_inspect B inspB 127.0.0.1:15002 --register --dport "$ECHO_PORT" --service loadB --weight 100
PB=$LAST_PID

run_load() { # N MAXSIZE: the client in the app cgroup; the peak counts in PEAK
	PEAK=$(run_in app "$PY" "$T/load.py" "$SRV4" "$ECHO_PORT" "$1" "$2" "$NOFILE" "$T/sizes" \
		"$PA" "$PB" 2>"$T/load.err") || fail "$1 flows of up to $2 bytes: $(head -c 1500 "$T/load.err")"
}

# One flow first, so that whatever a proxy opens once for good (caches of
# the engine's maps...) is in the count at rest.
run_load 1 1000
# shellcheck disable=SC2317 # called by wait_until
logged_all() { log_has A "$1" && log_has B "$1"; } # N: both logged N flows
wait_until 10 logged_all 1 || fail "the first flow was not logged by both"
sleep 0.2
baseA=$(nfds "$PA")
baseB=$(nfds "$PB")
rssA=$(rss_kib "$PA")
rssB=$(rss_kib "$PB")

start=$(date +%s)
run_load "$N" "$MAXSIZE"
read -r peakA peakB <<<"$PEAK"
# Every flow open at once holds at least its two sockets in each proxy.
[ "$((peakA < baseA + 2 * N || peakB < baseB + 2 * N))" = 0 ] ||
	fail "with $N flows open, the proxies had $peakA and $peakB descriptors (at rest $baseA and $baseB): not all flows passed both at once"

# Every flow ends, is logged once by each, and gives its descriptors back.
wait_until 20 logged_all $((N + 1)) ||
	fail "logged $(log_lines A) and $(log_lines B) flows, want $((N + 1)) each"
# shellcheck disable=SC2317 # called by wait_until
fds_back() { [ "$(nfds "$PA")" -le $((baseA + 4)) ] && [ "$(nfds "$PB")" -le $((baseB + 4)) ]; }
wait_until 10 fds_back ||
	fail "descriptors after the flows: A $(nfds "$PA") (at rest $baseA), B $(nfds "$PB") (at rest $baseB)"
# shellcheck disable=SC2317 # called by wait_until
rss_back() { [ "$(rss_kib "$PA")" -le $((rssA + RSS_SLACK_KIB)) ] && [ "$(rss_kib "$PB")" -le $((rssB + RSS_SLACK_KIB)) ]; }
wait_until 10 rss_back ||
	fail "memory after the flows: A $(rss_kib "$PA") KiB (at rest $rssA), B $(rss_kib "$PB") KiB (at rest $rssB)"
elapsed=$(($(date +%s) - start))
[ "$elapsed" -le 40 ] || fail "$N flows took $elapsed s"

kill -TERM "$PA" "$PB"
for p in "$PA" "$PB"; do
	wait_exit "$p" 15
	[ "$WAIT_RC" = 0 ] || fail "lwfp-inspect $p exited $WAIT_RC after SIGTERM"
done

"$PY" - "$T/A.log" "$T/B.log" "$T/sizes" "$((N + 1))" >"$T/check.err" 2>&1 <<'PY' || fail "flow logs: $(cat "$T/check.err")"
import json, sys

total = int(sys.argv[4])
sizes = sorted(int(x) for x in open(sys.argv[3]).read().split())
logs = []
for path, chain in ((sys.argv[1], ["loadA"]), (sys.argv[2], ["loadA", "loadB"])):
    lines = [json.loads(l) for l in open(path) if l.strip()]
    assert len(lines) == total, f"{path}: {len(lines)} flows, want {total}"
    for o in lines[1:]:
        assert o["verdict"] == "pass" and o["chain"] == chain and o["comm"] == "python3" and \
            o["bytes_up"] == o["bytes_down"] and o["orig_dst"].endswith(":9000"), f"{path}: {o}"
    got = sorted(o["bytes_up"] for o in lines[1:])
    assert got == sizes, f"{path}: the bytes of the flows are not the sizes sent " \
        f"({sum(got)} bytes logged, {sum(sizes)} sent)"
    logs.append([o["token"] for o in lines])
a, b = logs
assert len(set(a)) == total, f"{total - len(set(a))} tokens repeat in {sys.argv[1]}"
assert set(a) == set(b), f"{len(set(a) ^ set(b))} tokens are in one log only"
PY

pass
