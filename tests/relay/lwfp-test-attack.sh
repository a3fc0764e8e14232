# shellcheck shell=bash
# tests/relay/lwfp-test-attack.sh: the shell side of lwfp-test-attack, for
# the tests/integration/test_attacks_*.sh tests of issue 12. Source it after
# lib.sh. It gives:
#   ATTACK, NATTACK      the program, and its copy that uid 65534 can run
#   NB                   a directory of $T that uid 65534 writes to
#   breach MSG           an attack got through: report it as a BREACH line
#                        and go on, so that one run lists them all
#   end_attacks          fail if there was a breach, else pass
#   lines FILE           its number of lines, 0 if it does not exist
#   summary FILE WHAT    the outcomes on the "summary WHAT" line of an output
#   all_are FILE WHAT OUTCOME   there were attempts, and every one ended as
#                        OUTCOME (ok or an errno name)

ATTACK=$BIN/lwfp-test-attack
[ -x "$ATTACK" ] || fail "$ATTACK is missing (run make, or set LWFP_BUILD)"
nobody_bin
NATTACK=$NOBODY_BIN/lwfp-test-attack
cp "$ATTACK" "$NATTACK" && chmod 755 "$NATTACK" || fail "cannot stage lwfp-test-attack"
NB=$T/nb
mkdir "$NB" && chown 65534 "$NB" || fail "cannot make $NB"

NBREACH=0
breach() {
	echo "$TEST_NAME: BREACH: $*" >&3
	NBREACH=$((NBREACH + 1))
}

end_attacks() {
	[ "$NBREACH" = 0 ] || fail "$NBREACH attack(s) got through (the BREACH lines above)"
	pass
}

lines() {
	local n
	n=$(grep -c '' "$1" 2>/dev/null)
	echo "${n:-0}"
}

summary() { sed -n "s/^summary $2 //p" "$1"; }

all_are() {
	local s
	s=$(summary "$1" "$2")
	[ -n "$s" ] && [ "$(sed 's/.*attempts=\([0-9]*\).*/\1/' <<<"$s")" = "$(sed "s/.* $3=\\([0-9]*\\).*/\\1/" <<<"$s")" ]
}
