#!/bin/bash
# Runs the integration suite inside a qemu guest (KVM when it can, else
# emulated) booted with Debian bookworm's stock 6.1 kernel, the floor
# docs/kernel.md names, so that the floor rests on a run and not only on the
# probes.
#
#   scripts/test-kernel.sh BUILD [TEST...]      (make test-kernel-6.1)
#
# BUILD is the build directory whose bin/ the suite uses (build or build/san);
# TESTs, if given, are passed to tests/integration/run.sh. LWFP_KERNEL_RUN=CMD
# runs CMD (in the tree, as root) in the guest instead of the suite, to debug;
# LWFP_TEST_TIMEOUT is passed on to run.sh.
#
# How: the guest has no disk. Its root file system is this host's own /,
# exported read-only over virtio-9p, so it runs the very binaries, Python and
# test programs the host suite runs; BUILD is exported a second time,
# writable, and is where the guest leaves its log and exit status. Debian's
# kernel has 9p only as modules, so a tiny initramfs (static busybox and the
# few .ko files from the kernel package) mounts both shares and switch_roots
# to this script's guest half (--guest), which mounts tmpfs over the
# directories the suite writes to (/tmp, /run, /root, ...), bpffs and
# cgroup2, runs the suite, and powers the guest off.
#
# Everything stays under BUILD/kernel-6.1: the downloaded kernel package
# (kept, so a second run boots at once), the initramfs, the console and suite
# logs. qemu is killed on exit, on a signal and after LWFP_KERNEL_TIMEOUT
# seconds (default 3600 with KVM, 10800 emulated).
set -eu

KSERIES=6.1
KMETA=linux-image-amd64 # bookworm's metapackage: depends on its 6.1 image
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

die() {
	echo "test-kernel: $*" >&2
	exit 1
}

# ---- the guest half: PID 1 after switch_root ---------------------------------

# $1 is the work directory (BUILD/kernel-6.1, writable), $2 the build, the
# rest are test names. The root file system is read-only; everything the
# suite or its programs write to gets a tmpfs.
guest() {
	local work=$1 build=$2 rc d
	shift 2
	# PID 1 exiting panics the guest, which ends qemu (-no-reboot): say why.
	trap 'echo "test-kernel (guest): failed at line $LINENO" >/dev/console' ERR
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/root LANG=C.UTF-8 TERM=dumb
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	# What udev would add to a bare devtmpfs; bash's <(...) needs /dev/fd.
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	# The tree and the build may live under one of those (a CI clone in
	# /tmp): keep them where they are, through a bind made before.
	for d in "$repo" "$build"; do
		mkdir -p "/dev/lwfp-keep$d"
		mount --rbind "$d" "/dev/lwfp-keep$d"
	done
	for d in /tmp /run /root /var/tmp /var/lib/misc /dev/shm; do
		[ ! -d "$d" ] || mount -t tmpfs tmpfs "$d"
	done
	for d in "$repo" "$build"; do
		[ -e "$d/." ] || { mkdir -p "$d" && mount --rbind "/dev/lwfp-keep$d" "$d"; }
	done
	chmod 1777 /tmp /var/tmp /dev/shm
	mount -t bpf bpf /sys/fs/bpf
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
	# The host's module tree is for the host's kernel (and may be absent):
	# point the kernel's module autoloading (veth, the ss diag modules, ...)
	# at the unpacked package instead, through modprobe's -d.
	cat >/run/lwfp-modprobe <<-EOF
		#!/bin/sh
		exec /sbin/modprobe -d "$work/root" "\$@"
	EOF
	chmod 755 /run/lwfp-modprobe
	echo /run/lwfp-modprobe >/proc/sys/kernel/modprobe
	ip link set lo up
	cd "$repo"
	{
		echo "kernel: $(uname -srv)"
		# The helper lists docs/kernel.md's rows are checked against.
		bpftool feature probe kernel >"$work/features.txt" 2>&1 ||
			echo "bpftool feature probe failed (see features.txt)"
		set +e
		# What the host half asked for: the per-test timeout,
		# test_containers' fetches, and LWFP_KERNEL_RUN, a command run
		# instead of the suite.
		# shellcheck source=/dev/null
		. "$work/guest.env"
		export LWFP_TEST_TIMEOUT LWFP_CONTAINER_FETCHES
		if [ -n "$LWFP_KERNEL_RUN" ]; then
			LWFP_BUILD=$build bash -c "$LWFP_KERNEL_RUN"
		else
			LWFP_BUILD=$build tests/integration/run.sh "$@"
		fi
		rc=$?
		set -e
		echo "$rc" >"$work/suite.rc"
	} 2>&1 | tee "$work/suite.log" >/dev/console
	sync
	# Power off at once: nothing of the guest needs an orderly shutdown.
	echo o >/proc/sysrq-trigger
	sleep 30
}

