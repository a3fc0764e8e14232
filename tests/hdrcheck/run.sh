#!/bin/bash
# The header check itself (Makefile, hdrcheck): it must pass on a header that
# includes what it uses and fail on one that leans on its includer's includes.
# Builds into a scratch BUILD, so the tree's own build is left alone.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A header as bpf/ writes them: its one include gives it every name it uses.
cat >"$tmp/good.h" <<'H'
#pragma once
#include "common.h"
static __always_inline void good(void) { lwfp_count(LWFP_CNT_CONNECT); }
H
# The same without its include: it compiles only after someone's common.h.
sed '/#include/d' "$tmp/good.h" >"$tmp/bad.h"

check() {
	make -C "$root" --no-print-directory BUILD="$tmp/build-$1" HDRCHECK_HDRS="$2" hdrcheck \
		>"$tmp/$1.log" 2>&1
}

check good "bpf/common.h $tmp/good.h" || { cat "$tmp/good.log"; echo "FAIL hdrcheck: good header refused"; exit 1; }
if check bad "$tmp/good.h $tmp/bad.h"; then
	echo "FAIL hdrcheck: a header that does not compile alone passed"
	exit 1
fi
grep -q "hdrcheck: $tmp/bad.h does not compile on its own" "$tmp/bad.log" ||
	{ cat "$tmp/bad.log"; echo "FAIL hdrcheck: no message naming the header"; exit 1; }
echo "PASS hdrcheck"
