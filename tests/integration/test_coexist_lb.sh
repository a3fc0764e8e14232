#!/bin/bash
# A foreign socket load balancer next to the engine: tests/foreign/sockbl.bpf.c
# (connect4 rewrites VIP:80 to the backend, the HTTP server at 198.18.0.2:80;
# getpeername4 shows the VIP again, keyed by socket cookie and backend), loaded
# and attached with bpftool as another product would. The engine is on
# $CG/eng; lwfp-inspect ($CG/eng/inspI) takes every TCP connect to port 80.
# The application asks for the VIP, which nothing routes in the client netns:
# a connect that reaches the wire untranslated fails.
#
# Each check runs over IPv4 (VIP 198.19.0.10) and IPv6 (VIP 2001:db8:ff::10,
# backend 2001:db8::2).
#
# Placements of the foreign programs, in this order:
#   before    on $CG/eng, attached before `lwfpctl up`
#   after     on $CG/eng, attached after `lwfpctl up`
#   ancestor  on $CG
# then, as a control, the foreign programs alone (an application in
# $CG/plain, outside the engine's subtree): translated, and getpeername
# restored by them; and, where lwfpctl has `up --after PROG`, the engine
# brought up again with --after the foreign connect4 (skipped, passing, on a
# kernel that cannot order cgroup programs).
#
# For each placement, a curl and a getpeername client (peer.py) connect to the
# VIP; the test checks (a) the orig_dst lwfp-inspect logs, (b) the bytes
# arrive intact, the server logs both requests and the foreign program
# translated two connects, (c) what getpeername shows the application,
# (d) exactly one redirect per connection, hop_limit 0, no flow left.
#
# Outcomes (docs/coexistence.md, "Outcome table"):
#   after, ancestor  the engine's connect4 runs first (programs of one cgroup
#       run in attach order, a descendant's before an ancestor's): it sees and
#       records the VIP, so orig_dst is VIP:80; the proxy's connect to the VIP
#       is translated by the foreign program; getpeername shows VIP:80 (the
#       engine restores it; the foreign getpeername4 then misses, as the VIP
#       is not one of its backends).
#   before  depends on where `up` put the engine's links, which the test
#       reads with bpftool. Appended (kernels that cannot order cgroup
#       programs, or an lwfp that does not): the foreign connect4 runs first
#       and rewrites the VIP in the socket address before the engine's runs;
#       the VIP exists nowhere else, so the engine sees and records the
#       backend: orig_dst is 198.18.0.2:80; the application's connect was the
#       one translated; the proxy connects to the backend directly;
#       getpeername shows the backend (the foreign getpeername4 runs first
#       again and sees lwfp-inspect's address, not its backend, so it leaves
#       it; the engine's then shows what it recorded). First (lwfp's links
#       with BPF_F_BEFORE): as "after".
#   --after  the engine's connect4 after the foreign one, its getpeername4
#       before: orig_dst is the backend, but getpeername shows VIP:80 (the
#       foreign getpeername4 finds the backend the engine restored). IPv4
#       only: --after names the one program, the foreign connect4.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"
. "$(dirname "$0")/lib_coexist.sh"

# The engine is on $CG/eng, so the applications run below it.
APP_CG=eng/app

HTTP_PORT=80
VIP=198.19.0.10
VIP6=2001:db8:ff::10

setup_netns
make_files 1
start_http "$HTTP_PORT"
mkcg eng eng/app eng/inspI plain
fx_load
fx_service "$VIP" 80 "$SRV4" 80
fx_service "$VIP6" 80 "$SRV6" 80

# addr KIND FAMILY: VIP or backend ("vip" or "be") port 80, as lwfp-inspect
# and peer.py print it.
addr() {
	case $1$2 in
	vip4) echo "$VIP:80" ;;
	vip6) echo "[$VIP6]:80" ;;
	be4) echo "$SRV4:80" ;;
	be6) echo "[$SRV6]:80" ;;
	esac
}

