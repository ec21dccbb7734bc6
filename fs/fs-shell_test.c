/*
 * fs/fs-shell_test.c - the shell's file commands (fs/fs-shell.c): what
 * they print, their error lines and their status, as a user types them.
 *
 * Each case runs in a fresh ramfs mounted on FSH_DIR, with the working
 * directory there (the suite's init and exit put everything back: the
 * working directory is everyone's).
 */
#include "fs-shell.h"
#include <quire/syscalls.h>
#include <quire/ktest.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>

#define FSH_DIR "/fsh_test"
#define OUT_LEN 4096

struct fsh_ctx {
	char out[OUT_LEN];
	char cwd[256];
};

/* Run @line, capturing what it prints; its status. */
static int run(struct ktest *t, const char *line)
{
	struct fsh_ctx *c = t->priv;

	return fsh_run_captured(c->out, sizeof(c->out), line);
}

/* Expect @line to succeed and print exactly @want. */
static void expect_out(struct ktest *t, const char *line, const char *want, int line_nr)
{
	struct fsh_ctx *c = t->priv;
	int ret = run(t, line);

	if (ret)
		ktest_fail(t, __FILE__, line_nr, "'%s' returned %s, printed \"%s\"", line,
			   errname(ret), c->out);
	else if (strcmp(c->out, want))
		ktest_fail(t, __FILE__, line_nr, "'%s' printed \"%s\", want \"%s\"", line,
			   c->out, want);
}
#define EXPECT_OUT(t, line, want) expect_out(t, line, want, __LINE__)

/* Expect @line to fail with @err and print exactly @want. */
static void expect_err(struct ktest *t, const char *line, int err, const char *want,
		       int line_nr)
{
	struct fsh_ctx *c = t->priv;
	int ret = run(t, line);

	if (ret != err)
		ktest_fail(t, __FILE__, line_nr, "'%s' returned %d, want %s", line, ret,
			   errname(err));
	if (strcmp(c->out, want))
		ktest_fail(t, __FILE__, line_nr, "'%s' printed \"%s\", want \"%s\"", line,
			   c->out, want);
}
#define EXPECT_ERR(t, line, err, want) expect_err(t, line, err, want, __LINE__)

static int fsh_init(struct ktest *t)
{
	struct fsh_ctx *c = kzalloc(sizeof(*c), GFP_KERNEL);
	int err;

	if (!c)
		return -ENOMEM;
	t->priv = c;
	err = ksys_getcwd(c->cwd, sizeof(c->cwd));
	if (err < 0)
		return err;
	err = ksys_mkdir(FSH_DIR, 0755);
	if (err && err != -EEXIST)
		return err;
	err = ksys_mount("none", FSH_DIR, "ramfs", 0, NULL);
	if (err)
		return err;
	return ksys_chdir(FSH_DIR);
}

static void fsh_exit(struct ktest *t)
{
	struct fsh_ctx *c = t->priv;

	fsh_capture(NULL, 0);
	if (!c)
		return;
	ksys_chdir(c->cwd[0] ? c->cwd : "/");
	ksys_umount(FSH_DIR, 0);
	ksys_rmdir(FSH_DIR);
	kfree(c);
}

static void write_then_cat_prints_the_text(struct ktest *t)
{
	EXPECT_OUT(t, "write f hello world", "");
	EXPECT_OUT(t, "cat f", "hello world\n");
	EXPECT_OUT(t, "write f bye", ""); /* replaced, not appended */
	EXPECT_OUT(t, "cat f f", "bye\nbye\n");
	EXPECT_ERR(t, "cat nothere", -ENOENT,
		   "cat: nothere: No such file or directory (ENOENT)\n");
	EXPECT_ERR(t, "cat", -EINVAL, "cat: usage: cat FILE...\n");
	EXPECT_ERR(t, "write f", -EINVAL, "write: usage: write FILE TEXT\n");
}

static void ls_lists_names_sorted_one_a_line(struct ktest *t)
{
	EXPECT_OUT(t, "ls", "");
	EXPECT_OUT(t, "write b x", "");
	EXPECT_OUT(t, "write a x", "");
	EXPECT_OUT(t, "mkdir d", "");
	EXPECT_OUT(t, "ls", "a\nb\nd\n");
	EXPECT_OUT(t, "ls .", "a\nb\nd\n");
	EXPECT_OUT(t, "ls a", "a\n");
	EXPECT_OUT(t, "write d/z x", "");
	EXPECT_OUT(t, "ls d a", "a\n\nd:\nz\n");
	EXPECT_OUT(t, "ls " FSH_DIR "/d", "z\n");
}

