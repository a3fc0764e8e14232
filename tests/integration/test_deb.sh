#!/bin/bash
# The Debian packages: built by dpkg-buildpackage (scripts/deb.sh, lintian
# included), installed on this machine with dpkg -i, checked by dpkg -L and
# their conffile, used (the demo against /usr/sbin, `up --config` with the
# shipped lwfp.conf, programs built with pkg-config against liblwfp-dev),
# then purged: no file of theirs and no /etc/lwfp may remain. The trap
# purges them on failure too. They install into /usr and /etc, so a `make
# install` into /usr/local is neither touched nor used.
#
# LWFP_DEB_DIR=DIR uses the packages a `make deb` left in DIR (build/deb)
# instead of building them again.
. "$(dirname "$0")/lib.sh"

PKGS=(lwfp liblwfp0 liblwfp-win0 liblwfp-dev)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH) || fail "dpkg-architecture"
INSTALLED=0

purge() {
	[ "$INSTALLED" = 1 ] || return 0
	dpkg --purge "${PKGS[@]}" >"$T/purge.log" 2>&1
}
deb_cleanup() {
	local rc=$?
	purge
	(exit "$rc")
	cleanup
}
trap deb_cleanup EXIT INT TERM

# Never purge what someone installed before the test.
for p in "${PKGS[@]}"; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ -z "$s" ] || [ "$s" = not-installed ] ||
		fail "$p is already installed ($s): dpkg --purge it to run this test"
done
[ ! -e /etc/lwfp ] || fail "/etc/lwfp exists before the packages are installed"

DEBS=${LWFP_DEB_DIR:-$T/deb}
if [ -z "${LWFP_DEB_DIR:-}" ]; then
	"$LWFP_ROOT/scripts/deb.sh" "$DEBS" >"$T/deb.out" 2>&1 ||
		fail "make deb: $(cat "$T/deb.out")"
fi
files=()
for p in "${PKGS[@]}"; do
	f=$(echo "$DEBS/${p}_"*.deb)
	[ -f "$f" ] || fail "no $p package in $DEBS"
	files+=("$f")
done

INSTALLED=1
dpkg -i "${files[@]}" >"$T/install.log" 2>&1 || fail "dpkg -i: $(tail -n 20 "$T/install.log")"

# ---- what the packages hold ----------------------------------------------------
# (Lists in files: grep -q on a pipe would end dpkg with SIGPIPE, and pipefail
# would call that a miss.)
for p in "${PKGS[@]}"; do dpkg -L "$p" >"$T/$p.list" || fail "dpkg -L $p"; done
owns() { # PKG PATH...
	local p=$1 f
	shift
	for f in "$@"; do
		grep -qx "$f" "$T/$p.list" || fail "$p does not hold $f"
		[ -e "$f" ] || fail "$f of $p is not on disk"
	done
}
owns lwfp /usr/sbin/lwfpctl /usr/sbin/lwfp-inspect /etc/lwfp/lwfp.conf \
	/usr/share/man/man8/lwfpctl.8.gz /usr/share/man/man8/lwfp-inspect.8.gz
for u in "$LWFP_ROOT"/dist/systemd/*; do
	owns lwfp "/usr/lib/systemd/system/${u##*/}"
	! grep -q /usr/local "/usr/lib/systemd/system/${u##*/}" || fail "${u##*/} still names /usr/local"
done
dpkg-query -W -f='${Conffiles}' lwfp | grep -q '^ /etc/lwfp/lwfp.conf ' ||
	fail "/etc/lwfp/lwfp.conf is not a conffile"
owns liblwfp0 "/usr/lib/$MA/liblwfp.so.0"
owns liblwfp-win0 "/usr/lib/$MA/liblwfp-win.so.0"
owns liblwfp-dev "/usr/lib/$MA/liblwfp.so" "/usr/lib/$MA/liblwfp.a" "/usr/lib/$MA/liblwfp-win.a" \
	"/usr/lib/$MA/pkgconfig/lwfp.pc" "/usr/lib/$MA/pkgconfig/lwfp-win.pc" /usr/include/lwfp/engine.h \
	/usr/include/lwfp/win/winsock2.h
