#!/bin/bash
# Policy files (issue 15, items 1 and 2):
#   (a) includes (relative, a glob, nested), and their errors: a cycle, a
#       depth over 8, a missing file, a bad line: each names FILE:LINE and
#       changes nothing; `reload` without a default file says so;
#   (b) `up --config` on a new engine; `save > f; reload --config f`
#       changes nothing (save output equal before and after); `down`, then
#       `up --config f` on a fresh engine reproduces it; a pid service is
#       saved commented out and left alone by reload;
#   (c) reload: unchanged filters keep their ids; a file whose last line is
#       bad changes nothing; a failure in the middle (new service added, a
#       service updated, then the filter table overflows) is rolled back;
#   (d) a slow transfer through lwfp-inspect, started before a reload that
#       removes its filter and its service, completes byte-exact;
#   (e) a boot filter (fail open, so that only `boot` can refuse): with no
#       proxy, curl fails and fail_closed rises; with lwfp-inspect --service
#       up, curl goes through it; once it stops, curl fails again rather
#       than going direct;
#   (f) -batch takes service lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_inspect.sh"

setup_netns
make_files 2
start_http
# The slow server of (d): f1.bin at 16 KiB every 50 ms, about 3 s.
SLOW_PORT=8001
spawn trickle - "$NSP_SRV" "$PY" "$(dirname "$0")/trickle.py" "$SLOW_PORT" "$T/www/f1.bin"
wait_listen "$NSP_SRV" "$SLOW_PORT"
mkcg app insp
D=$T/etc
mkdir -p "$D/conf.d" "$D/sub"

# expect_fail WHAT PATTERN CMD...: CMD fails and its stderr matches PATTERN.
expect_fail() {
	local what=$1 pat=$2
	shift 2
	"$@" >"$T/ef.out" 2>"$T/ef.err" && fail "$what: succeeded: $(cat "$T/ef.out")"
	grep -q -- "$pat" "$T/ef.err" || fail "$what: stderr '$(cat "$T/ef.err")' lacks '$pat'"
}
save_to() { ctl save; printf '%s\n' "$CTL_OUT" >"$1"; }
same_policy() { # A B WHAT
	diff -u "$1" "$2" >"$T/diff.out" || fail "$3: the policy changed: $(cat "$T/diff.out")"
}

# ---- (a) includes, (b) up --config and the round trip -------------------------------
cat >"$D/lwfp.conf" <<CONF
# the whole policy
service add insp --cgroup $CG/insp   # a comment after the words

