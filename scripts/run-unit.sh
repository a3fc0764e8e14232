#!/bin/sh
# Runs each unit-test binary named on the command line, reports each one,
# and ends with "N passed, N failed". Keeps going after a failure so one
# broken test does not hide the others; exits non-zero if any failed.
# $UNIT_RUNNER, when set, is a command to run each binary under (valgrind).
set -u

runner=${UNIT_RUNNER:-}
passed=0
failed=0
for t in "$@"; do
	# A missing or non-executable binary counts as a failure, not a skip.
	# shellcheck disable=SC2086 # the runner is a command with its options
	if [ -x "$t" ] && $runner "$t"; then
		echo "PASS: $t"
		passed=$((passed + 1))
	else
		echo "FAIL: $t"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
