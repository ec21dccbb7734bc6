/*
 * arch/host/tools/vfs_fuse_test.c - the POSIX behaviour suite and the
 * model test run a third way: by libc calls on a qlfs-fuse mount, from
 * the same case sources as the kernel's suites (docs/qlfs-tools.md).
 *
 * Layer: arch/host (a host program; libc only, the core is in the
 * qlfs-fuse daemon it starts). Built by arch/host/build.mk as
 * build/host/VARIANT/vfs-fuse-test from this file, fs/vfs_model.c and
 * fs/vfs_model_run.c, all over the libc shim (vfs_libc.h: ksys_open() is
 * open(2) returning -errno ...).
 * Provides: main().
 *
 *   vfs-fuse-test [--tools DIR] [--dir DIR] posix
 *   vfs-fuse-test [--tools DIR] [--dir DIR] [--seed N] [--remount N] [--check N]
 *                 [--verbose] model STEPS
 *
 * Both make a 256 MiB image DIR/img (mkfs.qlfs from DIR of --tools,
 * default the directory of this program), mount it with that qlfs-fuse,
 * and print KTAP (suite vfs_fuse, or vfs_model_fuse), ending with a case
 * that unmounts it (fusermount3 -u, then the image's lock: the daemon
 * wrote its checkpoint and exited) and runs fsck.qlfs -n: it must be
 * clean. The tools' own output goes to DIR/tools.log (shown on failure).
 *
 * posix: each case of fs/vfs_posix_cases.h runs in a child of its own,
 * in a private mount namespace, chrooted to DIR/root, where /vt is a bind
 * mount of a fresh directory of the FUSE mount: so "/vt" is the mounted
 * root the cases expect, ".." leaves it, "/" is another file system
 * (EXDEV), and what a case leaves behind is in the image fsck checks. A
 * case that crashes fails alone. Run as root (mounts, chroot).
 *
 * model: fs/vfs_model_run.c's vm_run() chrooted to DIR/root, with
 * VM_PREFIX ("/vfs_model") the FUSE mount; its remount hook (1 step in N
 * with --remount N) unmounts, runs fsck.qlfs -n and mounts again, each
 * tool started outside the chroot (a child goes back to the real root by
 * the descriptor kept for it).
 *
 * Invariants:
 *  VF1: a case's result is its child's exit status: 0 passed, 1 a check
 *       failed (printed), anything else (a signal) crashed.
 *  VF2: every mount this program makes it unmounts before the fsck case;
 *       the namespaces of the case children die with them.
 *
 * Locking: none; one thread (the children are processes).
 */
#include "vfs_libc.h"
#include "../../../fs/vfs_test.h"
#include "../../../fs/vfs_model.h"

#include <sched.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define FUSE_SUPER_MAGIC 0x65735546 /* statfs's f_type of any FUSE mount */
#define IMG_SIZE	 (256ll << 20)

static char tools[PATH_MAX];   /* where qlfs-fuse, mkfs.qlfs, fsck.qlfs are */
static char dir[PATH_MAX];     /* the work directory (absolute) */
static char img[PATH_MAX + 8]; /* dir/img */
static char log_path[PATH_MAX + 16];
static int img_fd = -1;	   /* for waiting on the daemon's lock */
static int real_root = -1; /* the real "/", once chrooted */

