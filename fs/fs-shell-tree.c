/*
 * fs/fs-shell-tree.c - the shell's file commands that change or walk the
 * tree: cp, mv, rm, mkdir, rmdir, ln, mount, umount, df, cd, pwd.
 * docs/shell.md.
 *
 * Layer: fs (user interface). Used by: the shell, fs/fs-shell_test.c.
 * Provides: the commands above, on fs/fs-shell.c's output and error
 * helpers (one line per failure: "rm: d: Is a directory (EISDIR)").
 * Not here: cp -r, mv across file systems (EXDEV is reported), rm -i/-f's
 * prompts (-f is accepted and changes nothing: there are no prompts).
 *
 * Locking: none of its own; runs in the shell's thread and may sleep.
 */
#include "fs-shell.h"
#include <quire/syscalls.h>
#include <quire/mount.h>
#include <quire/shell.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>

/* Where `cp SRC DST` and `mv SRC DST` put SRC: DST, or DST/basename(SRC)
 * when DST is a directory. */
static int fsh_target(char *buf, size_t size, const char *src, const char *dst)
{
	if (fsh_is_dir(dst))
		return fsh_join(buf, size, dst, fsh_basename(src));
	return strscpy_len(buf, dst, size) < size ? 0 : -ENAMETOOLONG;
}

/* ---- cp, mv, rm, mkdir, rmdir, ln ---- */

static int fsh_copy(const char *cmd, const char *src, const char *dst)
{
	char *buf = kmalloc(FSH_BUF, GFP_KERNEL);
	int in, out, err = 0;
	ssize_t_k n;

	if (!buf)
		return fsh_err(cmd, src, -ENOMEM);
	in = ksys_open(src, O_RDONLY, 0);
	if (in < 0) {
		kfree(buf);
		return fsh_err(cmd, src, in);
	}
	out = ksys_open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		ksys_close(in);
		kfree(buf);
		return fsh_err(cmd, dst, out);
	}
	while ((n = ksys_read(in, buf, FSH_BUF)) > 0 && !err)
		err = fsh_write_all(out, buf, n);
	if (n < 0)
		err = fsh_err(cmd, src, n);
	else if (err)
		err = fsh_err(cmd, dst, err);
	ksys_close(in);
	n = ksys_close(out);
	if (n && !err)
		err = fsh_err(cmd, dst, n);
	kfree(buf);
	return err;
}

static int cmd_cp(int argc, char **argv)
{
	char dst[PATH_MAX / 4];
	struct kstat st;
	int err;

	if (argc != 3)
		return fsh_usage(argv[0], "usage: cp SRC DST");
	err = ksys_stat(argv[1], &st);
	if (err)
		return fsh_err(argv[0], argv[1], err);
	if (S_ISDIR(st.mode))
		return fsh_err(argv[0], argv[1], -EISDIR);
	err = fsh_target(dst, sizeof(dst), argv[1], argv[2]);
	if (err)
		return fsh_err(argv[0], argv[2], err);
	return fsh_copy(argv[0], argv[1], dst);
}
SHELL_COMMAND(cp, "cp", "cp SRC DST", "copy a file (into DST if it is a directory)",
	      cmd_cp);

static int cmd_mv(int argc, char **argv)
{
	char dst[PATH_MAX / 4];
	int err;

	if (argc != 3)
		return fsh_usage(argv[0], "usage: mv SRC DST");
	err = fsh_target(dst, sizeof(dst), argv[1], argv[2]);
	if (!err)
		err = ksys_rename(argv[1], dst, 0);
	return err ? fsh_err(argv[0], argv[1], err) : 0;
}
SHELL_COMMAND(mv, "mv", "mv SRC DST", "rename (into DST if it is a directory)", cmd_mv);

static void rm_first(void *arg, const struct linux_dirent64 *d)
{
	char *name = arg;

	if (!name[0])
		strscpy_len(name, d->d_name, NAME_MAX + 1);
}

