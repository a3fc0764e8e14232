#!/bin/bash
# Netfilter next to the engine: another product's iptables rules for the port
# lwfp redirects. The engine is on $CG/eng; lwfp-inspect ($CG/eng/inspI)
# redirects TCP port 8000 (the HTTP server, 198.18.0.2:8000) and port 80.
#
# nat OUTPUT REDIRECT, in the client netns, to lwfp-legacy-relay on
# 127.0.0.1:12345 (an SO_ORIGINAL_DST proxy, standing for redsocks and the
# like). The rule excludes the relay's own cgroup, as such products do
# (`-m owner`, `-m cgroup`), or the relay would catch its own connects. Two
# counting rules before it tell whose connects reach nat with port 8000: the
# application's ($CG/eng/app) and lwfp-inspect's.
#   (a1) the relay inside the engine's subtree, the lwfp filter scoped to the
#        applications (--cgroup $CG/eng/app): curl -> lwfp-inspect -> nat ->
#        relay -> server. The engine sees the flow first: it rewrites the
#        application's connect at connect(), before any packet, so nat never
#        sees port 8000 from the application; nat catches lwfp-inspect's
#        outbound connection; the relay gets the original destination from
#        conntrack (the engine leaves SO_ORIGINAL_DST alone on sockets it did
#        not redirect); the relay's own connect matches no lwfp filter.
#   (a2) the relay outside the engine's subtree, the lwfp filter unscoped:
#        the same chain; the engine never sees the relay's connect.
#   (a3) what the operator must avoid: the relay inside the engine's subtree
#        and the lwfp filter unscoped. The relay's connect is an
#        application's connect to lwfp (it is no service and could not
#        inherit a flow nat delivered), so lwfp sends it to lwfp-inspect
#        again, whose connect nat sends to the relay again: a loop of new
#        chains that the hop limit cannot see. The relay's --max-flows bounds
#        it; curl fails, lwfp-inspect logs the relay as an application.
# TPROXY, on a box the client reaches through the veth (the server netns):
# mangle PREROUTING TPROXY for 198.19.1.0/24 port 80, fwmark policy routing
# to a local table, and a transparent relay (tproxy.py) that forwards to the
# HTTP server.
#   (b)  curl -> lwfp-inspect -> TPROXY relay -> server: the engine sees the
#        flow first, at connect() on the client; TPROXY sees lwfp-inspect's
#        packets when they enter the box, with the original destination
#        198.19.1.1:80 intact. No loop: the box's relay is outside the
#        engine's subtree.
# Each case: the bytes arrive intact, every proxy logs each flow once with
# the original destination, exactly one lwfp redirect per connection,
# hop_limit 0.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"
. "$(dirname "$0")/lib_coexist.sh"

# The engine is on $CG/eng, so the applications run below it.
APP_CG=eng/app

