#!/bin/bash
# redsocks, unmodified (Debian's, `redirector = iptables`: it calls
# getsockopt(SO_ORIGINAL_DST) itself), with Debian's microsocks as its SOCKS5
# upstream, in an lwfp chain with lwfp-inspect and no iptables rule.
#
# redsocks does not connect to the original destination: it connects to
# the SOCKS server and sends it the destination in a SOCKS5 CONNECT, and the
# SOCKS server makes the connection to the destination. So the engine cannot
# tie redsocks's own outbound connection to the flow it relays, and the
# connection the SOCKS server makes is a new chain unless the SOCKS server
# shares redsocks's service identity. Two ways to set this up, both tested:
#
# (1) Scoped filters. redsocks is the service "redsocks" ($CG/redsocks);
#     microsocks ($CG/socks) is no service. The redsocks filter matches only
#     connects made from the app's cgroup (--cgroup $CG/app), so the connect
#     microsocks makes to the server is not sent back to redsocks; the
#     lwfp-inspect filter matches every connect to the HTTP port:
#
#       curl (app) -> redsocks :12345 -> microsocks :1080 ~> inspect -> server
#
#     ("~>" a new chain: inspect sees microsocks as the application, chain
#     ["inspI"]). redsocks's own connect to :1080 matches no filter.
#
# (2) One identity for the pair. Service "socksgw" is the cgroup $CG/gw, with
#     redsocks in $CG/gw/redsocks and microsocks in $CG/gw/socks. No filter
#     is scoped. microsocks's connect to the server is then a connect of the
#     service socksgw to the original destination, so it inherits the
#     records of the flow redsocks accepted (DESIGN.md §3) and the chain goes
#     on, with no loop:
#
#       curl -> inspect I (300) -> redsocks -> microsocks -> inspect J (100) -> server
#
#     J's chain is ["inspI","socksgw","inspJ"].
#
# In both, data arrives intact (sha256, 1 MiB and 4 MiB files), redsocks's log
# names the original destination, each proxy sees each flow once, and the
# hop_limit counter stays 0.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"
REDSOCKS=$(command -v redsocks || echo /usr/sbin/redsocks)
MICROSOCKS=$(command -v microsocks || echo /usr/bin/microsocks)
[ -x "$REDSOCKS" ] || fail "redsocks is missing (apt-get install redsocks)"
[ -x "$MICROSOCKS" ] || fail "microsocks is missing (apt-get install microsocks)"
[ -x "$INSPECT" ] || fail "$INSPECT is missing (run make, or set LWFP_BUILD)"

setup_all 2
head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/www/big.bin" || fail "cannot write $T/www/big.bin"
SUM[big.bin]=$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1)
mkcg app redsocks socks inspI inspJ gw gw/redsocks gw/socks
dport=(--proto tcp --dport "$HTTP_PORT")
r0=0 r1=0 # counter_var sets them

# ---- helpers ------------------------------------------------------------------------------

# start_pair NAME RSCG SOCKSCG RSPORT SOCKSPORT: redsocks (config and log
# $T/NAME.conf, $T/NAME.log) in $CG/RSCG and microsocks in $CG/SOCKSCG, both
# on 127.0.0.1 in the client netns; their pids in RS_PID and SOCKS_PID.
start_pair() {
	local name=$1 rscg=$2 sockscg=$3 rsport=$4 socksport=$5
	cat >"$T/$name.conf" <<-EOF
		base {
			log_debug = off;
			log_info = on;
			log = "file:$T/$name.log";
			daemon = off;
			redirector = iptables;
		}
		redsocks {
			local_ip = 127.0.0.1;
			local_port = $rsport;
			ip = 127.0.0.1;
			port = $socksport;
			type = socks5;
		}
	EOF
	spawn "$name-socks" "$sockscg" "$NSP_CLI" "$MICROSOCKS" -i 127.0.0.1 -p "$socksport"
	SOCKS_PID=$LAST_PID
	wait_listen "$NSP_CLI" "$socksport"
	spawn "$name" "$rscg" "$NSP_CLI" "$REDSOCKS" -c "$T/$name.conf"
	RS_PID=$LAST_PID
	wait_listen "$NSP_CLI" "$rsport"
}

stop_pair() { # PORT...
	local p
	for p in "$RS_PID" "$SOCKS_PID"; do
		kill -TERM "$p" 2>/dev/null
		wait_until 10 dead "$p" || fail "process $p did not stop"
		wait "$p" 2>/dev/null
	done
	for p in "$@"; do
		wait_until 10 not_listening "$NSP_CLI" "$p" || fail "port $p still listens"
	done
}

# fetch_all: f0.bin, f1.bin and big.bin from the app, by sha256.
fetch_all() {
	local f
	for f in f0.bin f1.bin big.bin; do fetch_ok "$f"; done
}