static void ls_errors_name_path_and_errno(struct ktest *t)
{
	EXPECT_ERR(t, "ls /nonexistent", -ENOENT,
		   "ls: /nonexistent: No such file or directory (ENOENT)\n");
	EXPECT_OUT(t, "write f x", "");
	EXPECT_ERR(t, "ls f/x", -ENOTDIR, "ls: f/x: Not a directory (ENOTDIR)\n");
	/* the first error is the status; the other operands still run */
	EXPECT_ERR(t, "ls nope f", -ENOENT,
		   "ls: nope: No such file or directory (ENOENT)\nf\n");
	EXPECT_ERR(t, "ls -z", -EINVAL, "ls: invalid option -- 'z'\n");
}

static void ls_long_shows_mode_links_size_and_target(struct ktest *t)
{
	EXPECT_OUT(t, "write f hello", "");
	EXPECT_OUT(t, "mkdir d", "");
	EXPECT_OUT(t, "ln -s f l", "");
	EXPECT_OUT(t, "ls -l",
		   "drwxr-xr-x   2          0 d\n"
		   "-rw-r--r--   1          6 f\n"
		   "lrwxrwxrwx   1          1 l -> f\n");
	EXPECT_OUT(t, "ls -l f", "-rw-r--r--   1          6 f\n");
}

static void mkdir_p_rmdir_and_their_errors(struct ktest *t)
{
	EXPECT_OUT(t, "mkdir -p a/b/c", "");
	EXPECT_OUT(t, "mkdir -p a/b/c", ""); /* exists: fine with -p */
	EXPECT_ERR(t, "mkdir a", -EEXIST, "mkdir: a: File exists (EEXIST)\n");
	EXPECT_ERR(t, "mkdir x/y", -ENOENT,
		   "mkdir: x/y: No such file or directory (ENOENT)\n");
	EXPECT_ERR(t, "rmdir a", -ENOTEMPTY,
		   "rmdir: a: Directory not empty (ENOTEMPTY)\n");
	EXPECT_OUT(t, "rmdir a/b/c a/b", "");
	EXPECT_OUT(t, "ls a", "");
	EXPECT_OUT(t, "write f x", "");
	EXPECT_ERR(t, "rmdir f", -ENOTDIR, "rmdir: f: Not a directory (ENOTDIR)\n");
	EXPECT_ERR(t, "mkdir -p f/g", -ENOTDIR,
		   "mkdir: f/g: Not a directory (ENOTDIR)\n");
}

static void cd_pwd_and_relative_paths(struct ktest *t)
{
	EXPECT_OUT(t, "pwd", FSH_DIR "\n");
	EXPECT_OUT(t, "mkdir -p a/b", "");
	EXPECT_OUT(t, "cd a/b", "");
	EXPECT_OUT(t, "pwd", FSH_DIR "/a/b\n");
	EXPECT_OUT(t, "write ../x up", "");
	EXPECT_OUT(t, "cat " FSH_DIR "/a/x", "up\n");
	EXPECT_OUT(t, "cd ..", "");
	EXPECT_OUT(t, "ls", "b\nx\n");
	EXPECT_ERR(t, "cd x", -ENOTDIR, "cd: x: Not a directory (ENOTDIR)\n");
	EXPECT_ERR(t, "cd nope", -ENOENT,
		   "cd: nope: No such file or directory (ENOENT)\n");
	EXPECT_OUT(t, "pwd", FSH_DIR "/a\n"); /* unchanged by the failures */
	EXPECT_OUT(t, "cd", "");
	EXPECT_OUT(t, "pwd", "/\n");
}

static void cp_and_mv_into_files_and_directories(struct ktest *t)
{
	EXPECT_OUT(t, "write f data", "");
	EXPECT_OUT(t, "mkdir d", "");
	EXPECT_OUT(t, "cp f g", "");
	EXPECT_OUT(t, "cat g", "data\n");
	EXPECT_OUT(t, "cp f d", "");
	EXPECT_OUT(t, "cat d/f", "data\n");
	EXPECT_OUT(t, "mv g d", "");
	EXPECT_OUT(t, "ls d", "f\ng\n");
	EXPECT_OUT(t, "mv d/g h", "");
	EXPECT_OUT(t, "cat h", "data\n");
	EXPECT_ERR(t, "cp d e", -EISDIR, "cp: d: Is a directory (EISDIR)\n");
	EXPECT_ERR(t, "cp nope e", -ENOENT,
		   "cp: nope: No such file or directory (ENOENT)\n");
	EXPECT_ERR(t, "mv nope e", -ENOENT,
		   "mv: nope: No such file or directory (ENOENT)\n");
	EXPECT_ERR(t, "mv d d/sub", -EINVAL, "mv: d: Invalid argument (EINVAL)\n");
	EXPECT_ERR(t, "cp f", -EINVAL, "cp: usage: cp SRC DST\n");
}