/* The first entry of directory @path in @name ("" if empty). */
static int rm_first_entry(const char *path, char *name, char *buf)
{
	int fd = ksys_open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	ssize_t_k got = 0;

	if (fd < 0)
		return fd;
	name[0] = '\0';
	while (!name[0] && (got = fsh_getdents(fd, buf, 4096, rm_first, name)) > 0)
		;
	ksys_close(fd);
	return got < 0 ? got : 0;
}

/* rm -r of @top without recursion: go down to a first entry, remove what
 * can be, come back up; one path buffer whatever the depth. */
static int rm_tree(const char *top)
{
	char *path = kmalloc(PATH_MAX, GFP_KERNEL), *buf = kmalloc(4096, GFP_KERNEL);
	char name[NAME_MAX + 1];
	size_t toplen;
	int err = -ENOMEM;

	if (!path || !buf)
		goto out;
	if (strscpy_len(path, top, PATH_MAX) >= PATH_MAX) {
		err = -ENAMETOOLONG;
		goto out_path;
	}
	/* "d/" is "d": the walk back up stops at the top's own length. */
	for (toplen = strlen(path); toplen > 1 && path[toplen - 1] == '/'; toplen--)
		path[toplen - 1] = '\0';
	if (!strcmp(path, "/")) {
		err = -EBUSY; /* GNU rm refuses it too */
		goto out_path;
	}
	for (;;) {
		err = ksys_unlink(path);
		if (err == -EISDIR) {
			err = rm_first_entry(path, name, buf);
			if (err)
				break;
			if (name[0]) {
				err = fsh_join(path, PATH_MAX, path, name);
				if (err)
					break;
				continue;
			}
			err = ksys_rmdir(path);
		}
		if (err || strlen(path) <= toplen)
			break;
		*strrchr(path, '/') = '\0'; /* back to the parent */
	}
out_path:
	if (err)
		fsh_err("rm", path, err);
out:
	if (err == -ENOMEM && (!path || !buf))
		fsh_err("rm", top, err);
	kfree(path);
	kfree(buf);
	return err;
}

static int cmd_rm(int argc, char **argv)
{
	int optind, err = 0;
	long opts = fsh_options(argc, argv, "rf", &optind);

	if (opts < 0)
		return opts;
	if (optind == argc)
		return fsh_usage(argv[0], "usage: rm [-r] PATH...");
	for (int i = optind; i < argc; i++) {
		int e;

		if (opts & OPT('r')) {
			fsh_keep(&err, rm_tree(argv[i]));
			continue;
		}
		e = ksys_unlink(argv[i]);
		if (e)
			fsh_keep(&err, fsh_err(argv[0], argv[i], e));
	}
	return err;
}
SHELL_COMMAND(rm, "rm", "rm [-r] PATH...",
	      "remove files (-r: directories and their contents)", cmd_rm);

/* mkdir -p: each missing component of @path in turn. */
static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX / 4];
	size_t len = strscpy_len(buf, path, sizeof(buf));

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	for (size_t i = 1; i <= len; i++) {
		int err;

		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		err = ksys_mkdir(buf, 0755);
		/* Something that is not a directory: the next mkdir says
		 * ENOTDIR; the last component says EEXIST. */
		if (err == -EEXIST && (fsh_is_dir(buf) || i < len))
			err = 0;
		if (err)
			return err;
		buf[i] = i < len ? '/' : '\0';
		while (i < len && buf[i + 1] == '/')
			i++;
	}
	return 0;
}

static int cmd_mkdir(int argc, char **argv)
{
	int optind, err = 0;
	long opts = fsh_options(argc, argv, "p", &optind);

	if (opts < 0)
		return opts;
	if (optind == argc)
		return fsh_usage(argv[0], "usage: mkdir [-p] DIR...");
	for (int i = optind; i < argc; i++) {
		int e = (opts & OPT('p')) ? mkdir_parents(argv[i]) :
					    ksys_mkdir(argv[i], 0755);

		if (e)
			fsh_keep(&err, fsh_err(argv[0], argv[i], e));
	}
	return err;
}
SHELL_COMMAND(mkdir, "mkdir", "mkdir [-p] DIR...", "make directories (-p: with parents)",
	      cmd_mkdir);