/* ---- the ktest shim's two functions ---- */

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->failed = true;
	printf("        # %s: %s:%d: ", t->name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void ktest_abort(struct ktest *t)
{
	fflush(stdout);
	_exit(1);
}

/* kernel/vsprintf.c's %pS (built in: vfs_libc.h): no symbol table here,
 * the address is printed in hex. */
bool arch_lookup_symbol(unsigned long addr, char *name, size_t size,
			unsigned long *offset)
{
	return false;
}

/* ---- the fixture of fs/vfs_test.h, for the children ---- */

bool vt_on_qlfs(void)
{
	return true; /* qlfs behind FUSE: st_blocks, holes as qlfs has them */
}

bool vt_on_fuse(void)
{
	return true;
}

int vt_open(struct ktest *t, const char *path, int flags, umode_t mode)
{
	return ksys_open(path, flags, mode); /* the child's exit closes it */
}

void vt_close(struct ktest *t, int fd)
{
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
}

#include "../../../fs/vfs_test_files.h"

int vt_check_tree(const char *path)
{
	return 0; /* not called here: the host's dcache is not ours to check */
}

/* ---- the cases ---- */

#include "../../../fs/vfs_posix_cases.h"

/* FUSE's own statfs: its magic, whatever the file system behind it. */
static void statfs_and_fsync_on_qlfs_fuse(struct ktest *t)
{
	struct kstatfs sf = {0}, sf2 = {0};

	statfs_then_fsync_a_file(t, FUSE_SUPER_MAGIC, &sf);
	KTEST_EXPECT_GT(t, sf.f_blocks, 0);
	KTEST_EXPECT_LT(t, sf.f_bfree, sf.f_blocks);
	KTEST_EXPECT_EQ(t, ksys_statfs(".", &sf2), 0);
	KTEST_EXPECT_EQ(t, sf2.f_bfree + 2, sf.f_bfree); /* the inode, its block */
	fsync_the_directory(t);
}

/* The names of one file through FUSE: each is its own host inode
 * (libfuse's high-level API), with its own cached size and pages; what
 * one name changes the others must show (docs/qlfs.md, "Through FUSE").
 * The O_APPEND write lands at the end of the file, not at the end g's
 * host inode last heard of (qlfs-fuse's QF4: before it, "++" overwrote
 * "XY" and the file read "abc3456789++Z"); the read by g after a write by
 * f needs auto_inval_data (without it g read its cached "0123456789"). */
static void hard_link_names_agree_through_fuse(struct ktest *t)
{
	struct kstat st, st2;
	char buf[32];
	int f, g;

	KTEST_ASSERT_EQ(t, vt_write_file("f", "0123456789"), 0);
	KTEST_ASSERT_EQ(t, ksys_link("f", "g"), 0);
	f = ksys_open("f", O_RDWR, 0);
	g = ksys_open("g", O_RDWR | O_APPEND, 0);
	KTEST_ASSERT_GE(t, f, 0);
	KTEST_ASSERT_GE(t, g, 0);
	KTEST_EXPECT_EQ(t, ksys_pread64(g, buf, 10, 0), 10); /* g's pages cached */
	KTEST_EXPECT_EQ(t, ksys_pwrite64(f, "abc", 3, 0), 3);
	KTEST_EXPECT_EQ(t, ksys_pread64(g, buf, 10, 0), 10);
	KTEST_EXPECT_EQ(t, memcmp(buf, "abc3456789", 10), 0);
	/* The file grows by f: g's host inode still has 10 as the size. */
	KTEST_EXPECT_EQ(t, ksys_pwrite64(f, "XYZ", 3, 10), 3);
	KTEST_EXPECT_EQ(t, ksys_write(g, "++", 2), 2);
	KTEST_EXPECT_EQ(t, vt_read_file("f", buf, sizeof(buf)), 15);
	KTEST_EXPECT_EQ(t, strcmp(buf, "abc3456789XYZ++"), 0);
	KTEST_EXPECT_EQ(t, ksys_fstat(g, &st), 0);
	KTEST_EXPECT_EQ(t, st.size, 15);
	KTEST_EXPECT_EQ(t, ksys_stat("f", &st2), 0);
	KTEST_EXPECT_EQ(t, st2.ino, st.ino);
	KTEST_EXPECT_EQ(t, st2.nlink, 2);
	/* Shrunk by f, read by g. */
	KTEST_EXPECT_EQ(t, ksys_ftruncate(f, 4), 0);
	KTEST_EXPECT_EQ(t, ksys_pread64(g, buf, sizeof(buf), 0), 4);
	KTEST_EXPECT_EQ(t, ksys_unlink("f"), 0);
	KTEST_EXPECT_EQ(t, ksys_fstat(g, &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 1);
	/* A rename between two names of one file does nothing (POSIX). */
	KTEST_EXPECT_EQ(t, ksys_link("g", "h"), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("g", "h", 0), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("g", &st), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("h", &st2), 0);
	KTEST_EXPECT_EQ(t, st.ino, st2.ino);
	KTEST_EXPECT_EQ(t, st2.nlink, 2);
	KTEST_EXPECT_EQ(t, ksys_fstat(g, &st), 0); /* opened by the source's name */
	KTEST_EXPECT_EQ(t, st.nlink, 2);
	KTEST_EXPECT_EQ(t, vt_read_file("h", buf, sizeof(buf)), 4);
	KTEST_EXPECT_EQ(t, strcmp(buf, "abc3"), 0);
	vt_close(t, f);
	vt_close(t, g);
}

static const struct ktest_case vfs_fuse_cases[] = {
	VFS_POSIX_CASES_OPEN,
	KTEST_CASE(statfs_and_fsync_on_qlfs_fuse),
	VFS_POSIX_CASES_UNLINK,
	VFS_POSIX_CASES_NAMES,
	KTEST_CASE(hard_link_names_agree_through_fuse),
	KTEST_END,
};

/* ---- the tools, started outside the chroot ---- */

static void show_log(void)
{
	char line[512];
	FILE *f = fopen(log_path, "r");

	if (!f && real_root >= 0)
		f = fdopen(openat(real_root, log_path + 1, O_RDONLY), "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("# | %s", line);
	fclose(f);
}

/* Run @argv to its end, its output appended to the log; its exit status,
 * or -1 if it could not run. */
static int run(char *const argv[])
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		if (real_root >= 0 && (fchdir(real_root) || chroot(".")))
			_exit(126);
		fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		fprintf(stderr, "vfs-fuse-test: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *tool(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", tools, name);
	return buf;
}

/* The mount point @where (a path in the chroot) seen from the real root. */
static char *outside(const char *where, char *buf, size_t size)
{
	snprintf(buf, size, "%s/root%s", dir, where);
	return buf;
}

static int fuse_mount(const char *where)
{
	char t[PATH_MAX + 16], m[PATH_MAX + 16];
	char *argv[] = {tool("qlfs-fuse", t, sizeof(t)), img,
			outside(where, m, sizeof(m)), NULL};

	return run(argv) ? -EIO : 0;
}

/* A run killed before its unmount left its mount on DIR/root@where: lazily
 * away with it (before the chroot). */
static void unmount_stale(const char *where)
{
	char m[PATH_MAX + 16], up[PATH_MAX + 24];
	char *argv[] = {"/bin/fusermount3", "-u", "-z", outside(where, m, sizeof(m)),
			NULL};
	struct stat a, b;

	snprintf(up, sizeof(up), "%s/..", m);
	if (!stat(m, &a) && !stat(up, &b) && a.st_dev != b.st_dev)
		run(argv);
}

/* Unmount, then wait for the image's lock: the daemon synced, wrote its
 * checkpoint and let go (docs/qlfs-tools.md). */
static int fuse_unmount(const char *where)
{
	char m[PATH_MAX + 16];
	char *argv[] = {"/bin/fusermount3", "-u", outside(where, m, sizeof(m)), NULL};

	if (run(argv))
		return -EBUSY;
	if (flock(img_fd, LOCK_EX) || flock(img_fd, LOCK_UN))
		return -errno;
	return 0;
}

static int fsck(void)
{
	char t[PATH_MAX + 16];
	char *argv[] = {tool("fsck.qlfs", t, sizeof(t)), "-n", img, NULL};

	return run(argv) ? -EUCLEAN : 0;
}

/* A fresh image, mounted on DIR/root@where (if not NULL). */
static int setup(const char *where)
{
	char t[PATH_MAX + 16], m[PATH_MAX + 16];
	char *mkfs[] = {tool("mkfs.qlfs", t, sizeof(t)), "-q", img, NULL};
	int fd;

	snprintf(m, sizeof(m), "%s/root", dir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	mkdir(m, 0755);
	if (where)
		mkdir(outside(where, m, sizeof(m)), 0755);
	mkdir(outside(VT, m, sizeof(m)), 0755);
	unlink(log_path);
	unmount_stale("/mnt");
	unmount_stale(VM_PREFIX);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, IMG_SIZE))
		return -errno;
	img_fd = fd;
	if (run(mkfs))
		return -EIO;
	return where ? fuse_mount(where) : 0;
}

/* ---- posix: one child per case ---- */

static void run_case_child(const struct ktest_case *c, int nr)
{
	char m[PATH_MAX + 16], sub[PATH_MAX + 32], vt[PATH_MAX + 16];
	struct rlimit rl = {NR_OPEN_DEFAULT, NR_OPEN_DEFAULT};
	struct ktest t = {.name = c->name};

	snprintf(sub, sizeof(sub), "%s/%d", outside("/mnt", m, sizeof(m)), nr);
	outside(VT, vt, sizeof(vt));
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mkdir(sub, 0755) || mount(sub, vt, NULL, MS_BIND, NULL)) {
		ktest_fail(&t, __FILE__, __LINE__, "setting up %s on %s: %s", sub, vt,
			   strerror(errno));
		ktest_abort(&t);
	}
	snprintf(m, sizeof(m), "%s/root", dir);
	if (chroot(m) || chdir(VT) || setrlimit(RLIMIT_NOFILE, &rl)) {
		ktest_fail(&t, __FILE__, __LINE__, "chroot %s, cd %s: %s", m, VT,
			   strerror(errno));
		ktest_abort(&t);
	}
	c->run(&t);
	fflush(stdout);
	_exit(t.failed ? 1 : 0);
}

