/*
 * fs/vfs_model_test.c - the random-operation model test: seeded sequences
 * of file and namespace operations applied both to the VFS (the ksys_*
 * calls) and to an in-memory model (fs/vfs_model.c), compared after every
 * step. xfstests' fsx, plus namespace operations. docs/vfs-model-test.md.
 *
 * Layer: fs (tests). Used by: `test vfs_model`, the `vfs_model` command.
 * Provides: the ktest suite vfs_model, the shell command vfs_model, the
 * ramfs and qlfs backends. The runner itself (generator, comparisons,
 * tree check: vm_run()) is fs/vfs_model_run.c, which a host program also
 * runs through a qlfs-fuse mount (arch/host/tools/vfs_fuse_test.c).
 *
 * A run mounts a fresh file system at VM_PREFIX through a backend
 * (struct vm_backend: ramfs, or qlfs on a fresh mkfs of a test disk whose
 * ->remount unmounts, runs fsck.qlfs and mounts again), then for each step draws one operation from the
 * seeded generator, runs it on both sides and compares return values,
 * errno, bytes read, stat results and directory listings; then the tree
 * check compares the whole namespace (listings as sets, types, nlink,
 * sizes, inode numbers: one model inode is one real inode) and the bytes
 * of every file written since it was last checked. The first difference
 * stops the run and prints the seed, the step, the last operations and
 * the commands that replay it:
 *
 *   # vfs_model: seed 7 step 412: rename("a/b", "c", 0): real -ENOENT, model 0
 *   # vfs_model: replay: test --seed 7 vfs_model.random_ops_agree_with_the_model
 *   # vfs_model: replay with a log: vfs_model --seed 7 --steps 412 --verbose
 *
 * Locking: none; one thread. The fds and the mount are the run's own.
 */
#include "vfs_model.h"
#include <quire/syscalls.h>
#include <quire/ktest.h>
#include <quire/shell.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include "qlfs/qlfs_test.h"

#define VM_STEPS 2000 /* make test: a few seconds on the host and in QEMU */

/* ---- backends ---- */

static int ramfs_mount(const char *dir)
{
	return ksys_mount("none", dir, "ramfs", 0, NULL);
}

static int ramfs_unmount(const char *dir)
{
	return ksys_umount(dir, 0);
}

static const struct vm_backend vm_ramfs = {
	.name = "ramfs",
	.mount = ramfs_mount,
	.remount = NULL, /* ramfs forgets everything */
	.unmount = ramfs_unmount,
};

/* The remount hook's own test: "remount" changes nothing on ramfs, but the
 * runner still closes every file on both sides (unlinked open files go)
 * and checks every byte of the tree afterwards. */
static int ramfs_remount_nothing(const char *dir)
{
	return 0;
}

static const struct vm_backend vm_ramfs_hook = {
	.name = "ramfs (remount: nothing)",
	.mount = ramfs_mount,
	.remount = ramfs_remount_nothing,
	.unmount = ramfs_unmount,
};

/* qlfs on a test disk: a fresh mkfs (64 KiB segments) per run; the remount
 * hook unmounts (a checkpoint), checks the disk with fsck.qlfs (QL1..QL14:
 * a problem fails the run like a difference from the model) and mounts
 * again, so everything after it is read back from the disk. */
static struct qlfs_dev vm_qdev;

static int qlfs_fsck_said(int problems)
{
	if (problems)
		cprintf("# vfs_model: fsck.qlfs: %d problems (above)\n", problems);
	return problems > 0 ? -EUCLEAN : problems;
}

static int vm_qlfs_mount(const char *dir)
{
	int err = qlfs_test_disk(&vm_qdev);

	if (!err)
		err = qlfs_test_mkfs(&vm_qdev, QLFS_MIN_LOG_BLOCKS_PER_SEG);
	return err ? err : ksys_mount(vm_qdev.disk->disk_name, dir, "qlfs", 0, NULL);
}

static int vm_qlfs_unmount(const char *dir)
{
	int err = ksys_umount(dir, 0);

	return err ? err : qlfs_fsck_said(qlfs_test_fsck(&vm_qdev));
}

