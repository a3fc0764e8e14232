#!/bin/bash
# Two lwfp engines on one cgroup path (issue 16, item 4): `up` refuses the
# second, with one line that names the first (its pin directory, its cgroup
# and its connect4 program id), and leaves nothing behind; docs/coexistence
# says why (records and redirect state are per engine, so chains through two
# engines could loop). Both orders: the ancestor first and the descendant
# first; the same cgroup with another pin directory too. Engines on sibling
# cgroups still coexist.
. "$(dirname "$0")/lib.sh"

PIN_B=/sys/fs/bpf/lwfp-t-$ID-b
two_cleanup() {
	local rc=$?
	"$LWFPCTL" down --pin-dir "$PIN_B" >/dev/null 2>&1
	rm -rf "$PIN_B"
	(exit "$rc")
	cleanup
}
trap two_cleanup EXIT INT TERM

mkcg sub sib1 sib2

up_ok() { # CGROUP PIN
	"$LWFPCTL" up --cgroup "$1" --pin-dir "$2" >"$T/up.out" 2>"$T/up.err" ||
		fail "lwfpctl up --cgroup $1 --pin-dir $2: $(cat "$T/up.err")"
}
down_ok() { "$LWFPCTL" down --pin-dir "$1" >/dev/null 2>"$T/down.err" || fail "down $1: $(cat "$T/down.err")"; }
link_prog() { bpftool link show pinned "$1/link_lwfp_connect4" -j |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["prog_id"])'; }
nprogs() { bpftool cgroup show "$1" 2>/dev/null | tail -n +2 | grep -c .; }

# refused WHAT CGROUP PIN FIRST_PIN FIRST_CG: up of a second engine fails
# with one line naming the first, and attaches and pins nothing.
refused() {
	local id
	id=$(link_prog "$4")
	"$LWFPCTL" up --cgroup "$2" --pin-dir "$3" >"$T/second.out" 2>"$T/second.err" &&
		fail "$1: a second engine came up at $3 on $2"
	[ "$(wc -l <"$T/second.err")" = 1 ] || fail "$1: not one line: $(cat "$T/second.err")"
	grep -qF "pinned at $4, attached to $5 (connect4 prog id $id)" "$T/second.err" ||
		fail "$1: the error does not name the first engine ($4, $5, $id): $(cat "$T/second.err")"
	[ ! -e "$3" ] || fail "$1: $3 was left behind"
	[ "$2" = "$5" ] || [ "$(nprogs "$2")" = 0 ] || fail "$1: programs were attached to $2"
}

# ---- the ancestor first -------------------------------------------------------------------
up_ok "$CG" "$PIN"
refused "ancestor first" "$CG/sub" "$PIN_B" "$PIN" "$CG"
# The first engine is untouched, and `up` of it again still works.
up_ok "$CG" "$PIN"
down_ok "$PIN"

# ---- the descendant first ----------------------------------------------------------------
up_ok "$CG/sub" "$PIN_B"
refused "descendant first" "$CG" "$PIN" "$PIN_B" "$CG/sub"
down_ok "$PIN_B"

# ---- the same cgroup, another pin directory ------------------------------------------------
up_ok "$CG" "$PIN"
refused "same cgroup" "$CG" "$PIN_B" "$PIN" "$CG"
down_ok "$PIN"

# ---- siblings coexist -------------------------------------------------------------------
up_ok "$CG/sib1" "$PIN"
up_ok "$CG/sib2" "$PIN_B"
down_ok "$PIN_B"
down_ok "$PIN"
pass
