#!/bin/sh
# Installs the Debian packages that building (and, with "test", testing)
# need, only those missing.
set -eu
pkgs="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev libcmocka-dev
pkg-config make gcc iproute2 curl python3 socat coreutils libclang-rt-dev util-linux"
# The Debian tooling: make deb, and test_deb, which builds the packages.
debtools="debhelper dpkg-dev fakeroot lintian"
# Real, unmodified programs the integration tests put in lwfp chains, and
# the Prometheus client, whose parser reads `lwfpctl stats --prometheus`;
# iptables and nftables for the nat rules test_doctor shows doctor.
[ "${1:-}" = test ] && pkgs="$pkgs openssl mitmproxy redsocks microsocks bind9-dnsutils dnsmasq-base valgrind python3-yaml
python3-prometheus-client iptables nftables $debtools"
# make test-kernel-6.1: the same programs (the guest runs the suite on this
# host's file system), and the emulator and static busybox its boot needs.
[ "${1:-}" = kernel ] && pkgs="$pkgs openssl mitmproxy redsocks microsocks bind9-dnsutils dnsmasq-base
python3-prometheus-client iptables nftables
qemu-system-x86 busybox-static kmod"
# The baselines the benchmarks compare against, and the profiler.
[ "${1:-}" = bench ] && pkgs="$pkgs haproxy iptables socat linux-perf"
[ "${1:-}" = deb ] && pkgs="$pkgs $debtools"
# "check": only say what is missing (plain make's first step); no apt, and
# nothing to say where dpkg is not the package manager.
# Only what compiling needs is checked: tests and the demo install the rest.
if [ "${1:-}" = check ]; then
	command -v dpkg-query >/dev/null || exit 0
	pkgs="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev pkg-config gcc"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "${1:-}" = check ]; then
	echo "make: missing Debian packages:$missing" >&2
	echo "make: run 'make deps' as root to install them (make demo and make test do it themselves)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
