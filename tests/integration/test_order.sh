#!/bin/bash
# Attach order next to another vendor's programs (issue 16, item 1). A
# foreign pair of no-op programs (tests/foreign/noop.bpf.c) is attached to
# $CG at connect4 and connect6 the old way (bpftool, multi), then:
#   - `up` puts lwfp's programs first on $CG (Linux 6.17: BPF_F_BEFORE; an
#     older kernel appends them) and says where connect4 landed on stderr;
#   - `up --after PROG` by name, by id and by pinned path puts them after
#     PROG at PROG's hook, and first at the others; `--before PROG` before it;
#   - a PROG that is not attached there, or both options, fail with one line;
#   - no `up` and no `down` ever detaches the foreign programs; next to a
#     program attached without multi, up fails with one line and attaches
#     nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_noop.sh"

noop_attach connect4 connect6
F4=${NOOP_ID[connect4]}
F6=${NOOP_ID[connect6]}

# Linux 6.17 orders cgroup links; before it, attach order rules.
ORDERED=0
IFS=. read -r KMAJ KMIN _ <<<"$(uname -r)"
[ "$KMAJ" -gt 6 ] || { [ "$KMAJ" -eq 6 ] && [ "${KMIN%%[!0-9]*}" -ge 17 ]; } && ORDERED=1

# attached HOOK FIELD: the FIELD (name, id) of each program attached to $CG at
# HOOK, in list order. bpftool spells hooks in libbpf's names
# (cgroup_inet4_connect) or the old ones.
attached() {
	bpftool cgroup show "$CG" -j | "$PY" -c 'import json,sys
h, f = sys.argv[1], sys.argv[2]
alias = {"connect4": "cgroup_inet4_connect", "connect6": "cgroup_inet6_connect"}[h]
print(" ".join(str(p[f]) for p in json.load(sys.stdin) if p["attach_type"] in (h, alias)))' "$1" "$2"
}
names() { attached "$1" name; }
ids() { attached "$1" id; }
expect_order() { # HOOK NAMES
	local got
	got=$(names "$1")
	[ "$got" = "$2" ] || fail "$3: at $1 on $CG: '$got', expected '$2'"
}
foreign_kept() { # WHEN
	local ids
	ids=$(bpftool cgroup show "$CG" -j | "$PY" -c 'import json,sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))')
	for id in "$F4" "$F6"; do
		[[ " $ids " == *" $id "* ]] || fail "$1: the foreign program $id is no longer attached to $CG"
	done
}
up() { # WHAT ARGS...: up must succeed; its stderr in $T/up.err
	"$LWFPCTL" up --cgroup "$CG" --pin-dir "$PIN" "${@:2}" >"$T/up.out" 2>"$T/up.err" ||
		fail "$1: lwfpctl up ${*:2}: $(cat "$T/up.err")"
}
down() {
	"$LWFPCTL" down --pin-dir "$PIN" 2>"$T/down.err" || fail "lwfpctl down: $(cat "$T/down.err")"
	foreign_kept "after down"
	expect_order connect4 noop_connect4 "after down"
	expect_order connect6 noop_connect6 "after down"
}
said() { # WHAT LINE: up's stderr is that one line
	[ "$(cat "$T/up.err")" = "$2" ] || fail "$1: up said '$(cat "$T/up.err")', expected '$2'"
}

# ---- the default: first on the cgroup --------------------------------------------------
up "default"
foreign_kept "after up"
if [ "$ORDERED" = 1 ]; then
	expect_order connect4 "lwfp_connect4 noop_connect4" "up"
	expect_order connect6 "lwfp_connect6 noop_connect6" "up"
	said "up" "lwfpctl: connect4: 1st of 2 programs on $CG, before prog 'noop_connect4' id $F4"
else
	expect_order connect4 "noop_connect4 lwfp_connect4" "up (attach order)"
	said "up" "lwfpctl: connect4: 2nd of 2 programs on $CG, after prog 'noop_connect4' id $F4 (attach order: this kernel cannot order them)"
fi
# Again: idempotent, nothing moves, nothing is detached.
up "up again"
foreign_kept "after up again"
down

