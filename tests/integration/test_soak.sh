#!/bin/bash
# The soak of issue 8: SOAK_FLOWS concurrent flows (default 1,000; `make
# soak`: 10,000) carrying SOAK_BYTES in all (default 64 MiB; `make soak`:
# 1 GiB) through a two-hop chain of lwfp-inspect, every flow's bytes checked
# by sha256 end to end, then every proxy back to its descriptor count and,
# within SOAK_RSS_SLACK_KIB, its memory at rest.
#
# One lwfp-inspect process takes about 3,300 flows under the hard
# RLIMIT_NOFILE of 20,000 (6 descriptors a flow: two sockets and two splice
# pipes), so each hop is K instances (K = ceil(SOAK_FLOWS / 2500), at least
# 2), one worker each: instance i of hop A and of hop B register a filter
# for echo port 9000+i, and flow g goes to port 9000 + g % K. K echo servers
# (one per port) and K client processes share the flows the same way.
#
# The client processes first open all their flows and wait; once every
# proxy holds two sockets per flow of its port (all SOAK_FLOWS flows open at
# once through both hops), they send, each flow its own pseudo-random bytes,
# and read the echo back; then each flow half-closes, reads EOF and closes.
# Each proxy must log every flow once, passed, with the bytes that were sent
# each way, and both hops the same tokens.
#
# LWFP_FIGURES=1 prints the figures: flows, bytes, seconds, descriptors and
# RSS of each proxy at rest, at the peak and after.
. "$(dirname "$0")/lib.sh"

INSPECT=$BIN/lwfp-inspect
[ -x "$INSPECT" ] || fail "$INSPECT is missing (run make, or set LWFP_BUILD)"

N=${SOAK_FLOWS:-1000}
BYTES=${SOAK_BYTES:-67108864}
PER_INSTANCE=2500
K=$(((N + PER_INSTANCE - 1) / PER_INSTANCE))
[ "$K" -ge 2 ] || K=2
BASE_PORT=9000
NOFILE=20000 # asked for every process; the hard limit if lower
# Memory back after the flows: the allocator (ASan's quarantine included)
# may keep some pages, but not a share of every flow.
RSS_SLACK_KIB=${SOAK_RSS_SLACK_KIB:-16384}
# Seconds the transfer may take before the test gives up.
DEADLINE=${SOAK_DEADLINE:-$((60 + BYTES / 4194304))}
if [ "$N" -lt "$K" ] || [ "$BYTES" -lt "$N" ]; then
	fail "SOAK_FLOWS=$N SOAK_BYTES=$BYTES: want at least $K flows and a byte a flow"
fi

setup_netns
mkcg app
engine_up

# ---- the echo servers and the client ----------------------------------------------------

# soak.py HOST BASEPORT K FIRST COUNT SIZES READY GO NOFILE: flows FIRST ..
# FIRST+COUNT-1 of the sizes in the file SIZES (one a line), flow g to port
# BASEPORT + g % K. All connect (at most 256 connects under way at once),
# then READY is created and the flows wait for the file GO. Each then sends
# its bytes (random.Random(g), in 64 KiB pieces, hashed as they go) while it
# reads the echo, compares the sha256, half-closes, must read EOF, closes.
# Prints "flows BYTES" on success; exit 1 with the first failures on stderr.
cat >"$T/soak.py" <<'PY'
import asyncio, hashlib, os, random, resource, sys

host, base, k, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sizes_path, ready, go, nofile = sys.argv[6], sys.argv[7], sys.argv[8], int(sys.argv[9])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))
with open(sizes_path) as f:
    sizes = [int(x) for x in f.read().split()][first:first + count]
CHUNK = 1 << 16

async def connect(g, sem):
    async with sem:
        return await asyncio.wait_for(asyncio.open_connection(host, base + g % k), 30)

async def send(g, size, w):
    rnd, h, left = random.Random(g), hashlib.sha256(), size
    while left:
        piece = rnd.randbytes(min(CHUNK, left))
        h.update(piece)
        w.write(piece)
        left -= len(piece)
        await w.drain()
    return h.digest()

