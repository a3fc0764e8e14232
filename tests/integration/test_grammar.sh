#!/bin/bash
# lwfpctl's two grammars (issue 19): the documented iproute2 form, OBJECT VERB
# [KEYWORD VALUE]..., and every older spelling, which must keep working:
#   - engine up|down|show, flow list|monitor, policy reload|save do what up,
#     down, flows, monitor, reload, save do (same -j output, same events);
#   - service add and filter add with keywords, options, or both mixed, give
#     the same services and filters (-j lists compared field by field),
#     -batch and policy files included; filter flush service NAME; stats
#     prometheus; metrics listen; run via ... --;
#   - unique prefixes choose objects and verbs (fi l, e sh), older bare verbs
#     only whole; `help` after an object or verb prints its usage, as root
#     and not;
#   - a bad keyword, a keyword without its value, an ambiguous prefix: exit
#     1 with one stderr line naming the word ({"error": ...} with -j); a bad
#     value says the same whether given as a keyword or as an option.
. "$(dirname "$0")/lib.sh"

setup_netns
mkcg app svc px
P=(--pin-dir "$PIN")
UUID=6f1c1c55-2d0a-4b7e-9a8e-0d1f2e3a4b5c
BLOCK_PORT=9

# same WHAT A B: the two outputs are equal, and not empty (a failure inside
# $(...) leaves its output empty, and only its own subshell exits).
same() {
	[ -n "$2" ] && [ -n "$3" ] || fail "$1: no output ('$2', '$3')"
	[ "$2" = "$3" ] || fail "$1 differ:
  new: $(printf '%s' "$2" | head -c 1500)
  old: $(printf '%s' "$3" | head -c 1500)"
}

# out ARGS...: lwfpctl ARGS --pin-dir PIN's stdout, or the test fails.
out() {
	ctl "$@"
	printf '%s' "$CTL_OUT"
}