# rs_accepted NAME: how many connections redsocks logged as accepted for the
# original destination (its info lines read "[CLIENT->DST]: accepted").
rs_accepted() { grep -c -- "->$SRV4:$HTTP_PORT\]: accepted" "$T/$1.log"; }

served() { grep -c '"GET ' "$T/http-$HTTP_PORT.err"; }

# socks_connected NAME: connections microsocks logged to the destination.
socks_connected() { cat "$T/$1-socks.out" "$T/$1-socks.err" | grep -c "connected to $SRV4:$HTTP_PORT\$"; }

expect_hop_limit_0() {
	local hl=
	counter_var hl hop_limit
	[ "$hl" = 0 ] || fail "hop_limit counter is $hl, want 0"
}

# ---- (1) scoped filters ------------------------------------------------------------------

service_add HR redsocks --cgroup "$CG/redsocks"
filter_add FR --service redsocks --to 127.0.0.1:12345 --cgroup "$CG/app" --weight 200 "${dport[@]}"
start_pair rs1 redsocks socks 12345 1080
start_inspect I inspI 127.0.0.1:15001 --register --service inspI --weight 100 "${dport[@]}"
INSP_I=$LAST_PID

counter_var r0 redirect
s0=$(served)
fetch_all
wait_until 10 log_has I 3 || fail "inspect I logged $(log_lines I) flows, want 3"
[ "$(rs_accepted rs1)" = 3 ] ||
	fail "redsocks accepted $(rs_accepted rs1) connections for $SRV4:$HTTP_PORT, want 3: $(tail -n 5 "$T/rs1.log")"
expect_log_lines I 3
for n in 1 2 3; do
	# microsocks opened a new chain; inspect sees it as the application.
	expect_flow I "$n" chain='["inspI"]'
	expect_flow I "$n" "orig_dst=\"$SRV4:$HTTP_PORT\""
	expect_flow I "$n" comm='"microsocks"'
	expect_flow I "$n" verdict='"pass"'
done
[ $(($(served) - s0)) = 3 ] || fail "the server got $(($(served) - s0)) requests, want 3"
counter_var r1 redirect
# app -> redsocks, microsocks -> inspect: two redirects per request.
[ $((r1 - r0)) = 6 ] || fail "(1) $((r1 - r0)) redirects for 3 requests, want 6"
expect_hop_limit_0
wait_until 10 flows_empty || fail "(1) flows left: $(nflows)"
stop_inspect I "$INSP_I"
stop_pair 12345 1080
[ "$(socks_connected rs1)" = 3 ] || fail "(1) microsocks connected $(socks_connected rs1) times, want 3"
ctl service del redsocks

# ---- (2) one identity for redsocks and microsocks --------------------------------------------

service_add HG socksgw --cgroup "$CG/gw"
filter_add FG --service socksgw --to 127.0.0.1:12346 --weight 200 "${dport[@]}"
start_pair rs2 gw/redsocks gw/socks 12346 1081
start_inspect I2 inspI 127.0.0.1:15001 --register --service inspI --weight 300 "${dport[@]}"
INSP_I=$LAST_PID
start_inspect J inspJ 127.0.0.1:15002 --register --service inspJ --weight 100 "${dport[@]}"
INSP_J=$LAST_PID

counter_var r0 redirect
s0=$(served)
fetch_all
wait_until 10 log_has I2 3 || fail "inspect I logged $(log_lines I2) flows, want 3"
wait_until 10 log_has J 3 || fail "inspect J logged $(log_lines J) flows, want 3"
[ "$(rs_accepted rs2)" = 3 ] ||
	fail "redsocks accepted $(rs_accepted rs2) connections for $SRV4:$HTTP_PORT, want 3: $(tail -n 5 "$T/rs2.log")"
expect_log_lines I2 3
expect_log_lines J 3
for n in 1 2 3; do
	expect_flow I2 "$n" chain='["inspI"]'
	expect_flow J "$n" chain='["inspI","socksgw","inspJ"]'
	expect_flow J "$n" "orig_dst=\"$SRV4:$HTTP_PORT\""
	# The application that opened the chain, carried through the pair.
	expect_flow J "$n" comm='"curl"'
	expect_flow J "$n" verdict='"pass"'
done
[ $(($(served) - s0)) = 3 ] || fail "the server got $(($(served) - s0)) requests, want 3"
counter_var r1 redirect
[ $((r1 - r0)) = 9 ] || fail "(2) $((r1 - r0)) redirects for 3 requests, want 9"
expect_hop_limit_0
wait_until 10 flows_empty || fail "(2) flows left: $(nflows)"
stop_inspect I2 "$INSP_I"
stop_inspect J "$INSP_J"
stop_pair 12346 1081
[ "$(socks_connected rs2)" = 3 ] || fail "(2) microsocks connected $(socks_connected rs2) times, want 3"

pass
