#!/bin/bash
# bench/run.sh [--quick]: the benchmarks of issue 7 (`make bench`, `make bench-quick`).
#
# Every variant runs in a network namespace of its own (lwfpb-NAME-PID), with
# its server on a 198.18.0.0/15 address on that namespace's loopback. One
# engine, pinned at /sys/fs/bpf/lwfp-b-PID, is attached to the cgroup
# <cgroup2>/lwfp-b-PID/eng; the lwfp variants' clients and proxies run in its
# children, everything else in <cgroup2>/lwfp-b-PID/plain (never the root).
# A trap removes processes, cgroups, the pin directory, the namespaces and the
# scratch directory, and restores kernel.bpf_stats_enabled.
#
# Phases, each repeated and interleaved (medians are reported):
#   1. interception: (a) direct, (b) plain proxy, (c) lwfp redirect,
#      (d) iptables nat REDIRECT: conn/s, p50/p99 connect-to-first-byte
#   2. relay: lwfp-inspect (with and without --offload), haproxy, socat; 1 hop
#      and a 3-hop lwfp chain; 1 and 16 streams; and direct, without a proxy:
#      GiB/s and proxy CPU seconds per GiB; then bench/sockmap_probe.sh
#      (the application's socket in a socket map, what would close the
#      offload targets)
#   3. memory: 10,000 (and, in full mode, 100,000) idle redirected flows
#   4. classifier: (c) with 1, 100, 1000 and 10,000 non-matching filters
#      above the matching one (one in CLS_HOST_EVERY a --host filter),
#      levels interleaved in each round
# Output: a table on stdout, bench/results.json, docs/performance.md.
# LWFP_BENCH_PHASES="1 3" runs only those phases; its report goes to
# build/bench/performance-partial.md and results-partial.json instead.
# LWFP_BENCH_TP_BYTES=N moves N bytes per relay run instead.
# LWFP_BENCH_OFFLOAD_ARGS="--offload-max-queue 64" adds arguments to the
# --offload hops (to look at the bound's cost; the report does not say).
set -u
set -o pipefail

QUICK=0
case ${1:-} in
--quick) QUICK=1 ;;
"") ;;
*)
	echo "usage: bench/run.sh [--quick]" >&2
	exit 2
	;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${LWFP_BUILD:-$ROOT/build}
BIN=$BUILD/bin
BB=$BUILD/bench
LWFPCTL=$BIN/lwfpctl
INSPECT=$BIN/lwfp-inspect
PY=/usr/bin/python3
NCPU=$(nproc)

if [ "$QUICK" = 1 ]; then
	REPS=3 RATE_S=2 CLS_S=1 TP_BYTES=$((64 << 20)) MEM_SIZES="10000"
	CLS_LEVELS="1 100 1000 10000"
else
	REPS=5 RATE_S=4 CLS_S=2 TP_BYTES=$((1 << 30)) MEM_SIZES="10000 100000"
	CLS_LEVELS="1 100 1000 10000"
fi
TP_REPS=3
# For a look at the relay rows on a busy machine: smaller transfers.
TP_BYTES=${LWFP_BENCH_TP_BYTES:-$TP_BYTES}

ID=$$
PIN=/sys/fs/bpf/lwfp-b-$ID
CG2=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
BCG=$CG2/lwfp-b-$ID
ECG=$BCG/eng
PCG=$BCG/plain
T=
NSS=()
PIDS=()
LAST_PID=
STATS_OLD=

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "FAIL: $*"
	exit 1
}

# ---- preconditions ----------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "the benchmarks need root"
[ -n "$CG2" ] && [ -d "$CG2" ] || die "no cgroup2 mount in /proc/self/mounts"
for b in "$LWFPCTL" "$INSPECT" "$BUILD/lib/liblwfp.a"; do
	[ -e "$b" ] || die "$b is missing (run make)"
done
need=""
for p in haproxy:haproxy socat:socat iptables:iptables bpftool:bpftool nsenter:util-linux; do
	command -v "${p%%:*}" >/dev/null 2>&1 || need="$need ${p#*:}"
done
if [ -n "$need" ]; then
	log "installing$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends $need >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $need >/dev/null; } ||
		die "cannot install$need"
fi

# ---- cleanup ----------------------------------------------------------------

cleanup() {
	local rc=$? i p ns pids
	trap - EXIT INT TERM
	trap '' PIPE
	set +e
	exec 2>/dev/null
	if [ -d "$BCG" ]; then
		for i in $(seq 1 50); do
			[ -e "$BCG/cgroup.kill" ] && echo 1 >"$BCG/cgroup.kill"
			pids=$(find "$BCG" -name cgroup.procs -exec cat {} + 2>/dev/null)
			[ -z "$pids" ] && break
			# shellcheck disable=SC2086
			kill -KILL $pids
			sleep 0.1
		done
	fi
	for p in "${PIDS[@]}"; do kill -KILL "$p"; done
	wait
	[ -e "$PIN" ] && "$LWFPCTL" down --pin-dir "$PIN" >/dev/null 2>&1
	case $PIN in /sys/fs/bpf/lwfp-b-*) [ -e "$PIN" ] && rm -rf "$PIN" ;; esac
	for i in $(seq 1 30); do
		[ -d "$BCG" ] || break
		find "$BCG" -depth -type d -exec rmdir {} \;
		[ -d "$BCG" ] && sleep 0.1
	done
	for ns in "${NSS[@]}"; do ip netns del "$ns"; done
	[ -n "$STATS_OLD" ] && echo "$STATS_OLD" >/proc/sys/kernel/bpf_stats_enabled
	[ -n "$T" ] && [ -d "$T" ] && rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT INT TERM
