# shellcheck shell=bash
# tests/integration/lib_coexist.sh: for the tests of lwfp next to other
# products (test_coexist_*.sh). Source it after lib.sh. It gives:
#   fx_load                 the foreign socket load balancer
#                           (tests/foreign/sockbl.bpf.c, built by make)
#                           loaded with bpftool and pinned in $FPIN, its maps
#                           in $FPIN/maps; removed on exit
#   fx_service VIP PORT BACKEND PORT   one entry of its service map
#   fx_attach CGPATH / fx_detach CGPATH   its connect4/6 and getpeername4/6
#                           programs, attached with `bpftool cgroup attach
#                           ... multi` as a product without bpf_link would
#   fx_stat N               its counter N (0: connects translated, 1: peers
#                           restored)
#   first_connect4 CGPATH   the name of the connect4 program that runs
#                           first among CGPATH's own
#   served PORT             GET requests the HTTP server on PORT logged
#   rule_pkts NSPATH TABLE CHAIN N   packets iptables rule N counted
#   expect_eq WHAT GOT WANT
#   peer_tool CGSUB HOST PORT   $T/peer.py in $CG/CGSUB of the client netns:
#                           it connects, prints what getpeername() shows,
#                           GETs /f0.bin over the connection and prints the
#                           bytes of the reply: "PEER BYTES"

FPIN=/sys/fs/bpf/lwfp-t-$ID-foreign
FOREIGN_OBJ=$LWFP_BUILD/tests/foreign/sockbl.bpf.o
BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)
IPTABLES=$(command -v iptables || echo /usr/sbin/iptables)

# lib.sh's cleanup reads the exit status first: hand it on unchanged. The
# attachments go with the cgroups that cleanup removes.
coexist_cleanup() {
	local rc=$?
	case $FPIN in /sys/fs/bpf/lwfp-t-*) rm -rf "$FPIN" 2>/dev/null ;; esac
	(exit "$rc")
	cleanup
}
trap coexist_cleanup EXIT INT TERM

expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

fx_load() {
	[ -x "$BPFTOOL" ] || fail "bpftool is missing"
	[ -f "$FOREIGN_OBJ" ] || fail "$FOREIGN_OBJ is missing (run make, or set LWFP_BUILD)"
	"$BPFTOOL" prog loadall "$FOREIGN_OBJ" "$FPIN" pinmaps "$FPIN/maps" 2>"$T/bpftool.err" ||
		fail "bpftool prog loadall $FOREIGN_OBJ: $(cat "$T/bpftool.err")"
}

# struct sockbl_addr as bpftool's hex bytes: the IPv6 address (IPv4 as
# ::ffff:a.b.c.d) and the port in network order, then two bytes of padding.
sockbl_hex() { # IP PORT
	"$PY" -c '
import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1])
if a.version == 4:
    a = ipaddress.IPv6Address("::ffff:" + str(a))
b = a.packed + int(sys.argv[2]).to_bytes(2, "big") + bytes(2)
print("hex", " ".join("%02x" % x for x in b))' "$1" "$2"
}

fx_service() { # VIP PORT BACKEND PORT
	# shellcheck disable=SC2046
	"$BPFTOOL" map update pinned "$FPIN/maps/sockbl_svc" key $(sockbl_hex "$1" "$2") \
		value $(sockbl_hex "$3" "$4") 2>"$T/bpftool.err" ||
		fail "cannot add $1:$2 -> $3:$4 to sockbl_svc: $(cat "$T/bpftool.err")"
}

# fx_attach_op attach|detach CGPATH
fx_attach_op() {
	local t
	for t in connect4:sockbl_connect4 getpeername4:sockbl_peer4 connect6:sockbl_connect6 \
		getpeername6:sockbl_peer6; do
		# shellcheck disable=SC2046
		"$BPFTOOL" cgroup "$1" "$2" "${t%%:*}" pinned "$FPIN/${t#*:}" $([ "$1" = attach ] && echo multi) \
			2>"$T/bpftool.err" || fail "bpftool cgroup $1 $2 ${t%%:*}: $(cat "$T/bpftool.err")"
	done
}
fx_attach() { fx_attach_op attach "$1"; }
fx_detach() { fx_attach_op detach "$1"; }

fx_stat() {
	"$BPFTOOL" -j map lookup pinned "$FPIN/maps/sockbl_stats" key "$1" 0 0 0 2>"$T/bpftool.err" |
		"$PY" -c '
import json, sys
o = json.load(sys.stdin)
v = o.get("formatted", o)["value"]
# Without BTF, bpftool prints the value as hex bytes, little-endian here.
print(v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little"))' ||
		fail "cannot read sockbl_stats[$1]: $(cat "$T/bpftool.err")"
}

# bpftool lists a cgroup's programs in the order they run; it spells the
# attach type as libbpf does, or, in older versions, as its command line.
first_connect4() {
	"$BPFTOOL" -j cgroup show "$1" 2>"$T/bpftool.err" | "$PY" -c '
import json, sys
names = [p["name"] for p in json.load(sys.stdin)
         if p.get("attach_type") in ("cgroup_inet4_connect", "connect4")]
print(names[0] if names else "")'
}

served() { grep -c '"GET ' "$T/http-$1.err"; }

rule_pkts() { # NSPATH TABLE CHAIN N
	nsenter --net="$1" "$IPTABLES" -t "$2" -L "$3" -n -v -x --line-numbers |
		awk -v n="$4" '$1 == n { print $2 }'
}

cat >"$T/peer.py" <<'PY'
import socket, sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
peer = ("[%s]:%d" if ":" in sys.argv[1] else "%s:%d") % s.getpeername()[:2]
s.sendall(b"GET /f0.bin HTTP/1.0\r\nHost: x\r\n\r\n")
n = 0
while chunk := s.recv(1 << 16):
    n += len(chunk)
print(peer, n)
PY

peer_tool() { # CGSUB HOST PORT
	run_in "$1" "$PY" "$T/peer.py" "$2" "$3" 2>"$T/peer.err" ||
		fail "peer.py $2 $3 in $1: $(cat "$T/peer.err")"
}
