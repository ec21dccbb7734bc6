/*
 * fs/vfs_race_test.c - the VFS under concurrent namespace changes: tasks
 * renaming, creating, unlinking and looking up in one directory, and
 * cross-directory renames that would make a loop if VFS4 were not
 * checked under s_vfs_rename_mutex. Each worker counts results outside
 * what POSIX allows; the case checks the counts and the final tree. Run
 * under TSan (host-tsan*) and the seeded scheduler (host-plain-det-seed*,
 * stress-det-all-seed*), which interleave the workers differently per seed.
 * Suite vfs_race_qlfs runs the same cases on qlfs.
 */
#include <quire/ktest.h>
#include <quire/syscalls.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/dcache.h>
#include <quire/string.h>
#include <quire/errno.h>
#include "vfs_test.h"

#define RACE_ROUNDS 50

struct racer {
	int (*step)(struct racer *r, int i); /* 0, or the unexpected result */
	int rounds;
	int bad;      /* unexpected results seen */
	int last_bad; /* the last of them, for the failure message */
	struct completion done;
	struct task_struct *task;
};

static int racer_main(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < r->rounds; i++) {
		int err = r->step(r, i);

		if (err) {
			r->bad++;
			r->last_bad = err;
		}
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

static void race_start(struct ktest *t, struct racer *r, int (*step)(struct racer *, int),
		       const char *name)
{
	r->step = step;
	r->rounds = RACE_ROUNDS;
	init_completion(&r->done);
	r->task = kthread_run(racer_main, r, "%s", name);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, r->task);
}

static void race_join(struct ktest *t, struct racer *r, int n)
{
	for (int i = 0; i < n; i++) {
		wait_for_completion(&r[i].done);
		KTEST_EXPECT_EQ(t, kthread_stop(r[i].task), 0);
		if (r[i].bad)
			ktest_fail(t, __FILE__, __LINE__,
				   "worker %d: %d unexpected results, last %d", i,
				   r[i].bad, r[i].last_bad);
	}
}

/* ---- rename and lookup in one directory ---- */

static int swap_ab(struct racer *r, int i)
{
	return i % 2 ? ksys_rename("d/b", "d/a", 0) : ksys_rename("d/a", "d/b", 0);
}

static int swap_xy(struct racer *r, int i)
{
	return i % 2 ? ksys_rename("d/y", "d/x", RENAME_NOREPLACE) :
		       ksys_rename("d/x", "d/y", RENAME_NOREPLACE);
}

static int create_unlink_t(struct racer *r, int i)
{
	return i % 2 ? ksys_unlink("d/t") : vt_write_file("d/t", "t");
}

/* Each name either is there, with its whole content, or is not. */
static int look_ab(struct racer *r, int i)
{
	const char *name = i % 2 ? "d/a" : "d/b";
	struct kstat st;
	char buf[16];
	ssize_t_k n;
	int err;

	err = ksys_stat(name, &st);
	if (err && err != -ENOENT)
		return err;
	if (!err && st.size != 7)
		return -EUCLEAN;
	n = vt_read_file(name, buf, sizeof(buf));
	if (n == -ENOENT)
		return 0;
	if (n != 7 || memcmp(buf, "payload", 7))
		return n < 0 ? (int)n : -EUCLEAN;
	return 0;
}

static void renames_and_lookups_in_one_directory(struct ktest *t)
{
	struct racer r[4] = {0};
	char buf[16];

	KTEST_ASSERT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_ASSERT_EQ(t, vt_write_file("d/a", "payload"), 0);
	KTEST_ASSERT_EQ(t, vt_write_file("d/x", "x"), 0);
	race_start(t, &r[0], swap_ab, "vfs-swap-ab");
	race_start(t, &r[1], swap_xy, "vfs-swap-xy");
	race_start(t, &r[2], create_unlink_t, "vfs-creat-unl");
	race_start(t, &r[3], look_ab, "vfs-look");
	race_join(t, r, 4);
	KTEST_EXPECT_EQ(t, vt_check_tree(VT), 0);
	/* An even number of renames each: back where they started. */
	KTEST_EXPECT_TRUE(t, vt_exists("d/a") && !vt_exists("d/b"));
	KTEST_EXPECT_TRUE(t, vt_exists("d/x") && !vt_exists("d/y"));
	KTEST_EXPECT_FALSE(t, vt_exists("d/t"));
	KTEST_EXPECT_EQ(t, vt_read_file("d/a", buf, sizeof(buf)), 7);
}

/* ---- lookups and opens racing unlink ---- */

