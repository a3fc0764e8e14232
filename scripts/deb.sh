#!/usr/bin/env bash
# scripts/deb.sh OUT: builds the Debian packages of debian/ with
# dpkg-buildpackage from a copy of this tree in OUT/src (dpkg-buildpackage
# writes its results next to the source directory, so they land in OUT and
# nothing outside it is touched), then checks them with lintian, which must
# report no error and no warning (debian/README.source explains what is
# overridden). Leaves OUT/*.deb, the .changes and .buildinfo, build.log and
# lintian.log. DEB_JOBS (default 2) is the build's parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:?usage: scripts/deb.sh OUT}
fail() {
	echo "deb: $*" >&2
	exit 1
}

rm -rf "$out"
mkdir -p "$out/src"
# Everything but build trees and git's own files: what a source package holds.
tar -c --exclude=./build --exclude=./.git --exclude='./debian/tmp' . | tar -x -C "$out/src"
# An outer make's flags and variables (BUILD=..., SAN=1 from make test) are
# not the package's: a sanitized liblwfp would not load in a plain program.
unset MAKEFLAGS MFLAGS MAKELEVEL BUILD SAN
export DEB_BUILD_OPTIONS="nocheck parallel=${DEB_JOBS:-2}"
(cd "$out/src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 ||
	fail "dpkg-buildpackage failed: $(tail -n 30 "$out/build.log")"
rm -rf "$out/src"
changes=$(echo "$out"/lwfp_*.changes)
[ -f "$changes" ] || fail "no .changes in $out"
lintian --fail-on error,warning --display-info "$changes" >"$out/lintian.log" 2>&1 ||
	fail "lintian: $(cat "$out/lintian.log")"
echo "deb: $(cd "$out" && echo ./*.deb | sed 's|\./||g'); lintian: no error or warning ($out/lintian.log)"
