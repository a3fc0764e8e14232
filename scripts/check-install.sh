#!/usr/bin/env bash
# scripts/check-install.sh: `make install` into a scratch DESTDIR, then build
# and run a program against what it installed, found through pkg-config the
# way a user of liblwfp finds it. Part of `make test`; nothing is left behind.
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

make --no-print-directory install DESTDIR="$ROOT" PREFIX=/usr/local >"$D/install.log" 2>&1 ||
	fail "make install: $(tail -n 20 "$D/install.log")"
for f in sbin/lwfpctl sbin/lwfp-inspect lib/liblwfp.a lib/liblwfp.so lib/liblwfp.so.0 \
	include/lwfp/lwfp.h include/lwfp/abi.h include/lwfp/engine.h include/lwfp/win/winsock2.h \
	lib/pkgconfig/lwfp.pc share/man/man8/lwfpctl.8 share/man/man8/lwfp-inspect.8 \
	lib/systemd/system/lwfp-inspect.service; do
	[ -e "$P/$f" ] || fail "$f was not installed"
done
# The Winsock layer's private header stays in the tree.
[ ! -e "$P/include/lwfp/win/lwfp_win_internal.h" ] || fail "lwfp_win_internal.h was installed"

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
echo "install-check: make install, pkg-config and a program against liblwfp: ok"
