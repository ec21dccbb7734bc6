#!/bin/sh
# tests/qlfs-fuse.sh VARIANT - qlfs-fuse with real tools (tests/run's
# qlfs-fuse-VARIANT.* jobs; docs/qlfs-tools.md).
#
# Each step prints "== NAME", its output, then "rc-NAME=STATUS"; tests/run
# checks every status and the line a step must print. Needs root (or a
# fusermount3 that lets this user mount) and /dev/fuse: without them the
# first step fails and says why, nothing is skipped.
#
# The steps: a mkfs'd image mounted in the background, a second mount
# refused; cp -a of a tree (symlinks, hard links, modes, times, a sparse
# and a random file, names with spaces), diff -r, tar out and in, rsync -a
# (a second run finds nothing to do), git init/add/commit/clone/fsck,
# fio --verify (random 4 KiB writes, crc32c checked on read back),
# renameat2 NOREPLACE and EXCHANGE, statfs; fusermount3 -u, then the lock
# (the checkpoint is written), fsck.qlfs -n clean; mounted again: every
# checksum matches; -o ro refuses writes; -f ends cleanly on SIGTERM; a
# zeroed image, bad options and --help/--version.
set -u
V=${1:-plain}
D=build/qlfs-fuse-test/$V
B=build/host/$V
FUSE=$B/qlfs-fuse MKFS=$B/mkfs.qlfs FSCK=$B/fsck.qlfs
IMG=$D/img MNT=$D/mnt SRC=$D/src
export ASAN_OPTIONS="log_path=$PWD/$D/sanitizer"
export HOME=$PWD/$D GIT_AUTHOR_NAME=q GIT_AUTHOR_EMAIL=q@quire GIT_COMMITTER_NAME=q \
	GIT_COMMITTER_EMAIL=q@quire GIT_CONFIG_NOSYSTEM=1 LC_ALL=C

cleanup() {
	mountpoint -q $MNT 2>/dev/null && fusermount3 -u -z $MNT
}
trap cleanup EXIT
if mountpoint -q $MNT 2>/dev/null; then fusermount3 -u -z $MNT; fi
rm -rf $D && mkdir -p $D $MNT

step() { # NAME COMMAND
	echo "== $1"
	( eval "$2" ) 2>&1
	echo "rc-$1=$?"
}

# Wait until the daemon let go of the image: it unmounted, synced and wrote
# its checkpoint (the lock is held for the process's whole life).
unmount() {
	fusermount3 -u $MNT && flock $IMG true
}

# The tree copied in: this repository's fs/ and docs/, and the odd files.
make_src() {
	mkdir -p $SRC && cp -a fs docs $SRC/ &&
	head -c 1048576 /dev/urandom >$SRC/random.bin &&
	truncate -s 20M $SRC/sparse && printf 'end' >>$SRC/sparse &&
	printf 'x' | dd of=$SRC/sparse bs=1 seek=5000000 conv=notrunc status=none &&
	: >$SRC/empty && echo spaced >"$SRC/a name with spaces" &&
	ln -s fs/open.c $SRC/link && ln -s /nonexistent $SRC/dangling &&
	ln $SRC/random.bin $SRC/hardlink &&
	echo x >$SRC/mode751 && chmod 751 $SRC/mode751 &&
	mkdir $SRC/private && chmod 700 $SRC/private && echo p >$SRC/private/f &&
	touch -d '2001-09-09 01:46:40.123456789' $SRC/mode751 $SRC/private
}

sums() { # DIR: sha256 of every file, and every symlink's target
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum &&
		find . -type l | sort | while read -r l; do echo "$l -> $(readlink "$l")"; done)
}

RENAME2='import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def r2(a, b, flags):
    if libc.renameat2(-100, a.encode(), -100, b.encode(), flags):
        return os.strerror(ctypes.get_errno())
    return "ok"
m = sys.argv[1]
open(m + "/ra", "w").write("A")
open(m + "/rb", "w").write("B")
print("noreplace", r2(m + "/ra", m + "/rb", 1))
print("exchange", r2(m + "/ra", m + "/rb", 2))
print("contents", open(m + "/ra").read(), open(m + "/rb").read())
print("exchange-missing", r2(m + "/ra", m + "/none", 2))'

step dev_fuse 'test -c /dev/fuse && command -v fusermount3 >/dev/null && echo "/dev/fuse ok" ||
	{ echo "/dev/fuse or fusermount3 is missing: qlfs-fuse cannot be tested (load the fuse module, give the container /dev/fuse, install fuse3)"; false; }'