T=$(mktemp -d "/tmp/lwfp-b-$ID.XXXXXX") || die mktemp
chmod 755 "$T"
RAW=$T/raw.jsonl
: >"$RAW"
# Descriptors: as many as allowed. Raising the hard limit needs
# CAP_SYS_RESOURCE; without it the memory phase spreads the flows over
# several lwfp-inspect, client and server processes (see phase 3).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
FDLIM=$(ulimit -n)

# ---- helpers ----------------------------------------------------------------

mkdir -p "$BB"
log "building $BB/connload and $BB/fwdproxy"
gcc -O2 -Wall -Wextra -Werror -o "$BB/connload" "$ROOT/bench/connload.c" -lpthread ||
	die "cannot build connload"
gcc -O2 -Wall -Wextra -Werror -I"$ROOT/include" -o "$BB/fwdproxy" "$ROOT/bench/fwdproxy.c" \
	"$BUILD/lib/liblwfp.a" -lbpf -lelf -lz -ljson-c -lpthread || die "cannot build fwdproxy"
CL=$BB/connload
FWD=$BB/fwdproxy
# The sizes of what the engine keeps per flow and per socket, for the report
# (bpf/layout.h: the map layouts are not installed).
printf '#include <stdio.h>\n#include <linux/types.h>\n#include "layout.h"\nint main(void){printf("{\\"kind\\":\\"sizes\\",\\"lwfp_sk\\":%%zu,\\"lwfp_flow\\":%%zu}\\n",sizeof(struct lwfp_sk),sizeof(struct lwfp_flow));return 0;}\n' >"$T/sizes.c"
gcc -I"$ROOT/include" -I"$ROOT/bpf" -o "$T/sizes" "$T/sizes.c" && "$T/sizes" >>"$RAW" || die "cannot build the sizes probe"

mkdir "$BCG" "$ECG" "$PCG" || die "cannot create $BCG"

# The wrapper: enter the cgroup $1 (a path), then the netns named $2.
_ENTER='cg=$1 ns=$2; shift 2
echo $$ >"$cg/cgroup.procs" || exit 126
exec nsenter --net="/run/netns/$ns" "$@"'

cgdir() { # NAME: a child of the engine's cgroup, or "plain"
	if [ "$1" = plain ]; then echo "$PCG"; else
		mkdir -p "$ECG/$1"
		echo "$ECG/$1"
	fi
}

# spawn NAME CG NS CMD...: in the background; output in $T/NAME.{out,err}.
spawn() {
	local name=$1 cg
	cg=$(cgdir "$2")
	local ns=$3
	shift 3
	sh -c "$_ENTER" sh "$cg" "$ns" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
	disown "$LAST_PID" # no job notices when it is killed; the trap still kills it
}

# run CG NS CMD...: in the foreground.
run() {
	local cg
	cg=$(cgdir "$1")
	local ns=$2
	shift 2
	sh -c "$_ENTER" sh "$cg" "$ns" "$@"
}

mkns() { # NAME ADDR...: a namespace with the addresses on its loopback
	local ns=lwfpb-$1-$ID a
	shift
	ip netns add "$ns" || die "ip netns add $ns"
	NSS+=("$ns")
	ip -n "$ns" link set lo up || die "lo up in $ns"
	for a in "$@"; do ip -n "$ns" addr add "$a/32" dev lo || die "addr $a in $ns"; done
	nsenter --net="/run/netns/$ns" sh -c '
		sysctl -qw net.ipv4.tcp_tw_reuse=1 &&
		sysctl -qw net.ipv4.ip_local_port_range="1024 65535" &&
		sysctl -qw net.core.somaxconn=65535 &&
		sysctl -qw net.ipv4.tcp_max_syn_backlog=65535' || die "sysctl in $ns"
}
nsname() { echo "lwfpb-$1-$ID"; }

listening() { # NS PORT [ADDR]
	[ -n "$(nsenter --net="/run/netns/$1" ss -Hltn "sport = :$2" 2>/dev/null)" ]
}
wait_listen() { # NS PORT
	local i
	for i in $(seq 1 200); do
		listening "$1" "$2" && return 0
		sleep 0.05
	done
	die "nothing listens on port $2 in $1: $(tail -n 5 "$T"/*.err 2>/dev/null)"
}