static int create_write_unlink(struct racer *r, int i)
{
	int fd = ksys_open("d/f", O_CREAT | O_EXCL | O_WRONLY, 0644);
	ssize_t_k n;

	if (fd < 0)
		return fd;
	n = ksys_write(fd, "data!!", 6);
	ksys_close(fd);
	if (n != 6)
		return n < 0 ? (int)n : -EIO;
	return ksys_unlink("d/f");
}

/* Opened: empty (before the write) or the whole data, even after the
 * unlink; not there: ENOENT. */
static int open_read_f(struct racer *r, int i)
{
	char buf[8];
	ssize_t_k n;
	int fd;

	fd = ksys_open("d/f", O_RDONLY, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	n = ksys_read(fd, buf, sizeof(buf));
	ksys_close(fd);
	if (n == 0 || (n == 6 && !memcmp(buf, "data!!", 6)))
		return 0;
	return n < 0 ? (int)n : -EUCLEAN;
}

/* A listing of d names only "." ".." and "f". */
static int list_d(struct racer *r, int i)
{
	char buf[256];
	ssize_t_k n;
	int fd, err = 0;

	fd = ksys_open("d", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	while ((n = ksys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t_k pos = 0; pos < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + pos);

			if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
			    strcmp(d->d_name, "f"))
				err = -EUCLEAN;
			pos += d->d_reclen;
		}
	}
	ksys_close(fd);
	return n < 0 ? (int)n : err;
}

static void lookups_race_unlink(struct ktest *t)
{
	struct racer r[4] = {0};
	long dentries;

	KTEST_ASSERT_EQ(t, ksys_mkdir("d", 0755), 0);
	dentries = dentry_count();
	race_start(t, &r[0], create_write_unlink, "vfs-cwu");
	race_start(t, &r[1], open_read_f, "vfs-read1");
	race_start(t, &r[2], open_read_f, "vfs-read2");
	race_start(t, &r[3], list_d, "vfs-list");
	race_join(t, r, 4);
	KTEST_EXPECT_FALSE(t, vt_exists("d/f"));
	/* Every orphan and negative entry went with its last user. */
	KTEST_EXPECT_EQ(t, dentry_count(), dentries);
}

/* ---- cross-directory renames that could close a loop ---- */

static int move_a_into_b(struct racer *r, int i)
{
	int err = i % 2 ? ksys_rename("b/a", "a", 0) : ksys_rename("a", "b/a", 0);

	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

static int move_b_into_a(struct racer *r, int i)
{
	int err = i % 2 ? ksys_rename("a/b", "b", 0) : ksys_rename("b", "a/b", 0);

	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

static void cross_directory_renames_never_loop(struct ktest *t)
{
	struct racer r[2] = {0};
	bool top, a_in_b, b_in_a;

	KTEST_ASSERT_EQ(t, ksys_mkdir("a", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mkdir("b", 0755), 0);
	race_start(t, &r[0], move_a_into_b, "vfs-a-in-b");
	race_start(t, &r[1], move_b_into_a, "vfs-b-in-a");
	race_join(t, r, 2);
	KTEST_EXPECT_EQ(t, vt_check_tree(VT), 0);
	/* VFS4: the tree is one of the three shapes, never a cycle cut off
	 * from the root. */
	top = vt_exists("a") && vt_exists("b");
	a_in_b = !vt_exists("a") && vt_exists("b/a");
	b_in_a = !vt_exists("b") && vt_exists("a/b");
	KTEST_EXPECT_EQ(t, top + a_in_b + b_in_a, 1);
}

static const struct ktest_case vfs_race_cases[] = {
	KTEST_CASE(renames_and_lookups_in_one_directory),
	KTEST_CASE(lookups_race_unlink),
	KTEST_CASE(cross_directory_renames_never_loop),
	KTEST_END,
};

static const struct ktest_suite vfs_race_suite = {
	.name = "vfs_race",
	.init = vt_init,
	.exit = vt_exit,
	.cases = vfs_race_cases,
};
KTEST_SUITE(vfs_race_suite);

/* The same races on qlfs (a fresh mkfs per case, fsck clean after): the
 * file system's own locking (qlfs_lock_op(), dentry and node folios) under
 * the VFS's, with the flusher and the periodic checkpoint running. */
static const struct ktest_suite vfs_race_qlfs_suite = {
	.name = "vfs_race_qlfs",
	.init = vt_init_qlfs,
	.exit = vt_exit,
	.cases = vfs_race_cases,
};
KTEST_SUITE(vfs_race_qlfs_suite);
