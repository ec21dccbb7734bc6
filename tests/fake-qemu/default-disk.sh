#!/bin/sh
# tests/fake-qemu/default-disk.sh - make run's disk: tools/quire formats the
# default disk with mkfs.qlfs when it holds no file system, and leaves any
# other image alone.
#
# Layer: tests (host side). Used by: tests/run's launcher.default-disk job.
# Usage: tests/fake-qemu/default-disk.sh (from the repo root; needs
# build/host/plain/{mkfs,fsck}.qlfs). In a fresh build/launcher-test/
# default-disk, with the fake QEMU first on PATH and QUIRE_DEFAULT_DISK
# pointing there (not at build/disk.img), each step prints "== NAME", its
# output and "rc-NAME=STATUS" (the qlfs-tools steps' format).
set -u
D=build/launcher-test/default-disk
IMG=$D/disk.img FSCK=build/host/plain/fsck.qlfs
rm -rf "$D" && mkdir -p "$D" || exit 2
: > "$D/kernel.elf"
unset QEMU QUIRE_MKFS
export PATH="$PWD/tests/fake-qemu:$PATH" QUIRE_KERNEL="$D/kernel.elf" \
    QUIRE_PROBE_CACHE="$D/verdict" FAKE_QEMU_LOG="$D/log" QUIRE_KVM_DEV="$D/absent" \
    QUIRE_DEFAULT_DISK="$IMG"
q() { tools/quire --boot direct --accel tcg --exec "poweroff 0" "$@" </dev/null; }
lines() { q "$@" 2>&1 | grep -c 'formatted\|created'; } # how many lines about the disk
step() { name=$1; shift; echo "== $name"; ( "$@" ) 2>&1; echo "rc-$name=$?"; }
zero() { rm -f "$1" && truncate -s 64M "$1"; }
poke() { printf "$2" | dd of="$IMG" bs=1 seek="$1" conv=notrunc status=none; }

step created_and_formatted q
step fsck_clean "$FSCK" -n "$IMG"
cp "$IMG" "$D/formatted.img"
step second_run_says_nothing lines
step qlfs_left_as_it_is cmp "$IMG" "$D/formatted.img"
zero "$IMG"
step zeroed_image_formatted q
step zeroed_fsck_clean "$FSCK" -n "$IMG"
zero "$IMG"; poke 5 'hello'
step bytes_without_signature_formatted q
zero "$IMG"; poke 1080 '\123\357'; cp "$IMG" "$D/ext4.img"
step ext4_image_says_nothing lines
step ext4_image_left_alone cmp "$IMG" "$D/ext4.img"
zero "$IMG"; poke 510 '\125\252'; cp "$IMG" "$D/mbr.img"
step partitioned_image_says_nothing lines
step partitioned_image_left_alone cmp "$IMG" "$D/mbr.img"
zero "$D/other.img"; cp "$D/other.img" "$D/zero.img"
step other_disk_never_formatted lines --disk "$D/other.img"
step other_disk_still_zero cmp "$D/other.img" "$D/zero.img"
zero "$IMG"
step no_mkfs_left_unformatted env QUIRE_MKFS="$D/no-mkfs" tools/quire --boot direct \
    --accel tcg --exec "poweroff 0"
step no_mkfs_image_still_zero cmp "$IMG" "$D/zero.img"
exit 0