ctl() { "$LWFPCTL" "$@" --pin-dir "$PIN" 2>"$T/ctl.err" || die "lwfpctl $*: $(cat "$T/ctl.err")"; }

# raw KIND JSON-OBJECT-BODY: one line of raw figures.
raw() { printf '{"kind":"%s",%s}\n' "$1" "$2" >>"$RAW"; }

# Proxy CPU: utime+stime+cutime+cstime (clock ticks) of the pids given.
ticks() {
	local p s=0 v
	for p in "$@"; do
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12+$13+$14+$15}')
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
HZ=$(getconf CLK_TCK)

# bpf_stats: run_time_ns and run_cnt of the program behind a pinned link.
prog_id() { bpftool link show pinned "$PIN/$1" -j 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["prog_id"])'; }
prog_stats() { # PROG_ID -> "run_time_ns run_cnt"
	bpftool prog show id "$1" -j 2>/dev/null |
		"$PY" -c 'import json,sys; p=json.load(sys.stdin); print(p.get("run_time_ns",0), p.get("run_cnt",0))'
}

pkill_cg() { # kill the processes of the cgroups given (by pid, from cgroup.procs)
	local c p
	for c in "$@"; do
		for p in $(cat "$c/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	done
}

# LWFP_BENCH_PHASES="1 3" runs only those phases (for quick looks while
# working on one of them); the report is only written when all four ran.
PHASES=${LWFP_BENCH_PHASES:-1 2 3 4}
phase() { case " $PHASES " in *" $1 "*) return 0 ;; esac; return 1; }

# Kernel memory of the engine's maps: the sum of their memlock figures.
maps_memlock() {
	local m s=0 v
	for m in "$PIN"/lwfp_*; do
		v=$(bpftool map show pinned "$m" -j 2>/dev/null |
			"$PY" -c 'import json,sys; print(json.load(sys.stdin).get("bytes_memlock",0))')
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

counter() { # NAME
	"$LWFPCTL" stats -j --pin-dir "$PIN" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# ---- the engine ------------------------------------------------------------------

log "engine up at $PIN, attached to $ECG"
ctl up --cgroup "$ECG" >/dev/null
STATS_OLD=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
P_CONNECT4=$(prog_id link_lwfp_connect4)
P_GETSOCKOPT=$(prog_id link_lwfp_getsockopt)
P_SOCKOPS=$(prog_id link_lwfp_sockops)
P_SETSOCKOPT=$(prog_id link_lwfp_setsockopt)
P_RELEASE=$(prog_id link_lwfp_sock_release)
P_DNS=$(prog_id link_lwfp_dns_ingress)

# =========================================================================
# 1. Interception: short connections.
# =========================================================================
if phase 1; then
log "phase 1: interception, $REPS x $RATE_S s per variant"
SRV=198.18.1.2
for v in a b c d; do
	mkns "$v" "$SRV"
	spawn "srv-$v" plain "$(nsname "$v")" "$CL" server --listen 0.0.0.0:9000 --threads "$NCPU"
done
spawn fwd-b plain "$(nsname b)" "$FWD" --listen 127.0.0.1:15001 --mode plain --to "$SRV:9000" --threads "$NCPU"
ctl service add fwd --cgroup "$(cgdir fwd)" >/dev/null
spawn fwd-c fwd "$(nsname c)" "$FWD" --listen 127.0.0.1:15001 --mode lwfp --threads "$NCPU"
ctl filter add --service fwd --to 127.0.0.1:15001 --proto tcp --family 4 --dst "$SRV/32" --dport 9000 >/dev/null
spawn fwd-d plain "$(nsname d)" "$FWD" --listen 127.0.0.1:15001 --mode sodst --mark 1 --threads "$NCPU"
nsenter --net="/run/netns/$(nsname d)" iptables -t nat -A OUTPUT -p tcp -d "$SRV" --dport 9000 \
	-m mark ! --mark 1 -j REDIRECT --to-ports 15001 || die "iptables in $(nsname d)"
for v in a b c d; do wait_listen "$(nsname "$v")" 9000; done
for v in b c d; do wait_listen "$(nsname "$v")" 15001; done

rate_target() { case $1 in b) echo 127.0.0.1:15001 ;; *) echo "$SRV:9000" ;; esac; }
rate_cg() { case $1 in c*) echo app ;; *) echo plain ;; esac; }
rate_variant() { # VARIANT REP: one rate round, its raw line
	local out
	out=$(run "$(rate_cg "$1")" "$(nsname "${1:0:1}")" "$CL" rate --to "$(rate_target "${1:0:1}")" \
		--threads "$NCPU" --seconds "$RATE_S") || die "rate $1: $out"
	raw rate "\"variant\":\"$1\",\"rep\":$2,\"res\":$out"
	log "  $1 rep $2: $out"
}
# The measured rounds run as users run: bpf_stats adds two clock reads to
# every program run (some 40 of them per connection), a cost of the
# measurement that only (c) would pay.
echo 0 >/proc/sys/kernel/bpf_stats_enabled
order=(a b c d)
for ((r = 1; r <= REPS; r++)); do
	for v in "${order[@]}"; do
		rate_variant "$v" "$r"
	done
	order=("${order[@]:1}" "${order[0]}") # rotate: no variant always runs first
