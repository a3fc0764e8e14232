#!/bin/bash
# Containers: one lwfp-inspect with --netns all, in the host's namespace,
# serves "containers" that are each a network namespace with its own cgroup
# child of the engine's cgroup, all with the same address 198.18.1.2/24 on
# a veth to their own server namespace (198.18.1.1, different content each),
# so their 4-tuples collide:
#   - 100 parallel fetches from each of three containers at once, checked by
#     sha256 against that container's own server, each logged with the
#     container's netns inode and cgroup path;
#   - two containers bind the same source port and connect to the same
#     destination at the same moment: each gets its own server, and each
#     proxy hop its own client's context;
#   - a container made after lwfp-inspect started is served; once its
#     processes are gone and its namespace deleted, lwfp-inspect drops it
#     and holds no descriptor more than before it came;
#   - no listener of a service in a namespace: fail open goes direct, fail
#     closed is refused (counter no_listener);
#   - DNS (dig through dnsmasq) from a container, over UDP;
#   - a chain of two services, both --netns all, over container flows;
#   - lwfpctl flows (and -j) shows a live flow's netns and cgroup.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"
command -v dig >/dev/null || fail "dig is missing: apt-get install bind9-dnsutils"
command -v dnsmasq >/dev/null || fail "dnsmasq is missing: apt-get install dnsmasq-base"

APP4=198.18.1.2
SRV=198.18.1.1
# lwfp-inspect's own namespace, no container's: the host's, but its ports
# are not shared with the other tests that run at the same time.
NS_HOST=lwfpt-h-$ID
HOSTNS=/run/netns/$NS_HOST
N=${LWFP_CONTAINER_FETCHES:-100}
IDLE=2
declare -A NSINO=()

# ---- containers -------------------------------------------------------------------

# make_container I: netns lwfpt-cI-$ID (the app) and lwfpt-sI-$ID (its
# server, 198.18.1.1:8000 with $T/wwwI/f0.bin), cgroup $CG/cI with a
# sleeping "init" in the container's namespace, as a container runtime
# leaves one.
make_container() {
	local i=$1 c=lwfpt-c$1-$ID s=lwfpt-s$1-$ID
	ip netns add "$c" && ip netns add "$s" || fail "ip netns add $c $s"
	ip link add "lc$i-$ID" netns "$c" type veth peer name "ls$i-$ID" netns "$s" &&
		ip -n "$c" link set lo up && ip -n "$s" link set lo up &&
		ip -n "$c" addr add "$APP4/24" dev "lc$i-$ID" &&
		ip -n "$s" addr add "$SRV/24" dev "ls$i-$ID" &&
		ip -n "$c" link set "lc$i-$ID" up && ip -n "$s" link set "ls$i-$ID" up ||
		fail "cannot configure container $i"
	mkdir -p "$T/www$i"
	head -c 262144 /dev/urandom >"$T/www$i/f0.bin"
	SUM[c$i/f0.bin]=$(sha256sum <"$T/www$i/f0.bin" | cut -d' ' -f1)
	spawn "http$i" - "/run/netns/$s" "$PY" -m http.server --bind "$SRV" 8000 --directory "$T/www$i"
	HTTP[$i]=$LAST_PID
	spawn "init$i" "c$i" "/run/netns/$c" sleep infinity
	INIT[$i]=$LAST_PID
	NSINO[$i]=$(stat -L -c %i "/run/netns/$c")
	wait_listen "/run/netns/$s" 8000
}

# wait_until runs its command again each time: a $(...) in its arguments
# would be read once, before the wait. These read afresh.
cg_empty() { [ -z "$(cat "$1/cgroup.procs")" ]; }
logged_pid() { [ "$(log_count I "pid=$1")" -ge 1 ]; }
fds_back() { [ "$(nfds "$1")" -le "$2" ]; }

# drop_container I: its processes and namespaces go, as `docker rm` does.
drop_container() {
	local i=$1
	kill -KILL "${INIT[$i]}" "${HTTP[$i]}" 2>/dev/null
	echo 1 >"$CG/c$i/cgroup.kill" 2>/dev/null
	wait_until 10 cg_empty "$CG/c$i" || fail "container $i's processes stay"
	ip netns del "lwfpt-c$i-$ID"
	ip netns del "lwfpt-s$i-$ID"
}

