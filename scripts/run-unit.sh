#!/bin/sh
# Runs each unit-test binary named on the command line, reports each one,
# and ends with "N passed, N failed". Keeps going after a failure so one
# broken test does not hide the others; exits non-zero if any failed.
set -u

passed=0
failed=0
for t in "$@"; do
	# A missing or non-executable binary counts as a failure, not a skip.
	if [ -x "$t" ] && "$t"; then
		echo "PASS: $t"
		passed=$((passed + 1))
	else
		echo "FAIL: $t"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