done
# A profile of one more (b) and (c) round: perf samples of every process of
# the bench's cgroup (client, proxy, server, and the kernel work done on their
# behalf), by symbol, per connection.
if command -v perf >/dev/null 2>&1; then
	for v in b c; do
		perf record -q -e cycles -a -G "lwfp-b-$ID" -o "$T/perf-$v.data" -- \
			sh -c "$_ENTER" sh "$(cgdir "$(rate_cg "$v")")" "$(nsname "$v")" \
			"$CL" rate --to "$(rate_target "$v")" --threads "$NCPU" --seconds "$RATE_S" \
			>"$T/perf-$v.json" 2>"$T/perf-$v.err" || { log "perf record failed: $(tail -n 2 "$T/perf-$v.err")"; continue; }
		perf report -i "$T/perf-$v.data" --stdio --no-children -n --sort sym --percent-limit 0.1 \
			>"$T/perf-$v.txt" 2>/dev/null
		"$PY" - "$v" "$T/perf-$v.txt" "$(tail -n 1 "$T/perf-$v.json")" >>"$RAW" <<'PYEOF'
import json, re, sys
v, path, res = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
total, syms, exact = 0, {}, 0
for line in open(path, errors="replace"):
    m = re.match(r"# Samples: (\d+)([KM]?)", line)
    if m:
        total = int(m.group(1)) * {"": 1, "K": 1000, "M": 1000000}[m.group(2)]
    m = re.match(r"\s+([\d.]+)%\s+(\d+)\s+\[([.k])\]\s+(\S+)", line)
    if m:
        syms[m.group(4)] = syms.get(m.group(4), 0) + int(m.group(2))
        if not exact and float(m.group(1)) > 1:
            exact = round(int(m.group(2)) * 100 / float(m.group(1)))
total = exact or total
print(json.dumps({"kind": "perf", "variant": v, "samples": total, "conns": res["conns"],
                  "cps": res["cps"], "syms": syms}))
PYEOF
		log "  perf $v: $(tail -n 1 "$T/perf-$v.json")"
	done
fi
# One more (c) round with bpf_stats on, "cprof", for the programs' cost per
# connection: every lwfp program on the (c) path, dns_ingress (which runs
# for every packet the subtree receives) included.
echo 1 >/proc/sys/kernel/bpf_stats_enabled
declare -A o0
PROF_PROGS="connect4:$P_CONNECT4 getsockopt:$P_GETSOCKOPT sockops:$P_SOCKOPS setsockopt:$P_SETSOCKOPT"
PROF_PROGS+=" release:$P_RELEASE dns_ingress:$P_DNS"
for p in $PROF_PROGS; do
	o0[${p%%:*}]=$(prog_stats "${p#*:}")