if [ "${1:-}" = --guest ]; then
	shift
	guest "$@"
	exit 0
fi

# ---- the host half ------------------------------------------------------------

[ "$#" -ge 1 ] || die "usage: $0 BUILD [TEST...]"
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory $1 (run make first)"
shift
[ -x "$build/bin/lwfpctl" ] || die "$build/bin/lwfpctl is missing (run make first)"
[ "$(id -u)" -eq 0 ] || die "needs root (to install packages and use /dev/kvm)"

"$here/deps.sh" kernel

work=$build/kernel-$KSERIES
mkdir -p "$work"
rm -f "$work/suite.rc" "$work/suite.log" "$work/console.log" "$work/features.txt" "$work/guest.env"

# The image package the metapackage names, from the host's apt sources if
# they offer bookworm's 6.1, otherwise from a private bookworm source list
# under $work/apt (the host's apt configuration is left alone).
apt_opts=()
kpkg_from() {
	apt-cache "${apt_opts[@]}" depends "$KMETA" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}
kpkg=$(kpkg_from)
case $kpkg in
linux-image-$KSERIES.*) ;;
*)
	mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
	cat >"$work/apt/sources.list" <<-EOF
		deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
		deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
	EOF
	apt_opts=(-o "Dir::Etc::sourcelist=$work/apt/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
		-o Dir::State::status=/dev/null)
	apt-get "${apt_opts[@]}" update -qq >/dev/null || die "apt-get update of bookworm failed"
	kpkg=$(kpkg_from)
	case $kpkg in
	linux-image-$KSERIES.*) ;;
	*) die "bookworm's $KMETA does not name a $KSERIES image (got '${kpkg:-nothing}')" ;;
	esac
	;;
esac
kver=${kpkg#linux-image-}

# Fetched and unpacked once per image version; dpkg-deb -x, not an install:
# the host's /boot and module tree are not touched.
if [ ! -f "$work/root/boot/vmlinuz-$kver" ]; then
	rm -rf "$work/root" "$work"/linux-image-*.deb
	echo "test-kernel: fetching $kpkg" >&2
	(cd "$work" && apt-get "${apt_opts[@]}" download -qq "$kpkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
	debs=("$work"/linux-image-*.deb)
	deb=${debs[0]}
	[ -f "$deb" ] || die "apt-get download $kpkg failed"
	dpkg-deb -x "$deb" "$work/root.tmp"
	mv "$work/root.tmp" "$work/root"
fi
moddir=$work/root/lib/modules/$kver
[ -d "$moddir" ] || moddir=$work/root/usr/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || depmod -b "$work/root" "$kver" || die "depmod for $kver failed"

# The initramfs: static busybox, the modules that 9p over virtio needs (in
# dependency order, as modprobe would load them), and an /init that mounts
# the two shares and hands over to the guest half of this script.
rm -rf "$work/initramfs"
mkdir -p "$work/initramfs/bin" "$work/initramfs/modules" "$work/initramfs/newroot"
cp /bin/busybox "$work/initramfs/bin/busybox"
mods=$(modprobe -d "$work/root" -S "$kver" --show-depends -a virtio_pci 9pnet_virtio 9p |
	awk '$1=="insmod"{print $2}' | awk '!seen[$0]++')
[ -n "$mods" ] || die "cannot resolve the 9p modules of $kver"
: >"$work/initramfs/modules/order"
for m in $mods; do
	cp "$m" "$work/initramfs/modules/"
	basename "$m" >>"$work/initramfs/modules/order"
done
cat >"$work/initramfs/init" <<EOF
#!/bin/busybox sh
# Generated by scripts/test-kernel.sh: mount the host's / (read-only) and the
# build directory (writable) over 9p, then run the guest half of that script.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc 2>/dev/null || { mkdir /proc && mount -t proc proc /proc; }
for m in \$(cat /modules/order); do insmod /modules/\$m || echo "init: insmod \$m failed"; done
opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o ro,cache=loose,\$opts lwfproot /newroot || { echo "init: cannot mount lwfproot"; poweroff -f; }
mount -t 9p -o cache=mmap,\$opts lwfpbuild "/newroot$build" || { echo "init: cannot mount lwfpbuild"; poweroff -f; }
umount /proc
exec switch_root /newroot /bin/bash "$repo/scripts/test-kernel.sh" --guest "$work" "$build" $*
EOF
chmod 755 "$work/initramfs/init"
(cd "$work/initramfs" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.img")

# KVM if it can run a stock kernel, else qemu's own emulation (TCG, many
# times slower). A /dev/kvm served by kvm_pvm (nested "PVM", as on some cloud
# sandboxes) runs only guest kernels built for PVM: Debian's 6.1 hangs at
# its first instruction there, so it counts as no KVM. LWFP_KERNEL_ACCEL=kvm
# or tcg overrides the choice.
accel=${LWFP_KERNEL_ACCEL:-}
if [ -z "$accel" ]; then
	if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then accel=kvm; else accel=tcg; fi
fi
case $accel in
kvm) qaccel=(-accel kvm -cpu host) ;;
tcg)
	qaccel=(-accel "tcg,thread=multi" -cpu max)
	echo "test-kernel: no usable KVM (/dev/kvm missing or PVM-only): emulating with TCG, which is slow" >&2
	;;
*) die "LWFP_KERNEL_ACCEL must be kvm or tcg" ;;
esac

