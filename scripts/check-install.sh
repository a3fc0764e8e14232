#!/usr/bin/env bash
# scripts/check-install.sh: `make install` into a scratch DESTDIR, then build
# and run programs against what it installed, found through pkg-config the
# way a user of liblwfp or liblwfp-win finds them; check what each library
# exports; and run a program linked against the build tree's libraries.
# Part of `make test`; nothing is left behind. $LWFP_BUILD is the build
# directory (build).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
	echo "install-check: FAIL: $*" >&2
	exit 1
}

D=$(mktemp -d /tmp/lwfp-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
ROOT=$D/root
P=$ROOT/usr/local
B=${LWFP_BUILD:-build}
[[ $B == /* ]] || B=$PWD/$B

make --no-print-directory install BUILD="$B" DESTDIR="$ROOT" PREFIX=/usr/local >"$D/install.log" 2>&1 ||
	fail "make install: $(tail -n 20 "$D/install.log")"
for f in sbin/lwfpctl sbin/lwfp-inspect lib/pkgconfig/lwfp.pc lib/pkgconfig/lwfp-win.pc \
	share/man/man8/lwfpctl.8 share/man/man8/lwfp-inspect.8 lib/systemd/system/lwfp-inspect.service \
	lib/systemd/system/lwfp.service lib/systemd/system/lwfp.slice; do
	[ -e "$P/$f" ] || fail "$f was not installed"
done
for l in liblwfp liblwfp-win; do
	[ -f "$P/lib/$l.a" ] || fail "$l.a was not installed"
	real=$(readlink "$P/lib/$l.so.0") || fail "$l.so.0 is not a link"
	[[ $real == "$l".so.0.* && -f $P/lib/$real ]] || fail "$l.so.0 links to '$real', not the versioned library"
	[ "$(readlink "$P/lib/$l.so")" = "$l.so.0" ] || fail "$l.so does not link to $l.so.0"
done
# Every public header; the Winsock layer's private one (lib/win/) stays in
# the tree.
for h in include/lwfp/*.h include/lwfp/win/*.h; do
	[ -f "$P/$h" ] || fail "$h was not installed"
done
[ ! -e "$P/include/lwfp/win/lwfp_win_internal.h" ] || fail "lwfp_win_internal.h was installed"
# Each installed header compiles alone against the installed tree, and none
# holds a map layout: those stay in bpf/layout.h, never installed, so a map
# can change without an ABI change.
for h in "$P"/include/lwfp/*.h; do
	echo "#include <lwfp/${h##*/}>" | "${CC:-cc}" -Wall -Wextra -Werror -fsyntax-only -I"$P/include" -x c - ||
		fail "lwfp/${h##*/} does not compile alone"
done
! grep -lE '^struct lwfp_(config|filter|flow|service|event|sk|tuple|dns_entry) \{' "$P"/include/lwfp/*.h ||
	fail "a map layout was installed"

cat >"$D/prog.c" <<'C'
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

int main(void)
{
	struct in_addr flow = { .s_addr = htonl(0x7f800001) };

	if (strcmp(lwfp_redirect_state_str(LWFP_REDIRECTED_BY_OTHER), "redirected_by_other"))
		return 1;
	if (lwfp_udp_flow_number(AF_INET, &flow) != flow.s_addr)
		return 2;
	puts("ok");
	return 0;
}
C
# The sysroot makes pkg-config point into DESTDIR, as a package build would.
export PKG_CONFIG_PATH=$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$ROOT
pkg-config --exists lwfp || fail "pkg-config does not find lwfp: $(pkg-config --print-errors lwfp 2>&1)"
# shellcheck disable=SC2046 # word splitting of the flags is wanted
"${CC:-cc}" -Wall -Werror -o "$D/prog" "$D/prog.c" $(pkg-config --cflags --libs lwfp) ||
	fail "cannot build against the installed liblwfp"
[ "$(LD_LIBRARY_PATH=$P/lib "$D/prog")" = ok ] || fail "the program built against liblwfp did not run"
pkg-config --static --libs lwfp | grep -q -- '-lbpf' || fail "lwfp.pc does not name libbpf for static links"

# A Windows program sees only <winsock2.h> and finds everything through
# lwfp-win.pc. A second closesocket of the same SOCKET must say WSAENOTSOCK.
cat >"$D/winprog.c" <<'C'
#include <winsock2.h>

int main(void)
{
	WSADATA wsa;
	SOCKET s;

	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		return 1;
	s = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	if (s == INVALID_SOCKET)
		return 2;
	if (closesocket(s) != 0)
		return 3;
	if (closesocket(s) != SOCKET_ERROR || WSAGetLastError() != WSAENOTSOCK)
		return 4;
	return WSACleanup() == 0 ? 0 : 5;
}
C
pkg-config --exists lwfp-win || fail "pkg-config does not find lwfp-win: $(pkg-config --print-errors lwfp-win 2>&1)"
# shellcheck disable=SC2046 # word splitting of the flags is wanted
"${CC:-cc}" -Wall -Wextra -Werror -o "$D/winprog" "$D/winprog.c" $(pkg-config --cflags --libs lwfp-win) ||
	fail "cannot build a Winsock program against the installed liblwfp-win"
LD_LIBRARY_PATH=$P/lib "$D/winprog" || fail "the Winsock program against liblwfp-win exited $?"
# The samples, unchanged, the same way.
for c in examples/*.c; do
	# shellcheck disable=SC2046 # word splitting of the flags is wanted
	"${CC:-cc}" -Wall -Wextra -Werror -o "$D/sample" "$c" $(pkg-config --cflags --libs lwfp-win) ||
		fail "$c does not build against the installed liblwfp-win"
done
pkg-config --static --libs lwfp-win | grep -q -- '-llwfp-win .*-llwfp .*-lbpf' ||
	fail "lwfp-win.pc does not pull liblwfp and libbpf for static links: $(pkg-config --static --libs lwfp-win)"

# What each installed library exports: liblwfp only lwfp_ names, the Windows
# names only from liblwfp-win.
exports() { nm -D --defined-only "$P/lib/$1" | awk '{ print $3 }'; }
stray=$(exports liblwfp.so | grep -v '^lwfp_' || true)
[ -z "$stray" ] || fail "liblwfp.so exports names without the lwfp_ prefix: ${stray//$'\n'/ }"
exports liblwfp-win.so >"$D/win.exports"
for n in WSAIoctl closesocket; do
	grep -qx "$n" "$D/win.exports" || fail "liblwfp-win.so does not export $n"
done
# The unit tests' hooks are for the static library only.
for n in lwfp_win_worker_hold lwfp_win_irps_live; do
	! grep -qx "$n" "$D/win.exports" || fail "liblwfp-win.so exports the test hook $n"
done
readelf -d "$P/lib/liblwfp-win.so" | grep -q 'NEEDED.*\[liblwfp\.so\.0\]' ||
	fail "liblwfp-win.so does not name liblwfp.so.0 as needed"

# The build tree: -L and an rpath into $B/lib find liblwfp.so.0 there.
"${CC:-cc}" -Wall -Werror -Iinclude -o "$D/treeprog" "$D/prog.c" -L"$B/lib" -llwfp \
	-Wl,-rpath,"$B/lib" || fail "cannot build against $B/lib"
[ "$(env -u LD_LIBRARY_PATH "$D/treeprog")" = ok ] || fail "a program linked against $B/lib with an rpath did not run"
echo "install-check: make install, pkg-config and programs against liblwfp and liblwfp-win, exports, build tree: ok"