for b in lwfpctl lwfp-inspect; do
	ldd "/usr/sbin/$b" >"$T/ldd" || fail "ldd /usr/sbin/$b"
	! grep -q 'not found' "$T/ldd" || fail "/usr/sbin/$b misses a library: $(cat "$T/ldd")"
done

# ---- using them ---------------------------------------------------------------------
LWFP_BIN=/usr/sbin "$LWFP_ROOT/scripts/demo.sh" >"$T/demo.out" 2>&1 ||
	fail "the demo against /usr/sbin failed: $(tail -n 20 "$T/demo.out")"
[ "$(grep -c '^hello from the server namespace' "$T/demo.out")" -ge 2 ] ||
	fail "the demo's fetches did not pass: $(cat "$T/demo.out")"
grep -q '"verdict":"block"' "$T/demo.out" || fail "the demo's inspect-c did not block ads"

# The shipped policy file is valid as it is (all of it commented out), and
# so are its examples once uncommented (their proxy's cgroup made below the
# test's), once lwfpctl has --config.
if [[ $(/usr/sbin/lwfpctl --help 2>&1) == *--config* ]]; then
	mkcg lwfp.slice lwfp.slice/lwfp-inspect.service
	/usr/sbin/lwfpctl up --config /etc/lwfp/lwfp.conf --cgroup "$CG" --pin-dir "$PIN" >"$T/up.out" 2>&1 ||
		fail "up --config /etc/lwfp/lwfp.conf: $(cat "$T/up.out")"
	sed -n 's/^#\(service\|filter\) /\1 /p' /etc/lwfp/lwfp.conf |
		sed "s|--cgroup lwfp.slice|--cgroup ${CG#"$CG2"/}/lwfp.slice|" >"$T/examples.conf"
	/usr/sbin/lwfpctl reload --config "$T/examples.conf" --pin-dir "$PIN" >"$T/reload.out" 2>&1 ||
		fail "the examples of lwfp.conf: $(cat "$T/reload.out")"
	/usr/sbin/lwfpctl down --pin-dir "$PIN" >/dev/null 2>&1 || fail "down after up --config"
fi

cat >"$T/redirect_state.c" <<'C'
#include <stdio.h>
#include <lwfp/lwfp.h>

int main(void)
{
	return puts(lwfp_redirect_state_str(LWFP_REDIRECTED_BY_SELF)) < 0;
}
C
# shellcheck disable=SC2046 # word splitting of the flags is wanted
cc -Wall -Werror -o "$T/redirect_state" "$T/redirect_state.c" $(pkg-config --cflags --libs lwfp) \
	2>"$T/cc.err" || fail "cannot build against the installed liblwfp-dev: $(cat "$T/cc.err")"
# (ldd may name it by /lib, the same directory on a merged /usr.)
lib=$(ldd "$T/redirect_state" | awk '$1 == "liblwfp.so.0" { print $3 }')
[ -n "$lib" ] && [ "$(realpath "$lib")" = "$(realpath "/usr/lib/$MA/liblwfp.so.0")" ] ||
	fail "the program loads '$lib', not /usr/lib/$MA/liblwfp.so.0"
[ "$(env -u LD_LIBRARY_PATH "$T/redirect_state")" = redirected_by_self ] ||
	fail "the program built against liblwfp-dev did not run"
# shellcheck disable=SC2046
cc -Wall -Werror -o "$T/winsock-proxy" "$LWFP_ROOT/examples/winsock-proxy.c" \
	$(pkg-config --cflags --libs lwfp-win) 2>"$T/cc.err" ||
	fail "cannot build examples/winsock-proxy.c against the installed liblwfp-dev: $(cat "$T/cc.err")"

# ---- removing them -------------------------------------------------------------
sort -u "$T"/*.list >"$T/files"
INSTALLED=0
dpkg --purge "${PKGS[@]}" >"$T/purge.log" 2>&1 || fail "dpkg --purge: $(cat "$T/purge.log")"
for p in "${PKGS[@]}"; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ -z "$s" ] || [ "$s" = not-installed ] || fail "$p is $s after the purge"
done
while read -r f; do
	[ -d "$f" ] && [ ! -L "$f" ] && continue
	[ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is left after the purge"
done <"$T/files"
for d in /etc/lwfp /usr/include/lwfp "/usr/share/doc/lwfp"; do
	[ ! -e "$d" ] || fail "$d is left after the purge"
done
pass