# in_container I CMD...: in the container's cgroup and namespace.
in_container() {
	local i=$1
	shift
	sh -c "$_ENTER" sh "$CG/c$i" "/run/netns/lwfpt-c$i-$ID" "$@" 3>&-
}

# fetch_from I N PORT: N parallel curls from container I, into $T/parI;
# check_fetch I N: each got its own container's file (lib.sh, par_check).
fetch_from() {
	par_curls "$T/par$1" "http://$SRV:$3" "$2" 1 in_container "$1"
}

check_fetch() {
	par_check "$T/par$1" "$2" 1 "c$1/" "transfers of container $1 (another container's file counts as corrupted)"
}

# log_count NAME ARGS...: lines of $T/NAME.log with every key=value given.
log_count() {
	"$PY" - "$T/$1.log" "${@:2}" <<'EOF'
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[2:])
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if all(str(o.get(k)) == v for k, v in want.items()):
        n += 1
print(n)
EOF
}

served() { grep -q "serving netns $1 " "$T/$2.err"; }
dropped() { grep -q "no longer serving netns $1:" "$T/$2.err"; }

# ---- set-up -------------------------------------------------------------------------

# The harness's cleanup does not know the containers' namespaces.
trap 'rc=$?; for n in $(ip netns list | awk -v id="$ID" '"'"'$1 ~ "^lwfpt-[csh][0-9]*-" id "$" {print $1}'"'"'); do
	ip netns del "$n"; done; (exit $rc); cleanup' EXIT INT TERM

declare -A INIT=() HTTP=() SAMEJOB=()
ip netns add "$NS_HOST" && ip -n "$NS_HOST" link set lo up || fail "ip netns add $NS_HOST"
engine_up
mkcg insp insp2 open closed
for i in 1 2 3; do make_container "$i"; done

: >"$T/I.log"
spawn I insp "$HOSTNS" "$INSPECT" --listen 127.0.0.1:15001 --pin-dir "$PIN" --log "$T/I.log" \
	--register --proto tcp,udp --dport 8000,53 --udp-idle-timeout "$IDLE" --workers 2 --netns all
I=$LAST_PID
inspect_ready I "$I"
for i in 1 2 3; do
	wait_until 5 served "${NSINO[$i]}" I || fail "lwfp-inspect does not serve container $i: $(cat "$T/I.err")"
	is_listening "/run/netns/lwfpt-c$i-$ID" 15001 || fail "no listener in container $i"
	udp_bound "/run/netns/lwfpt-c$i-$ID" 15001 || fail "no UDP socket in container $i"
done

# ---- three containers at once, same addresses ----------------------------------------------

# `wait` alone would wait for the servers too.
jobs_=()
for i in 1 2 3; do
	fetch_from "$i" "$N" 8000 &
	jobs_+=($!)
done
wait "${jobs_[@]}"
for i in 1 2 3; do check_fetch "$i" "$N"; done
wait_flows I $((3 * N))
for i in 1 2 3; do
	got=$(log_count I proto=tcp verdict=pass "netns=${NSINO[$i]}" "cgroup=/lwfp-t-$ID/c$i" \
		"orig_dst=$SRV:8000")
	[ "$got" = "$N" ] || fail "container $i: $got of $N flows logged with its netns and cgroup: $(head -n 1 "$T/I.log")"
done

# ---- two containers, the same source port, the same moment -----------------------------------

# Both bind 198.18.1.2:41000 and connect to 198.18.1.1:8000 once the go
# file appears: two connections with the very same 4-tuple, each in its
# own namespace. Each must get its own server's file, and each proxy hop
# its own context (the pid, netns and cgroup of its own client).
cat >"$T/sameport.py" <<'PY'
import hashlib, os, socket, sys, time
src, dst, go, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((src, 41000))
while not os.path.exists(go):
    time.sleep(0.005)