# Emulation is slow: give each test more time than run.sh's 120 s default,
# and the whole guest more than an hour. And fewer parallel fetches per
# container in test_containers: 3 x 100 at once through one proxy took the
# emulated machine past the timeouts of the proxy's connects and of curl
# (16 to 31 of 100 failed).
timeout_default=120 limit=${LWFP_KERNEL_TIMEOUT:-3600} fetches_default=100
[ "$accel" = kvm ] || timeout_default=600 limit=${LWFP_KERNEL_TIMEOUT:-10800} fetches_default=20
printf 'LWFP_TEST_TIMEOUT=%q\nLWFP_KERNEL_RUN=%q\nLWFP_CONTAINER_FETCHES=%q\n' \
	"${LWFP_TEST_TIMEOUT:-$timeout_default}" "${LWFP_KERNEL_RUN:-}" \
	"${LWFP_CONTAINER_FETCHES:-$fetches_default}" >"$work/guest.env"

qpid=
stop_qemu() {
	[ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	qpid=
	return 0
}
trap 'stop_qemu' EXIT
trap 'stop_qemu; exit 130' INT TERM

echo "test-kernel: booting $kver ($accel) with 2 CPUs and 4 GiB; the suite runs inside (log: $work/suite.log)" >&2
start=$(date +%s)
# -no-reboot: a guest that panics (or reboots) ends qemu instead of looping.
qemu-system-x86_64 "${qaccel[@]}" -smp 2 -m 4096 -nodefaults -no-user-config \
	-display none -serial "file:$work/console.log" -no-reboot \
	-kernel "$work/root/boot/vmlinuz-$kver" -initrd "$work/initrd.img" \
	-append "console=ttyS0 panic=-1 quiet" \
	-virtfs local,path=/,mount_tag=lwfproot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$build,mount_tag=lwfpbuild,security_model=none,multidevs=remap" &
qpid=$!

while kill -0 "$qpid" 2>/dev/null; do
	if [ $(($(date +%s) - start)) -ge "$limit" ]; then
		echo "test-kernel: the guest ran for $limit s; killing it" >&2
		stop_qemu
		break
	fi
	sleep 1
done
[ -z "$qpid" ] || wait "$qpid" 2>/dev/null || true
qpid=
echo "test-kernel: guest ran $(($(date +%s) - start)) s" >&2

if [ ! -s "$work/suite.rc" ]; then
	echo "test-kernel: the guest did not finish the suite; the end of its console:" >&2
	tail -n 40 "$work/console.log" >&2
	[ ! -s "$work/suite.log" ] || { echo "--- suite.log so far:" >&2; cat "$work/suite.log" >&2; }
	exit 1
fi
cat "$work/suite.log"
exit "$(cat "$work/suite.rc")"
