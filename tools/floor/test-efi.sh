#!/bin/sh
# tools/floor/test-efi.sh - end-to-end tests of the UEFI loader under OVMF.
#
# Layer: tools (tests). Needs: make efi floors (run from the repo root).
#   1. the probe kernel (tools/floor/uefi-probe.c) checks the boot_info it
#      is handed: QEMU must exit 1 (= status 0 via isa-debug-exit) and the
#      command line must arrive from fw_cfg;
#   2. broken kernel.elf files (truncated, wrong machine, bad magic,
#      program headers out of the file, entry outside the code, segment on
#      MMIO, empty, missing) must each give their one-line loader error and
#      a power-off (opt/quire/loader-error=poweroff), never a hang.
# Prints TAP-like ok/not ok lines; exits 1 if any failed.
set -u
B=${BUILD:-build}/x86_64
OUT=$B/efi-test
LOADER=$B/efi/BOOTX64.EFI
PROBE=$B/floor/uefi-probe.elf
T=${EFI_TEST_TIMEOUT:-90}
fail=0
mkdir -p "$OUT"
export MTOOLS_SKIP_CHECK=1

mkesp() {	# mkesp IMG KERNEL-or-empty
	rm -f "$1"
	mkfs.fat -C "$1" 4096 >/dev/null && mmd -i "$1" ::/EFI ::/EFI/BOOT &&
	mcopy -i "$1" "$LOADER" ::/EFI/BOOT/BOOTX64.EFI &&
	{ [ -z "$2" ] || mcopy -i "$1" "$2" ::/kernel.elf; }
}

boot() {	# boot IMG LOG: runs OVMF on IMG, returns QEMU's status
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$OUT/vars.fd"
	timeout "$T" qemu-system-x86_64 -accel tcg -M q35 -m 256 -nodefaults \
		-display none -serial stdio -monitor none -no-reboot -boot menu=off \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
		-drive if=pflash,format=raw,unit=1,file="$OUT/vars.fd" \
		-drive if=none,id=esp,format=raw,file="$1" \
		-device virtio-blk-pci,drive=esp,bootindex=0 \
		-fw_cfg name=opt/quire/cmdline,string="exec=echo hello" \
		-fw_cfg name=opt/quire/loader-error,string=poweroff \
		</dev/null >"$2" 2>&1
}

check() {	# check NAME WANT-STATUS WANT-TEXT IMG
	boot "$4" "$OUT/$1.log"
	st=$?
	if [ "$st" = "$2" ] && grep -aqF "$3" "$OUT/$1.log"; then
		echo "ok - $1"
	else
		echo "not ok - $1 (status $st, want $2 and \"$3\"; log $OUT/$1.log)"
		fail=1
	fi
}

python3 - "$PROBE" "$OUT" <<'PY' || exit 1
import struct, sys
src = open(sys.argv[1], 'rb').read()
out = sys.argv[2]
def put(name, data):
    open('%s/%s.elf' % (out, name), 'wb').write(data)
def patch(off, fmt, val):
    b = bytearray(src); b[off:off + struct.calcsize(fmt)] = struct.pack(fmt, val)
    return bytes(b)
phoff = struct.unpack('<Q', src[32:40])[0]
put('truncated', src[:5000])
put('machine', patch(18, '<H', 183))
put('magic', patch(0, 'B', 0))
put('phoff', patch(32, '<Q', len(src) - 10))
put('entry', patch(24, '<Q', 0x5000000))
put('mmio', patch(phoff + 24, '<Q', 0xb0000000))
put('empty', b'')
PY

mkesp "$OUT/probe.img" "$PROBE" && \
	check probe_sees_boot_info 1 'probe: rsdp' "$OUT/probe.img"
grep -aqF 'cmdline "exec=echo hello"' "$OUT/probe_sees_boot_info.log" &&
	echo "ok - cmdline_from_fw_cfg" ||
	{ echo "not ok - cmdline_from_fw_cfg"; fail=1; }
grep -aqF 'probe: all checks passed' "$OUT/probe_sees_boot_info.log" &&
	echo "ok - boot_info_invariants" ||
	{ echo "not ok - boot_info_invariants"; fail=1; }

while read -r name text; do
	mkesp "$OUT/$name.img" "$OUT/$name.elf" &&
		check "bad_kernel_$name" 0 "$text" "$OUT/$name.img"
done <<'EOF2'
truncated lie outside the 5000-byte file
machine is for machine 183, not x86_64
magic is not an ELF file
phoff program headers (offset
entry is not inside an executable PT_LOAD
mmio overlaps firmware memory
empty kernel.elf is 0 bytes
EOF2
mkesp "$OUT/missing.img" "" && \
	check bad_kernel_missing 0 'cannot open \kernel.elf' "$OUT/missing.img"
exit $fail