async def flow(g, size, r, w):
    try:
        sender = asyncio.create_task(send(g, size, w))
        h, got = hashlib.sha256(), 0
        while got < size:
            chunk = await r.read(min(CHUNK, size - got))
            if not chunk:
                raise AssertionError(f"flow {g}: EOF after {got} of {size} bytes")
            h.update(chunk)
            got += len(chunk)
        if h.digest() != await sender:
            raise AssertionError(f"flow {g}: the echo of {size} bytes differs from what was sent")
        w.write_eof()
        rest = await r.read()
        if rest:
            raise AssertionError(f"flow {g}: {len(rest)} bytes more than were sent")
        return size
    finally:
        w.close()

async def main():
    sem = asyncio.Semaphore(256)
    conns = await asyncio.gather(*(connect(first + i, sem) for i in range(count)), return_exceptions=True)
    bad = [c for c in conns if isinstance(c, BaseException)]
    if bad:
        print(f"{len(bad)} of {count} connects failed: {bad[:3]!r}", file=sys.stderr)
        sys.exit(1)
    open(ready, "w").close()
    while not os.path.exists(go):
        await asyncio.sleep(0.05)
    res = await asyncio.gather(*(flow(first + i, sizes[i], *conns[i]) for i in range(count)),
                               return_exceptions=True)
    bad = [r for r in res if isinstance(r, BaseException)]
    if bad:
        print(f"{len(bad)} of {count} flows failed: {bad[:3]!r}", file=sys.stderr)
        sys.exit(1)
    print(count, sum(res))

asyncio.run(main())
PY

# The sizes: log-uniform weights (every scale from a byte to a few MiB),
# scaled so that they add up to BYTES exactly, at least 1 byte each.
"$PY" - "$N" "$BYTES" >"$T/sizes" <<'PY' || fail "cannot draw the flow sizes"
import random, sys
n, total = int(sys.argv[1]), int(sys.argv[2])
w = [2 ** random.uniform(0, 12) for _ in range(n)]
scale = (total - n) / sum(w)
sizes = [1 + int(x * scale) for x in w]
for i in range(total - sum(sizes)):
    sizes[i % n] += 1
assert sum(sizes) == total and min(sizes) >= 1
print("\n".join(map(str, sizes)))
PY
printf '1\n%.0s' $(seq 1 "$K") >"$T/warm-sizes"

ECHO_PIDS=()
for ((i = 0; i < K; i++)); do
	spawn "echo$i" - "$NSP_SRV" "$PY" "$LWFP_ROOT/tests/integration/echo_server.py" "$((BASE_PORT + i))" "$NOFILE"
	ECHO_PIDS+=("$LAST_PID")
done
for ((i = 0; i < K; i++)); do
	wait_listen "$NSP_SRV" "$((BASE_PORT + i))"
done

# ---- the chain: K instances per hop ----------------------------------------------------------


# start_inspect NAME LISTEN ARGS...: one worker, in $CG/NAME; its pid in LAST_PID.
start_inspect() {
	local name=$1 listen=$2 pid
	shift 2
	: >"$T/$name.log"
	# shellcheck disable=SC2016
	spawn "$name" "$name" "$NSP_CLI" sh -c 'ulimit -n "$1" 2>/dev/null; shift; exec "$@"' sh "$NOFILE" \
		"$INSPECT" --listen "$listen" --pin-dir "$PIN" --log "$T/$name.log" --workers 1 "$@"
	pid=$LAST_PID
	inspect_ready "$name" "$pid"
	[ "${INSPECT_LIMIT:-0}" -ge "$((N / K + 1))" ] ||
		fail "lwfp-inspect $name takes ${INSPECT_LIMIT:-?} flows, fewer than $((N / K + 1)) (hard RLIMIT_NOFILE $(ulimit -Hn))"
	LAST_PID=$pid
}