include conf.d/*.conf
include sub/nested.conf
CONF
cat >"$D/conf.d/10-web.conf" <<CONF
filter add --service insp --to 127.0.0.1:15001 --proto tcp --dport 8001 --weight 200
CONF
cat >"$D/conf.d/20-block.conf" <<CONF
filter add --block --dst 198.19.7.0/24 --dport 1-1024 --uid 1000-2000
CONF
cat >"$D/sub/nested.conf" <<CONF
include ../more.inc
CONF
cat >"$D/more.inc" <<CONF
service add "other" --uid 4242 --provider 11111111-2222-4333-8444-555555555555
filter add --service other --to '[::1]:15009' --context raw:0a0b0c --fail open --idle-timeout 7 boot
CONF
"$LWFPCTL" up --cgroup "$CG" --pin-dir "$PIN" --config "$D/lwfp.conf" >"$T/up1.out" 2>"$T/up1.err" ||
	fail "up --config: $(cat "$T/up1.err")"
grep -q "services: 2 added.*filters: 3 added" "$T/up1.out" || fail "up --config printed $(cat "$T/up1.out")"
engine_up
save_to "$T/s1"
grep -q "^filter add --service other --to \[::1\]:15009 .*--idle-timeout 7 boot$" "$T/s1" ||
	fail "save lacks the boot filter: $(cat "$T/s1")"
ctl reload --config "$T/s1"
[ "$CTL_OUT" = "services: 0 added, 0 updated, 0 removed; filters: 0 added, 0 removed, 3 kept" ] ||
	fail "reloading save's output changed something: $CTL_OUT"
save_to "$T/s2"
same_policy "$T/s1" "$T/s2" "save, reload, save"

# A pid service belongs to its process: saved commented out, left alone by reload.
ctl service add bypid --pid $$
ctl filter add --service bypid --to 127.0.0.1:15077 --dport 7
ctl reload --config "$T/s1"
ctl service list
grep -q bypid <<<"$CTL_OUT" || fail "reload removed a pid service"
save_to "$T/s3"
grep -q "^# not saved, a pid does not outlive its process: service add bypid" "$T/s3" ||
	fail "save did not comment the pid service out: $(cat "$T/s3")"
grep -q "^# not saved, its service is not saved: filter add --service bypid" "$T/s3" ||
	fail "save did not comment the pid service's filter out"
ctl service del bypid

# Errors: each names FILE:LINE and changes nothing.
printf 'include b.conf\n' >"$D/a.conf"
printf '\ninclude a.conf\n' >"$D/b.conf"
expect_fail "an include cycle" "$D/b.conf:2: include $D/a.conf: a cycle" \
	"$LWFPCTL" reload --config "$D/a.conf" --pin-dir "$PIN"
for i in 1 2 3 4 5 6 7 8; do printf 'include deep%d.conf\n' $((i + 1)) >"$D/deep$i.conf"; done
cp "$T/s1" "$D/deep9.conf"
expect_fail "9 nested files" "deep8.conf:1: include .*deep9.conf: nested deeper than 8" \
	"$LWFPCTL" reload --config "$D/deep1.conf" --pin-dir "$PIN"
ctl reload --config "$D/deep2.conf"
[[ $CTL_OUT == *"0 added, 0 removed, 3 kept" ]] || fail "8 nested files: $CTL_OUT"
printf 'include nothere.conf\n' >"$D/missing.conf"
expect_fail "a missing include" "$D/missing.conf:1: cannot open $D/nothere.conf" \
	"$LWFPCTL" reload --config "$D/missing.conf" --pin-dir "$PIN"
printf 'include conf.d/*.none\n' >"$D/noglob.conf"
cp "$T/s1" "$D/full.conf"
cat "$D/noglob.conf" >>"$D/full.conf"
ctl reload --config "$D/full.conf"
expect_fail "no default file" "cannot open /etc/lwfp/lwfp.conf" \
	env -u LWFP_PIN_DIR "$LWFPCTL" reload --pin-dir "$PIN"
[ -e /etc/lwfp/lwfp.conf ] && fail "this test expects no /etc/lwfp/lwfp.conf on the host"
save_to "$T/s4"
same_policy "$T/s1" "$T/s4" "failed reloads"

# A fresh engine from save's output reproduces it.
ctl down
"$LWFPCTL" up --cgroup "$CG" --pin-dir "$PIN" --config "$T/s1" >/dev/null 2>"$T/up2.err" ||
	fail "up --config on a fresh engine: $(cat "$T/up2.err")"
engine_up
save_to "$T/s5"
same_policy "$T/s1" "$T/s5" "down, up --config SAVED"

# ---- (c) ids kept, all or none --------------------------------------------------------
ctl filter list -j
ids0=$(printf '%s' "$CTL_OUT" | "$PY" -c 'import json,sys; print(sorted(f["id"] for f in json.load(sys.stdin)))')
{ cat "$T/s1"; echo "filter add --permit --dport 9999"; } >"$D/plus.conf"
ctl reload --config "$D/plus.conf"
[[ $CTL_OUT == *"filters: 1 added, 0 removed, 3 kept" ]] || fail "reload +1: $CTL_OUT"
ctl filter list -j
ids1=$(printf '%s' "$CTL_OUT" | "$PY" -c '
import json,sys; print(sorted(f["id"] for f in json.load(sys.stdin) if f["action"] != "permit"))')
[ "$ids0" = "$ids1" ] || fail "unchanged filters changed ids: $ids0 -> $ids1"
save_to "$T/p1"
{ cat "$T/s1"; echo "service add late --uid 77"; echo "filter add --permit --bogus 1"; } >"$D/lastbad.conf"
expect_fail "a bad last line" "$D/lastbad.conf:$(($(wc -l <"$D/lastbad.conf"))): unknown option" \
	"$LWFPCTL" reload --config "$D/lastbad.conf" --pin-dir "$PIN"
save_to "$T/p2"
same_policy "$T/p1" "$T/p2" "a reload with a bad last line"
# The middle: a service added and one updated, then 16385 filters do not fit.
{
	sed 's/--uid 4242/--uid 4343/' "$T/s1"
	echo "service add mid --uid 88"
	"$PY" -c 'for i in range(16385): print(f"filter add --service mid --to 127.0.0.1:15050 --dport {i % 60000 + 1}")'
} >"$D/full-table.conf"
expect_fail "a table overflow" "the filter table is full" \
	"$LWFPCTL" reload --config "$D/full-table.conf" --pin-dir "$PIN"
save_to "$T/p3"
same_policy "$T/p1" "$T/p3" "a reload that failed in the middle"
ctl service list
grep -q ' mid ' <<<"$CTL_OUT" && fail "the service added before the failure is still there"

# ---- (d) a reload removes a live flow's filter and service: the flow completes -----------
cat >"$D/flow.conf" <<CONF
service add insp --cgroup $CG/insp
filter add --service insp --to 127.0.0.1:15001 --proto tcp --dport $SLOW_PORT
CONF
ctl reload --config "$D/flow.conf"
start_inspect I insp 127.0.0.1:15001 --service insp
IPID=$LAST_PID
rm -f "$T/slow.bin"
run_in app curl -sS -g --noproxy '*' --max-time 60 -o "$T/slow.bin" \
	"http://$SRV4:$SLOW_PORT/f1.bin" 2>"$T/slow.err" &
CURL=$!
wait_until 10 test -s "$T/slow.bin" || fail "the slow transfer did not start: $(cat "$T/slow.err")"
[ "$(nflows)" -ge 1 ] || fail "the slow transfer is not a redirected flow"
printf '# nothing\n' >"$D/empty.conf"
ctl reload --config "$D/empty.conf"
[[ $CTL_OUT == "services: 0 added, 0 updated, 1 removed; filters: 0 added, 1 removed, 0 kept" ]] ||
	fail "reload to nothing: $CTL_OUT"
wait "$CURL" || fail "the slow transfer failed after the reload: $(cat "$T/slow.err")"
got=$(sha256sum <"$T/slow.bin" | cut -d' ' -f1)
[ "$got" = "${SUM[f1.bin]}" ] || fail "the slow transfer is not byte-exact after the reload"
stop_inspect I "$IPID"
wait_flows I 1

# ---- (e) boot filters -----------------------------------------------------------------
cat >"$D/boot.conf" <<CONF
service add insp --cgroup $CG/insp
filter add --service insp --to 127.0.0.1:15001 --proto tcp --dport $HTTP_PORT --fail open boot
CONF
ctl reload --config "$D/boot.conf"
ctl filter list
grep -q " boot " <<<"$CTL_OUT" || fail "filter list does not show the boot filter: $CTL_OUT"
counter_var fc0 fail_closed
app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/b.bin" && fail "a boot filter without its proxy let curl through"
counter_var fc1 fail_closed
[ "$fc1" -gt "$fc0" ] || fail "fail_closed did not rise ($fc0 -> $fc1)"
start_inspect B insp 127.0.0.1:15001 --service insp
BPID=$LAST_PID
fetch_ok f0.bin
wait_flows B 1
stop_inspect B "$BPID"
app_curl "http://$SRV4:$HTTP_PORT/f0.bin" "$T/b.bin" && fail "a boot filter let curl go direct once its proxy stopped"
counter_var fc2 fail_closed
[ "$fc2" -gt "$fc1" ] || fail "fail_closed did not rise after the proxy stopped"
expect_fail "--boot on a block filter" "only for redirect" \
	"$LWFPCTL" filter add --block --boot --pin-dir "$PIN"

# ---- (f) -batch with service lines ------------------------------------------------------
printf 'service add batched --uid 999\nfilter add --service batched --to 127.0.0.1:15060 --dport 60\n' >"$D/b.batch"
ctl -batch "$D/b.batch"
[[ $CTL_OUT =~ ^[0-9]+$ ]] || fail "-batch with a service line printed '$CTL_OUT'"
expect_fail "-batch adding an existing service" "b.batch:1: cannot add service 'batched': it exists" \
	"$LWFPCTL" -batch "$D/b.batch" --pin-dir "$PIN"

pass
