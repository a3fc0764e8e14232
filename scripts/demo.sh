#!/usr/bin/env bash
# The lwfp demo. An HTTP server lives in its own network namespace; curl, in
# the client namespace, fetches from it. lwfp redirects curl's connect() to
# a chain of lwfp-inspect services, each of which asks the engine where the
# connection was going and who made it, and passes it on without looping:
#
#   curl ─▶ inspect-a ─▶ inspect-b ─▶ [inspect-c, blocks ads.*] ─▶ 198.18.0.2:8080
#
# Everything it creates (pin dir, cgroups, namespaces, processes) is removed
# on exit, on failure and on Ctrl-C. It never touches the host's cgroup root.
set -euo pipefail

# The binaries: $LWFP_BIN (/usr/sbin for an installed package), or the
# build tree's, $LWFP_BUILD/bin.
BIN=${LWFP_BIN:-${LWFP_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}/bin}
TAG=lwfp-demo-$$
PIN=/sys/fs/bpf/$TAG
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
CG=$CG2/$TAG
CLI=$TAG-cli
SRV=$TAG-srv
TMP=$(mktemp -d)

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
show() { printf '$ %s\n' "$*"; }
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
# Runs a command in a netns and a child cgroup of the engine's; the cgroup
# is what cleanup kills, so nothing started here can outlive the demo.
in_cg_ns() { local cg=$1 ns=$2; shift 2; mkdir -p "$CG/$cg"; sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/$cg" nsenter --net="/run/netns/$ns" "$@"; }
in_cg() { local cg=$1; shift; in_cg_ns "$cg" "$CLI" "$@"; }
ctl() { "$BIN/lwfpctl" "$@" --pin-dir "$PIN"; }

cleanup() {
	set +e
	for kill in "$CG"/*/cgroup.kill; do
		[ -f "$kill" ] && echo 1 >"$kill"
	done
	wait 2>/dev/null
	"$BIN/lwfpctl" down --pin-dir "$PIN" >/dev/null 2>&1
	rm -rf "$PIN" "$TMP"
	for d in "$CG"/*/; do [ -d "$d" ] && rmdir "$d"; done
	[ -d "$CG" ] && rmdir "$CG"
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
}
trap cleanup EXIT INT TERM

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it loads BPF programs)" >&2; exit 1; }
[ -n "$CG2" ] || { echo "demo: no cgroup v2 mount in /proc/self/mounts" >&2; exit 1; }

wait_listen() { # ns port
	for _ in $(seq 200); do
		in_ns "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	echo "demo: nothing listens on port $2 in $1" >&2
	return 1
}

# An inspector registers its own service and filter; ready once it has.
start_inspect() { # name port weight [options]
	local name=$1 port=$2 weight=$3
	shift 3
	in_cg "$name" "$BIN/lwfp-inspect" --listen "127.0.0.1:$port" --service "$name" \
		--pin-dir "$PIN" --log "$TMP/$name.log" --register --dport 8080 --weight "$weight" \
		"$@" 2>"$TMP/$name.err" &
	for _ in $(seq 200); do
		ctl filter list | grep -q " $name " && return 0
		sleep 0.05
	done
	echo "demo: $name did not start: $(cat "$TMP/$name.err")" >&2
	return 1
}

fetch() { # host
	show "curl -H 'Host: $1' http://198.18.0.2:8080/"
	in_cg app curl -sS --max-time 10 -H "Host: $1" http://198.18.0.2:8080/ || true
}

logs() {
	local f
	sleep 0.3
	for f in "$TMP"/inspect-*.log; do
		[ -s "$f" ] || continue
		printf '%s%s%s\n' "$B" "$(basename "$f" .log):" "$N"
		sed 's/^/  /' "$f"
		: >"$f"
	done
}

step "network: client and server namespaces joined by a veth pair (198.18.0.0/24)"
ip netns add "$CLI"
ip netns add "$SRV"
ip link add "ld$$a" netns "$CLI" type veth peer "ld$$b" netns "$SRV"
in_ns "$CLI" ip addr add 198.18.0.1/24 dev "ld$$a"
in_ns "$SRV" ip addr add 198.18.0.2/24 dev "ld$$b"
for ns in "$CLI:ld$$a" "$SRV:ld$$b"; do
	in_ns "${ns%%:*}" ip link set lo up
	in_ns "${ns%%:*}" ip link set "${ns#*:}" up
done
mkdir -p "$TMP/www" "$CG"
echo "hello from the server namespace" >"$TMP/www/index.html"
in_cg_ns server "$SRV" /usr/bin/python3 -m http.server --bind 198.18.0.2 8080 \
	--directory "$TMP/www" >/dev/null 2>&1 &
wait_listen "$SRV" 8080
echo "HTTP server on 198.18.0.2:8080"

step "engine: attached to a private cgroup, never the host's root"
show "lwfpctl up --cgroup $CG"
ctl up --cgroup "$CG"

step "two inspection services, each registering its own filter for port 8080"
start_inspect inspect-a 15001 300
start_inspect inspect-b 15002 200
ctl service list
ctl filter list

step "a fetch: curl -> inspect-a -> inspect-b -> server"
fetch www.example.test
step "the flow log: one line per hop, with the chain each hop saw"
logs

step "a third service that blocks ads.*"
start_inspect inspect-c 15003 100 --block 'ads.*'
fetch www.example.test
fetch ads.example.test
step "the flow log: www passes all three; ads is blocked at inspect-c"
logs

step "counters"
ctl stats | awk 'NR == 1 || $2 != 0'
step "done: everything is torn down on exit"