/* VF1: ok, not ok (with why it crashed). */
static bool run_case(const struct ktest_case *c, int nr)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		run_case_child(c, nr);
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		printf("        # %s: fork: %s\n", c->name, strerror(errno));
		return false;
	}
	if (WIFSIGNALED(status))
		printf("        # %s: crashed: signal %d\n", c->name, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool unmount_and_fsck(const char *where)
{
	int err = fuse_unmount(where);

	if (err) {
		printf("        # umount_then_fsck_clean: fusermount3 -u: %s\n",
		       errname(err));
		return false;
	}
	if (fsck()) {
		printf("        # umount_then_fsck_clean: fsck.qlfs -n %s: not clean\n",
		       img);
		show_log();
		return false;
	}
	return true;
}

static int posix_suite(void)
{
	int n = ARRAY_SIZE(vfs_fuse_cases) - 1, failed = 0, err;
	bool ok;

	printf("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: vfs_fuse\n"
	       "    1..%d\n",
	       n + 1);
	err = setup("/mnt");
	if (err) {
		printf("Bail out! qlfs-fuse mount of %s on %s/root/mnt: %s\n", img, dir,
		       errname(err));
		show_log();
		return 2;
	}
	for (int i = 0; i < n; i++) {
		bool ok = run_case(&vfs_fuse_cases[i], i);

		failed += !ok;
		printf("    %sok %d %s\n", ok ? "" : "not ", i + 1,
		       vfs_fuse_cases[i].name);
	}
	ok = unmount_and_fsck("/mnt");
	failed += !ok;
	printf("    %sok %d umount_then_fsck_clean\n", ok ? "" : "not ", n + 1);
	printf("%sok 1 vfs_fuse\n", failed ? "not " : "");
	printf("# vfs_fuse: %d of %d cases passed through qlfs-fuse\n", n + 1 - failed,
	       n + 1);
	return failed ? 1 : 0;
}

/* ---- model: vm_run() on the mount ---- */

static int model_mount(const char *where)
{
	return fuse_mount(where);
}

/* Unmount (the checkpoint), fsck.qlfs -n: a problem fails the run. */
static int model_unmount(const char *where)
{
	int err = fuse_unmount(where);

	if (!err && fsck()) {
		printf("# vfs_model: fsck.qlfs -n %s: not clean\n", img);
		show_log();
		err = -EUCLEAN;
	}
	return err;
}

static int model_remount(const char *where)
{
	int err = model_unmount(where);

	return err ? err : fuse_mount(where);
}

static const struct vm_backend vm_qlfs_fuse = {
	.name = "qlfs-fuse",
	.mount = model_mount,
	.remount = model_remount,
	.unmount = model_unmount,
	.orphan_estale = true,
	.stale_append_pos = true,
};

static int model_suite(struct vm_options *o)
{
	struct vm_stats *st = calloc(1, sizeof(*st));
	char root[PATH_MAX + 8];
	int err;

	printf("KTAP version 1\n# seed %llu\n1..1\n    KTAP version 1\n"
	       "    # Subtest: vfs_model_fuse\n    1..1\n",
	       (unsigned long long)o->seed);
	snprintf(root, sizeof(root), "%s/root", dir);
	err = setup(NULL); /* vm_run() mounts it on VM_PREFIX */
	real_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!err && (real_root < 0 || chroot(root) || chdir("/")))
		err = -errno;
	if (err || !st) {
		printf("Bail out! setting up %s: %s\n", root, errname(err));
		show_log();
		return 2;
	}
	printf("# vfs_model: seed %llu, %lu steps on %s, a remount 1 in %u, the tree "
	       "checked 1 step in %u\n",
	       (unsigned long long)o->seed, o->steps, o->backend->name, o->remount_one_in,
	       o->check_one_in ? o->check_one_in : 1);
	err = vm_run(o, st);
	if (!err && o->remount_one_in && !st->ok[OP_REMOUNT]) {
		printf("# vfs_model: no remount in %lu steps\n", o->steps);
		err = -EINVAL;
	}
	if (err)
		printf("# vfs_model: replay: %s/vfs-fuse-test --dir %s --seed %llu "
		       "--remount %u --check %u model %lu\n",
		       tools, dir, (unsigned long long)o->seed, o->remount_one_in,
		       o->check_one_in, o->steps);
	else
		printf("# vfs_model: %lu operations agree with the model through qlfs-fuse, "
		       "fsck clean\n",
		       o->steps);
	printf("    %sok 1 random_ops_agree_with_the_model_through_fuse\n",
	       err ? "not " : "");
	printf("%sok 1 vfs_model_fuse\n", err ? "not " : "");
	free(st);
	return err ? 1 : 0;
}

