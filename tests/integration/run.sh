#!/bin/bash
# Runs every tests/integration/test_*.sh (or the ones named: run.sh one_proxy
# chain ...), each in its own bash process, and prints "PASS name" or
# "FAIL name" (followed by the test's output) per test, then "N passed,
# N failed". Exits non-zero if any test failed.
#
# Binaries come from $LWFP_BUILD/bin (default: build/bin of this tree).
# LWFP_TEST_TIMEOUT (seconds, default 120) bounds each test.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
export LWFP_BUILD=${LWFP_BUILD:-$(cd "$dir/../.." && pwd)/build}

if [ "$#" -gt 0 ]; then
	tests=()
	for n in "$@"; do
		n=${n#test_}
		n=${n%.sh}
		tests+=("$dir/test_$n.sh")
	done
else
	tests=("$dir"/test_*.sh)
fi

passed=0
failed=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	out=$(mktemp)
	if [ -f "$t" ] && timeout -k 15 "${LWFP_TEST_TIMEOUT:-120}" bash "$t" >"$out" 2>&1; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		rc=$?
		echo "FAIL $name"
		[ -f "$t" ] || echo "    no such test: $t"
		[ "$rc" = 124 ] && echo "    timed out after ${LWFP_TEST_TIMEOUT:-120} s"
		sed 's/^/    /' "$out"
		failed=$((failed + 1))
	fi
	rm -f "$out"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