static void rm_files_and_trees(struct ktest *t)
{
	EXPECT_OUT(t, "mkdir -p d/e/f", "");
	EXPECT_OUT(t, "write d/x 1", "");
	EXPECT_OUT(t, "write d/e/y 2", "");
	EXPECT_OUT(t, "ln -s nowhere d/e/f/dangling", "");
	EXPECT_ERR(t, "rm d", -EISDIR, "rm: d: Is a directory (EISDIR)\n");
	EXPECT_ERR(t, "rm nope", -ENOENT,
		   "rm: nope: No such file or directory (ENOENT)\n");
	EXPECT_OUT(t, "rm d/x", "");
	EXPECT_OUT(t, "ls d", "e\n");
	EXPECT_OUT(t, "rm -r d", "");
	EXPECT_OUT(t, "ls", "");
	EXPECT_OUT(t, "mkdir -p s/t", "");
	EXPECT_OUT(t, "rm -r s/", ""); /* a trailing slash: the top goes too */
	EXPECT_OUT(t, "ls", "");
	EXPECT_ERR(t, "rm -r /", -EBUSY, "rm: /: Device or resource busy (EBUSY)\n");
	EXPECT_ERR(t, "rm -r nope", -ENOENT,
		   "rm: nope: No such file or directory (ENOENT)\n");
	EXPECT_ERR(t, "rm", -EINVAL, "rm: usage: rm [-r] PATH...\n");
}

static void ln_hard_and_symbolic(struct ktest *t)
{
	struct fsh_ctx *c = t->priv;

	EXPECT_OUT(t, "write f x", "");
	EXPECT_OUT(t, "ln f h", "");
	KTEST_EXPECT_EQ(t, run(t, "stat h"), 0);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "Links: 2"));
	EXPECT_OUT(t, "ln -s f s", "");
	EXPECT_OUT(t, "cat s", "x\n");
	EXPECT_ERR(t, "ln f h", -EEXIST, "ln: h: File exists (EEXIST)\n");
	EXPECT_OUT(t, "mkdir d", "");
	EXPECT_ERR(t, "ln d dd", -EPERM, "ln: dd: Operation not permitted (EPERM)\n");
	EXPECT_ERR(t, "ln -s", -EINVAL, "ln: usage: ln [-s] TARGET NAME\n");
}

static void stat_prints_gnu_layout(struct ktest *t)
{
	struct fsh_ctx *c = t->priv;

	EXPECT_OUT(t, "write f hello", "");
	KTEST_ASSERT_EQ(t, run(t, "stat f"), 0);
	KTEST_EXPECT_EQ(t, strncmp(c->out, "  File: f\n  Size: 6 ", 20), 0);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "regular file\n"));
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "Access: (0644/-rw-r--r--)\n"));
	EXPECT_OUT(t, "ln -s f l", "");
	KTEST_ASSERT_EQ(t, run(t, "stat l"), 0);
	KTEST_EXPECT_EQ(t, strncmp(c->out, "  File: l -> f\n", 15), 0);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "symbolic link\n"));
	EXPECT_ERR(t, "stat nope", -ENOENT,
		   "stat: nope: No such file or directory (ENOENT)\n");
}

