#!/bin/sh
# tools/linux-bench/linux-bench.sh - the blkbench table, measured by Linux.
#
# Boots Debian's Linux kernel (linux-image-amd64, fetched with apt-get
# download and unpacked into build/linux-bench/) in QEMU with an initramfs of
# busybox-static and fio (plus fio's shared libraries, found by ldd), on a
# virtio-blk disk, and runs fio with O_DIRECT for the same rows as Quire's
# `blkbench`, printing the same line format and summary table:
#
#   op    pat     bs  qd      MB/s      IOPS
#
# Usage:
#   tools/linux-bench/linux-bench.sh --disk FILE [--write] [--ops read,write]
#       [--pattern seq,rand] [--bs 4k,64k,1m] [--qd 1,32] [--time SEC]
#       [--size SIZE] [--smp N] [--mem SIZE] [--cache writeback|none|unsafe]
#       [--queues N] [--accel tcg|kvm]
#
# Writes destroy the disk's data: they need --write (as blkbench). Run Quire
# with the same --smp, disk file, cache mode and queues to compare.
# Needs the Debian packages fio and busybox-static on the host
# (apt-get install fio busybox-static) and network access to the Debian
# archive once (apt-get download). MB/s is 10^6 bytes per second, as
# blkbench; a write run ends with an fsync that counts (fio end_fsync=1).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/linux-bench
DISK="" WRITE=0 OPS="" PATS="seq,rand" BSS="4k,64k,1m" QDS="1,32" TIME=1
SIZE="" SMP=2 MEM=1G CACHE=writeback QUEUES="" ACCEL=tcg

die() { echo "linux-bench: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--disk) DISK=$2; shift ;;
	--write) WRITE=1 ;;
	--ops) OPS=$2; shift ;;
	--pattern) PATS=$2; shift ;;
	--bs) BSS=$2; shift ;;
	--qd) QDS=$2; shift ;;
	--time) TIME=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--smp) SMP=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--cache) CACHE=$2; shift ;;
	--queues) QUEUES=$2; shift ;;
	--accel) ACCEL=$2; shift ;;
	-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done

[ -n "$DISK" ] || die "--disk FILE is required"
[ -f "$DISK" ] || [ -b "$DISK" ] || die "$DISK: no such file"
[ -n "$OPS" ] || { [ $WRITE = 1 ] && OPS=read,write || OPS=read; }
case ",$OPS," in *,write,*) [ $WRITE = 1 ] || die "writes destroy the data on $DISK: add --write" ;; esac
for x in $(echo "$OPS" | tr , ' '); do case $x in read|write) ;; *) die "--ops: '$x'" ;; esac; done
for x in $(echo "$PATS" | tr , ' '); do case $x in seq|rand) ;; *) die "--pattern: '$x'" ;; esac; done
case "$TIME" in ''|*[!0-9]*) die "--time: whole seconds" ;; esac
case "$CACHE" in writeback|none|unsafe|directsync|writethrough) ;; *) die "--cache: '$CACHE'" ;; esac
for t in fio busybox qemu-system-x86_64 apt-get dpkg-deb gzip; do
	command -v $t >/dev/null || die "$t not found (apt-get install fio busybox-static qemu-system-x86)"
done