static int cmd_rmdir(int argc, char **argv)
{
	int err = 0;

	if (argc < 2)
		return fsh_usage(argv[0], "usage: rmdir DIR...");
	for (int i = 1; i < argc; i++) {
		int e = ksys_rmdir(argv[i]);

		if (e)
			fsh_keep(&err, fsh_err(argv[0], argv[i], e));
	}
	return err;
}
SHELL_COMMAND(rmdir, "rmdir", "rmdir DIR...", "remove empty directories", cmd_rmdir);

static int cmd_ln(int argc, char **argv)
{
	int optind, err;
	long opts = fsh_options(argc, argv, "s", &optind);

	if (opts < 0)
		return opts;
	if (argc - optind != 2)
		return fsh_usage(argv[0], "usage: ln [-s] TARGET NAME");
	if (opts & OPT('s'))
		err = ksys_symlink(argv[optind], argv[optind + 1]);
	else
		err = ksys_link(argv[optind], argv[optind + 1]);
	return err ? fsh_err(argv[0], argv[optind + 1], err) : 0;
}
SHELL_COMMAND(ln, "ln", "ln [-s] TARGET NAME", "make a hard link (-s: a symbolic link)",
	      cmd_ln);

/* ---- df ---- */

static void df_header(void)
{
	fsh_printf("%-16s %10s %10s %10s %4s %s\n", "Filesystem", "1K-blocks", "Used",
		   "Available", "Use%", "Mounted on");
}

static int df_one(const char *source, const char *path, bool *header)
{
	struct kstatfs sf;
	u64 total, used, avail, pct;
	int err = ksys_statfs(path, &sf);

	if (err)
		return fsh_err("df", path, err);
	if (!*header)
		df_header();
	*header = true;
	total = sf.f_blocks * sf.f_bsize / 1024;
	used = (sf.f_blocks - min(sf.f_bfree, sf.f_blocks)) * sf.f_bsize / 1024;
	avail = sf.f_bavail * sf.f_bsize / 1024;
	/* df's rounding: up, of used / (used + available). */
	pct = used + avail ? (used * 100 + used + avail - 1) / (used + avail) : 0;
	if (used + avail)
		fsh_printf("%-16s %10llu %10llu %10llu %3llu%% %s\n", source,
			   (unsigned long long)total, (unsigned long long)used,
			   (unsigned long long)avail, (unsigned long long)pct, path);
	else
		fsh_printf("%-16s %10llu %10llu %10llu %4s %s\n", source,
			   (unsigned long long)total, (unsigned long long)used,
			   (unsigned long long)avail, "-", path);
	return 0;
}

struct df_state {
	int err;
	bool header;
};

static int df_mount(void *arg, const char *source, const char *path, const char *fstype,
		    int mnt_flags)
{
	struct df_state *s = arg;

	fsh_keep(&s->err, df_one(source, path, &s->header));
	return 0;
}

struct df_find {
	const char *abs; /* the absolute path asked about */
	char source[64], where[PATH_MAX / 8];
	size_t best; /* length of the longest mount point matched */
};

/* Is mount point @mnt a prefix of @abs, component by component? */
static bool df_covers(const char *mnt, const char *abs)
{
	size_t n = strlen(mnt);

	if (n == 1 && mnt[0] == '/')
		return true;
	return !strncmp(mnt, abs, n) && (abs[n] == '/' || abs[n] == '\0');
}

static int df_match(void *arg, const char *source, const char *path, const char *fstype,
		    int mnt_flags)
{
	struct df_find *f = arg;
	size_t n = strlen(path);

	if (df_covers(path, f->abs) && (n >= f->best || !f->best)) {
		f->best = n;
		strscpy_len(f->source, source, sizeof(f->source));
		strscpy_len(f->where, path, sizeof(f->where));
	}
	return 0;
}

/* df PATH: the mount holding PATH (the last mounted of the longest mount
 * point above it; symlinks in PATH are not followed for this). */