s.settimeout(20)
s.connect((dst, 8000))
s.sendall(b"GET /f0.bin HTTP/1.0\r\nHost: c\r\n\r\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
body = data.split(b"\r\n\r\n", 1)[1]
open(out, "w").write(f"{os.getpid()} {hashlib.sha256(body).hexdigest()}\n")
PY
rm -f "$T/same.go"
for i in 1 2; do
	(in_container "$i" "$PY" "$T/sameport.py" "$APP4" "$SRV" "$T/same.go" "$T/same$i.out" \
		>"$T/same$i.err" 2>&1) &
	SAMEJOB[$i]=$!
done
sleep 0.5
touch "$T/same.go"
for i in 1 2; do
	wait "${SAMEJOB[$i]}" || fail "container $i, source port 41000: $(cat "$T/same$i.err")"
	read -r pid sum <"$T/same$i.out"
	[ "$sum" = "${SUM[c$i/f0.bin]}" ] || fail "container $i, source port 41000: got another container's file"
	wait_until 10 logged_pid "$pid" || fail "container $i's same-port flow was not logged"
	got=$(log_count I proto=tcp verdict=pass "pid=$pid" "netns=${NSINO[$i]}" "cgroup=/lwfp-t-$ID/c$i")
	[ "$got" = 1 ] || fail "container $i, source port 41000: $got flows logged with its pid, netns and cgroup, want 1"
done

# ---- a container that comes, and goes ------------------------------------------------------------

FDS0=$(nfds "$I")
make_container 4
wait_until 5 served "${NSINO[4]}" I || fail "container 4, made after start, is not served: $(tail -n 3 "$T/I.err")"
fetch_from 4 10 8000
check_fetch 4 10
wait_flows I $((3 * N + 10))
[ "$(log_count I "netns=${NSINO[4]}" verdict=pass)" = 10 ] || fail "container 4's flows are not logged as its"
drop_container 4
wait_until 5 dropped "${NSINO[4]}" I || fail "container 4 is gone, lwfp-inspect still serves it"
wait_until 5 fds_back "$I" "$FDS0" ||
	fail "lwfp-inspect holds $(nfds "$I") descriptors after container 4 went, $FDS0 before"

# ---- no listener in the namespace: the fail mode ------------------------------------------------

# Two more services, each with an lwfp-inspect in the host's namespace only.
spawn http9001 - "/run/netns/lwfpt-s1-$ID" "$PY" -m http.server --bind "$SRV" 9001 --directory "$T/www1"
spawn http9002 - "/run/netns/lwfpt-s1-$ID" "$PY" -m http.server --bind "$SRV" 9002 --directory "$T/www1"
wait_listen "/run/netns/lwfpt-s1-$ID" 9001
wait_listen "/run/netns/lwfpt-s1-$ID" 9002
: >"$T/O.log"
spawn O open "$HOSTNS" "$INSPECT" --listen 127.0.0.1:15011 --pin-dir "$PIN" --log "$T/O.log" \
	--register --dport 9001 --fail open --workers 1
inspect_ready O "$LAST_PID"
: >"$T/C.log"
spawn C closed "$HOSTNS" "$INSPECT" --listen 127.0.0.1:15012 --pin-dir "$PIN" --log "$T/C.log" \
	--register --dport 9002 --fail closed --workers 1
inspect_ready C "$LAST_PID"
counter_var nl0 no_listener
fetch_from 1 1 9001
check_fetch 1 1
rc=0
in_container 1 curl -sS --noproxy '*' --connect-timeout 5 -o /dev/null "http://$SRV:9002/f0.bin" \
	2>"$T/closed.err" || rc=$?
# 7: the connection was refused (a timeout would be 28).
[ "$rc" = 7 ] || fail "fail closed, no listener in the namespace: curl exited $rc, want 7: $(cat "$T/closed.err")"
grep -q GET "$T/http9002.err" && fail "fail closed: the request reached the server"
counter_var nl1 no_listener
[ "$nl1" -ge $((nl0 + 2)) ] || fail "counter no_listener $nl0 -> $nl1, want +2"
[ "$(log_lines O)" = 0 ] && [ "$(log_lines C)" = 0 ] ||
	fail "a host-only lwfp-inspect got a container's flow: $(cat "$T/O.log" "$T/C.log")"

# ---- DNS over UDP from a container ---------------------------------------------------------

spawn dnsmasq - "/run/netns/lwfpt-s2-$ID" dnsmasq --no-daemon --no-resolv --no-hosts \
	--user=root --group=root --listen-address="$SRV" --bind-interfaces --port=53 \
	--address=/test.example/198.18.0.77 --log-queries
wait_until 10 udp_bound "/run/netns/lwfpt-s2-$ID" 53 || fail "dnsmasq does not listen: $(cat "$T/dnsmasq.err")"
before=$(log_lines I)
in_container 2 dig +tries=1 +time=3 @"$SRV" test.example A >"$T/dig.out" 2>&1 ||
	fail "dig from container 2: $(cat "$T/dig.out")"
grep -q '198\.18\.0\.77' "$T/dig.out" || fail "dig: not the answer: $(cat "$T/dig.out")"
grep -q ";; SERVER: $SRV#53($SRV)" "$T/dig.out" || fail "dig: not from $SRV#53: $(grep SERVER "$T/dig.out")"
wait_flows I $((before + 1))
[ "$(log_count I proto=udp dns=test.example verdict=pass "netns=${NSINO[2]}" "cgroup=/lwfp-t-$ID/c2")" = 1 ] ||
	fail "the DNS flow is not logged with container 2's netns and cgroup: $(tail -n 1 "$T/I.log")"

# ---- a chain of two services, both serving all namespaces --------------------------------------------

: >"$T/J.log"
spawn J insp2 "$HOSTNS" "$INSPECT" --listen 127.0.0.1:15002 --pin-dir "$PIN" --log "$T/J.log" \
	--register --dport 8000 --workers 2 --netns all
J=$LAST_PID
inspect_ready J "$J"
for i in 1 2 3; do wait_until 5 served "${NSINO[$i]}" J || fail "J does not serve container $i"; done
before=$(log_lines I)
jobs_=()
for i in 1 3; do
	fetch_from "$i" 20 8000 &
	jobs_+=($!)
done
wait "${jobs_[@]}"
for i in 1 3; do check_fetch "$i" 20; done
wait_flows I $((before + 40))
wait_flows J 40
for i in 1 3; do
	[ "$(log_count J verdict=pass "netns=${NSINO[$i]}" "cgroup=/lwfp-t-$ID/c$i")" = 20 ] ||
		fail "J: container $i's chained flows are not logged as its"
done
# Each flow went through both, once: the same tokens in both logs, and the
# second hop's lines name both services.
"$PY" - "$T/I.log" "$T/J.log" <<'EOF' || fail "the chain is not one flow through both proxies"
import json, sys
a, b = ([json.loads(l) for l in open(p)][-40:] for p in sys.argv[1:])
assert {o["token"] for o in a} == {o["token"] for o in b}, "tokens differ"
hops = sorted((len(a[0]["chain"]), len(b[0]["chain"])))
assert hops == [1, 2], hops
assert all(len(o["chain"]) == 2 for o in (a if len(a[0]["chain"]) == 2 else b))
EOF

# ---- lwfpctl flows names the namespace and cgroup of a live flow -------------------------------------

in_container 3 bash -c "exec 5<>/dev/tcp/$SRV/8000; sleep 4" &
hold=$!
flows_of_c3() {
	ctl flows -j
	"$PY" -c '
import json, sys
f = json.loads(sys.stdin.read())
sys.exit(not any(x.get("netns") == int(sys.argv[1]) and x.get("cgroup") == sys.argv[2] for x in f))
' "${NSINO[3]}" "/lwfp-t-$ID/c3" <<<"$CTL_OUT"
}
wait_until 3 flows_of_c3 || fail "lwfpctl flows -j: no flow of container 3's netns and cgroup: $CTL_OUT"
ctl flows
grep -Eq "[[:space:]]${NSINO[3]} /lwfp-t-$ID/c3\$" <<<"$CTL_OUT" ||
	fail "lwfpctl flows: no NETNS and CGROUP of container 3: $CTL_OUT"
wait "$hold"

stop_inspect J "$J"
stop_inspect I "$I"
pass
