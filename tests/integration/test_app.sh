#!/bin/bash
# --app PATH (issue 17): filters match the connecting process's executable
# file, not its name, and the flow log names the application's executable
# and its parent's at every hop of a chain.
#   - a --block --app curl filter refuses curl, not a copy of curl elsewhere;
#     a shell that execs curl, and curl as a shell's child, are refused too;
#   - a static binary (busybox-static's wget) is matched by its own filter;
#   - a file replaced at the filter's path (a new inode, as a package upgrade
#     does) no longer matches until `lwfpctl filter refresh`, then does;
#     `filter list -j` and `save` show the path; -batch takes --app, and
#     `reload --config` resolves the path again;
#   - bad --app values fail with one line;
#   - a chain of two lwfp-inspect services, the first registered with --app:
#     both hops log curl's exe, its ppid and pexe (the second hop not
#     lwfp-inspect's); busybox wget, not matched by the first, reaches only
#     the second, logged with its own exe;
#   - deleted filters leave no path or hit counter behind.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/lib_inspect.sh"
BUSYBOX=$(readlink -f /bin/busybox)
[ -x "$BUSYBOX" ] || fail "$BUSYBOX is missing: apt-get install busybox-static"
file -L "$BUSYBOX" | grep -q 'statically linked' || fail "$BUSYBOX is not a static binary"
CURL=$(readlink -f "$(command -v curl)")
URL=http://$SRV4:$HTTP_PORT/f0.bin
CURL_ARGS=(-sS -g --noproxy '*' --connect-timeout 10 --max-time 30 -o /dev/null)

setup_all 1
mkcg app svcA svcB

# refused CMD...: in the app cgroup, CMD must fail (the block filter).
refused() {
	run_in app "$@" >"$T/app.out" 2>"$T/app.err" &&
		fail "'$*' went through while a --block --app filter matches it"
	return 0
}

# passes CMD...: in the app cgroup, CMD must fetch the file.
passes() {
	run_in app "$@" >"$T/app.out" 2>"$T/app.err" || fail "'$*' failed: $(cat "$T/app.err")"
}

# ---- curl, a copy, exec and a child ------------------------------------------------------

filter_add FC --block --app "$CURL" --proto tcp --dst "$SRV4/32"
refused "$CURL" "${CURL_ARGS[@]}" "$URL"
cp "$CURL" "$T/curl-copy" || fail "cannot copy curl"
passes "$T/curl-copy" "${CURL_ARGS[@]}" "$URL"
passes "$BUSYBOX" wget -q -O /dev/null "$URL"
# shellcheck disable=SC2016
refused sh -c 'exec "$@"' sh "$CURL" "${CURL_ARGS[@]}" "$URL"
# A child: the shell waits for curl and exits with its status, so no exec.
# shellcheck disable=SC2016
refused sh -c '"$@"; r=$?; exit $r' sh "$CURL" "${CURL_ARGS[@]}" "$URL"
# shellcheck disable=SC2016
passes sh -c '"$@"; r=$?; exit $r' sh "$T/curl-copy" "${CURL_ARGS[@]}" "$URL"
ctl filter del "$FC"

# ---- a static binary ---------------------------------------------------------------

filter_add FS --block --app "$BUSYBOX" --proto tcp --dst "$SRV4/32"
refused "$BUSYBOX" wget -q -O /dev/null "$URL"
passes "$CURL" "${CURL_ARGS[@]}" "$URL"
ctl filter del "$FS"

# ---- a file replaced at the path ---------------------------------------------------

mkdir -p "$T/bin" && cp "$CURL" "$T/bin/app" || fail "cannot stage $T/bin/app"
filter_add FR --block --app "$T/bin/app" --proto tcp --dst "$SRV4/32"
refused "$T/bin/app" "${CURL_ARGS[@]}" "$URL"
ctl filter list -j
"$PY" -c 'import json, sys; f = [x for x in json.loads(sys.argv[1]) if x["id"] == int(sys.argv[2])]
sys.exit(0 if f and f[0]["app"] == sys.argv[3] else "filter list -j: %r" % f)' \
	"$CTL_OUT" "$FR" "$T/bin/app" || fail "filter list -j does not show --app $T/bin/app"
