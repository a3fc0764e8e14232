#!/bin/bash
# lwfpctl doctor (issue 16, item 5), with a foreign program on the engine's
# cgroup and nat REDIRECT rules in the client's network namespace (netfilter
# is per namespace: doctor runs there and reads that namespace's rules):
#   - -j lists the foreign program by its program name, with its id, tag,
#     run order, owner "foreign" and its pin; lwfp's own with their link ids;
#   - the rules that redirect are listed, a rule with an owner match too;
#   - warnings: the foreign program runs before lwfp at connect4 (up
#     --after put it there); the REDIRECT rule without an owner match catches
#     port 80, which a filter sends to a proxy; none for the rule with one;
#   - the text output has the same warning lines;
#   - a native nftables redirect rule is listed and warned of the same way;
#   - another lwfp engine's connect4 on a descendant cgroup is a warning too;
#   - without an engine at the pin directory, doctor fails with one line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_noop.sh"

command -v iptables >/dev/null || fail "iptables is missing (scripts/deps.sh installs it)"
setup_netns
noop_attach connect4
F4=${NOOP_ID[connect4]}

# The foreign program first where the kernel orders links; appended anyway before 6.17.
AFTER=(--after noop_connect4)
"$LWFPCTL" up --cgroup "$CG" --pin-dir "$PIN" "${AFTER[@]}" >"$T/up.out" 2>"$T/up.err" ||
	{ AFTER=(); "$LWFPCTL" up --cgroup "$CG" --pin-dir "$PIN" >"$T/up.out" 2>"$T/up.err"; } ||
	fail "lwfpctl up: $(cat "$T/up.err")"
service_add H px --uid 0
filter_add FID --service px --to 127.0.0.1:15001 --proto tcp --dport 80

in_cli() { nsenter --net="$NSP_CLI" "$@"; }
in_cli iptables -t nat -A OUTPUT -p tcp --dport 80 -j REDIRECT --to-ports 3129 ||
	fail "cannot add the nat REDIRECT rule"
in_cli iptables -t nat -A OUTPUT -p tcp --dport 80 -m owner ! --uid-owner 0 \
	-j REDIRECT --to-ports 3130 || fail "cannot add the nat REDIRECT rule with an owner match"

in_cli "$LWFPCTL" doctor -j --pin-dir "$PIN" >"$T/doctor.json" 2>"$T/doctor.err" ||
	fail "lwfpctl doctor -j: $(cat "$T/doctor.err")"
"$PY" - "$T/doctor.json" "$F4" "$FPIN/noop_connect4" "$FID" "$CG" <<'PYEOF' || fail "doctor -j: $(cat "$T/doctor.json")"
import json, sys
d = json.load(open(sys.argv[1]))
f4, fpin, fid, cg = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def die(msg):
    print(msg, file=sys.stderr); sys.exit(1)
c4 = [p for p in d["programs"] if p["hook"] == "connect4"]
foreign = [p for p in c4 if p["id"] == f4]
ours = [p for p in c4 if p["ours"]]
if len(foreign) != 1 or len(ours) != 1:
    die("connect4: not one foreign and one lwfp program: %s" % c4)
f, o = foreign[0], ours[0]
if f["name"] != "noop_connect4" or f["owner"] != "foreign" or f["pinned"] != fpin or len(f["tag"]) != 16:
    die("the foreign program: %s" % f)
if f["cgroup"] != cg or o["cgroup"] != cg or o["name"] != "lwfp_connect4" or not o["link_id"]:
    die("cgroups, names or link: %s %s" % (f, o))
if not (f["run_order"] == 1 and o["run_order"] == 2):
    die("run order: foreign %s, lwfp %s" % (f["run_order"], o["run_order"]))
if not any(p["hook"] == "sock_ops" and p["ours"] for p in d["programs"]):
    die("lwfp's sock_ops program is not listed")
rules = [r for r in d["rules"] if r["table"] == "nat" and r["target"] == "REDIRECT"]
if len(rules) != 2 or [r["excludes_owner"] for r in rules] != [False, True]:
    die("rules: %s" % d["rules"])
w = d["warnings"]
if not any("prog 'noop_connect4' id %d" % f4 in x and "runs before lwfp" in x for x in w):
    die("no warning for the program ahead of lwfp: %s" % w)