# --- the kernel: Debian's linux-image-amd64, unpacked once ---
mkdir -p "$OUT"
KVER=$(ls "$OUT"/kernel/boot/vmlinuz-* 2>/dev/null | head -1 | sed 's/.*vmlinuz-//')
if [ -z "$KVER" ]; then
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
	[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
	(cd "$OUT" && apt-get download "$pkg") || die "apt-get download $pkg failed"
	dpkg-deb -x "$OUT"/"$pkg"_*.deb "$OUT/kernel"
	KVER=$(ls "$OUT"/kernel/boot/vmlinuz-* | head -1 | sed 's/.*vmlinuz-//')
fi
MODDIR=$OUT/kernel/lib/modules/$KVER/kernel

# --- the initramfs: busybox, fio and its libraries, virtio modules ---
IR=$OUT/initramfs
rm -rf "$IR"
mkdir -p "$IR/bin" "$IR/lib/modules" "$IR/proc" "$IR/sys" "$IR/dev" "$IR/tmp"
cp "$(command -v busybox)" "$IR/bin/busybox"
for a in sh mount insmod awk sed cat echo sleep poweroff ls tr grep; do
	ln -sf busybox "$IR/bin/$a"
done
cp "$(command -v fio)" "$IR/bin/fio"
ldd "$(command -v fio)" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
	mkdir -p "$IR$(dirname "$lib")"
	cp -L "$lib" "$IR$lib"
done
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"
for m in $MODS; do
	f=$(find "$MODDIR" -name "$m.ko*" | head -1)
	[ -n "$f" ] || die "module $m not in $KVER"
	cp "$f" "$IR/lib/modules/"
done

cat > "$IR/init" <<EOF
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $MODS; do insmod /lib/modules/\$m.ko || echo "linux-bench: insmod \$m failed"; done
i=0
while [ ! -b /dev/vda ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
[ -b /dev/vda ] || { echo "linux-bench: no /dev/vda"; poweroff -f; }
SIZE="$SIZE"
[ -n "\$SIZE" ] || SIZE=\$(awk '{ s = \$1 * 512; m = 256 * 1048576; print (s < m ? s : m) }' /sys/block/vda/size)
echo "linux-bench $KVER vda: region \$((SIZE / 1048576)) MiB, $TIME s per run"
echo "op    pat     bs  qd      MB/s      IOPS"
for op in $(echo "$OPS" | tr , ' '); do
 for pat in $(echo "$PATS" | tr , ' '); do
  for bs in $(echo "$BSS" | tr , ' '); do
   for qd in $(echo "$QDS" | tr , ' '); do
	rw=\$op; [ \$pat = rand ] && rw=rand\$op
	fsync=0; [ \$op = write ] && fsync=1
	fio --name=b --filename=/dev/vda --direct=1 --ioengine=libaio --rw=\$rw \\
	    --bs=\$bs --iodepth=\$qd --runtime=$TIME --time_based --size=\$SIZE \\
	    --norandommap --randrepeat=0 --end_fsync=\$fsync \\
	    --output-format=terse --terse-version=3 > /tmp/out 2>/tmp/err ||
		{ echo "fio failed:"; cat /tmp/err; }
	awk -F';' -v op=\$op -v pat=\$pat -v bs=\$bs -v qd=\$qd '{
		bw = (op == "read") ? \$7 : \$48; iops = (op == "read") ? \$8 : \$49
		B = toupper(bs); sub(/B\$/, "", B)
		printf "%-5s %-4s %5s %3u %11.1f %9u\n", op, pat, B, qd, bw * 1024 / 1e6, iops
	}' /tmp/out
   done
  done
 done
done
echo "linux-bench: done"
poweroff -f
EOF
chmod +x "$IR/init"
(cd "$IR" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$OUT/initramfs.cpio.gz"

# --- boot ---
NQ=""
[ -n "$QUEUES" ] && NQ=",num-queues=$QUEUES"
LOG=$OUT/last-run.log
timeout 1800 qemu-system-x86_64 -M q35 -accel "$ACCEL" -smp "$SMP" -m "$MEM" \
	-kernel "$OUT/kernel/boot/vmlinuz-$KVER" -initrd "$OUT/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1" -nographic -no-reboot -monitor none \
	-drive "file=$DISK,if=none,id=d0,format=raw,cache=$CACHE" \
	-device "virtio-blk-pci,drive=d0$NQ" > "$LOG" 2>&1 || true
tr -d '\r' < "$LOG" | sed -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' | awk '
	/^linux-bench: done/ { done = 1 }
	/^linux-bench|^op    pat|^(read|write) / { print }
	/^(read|write) / { key = $1 " " $2 " " $3; if (!(key in seen)) { seen[key] = 1; rows[++n] = key }
			   mb[key, $4] = $5; if (!($4 in qs)) { qs[$4] = 1; qorder[++nq] = $4 } }
	/^fio failed|^linux-bench: no/ { print; bad = 1 }
	END {
		if (!done) { print "linux-bench: the run did not finish; see build/linux-bench/last-run.log"; exit 1 }
		printf "\nsummary: MB/s by queue depth\nop    pat     bs"
		for (q = 1; q <= nq; q++) printf "   qd=%-4s", qorder[q]
		printf "\n"
		for (r = 1; r <= n; r++) {
			split(rows[r], k, " ")
			printf "%-5s %-4s %5s", k[1], k[2], k[3]
			for (q = 1; q <= nq; q++) printf " %9s", mb[rows[r], qorder[q]]
			printf "\n"
		}
		exit bad
	}'
