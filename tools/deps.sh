#!/bin/sh
# tools/deps.sh - check or install what building, running and testing Quire
# needs, all from Debian packages.
#   tools/deps.sh check     list what is missing; exit 1 if anything is
#   tools/deps.sh install   install what is missing (as root via apt-get;
#                           otherwise print the exact command and exit 1)
#   tools/deps.sh check-bench | install-bench
#                           the same for what only `make bench` needs (the
#                           Linux baseline guest of tools/linux-bench/run),
#                           so that `make deps` stays small
#   tools/deps.sh check-fuzz | install-fuzz
#                           the same for `make fuzz` (FZ, issue 11: clang's
#                           libFuzzer and sanitizer runtimes), not in make deps
set -eu

PACKAGES="gcc make binutils libc6-dev python3 qemu-system-x86 qemu-utils ovmf \
gnu-efi mtools dosfstools linux-libc-dev libfuse3-dev fuse3 pkg-config \
xz-utils ca-certificates clang-format python3-matplotlib rsync git fio \
libslirp-dev"
# libslirp-dev: quire-host's network link (arch/host/slirp_net.c, docs/net.md).
# lwIP itself is a source package, fetched into build/lwip by tools/fetch-lwip.
# rsync, git, fio: tests/qlfs-fuse.sh runs them on a qlfs-fuse mount.
# python3-matplotlib: tools/wbplot (plots of the writeback path from a trace),
# which tests/run's wbplot.* jobs and make bench's writeback section run.
# tools/linux-bench/run: fio and busybox go into the Linux guest's initramfs.
BENCH_PACKAGES="fio busybox-static"
# make fuzz (docs/qlfs-fuzz.md): clang, and libclang-rt-14-dev for
# libFuzzer (libclang_rt.fuzzer_no_main) and the sanitizer runtimes.
FUZZ_PACKAGES="clang libclang-rt-14-dev"

case "${1:-check}" in
check-bench|install-bench) PACKAGES=$BENCH_PACKAGES ;;
check-fuzz|install-fuzz) PACKAGES=$FUZZ_PACKAGES ;;
esac

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

case "${1:-check}" in
check|check-bench|check-fuzz)
	if [ -n "$missing" ]; then
		echo "missing packages:$missing"
		exit 1
	fi
	;;
install|install-bench|install-fuzz)
	[ -z "$missing" ] && exit 0
	echo "deps: installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: not root; run this as root (or with sudo), then try again:"
		echo "  apt-get update && apt-get install -y --no-install-recommends$missing"
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
	;;
*)
	echo "usage: $0 check|install|check-bench|install-bench|check-fuzz|install-fuzz" >&2
	exit 2
	;;
esac