done
rate_variant cprof 1
for p in $PROF_PROGS; do
	read -ra st <<<"$(prog_stats "${p#*:}")"
	read -ra st0 <<<"${o0[${p%%:*}]}"
	raw bpf "\"phase\":\"interception\",\"prog\":\"${p%%:*}\",\"ns\":$((st[0] - st0[0])),\"cnt\":$((st[1] - st0[1]))"
done
for v in a b c d; do
	ip netns del "$(nsname "$v")"
done
NSS=("${NSS[@]:4}")
pkill_cg "$PCG" "$(cgdir fwd)"
ctl service del fwd >/dev/null

fi
# =========================================================================
# 2. Relay throughput.
# =========================================================================
if phase 2; then
log "phase 2: relay throughput, $((TP_BYTES >> 20)) MiB per run, $TP_REPS reps"
# kind: 1-hop destination, 3-hop destination, namespace
mkns tp 198.18.2.2 198.18.2.3 198.18.2.4 198.18.2.5 198.18.2.6 198.18.2.7 198.18.2.8 198.18.2.9 198.18.2.10
NTP=$(nsname tp)
spawn srv-tp plain "$NTP" "$CL" server --listen 0.0.0.0:9100 --threads "$NCPU"
declare -A D1=([inspect]=198.18.2.2 [haproxy]=198.18.2.4 [socat]=198.18.2.6)
declare -A D3=([inspect]=198.18.2.3 [haproxy]=198.18.2.5 [socat]=198.18.2.7)
declare -A PP=() # kind:hop -> pids
# direct: no filter matches, so no proxy: the physical limit of the others.
D1[direct]=198.18.2.8 D1[offload]=198.18.2.9 D3[offload]=198.18.2.10 PP[direct:A]=
for h in A B C; do
	for k in inspect haproxy socat; do
		ctl service add "$k$h" --cgroup "$(cgdir "$k$h")" >/dev/null
	done
done
# lwfp-inspect: one listener per hop; it relays to the original destination.
port=15101
for h in A B C; do
	spawn "inspect$h" "inspect$h" "$NTP" "$INSPECT" --listen "127.0.0.1:$port" --service "inspect$h" \
		--pin-dir "$PIN" --workers "$NCPU" --log "$T/inspect$h.log"
	PP[inspect:$h]=$LAST_PID
	wait_listen "$NTP" "$port"
	port=$((port + 1))
done
# haproxy and socat forward to a fixed address: hop A has a listener for the
# 1-hop destination (152x1/153x1) and one for the 3-hop destination; B and C
# only for the latter. lwfp's chain sends hop A's connection to B, B's to C.
for h in A B C; do
	case $h in A) n=1 ;; B) n=2 ;; C) n=3 ;; esac
	{
		printf 'global\n  nbthread %s\n  maxconn 4000\n' "$NCPU"
		printf 'defaults\n  mode tcp\n  timeout connect 10s\n  timeout client 300s\n  timeout server 300s\n'
		if [ "$h" = A ]; then
			printf 'listen one\n  bind 127.0.0.1:15201\n  server s %s:9100\n' "${D1[haproxy]}"
		fi
		printf 'listen chain\n  bind 127.0.0.1:1521%s\n  server s %s:9100\n' "$n" "${D3[haproxy]}"
	} >"$T/haproxy$h.cfg"
	spawn "haproxy$h" "haproxy$h" "$NTP" haproxy -db -f "$T/haproxy$h.cfg"
	PP[haproxy:$h]=$LAST_PID
	wait_listen "$NTP" "1521$n"
	pids=""
	if [ "$h" = A ]; then
		spawn "socat${h}1" "socat$h" "$NTP" socat TCP-LISTEN:15301,bind=127.0.0.1,fork,reuseaddr,backlog=1024 \
			"TCP:${D1[socat]}:9100"
		pids=$LAST_PID
		wait_listen "$NTP" 15301
	fi
	spawn "socat${h}3" "socat$h" "$NTP" socat "TCP-LISTEN:1531$n,bind=127.0.0.1,fork,reuseaddr,backlog=1024" \
		"TCP:${D3[socat]}:9100"
	PP[socat:$h]="$pids $LAST_PID"
	wait_listen "$NTP" "1531$n"
done
# lwfp-inspect --offload: a chain of its own, on ports 1540x.
port=15401
for h in A B C; do
	ctl service add "offload$h" --cgroup "$(cgdir "offload$h")" >/dev/null
	spawn "offload$h" "offload$h" "$NTP" "$INSPECT" --listen "127.0.0.1:$port" --service "offload$h" \
		--pin-dir "$PIN" --workers "$NCPU" --log "$T/offload$h.log" --offload \
		${LWFP_BENCH_OFFLOAD_ARGS:-}
	PP[offload:$h]=$LAST_PID
	wait_listen "$NTP" "$port"
	port=$((port + 1))
done
for k in inspect haproxy socat offload; do
	case $k in inspect) base=1510 one=15101 ;; haproxy) base=1521 one=15201 ;; socat) base=1531 one=15301 ;;
	offload) base=1540 one=15401 ;; esac
	ctl filter add --service "${k}A" --to "127.0.0.1:$one" --proto tcp --family 4 --dst "${D1[$k]}/32" --dport 9100 --weight 300 >/dev/null
	w=300
	for h in A B C; do
		case $h in A) n=1 ;; B) n=2 ;; C) n=3 ;; esac
		ctl filter add --service "$k$h" --to "127.0.0.1:$base$n" --proto tcp --family 4 --dst "${D3[$k]}/32" \
			--dport 9100 --weight "$w" >/dev/null
		w=$((w - 100))
	done
done

kinds=(inspect haproxy socat offload direct)
for ((r = 1; r <= TP_REPS; r++)); do
	for streams in 1 16; do
		for hops in 1 3; do
			for k in "${kinds[@]}"; do
				[ "$k" = direct ] && [ "$hops" != 1 ] && continue
				if [ "$hops" = 1 ]; then dst=${D1[$k]} pl=${PP[$k:A]}; else
					dst=${D3[$k]} pl="${PP[$k:A]} ${PP[$k:B]} ${PP[$k:C]}"
				fi
				# shellcheck disable=SC2086
				c0=$(ticks $pl)
				out=$(run app "$NTP" "$CL" bulk --to "$dst:9100" --streams "$streams" --bytes "$TP_BYTES") ||
					die "bulk $k $hops hops $streams streams: $out $(tail -n 3 "$T"/*.err)"
				# socat: its children must have been reaped into cutime/cstime.
				if [ "$k" = socat ]; then
					for i in $(seq 1 100); do
						[ "$(cat "$(cgdir socatA)/cgroup.procs" "$(cgdir socatB)/cgroup.procs" "$(cgdir socatC)/cgroup.procs" | wc -l)" -le 4 ] && break
						sleep 0.02
					done
				fi
				# shellcheck disable=SC2086
				c1=$(ticks $pl)
				raw tp "\"proxy\":\"$k\",\"hops\":$hops,\"streams\":$streams,\"rep\":$r,\"cpu_s\":$(awk -v a="$c0" -v b="$c1" -v h="$HZ" 'BEGIN{print (b-a)/h}'),\"res\":$out"
				log "  $k hops=$hops streams=$streams rep $r: $out cpu=$(((c1 - c0) * 1000 / HZ)) ms"
			done
			kinds=("${kinds[@]:1}" "${kinds[0]}")
		done
	done
