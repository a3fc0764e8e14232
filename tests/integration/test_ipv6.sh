#!/bin/bash
# IPv6 and v4-mapped IPv6 connects are redirected, and the application's
# getpeername() shows the original destination, not the proxy.
#   - IPv6: [2001:db8::2]:8000 -> a relay on [::1]:15006 (an IPv6 filter);
#   - v4-mapped: an AF_INET6 socket connecting to [::ffff:198.18.0.2]:8000 is
#     matched by the IPv4 filter and reaches the relay on 127.0.0.1:15004;
#   - plain IPv4 for comparison.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg app svcA
service_add HA v6svc --cgroup "$CG/svcA"
start_relay R6 svcA "[::1]:15006" --state-handles "$HA"
start_relay R4 svcA 127.0.0.1:15004 --state-handles "$HA"
filter_add F6 --service v6svc --to "[::1]:15006" --proto tcp --family 6 \
	--dst "$SRV6/128" --dport "$HTTP_PORT"
filter_add F4 --service v6svc --to 127.0.0.1:15004 --proto tcp --family 4 \
	--dst "$SRV4/32" --dport "$HTTP_PORT"

# curl over IPv6.
fetch_ok f0.bin "[$SRV6]"
expect_log_lines R6 1
expect_log R6 1 "orig=[$SRV6]:$HTTP_PORT" "ctx_orig=[$SRV6]:$HTTP_PORT" agree=1 nhops=1 \
	"hops=$HA/$F6" "in_state=$HA:1" "out_state=$HA:1" set=0 connect=0

# peername: IPv6, v4-mapped, IPv4. Each fetches the file through the relay
# and prints what getpeername() says on the application's socket.
peer_ok() { # ADDR:PORT WANT-PEER
	run_in app "$NATIVE" peername --connect "$1" --get /f0.bin --out "$T/peer.bin" \
		>"$T/peer.out" 2>&1 || fail "peername --connect $1: $(cat "$T/peer.out")"
	[ "$(cat "$T/peer.out")" = "peer $2" ] ||
		fail "getpeername after connecting to $1: '$(cat "$T/peer.out")', want 'peer $2'"
	[ "$(sha256sum <"$T/peer.bin" | cut -d' ' -f1)" = "${SUM[f0.bin]}" ] ||
		fail "the body fetched via $1 is corrupted"
}

peer_ok "[$SRV6]:$HTTP_PORT" "[$SRV6]:$HTTP_PORT"
expect_log_lines R6 2
expect_log R6 2 "orig=[$SRV6]:$HTTP_PORT" agree=1 nhops=1 "hops=$HA/$F6" connect=0

peer_ok "[::ffff:$SRV4]:$HTTP_PORT" "[::ffff:$SRV4]:$HTTP_PORT"
expect_log_lines R4 1
expect_log R4 1 "orig=$SRV4:$HTTP_PORT" "ctx_orig=$SRV4:$HTTP_PORT" agree=1 nhops=1 \
	"hops=$HA/$F4" "in_state=$HA:1" set=0 connect=0

peer_ok "$SRV4:$HTTP_PORT" "$SRV4:$HTTP_PORT"
expect_log_lines R4 2
expect_log R4 2 "orig=$SRV4:$HTTP_PORT" agree=1 "hops=$HA/$F4" connect=0
expect_log_lines R6 2

pass
