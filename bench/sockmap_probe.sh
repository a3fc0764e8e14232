#!/bin/bash
# bench/sockmap_probe.sh [MIB]: would a socket map make a passed flow cost
# what a direct connection costs, if the application's own socket were in
# it? docs/performance.md's offload targets ask for that (1 hop at 0.85 of
# direct), and lwfp's offload today, two TCP connections per hop, reaches
# about half. The probe (sockmap_probe.c, .bpf.c) times one MIB-MiB
# transfer (default 512) per row over loopback, 3 rounds, medians:
#   direct        client and server, no hop;
#   hop           a hop whose two sockets redirect to each other, as
#                 lwfp's verdict does (without its bounds);
#   app up        the client's writes go out of the hop's outbound socket
#                 (sk_msg on the client's socket): one connection;
#   app down      the server's bytes go into the client's receive queue
#                 (sk_skb, BPF_F_INGRESS): one connection, with the
#                 client's receive buffer left to the kernel (at most 64
#                 MiB moved: it is that slow) and forced to 4, 16 and 64
#                 MiB.
# Prints one JSON line per run; make bench records them and its report
# (bench/report.py) shows the medians against direct. Runs in a network
# namespace of its own (unshare); its maps and programs go with it.
set -u
set -o pipefail

MIB=${1:-512}
# The kernel's receive buffer makes "app down" crawl: move less there.
SLOW=$((MIB < 64 ? MIB : 64))
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${LWFP_BUILD:-$ROOT/build}
BB=$BUILD/bench
PROBE=$BB/sockmap_probe
OBJ=$BB/sockmap_probe.bpf.o

mkdir -p "$BB" || exit 1
clang -O2 -g -target bpf -mcpu=v3 -I/usr/include/"$(gcc -dumpmachine)" \
	-c "$ROOT/bench/sockmap_probe.bpf.c" -o "$OBJ" || exit 1
gcc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$PROBE" "$ROOT/bench/sockmap_probe.c" -lbpf -lpthread || exit 1

# run MODE DIR MIB [RCVBUF]: one transfer, in a namespace of its own.
run() {
	unshare -n sh -c 'ip link set lo up && exec "$@"' probe "$PROBE" "$OBJ" "$@"
}

rows=("direct up $MIB 0" "direct down $MIB 0" "hop up $MIB 0" "hop down $MIB 0"
	"app up $MIB 0" "app down $SLOW 0" "app down $MIB 4194304" "app down $MIB 16777216"
	"app down $MIB 67108864")
for _ in 1 2 3; do
	for row in "${rows[@]}"; do
		# shellcheck disable=SC2086
		run $row || exit 1
	done
done