/* ---- main ---- */

/* mkdir -p @path */
static int mkdir_p(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0755) && errno != EEXIST ? -errno : 0;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"vfs-fuse-test: %s\n"
		"usage: vfs-fuse-test [--tools DIR] [--dir DIR] posix\n"
		"       vfs-fuse-test [--tools DIR] [--dir DIR] [--seed N] [--remount N] "
		"[--check N] [--verbose] model STEPS\n",
		why);
	return 2;
}

int main(int argc, char **argv)
{
	struct vm_options o = {.seed = 1, .backend = &vm_qlfs_fuse};
	const char *d = "build/vfs-fuse-test";
	char self[PATH_MAX];
	ssize_t n;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return usage("cannot find /proc/self/exe");
	self[n] = '\0';
	snprintf(tools, sizeof(tools), "%s", self);
	*strrchr(tools, '/') = '\0';
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--verbose"))
			o.verbose = true;
		else if (!val)
			return usage("an option needs its value");
		else if (!strcmp(argv[i], "--tools"))
			snprintf(tools, sizeof(tools), "%s", argv[++i]);
		else if (!strcmp(argv[i], "--dir"))
			d = argv[++i];
		else if (!strcmp(argv[i], "--seed"))
			o.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--remount"))
			o.remount_one_in = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--check"))
			o.check_one_in = strtoul(argv[++i], NULL, 0);
		else
			return usage("unknown option");
	}
	if (mkdir_p(d))
		return usage("cannot make the work directory");
	if (!realpath(d, dir) || strlen(dir) > PATH_MAX - 64)
		return usage("bad work directory");
	snprintf(img, sizeof(img), "%s/img", dir);
	snprintf(log_path, sizeof(log_path), "%s/tools.log", dir);
	if (i < argc && !strcmp(argv[i], "posix") && i + 1 == argc)
		return posix_suite();
	if (i + 1 < argc && !strcmp(argv[i], "model") && i + 2 == argc) {
		o.steps = strtoul(argv[i + 1], NULL, 0);
		if (!o.steps)
			return usage("STEPS must be a positive number");
		return model_suite(&o);
	}
	return usage("needs posix or model STEPS");
}
