#!/bin/bash
# The indexed classifier decides as a walk over every filter in weight order
# would, on a mixed filter set: several prefix lengths (more than the index
# keeps, so some fall back to the wildcard bucket), overlapping prefixes of
# different weights in different buckets, port-only and wildcard filters,
# permit and block above a redirect, and a BY_SELF skip that continues to a
# lower filter of another bucket. Then `lwfpctl -batch`: a bad line adds
# nothing and names FILE:LINE; 10,000 filters go in at once (time printed,
# not asserted), and the decisions stay the same. Last, random permit/block
# sets must decide as a walk over them in weight order (in python) does.
. "$(dirname "$0")/lib.sh"

setup_all 1
mkcg app svcA svcB
for p in 8001 8002 8003; do start_http "$p"; done
for a in 198.18.0.3 198.18.0.4 198.18.0.5; do
	ip -n "$NS_SRV" addr add "$a/24" dev "$VETH_SRV" || fail "cannot add $a"
done

service_add HA clsA --cgroup "$CG/svcA"
service_add HB clsB --cgroup "$CG/svcB"
start_relay A svcA 127.0.0.1:15001
start_relay A6 svcA "[::1]:15011"
start_relay B svcB 127.0.0.1:15002

# Non-matching filters above everything, over twelve prefix lengths: the
# index keeps the eight most used of them, so the /16 and /24 filters below,
# one each, are left to the wildcard bucket.
{
	for len in 20 21 22 23 25 26 27 28 29 30 31; do
		for i in 1 2 3; do
			echo "filter add --service clsA --to 127.0.0.1:15001 --dst 198.19.$((i * 16)).0/$len --weight 500"
		done
	done
	for i in $(seq 1 40); do
		echo "filter add --service clsA --to 127.0.0.1:15001 --proto tcp --dst 198.19.9.$i/32 --dport 8000 --weight 500"
	done
} >"$T/noise.batch"
ctl -batch "$T/noise.batch"
[ "$(printf '%s\n' "$CTL_OUT" | grep -c '^[0-9][0-9]*$')" = 73 ] ||
	fail "the batch printed '$CTL_OUT', want 73 ids"

A=(--service clsA --to 127.0.0.1:15001)
filter_add F16 "${A[@]}" --dst 198.18.0.0/16 --weight 100
filter_add F32 "${A[@]}" --dst 198.18.0.3/32 --weight 200 # above F16, another bucket
filter_add F32lo "${A[@]}" --dst 198.18.0.4/32 --weight 50 # below F16: never used
filter_add FBLK --block --dst 198.18.0.5/32 --weight 150
filter_add FPRM --permit --dport 8001 --weight 150 # port bucket, above F16
filter_add FPORT "${A[@]}" --dport 8002 --weight 120 # port bucket
filter_add FWILD "${A[@]}" --dport 8003-8004 --weight 110 # wildcard bucket
filter_add F6 --service clsA --to "[::1]:15011" --dst 2001:db8::/64 --weight 100
# Service B, lowest: what relay A's outbound connects reach once A's own
# filters are skipped as BY_SELF.
filter_add FB --service clsB --to 127.0.0.1:15002 --family 4 --dst 198.18.0.0/24 --weight 10

requests() { cat "$T"/http-*.err | grep -c '"GET /'; }

# via DST PORT FILTER: fetched through relay A by FILTER, then relay B by FB.
via() {
	local dst=$1 port=$2 f=$3 na nb
	na=$(log_lines A)
	nb=$(log_lines B)
	app_curl "http://$dst:$port/f0.bin" "$T/fetch.bin" || fail "$dst:$port: $(cat "$T/curl.err")"
	cmp -s "$T/fetch.bin" "$T/www/f0.bin" || fail "$dst:$port: the fetch differs from the file"
	wait_until 10 log_has A $((na + 1)) || fail "$dst:$port did not reach relay A (want filter $f)"
	wait_until 10 log_has B $((nb + 1)) || fail "$dst:$port: relay A's connect did not reach relay B"
	expect_log A $((na + 1)) "orig=$dst:$port" "hops=$HA/$f"
	expect_log B $((nb + 1)) "orig=$dst:$port" "hops=$HA/$f,$HB/$FB"
}

# direct DST PORT: reached the server, through no relay.
direct() {
	local na nb r0
	na=$(log_lines A) nb=$(log_lines B) r0=$(requests)
	app_curl "http://$1:$2/f0.bin" "$T/fetch.bin" || fail "$1:$2: $(cat "$T/curl.err")"
	[ "$(requests)" -gt "$r0" ] || fail "$1:$2: the server saw no request"
	[ "$(log_lines A)" = "$na" ] && [ "$(log_lines B)" = "$nb" ] || fail "$1:$2 went through a relay"
}

blocked() {
	run_in app "$NATIVE" peername --connect "$1:$2" >"$T/peer.out" 2>&1 &&
		fail "$1:$2 connected, want EPERM: $(cat "$T/peer.out")"
	grep -q ": EPERM " "$T/peer.out" || fail "$1:$2: want EPERM, got $(cat "$T/peer.out")"
}

decisions() {
	via "$SRV4" "$HTTP_PORT" "$F16"
	via 198.18.0.3 "$HTTP_PORT" "$F32"
	via 198.18.0.4 "$HTTP_PORT" "$F16"
	blocked 198.18.0.5 "$HTTP_PORT"
	direct "$SRV4" 8001
	via "$SRV4" 8002 "$FPORT"
	via "$SRV4" 8003 "$FWILD"
	local n6
	n6=$(log_lines A6)
	app_curl "http://[$SRV6]:$HTTP_PORT/f0.bin" "$T/fetch6.bin" || fail "[$SRV6]: $(cat "$T/curl.err")"
	wait_until 10 log_has A6 $((n6 + 1)) || fail "[$SRV6]:$HTTP_PORT did not reach relay A6"
	expect_log A6 $((n6 + 1)) "hops=$HA/$F6"
}
decisions