# canon: a -j array or object on stdin, without the fields that name one
# instance (ids, handles, names) and with arrays sorted, on one line.
canon() {
	"$PY" -c '
import json, sys
DROP = {"id", "handle", "name"}
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in DROP}
    if isinstance(v, list):
        return sorted((strip(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
    return v
print(json.dumps(strip(json.load(sys.stdin)), sort_keys=True))'
}

# bad ERRTEXT ARGS...: lwfpctl ARGS exits 1 with exactly one stderr line,
# which holds ERRTEXT, and prints nothing on stdout.
bad() {
	local want=$1 rc
	shift
	"$LWFPCTL" "$@" >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	[ "$rc" = 1 ] || fail "lwfpctl $* exited $rc, want 1: $(cat "$T/bad.err")"
	[ "$(grep -c '' "$T/bad.err")" = 1 ] || fail "lwfpctl $*: want one stderr line: $(cat "$T/bad.err")"
	[ ! -s "$T/bad.out" ] || fail "lwfpctl $* printed on stdout: $(head -c 200 "$T/bad.out")"
	grep -qF -- "$want" "$T/bad.err" || fail "lwfpctl $*: want '$want', got: $(cat "$T/bad.err")"
}

# ---- help -----------------------------------------------------------------------------
nobody_bin
for args in help "--help" "filter help" "filter add help" "engine help" "engine up help" \
	"filter help --pin-dir $PIN" \
	"flow help" "flow monitor help" "policy help" "service help" "stats help" "fi a help" \
	"run help" "dns help"; do
	for who in root nobody; do
		# shellcheck disable=SC2086 # the words of args
		if [ $who = root ]; then
			"$LWFPCTL" $args >"$T/help.out" 2>"$T/help.err"
		else
			"${AS_NOBODY[@]}" "$NOBODY_BIN/lwfpctl" $args >"$T/help.out" 2>"$T/help.err"
		fi || fail "lwfpctl $args ($who) failed: $(cat "$T/help.err")"
		grep -q '^Usage: ' "$T/help.out" || fail "lwfpctl $args ($who): no usage: $(head -3 "$T/help.out")"
	done
done
"$LWFPCTL" help >"$T/help.out"
grep -q '^  engine up \[cgroup PATH\]' "$T/help.out" || fail "help does not show the object-verb form"
grep -q -- '--config FILE' "$T/help.out" || fail "help does not list the older spellings"
"$LWFPCTL" filter add help >"$T/help.out"
grep -q '^Usage: lwfpctl filter add service NAME to ADDR:PORT' "$T/help.out" ||
	fail "filter add help: $(head -2 "$T/help.out")"
# help is a verb wherever an object's verb goes, options after it or not.
"$LWFPCTL" filter help "${P[@]}" >"$T/help.out" || fail "filter help --pin-dir failed"
grep -q '^Usage: lwfpctl filter add' "$T/help.out" || fail "filter help --pin-dir: $(head -2 "$T/help.out")"
same "filter help and filter --help" "$("$LWFPCTL" filter help)" "$("$LWFPCTL" filter --help)"
same "fi a help and filter add --help" "$("$LWFPCTL" "fi" a help)" "$("$LWFPCTL" filter add --help)"

# A non-root caller who named help and turned out to mean a NAME is refused.
"${AS_NOBODY[@]}" "$NOBODY_BIN/lwfpctl" service add help --uid 1 "${P[@]}" 2>"$T/bad.err" &&
	fail "service add help as nobody succeeded"
grep -q 'must be run as root' "$T/bad.err" || fail "service add help as nobody: $(cat "$T/bad.err")"

# ---- engine ---------------------------------------------------------------------------
new=$(out engine up cgroup "$CG" -j)
old=$(out up --cgroup "$CG" -j)
same "engine up -j and up -j" "$new" "$old"
same "engine show -j and up -j" "$(out engine show -j)" "$old"
same "e sh -j and up -j" "$(out e sh -j)" "$old"
ctl engine show
[ "$CTL_OUT" = "engine up at $PIN, attached to $CG" ] || fail "engine show: $CTL_OUT"
same "engine up max-flows-per-uid" "$(out engine up cgroup "$CG" max-flows-per-uid 77 -j)" \
	"$(out up --cgroup "$CG" --max-flows-per-uid 77 -j)"
# For the applications, in the client netns (as engine_up does).
nsenter --net="$NSP_CLI" "$LWFPCTL" engine up cgroup "$CG" "${P[@]}" >"$T/up.out" 2>&1 ||
	fail "engine up in $NS_CLI: $(cat "$T/up.out")"

# ---- services -------------------------------------------------------------------------
ctl service add kw provider "$UUID" uid 4242
ctl service add op --provider "$UUID" --uid 4242
ctl service add mix provider "$UUID" --uid 4242
ctl service add kwcg cgroup "$CG/svc" provider "$UUID"
ctl service add opcg --cgroup "$CG/svc" --provider "$UUID"
# A NAME spelled like a keyword still works the old way.
ctl service add uid --uid 4242 --provider "$UUID"
ctl service list -j
"$PY" - "$CTL_OUT" <<'PYEOF' || fail "service list: $CTL_OUT"
import json, sys
s = {x["name"]: x for x in json.loads(sys.argv[1])}
def same(a, b):
    ka = {k: v for k, v in s[a].items() if k not in ("name", "handle")}
    kb = {k: v for k, v in s[b].items() if k not in ("name", "handle")}
    assert ka == kb, (a, ka, b, kb)
same("kw", "op"); same("mix", "op"); same("uid", "op"); same("kwcg", "opcg")
PYEOF
ctl service del uid
ctl se d mix
# `help` last is help; after -- it is a NAME.
ctl service add help --uid 4242
"$LWFPCTL" "${P[@]}" service del help >"$T/help.out" || fail "service del help failed"
grep -q '^Usage: ' "$T/help.out" || fail "service del help: $(cat "$T/help.out")"
out service list -j | grep -q '"name":"help"' || fail "service del help removed the service"
# (--pin-dir before the command: options after the words after -- are not for it)
"$LWFPCTL" "${P[@]}" service del -- help || fail "service del -- help failed"
if out service list -j | grep -q '"name":"help"'; then
	fail "service del -- help left the service"
fi

# ---- filters: each pair, added alone, must show the same ------------------------------
# pair NEW-ARGS... -- OLD-ARGS...: `filter add NEW` and `filter add OLD`
# make filters whose `filter list -j` are the same but for the ids.
pair() {
	local newa=() olda=()
	while [ "$1" != -- ]; do newa+=("$1"); shift; done
	shift
	olda=("$@")
	ctl filter flush
	ctl filter add "${newa[@]}"
	local a b
	a=$(out filter list -j | canon)
	ctl filter flush
	ctl filter add "${olda[@]}"
	b=$(out filter list -j | canon)
	same "filter add ${newa[*]}" "$a" "$b"
	[ "$a" != "[]" ] || fail "filter add ${newa[*]} added nothing"
}
pair service kw to 127.0.0.1:15001 dport 80 -- --service kw --to 127.0.0.1:15001 --dport 80
pair service kw dport 80 to 127.0.0.1:15001 -- --service kw --to 127.0.0.1:15001 --dport 80
pair service kw --to 127.0.0.1:15001 dport 80,443 proto tcp -- \
	--service kw --to 127.0.0.1:15001 --dport 80,443 --proto tcp
pair service kw to 127.0.0.1:15001 proto tcp family 4 dst 198.18.0.0/15 sport 1000-2000 \
	uid 0-100 gid 5 weight 300 fail open context sockaddrs -- \
	--service kw --to 127.0.0.1:15001 --proto tcp --family 4 --dst 198.18.0.0/15 \
	--sport 1000-2000 --uid 0-100 --gid 5 --weight 300 --fail open --context sockaddrs
pair service kw to 127.0.0.1:15001 proto udp idle-timeout 30 context raw:0102ff -- \
	--service kw --to 127.0.0.1:15001 --proto udp --idle-timeout 30 --context raw:0102ff
pair service kw to "[::1]:15001" family 6 dst 2001:db8::/32 context none -- \
	--service kw --to "[::1]:15001" --family 6 --dst 2001:db8::/32 --context none
pair service kw to 127.0.0.1:15001 cgroup "$CG/app" origin-cgroup "$CG/app" app /bin/true \
	host '*.example' boot -- --service kw --to 127.0.0.1:15001 --cgroup "$CG/app" \
	--origin-cgroup "$CG/app" --app /bin/true --host '*.example' --boot
pair permit dport 53 weight 500 -- --permit --dport 53 --weight 500
pair block dst 198.18.0.0/15 dport 9 -- --block --dst 198.18.0.0/15 --dport 9
pair block dport 9 --weight 7 -- --weight 7 --block --dport 9

# filter del, show, flush (service NAME), with prefixes and without.
ctl filter flush
filter_add F1 service kw to 127.0.0.1:15001 dport 81
filter_add F2 service kwcg to 127.0.0.1:15002 dport 82
same "filter show -j and fi s -j" "$(out "fi" s "$F1" -j)" "$(out filter show "$F1" -j)"
ctl filter flush service kwcg
[ "$(out filter list -j | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
	fail "filter flush service kwcg: $(out filter list)"
ctl filter add service kwcg to 127.0.0.1:15002 dport 82
ctl filter flush --service kwcg
[ "$(out filter list -j | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
	fail "filter flush --service kwcg: $(out filter list)"
ctl "fi" d "$F1"
same "an empty list" "$(out filter list -j)" "[]"

# ---- batch and policy files take keywords too -----------------------------------------
cat >"$T/kw.batch" <<EOF
filter add service kw to 127.0.0.1:15001 dport 80 weight 200
filter add block dport 9 proto tcp
filter add service kw --to 127.0.0.1:15001 dport 443 boot
EOF
sed -e 's/ service kw / --service kw /; s/ to 127/ --to 127/; s/ dport / --dport /' \
	-e 's/ weight / --weight /; s/ block / --block /; s/ proto / --proto /' \
	"$T/kw.batch" >"$T/op.batch"
ctl -batch "$T/kw.batch"
a=$(out filter list -j | canon)
ctl filter flush
ctl -batch "$T/op.batch"
b=$(out filter list -j | canon)
same "-batch with keywords" "$a" "$b"
ctl filter flush
cat >"$T/kw.conf" <<EOF
service add pw uid 4300 provider $UUID
filter add service pw to 127.0.0.1:15009 dport 81 weight 50
filter add permit dport 53
EOF
cat >"$T/op.conf" <<EOF
service add pw --uid 4300 --provider $UUID
filter add --service pw --to 127.0.0.1:15009 --dport 81 --weight 50
filter add --permit --dport 53
EOF
# From an empty policy each time, so that the reports can be compared.
ctl reload --config /dev/null
new=$(out policy reload config "$T/kw.conf" -j)
save_new=$(out policy save)
ctl reload --config /dev/null
ctl reload --config "$T/op.conf" -j
same "policy reload -j and reload -j" "$new" "$CTL_OUT"
same "policy save and save" "$save_new" "$(out save)"
same "po sa and save" "$(out po sa)" "$save_new"
ctl reload --config /dev/null
ctl engine up cgroup "$CG" config "$T/kw.conf"
same "engine up config FILE" "$(out save)" "$save_new"
ctl reload --config /dev/null

# ---- stats, flows, dns, doctor, metrics -----------------------------------------------
same "stats prometheus" "$(out stats prometheus | grep -v '^lwfp_')" \
	"$(out stats --prometheus | grep -v '^lwfp_')"
same "st -j keys" "$(out st -j | canon | "$PY" -c 'import json,sys; print(sorted(json.load(sys.stdin)))')" \
	"$(out stats -j | canon | "$PY" -c 'import json,sys; print(sorted(json.load(sys.stdin)))')"
same "flow list -j and flows -j" "$(out flow list -j)" "$(out flows -j)"
same "dns l -j and dns list -j" "$(out dns l -j)" "$(out dns list -j)"
same "do -j and doctor -j" "$(out "do" -j | canon)" "$(out doctor -j | canon)"
MPORT=$((20000 + ID % 20000))
spawn metrics - "$NSP_CLI" "$LWFPCTL" metrics listen "127.0.0.1:$MPORT" "${P[@]}"
wait_listen "$NSP_CLI" "$MPORT"
nsenter --net="$NSP_CLI" curl -sS --max-time 10 "http://127.0.0.1:$MPORT/metrics" >"$T/metrics.txt" ||
	fail "metrics listen: no answer"
grep -q '^lwfp_connect_total ' "$T/metrics.txt" || fail "metrics listen: $(head -3 "$T/metrics.txt")"
kill "$LAST_PID"

# ---- flow monitor sees what monitor sees ----------------------------------------------
ctl filter add block proto tcp dst "$SRV4/32" dport "$BLOCK_PORT"
spawn mon-new - "$NSP_CLI" "$LWFPCTL" flow monitor -j log "$T/new.jsonl" "${P[@]}"
MON_NEW=$LAST_PID
spawn mon-old - "$NSP_CLI" "$LWFPCTL" monitor -j --log "$T/old.jsonl" "${P[@]}"
MON_OLD=$LAST_PID
refused() {
	run_in app "$NATIVE" peername --connect "$SRV4:$BLOCK_PORT" >/dev/null 2>&1 && return 1
	grep -q "$SRV4:$BLOCK_PORT" "$T/mon-new.out" && grep -q "$SRV4:$BLOCK_PORT" "$T/mon-old.out"
}
wait_until 10 refused || fail "the monitors saw no block: $(cat "$T/mon-new.err" "$T/mon-old.err")"
kill "$MON_NEW" "$MON_OLD"
if ! wait_exit "$MON_NEW" 10 || ! wait_exit "$MON_OLD" 10; then
	fail "the monitors did not stop"
fi
for f in new old; do
	[ -s "$T/$f.jsonl" ] || fail "monitor ($f) wrote no log"
done
same "the first event of flow monitor and monitor" \
	"$(head -n 1 "$T/mon-new.out" | "$PY" -c 'import json,sys; e=json.load(sys.stdin); print(sorted(e))')" \
	"$(head -n 1 "$T/mon-old.out" | "$PY" -c 'import json,sys; e=json.load(sys.stdin); print(sorted(e))')"

# ---- run: keywords before --, and none after ------------------------------------------
for form in "via nosuch" "--via nosuch"; do
	# shellcheck disable=SC2086 # the words of form
	"$LWFPCTL" run $form "${P[@]}" -- true >"$T/run.out" 2>"$T/run-${form%% *}.err"
	rc=$?
	[ "$rc" = 125 ] || fail "run $form -- true exited $rc, want 125"
done
same "run via nosuch and run --via nosuch" "$(cat "$T/run-via.err")" "$(cat "$T/run---via.err")"
grep -q nosuch "$T/run-via.err" || fail "run via nosuch: $(cat "$T/run-via.err")"

# ---- errors ---------------------------------------------------------------------------
A=(filter add service kw to 127.0.0.1:15001)
bad "unknown keyword 'dprot' (try 'lwfpctl filter add help')" "${A[@]}" dprot 80 "${P[@]}"
bad "unknown keyword 'frob'" engine up cgroup "$CG" frob 1 "${P[@]}"
bad "unknown keyword 'bogus'" service add x uid 1 bogus "${P[@]}"
bad "keyword 'dport' needs a value" "${A[@]}" "${P[@]}" dport
bad "keyword 'dport' needs a value, got the option '--pin-dir'" "${A[@]}" dport "${P[@]}"
bad "keyword 'uid' needs a value" service add x uid "${P[@]}"
bad "ambiguous command 'f': filter, flow" f l "${P[@]}"
bad "ambiguous command 'd': dns, doctor" d "${P[@]}"
bad "unknown command 'mo'" mo "${P[@]}" # older spellings match whole only
bad "unknown command 'filter frob'" filter frob "${P[@]}"
"$LWFPCTL" -j "${A[@]}" dprot 80 "${P[@]}" 2>"$T/bad.err" && fail "-j with a bad keyword succeeded"
"$PY" -c 'import json, sys; assert "dprot" in json.load(sys.stdin)["error"]' <"$T/bad.err" ||
	fail "-j bad keyword: not a JSON error: $(cat "$T/bad.err")"
# One checker of values: the same message whether a keyword or an option.
for v in "dport 80x" "dst 198.18.1.0/15" "proto icmp" "weight -5" "fail maybe"; do
	# shellcheck disable=SC2086 # the two words of v
	set -- $v
	bad "" "${A[@]}" "$1" "$2" "${P[@]}"
	kw=$(cat "$T/bad.err")
	bad "" "${A[@]}" "--$1" "$2" "${P[@]}"
	same "the error of '$v'" "$kw" "$(cat "$T/bad.err")"
done
printf 'filter add service kw to 127.0.0.1:15001 dprot 80\n' >"$T/bad.conf"
bad "$T/bad.conf:1: unknown keyword 'dprot'" reload --config "$T/bad.conf" "${P[@]}"
bad "$T/bad.conf:1: unknown keyword 'dprot'" -batch "$T/bad.conf" "${P[@]}"

# ---- the older engine verbs, last -----------------------------------------------------
ctl down
ctl up --cgroup "$CG"
ctl engine down
bad "no engine is up" engine show "${P[@]}"
[ ! -e "$PIN" ] || fail "engine down left $PIN"

pass
