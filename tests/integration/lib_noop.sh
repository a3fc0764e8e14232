# shellcheck shell=bash
# tests/integration/lib_noop.sh: another vendor's no-op cgroup programs
# (tests/foreign/noop.bpf.c), pinned under $FPIN and removed on exit.
# Sourced after lib.sh, whose cleanup it chains.
FOREIGN=$LWFP_BUILD/tests/foreign/noop.bpf.o
FPIN=/sys/fs/bpf/lwfp-t-$ID-noop
[ -f "$FOREIGN" ] || fail "$FOREIGN is missing (run make)"
command -v bpftool >/dev/null || fail "bpftool is missing"

noop_cleanup() {
	local rc=$?
	rm -rf "$FPIN"
	(exit "$rc")
	cleanup
}
trap noop_cleanup EXIT INT TERM

# noop_attach HOOK...: noop_HOOK attached to $CG the old way (bpftool,
# multi), as a product without links would; its program id in NOOP_ID[HOOK].
declare -A NOOP_ID=()
noop_attach() {
	local h
	mkcg
	[ -d "$FPIN" ] || bpftool prog loadall "$FOREIGN" "$FPIN" ||
		fail "bpftool prog loadall $FOREIGN"
	for h in "$@"; do
		bpftool cgroup attach "$CG" "$h" pinned "$FPIN/noop_$h" multi ||
			fail "cannot attach noop_$h to $CG"
		NOOP_ID[$h]=$(bpftool prog show pinned "$FPIN/noop_$h" -j |
			"$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	done
}