static int vm_qlfs_remount(const char *dir)
{
	int err = vm_qlfs_unmount(dir);

	return err ? err : ksys_mount(vm_qdev.disk->disk_name, dir, "qlfs", 0, NULL);
}

static const struct vm_backend vm_qlfs = {
	.name = "qlfs",
	.mount = vm_qlfs_mount,
	.remount = vm_qlfs_remount,
	.unmount = vm_qlfs_unmount,
};

/* ---- the suite ---- */

/* Calls that must have succeeded, and errors that must have come, in a
 * run of VM_STEPS: a generator that drifts into only ENOENT fails here. */
static const enum vm_kind vm_must_succeed[] = {
	OP_OPEN,   OP_CLOSE, OP_READ,	   OP_WRITE,	OP_PREAD,
	OP_PWRITE, OP_LSEEK, OP_FTRUNCATE, OP_TRUNCATE, OP_FSTAT,
	OP_STAT,   OP_LSTAT, OP_MKDIR,	   OP_RMDIR,	OP_UNLINK,
	OP_RENAME, OP_LINK,  OP_SYMLINK,   OP_READLINK, OP_READDIR,
};
static const int vm_must_fail_with[] = {
	ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY,
	EINVAL, ELOOP,	EBADF,	 EPERM,	 ENAMETOOLONG,
};

static void random_ops_agree_with_the_model(struct ktest *t)
{
	struct vm_options o = {
		.seed = ktest_seed(),
		.steps = VM_STEPS,
		.backend = &vm_ramfs,
	};
	struct vm_stats *st = kzalloc(sizeof(*st), GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, st);
	cprintf("# vfs_model: seed %llu, %lu steps on %s\n", (unsigned long long)o.seed,
		o.steps, o.backend->name);
	KTEST_EXPECT_EQ(t, vm_run(&o, st), 0);
	for (size_t i = 0; !t->failed && i < ARRAY_SIZE(vm_must_succeed); i++)
		if (!st->ok[vm_must_succeed[i]])
			ktest_fail(t, __FILE__, __LINE__, "no %s succeeded in %lu steps",
				   vm_kind_name[vm_must_succeed[i]], o.steps);
	for (size_t i = 0; !t->failed && i < ARRAY_SIZE(vm_must_fail_with); i++)
		if (!st->errno_seen[vm_must_fail_with[i]])
			ktest_fail(t, __FILE__, __LINE__,
				   "no call failed with %s in %lu steps",
				   errname(vm_must_fail_with[i]), o.steps);
	kfree(st);
}

/* The hook qlfs's backend fills: remounts happen, files open across them
 * are closed on both sides, and the run still agrees. */
static void remount_hook_closes_files_and_rechecks_the_tree(struct ktest *t)
{
	struct vm_options o = {
		.seed = ktest_seed() + 1,
		.steps = 400,
		.remount_one_in = 20,
		.backend = &vm_ramfs_hook,
		.replay_case =
			"vfs_model.remount_hook_closes_files_and_rechecks_the_tree",
		.replay_seed = ktest_seed(),
	};
	struct vm_stats *st = kzalloc(sizeof(*st), GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, st);
	KTEST_EXPECT_EQ(t, vm_run(&o, st), 0);
	KTEST_EXPECT_GE(t, st->ran[OP_REMOUNT], 5);
	KTEST_EXPECT_EQ(t, st->ok[OP_REMOUNT], st->ran[OP_REMOUNT]);
	kfree(st);
}

/* The same on qlfs, remounted (checkpoint, fsck, mount) about one step in
 * VM_QLFS_REMOUNT_ONE_IN; its seed is the run's own, printed with the
 * replay command on a difference. */
/* 10 000 steps, a remount one in 500; 2 000 and one in 100 under TSan
 * and scheduling points (qlfs_test_scale(): 10 000 take 7 minutes under
 * TSan, the tree checks' path walks with every lock instrumented). */