LEGACY=$BIN/lwfp-legacy-relay
[ -x "$LEGACY" ] || fail "$LEGACY is missing (run make, or set LWFP_BUILD)"
[ -x "$IPTABLES" ] || fail "iptables is missing (apt-get install iptables)"
TPROXY_DST=198.19.1.1
REL=${CG#"$CG2"/}

setup_netns
make_files 1
start_http "$HTTP_PORT"
mkcg eng eng/app eng/inspI eng/legacy legacy
engine_up "$CG/eng"
r0=0 r1=0 hl=0 # counter_var sets them

# ---- helpers ------------------------------------------------------------------------

ipt() { # NSPATH IPTABLES ARGS...
	local ns=$1
	shift
	nsenter --net="$ns" "$IPTABLES" "$@" 2>"$T/ipt.err" || fail "iptables $*: $(cat "$T/ipt.err")"
}

# nat_rules EXCLUDED: the other product's rules, its relay's cgroup excluded.
nat_rules() {
	ipt "$NSP_CLI" -t nat -F OUTPUT
	ipt "$NSP_CLI" -t nat -A OUTPUT -p tcp --dport "$HTTP_PORT" -m cgroup --path "$REL/eng/app"
	ipt "$NSP_CLI" -t nat -A OUTPUT -p tcp --dport "$HTTP_PORT" -m cgroup --path "$REL/eng/inspI"
	ipt "$NSP_CLI" -t nat -A OUTPUT -p tcp --dport "$HTTP_PORT" -m cgroup ! --path "$1" \
		-j REDIRECT --to-ports 12345
}

start_legacy() { # NAME CGSUB
	RELAY=$LEGACY start_relay "$1" "$2" 127.0.0.1:12345 --max-flows 4
	LEGACY_PID=$LAST_PID
}

# nat_case NAME RELAY: two fetches through lwfp-inspect I, nat and RELAY.
nat_case() {
	local name=$1 relay=$2 n0 s0
	n0=$(log_lines I)
	s0=$(served "$HTTP_PORT")
	counter_var r0 redirect
	fetch_ok f0.bin
	fetch_ok f0.bin
	wait_flows I $((n0 + 2))
	expect_log_lines I $((n0 + 2))
	expect_flow I $((n0 + 1)) "orig_dst=\"$SRV4:$HTTP_PORT\"" chain='["inspI"]' comm='"curl"'
	expect_flow I $((n0 + 2)) "orig_dst=\"$SRV4:$HTTP_PORT\"" chain='["inspI"]' comm='"curl"'
	expect_log_lines "$relay" 2
	expect_log "$relay" all "orig=$SRV4:$HTTP_PORT" connect=0
	expect_eq "$name: the application's connects nat saw" "$(rule_pkts "$NSP_CLI" nat OUTPUT 1)" 0
	expect_eq "$name: lwfp-inspect's connects nat saw" "$(rule_pkts "$NSP_CLI" nat OUTPUT 2)" 2
	expect_eq "$name: connects nat redirected" "$(rule_pkts "$NSP_CLI" nat OUTPUT 3)" 2
	expect_eq "$name: requests served" $(($(served "$HTTP_PORT") - s0)) 2
	counter_var r1 redirect
	expect_eq "$name: lwfp redirects" $((r1 - r0)) 2
	counter_var hl hop_limit
	expect_eq "$name: hop_limit" "$hl" 0
	wait_until 10 flows_empty || fail "$name: flows left: $(nflows)"
}

# ---- (a1) the relay inside the engine's subtree, the lwfp filter scoped --------------

start_inspect I eng/inspI 127.0.0.1:15001 --register --service inspI --proto tcp \
	--dport "$HTTP_PORT" --cgroup "$CG/eng/app"
INSP=$LAST_PID
nat_rules "$REL/eng/legacy"
start_legacy L1 eng/legacy
nat_case a1 L1
stop_relay L1 "$LEGACY_PID" 12345
stop_inspect I "$INSP"

# ---- (a2) the relay outside the engine's subtree, the lwfp filter unscoped ------------

start_inspect I eng/inspI 127.0.0.1:15001 --register --service inspI --proto tcp \
	--dport "$HTTP_PORT,80"
INSP=$LAST_PID
nat_rules "$REL/legacy"
start_legacy L2 legacy
nat_case a2 L2
stop_relay L2 "$LEGACY_PID" 12345

# ---- (a3) neither excluded: a loop that only the relay's flow limit ends ---------------

nat_rules "$REL/eng/legacy"
start_legacy L3 eng/legacy
n0=$(log_lines I)
s0=$(served "$HTTP_PORT")
counter_var r0 redirect
app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/loop.bin" --max-time 15 &&
	fail "a3: curl succeeded through a loop: $(head -c 200 "$T/loop.bin")"
wait_until 10 grep -q 'refused=max-flows' "$T/L3.log" ||
	fail "a3: the relay never hit its flow limit: $(head -n 5 "$T/L3.log")"
expect_eq "a3: requests served" $(($(served "$HTTP_PORT") - s0)) 0
wait_until 15 flows_empty || fail "a3: flows left after the loop ended: $(nflows)"
# Each round, the relay's connect is redirected to lwfp-inspect as a new
# chain: with --max-flows 4 the relay relays 4 flows and refuses the fifth,
# so lwfp-inspect logs curl's flow and 4 of the relay's, and the engine
# redirected 5 connects.
wait_flows I $((n0 + 5))
expect_log_lines I $((n0 + 5))
expect_eq "a3: flows lwfp-inspect took from the relay" \
	"$(tail -n +$((n0 + 1)) "$T/I.log" | grep -c '"comm":"lwfp-legacy-rel"')" 4
expect_eq "a3: flows the relay relayed" "$(grep -c 'connect=0' "$T/L3.log")" 4
counter_var r1 redirect
expect_eq "a3: lwfp redirects" $((r1 - r0)) 5
counter_var hl hop_limit
expect_eq "a3: hop_limit (each round is a new chain)" "$hl" 0
stop_relay L3 "$LEGACY_PID" 12345
ipt "$NSP_CLI" -t nat -F OUTPUT

# ---- (b) TPROXY on a box behind the veth ------------------------------------------------

cat >"$T/tproxy.py" <<'PY'
# A transparent relay: accepts what TPROXY hands it, logs the peer and the
# original destination (its local address), relays to UPSTREAM.
import socket, sys, threading

IP_TRANSPARENT = 19
port, log, up_host, up_port = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

def pipe(a, b):
    try:
        while data := a.recv(1 << 16):
            b.sendall(data)
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def serve(c):
    u = socket.create_connection((up_host, up_port))
    t = threading.Thread(target=pipe, args=(u, c))
    t.start()
    pipe(c, u)
    t.join()
    c.close()
    u.close()

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
ls.bind(("0.0.0.0", port))
ls.listen(64)
while True:
    c, peer = ls.accept()
    dst = c.getsockname()
    with open(log, "a") as f:
        f.write("peer=%s dst=%s:%d\n" % (peer[0], dst[0], dst[1]))
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

ip -n "$NS_CLI" route add 198.19.1.0/24 via "$SRV4" || fail "cannot route 198.19.1.0/24 to the box"
ipt "$NSP_SRV" -t mangle -A PREROUTING -i "$VETH_SRV" -p tcp -d 198.19.1.0/24 --dport 80 \
	-j TPROXY --on-port 12346 --tproxy-mark 0x1/0x1
# TPROXY marks the packets; the mark routes them to the box itself.
ip -n "$NS_SRV" rule add fwmark 0x1/0x1 lookup 100 || fail "cannot add the fwmark rule of TPROXY"
ip -n "$NS_SRV" route add local 0.0.0.0/0 dev lo table 100 || fail "cannot add the local route of TPROXY"
: >"$T/TP.log"
spawn TP - "$NSP_SRV" "$PY" "$T/tproxy.py" 12346 "$T/TP.log" 127.0.0.1 "$HTTP_PORT"
wait_listen "$NSP_SRV" 12346

n0=$(log_lines I)
s0=$(served "$HTTP_PORT")
counter_var r0 redirect
rm -f "$T/tp.bin"
app_curl "http://$TPROXY_DST/f0.bin" "$T/tp.bin" || fail "b: curl http://$TPROXY_DST/f0.bin: $(cat "$T/curl.err")"
expect_eq "b: sha256 through TPROXY" "$(sha256sum <"$T/tp.bin" | cut -d' ' -f1)" "${SUM[f0.bin]}"
wait_flows I $((n0 + 1))
expect_flow I last "orig_dst=\"$TPROXY_DST:80\"" chain='["inspI"]' comm='"curl"'
expect_eq "b: connections the TPROXY relay got" "$(grep -c '' "$T/TP.log")" 1
expect_eq "b: what the TPROXY relay saw" "$(cat "$T/TP.log")" "peer=$CLI4 dst=$TPROXY_DST:80"
expect_eq "b: requests served" $(($(served "$HTTP_PORT") - s0)) 1
counter_var r1 redirect
expect_eq "b: lwfp redirects" $((r1 - r0)) 1
counter_var hl hop_limit
expect_eq "b: hop_limit" "$hl" 0
wait_until 10 flows_empty || fail "b: flows left: $(nflows)"

stop_inspect I "$INSP"
pass
