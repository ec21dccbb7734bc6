#!/bin/sh
# tests/fake-qemu/launcher.sh - run tools/quire against the fake QEMU.
#
# Layer: tests (host side). Used by: tests/run's launcher.* jobs.
# Usage: tests/fake-qemu/launcher.sh NAME FAKE_QEMU-MODE yes|no RUNS ARGS...
# (from the repo root). In a fresh build/launcher-test/NAME: empty kernel
# and ESP files, a verdict cache, a /dev/kvm stand-in (yes: present; no:
# absent). Runs `tools/quire --no-disk ARGS` RUNS times, printing
# "quire-status I: S" after each, then the fake's log of QEMU starts
# ("fake-qemu: accel=A cmdline=C") and the cached verdict ("verdict: ...").
set -u
name=$1 mode=$2 kvm=$3 runs=$4; shift 4
d=build/launcher-test/$name
rm -rf "$d" && mkdir -p "$d" || exit 2
: > "$d/kernel.elf"; : > "$d/esp.img"; : > "$d/kvm"
unset QEMU
export PATH="$PWD/tests/fake-qemu:$PATH" QUIRE_KERNEL="$d/kernel.elf" QUIRE_ESP="$d/esp.img" \
    QUIRE_PROBE_CACHE="$d/verdict" FAKE_QEMU_LOG="$d/log" FAKE_QEMU="$mode"
if [ "$kvm" = yes ]; then export QUIRE_KVM_DEV="$d/kvm"; else export QUIRE_KVM_DEV="$d/absent"; fi
i=1
while [ "$i" -le "$runs" ]; do
    tools/quire --no-disk "$@" </dev/null
    echo "quire-status $i: $?"
    i=$((i + 1))
done
sed 's/^/fake-qemu: /' "$d/log"
[ -f "$d/verdict" ] && cut -f2- "$d/verdict" | sed 's/^/verdict: /'
exit 0