declare -A P=() NF=() # P[A0]: pid; NF[A0]: flows of its port
PROXIES=()
for ((i = 0; i < K; i++)); do
	NF[A$i]=$((N / K + (i < N % K)))
	NF[B$i]=${NF[A$i]}
	start_inspect "A$i" "127.0.0.1:$((15100 + i))" --register --dport "$((BASE_PORT + i))" \
		--service "soakA$i" --weight 200
	P[A$i]=$LAST_PID
	start_inspect "B$i" "127.0.0.1:$((15200 + i))" --register --dport "$((BASE_PORT + i))" \
		--service "soakB$i" --weight 100
	P[B$i]=$LAST_PID
	PROXIES+=("A$i" "B$i")
done

# run_clients TAG SIZES COUNT GO: K clients share flows 0..COUNT-1 (client c
# takes a contiguous slice); with GO already there they do not wait. Their
# pids in CLIENTS.
run_clients() {
	local tag=$1 sizes=$2 count=$3 go=$4 c first n
	CLIENTS=()
	for ((c = 0; c < K; c++)); do
		first=$((count * c / K))
		n=$((count * (c + 1) / K - first))
		spawn "$tag$c" app "$NSP_CLI" "$PY" "$T/soak.py" "$SRV4" "$BASE_PORT" "$K" "$first" "$n" \
			"$sizes" "$T/$tag$c.ready" "$go" "$NOFILE"
		CLIENTS+=("$LAST_PID")
	done
}

# wait_clients TAG SECONDS: every client exited 0; the flows and bytes they
# checked are added up in DONE_FLOWS and DONE_BYTES.
wait_clients() {
	local tag=$1 secs=$2 c f b
	DONE_FLOWS=0
	DONE_BYTES=0
	for ((c = 0; c < K; c++)); do
		wait_exit "${CLIENTS[c]}" "$secs"
		[ "$WAIT_RC" = 0 ] || fail "client $tag$c: $(head -c 1500 "$T/$tag$c.err")"
		read -r f b <"$T/$tag$c.out" || fail "client $tag$c printed nothing"
		DONE_FLOWS=$((DONE_FLOWS + f))
		DONE_BYTES=$((DONE_BYTES + b))
	done
}

# logged_all N: every proxy logged N flows of its own port.
logged_all() {
	local p
	for p in "${PROXIES[@]}"; do
		log_has "$p" "$(($1 == 1 ? 1 : NF[$p] + 1))" || return 1
	done
}

# One flow per port first, so that whatever a proxy opens once for good
# (caches of the engine's maps...) is in the count at rest.
: >"$T/go-now"
run_clients warm "$T/warm-sizes" "$K" "$T/go-now"
wait_clients warm 30
wait_until 10 logged_all 1 || fail "the first flows were not logged by every proxy"
sleep 0.3
declare -A BASE_FD=() BASE_RSS=() PEAK_FD=() PEAK_RSS=()
for p in "${PROXIES[@]}"; do
	BASE_FD[$p]=$(nfds "${P[$p]}")
	BASE_RSS[$p]=$(rss_kib "${P[$p]}")
done

# ---- the soak ---------------------------------------------------------------------------------

start=$(date +%s%N)
run_clients soak "$T/sizes" "$N" "$T/go"
for ((c = 0; c < K; c++)); do
	wait_until 120 test -e "$T/soak$c.ready" ||
		fail "client soak$c did not open its flows within 120 s: $(head -c 1500 "$T/soak$c.err")"
done
# All N flows open at once: each proxy holds two sockets per flow of its port.
all_open() {
	local p
	for p in "${PROXIES[@]}"; do
		[ "$(nfds "${P[$p]}")" -ge $((BASE_FD[$p] + 2 * NF[$p])) ] || return 1
	done
}
wait_until 60 all_open || {
	for p in "${PROXIES[@]}"; do
		echo "$p: $(nfds "${P[$p]}") descriptors, at rest ${BASE_FD[$p]}, ${NF[$p]} flows" >&3
	done
	fail "the $N flows were not all open through both hops at once"
}
for p in "${PROXIES[@]}"; do
	PEAK_FD[$p]=$(nfds "${P[$p]}")
	PEAK_RSS[$p]=$(rss_kib "${P[$p]}")