#define VM_QLFS_STEPS	       10000
#define VM_QLFS_REMOUNT_ONE_IN 500
static void random_ops_agree_with_the_model_on_qlfs(struct ktest *t)
{
	struct vm_options o = {
		.seed = ktest_seed() + 2,
		.steps = qlfs_test_scale(VM_QLFS_STEPS, 2000),
		.remount_one_in = qlfs_test_scale(VM_QLFS_REMOUNT_ONE_IN, 100),
		.backend = &vm_qlfs,
		.replay_case = "vfs_model.random_ops_agree_with_the_model_on_qlfs",
		.replay_seed = ktest_seed(),
	};
	struct vm_stats *st;
	struct qlfs_dev d = {};
	bool fast;

	if (qlfs_test_disk(&d))
		ktest_skip(
			t,
			"no writable test disk of 32 MiB or more (serial quire-test*)");
	fast = qlfs_test_disk_is_fast(&d);
	qlfs_dev_close(&d);
	if (!fast)
		ktest_skip(t, "the long qlfs run: on quire-host's memory disks only");
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, st);
	cprintf("# vfs_model: seed %llu, %lu steps on %s\n", (unsigned long long)o.seed,
		o.steps, o.backend->name);
	KTEST_EXPECT_EQ(t, vm_run(&o, st), 0);
	KTEST_EXPECT_GE(t, st->ok[OP_REMOUNT], 1);
	for (size_t i = 0; !t->failed && i < ARRAY_SIZE(vm_must_succeed); i++)
		if (!st->ok[vm_must_succeed[i]])
			ktest_fail(t, __FILE__, __LINE__, "no %s succeeded in %lu steps",
				   vm_kind_name[vm_must_succeed[i]], o.steps);
	kfree(st);
}

static const struct ktest_case vfs_model_cases[] = {
	KTEST_CASE(random_ops_agree_with_the_model),
	KTEST_CASE(remount_hook_closes_files_and_rechecks_the_tree),
	KTEST_CASE(random_ops_agree_with_the_model_on_qlfs),
	KTEST_END,
};

static const struct ktest_suite vfs_model_suite = {
	.name = "vfs_model",
	.cases = vfs_model_cases,
};
KTEST_SUITE(vfs_model_suite);

/* ---- the command: long runs ---- */

static int cmd_vfs_model(int argc, char **argv)
{
	struct vm_options o = {
		.seed = ktest_seed(), .steps = VM_STEPS, .backend = &vm_ramfs};
	int err;

	for (int i = 1; i < argc; i++) {
		unsigned long long v;
		bool has_val = i + 1 < argc;

		if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			o.verbose = true;
		} else if (!strcmp(argv[i], "--seed") && has_val &&
			   !kstrtoull(argv[i + 1], 0, &v)) {
			o.seed = v;
			i++;
		} else if (!strcmp(argv[i], "--steps") && has_val &&
			   !kstrtoull(argv[i + 1], 0, &v) && v) {
			o.steps = v;
			i++;
		} else if (!strcmp(argv[i], "--fs") && has_val &&
			   (!strcmp(argv[i + 1], "qlfs") ||
			    !strcmp(argv[i + 1], "ramfs"))) {
			o.backend = strcmp(argv[i + 1], "qlfs") ? &vm_ramfs : &vm_qlfs;
			i++;
		} else if (!strcmp(argv[i], "--remount") && has_val &&
			   !kstrtoull(argv[i + 1], 0, &v) && v <= 1000000) {
			o.remount_one_in = v;
			i++;
		} else {
			shell_error(argv[0],
				    "usage: vfs_model [--seed N] [--steps N] "
				    "[--fs ramfs|qlfs] [--remount N] [--verbose]");
			return -EINVAL;
		}
	}
	if (o.remount_one_in && !o.backend->remount) {
		shell_error(argv[0],
			    "--remount: %s cannot remount (its files do not survive)",
			    o.backend->name);
		return -EINVAL;
	}
	cprintf("vfs_model: seed %llu, %lu steps on %s\n", (unsigned long long)o.seed,
		o.steps, o.backend->name);
	err = vm_run(&o, NULL);
	if (err) {
		shell_error(argv[0], "failed (%s)", errname(err));
		return err;
	}
	cprintf("vfs_model: %lu steps agree\n", o.steps);
	return 0;
}
SHELL_COMMAND(vfs_model, "vfs_model",
	      "vfs_model [--seed N] [--steps N] [--fs ramfs|qlfs] [--remount N] [-v]",
	      "random file and namespace operations against a model", cmd_vfs_model);