nf = [x for x in w if "lwfp filter %s redirects" % fid in x]
if len(nf) != 1 or "3129" not in nf[0]:
    die("not one warning for the REDIRECT rule without an owner match: %s" % w)
PYEOF

in_cli "$LWFPCTL" doctor --pin-dir "$PIN" >"$T/doctor.txt" 2>"$T/doctor.err" ||
	fail "lwfpctl doctor: $(cat "$T/doctor.err")"
[ "$(grep -c '^warning: ' "$T/doctor.txt")" = 2 ] || fail "doctor: not two warnings: $(cat "$T/doctor.txt")"
grep -q "noop_connect4" "$T/doctor.txt" || fail "doctor does not list noop_connect4"

# A native nftables rule (a table iptables does not own): listed, and warned of.
if command -v nft >/dev/null; then
	in_cli nft add table ip vend &&
		in_cli nft "add chain ip vend out { type nat hook output priority -100; }" &&
		in_cli nft add rule ip vend out tcp dport 80 redirect to :3131 &&
		in_cli nft add rule ip vend out meta skuid != 0 tcp dport 80 redirect to :3132 ||
		fail "cannot add the nft rules"
	in_cli "$LWFPCTL" doctor -j --pin-dir "$PIN" >"$T/nft.json" 2>"$T/doctor.err" ||
		fail "lwfpctl doctor -j: $(cat "$T/doctor.err")"
	"$PY" - "$T/nft.json" "$FID" <<'PYEOF' || fail "doctor -j with nft rules: $(cat "$T/nft.json")"
import json, sys
d = json.load(open(sys.argv[1]))
nft = [r for r in d["rules"] if r["tool"] == "nft"]
if [(r["table"], r["chain"], r["target"], r["excludes_owner"]) for r in nft] != \
        [("vend", "OUTPUT", "REDIRECT", False), ("vend", "OUTPUT", "REDIRECT", True)]:
    sys.exit("nft rules: %s" % nft)
w = [x for x in d["warnings"] if x.startswith("nft vend rule")]
if len(w) != 1 or "lwfp filter %s redirects" % sys.argv[2] not in w[0]:
    sys.exit("not one warning for the nft rule without an owner match: %s" % d["warnings"])
PYEOF
	in_cli nft delete table ip vend || fail "cannot delete the nft table"
else
	echo "$TEST_NAME: note: nft is not installed, native nftables rules are not tested" >&3
fi

# Another lwfp engine's connect4 on a descendant (loaded by bpftool, as a
# second product's copy of lwfp would be): a warning that names it.
mkcg sub
bpftool prog loadall "$LWFP_BUILD/obj/lwfp.bpf.o" "$FPIN/other" >/dev/null 2>&1 ||
	fail "bpftool prog loadall lwfp.bpf.o"
bpftool cgroup attach "$CG/sub" connect4 pinned "$FPIN/other/lwfp_connect4" multi ||
	fail "cannot attach the other engine's connect4"
OTHER=$(bpftool prog show pinned "$FPIN/other/lwfp_connect4" -j |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
in_cli "$LWFPCTL" doctor --pin-dir "$PIN" >"$T/doctor3.txt" 2>&1 || fail "doctor: $(cat "$T/doctor3.txt")"
grep -q "^warning: another lwfp engine is on this engine's cgroup path: connect4 prog id $OTHER on $CG/sub" \
	"$T/doctor3.txt" || fail "no warning for the other engine: $(cat "$T/doctor3.txt")"
bpftool cgroup detach "$CG/sub" connect4 pinned "$FPIN/other/lwfp_connect4" ||
	fail "cannot detach the other engine's connect4"

# No engine at the pin directory: one line, non-zero.
in_cli "$LWFPCTL" doctor --pin-dir "$PIN-none" >"$T/none.out" 2>"$T/none.err" &&
	fail "doctor without an engine succeeded"
[ "$(wc -l <"$T/none.err")" = 1 ] && [ ! -s "$T/none.out" ] ||
	fail "doctor without an engine: $(cat "$T/none.err" "$T/none.out")"

# Without the rule, no netfilter warning.
in_cli iptables -t nat -F OUTPUT
in_cli "$LWFPCTL" doctor --pin-dir "$PIN" >"$T/doctor2.txt" 2>&1 || fail "doctor: $(cat "$T/doctor2.txt")"
! grep -q "catches ports" "$T/doctor2.txt" || fail "a rule warning without a rule: $(cat "$T/doctor2.txt")"
pass