if [ "$ORDERED" = 1 ]; then
	# ---- --after by name: after it at connect4, first at connect6 ----------------------
	up "--after name" --after noop_connect4
	expect_order connect4 "noop_connect4 lwfp_connect4" "--after noop_connect4"
	expect_order connect6 "lwfp_connect6 noop_connect6" "--after noop_connect4"
	said "--after name" "lwfpctl: connect4: 2nd of 2 programs on $CG, after prog 'noop_connect4' id $F4"
	down
	# ---- --after by id ---------------------------------------------------------------------
	up "--after id" --after "$F6"
	expect_order connect6 "noop_connect6 lwfp_connect6" "--after $F6"
	expect_order connect4 "lwfp_connect4 noop_connect4" "--after $F6"
	down
	# ---- next to a program attached through a link: right before it --------------------
	# connect4: noop_connect4 (the old way, F4), then its twin through a link (L4).
	"$BIN/lwfp-test-cglink" "$FOREIGN" noop_connect4 "$CG" "$FPIN/link4" ||
		fail "cannot attach noop_connect4 through a link"
	L4=$(bpftool link show pinned "$FPIN/link4" -j | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["prog_id"])')
	up "--before a linked program" --before "$FPIN/link4"
	OURS=$(bpftool link show pinned "$PIN/link_lwfp_connect4" -j | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["prog_id"])')
	got=$(ids connect4)
	[ "$got" = "$F4 $OURS $L4" ] || fail "--before $FPIN/link4: connect4 ids '$got', expected '$F4 $OURS $L4'"
	said "--before a link" "lwfpctl: connect4: 2nd of 3 programs on $CG, after prog 'noop_connect4' id $F4, before prog 'noop_connect4' id $L4"
	"$LWFPCTL" down --pin-dir "$PIN" 2>"$T/down.err" || fail "down: $(cat "$T/down.err")"
	foreign_kept "after down next to a link"
	got=$(ids connect4)
	[ "$got" = "$F4 $L4" ] || fail "down detached a foreign program: connect4 ids '$got'"
	rm -f "$FPIN/link4"
	# ---- --before by pinned path, with the foreign program last in line -------------------
	up "--after path" --after "$FPIN/noop_connect4"
	expect_order connect4 "noop_connect4 lwfp_connect4" "--after $FPIN/noop_connect4"
	down
	up "--before path" --before "$FPIN/noop_connect4"
	expect_order connect4 "lwfp_connect4 noop_connect4" "--before $FPIN/noop_connect4"
	down
else
	"$LWFPCTL" up --cgroup "$CG" --pin-dir "$PIN" --after noop_connect4 >/dev/null 2>"$T/old.err" &&
		fail "up --after on a kernel without ordered cgroup links succeeded"
	grep -q "need Linux 6.17" "$T/old.err" || fail "up --after: $(cat "$T/old.err")"
fi

# ---- bad input: one line, nothing attached --------------------------------------------
bad_up() { # WHAT EXPECTED ARGS...
	"$LWFPCTL" up --cgroup "$CG" --pin-dir "$PIN" "${@:3}" >"$T/bad.out" 2>"$T/bad.err" &&
		fail "$1: up ${*:3} succeeded"
	[ "$(wc -l <"$T/bad.err")" = 1 ] || fail "$1: not one line: $(cat "$T/bad.err")"
	grep -qF -- "$2" "$T/bad.err" || fail "$1: '$(cat "$T/bad.err")' does not say '$2'"
	[ ! -e "$PIN" ] || fail "$1: $PIN was left behind"
	expect_order connect4 noop_connect4 "$1"
}
bad_up "unknown name" "--before nosuch: no such program is attached to $CG" --before nosuch
bad_up "unknown id" "--after 4000000000: no such program is attached to $CG" --after 4000000000
bad_up "both" "give one of --before and --after, once" --before noop_connect4 --after noop_connect6
# ---- a cgroup where a program is attached without multi: refused, nothing detached ---------
mkcg excl
bpftool cgroup attach "$CG/excl" connect4 pinned "$FPIN/noop_connect4" ||
	fail "cannot attach noop_connect4 to $CG/excl without multi"
"$LWFPCTL" up --cgroup "$CG/excl" --pin-dir "$PIN" >"$T/bad.out" 2>"$T/bad.err" &&
	fail "up on a cgroup with an exclusive program succeeded"
[ "$(wc -l <"$T/bad.err")" = 1 ] && grep -qF "cannot attach to $CG/excl: a program attached there" "$T/bad.err" ||
	fail "up next to an exclusive program: $(cat "$T/bad.err")"
[ ! -e "$PIN" ] || fail "up next to an exclusive program left $PIN"
[ "$(bpftool cgroup show "$CG/excl" | tail -n +2 | grep -c .)" = 1 ] ||
	fail "up next to an exclusive program changed $CG/excl: $(bpftool cgroup show "$CG/excl")"
foreign_kept "at the end"
pass
