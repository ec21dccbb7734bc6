/*
 * arch/host/qlfs_fuzz.c - the hostile-image runner (qlfs_fuzz.h): the
 * base image, and one image through fsck -n, mount, a walk of the tree
 * that reads every file, a few writes, umount, fsck -n, fsck -y and fsck
 * -n again, checking QF2..QF5 on the way (QF1 is the process's own).
 *
 * Layer: arch/host. Used by: suite qlfs_fuzz, the libFuzzer target.
 * Provides: qfz_make_base(), qfz_run_image().
 *
 * Each run gets a fresh host disk over one memory file (qlfs_fuzz_hostio.c)
 * holding a copy of the image, destroyed after the run: nothing a run
 * leaves in a disk's queue or cache can reach the next one.
 *
 * Locking: none; one run at a time (QFZ_MNT is fixed).
 */
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/console.h>
#include <quire/string.h>
#include <quire/slab.h>
#include <quire/bug.h>
#include <quire/fs.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/syscalls.h>
#include "../../fs/qlfs/qlfs_mount.h"
#include "blockdev.h"
#include "qlfs_fuzz.h"

#define QFZ_MNT	     "/qlfs_fuzz"
#define WALK_MAX     2000 /* entries a walk visits */
#define WALK_DEPTH   12
#define READ_BLOCKS  16 /* blocks read from the start of each file */
#define SEEK_ROUNDS  16 /* SEEK_DATA/SEEK_HOLE hops per file */
#define FSCK_REPORTS 0	/* quiet */

/* qlfs_fuzz_hostio.c (libc) */
int qfz_backing_open(char *path, size_t size);
int qfz_backing_fill(int fd, const u8 *img, u64 size);
int qfz_backing_zero(int fd, u64 size);

static int backing_fd = -1;
static char backing_path[64];

struct walk {
	struct qfz_report *r;
	u8 *buf;	    /* one block */
	char found[3][160]; /* regular files met, for the writes */
	int nfound;
};

/* The memory file, and the disk spec over it: "/proc/self/fd/N,qd=2"
 * (two workers: the walk is single-threaded). */
static int backing(void)
{
	if (backing_fd < 0) {
		backing_fd = qfz_backing_open(backing_path, sizeof(backing_path) - 8);
		if (backing_fd >= 0)
			memcpy(backing_path + strlen(backing_path), ",qd=2", 6);
	}
	return backing_fd < 0 ? backing_fd : 0;
}

/* ---- the walk ---- */

static void read_file(struct walk *w, const char *path, const struct kstat *st)
{
	int fd = ksys_open(path, O_RDONLY, 0);
	loff_t pos = 0;

	if (fd < 0)
		return;
	for (u32 b = 0; b < READ_BLOCKS; b++)
		if (ksys_pread64(fd, w->buf, QLFS_BLKSIZE, (loff_t)b * QLFS_BLKSIZE) > 0)
			w->r->read_blocks++;
		else
			break;
	for (int i = 0; i < SEEK_ROUNDS; i++) {
		loff_t data = ksys_lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0)
			break;
		if (ksys_pread64(fd, w->buf, QLFS_BLKSIZE, data) > 0)
			w->r->read_blocks++;
		hole = ksys_lseek(fd, data, SEEK_HOLE);
		if (hole <= data)
			break;
		pos = hole;
	}
	if (st->size > 0)
		ksys_pread64(fd, w->buf, QLFS_BLKSIZE, st->size - 1);
	ksys_close(fd);
	if (w->nfound < 3)
		strscpy_len(w->found[w->nfound++], path, sizeof(w->found[0]));
}

