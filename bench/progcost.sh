#!/bin/bash
# bench/progcost.sh [N]: what lwfp's programs cost per connection.
#
# N short connections (default 2000: connect, 1 byte each way, close), one
# after another, redirected to one lwfp-inspect, in a network namespace and
# a cgroup of its own. kernel.bpf_stats_enabled gives each program's run
# count and run time over exactly those connections. One JSON line per
# program {"prog", "runs_per_conn", "ns_per_run", "ns_per_conn"}, one
# {"prog": "all", "ns_per_conn"}, and the verifier's instruction counts of
# the biggest programs {"prog", "verified_insns"}. Counts are exact whatever the load;
# times are run times, so a loaded machine inflates them less than it does
# wall-clock figures, but still some.
#
# Everything it makes (lwfpq-PID names) goes away on exit, and
# kernel.bpf_stats_enabled gets its old value back.
set -u
set -o pipefail

N=${1:-2000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${LWFP_BUILD:-$ROOT/build}
LWFPCTL=$BUILD/bin/lwfpctl
INSPECT=$BUILD/bin/lwfp-inspect
PY=/usr/bin/python3
ID=$$
PIN=/sys/fs/bpf/lwfpq-$ID
CG2=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
CG=$CG2/lwfpq-$ID
NS=lwfpq-$ID
SRV=198.18.3.2
T=
STATS_OLD=
PROGS="connect4 getsockopt setsockopt sockops sock_release dns_ingress"

die() {
	echo "progcost: $*" >&2
	exit 1
}

cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	set +e
	exec 2>/dev/null
	for i in $(seq 1 30); do
		[ -d "$CG" ] || break
		[ -e "$CG/cgroup.kill" ] && echo 1 >"$CG/cgroup.kill"
		find "$CG" -depth -type d -exec rmdir {} \;
		[ -d "$CG" ] && sleep 0.1
	done
	[ -e "$PIN" ] && "$LWFPCTL" down --pin-dir "$PIN" >/dev/null
	[ -e "$PIN" ] && rm -rf "$PIN"
	ip netns del "$NS"
	[ -n "$STATS_OLD" ] && echo "$STATS_OLD" >/proc/sys/kernel/bpf_stats_enabled
	[ -n "$T" ] && rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT INT TERM

[ "$(id -u)" -eq 0 ] || die "needs root"
case $N in '' | *[!0-9]*) die "N must be a number of connections" ;; esac
T=$(mktemp -d /tmp/lwfpq.XXXXXX) || die mktemp
mkdir -p "$CG/eng/proxy" "$CG/eng/app" "$CG/srv" || die "cannot create $CG"
if ! { ip netns add "$NS" && ip -n "$NS" link set lo up && ip -n "$NS" addr add "$SRV/32" dev lo; }; then
	die "cannot make namespace $NS"
fi
"$LWFPCTL" up --cgroup "$CG/eng" --pin-dir "$PIN" >/dev/null || die "lwfpctl up"
ctl() { "$LWFPCTL" "$@" --pin-dir "$PIN" >/dev/null || die "lwfpctl $*"; }
ctl service add progq --cgroup "$CG/eng/proxy"
ctl filter add --service progq --to 127.0.0.1:15701 --proto tcp --family 4 --dst "$SRV/32" --dport 9000

# inns CGROUP CMD...: CMD in that cgroup and in the namespace.
inns() {
	local cg=$1
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec nsenter --net="/run/netns/$0" "$@"' \
		"$NS" "$cg" "$@"
}
inns "$CG/srv" "$PY" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000)); s.listen(1024)
while True:
    c, _ = s.accept(); c.recv(1); c.sendall(b"q"); c.close()' >/dev/null 2>&1 &
inns "$CG/eng/proxy" "$INSPECT" --listen 127.0.0.1:15701 --service progq --pin-dir "$PIN" --peek-timeout 0 \
	--log "$T/inspect.log" >/dev/null 2>"$T/inspect.err" &
for i in $(seq 1 100); do
	[ -n "$(ip netns exec "$NS" ss -Hltn 'sport = :15701')" ] &&
		[ -n "$(ip netns exec "$NS" ss -Hltn 'sport = :9000')" ] && break
	[ "$i" = 100 ] && die "nothing listens: $(cat "$T/inspect.err")"
	sleep 0.1
done

prog_id() { bpftool link show pinned "$PIN/link_lwfp_$1" -j | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["prog_id"])'; }
stats() { # -> "prog run_time_ns run_cnt" lines
	local p
	for p in $PROGS; do
		bpftool prog show id "$(prog_id "$p")" -j |
			"$PY" -c 'import json,sys; p=json.load(sys.stdin); print(sys.argv[1], p.get("run_time_ns",0), p.get("run_cnt",0))' "$p"
	done
}
STATS_OLD=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
stats >"$T/s0"
"$LWFPCTL" stats -j --pin-dir "$PIN" >"$T/c0" || die "lwfpctl stats"
inns "$CG/eng/app" "$PY" -c '
import socket, sys
for _ in range(int(sys.argv[1])):
    c = socket.create_connection(("'"$SRV"'", 9000))
    c.sendall(b"Q")
    if c.recv(1) != b"q":
        sys.exit("no answer through the proxy")
    c.close()' "$N" || die "the connections failed: $(tail -n 3 "$T/inspect.err")"
# The last connections' closes (state callbacks, release) come after the client's.
sleep 1; [ -n "${PROGCOST_KEEP:-}" ] && cp "$T/inspect.log" /tmp/progcost-inspect.log
stats >"$T/s1"
"$LWFPCTL" stats -j --pin-dir "$PIN" >"$T/c1" || die "lwfpctl stats"
# The engine's own counters over the connections: what the programs decided.
"$PY" - "$T/c0" "$T/c1" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(json.dumps({"counters": {k: b[k] - a.get(k, 0) for k in b
                               if isinstance(b[k], int) and b[k] != a.get(k, 0)}}))
PYEOF
# What the verifier walked to load them (its limit is 1M instructions):
# bpf_prog_info.verified_insns, which this bpftool does not print.
cat >"$T/vi.c" <<'VI'
#include <stdio.h>
#include <stdlib.h>
#include <bpf/bpf.h>
int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = argc > 1 ? bpf_prog_get_fd_by_id((__u32)atoi(argv[1])) : -1;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 1;
	printf("%u\n", info.verified_insns);
	return 0;
}
VI
gcc -o "$T/vi" "$T/vi.c" -lbpf || die "cannot build the verified_insns probe"
for p in connect4 sendmsg6 getsockopt sockops; do
	v=$("$T/vi" "$(prog_id "$p")") || die "no program info for $p"
	printf '{"prog": "%s", "verified_insns": %s}\n' "$p" "$v"
done
"$PY" - "$N" "$T/s0" "$T/s1" <<'EOF'
import json, sys
n = int(sys.argv[1])
rd = lambda p: {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(p)}
a, b = rd(sys.argv[2]), rd(sys.argv[3])
total = 0.0
for prog in a:
    ns, cnt = b[prog][0] - a[prog][0], b[prog][1] - a[prog][1]
    total += ns / n
    print(json.dumps({"prog": prog, "runs_per_conn": round(cnt / n, 2),
                      "ns_per_run": round(ns / cnt) if cnt else 0, "ns_per_conn": round(ns / n)}))
print(json.dumps({"prog": "all", "ns_per_conn": round(total)}))
EOF