static int df_path(const char *path, bool *header)
{
	struct df_find *f = kzalloc(sizeof(*f), GFP_KERNEL);
	char *abs = kmalloc(PATH_MAX, GFP_KERNEL);
	struct kstatfs sf;
	int err = -ENOMEM;

	if (!f || !abs)
		goto out;
	err = ksys_statfs(path, &sf); /* ENOENT etc. first, as df */
	if (err)
		goto out;
	if (path[0] == '/') {
		strscpy_len(abs, path, PATH_MAX);
	} else {
		err = ksys_getcwd(abs, PATH_MAX);
		if (err < 0 || fsh_join(abs, PATH_MAX, abs, path))
			goto out;
	}
	f->abs = abs;
	iterate_mounts(df_match, f);
	err = df_one(f->best ? f->source : path, f->best ? f->where : path, header);
	kfree(f);
	kfree(abs);
	return err;
out:
	kfree(f);
	kfree(abs);
	return fsh_err("df", path, err < 0 ? err : -ENOMEM);
}

/* df [PATH]: every mount, or the file system holding PATH. */
static int cmd_df(int argc, char **argv)
{
	struct df_state s = {0};

	if (argc > 2)
		return fsh_usage(argv[0], "usage: df [PATH]");
	if (argc == 2)
		return df_path(argv[1], &s.header);
	iterate_mounts(df_mount, &s);
	return s.err;
}
SHELL_COMMAND(df, "df", "df [PATH]", "file system space: 1K blocks, used, available",
	      cmd_df);

/* ---- mount, umount, cd, pwd ---- */

static int mount_show(void *arg, const char *source, const char *path, const char *fstype,
		      int mnt_flags)
{
	fsh_printf("%s on %s type %s (%s)\n", source, path, fstype,
		   (mnt_flags & MNT_READONLY) ? "ro" : "rw");
	return 0;
}

/* mount: the table, as Linux's mount(8) prints it; mount SRC DIR TYPE
 * [-o ro|rw]: mount one. */
static int cmd_mount(int argc, char **argv)
{
	unsigned long flags = 0;
	int err;

	if (argc == 1)
		return iterate_mounts(mount_show, NULL);
	if (argc == 6 && !strcmp(argv[4], "-o") &&
	    (!strcmp(argv[5], "ro") || !strcmp(argv[5], "rw")))
		flags = !strcmp(argv[5], "ro") ? MS_RDONLY : 0;
	else if (argc != 4)
		return fsh_usage(argv[0], "usage: mount [SRC DIR TYPE [-o ro]]");
	err = ksys_mount(argv[1], argv[2], argv[3], flags, NULL);
	if (err == -ENODEV) {
		fsh_usage(argv[0], "unknown file system type '%s' (ENODEV)", argv[3]);
		return err;
	}
	return err ? fsh_err(argv[0], argv[2], err) : 0;
}
SHELL_COMMAND(mount, "mount", "mount [SRC DIR TYPE [-o ro]]",
	      "list mounts, or mount SRC (a disk, or none) on DIR", cmd_mount);

static int cmd_umount(int argc, char **argv)
{
	int err;

	if (argc != 2)
		return fsh_usage(argv[0], "usage: umount DIR");
	err = ksys_umount(argv[1], 0);
	return err ? fsh_err(argv[0], argv[1], err) : 0;
}
SHELL_COMMAND(umount, "umount", "umount DIR", "unmount the file system mounted on DIR",
	      cmd_umount);

static int cmd_cd(int argc, char **argv)
{
	const char *dir = argc == 2 ? argv[1] : "/";
	int err;

	if (argc > 2)
		return fsh_usage(argv[0], "usage: cd [DIR]");
	err = ksys_chdir(dir);
	return err ? fsh_err(argv[0], dir, err) : 0;
}
SHELL_COMMAND(cd, "cd", "cd [DIR]", "change the working directory (default /)", cmd_cd);

static int cmd_pwd(int argc, char **argv)
{
	char buf[PATH_MAX / 4];
	int err;

	if (argc != 1)
		return fsh_usage(argv[0], "takes no arguments");
	err = ksys_getcwd(buf, sizeof(buf));
	if (err < 0)
		return fsh_err(argv[0], ".", err);
	fsh_printf("%s\n", buf);
	return 0;
}
SHELL_COMMAND(pwd, "pwd", "pwd", "print the working directory", cmd_pwd);