static void walk_dir(struct walk *w, char *path, size_t len, int depth)
{
	int fd = ksys_open(path, O_RDONLY | O_DIRECTORY, 0);
	char *dirent = kmalloc(QLFS_BLKSIZE, GFP_KERNEL); /* one per level */
	ssize_t_k n;

	if (fd < 0 || !dirent)
		goto out;
	while (w->r->walked < WALK_MAX &&
	       (n = ksys_getdents64(fd, dirent, QLFS_BLKSIZE)) > 0) {
		for (ssize_t_k off = 0; off < n;) {
			struct linux_dirent64 *de = (void *)(dirent + off);
			size_t nl = strlen(de->d_name);
			struct kstat st;

			off += de->d_reclen;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			    len + 1 + nl >= PATH_MAX || w->r->walked >= WALK_MAX)
				continue;
			w->r->walked++;
			path[len] = '/';
			memcpy(path + len + 1, de->d_name, nl + 1);
			if (!ksys_lstat(path, &st)) {
				if (S_ISREG(st.mode))
					read_file(w, path, &st);
				else if (S_ISLNK(st.mode))
					ksys_readlink(path, (char *)w->buf, QLFS_BLKSIZE);
				else if (S_ISDIR(st.mode) && depth < WALK_DEPTH)
					walk_dir(w, path, len + 1 + nl, depth + 1);
			}
			path[len] = '\0';
		}
	}
out:
	if (fd >= 0)
		ksys_close(fd);
	kfree(dirent);
}

/* A few writes of each kind; their results are not judged (a hostile
 * image may refuse any of them), only what they leave (QF3). */
static void write_some(struct walk *w)
{
	int fd = ksys_open(QFZ_MNT "/fz_new", O_CREAT | O_RDWR, 0644);

	memset(w->buf, 0xa5, QLFS_BLKSIZE);
	if (fd >= 0) {
		for (int b = 0; b < 3; b++)
			w->r->writes_ok +=
				ksys_pwrite64(fd, w->buf, QLFS_BLKSIZE,
					      (loff_t)b * QLFS_BLKSIZE) == QLFS_BLKSIZE;
		w->r->writes_ok += !ksys_fsync(fd);
		ksys_close(fd);
	}
	if (w->nfound > 0) {
		fd = ksys_open(w->found[0], O_WRONLY | O_APPEND, 0);
		if (fd >= 0) {
			w->r->writes_ok += ksys_write(fd, w->buf, 100) == 100;
			w->r->writes_ok += !ksys_fdatasync(fd);
			ksys_close(fd);
		}
	}
	w->r->writes_ok += !ksys_mkdir(QFZ_MNT "/fz_dir", 0755);
	w->r->writes_ok += !ksys_symlink("fz_new", QFZ_MNT "/fz_dir/fz_link");
	if (w->nfound > 1)
		w->r->writes_ok += !ksys_rename(w->found[1], QFZ_MNT "/fz_dir/moved", 0);
	if (w->nfound > 2) {
		w->r->writes_ok += !ksys_truncate(w->found[2], 1);
		w->r->writes_ok += !ksys_link(w->found[2], QFZ_MNT "/fz_hard");
		w->r->writes_ok += !ksys_unlink(w->found[2]);
	}
	ksys_sync();
}

static void walk_and_write(struct qfz_report *r, bool write)
{
	struct walk w = {.r = r};
	char *path = kmalloc(PATH_MAX, GFP_KERNEL);

	w.buf = kmalloc(QLFS_BLKSIZE, GFP_KERNEL);
	if (path && w.buf) {
		strscpy_len(path, QFZ_MNT, PATH_MAX);
		walk_dir(&w, path, strlen(path), 0);
		if (write)
			write_some(&w);
	}
	kfree(path);
	kfree(w.buf);
}

/* ---- one run ---- */

