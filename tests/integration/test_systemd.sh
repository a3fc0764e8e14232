#!/bin/bash
# The systemd units of dist/systemd, where systemd is not PID 1:
#   - `systemd-analyze verify` accepts each (binaries at build paths);
#   - `systemd-analyze security --offline=yes` rates lwfp-inspect.service
#     under 5;
#   - their commands, parsed from the unit files, run in order against the
#     test's pin dir and cgroup instead of /sys/fs/bpf/lwfp and the root:
#     lwfp.service's ExecStart (up --config), the proxy's ExecStart in
#     $CG/lwfp.slice/lwfp-inspect.service with the unit's capability
#     bounding set only, a redirected curl, both ExecReload lines, and the
#     ExecStop of each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_inspect.sh"

UNITS=$LWFP_ROOT/dist/systemd
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (apt-get install systemd)"

setup_netns
make_files 1
start_http
mkcg

# The units with the binaries where this build put them.
mkdir -p "$T/units"
for u in lwfp.service lwfp.slice lwfp-inspect.service; do
	sed "s|/usr/local/sbin|$BIN|g" "$UNITS/$u" >"$T/units/$u" || fail "cannot stage $u"
done
systemd-analyze verify --man=no "$T"/units/* >"$T/verify.err" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$T/verify.err")"
# --threshold counts in tenths: 49 is an exposure of 4.9.
systemd-analyze security --offline=yes --threshold=49 "$T/units/lwfp-inspect.service" \
	>"$T/security.out" 2>&1 || fail "lwfp-inspect.service: $(tail -n 1 "$T/security.out")"
score=$(sed -n 's/.*Overall exposure level for lwfp-inspect.service: \([0-9.]*\).*/\1/p' "$T/security.out")
awk -v s="$score" 'BEGIN { exit !(s != "" && s < 5) }' || fail "exposure '$score', want under 5"

# unit_cmd UNIT KEY: the command line of KEY= in UNIT, with the test's
# paths: pin dir, configuration file, flow log.
unit_cmd() {
	sed -n "s/^$2=//p" "$T/units/$1" | head -n 1 |
		sed -e "s|/etc/lwfp/lwfp.conf|$T/lwfp.conf|" -e "s|/var/log/lwfp/|$T/|" \
			-e "s|\\\$LWFP_UP_ARGS|--cgroup $CG|"
}
read -ra UP <<<"$(unit_cmd lwfp.service ExecStart)"
read -ra RELOAD <<<"$(unit_cmd lwfp.service ExecReload)"
read -ra DOWN <<<"$(unit_cmd lwfp.service ExecStop)"
read -ra PROXY <<<"$(unit_cmd lwfp-inspect.service ExecStart)"
read -ra HUP <<<"$(unit_cmd lwfp-inspect.service ExecReload)"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$T/units/lwfp-inspect.service" |
	tr 'A-Z' 'a-z' | sed -e 's/cap_//g' -e 's/ /,+/g')
slice=$(sed -n 's/^Slice=//p' "$T/units/lwfp-inspect.service")
[ "${UP[1]}" = up ] && [ "${UP[2]}" = --config ] || fail "lwfp.service: ExecStart is ${UP[*]}"
[ "$slice" = lwfp.slice ] || fail "lwfp-inspect.service is in slice '$slice'"

# The policy, as lwfp.conf would hold it: the proxy unit's cgroup is the identity.
SVC_CG=$CG/$slice/lwfp-inspect.service
mkcg "$slice" "$slice/lwfp-inspect.service"
cat >"$T/lwfp.conf" <<CONF
service add inspect --cgroup $SVC_CG
filter add --service inspect --to 127.0.0.1:15001 --proto tcp --family 4 --dst $SRV4/32 --dport $HTTP_PORT
CONF

for ns in "" "$NSP_CLI"; do
	${ns:+nsenter --net="$ns"} "${UP[@]}" --pin-dir "$PIN" >"$T/up.out" 2>"$T/up.err" ||
		fail "${UP[*]}: $(cat "$T/up.err")"
done
ctl service list -j
grep -q '"name": *"inspect"' <<<"$CTL_OUT" || fail "up --config did not add service inspect: $CTL_OUT"

# The proxy unit: its cgroup, its capabilities, its command.
spawn inspect "$slice/lwfp-inspect.service" "$NSP_CLI" setpriv --inh-caps=-all \
	--bounding-set="-all,+$caps" "${PROXY[@]}" --pin-dir "$PIN"
P=$LAST_PID
inspect_ready inspect "$P"
fetch_ok f0.bin
wait_flows inspect 1
expect_flow inspect 1 'chain=["inspect"]' "orig_dst=$SRV4:$HTTP_PORT"

# Reloads: the policy again (unchanged), the proxy's SIGHUP.
"${RELOAD[@]}" --pin-dir "$PIN" >"$T/reload.out" 2>"$T/reload.err" ||
	fail "${RELOAD[*]}: $(cat "$T/reload.err")"
"${HUP[@]/\$MAINPID/$P}" || fail "${HUP[*]} failed"
wait_until 5 grep -q 'listeners registered with service inspect' "$T/inspect.err" ||
	fail "the proxy did not take SIGHUP: $(cat "$T/inspect.err")"
fetch_ok f0.bin
wait_flows inspect 2

# Stop: the proxy (SIGTERM, the unit's KillSignal), then the engine.
stop_inspect inspect "$P"
"${DOWN[@]}" --pin-dir "$PIN" >"$T/down.out" 2>"$T/down.err" || fail "${DOWN[*]}: $(cat "$T/down.err")"
[ ! -e "$PIN" ] || [ -z "$(ls -A "$PIN")" ] || fail "pins left after down: $(ls "$PIN")"

pass
