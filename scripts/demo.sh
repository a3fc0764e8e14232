#!/usr/bin/env bash
# The short lwfp demo: one curl, redirected at connect() to a relay that asks
# the engine where the connection was going, and forwards it there.
#
#   client netns ──curl 198.18.0.2:8080──▶ (lwfp redirect) ──▶ relay 127.0.0.1:15001
#                                                               └──▶ server netns 198.18.0.2:8080
#
# Everything it creates (pin dir, cgroups, namespaces, processes) is removed on
# exit, on failure and on Ctrl-C.
set -euo pipefail

BIN=${LWFP_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}/bin
TAG=lwfp-demo-$$
PIN=/sys/fs/bpf/$TAG
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
CG=$CG2/$TAG
CLI=$TAG-cli
SRV=$TAG-srv
WWW=$(mktemp -d)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
# Runs a command in a netns and a child cgroup of the engine's; the cgroup
# is what cleanup kills, so nothing started here can outlive the demo.
in_cg_ns() { local cg=$1 ns=$2; shift 2; mkdir -p "$CG/$cg"; sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/$cg" nsenter --net="/run/netns/$ns" "$@"; }
in_cg() { local cg=$1; shift; in_cg_ns "$cg" "$CLI" "$@"; }

cleanup() {
	set +e
	for kill in "$CG"/*/cgroup.kill; do
		[ -f "$kill" ] && echo 1 >"$kill"
	done
	wait 2>/dev/null
	"$BIN/lwfpctl" down --pin-dir "$PIN" >/dev/null 2>&1
	rm -rf "$PIN" "$WWW"
	for d in "$CG"/*/; do [ -d "$d" ] && rmdir "$d"; done
	[ -d "$CG" ] && rmdir "$CG"
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
}
trap cleanup EXIT INT TERM

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it loads BPF programs)" >&2; exit 1; }
[ -n "$CG2" ] || { echo "demo: no cgroup v2 mount in /proc/self/mounts" >&2; exit 1; }

wait_listen() { # ns port
	for _ in $(seq 100); do
		in_ns "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	echo "demo: nothing listens on port $2 in $1" >&2
	return 1
}

step "network: client and server namespaces, joined by a veth pair (198.18.0.0/24)"
ip netns add "$CLI"
ip netns add "$SRV"
ip link add "ld$$a" netns "$CLI" type veth peer "ld$$b" netns "$SRV"
in_ns "$CLI" ip addr add 198.18.0.1/24 dev "ld$$a"
in_ns "$SRV" ip addr add 198.18.0.2/24 dev "ld$$b"
for ns in "$CLI:ld$$a" "$SRV:ld$$b"; do
	in_ns "${ns%%:*}" ip link set lo up
	in_ns "${ns%%:*}" ip link set "${ns#*:}" up
done
echo "hello from the server namespace" >"$WWW/index.html"
mkdir -p "$CG"
in_cg_ns server "$SRV" /usr/bin/python3 -m http.server --bind 198.18.0.2 8080 --directory "$WWW" >/dev/null 2>&1 &
wait_listen "$SRV" 8080

step "engine: lwfpctl up, attached to a private cgroup ($CG)"
mkdir -p "$CG/app" "$CG/inspect"
"$BIN/lwfpctl" up --cgroup "$CG" --pin-dir "$PIN"

step "service and filter: port 8080 goes to the relay at 127.0.0.1:15001"
echo "\$ lwfpctl service add inspect --cgroup $CG/inspect"
"$BIN/lwfpctl" service add inspect --cgroup "$CG/inspect" --pin-dir "$PIN"
echo "\$ lwfpctl filter add --service inspect --to 127.0.0.1:15001 --proto tcp --dport 8080"
"$BIN/lwfpctl" filter add --service inspect --to 127.0.0.1:15001 --proto tcp --dport 8080 --pin-dir "$PIN"
"$BIN/lwfpctl" filter list --pin-dir "$PIN"

in_cg inspect "$BIN/lwfp-test-relay" --listen 127.0.0.1:15001 --name inspect --log "$WWW/relay.log" &
wait_listen "$CLI" 15001

step "curl http://198.18.0.2:8080/ from the application cgroup"
in_cg app curl -sS --max-time 10 http://198.18.0.2:8080/

step "what the relay learnt from the engine (records, context, original destination)"
for _ in $(seq 50); do [ -s "$WWW/relay.log" ] && break; sleep 0.05; done
cat "$WWW/relay.log"

step "counters"
"$BIN/lwfpctl" stats --pin-dir "$PIN" | awk 'NR == 1 || $2 != 0'
step "done: everything is torn down on exit"
