#!/bin/sh
# arch/x86_64/tools/boot-check.sh - boot build/x86_64/quire.elf directly
# (PVH) in several machine shapes and check the banner, the exit status and
# the panic report. Usage: arch/x86_64/tools/boot-check.sh [quire.elf]
# Prints one "ok"/"not ok" line per check and exits non-zero on a failure.
ELF=${1:-build/x86_64/quire.elf}
QEMU="timeout 60 qemu-system-x86_64 -M q35 -accel tcg -kernel $ELF -nographic
      -serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04"
NUMA2="-smp 4 -m 1G -object memory-backend-ram,id=m0,size=512M
       -object memory-backend-ram,id=m1,size=512M
       -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1
       -numa dist,src=0,dst=1,val=20"
fails=0
out=$(mktemp)
trap 'rm -f $out' EXIT

# check NAME EXPECTED_STATUS PATTERN QEMU-ARGS... (the last is the -append line)
check() {
	name=$1 want=$2 pattern=$3
	shift 3
	$QEMU "$@" > "$out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -q -- "$pattern" "$out"; then
		echo "ok $name"
	else
		echo "not ok $name (status $got, want $want; pattern '$pattern')"
		tail -20 "$out" | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
}

check smp1_banner 1 "Quire starting: 1 CPU, 1 NUMA node" -smp 1 -m 512M -append "exec=echo hello"
check smp1_exec_echo 1 "^hello" -smp 1 -m 512M -append "exec=echo hello"
check smp4_banner 1 "Quire starting: 4 CPUs, 1 NUMA node" -smp 4 -m 512M -append "exec=echo hello"
check numa2_banner 1 "Quire starting: 4 CPUs, 2 NUMA nodes" $NUMA2 -append "exec=echo hello"
check numa2_distances 1 "node 1: 512 MiB, distances 20 10" $NUMA2 -append "exec=echo hello"
check cpu_max_1g_pages 1 "1 GiB pages" -cpu max -m 2G -append "exec=echo hello"
check above_4g_ram 1 "x86_boot" -m 5G -append "exec=test x86_boot"
check failed_command 3 "exec finished: a command failed" -append "exec=crash bogus"
check x86_boot_suite 1 "^ok 1 x86_boot" $NUMA2 -append "exec=test x86_boot"
for kind in null wx nx bug divzero stack; do
	check crash_$kind 201 "---\[ end Kernel panic" -append "exec=crash $kind"
done
check crash_null_names_function 201 "RIP: crash_null_deref+0x" -append "exec=crash null"
check crash_wx_is_write_fault 201 "protection violation, write" -append "exec=crash wx"
check crash_nx_is_fetch_fault 201 "instruction fetch" -append "exec=crash nx"
check crash_stack_is_double_fault 201 "double fault" -append "exec=crash stack"

# UEFI: OVMF, the loader and the kernel on an ESP image (make esp); the
# command line comes through fw_cfg.
ESP=$(dirname "$ELF")/esp.img
OVMF=/usr/share/ovmf/OVMF.fd
if [ -f "$ESP" ] && [ -f "$OVMF" ]; then
	QEMU="timeout 120 qemu-system-x86_64 -M q35 -accel tcg -bios $OVMF
	      -drive file=$ESP,format=raw,if=ide,snapshot=on -nographic
	      -serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04"
	check uefi_x86_boot_suite 1 "^ok 1 x86_boot" -smp 2 -m 512M \
		-fw_cfg name=opt/quire/cmdline,string="exec=test x86_boot"
	check uefi_crash_null 201 "RIP: crash_null_deref+0x" -m 512M \
		-fw_cfg name=opt/quire/cmdline,string="exec=crash null"
else
	echo "# no $ESP or $OVMF: UEFI checks not run (make esp)"
fi
echo "$fails failed"
[ "$fails" = 0 ]