ctl save
grep -qF -- "--app '$T/bin/app'" <<<"$CTL_OUT" || fail "save does not keep --app: $CTL_OUT"
old=$(stat -c %i "$T/bin/app")
cp "$CURL" "$T/bin/app.new" && mv "$T/bin/app.new" "$T/bin/app" || fail "cannot replace $T/bin/app"
[ "$(stat -c %i "$T/bin/app")" != "$old" ] || fail "the replaced file kept inode $old"
# The documented gap: a new file is not the filter's until a refresh.
passes "$T/bin/app" "${CURL_ARGS[@]}" "$URL"
ctl filter refresh
[ "$CTL_OUT" = 1 ] || fail "filter refresh changed '$CTL_OUT' filters, want 1"
refused "$T/bin/app" "${CURL_ARGS[@]}" "$URL"
ctl filter refresh
[ "$CTL_OUT" = 0 ] || fail "a second filter refresh changed '$CTL_OUT' filters, want 0"
ctl filter del "$FR"

# ---- -batch, and reload --config following a replaced file ---------------------------

echo "filter add --block --app '$T/bin/app' --proto tcp --dst $SRV4/32" >"$T/app.conf"
ctl -batch "$T/app.conf"
refused "$T/bin/app" "${CURL_ARGS[@]}" "$URL"
cp "$CURL" "$T/bin/app.new" && mv "$T/bin/app.new" "$T/bin/app" || fail "cannot replace $T/bin/app"
passes "$T/bin/app" "${CURL_ARGS[@]}" "$URL"
ctl reload --config "$T/app.conf"
refused "$T/bin/app" "${CURL_ARGS[@]}" "$URL"
ctl filter flush
"$LWFPCTL" filter refresh junk --pin-dir "$PIN" >"$T/bad.out" 2>"$T/bad.err" &&
	fail "filter refresh took an argument"

# ---- bad values --------------------------------------------------------------------

bad_app() { # WANT ARG
	"$LWFPCTL" filter add --block --app "$2" --pin-dir "$PIN" >"$T/bad.out" 2>"$T/bad.err" &&
		fail "filter add --app '$2' succeeded"
	[ "$(wc -l <"$T/bad.err")" = 1 ] && grep -q "$1" "$T/bad.err" ||
		fail "filter add --app '$2' said '$(cat "$T/bad.err")', want one line with '$1'"
}
bad_app "not an absolute path" bin/app
bad_app "No such file" "$T/bin/none"
bad_app "not a regular file" "$T/bin"

# ---- the identity at both hops of a chain ------------------------------------------

start_inspect IA svcA 127.0.0.1:15001 --register --app "$CURL" --dst "$SRV4/32" \
	--dport "$HTTP_PORT" --weight 200
IA=$LAST_PID
start_inspect IB svcB 127.0.0.1:15002 --register --dst "$SRV4/32" --dport "$HTTP_PORT" \
	--weight 100
IB=$LAST_PID
fetch_ok f0.bin
wait_flows IA 1
wait_flows IB 1
# fetch_ok runs curl as a child of this shell.
me=(exe="$CURL" "ppid=$$" pexe="$(readlink -f "/proc/$$/exe")" comm=curl
	"exe_ino=$(stat -L -c %i "$CURL")")
expect_flow IA 1 "${me[@]}" "chain=[\"lwfp-inspect-$IA\"]"
expect_flow IB 1 "${me[@]}" "chain=[\"lwfp-inspect-$IA\",\"lwfp-inspect-$IB\"]"
passes "$BUSYBOX" wget -q -O /dev/null "$URL"
wait_flows IB 2
expect_flow IB 2 exe="$BUSYBOX" "chain=[\"lwfp-inspect-$IB\"]"
[ "$(log_lines IA)" = 1 ] || fail "busybox wget went through IA, whose --app is curl"
stop_inspect IA "$IA"
stop_inspect IB "$IB"

# Every filter is gone (filter del, and service del at lwfp-inspect's exit):
# so are their paths and hit counters.
for m in lwfp_filter_app lwfp_filter_hits; do
	n=$(bpftool -j map dump pinned "$PIN/$m" | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$n" = 0 ] || fail "$m keeps $n entries of deleted filters"
done

pass