static void fail(struct qfz_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct qfz_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vscnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static int fsck(struct qlfs_dev *d, bool repair, struct qfz_report *r, const char *when)
{
	struct qlfs_fsck_opts o = {.quiet = true, .repair = repair};
	struct qlfs_fsck_result res;
	int st = qlfs_fsck(d, &o, &res);

	if (repair) {
		r->left_broken =
			st == 8 ? 1u : res.left_broken; /* bit 0: could not check */
		r->uncorrectable = st == 4 || st == 8 ? res.uncorrectable : NULL;
	}
	if (!repair && r->fsck_before == -1)
		r->broken_before = res.broken; /* the first -n */
	if (st != 0 && st != 1 && st != 4 && st != 8)
		fail(r, "QF5: fsck %s returned %d", when, st);
	return st;
}

/* Zero the newest checkpoint header on the disk (the negative control). */
static void sabotage(struct qlfs_dev *d)
{
	struct qlfs_super_block *sb = qlfs_alloc_blocks(0);
	u32 cp;

	if (!sb)
		return;
	if (!qlfs_dev_read(d, 0, sb, 1)) {
		cp = le32_to_cpu(sb->cp_blkaddr);
		memset(sb, 0, QLFS_BLKSIZE);
		for (int p = 0; p < 2; p++)
			qlfs_dev_write(d, cp + p * (1u << QFZ_BASE_LOG_BPS), sb, 1);
	}
	qlfs_free_blocks(sb, 0);
}

static void mount_walk(struct qlfs_dev *d, struct qfz_report *r, bool write, int *mounted)
{
	int err;

	*mounted = ksys_mount(d->disk->disk_name, QFZ_MNT, "qlfs", 0, NULL);
	if (*mounted)
		return;
	walk_and_write(r, write);
	err = ksys_umount(QFZ_MNT, 0);
	if (err)
		fail(r, "QF5: umount failed: %d", err);
}

/* QF6: a repaired image (fsck -n clean after -y) mounts, takes the walk
 * and the writes, and is still clean after umount: the repair made a
 * file system, not only an image fsck accepts. */
static void after_repair(struct qlfs_dev *d, struct qfz_report *r)
{
	int mounted, st;

	mount_walk(d, r, true, &mounted);
	if (mounted) {
		fail(r, "QF6: fsck -y repaired it, then mount failed: %d", mounted);
		return;
	}
	st = fsck(d, false, r, "-n (after -y, a mount and umount)");
	if (st != 0)
		fail(r,
		     "QF6: fsck -y repaired it; after a mount, the walk and umount fsck -n says %d",
		     st);
}

static int read_back(struct qlfs_dev *d, u8 *img, u64 size);

/* The disk as it is now, into host file @path (qlfs_fuzz.dump=). */
static void dump_image(struct qlfs_dev *d, u64 size, const char *path)
{
	u8 *img = qfz_host_alloc(size);

	if (img && !read_back(d, img, size) && !qfz_save_image(path, img, size))
		cprintf("#   the image fsck -y gets: %s\n", path);
	qfz_host_free(img);
}

int qfz_run_image(const u8 *img, u64 size, const struct qfz_opts *o, struct qfz_report *r)
{
	unsigned long warns = warn_count();
	struct gendisk *disk;
	struct qlfs_dev d;
	int err, mkdir_err;

	memset(r, 0, sizeof(*r));
	r->fsck_before = r->mount = r->fsck_after = r->fsck_repair = r->fsck_second = -1;
	err = backing() ?: qfz_backing_fill(backing_fd, img, size);
	if (err)
		return err;
	err = hostdisk_create(backing_path, &disk);
	if (err)
		return err;
	err = qlfs_dev_open(&d, disk->disk_name, true);
	if (err) {
		hostdisk_destroy(disk);
		return err;
	}
	mkdir_err = ksys_mkdir(QFZ_MNT, 0755);
	r->fsck_before = fsck(&d, false, r, "-n (before)");
	mount_walk(&d, r, true, &r->mount);
	if (o->sabotage)
		sabotage(&d);
	if (r->mount && r->fsck_before == 0)
		fail(r, "QF3: fsck -n finds it clean, the mount refuses it: %d",
		     r->mount);
	if (!r->mount && (r->fsck_before == 0 || o->sabotage)) {
		r->fsck_after = fsck(&d, false, r, "-n (after umount)");
		if (r->fsck_before == 0 && r->fsck_after != 0)
			fail(r,
			     "QF3: fsck -n clean before the mount, status %d after umount",
			     r->fsck_after);
	}
	/* -y where there is something to repair (on a clean image QF3's -n
	 * already judged what the mount left) */
	if (o->repair && (r->fsck_before != 0 || r->fsck_after > 0)) {
		if (o->dump)
			dump_image(&d, size, o->dump);
		r->fsck_repair = fsck(&d, true, r, "-y");
		r->fsck_second = fsck(&d, false, r, "-n (after -y)");
		if ((r->fsck_repair == 0 || r->fsck_repair == 1) && r->fsck_second != 0)
			fail(r, "QF4: fsck -y returned %d, the next fsck -n %d",
			     r->fsck_repair, r->fsck_second);
		if (r->fsck_second == 0 && !o->sabotage)
			after_repair(&d, r);
	}
	if (warn_count() != warns)
		fail(r, "QF2: %lu kernel warning(s)", warn_count() - warns);
	if (!mkdir_err)
		ksys_rmdir(QFZ_MNT);
	qlfs_dev_close(&d);
	hostdisk_destroy(disk);
	return 0;
}

/* ---- the base image ---- */

static int put_file(const char *path, u64 first, u64 last, u8 fill, bool sparse)
{
	u8 *buf = kmalloc(QLFS_BLKSIZE, GFP_KERNEL);
	int fd = ksys_open(path, O_CREAT | O_RDWR, 0644), err = 0;

	if (!buf || fd < 0) {
		err = fd < 0 ? fd : -ENOMEM;
		goto out;
	}
	for (u64 b = first; b <= last; b++) {
		if (sparse && b != first && b != last)
			continue;
		memset(buf, fill + (u8)b, QLFS_BLKSIZE);
		if (ksys_pwrite64(fd, buf, QLFS_BLKSIZE, b * QLFS_BLKSIZE) !=
		    QLFS_BLKSIZE)
			err = -EIO;
	}
out:
	if (fd >= 0)
		ksys_close(fd);
	kfree(buf);
	return err;
}

/* Names of every slot count, a 255-byte one, nested directories, links,
 * a file with an indirect node and one through the double-indirect node,
 * inline-free small files. */
static int populate(void)
{
	static const char long_name[] =
		QFZ_MNT "/a/"
			"LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
			"LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
			"LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
			"LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL";
	const u64 ind = ADDRS_PER_INODE + 2ULL * ADDRS_PER_BLOCK + 3;
	const u64 dind = ADDRS_PER_INODE + 2ULL * ADDRS_PER_BLOCK +
			 2ULL * NIDS_PER_BLOCK * ADDRS_PER_BLOCK + 7;
	char name[64];
	int err = 0;

	err = err ?: ksys_mkdir(QFZ_MNT "/a", 0755);
	err = err ?: ksys_mkdir(QFZ_MNT "/a/b", 0755);
	err = err ?: ksys_mkdir(QFZ_MNT "/a/b/c", 0755);
	err = err ?: ksys_mkdir(QFZ_MNT "/empty_dir", 0700);
	for (int i = 0; i < 24 && !err; i++) {
		scnprintf(name, sizeof(name), QFZ_MNT "/a/%.*s%d", i % 20 + 1,
			  "ffffffffffffffffffff", i);
		err = i % 5 == 4 ? put_file(name, 0, 0, i, false) - 0 :
				   put_file(name, 0, i % 3, i, false);
	}
	err = err ?: put_file(long_name, 0, 1, 7, false);
	err = err ?: put_file(QFZ_MNT "/big", 0, 40, 1, false);
	err = err ?: put_file(QFZ_MNT "/a/b/c/deep", 0, 2, 9, false);
	err = err ?: put_file(QFZ_MNT "/sparse", 3, ADDRS_PER_INODE + 5, 2, true);
	err = err ?: put_file(QFZ_MNT "/indirect", ind, ind, 3, true);
	err = err ?: put_file(QFZ_MNT "/dindirect", dind, dind, 4, true);
	if (!err) {
		int fd = ksys_open(QFZ_MNT "/empty", O_CREAT | O_RDWR, 0600);

		err = fd < 0 ? fd : ksys_close(fd);
	}
	err = err ?: ksys_symlink("a/b/c/deep", QFZ_MNT "/link");
	err = err ?: ksys_symlink(long_name + sizeof(QFZ_MNT), QFZ_MNT "/a/b/longlink");
	err = err ?: ksys_link(QFZ_MNT "/big", QFZ_MNT "/a/b/hard");
	return err;
}

/* After the checkpoint: an orphan (open, unlinked), new and grown files
 * fsynced (roll-forward), then the power cut. */
static int after_checkpoint(int *orphan_fd)
{
	int fd, err = 0;

	*orphan_fd = ksys_open(QFZ_MNT "/orphan", O_CREAT | O_RDWR, 0644);
	if (*orphan_fd < 0)
		return *orphan_fd;
	err = put_file(QFZ_MNT "/orphan", 0, 1, 5, false);
	err = err ?: ksys_unlink(QFZ_MNT "/orphan");
	if (!err)
		ksys_sync(); /* the orphan goes in the checkpoint */
	err = err ?: put_file(QFZ_MNT "/a/rf_new", 0, 2, 6, false);
	err = err ?: put_file(QFZ_MNT "/big", 41, 43, 1, false);
	for (int i = 0; i < 2 && !err; i++) {
		fd = ksys_open(i ? QFZ_MNT "/big" : QFZ_MNT "/a/rf_new", O_RDWR, 0);
		err = fd < 0 ? fd : ksys_fsync(fd);
		if (fd >= 0)
			ksys_close(fd);
	}
	return err;
}

static struct qlfs_sb_info *mounted_sbi(void)
{
	struct path p;
	struct qlfs_sb_info *sbi;

	if (kern_path(QFZ_MNT, LOOKUP_FOLLOW, &p))
		return NULL;
	sbi = QLFS_SB(p.dentry->d_sb);
	path_put(&p);
	return sbi;
}

static int read_back(struct qlfs_dev *d, u8 *img, u64 size)
{
	u8 *buf = qlfs_alloc_blocks(6);
	int err = buf ? 0 : -ENOMEM;

	for (u64 b = 0; !err && b < size / QLFS_BLKSIZE; b += 64) {
		u32 n = size / QLFS_BLKSIZE - b < 64 ? size / QLFS_BLKSIZE - b : 64;

		err = qlfs_dev_read(d, b, buf, n);
		if (!err)
			memcpy(img + b * QLFS_BLKSIZE, buf, (size_t)n * QLFS_BLKSIZE);
	}
	qlfs_free_blocks(buf, 6);
	return err;
}

int qfz_make_base(u8 **imgp, u64 *sizep)
{
	struct qlfs_mkfs_opts mo = {.log_bps = QFZ_BASE_LOG_BPS,
				    .force = true,
				    .time = 1000000000ULL,
				    .quiet = true};
	const u64 size = QFZ_BASE_BYTES;
	int orphan_fd = -1, mkdir_err, err;
	struct qlfs_sb_info *sbi;
	struct gendisk *disk;
	struct qlfs_dev d;
	u8 *img;

	err = backing() ?: qfz_backing_zero(backing_fd, size);
	if (err)
		return err;
	img = qfz_host_alloc(size);
	if (!img)
		return -ENOMEM;
	err = hostdisk_create(backing_path, &disk);
	if (err) {
		qfz_host_free(img);
		return err;
	}
	err = qlfs_dev_open(&d, disk->disk_name, true);
	if (err)
		goto out_disk;
	mkdir_err = ksys_mkdir(QFZ_MNT, 0755);
	err = qlfs_mkfs(&d, &mo) ?: ksys_mount(disk->disk_name, QFZ_MNT, "qlfs", 0, NULL);
	if (err)
		goto out_dev;
	err = populate();
	if (!err)
		ksys_sync();
	err = err ?: after_checkpoint(&orphan_fd);
	sbi = mounted_sbi();
	if (sbi) /* the power cut: nothing more is written */
		qlfs_handle_error(sbi, "qlfs_fuzz: base image taken");
	if (orphan_fd >= 0)
		ksys_close(orphan_fd);
	if (ksys_umount(QFZ_MNT, 0) && !err)
		err = -EBUSY;
	err = err ?: read_back(&d, img, size);
out_dev:
	if (!mkdir_err)
		ksys_rmdir(QFZ_MNT);
	qlfs_dev_close(&d);
out_disk:
	hostdisk_destroy(disk);
	if (err) {
		qfz_host_free(img);
		return err;
	}
	*imgp = img;
	*sizep = size;
	return 0;
}
