#!/bin/bash
# lwfp-inspect, the reference proxy, in the harness:
#   (a) a --register --dport instance: curl through it gets the right body,
#       its service and filters are listed, and the JSON flow line has every
#       field of the contract with the right values (bytes as curl counted);
#       IPv6 through its IPv6 listener; HTTPS logs the TLS server name; a
#       second instance on its port and a --register that cannot add its
#       filters fail, leaving nothing;
#   (d) --block by Host or TLS name glob and by address prefix stop exactly
#       the matching flows, which never reach the server, logged with the rule;
#   (e) 16 MiB down (curl) and 16 MiB up and back (python) arrive byte-exact;
#   (f) half-close: a client that sends, shuts down its write side and then
#       reads gets the whole reply, which the server sends only after EOF;
#   (h) SIGHUP reopens the log: after a rotation, new flows go to a new file;
#   (g) SIGTERM: the service and filters go, it exits 0, connects go direct;
#       live flows may finish within --drain-timeout (the filters go at
#       once, the service after them), and are cut off at the bound;
#   (b) as a service configured with lwfpctl (no --register); an instance
#       that is not the service's identity gets no records: its flows fail;
#   (c) a chain of two instances: each logs the flow once, with one token,
#       and the second's chain names both hops in order.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"

BIG=$((16 * 1024 * 1024))
EOF_PORT=9001
TLS_PORT=8443

setup_all 1
head -c "$BIG" /dev/urandom >"$T/www/big.bin" || fail "cannot write $T/www/big.bin"
SUM[big.bin]=$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1)
mkcg app

# ---- helpers ---------------------------------------------------------------------

# The server of (e) and (f), in the server netns: EOF_PORT reads to EOF, then
# replies "SHA256 SIZE\n" and the bytes it read, and closes.
cat >"$T/srv.py" <<'PY'
import asyncio, hashlib, sys

async def after_eof(r, w):
    try:
        chunks = []
        while data := await r.read(1 << 16):
            chunks.append(data)
        data = b"".join(chunks)
        w.write(f"{hashlib.sha256(data).hexdigest()} {len(data)}\n".encode() + data)
        await w.drain()
    except ConnectionError:
        pass
    finally:
        w.close()

async def main():
    srv = await asyncio.start_server(after_eof, host=None, port=int(sys.argv[1]))
    await srv.serve_forever()

asyncio.run(main())
PY

# The client: sends SIZE random bytes, shuts down its write side, reads the
# reply to EOF and checks it (the server's hash of what it got, then the
# bytes back). Prints "UP DOWN", the bytes it sent and received.
cat >"$T/halfclose.py" <<'PY'
import hashlib, os, socket, sys