done
# The offload rows are only what they say if every flow was handed over.
grep -q '"relay":"offload"' "$T/offloadA.log" || die "lwfp-inspect --offload offloaded no flow"
! grep -h '"relay":"splice"' "$T"/offload?.log | head -n 1 | grep . ||
	die "lwfp-inspect --offload fell back to splice: $(grep -h '"offload":' "$T"/offload?.log | head -n 1)"
# What each --offload hop wrote on itself: the kernel's bound held a
# direction back (docs/abi.md, "Backpressure").
for h in A B C; do
	log "  offload$h wrote itself: $("$PY" -c '
import json, sys
flows = [json.loads(line) for line in open(sys.argv[1])]
moved = sum(f.get("bytes_up", 0) + f.get("bytes_down", 0) for f in flows)
spilled = sum(f.get("bytes_spilled", 0) for f in flows)
print("%d of %d bytes (%.0f%%)" % (spilled, moved, 100.0 * spilled / max(moved, 1)))' "$T/offload$h.log")"
done
# What the application's own socket in a socket map would give (the
# offload targets' "what would close it"): bench/sockmap_probe.sh.
log "  sockmap probe: the application's socket in the map"
bash "$ROOT/bench/sockmap_probe.sh" "$((TP_BYTES >> 21))" >"$T/probe.jsonl" ||
	die "the sockmap probe failed"