# check NAME ORIG PEER: the four checks for one placement, for a curl and a
# peer.py to the VIP of each family (of $FAMILIES, default "4 6"); ORIG (vip
# or be) is what lwfp-inspect must log as orig_dst, PEER what getpeername
# must show.
check() {
	local name=$1 orig=$2 peer=$3 n0 s0 t0 r0 r1 hl out f host nconn
	s0=$(served 80)
	t0=$(fx_stat 0)
	counter_var r0 redirect
	nconn=0
	for f in ${FAMILIES:-4 6}; do
		nconn=$((nconn + 2))
		host=$VIP
		[ "$f" = 6 ] && host=$VIP6
		n0=$(log_lines I)
		fetch_ok f0.bin "$(addr vip "$f" | sed 's/:80$//')"
		out=$(peer_tool "$APP_CG" "$host" 80)
		expect_eq "$name: IPv$f getpeername" "${out% *}" "$(addr "$peer" "$f")"
		[ "${out#* }" -gt 1048576 ] ||
			fail "$name: peer.py read ${out#* } bytes, want the 1 MiB file and headers"
		wait_flows I $((n0 + 2))
		expect_log_lines I $((n0 + 2))
		for n in $((n0 + 1)) $((n0 + 2)); do
			expect_flow I "$n" "orig_dst=\"$(addr "$orig" "$f")\"" chain='["inspI"]' verdict='"pass"'
		done
	done
	expect_eq "$name: requests the backend served" $(($(served 80) - s0)) "$nconn"
	expect_eq "$name: connects the foreign program translated" $(($(fx_stat 0) - t0)) "$nconn"
	counter_var r1 redirect
	expect_eq "$name: redirects, one per connection" $((r1 - r0)) "$nconn"
	counter_var hl hop_limit
	expect_eq "$name: hop_limit" "$hl" 0
	wait_until 10 flows_empty || fail "$name: flows left: $(nflows)"
}

# ---- same cgroup, the foreign programs attached first --------------------------

fx_attach "$CG/eng"
engine_up "$CG/eng"
start_inspect I eng/inspI 127.0.0.1:15001 --register --service inspI --proto tcp --dport 80 \
	--listen '[::1]:15001'
INSP=$LAST_PID
# Where `up` put the engine's programs decides the outcome: appended (the
# kernel's attach order), or first where lwfp orders its links.
case $(first_connect4 "$CG/eng") in
sockbl_connect4) check before be be ;;
lwfp_connect4) check before-lwfp-placed-first vip vip ;;
*) fail "before: neither program runs first on $CG/eng: $("$BPFTOOL" cgroup show "$CG/eng")" ;;
esac
echo "before: connect4 runs $(first_connect4 "$CG/eng") first on $CG/eng"
fx_detach "$CG/eng"

# ---- same cgroup, attached after the engine -------------------------------------

fx_attach "$CG/eng"
expect_eq "after: the first connect4 program" "$(first_connect4 "$CG/eng")" lwfp_connect4
check after vip vip
fx_detach "$CG/eng"

# ---- on an ancestor cgroup ------------------------------------------------------

fx_attach "$CG"
check ancestor vip vip

# ---- control: the foreign programs alone ----------------------------------------

r0=0 r1=0 # counter_var sets them
counter_var r0 redirect
t0=$(fx_stat 0)
p0=$(fx_stat 1)
out=$(peer_tool plain "$VIP" 80)
expect_eq "alone: getpeername" "${out% *}" "$VIP:80"
expect_eq "alone: connects translated" $(($(fx_stat 0) - t0)) 1
# Python itself calls getpeername() again when the socket goes: at least one.
[ $(($(fx_stat 1) - p0)) -ge 1 ] || fail "alone: the foreign program restored no peer"
counter_var r1 redirect
expect_eq "alone: redirects" $((r1 - r0)) 0

# ---- same cgroup, `lwfpctl up --after` the foreign connect4 ------------------------
# Where lwfp can order its links (Linux 6.17), --after puts its connect4
# after the foreign one and its other programs first: the engine sees the
# backend, but its getpeername4 now runs before the foreign one, which finds
# the backend it wrote and shows the VIP again.
if "$LWFPCTL" up --help 2>&1 | grep -q -- '--after PROG'; then
	stop_inspect I "$INSP"
	"$LWFPCTL" down --pin-dir "$PIN" >"$T/down.out" 2>&1 || fail "lwfpctl down: $(cat "$T/down.out")"
	fx_detach "$CG"
	fx_attach "$CG/eng"
	if "$LWFPCTL" up --cgroup "$CG/eng" --pin-dir "$PIN" --after sockbl_connect4 >"$T/up.out" 2>"$T/up.err"; then
		engine_up "$CG/eng"
		start_inspect I eng/inspI 127.0.0.1:15001 --register --service inspI --proto tcp --dport 80 \
	--listen '[::1]:15001'
		INSP=$LAST_PID
		expect_eq "--after: the first connect4 program" "$(first_connect4 "$CG/eng")" sockbl_connect4
		# --after names one program: lwfp's connect6 stays first, so IPv4 only.
		FAMILIES=4 check after-option be vip
	else
		grep -q 'cannot order' "$T/up.err" || fail "lwfpctl up --after sockbl_connect4: $(cat "$T/up.err")"
		echo "--after: not on this kernel: $(cat "$T/up.err")"
		pass
	fi
fi

stop_inspect I "$INSP"
pass