# ---- the batch: a bad line adds nothing --------------------------------------------
before=$("$LWFPCTL" filter list -j --pin-dir "$PIN" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
printf '%s\n' "filter add ${A[*]} --dst 198.19.50.1/32" "# a comment" "" \
	"filter add ${A[*]} --dst 198.19.50.300/32" "filter add ${A[*]} --dst 198.19.50.2/32" >"$T/bad.batch"
"$LWFPCTL" -batch "$T/bad.batch" --pin-dir "$PIN" >"$T/bad.out" 2>"$T/bad.err" &&
	fail "a batch with a bad line succeeded: $(cat "$T/bad.out")"
grep -q "$T/bad.batch:4: " "$T/bad.err" || fail "the error does not name $T/bad.batch:4: $(cat "$T/bad.err")"
[ ! -s "$T/bad.out" ] || fail "a failed batch printed ids: $(cat "$T/bad.out")"
printf 'filter add --service nosuch --to 127.0.0.1:1\n' |
	"$LWFPCTL" --pin-dir "$PIN" --batch - >"$T/bad.out" 2>"$T/bad.err" && fail "a batch with an unknown service succeeded"
grep -q -- "-:1: no service named 'nosuch'" "$T/bad.err" || fail "unknown service: $(cat "$T/bad.err")"
after=$("$LWFPCTL" filter list -j --pin-dir "$PIN" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$after" = "$before" ] || fail "failed batches changed the filter count: $before -> $after"

# ---- 10,000 filters in one batch ------------------------------------------------------
"$PY" -c '
for j in range(10000):
    print(f"filter add --service clsA --to 127.0.0.1:15001 --proto tcp --family 4 "
          f"--dst 198.19.{100 + j // 250}.{j % 250 + 1}/32 --dport 8000 --weight 300")' >"$T/big.batch"
t0=$(date +%s%N)
ctl -batch "$T/big.batch"
t1=$(date +%s%N)
echo "$TEST_NAME: 10000 filters added by one batch in $(((t1 - t0) / 1000000)) ms" >&3
[ "$(printf '%s\n' "$CTL_OUT" | wc -l)" = 10000 ] || fail "the big batch did not print 10000 ids"
decisions

# ---- random permit/block sets against a linear walk written in python --------------
# Above everything else: a catch-all permit at weight 1000 * seed, then
# random filters at up to 8 above it (ties keep the batch's order) over a
# dozen prefix lengths, exact ports and port ranges; each seed's set lies
# above the last one's. python walks them in weight order for each probe;
# the engine must agree.
probe() { # ADDR PORT: "permit" or "block", as the connect turned out
	if run_in app "$NATIVE" peername --connect "$1:$2" >"$T/probe.out" 2>&1; then
		echo permit
	elif grep -q ": EPERM " "$T/probe.out"; then
		echo block
	else
		echo "error: $(cat "$T/probe.out")"
	fi
}
sets=0
for seed in 1 2 3 4 5 6 7 8 9; do
	[ "$sets" -lt 4 ] || break
	"$PY" - "$seed" "$T/rand.batch" "$T/rand.expect" <<'PYEOF'
import ipaddress, random, sys
seed = int(sys.argv[1])
rnd = random.Random(seed)
fs = [(1000 * seed, 0, "permit", None, None)]
for i in range(1, 150):
    net = None
    if rnd.random() < 0.8:
        base = rnd.choice(["198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5", "198.18.1.9"])
        net = ipaddress.ip_network(f"{base}/{rnd.randint(14, 32)}", strict=False)
    ports = None
    if rnd.random() < 0.5:
        lo = rnd.randint(8000, 8003)
        ports = (lo, lo if rnd.random() < 0.6 else min(lo + rnd.randint(1, 2), 8003))
    fs.append((1000 * seed + rnd.randint(1, 8), i, rnd.choice(["permit", "block"]), net, ports))
with open(sys.argv[2], "w") as b:
    for w, _, act, net, ports in fs:
        line = f"filter add --{act} --weight {w}"
        if net:
            line += f" --dst {net}"
        if ports:
            line += f" --dport {ports[0]}" + (f"-{ports[1]}" if ports[1] != ports[0] else "")
        b.write(line + "\n")
order = sorted(fs, key=lambda f: (-f[0], f[1]))
with open(sys.argv[3], "w") as e:
    for a in ["198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5"]:
        for p in range(8000, 8004):
            for w, _, act, net, ports in order:
                if net and ipaddress.ip_address(a) not in net:
                    continue
                if ports and not ports[0] <= p <= ports[1]:
                    continue
                e.write(f"{a} {p} {act}\n")
                break
with open(sys.argv[3]) as e:
    if len({l.split()[2] for l in e}) < 2:
        sys.exit(3)
PYEOF
	rc=$?
	[ "$rc" = 3 ] && continue # a set that decides every probe alike tells little
	[ "$rc" = 0 ] || fail "cannot generate random set $seed"
	ctl -batch "$T/rand.batch"
	sets=$((sets + 1))
	while read -r a p want; do
		got=$(probe "$a" "$p")
		[ "$got" = "$want" ] || fail "random set $seed: $a:$p gave $got, a walk in weight order gives $want"
	done <"$T/rand.expect"
done
[ "$sets" = 4 ] || fail "only $sets random sets decided probes differently"

pass