static void truncate_and_hexdump_formats(struct ktest *t)
{
	EXPECT_OUT(t, "write h hello", "");
	EXPECT_OUT(
		t, "hexdump -C h",
		"00000000  68 65 6c 6c 6f 0a                                 |hello.|\n"
		"00000006\n");
	EXPECT_OUT(t, "hexdump h",
		   "0000000 6568 6c6c 0a6f                         \n"
		   "0000006\n");
	EXPECT_OUT(t, "truncate -s 3 h", "");
	EXPECT_OUT(t, "hexdump h",
		   "0000000 6568 006c                              \n"
		   "0000003\n");
	EXPECT_OUT(t, "truncate -s 64 z", ""); /* made, all zeros: repeats squeezed */
	EXPECT_OUT(
		t, "hexdump -C z",
		"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
		"*\n"
		"00000040\n");
	EXPECT_OUT(t, "truncate -s 40 z", "");
	EXPECT_OUT(t, "hexdump z",
		   "0000000 0000 0000 0000 0000 0000 0000 0000 0000\n"
		   "*\n"
		   "0000020 0000 0000 0000 0000                    \n"
		   "0000028\n");
	EXPECT_OUT(t, "truncate -s 0 z", "");
	EXPECT_OUT(t, "hexdump z", "");
	EXPECT_ERR(t, "truncate -s 1Q z", -EINVAL,
		   "truncate: invalid size '1Q' (N[KMG])\n");
	EXPECT_ERR(t, "truncate 5 z", -EINVAL,
		   "truncate: usage: truncate -s SIZE FILE\n");
	EXPECT_ERR(t, "hexdump -x z", -EINVAL,
		   "hexdump: invalid option '-x' (only -C)\n");
	EXPECT_ERR(t, "hexdump nope", -ENOENT,
		   "hexdump: nope: No such file or directory (ENOENT)\n");
	EXPECT_OUT(t, "mkdir d", "");
	EXPECT_ERR(t, "truncate -s 1 d", -EISDIR,
		   "truncate: d: Is a directory (EISDIR)\n");
}

static void fsync_df_and_mount_table(struct ktest *t)
{
	struct fsh_ctx *c = t->priv;

	EXPECT_OUT(t, "write f x", "");
	EXPECT_OUT(t, "fsync f", "");
	EXPECT_OUT(t, "fsync -d f", "");
	EXPECT_ERR(t, "fsync nope", -ENOENT,
		   "fsync: nope: No such file or directory (ENOENT)\n");
	EXPECT_ERR(t, "fsync -d nope", -ENOENT,
		   "fsync: nope: No such file or directory (ENOENT)\n");
	EXPECT_ERR(t, "fsync -x f", -EINVAL, "fsync: usage: fsync [-d] FILE\n");
	KTEST_ASSERT_EQ(t, run(t, "mount"), 0);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "none on " FSH_DIR " type ramfs (rw)\n"));
	KTEST_ASSERT_EQ(t, run(t, "df ."), 0);
	KTEST_EXPECT_EQ(t, strncmp(c->out, "Filesystem", 10), 0);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "Mounted on\n"));
	EXPECT_ERR(t, "df nope", -ENOENT,
		   "df: nope: No such file or directory (ENOENT)\n");
	EXPECT_OUT(t, "mkdir m", "");
	EXPECT_OUT(t, "mount none m ramfs -o ro", "");
	KTEST_ASSERT_EQ(t, run(t, "mount"), 0);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, " on " FSH_DIR "/m type ramfs (ro)\n"));
	EXPECT_ERR(t, "write m/f x", -EROFS,
		   "write: m/f: Read-only file system (EROFS)\n");
	EXPECT_ERR(t, "mount none m nosuchfs", -ENODEV,
		   "mount: unknown file system type 'nosuchfs' (ENODEV)\n");
	EXPECT_OUT(t, "umount m", "");
	EXPECT_ERR(t, "umount m", -EINVAL, "umount: m: Invalid argument (EINVAL)\n");
	EXPECT_ERR(t, "mount none", -EINVAL,
		   "mount: usage: mount [SRC DIR TYPE [-o ro]]\n");
}

static const struct ktest_case fsh_cases[] = {
	KTEST_CASE(write_then_cat_prints_the_text),
	KTEST_CASE(ls_lists_names_sorted_one_a_line),
	KTEST_CASE(ls_errors_name_path_and_errno),
	KTEST_CASE(ls_long_shows_mode_links_size_and_target),
	KTEST_CASE(mkdir_p_rmdir_and_their_errors),
	KTEST_CASE(cd_pwd_and_relative_paths),
	KTEST_CASE(cp_and_mv_into_files_and_directories),
	KTEST_CASE(rm_files_and_trees),
	KTEST_CASE(ln_hard_and_symbolic),
	KTEST_CASE(stat_prints_gnu_layout),
	KTEST_CASE(truncate_and_hexdump_formats),
	KTEST_CASE(fsync_df_and_mount_table),
	KTEST_END,
};

static const struct ktest_suite fsh_suite = {
	.name = "shell_files",
	.init = fsh_init,
	.exit = fsh_exit,
	.cases = fsh_cases,
};
KTEST_SUITE(fsh_suite);