host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = os.urandom(size)
s = socket.create_connection((host, port), timeout=20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
chunks = []
while chunk := s.recv(1 << 20):
    chunks.append(chunk)
s.close()
got = b"".join(chunks)
head, nl, rest = got.partition(b"\n")
want = f"{hashlib.sha256(data).hexdigest()} {size}".encode()
if not nl or head != want:
    sys.exit(f"the server got other bytes than were sent: it says {head[:80]!r}, want {want!r}")
if rest != data:
    sys.exit(f"the reply after EOF differs: {len(rest)} bytes back of {size}")
print(size, len(got))
PY

# jget FILE N KEY: the value of KEY on line N of FILE (strings bare, else JSON).
jget() {
	"$PY" -c '
import json, sys
o = json.loads([l for l in open(sys.argv[1]) if l.strip()][int(sys.argv[2]) - 1])
v = o.get(sys.argv[3])
print(v if isinstance(v, str) else json.dumps(v))' "$@"
}

# curl_app OUT CURL ARGS...: curl in the app cgroup, the body in OUT; its pid
# in $T/curl.pid (the shell execs curl), "request header body" sizes as curl
# counted them in CURL_W, its stderr in $T/curl.err. Returns curl's status.
curl_app() {
	local out=$1
	shift
	rm -f "$out" "$T/curl.pid"
	# shellcheck disable=SC2016
	CURL_W=$(run_in app sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/curl.pid" \
		curl -sS -g --noproxy '*' --connect-timeout 10 --max-time 30 -o "$out" \
		-w '%{size_request} %{size_header} %{size_download}' "$@" 2>"$T/curl.err")
}

# fetch NAME [CURL ARGS...]: /NAME from the server ($FETCH_HOST, default
# $SRV4) through the filters, checked by sha256; then UP and DOWN are the
# bytes each way as curl saw them, CURL_PID its pid.
fetch() {
	local f=$1 got
	shift
	curl_app "$T/fetch.bin" "$@" "http://${FETCH_HOST:-$SRV4}:$HTTP_PORT/$f" ||
		fail "curl http://${FETCH_HOST:-$SRV4}:$HTTP_PORT/$f $*: $(cat "$T/curl.err")"
	got=$(sha256sum <"$T/fetch.bin" | cut -d' ' -f1)
	[ "$got" = "${SUM[$f]}" ] || fail "http://${FETCH_HOST:-$SRV4}:$HTTP_PORT/$f: sha256 $got, want ${SUM[$f]}"
	read -r UP hdr body <<<"$CURL_W"
	[ "$body" = "$(stat -c %s "$T/www/$f")" ] || fail "curl counted $body body bytes of /$f"
	DOWN=$((hdr + body))
	CURL_PID=$(cat "$T/curl.pid")
}

# halfclose SIZE: the half-close client in the app cgroup against EOF_PORT;
# UP and DOWN are what it sent and received.
halfclose() {
	local out
	out=$(run_in app "$PY" "$T/halfclose.py" "$SRV4" "$EOF_PORT" "$1" 2>&1) ||
		fail "half-close client, $1 bytes: $out"
	read -r UP DOWN <<<"$out"
}

# expect_services WANT WHEN: the names of the services, sorted and
# space-separated, are WANT.
expect_services() {
	local got
	ctl service list -j
	got=$(printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
print(" ".join(sorted(s["name"] for s in json.load(sys.stdin))))') ||
		fail "lwfpctl service list -j printed no list of services: $CTL_OUT"
	[ "$got" = "$1" ] || fail "services $2: '$got', want '$1'"
}

# expect_filters WANT WHEN: the filters, as "service:to:weight:dport" words
# highest weight first, are WANT.
expect_filters() {
	local got
	ctl filter list -j
	got=$(printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
print(" ".join("%s:%s:%s:%s" % (f["service"], f["to"], f["weight"], f["dport"])
               for f in json.load(sys.stdin)))') ||
		fail "lwfpctl filter list -j printed no list of filters: $CTL_OUT"
	[ "$got" = "$1" ] || fail "filters $2: '$got', want '$1'"
}

# i1_flow CHECK...: the next flow of I1, once logged, passes the checks.
N1=0
i1_flow() {
	N1=$((N1 + 1))
	wait_flows I1 "$N1"
	expect_flow I1 "$N1" "$@"
}

spawn srv - "$NSP_SRV" "$PY" "$T/srv.py" "$EOF_PORT"
wait_listen "$NSP_SRV" "$EOF_PORT"
# A TLS server with a self-signed certificate, for the SNI.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=tls.example >/dev/null 2>&1 || fail "openssl cannot make a certificate"
spawn tls - "$NSP_SRV" openssl s_server -accept "$TLS_PORT" -cert "$T/cert.pem" -key "$T/key.pem" -www -quiet
wait_listen "$NSP_SRV" "$TLS_PORT"

# ---- (a) one --register instance --------------------------------------------------------

# Listening on both families: one filter per family and --dport item.
start_inspect I1 insp1 127.0.0.1:15001 --listen '[::1]:15001' --register \
	--dport "$HTTP_PORT,$EOF_PORT,$TLS_PORT" --block '*.example.test' --block 198.18.0.128/25
I1=$LAST_PID
S1=lwfp-inspect-$I1
expect_services "$S1" "after --register"
want=
for to in 127.0.0.1:15001 '[::1]:15001'; do
	for port in "$HTTP_PORT" "$EOF_PORT" "$TLS_PORT"; do
		want="$want $S1:$to:100:$port"
	done
done
expect_filters "${want# }" "after --register"

fetch f0.bin
i1_flow verdict=pass "chain=[\"$S1\"]" "orig_dst=$SRV4:$HTTP_PORT" \
	"pid=$CURL_PID" comm=curl uid=0 "host=$SRV4" "bytes_up=$UP" "bytes_down=$DOWN" \
	"bytes_down>=$(stat -c %s "$T/www/f0.bin")" 'duration_ms>=0' '!sni' '!rule' '!error'
[ -n "$(jget "$T/I1.log" 1 token)" ] || fail "no token in the flow log"
[ -z "$(cat "$T/I1.out")" ] || fail "lwfp-inspect wrote to stdout with --log: $(head -c 300 "$T/I1.out")"

# IPv6, through the IPv6 listener.
FETCH_HOST="[$SRV6]" fetch f0.bin
i1_flow verdict=pass "chain=[\"$S1\"]" "orig_dst=[$SRV6]:$HTTP_PORT" "host=[$SRV6]" \
	"pid=$CURL_PID" "bytes_up=$UP" "bytes_down=$DOWN"

# HTTPS: the TLS server name is logged, not a Host.
curl_app "$T/tls.out" -k --resolve "tls.example:$TLS_PORT:$SRV4" "https://tls.example:$TLS_PORT/" ||
	fail "curl https://tls.example:$TLS_PORT/: $(cat "$T/curl.err")"
grep -q 's_server' "$T/tls.out" || fail "the TLS server's page did not arrive: $(head -c 300 "$T/tls.out")"
i1_flow verdict=pass sni=tls.example '!host' "orig_dst=$SRV4:$TLS_PORT" "pid=$(cat "$T/curl.pid")"

# A second instance cannot take the same port; a --register whose --family
# has no listener fails and leaves nothing behind.
mkcg insp9
run_in insp9 "$INSPECT" --listen 127.0.0.1:15001 --pin-dir "$PIN" >"$T/dup.out" 2>&1 &&
	fail "a second lwfp-inspect on 127.0.0.1:15001 started"
grep -q '127.0.0.1:15001' "$T/dup.out" || fail "a second instance on the same port: $(cat "$T/dup.out")"
run_in insp9 "$INSPECT" --listen 127.0.0.1:15009 --register --family 6 --pin-dir "$PIN" \
	>"$T/fam.out" 2>&1 && fail "--register --family 6 without an IPv6 listener started"
expect_services "$S1" "after a failed --register"
expect_filters "${want# }" "after a failed --register"

# ---- (d) --block -----------------------------------------------------------------------

# A Host that the glob matches: refused before connecting to the server.
curl_app "$T/blocked.bin" -H 'Host: ads.example.test' "http://$SRV4:$HTTP_PORT/f0.bin?blocked-by-host" &&
	fail "curl with Host ads.example.test got through --block '*.example.test'"
[ -s "$T/blocked.bin" ] && fail "a blocked flow delivered $(stat -c %s "$T/blocked.bin") bytes"
i1_flow verdict=block 'rule=*.example.test' host=ads.example.test \
	"orig_dst=$SRV4:$HTTP_PORT" comm=curl bytes_up=0 bytes_down=0
# The glob needs a label before .example.test: example.test itself passes.
fetch f0.bin -H 'Host: example.test'
i1_flow verdict=pass host=example.test "bytes_up=$UP" "bytes_down=$DOWN"
# A TLS server name that matches.
curl_app "$T/blocked.bin" -k --resolve "a.b.example.test:$TLS_PORT:$SRV4" "https://a.b.example.test:$TLS_PORT/" &&
	fail "curl https://a.b.example.test got through --block '*.example.test'"
i1_flow verdict=block 'rule=*.example.test' sni=a.b.example.test bytes_up=0 bytes_down=0
# An address in the blocked prefix (no server there: the block comes first).
curl_app "$T/blocked.bin" "http://198.18.0.200:$HTTP_PORT/blocked-by-prefix" &&
	fail "curl to 198.18.0.200 got through --block 198.18.0.128/25"
i1_flow verdict=block rule=198.18.0.128/25 "orig_dst=198.18.0.200:$HTTP_PORT" \
	comm=curl bytes_up=0 bytes_down=0
grep -q 'blocked-by' "$T/http-$HTTP_PORT.err" &&
	fail "a blocked request reached the server: $(grep 'blocked-by' "$T/http-$HTTP_PORT.err")"

# ---- (e) 16 MiB each way ---------------------------------------------------------------------

fetch big.bin
i1_flow verdict=pass "bytes_up=$UP" "bytes_down=$DOWN" "bytes_down>=$BIG"
# Up: the server hashes what it got; the reply brings the 16 MiB back.
halfclose "$BIG"
i1_flow verdict=pass "orig_dst=$SRV4:$EOF_PORT" comm=python3 "bytes_up=$BIG" "bytes_down=$DOWN"

# ---- (f) half-close ------------------------------------------------------------------------

# The server replies only after the client's FIN: if the proxy did not pass
# it on with shutdown(SHUT_WR), or closed both ways, the client would hang
# or get a short reply. Also with nothing sent at all.
for size in 0 1 200000; do
	halfclose "$size"
	i1_flow verdict=pass "bytes_up=$size" "bytes_down=$DOWN"
done

# ---- (h) SIGHUP reopens the log ------------------------------------------------------------

mv "$T/I1.log" "$T/I1-rotated.log"
kill -HUP "$I1"
wait_until 10 test -e "$T/I1.log" || fail "no new $T/I1.log after SIGHUP"
# The new file exists once open() returned; the switch to it follows at once.
sleep 0.2
alive "$I1" || fail "lwfp-inspect exited on SIGHUP: $(cat "$T/I1.err")"
ROTATED=$N1
N1=0
fetch f0.bin
i1_flow verdict=pass "pid=$CURL_PID" "bytes_down=$DOWN"
[ "$(grep -c '' "$T/I1-rotated.log")" = "$ROTATED" ] ||
	fail "the rotated log got a flow after SIGHUP: $(tail -n 1 "$T/I1-rotated.log")"

# ---- (g) SIGTERM ---------------------------------------------------------------------------

stop_inspect I1 "$I1"
expect_services "" "after SIGTERM"
expect_filters "" "after SIGTERM"
[ "$(grep -c '' "$T/I1.log")" = 1 ] || fail "I1 logged more flows than it had: $(cat "$T/I1.log")"
[ "$(grep -c '' "$T/I1-rotated.log")" = "$ROTATED" ] || fail "I1's rotated log changed"
# A connect from the app goes direct now: it works and is not redirected.
redir0='' redir1=''
counter_var redir0 redirect
fetch f0.bin
counter_var redir1 redirect
[ "$redir1" = "$redir0" ] || fail "a connect was redirected after SIGTERM (redirect $redir0 -> $redir1)"

# ---- (g) SIGTERM with live flows: the drain ------------------------------------------------

# slow_fetch OUT RATE: big.bin at curl's --limit-rate RATE, in the background
# (its pid in SLOW), curl's status and the body's sha256 in OUT.rc and
# OUT.sum; back when its connection to the proxy on 15021 is up.
slow_fetch() {
	# shellcheck disable=SC2016
	run_in app bash -c 'curl -sS --noproxy "*" --max-time 60 --limit-rate "$2" "$3" | sha256sum >"$1.sum"
		echo "${PIPESTATUS[0]}" >"$1.rc"' bash "$1" "$2" "http://$SRV4:$HTTP_PORT/big.bin" 2>"$1.err" &
	SLOW=$!
	# shellcheck disable=SC2016
	wait_until 10 eval 'nsenter --net="$NSP_CLI" ss -Htn state established "dport = :15021" | grep -q .' ||
		fail "the slow fetch did not reach the proxy: $(cat "$1.err")"
}

# A flow shorter than the drain bound ends normally; lwfp-inspect waits for
# it. Its filters go at once (new connects go direct), its service when the
# flows are done.
start_inspect D insp2 127.0.0.1:15021 --register --dport "$HTTP_PORT" --drain-timeout 20
D=$LAST_PID
slow_fetch "$T/slow1" 4M
kill -TERM "$D"
# shellcheck disable=SC2016
wait_until 10 eval '[ "$("$LWFPCTL" filter list -j --pin-dir "$PIN")" = "[]" ]' ||
	fail "the filters are still there while draining"
alive "$D" || fail "lwfp-inspect did not wait for its live flow: $(cat "$T/D.err")"
expect_services "lwfp-inspect-$D" "while draining"
wait_exit "$SLOW" 30
[ "$(cat "$T/slow1.rc"):$(cut -d' ' -f1 "$T/slow1.sum")" = "0:${SUM[big.bin]}" ] ||
	fail "a flow that ended within the drain bound: curl status $(cat "$T/slow1.rc"), sha256 $(cut -d' ' -f1 "$T/slow1.sum"): $(cat "$T/slow1.err")"
wait_exit "$D" 10
[ "$WAIT_RC" = 0 ] || fail "lwfp-inspect exited $WAIT_RC after draining, want 0"
expect_flow D 1 verdict=pass "bytes_down>=$BIG"
expect_services "" "after draining"
# A flow longer than the bound is cut off, and reset, not ended cleanly. (At
# 2 MB/s, in a second no more than 2 MB and what the socket buffers hold,
# well under 16 MiB, can have passed; curl reads what its buffer holds
# before it sees the reset.)
start_inspect D2 insp2 127.0.0.1:15021 --register --dport "$HTTP_PORT" --drain-timeout 1
D2=$LAST_PID
slow_fetch "$T/slow2" 2M
t0=$(date +%s)
kill -TERM "$D2"
wait_exit "$D2" 10
[ "$WAIT_RC" = 0 ] || fail "lwfp-inspect exited $WAIT_RC after the drain bound, want 0"
[ $(($(date +%s) - t0)) -le 5 ] || fail "lwfp-inspect took $(($(date +%s) - t0)) s to stop with --drain-timeout 1"
wait_exit "$SLOW" 30
[ "$(cat "$T/slow2.rc")" != 0 ] || fail "curl ended well through a flow cut off at the drain bound"
expect_flow D2 1 verdict=error
expect_services "" "after the drain bound"
expect_filters "" "after the drain bound"

# ---- (b) a service configured with lwfpctl ----------------------------------------------------

mkcg svcS
service_add HS inspsvc --cgroup "$CG/svcS"
filter_add FS --service inspsvc --to 127.0.0.1:15002 --proto tcp --dport "$HTTP_PORT"
start_inspect S svcS 127.0.0.1:15002 --service inspsvc
S=$LAST_PID
fetch f0.bin
wait_flows S 1
expect_flow S 1 verdict=pass 'chain=["inspsvc"]' "orig_dst=$SRV4:$HTTP_PORT" \
	"pid=$CURL_PID" comm=curl uid=0 "host=$SRV4" "bytes_up=$UP" "bytes_down=$DOWN"
stop_inspect S "$S"
# It removes only what it added: the administrator's service and filter stay.
expect_services inspsvc "after the configured instance stopped"
expect_filters "inspsvc:127.0.0.1:15002:100:$HTTP_PORT" "after the configured instance stopped"
# An instance whose identity is not the service's cannot register its
# listener, so the engine never hands it the flow: the fail-closed filter
# refuses the connect, and nothing reaches the instance or the server.
counter_var nol0 no_listener
start_inspect W wrongcg 127.0.0.1:15002 --service inspsvc
W=$LAST_PID
wait_until 10 grep -q "is this process its identity" "$T/W.err" ||
	fail "an instance of the wrong identity did not say it cannot register: $(cat "$T/W.err")"
curl_app "$T/wrong.bin" "http://$SRV4:$HTTP_PORT/f0.bin?wrong-identity" &&
	fail "a flow got through an instance that is not the service's identity"
counter_var nol1 no_listener
[ "$nol1" -gt "$nol0" ] || fail "no_listener did not count the flow refused for want of a registered listener"
[ "$(log_lines W)" = 0 ] || fail "the instance of the wrong identity logged a flow"
grep -q 'wrong-identity' "$T/http-$HTTP_PORT.err" && fail "the wrong identity's flow reached the server"
stop_inspect W "$W"
ctl service del inspsvc
expect_filters "" "after service del"

# ---- (c) a chain of two ---------------------------------------------------------------------

# Started in the opposite order of their weights: the weights decide.
start_inspect CB inspB 127.0.0.1:15012 --register --dport "$HTTP_PORT" --service chainB --weight 100
CB=$LAST_PID
start_inspect CA inspA 127.0.0.1:15011 --register --dport "$HTTP_PORT" --service chainA --weight 200
CA=$LAST_PID
want="chainA:127.0.0.1:15011:200:$HTTP_PORT chainB:127.0.0.1:15012:100:$HTTP_PORT"
expect_filters "$want" "of the chain"
n=0
for f in f0.bin big.bin; do
	fetch "$f"
	n=$((n + 1))
	wait_flows CA "$n"
	wait_flows CB "$n"
	# Every hop logs the application that opened the chain.
	common=(verdict=pass "orig_dst=$SRV4:$HTTP_PORT" "pid=$CURL_PID" comm=curl uid=0
		"host=$SRV4" "bytes_up=$UP" "bytes_down=$DOWN")
	expect_flow CA "$n" 'chain=["chainA"]' "${common[@]}"
	expect_flow CB "$n" 'chain=["chainA","chainB"]' "${common[@]}"
	ta=$(jget "$T/CA.log" "$n" token)
	tb=$(jget "$T/CB.log" "$n" token)
	# One token of 16 hex digits (jlog.py checked the form) on both lines.
	[ "$ta:${#ta}" = "$tb:16" ] || fail "flow $n: token '$ta' in chainA's log, '$tb' in chainB's"
done
[ "$(jget "$T/CA.log" 1 token)" != "$(jget "$T/CA.log" 2 token)" ] ||
	fail "two flows have the same token $(jget "$T/CA.log" 1 token)"
stop_inspect CA "$CA"
stop_inspect CB "$CB"
# Each logged each flow exactly once.
[ "$(log_lines CA)" = 2 ] || fail "chainA logged $(log_lines CA) flows, want 2: $(cat "$T/CA.log")"
[ "$(log_lines CB)" = 2 ] || fail "chainB logged $(log_lines CB) flows, want 2: $(cat "$T/CB.log")"
expect_services "" "after the chain stopped"
expect_filters "" "after the chain stopped"

pass