done
open_s=$((($(date +%s%N) - start) / 1000000))
: >"$T/go"
wait_clients soak "$DEADLINE"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$DONE_FLOWS" = "$N" ] || fail "the clients checked $DONE_FLOWS flows, want $N"
[ "$DONE_BYTES" = "$BYTES" ] || fail "the clients checked $DONE_BYTES bytes, want $BYTES"

# Every flow ends, is logged once by each hop, and gives back its
# descriptors and memory.
wait_until 30 logged_all $((N + 1)) || fail "not every flow was logged: $(for p in "${PROXIES[@]}"; do
	printf '%s %s/%s ' "$p" "$(log_lines "$p")" "$((NF[$p] + 1))"
done)"
fds_back() {
	local p
	for p in "${PROXIES[@]}"; do
		[ "$(nfds "${P[$p]}")" -le $((BASE_FD[$p] + 4)) ] || return 1
	done
}
rss_back() {
	local p
	for p in "${PROXIES[@]}"; do
		[ "$(rss_kib "${P[$p]}")" -le $((BASE_RSS[$p] + RSS_SLACK_KIB)) ] || return 1
	done
}
report() {
	local p
	for p in "${PROXIES[@]}"; do
		printf '%s: %s flows; descriptors %s at rest, %s at the peak, %s after; RSS %s KiB at rest, %s at the peak, %s after\n' \
			"$p" "${NF[$p]}" "${BASE_FD[$p]}" "${PEAK_FD[$p]}" "$(nfds "${P[$p]}")" \
			"${BASE_RSS[$p]}" "${PEAK_RSS[$p]}" "$(rss_kib "${P[$p]}")"
	done
}
wait_until 15 fds_back || fail "descriptors not back after the flows: $(report)"
wait_until 15 rss_back || fail "memory not back (slack $RSS_SLACK_KIB KiB) after the flows: $(report)"
[ "${LWFP_FIGURES:-0}" = 1 ] && {
	echo "soak: $N flows, $BYTES bytes each way checked by sha256, 0 lost; $K instances per hop; all open after ${open_s} ms, done after ${elapsed_ms} ms"
	report
}
report >"$T/report.txt"

for p in "${PROXIES[@]}"; do
	kill -TERM "${P[$p]}"
done
for p in "${PROXIES[@]}"; do
	wait_exit "${P[$p]}" 15
	[ "$WAIT_RC" = 0 ] || fail "lwfp-inspect $p exited $WAIT_RC after SIGTERM"
done

# The logs: per port, hop A saw chain [soakAi], hop B [soakAi, soakBi],
# every flow passed with as many bytes each way, the bytes of each hop add
# up to BYTES (plus the warm-up byte of each port), and the tokens match.
"$PY" - "$T" "$K" "$BYTES" >"$T/check.err" 2>&1 <<'PY' || fail "flow logs: $(cat "$T/check.err")"
import json, sys

t, k, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for hop in "AB":
    tokens, up = {}, 0
    for i in range(k):
        chain = [f"soakA{i}"] + ([f"soakB{i}"] if hop == "B" else [])
        for l in open(f"{t}/{hop}{i}.log"):
            o = json.loads(l)
            assert o["verdict"] == "pass" and o["chain"] == chain and o["comm"] == "python3" and \
                o["bytes_up"] == o["bytes_down"] and o["orig_dst"].endswith(f":{9000 + i}"), f"{hop}{i}: {o}"
            assert o["token"] not in tokens, f"{hop}{i}: token {o['token']} logged twice"
            tokens[o["token"]] = i
            up += o["bytes_up"]
    assert up == total + k, f"hop {hop}: {up} bytes logged, want {total + k}"
    if hop == "A":
        a = tokens
    else:
        assert a == tokens, f"{len(set(a) ^ set(tokens))} tokens are in one hop's logs only"
PY

pass