while read -r line; do
	line=${line#\{}
	raw probe "${line%\}}"
done <"$T/probe.jsonl"
pkill_cg "$PCG"
for h in A B C; do for k in inspect haproxy socat offload; do
	pkill_cg "$(cgdir "$k$h")"
	ctl service del "$k$h" >/dev/null
done; done
ip netns del "$NTP"
NSS=("${NSS[@]:1}")

fi
# =========================================================================
# 3. Memory: idle redirected flows.
# =========================================================================
if phase 3; then
log "phase 3: memory, $MEM_SIZES idle flows (descriptor limit $FDLIM)"
MSRV=198.18.3.2
mkns mem "$MSRV"
NMEM=$(nsname mem)
# lwfp-inspect holds 6 descriptors per TCP flow (two sockets, two splice
# pipes): with the limit of this process, one instance takes PER_INST flows.
# Each instance listens on its own port and relays to its own server port,
# one filter each; all instances are in the cgroup of one service. Clients
# and servers hold up to PER_PROC sockets per process.
PER_INST=$(((FDLIM - 100) / 6 * 9 / 10))
PER_PROC=$(((FDLIM - 100) * 9 / 10))
max_n=0
for n in $MEM_SIZES; do [ "$n" -gt "$max_n" ] && max_n=$n; done
K=$(((max_n + PER_INST - 1) / PER_INST))
[ "$K" -le 64 ] || die "$max_n flows need $K lwfp-inspect instances (descriptor limit $FDLIM); at most 64"
NSRV=$(((max_n + PER_PROC - 1) / PER_PROC + 1))
ctl service add inspectM --cgroup "$(cgdir inspectM)" >/dev/null
IMS=()
srv_listen=()
for ((i = 0; i < K; i++)); do
	spawn "inspectM$i" inspectM "$NMEM" "$INSPECT" --listen "127.0.0.1:$((15501 + i))" --service inspectM \
		--pin-dir "$PIN" --workers 1 --log "$T/inspectM.log"
	IMS+=("$LAST_PID")
	srv_listen+=(--listen "0.0.0.0:$((9000 + i))")
	ctl filter add --service inspectM --to "127.0.0.1:$((15501 + i))" --proto tcp --family 4 \
		--dst "$MSRV/32" --dport "$((9000 + i))" >/dev/null
done
for ((i = 0; i < NSRV; i++)); do
	spawn "srv-mem$i" plain "$NMEM" "$CL" server "${srv_listen[@]}" --threads 1
done
for ((i = 0; i < K; i++)); do
	wait_listen "$NMEM" "$((9000 + i))"
	wait_listen "$NMEM" "$((15501 + i))"
done
sleep 0.5

tcp_inuse() { nsenter --net="/run/netns/$NMEM" awk '$1=="TCP:"{print $3}' /proc/net/sockstat; }
rss_kb() { # the sum over the pids given
	local p s=0 v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
omem_sum() { # bytes of socket option memory (where sk_storage is charged), all sockets
	nsenter --net="/run/netns/$NMEM" ss -tanmH 2>/dev/null |
		grep -o 'skmem:([^)]*)' | sed 's/.*,o\([0-9]*\),.*/\1/' | awk '{s+=$1} END{print s+0}'
}
for n in $MEM_SIZES; do
	k=$(((n + PER_INST - 1) / PER_INST))
	h=$(((n + PER_PROC - 1) / PER_PROC))
	to=()
	for ((i = 0; i < k; i++)); do to+=(--to "$MSRV:$((9000 + i))"); done
	base_tcp=$(tcp_inuse) base_maps=$(maps_memlock) base_rss=$(rss_kb "${IMS[@]}") base_o=$(omem_sum)
	full0=$(counter flow_table_full) red0=$(counter redirect)
	rm -f "$T/hold.in"
	mkfifo "$T/hold.in"
	HOLDS=()
	for ((j = 0; j < h; j++)); do
		each=$((n / h + (j < n % h ? 1 : 0)))
		spawn "hold-$n-$j" app "$NMEM" sh -c 'exec "$@" <"$0"' "$T/hold.in" "$CL" hold --n "$each" \
			"${to[@]}" --src 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4
		HOLDS+=("$LAST_PID")
	done
	exec 7>"$T/hold.in"
	t0=$(date +%s.%N)
	for i in $(seq 1 1800); do
		[ "$(tcp_inuse)" -ge $((base_tcp + 4 * n)) ] && break
		alive=0
		for p in "${HOLDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 1 ] || break
		sleep 0.1
	done
	t1=$(date +%s.%N)
	for i in $(seq 1 100); do
		done_=0
		for ((j = 0; j < h; j++)); do [ -s "$T/hold-$n-$j.out" ] && done_=$((done_ + 1)); done
		[ "$done_" = "$h" ] && break
		sleep 0.1
	done
	sleep 1
	tcp=$(tcp_inuse) maps=$(maps_memlock) rss=$(rss_kb "${IMS[@]}") o=$(omem_sum)
	full1=$(counter flow_table_full) red1=$(counter redirect)
	hold=$(cat "$T"/hold-"$n"-*.out | "$PY" -c '
import json, sys
rs = [json.loads(l) for l in sys.stdin if l.strip()]
print(json.dumps({"opened": sum(r["opened"] for r in rs), "errors": sum(r["errors"] for r in rs),
                  "secs": max([r["secs"] for r in rs] or [0]), "procs": len(rs)}))')
	raw mem "\"flows\":$n,\"inspect_instances\":$k,\"fd_limit\":$FDLIM,\"hold\":$hold,\"tcp_sockets\":$((tcp - base_tcp)),\"maps_bytes\":$((maps - base_maps)),\"sk_storage_bytes\":$((o - base_o)),\"rss_kb\":$((rss - base_rss)),\"flow_full\":$((full1 - full0)),\"redirects\":$((red1 - red0)),\"setup_s\":$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"
	log "  $n flows ($k lwfp-inspect): hold=$hold sockets=+$((tcp - base_tcp)) maps=+$((maps - base_maps)) B sk_storage=+$((o - base_o)) B inspect RSS=+$((rss - base_rss)) KiB redirects=$((red1 - red0)) flow_full=$((full1 - full0))"
	exec 7>&-
	for i in $(seq 1 600); do
		alive=0
		for p in "${HOLDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 1 ] || break
		sleep 0.1
	done
	# Wait for lwfp-inspect to drop the flows before the next size.
	for i in $(seq 1 600); do
		[ "$(tcp_inuse)" -le $((base_tcp + 16)) ] && break
		sleep 0.1
	done
done
pkill_cg "$PCG" "$(cgdir inspectM)" "$(cgdir app)"
ctl service del inspectM >/dev/null
ip netns del "$NMEM"
NSS=("${NSS[@]:1}")

fi
# =========================================================================
# 4. Classifier scale.
# =========================================================================
if phase 4; then
log "phase 4: classifier scale, levels $CLS_LEVELS"
CSRV=198.18.4.2
mkns cls "$CSRV"
mkns clsb "$CSRV"
NCLS=$(nsname cls) NCLSB=$(nsname clsb)
spawn srv-cls plain "$NCLS" "$CL" server --listen 0.0.0.0:9000 --threads "$NCPU"
spawn srv-clsb plain "$NCLSB" "$CL" server --listen 0.0.0.0:9000 --threads "$NCPU"
ctl service add fcls --cgroup "$(cgdir fcls)" >/dev/null
spawn fwd-cls fcls "$NCLS" "$FWD" --listen 127.0.0.1:15601 --mode lwfp --threads "$NCPU"
spawn fwd-clsb plain "$NCLSB" "$FWD" --listen 127.0.0.1:15601 --mode plain --to "$CSRV:9000" --threads "$NCPU"
# The matching filter, below every non-matching one (weight 100 < 200).
ctl filter add --service fcls --to 127.0.0.1:15601 --proto tcp --family 4 --dst "$CSRV/32" --dport 9000 --weight 100 >/dev/null
wait_listen "$NCLS" 15601
wait_listen "$NCLSB" 15601
# Earlier phases removed their services and filters: only the matching one is left.
nf=$("$LWFPCTL" filter list -j --pin-dir "$PIN" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
base_filters=$((nf - 1))
# The non-matching filters belong to a service of their own, so that one
# `service del` drops them all. Each round measures every level, installing
# its filters with one `lwfpctl -batch` and dropping them after: levels are
# interleaved, and the other load on a shared machine hits them all alike.
top=0
for lvl in $CLS_LEVELS; do [ "$lvl" -gt "$top" ] && top=$lvl; done
# Every CLS_HOST_EVERY-th is a --host filter instead, with no --dst: such
# filters sit in the host bucket (abi.h), which a connect opens only when
# its destination has a live learned name (none here: the bench connects
# by address), so they must cost nothing. One in ten of the others (j % 10
# = 5) also has an --app condition (issue 17), on a file no client runs:
# while the table holds one, every connect reads its executable.
CLS_HOST_EVERY=${CLS_HOST_EVERY:-10}
for ((j = 0; j < top; j++)); do
	app=
	[ $((j % 10)) = 5 ] && app=" --app $(readlink -f "$LWFPCTL")"
	if [ $((j % CLS_HOST_EVERY)) = 0 ]; then
		cond="--host n$j.noise.test"
	else
		cond="--dst 198.19.$((j / 250)).$((j % 250 + 1))/32"
	fi
	echo "filter add --service fnoise --to 127.0.0.1:15601 --proto tcp --family 4" \
		"$cond --dport 9000 --weight 200$app"
done >"$T/cls-all.batch"
for ((r = 1; r <= REPS; r++)); do
	for lvl in $CLS_LEVELS; do
		add=$((lvl - base_filters))
		[ "$add" -gt 0 ] || add=0
		ctl service add fnoise --cgroup "$(cgdir fnoise)" >/dev/null
		head -n "$add" "$T/cls-all.batch" >"$T/cls.batch"
		t0=$(date +%s%N)
		if [ "$add" -gt 0 ]; then
			"$LWFPCTL" -batch "$T/cls.batch" --pin-dir "$PIN" >/dev/null 2>"$T/ctl.err" ||
				die "lwfpctl -batch ($add filters): $(cat "$T/ctl.err")"
		fi
		t1=$(date +%s%N)
		raw filter_add "\"level\":$lvl,\"rep\":$r,\"added\":$add,\"secs\":$(awk -v a="$t0" -v b="$t1" 'BEGIN{print (b-a)/1e9}')"
		read -ra s0 <<<"$(prog_stats "$P_CONNECT4")"
		out=$(run app "$NCLS" "$CL" rate --to "$CSRV:9000" --threads 1 --seconds "$CLS_S") || die "rate cls: $out"
		read -ra s1 <<<"$(prog_stats "$P_CONNECT4")"
		outb=$(run plain "$NCLSB" "$CL" rate --to 127.0.0.1:15601 --threads 1 --seconds "$CLS_S") || die "rate clsb: $outb"
		raw cls "\"level\":$lvl,\"rep\":$r,\"res\":$out,\"ref\":$outb,\"connect4_ns\":$((s1[0] - s0[0])),\"connect4_cnt\":$((s1[1] - s0[1]))"
		log "  level $lvl rep $r ($add added in $(((t1 - t0) / 1000000)) ms): lwfp $out | plain $outb | connect4 $(((s1[0] - s0[0]) / (s1[1] - s0[1] + 1))) ns/run"
		ctl service del fnoise
	done
done
fi
# Every program's totals over the whole run, for the profile.
for p in connect4:$P_CONNECT4 getsockopt:$P_GETSOCKOPT sockops:$P_SOCKOPS setsockopt:$P_SETSOCKOPT release:$P_RELEASE; do
	read -ra st <<<"$(prog_stats "${p#*:}")"
	raw bpf "\"phase\":\"total\",\"prog\":\"${p%%:*}\",\"ns\":${st[0]},\"cnt\":${st[1]}"
done
# =========================================================================
# Report.
# =========================================================================
cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
MODE=$([ "$QUICK" = 1 ] && echo quick || echo full)
# The raw figures stay in the build tree, so that the report can be redone:
#   bench/report.py --raw build/bench/raw-MODE.jsonl ... (the arguments below)
cp "$RAW" "$BB/raw-$MODE.jsonl"
OUT_JSON=$ROOT/bench/results.json OUT_MD=$ROOT/docs/performance.md
if [ "$PHASES" != "1 2 3 4" ]; then
	# A partial run does not replace the published report.
	OUT_JSON=$BB/results-partial.json OUT_MD=$BB/performance-partial.md
	log "phases $PHASES only: the report goes to $OUT_MD and $OUT_JSON"
fi
"$PY" "$ROOT/bench/report.py" --raw "$RAW" --json "$OUT_JSON" \
	--md "$OUT_MD" --mode "$MODE" \
	--nproc "$NCPU" --kernel "$(uname -r)" --cpu "$cpu" --tp-bytes "$TP_BYTES" ||
	die "report failed"
exit 0