step mkfs 'truncate -s 256M $IMG && $MKFS -q $IMG'
step source_tree 'make_src'
step mount '$FUSE $IMG $MNT && mountpoint $MNT'
step second_mount_refused '$FUSE $IMG $MNT'
step listed 'grep " $PWD/$MNT " /proc/mounts'
step cp_a 'cp -a $SRC $MNT/tree'
step diff_r 'diff -r --no-dereference $SRC $MNT/tree && echo same'
step modes_times_links 'stat -c "%n %a %Y %h" $SRC/mode751 $SRC/private $SRC/random.bin >$D/want &&
	(cd $MNT/tree && stat -c "%n %a %Y %h" mode751 private random.bin) >$D/got &&
	sed "s|^$SRC/||" $D/want | diff - $D/got && test "$(stat -c %i $MNT/tree/random.bin)" = "$(stat -c %i $MNT/tree/hardlink)" &&
	readlink $MNT/tree/dangling && cmp $MNT/tree/link $SRC/fs/open.c && echo kept'
step sparse_data 'cmp $SRC/sparse $MNT/tree/sparse && python3 -c "import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); print(\"data at\", os.lseek(fd, 0, os.SEEK_DATA))" $MNT/tree/sparse'
step tar 'tar -C $MNT -cf $D/tree.tar tree && mkdir $MNT/untar && tar -C $MNT/untar -xf $D/tree.tar &&
	diff -r --no-dereference $SRC $MNT/untar/tree && echo same'
step rsync 'rsync -aH $SRC/ $MNT/rsynced/ && diff -r --no-dereference $SRC $MNT/rsynced && echo same'
step rsync_again_nothing_to_do 'rsync -aHi $SRC/ $MNT/rsynced/ | wc -l'
step git 'cd $MNT && mkdir repo && cp -a tree/fs repo/ && cd repo && git init -q && git add -A &&
	git commit -qm first && echo more >>fs/open.c && git commit -qam second &&
	cd .. && git clone -q repo clone && cd clone && git fsck --full 2>&1 && git log --oneline | wc -l'
step fio_verify 'fio --name=verify --directory=$MNT --size=16M --rw=randwrite --bs=4k \
	--ioengine=psync --verify=crc32c --verify_fatal=1 --fsync=64 --verify_state_save=0 \
	--minimal >$D/fio.out &&
	cut -d";" -f3,5 $D/fio.out && rm $MNT/verify.*'
step rename_flags 'python3 -c "$RENAME2" $MNT'
step statfs 'df -k $MNT | tail -1 && stat -f -c "%T bsize %S" $MNT'
step fsync_and_truncate 'python3 -c "import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b\"y\" * 10000, 0); os.fsync(fd); os.ftruncate(fd, 100); os.fdatasync(fd)
print(\"size\", os.fstat(fd).st_size); os.close(fd)" $MNT/synced'
step unlink_while_open 'python3 -c "import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644); os.write(fd, b\"orphan\")
os.unlink(sys.argv[1]); print(os.pread(fd, 6, 0).decode(), os.path.exists(sys.argv[1])); os.close(fd)" $MNT/gone'
step hard_link_attrs 'echo x >$MNT/h1 && stat -c %h $MNT/h1 >/dev/null && ln $MNT/h1 $MNT/h2 &&
	echo more >>$MNT/h2 && a=$(stat -c "%h %s" $MNT/h1) && rm $MNT/h2 &&
	echo "$a, $(stat -c "%h %s" $MNT/h1)"'
step sums 'sums $MNT >$D/sums && wc -l <$D/sums'
step umount 'unmount && ! mountpoint -q $MNT && echo unmounted'
step fsck_clean '$FSCK -n $IMG'
step remount '$FUSE $IMG $MNT && sums $MNT | diff $D/sums - && cat $MNT/synced | wc -c && echo same'
step umount_again 'unmount'
step fsck_clean_again '$FSCK -n $IMG'
step read_only '$FUSE -o ro $IMG $MNT && cat "$MNT/tree/a name with spaces" && ! touch $MNT/new && ! mkdir $MNT/d2 && unmount'
step read_only_changed_nothing '$FSCK -n $IMG'
step foreground_sigterm '$FUSE -f $IMG $MNT & pid=$!
	for i in $(seq 600); do mountpoint -q $MNT && break; sleep 0.1; done
	echo after-f >$MNT/f-file && kill -TERM $pid && wait $pid; echo "exit $?"'
step foreground_fsck '$FSCK -n $IMG'
step foreground_kept '$FUSE $IMG $MNT && cat $MNT/f-file && unmount'
step fuse_mount_refused '$FUSE -o subtype= $IMG $MNT'
step fuse_mount_refused_foreground '$FUSE -f -o subtype= $IMG $MNT'
step refused_mounts_left_it_clean '$FSCK -n $IMG && ! mountpoint -q $MNT'
step zeroed_image 'truncate -s 64M $D/zero && $FUSE $D/zero $MNT'
step missing_image '$FUSE $D/none $MNT'
step not_a_directory '$FUSE $IMG $IMG'
step usage '$FUSE $IMG'
step bad_option '$FUSE -x $IMG $MNT'
step help '$FUSE --help'
step version '$FUSE --version'
step no_sanitizer_report 'cat $D/sanitizer* 2>/dev/null; ! ls $D/sanitizer* >/dev/null 2>&1'
