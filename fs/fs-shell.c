/*
 * fs/fs-shell.c - the shell's file commands that read and write files:
 * ls, cat, write, hexdump, stat, fsync, truncate; and what every file
 * command shares (output, error lines, options). docs/shell.md.
 *
 * Layer: fs (user interface). Used by: the shell, fs/fs-shell-tree.c,
 * fs/fs-shell_test.c.
 * Provides: the commands above; fsh_printf(), fsh_err(), fsh_usage(),
 * fsh_options() ... (fs/fs-shell.h); fsh_capture(), fsh_run(),
 * fsh_run_captured(), fsh_has() for tests.
 * The commands that change the tree (cp, mv, rm, mkdir, rmdir, ln, mount,
 * umount, df, cd, pwd) are in fs/fs-shell-tree.c.
 * Not here: globbing, users, wall-clock times (Quire keeps none), ls's
 * columns (one name a line, as ls prints into a pipe), cp -r, mv across
 * file systems (EXDEV is reported).
 *
 * Each command goes through the ksys_* calls only (include/quire/
 * syscalls.h), so it sees what any caller sees: relative paths start at
 * the working directory `cd` sets. A failure prints one line naming the
 * command, the path and the error as coreutils does, with the errno's
 * name added:
 *
 *   ls: /x: No such file or directory (ENOENT)
 *
 * and the command goes on with its next argument; its status is the
 * first error (the shell's exit status for scripts).
 *
 * Locking: none of its own; runs in the shell's thread and may sleep.
 */
#include "fs-shell.h"
#include <quire/syscalls.h>
#include <quire/shell.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>

#define FSH_MAX_ENTS   4096		 /* names ls sorts in one directory */
#define LLONG_MAX_LOFF ((u64)~0ULL >> 1) /* largest loff_t */

/* ---- output: the console, or the tests' capture buffer ---- */

static char *cap_buf;
static size_t cap_size, cap_len;

void fsh_capture(char *buf, size_t size)
{
	cap_buf = buf;
	cap_size = size;
	cap_len = 0;
	if (buf && size)
		buf[0] = '\0';
}

void fsh_write(const char *s, size_t len)
{
	size_t n;

	if (!cap_buf) {
		console_write(s, len);
		return;
	}
	n = min(len, cap_size - 1 - cap_len);
	memcpy(cap_buf + cap_len, s, n);
	cap_len += n;
	cap_buf[cap_len] = '\0';
}

void fsh_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fsh_write(buf, n);
}

const char *fsh_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM:
		return "Operation not permitted";
	case ENOENT:
		return "No such file or directory";
	case EIO:
		return "Input/output error";
	case ENXIO:
		return "No such device or address";
	case EBADF:
		return "Bad file descriptor";
	case ENOMEM:
		return "Cannot allocate memory";
	case EACCES:
		return "Permission denied";
	case EBUSY:
		return "Device or resource busy";
	case EEXIST:
		return "File exists";
	case EXDEV:
		return "Invalid cross-device link";
	case ENODEV:
		return "No such device";
	case ENOTDIR:
		return "Not a directory";
	case EISDIR:
		return "Is a directory";
	case EINVAL:
		return "Invalid argument";
	case EMFILE:
		return "Too many open files";
	case EFBIG:
		return "File too large";
	case ENOSPC:
		return "No space left on device";
	case ESPIPE:
		return "Illegal seek";
	case EROFS:
		return "Read-only file system";
	case EMLINK:
		return "Too many links";
	case ERANGE:
		return "Numerical result out of range";
	case ENAMETOOLONG:
		return "File name too long";
	case ENOSYS:
		return "Function not implemented";
	case ENOTEMPTY:
		return "Directory not empty";
	case ELOOP:
		return "Too many levels of symbolic links";
	case EOPNOTSUPP:
		return "Operation not supported";
	case EUCLEAN:
		return "Structure needs cleaning";
	}
	return "Unknown error";
}

/* "cmd: what: Reason (ENAME)"; returns @err for the caller to pass on. */
int fsh_err(const char *cmd, const char *what, int err)
{
	char msg[PATH_MAX / 8 + 64];

	scnprintf(msg, sizeof(msg), "%s: %s (%s)", what, fsh_strerror(err), errname(err));
	if (cap_buf)
		fsh_printf("%s: %s\n", cmd, msg);
	else
		shell_error(cmd, "%s", msg);
	return err;
}

/* A usage or argument error: "cmd: msg". Returns -EINVAL. */
int fsh_usage(const char *cmd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cap_buf)
		fsh_printf("%s: %s\n", cmd, msg);
	else
		shell_error(cmd, "%s", msg);
	return -EINVAL;
}

/* Keep the first error of a command that goes on after failures. */
void fsh_keep(int *first, int err)
{
	if (err && !*first)
		*first = err;
}

/* Options in argv[1..] (single letters from @allowed, "-lr" style, up to
 * the first non-option or "--"): a bitmask of letters ('a' is bit 0), or
 * -EINVAL after printing why. *@optind is the first operand. */
long fsh_options(int argc, char **argv, const char *allowed, int *optind)
{
	long mask = 0;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		for (const char *c = argv[i] + 1; *c; c++) {
			if (*c < 'a' || *c > 'z' || !strchr(allowed, *c))
				return fsh_usage(argv[0], "invalid option -- '%c'", *c);
			mask |= 1L << (*c - 'a');
		}
	}
	*optind = i;
	return mask;
}

/* ---- helpers ---- */

const char *fsh_basename(const char *path)
{
	const char *end = path + strlen(path), *s;

	while (end > path + 1 && end[-1] == '/')
		end--;
	for (s = end; s > path && s[-1] != '/'; s--)
		;
	return s;
}

/* @dir/@name in @buf; -ENAMETOOLONG if it does not fit. */
int fsh_join(char *buf, size_t size, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	bool slash = dl && dir[dl - 1] != '/';

	if (dl + slash + nl + 1 > size)
		return -ENAMETOOLONG;
	memmove(buf, dir, dl); /* @buf may be @dir */
	if (slash)
		buf[dl++] = '/';
	memcpy(buf + dl, name, nl + 1);
	return 0;
}

/* Is @path an existing directory (following symlinks)? */
bool fsh_is_dir(const char *path)
{
	struct kstat st;

	return !ksys_stat(path, &st) && S_ISDIR(st.mode);
}

/* Read one batch of directory entries of @fd into @buf; calls @fn for
 * each name but "." and "..". Returns the bytes read (0 at the end) or
 * -errno. */
ssize_t_k fsh_getdents(int fd, char *buf, size_t size,
		       void (*fn)(void *arg, const struct linux_dirent64 *d), void *arg)
{
	ssize_t_k got = ksys_getdents64(fd, buf, size);

	for (ssize_t_k off = 0; got > 0 && off < got;) {
		struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);

		if (d->d_reclen == 0 || off + d->d_reclen > got)
			return -EIO; /* the VFS broke its record format */
		off += d->d_reclen;
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			fn(arg, d);
	}
	return got;
}

/* ---- ls ---- */

struct ls_list {
	char **names;
	unsigned int n;
	bool full;
};

static void ls_collect(void *arg, const struct linux_dirent64 *d)
{
	struct ls_list *l = arg;
	size_t len = strlen(d->d_name) + 1;
	char *name;

	if (l->n == FSH_MAX_ENTS) {
		l->full = true;
		return;
	}
	name = kmalloc(len, GFP_KERNEL);
	if (!name) {
		l->full = true;
		return;
	}
	memcpy(name, d->d_name, len);
	l->names[l->n++] = name;
}

static void ls_sort(char **v, unsigned int n)
{
	for (unsigned int gap = n / 2; gap; gap /= 2)
		for (unsigned int i = gap; i < n; i++)
			for (unsigned int j = i; j >= gap && strcmp(v[j - gap], v[j]) > 0;
			     j -= gap) {
				char *t = v[j];

				v[j] = v[j - gap];
				v[j - gap] = t;
			}
}

static void fsh_mode_string(umode_t mode, char *s)
{
	static const char rwx[] = "rwxrwxrwx";
	char type;

	switch (mode & S_IFMT) {
	case S_IFDIR:
		type = 'd';
		break;
	case S_IFLNK:
		type = 'l';
		break;
	case S_IFCHR:
		type = 'c';
		break;
	case S_IFBLK:
		type = 'b';
		break;
	case S_IFIFO:
		type = 'p';
		break;
	case S_IFSOCK:
		type = 's';
		break;
	default:
		type = '-';
		break;
	}
	s[0] = type;
	for (int i = 0; i < 9; i++)
		s[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
	s[10] = '\0';
}

/* One `ls -l` line: mode, links, size (or MAJOR, MINOR), name [-> target]. */
static int ls_long(const char *path, const char *name)
{
	struct kstat st;
	char mode[11], size[32], target[256];
	int err = ksys_lstat(path, &st);

	if (err)
		return fsh_err("ls", path, err);
	fsh_mode_string(st.mode, mode);
	if (S_ISCHR(st.mode) || S_ISBLK(st.mode))
		scnprintf(size, sizeof(size), "%u, %u", MAJOR(st.rdev), MINOR(st.rdev));
	else
		scnprintf(size, sizeof(size), "%lld", (long long)st.size);
	fsh_printf("%s %3u %10s %s", mode, st.nlink, size, name);
	if (S_ISLNK(st.mode)) {
		ssize_t_k n = ksys_readlink(path, target, sizeof(target) - 1);

		if (n >= 0) {
			target[n] = '\0';
			fsh_printf(" -> %s", target);
		}
	}
	fsh_printf("\n");
	return 0;
}

static int ls_dir(const char *path, bool lng)
{
	struct ls_list l = {0};
	char *buf = kmalloc(FSH_BUF, GFP_KERNEL), *child = NULL;
	int fd, err = 0;
	ssize_t_k got;

	l.names = kcalloc(FSH_MAX_ENTS, sizeof(*l.names), GFP_KERNEL);
	if (lng)
		child = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf || !l.names || (lng && !child)) {
		err = fsh_err("ls", path, -ENOMEM);
		goto out;
	}
	fd = ksys_open(path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0) {
		err = fsh_err("ls", path, fd);
		goto out;
	}
	while ((got = fsh_getdents(fd, buf, FSH_BUF, ls_collect, &l)) > 0)
		;
	ksys_close(fd);
	if (got < 0) {
		err = fsh_err("ls", path, got);
		goto out;
	}
	ls_sort(l.names, l.n);
	for (unsigned int i = 0; i < l.n; i++) {
		if (!lng) {
			fsh_printf("%s\n", l.names[i]);
			continue;
		}
		if (fsh_join(child, PATH_MAX, path, l.names[i]))
			fsh_keep(&err, fsh_err("ls", l.names[i], -ENAMETOOLONG));
		else
			fsh_keep(&err, ls_long(child, l.names[i]));
	}
	if (l.full)
		err = fsh_usage("ls", "%s: more than %u entries, the rest not shown",
				path, FSH_MAX_ENTS);
out:
	for (unsigned int i = 0; l.names && i < l.n; i++)
		kfree(l.names[i]);
	kfree(l.names);
	kfree(buf);
	kfree(child);
	return err;
}

/* An operand as ls sees it: -l shows a symlink itself, unless it leads
 * to a directory (then its list, as GNU ls does for operands). */
static int ls_stat(const char *path, bool lng, struct kstat *st)
{
	int e = lng ? ksys_lstat(path, st) : ksys_stat(path, st);

	if (!e && lng && S_ISLNK(st->mode) && fsh_is_dir(path))
		e = ksys_stat(path, st);
	return e;
}

/* ls [-l] [PATH...]: a directory's names sorted, one a line; a file's own
 * name. Several operands: "PATH:" before each directory's list. */
static int cmd_ls(int argc, char **argv)
{
	int optind, err = 0, shown = 0;
	long opts = fsh_options(argc, argv, "l", &optind);
	bool lng = opts > 0 && (opts & OPT('l'));
	int nops = argc - optind;

	if (opts < 0)
		return opts;
	if (!nops)
		return ls_dir(".", lng);
	/* Files first, then directories (GNU ls's order). */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = optind; i < argc; i++) {
			struct kstat st;
			int e = ls_stat(argv[i], lng, &st);

			if (e) {
				if (pass == 0)
					fsh_keep(&err, fsh_err(argv[0], argv[i], e));
				continue;
			}
			if (pass == 0 && !S_ISDIR(st.mode)) {
				if (lng)
					fsh_keep(&err, ls_long(argv[i], argv[i]));
				else
					fsh_printf("%s\n", argv[i]);
				shown++;
			} else if (pass == 1 && S_ISDIR(st.mode)) {
				if (nops > 1)
					fsh_printf("%s%s:\n", shown++ ? "\n" : "",
						   argv[i]);
				fsh_keep(&err, ls_dir(argv[i], lng));
			}
		}
	}
	return err;
}
SHELL_COMMAND(ls, "ls", "ls [-l] [PATH...]", "list a directory (-l: mode, links, size)",
	      cmd_ls);

/* ---- cat, write, hexdump ---- */

/* Call @fn on each chunk of file @path. */
static int fsh_read_file(const char *cmd, const char *path,
			 int (*fn)(void *arg, const char *buf, size_t len, loff_t pos),
			 void *arg)
{
	char *buf = kmalloc(FSH_BUF, GFP_KERNEL);
	loff_t pos = 0;
	ssize_t_k n;
	int fd, err = 0;

	if (!buf)
		return fsh_err(cmd, path, -ENOMEM);
	fd = ksys_open(path, O_RDONLY, 0);
	if (fd < 0) {
		kfree(buf);
		return fsh_err(cmd, path, fd);
	}
	while ((n = ksys_read(fd, buf, FSH_BUF)) > 0) {
		err = fn(arg, buf, n, pos);
		if (err)
			break;
		pos += n;
	}
	if (n < 0)
		err = fsh_err(cmd, path, n);
	ksys_close(fd);
	kfree(buf);
	return err;
}

static int cat_chunk(void *arg, const char *buf, size_t len, loff_t pos)
{
	fsh_write(buf, len);
	return 0;
}

static int cmd_cat(int argc, char **argv)
{
	int err = 0;

	if (argc < 2)
		return fsh_usage(argv[0], "usage: cat FILE...");
	for (int i = 1; i < argc; i++)
		fsh_keep(&err, fsh_read_file(argv[0], argv[i], cat_chunk, NULL));
	return err;
}
SHELL_COMMAND(cat, "cat", "cat FILE...", "print files", cmd_cat);

/* Write all of @buf to @fd; -errno on a failure or a short write. */
int fsh_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t_k n = ksys_write(fd, buf, len);

		if (n < 0)
			return n;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/* write FILE TEXT...: the words joined by spaces and a newline, as
 * `echo TEXT > FILE` (created, or replaced). */
static int cmd_write(int argc, char **argv)
{
	int fd, err = 0;

	if (argc < 3)
		return fsh_usage(argv[0], "usage: write FILE TEXT");
	fd = ksys_open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fsh_err(argv[0], argv[1], fd);
	for (int i = 2; i < argc && !err; i++) {
		err = fsh_write_all(fd, argv[i], strlen(argv[i]));
		if (!err)
			err = fsh_write_all(fd, i + 1 < argc ? " " : "\n", 1);
	}
	fsh_keep(&err, ksys_close(fd));
	return err ? fsh_err(argv[0], argv[1], err) : 0;
}
SHELL_COMMAND(write, "write", "write FILE TEXT",
	      "write TEXT and a newline to FILE (replaced)", cmd_write);

struct hexdump_state {
	bool canonical;
	bool squeezing; /* "*" printed for repeats of prev */
	bool have_prev;
	u8 prev[16];
	u8 line[16];
	unsigned int fill; /* bytes in line */
	loff_t line_pos;   /* offset of line[0] */
};

static void hexdump_line(struct hexdump_state *h)
{
	unsigned int n = h->fill;

	if (h->have_prev && n == 16 && !memcmp(h->prev, h->line, 16)) {
		if (!h->squeezing)
			fsh_printf("*\n");
		h->squeezing = true;
		return;
	}
	h->squeezing = false;
	if (h->canonical) {
		char hex[16 * 3 + 2] = "", ascii[17];
		size_t len = 0;

		for (unsigned int i = 0; i < 16; i++) {
			if (i < n)
				len += scnprintf(hex + len, sizeof(hex) - len, "%02x ",
						 h->line[i]);
			else
				len += scnprintf(hex + len, sizeof(hex) - len, "   ");
			if (i == 7)
				len += scnprintf(hex + len, sizeof(hex) - len, " ");
			if (i < n)
				ascii[i] = h->line[i] >= 0x20 && h->line[i] < 0x7f ?
						   h->line[i] :
						   '.';
		}
		ascii[n] = '\0';
		fsh_printf("%08llx  %s |%s|\n", (unsigned long long)h->line_pos, hex,
			   ascii);
	} else {
		fsh_printf("%07llx", (unsigned long long)h->line_pos);
		for (unsigned int i = 0; i < 16; i += 2) {
			if (i < n)
				fsh_printf(" %02x%02x", i + 1 < n ? h->line[i + 1] : 0,
					   h->line[i]);
			else
				fsh_printf("     "); /* hexdump pads a short line */
		}
		fsh_printf("\n");
	}
	memcpy(h->prev, h->line, 16);
	h->have_prev = true;
}

static int hexdump_chunk(void *arg, const char *buf, size_t len, loff_t pos)
{
	struct hexdump_state *h = arg;

	for (size_t i = 0; i < len; i++) {
		h->line[h->fill++] = buf[i];
		if (h->fill == 16) {
			hexdump_line(h);
			h->line_pos += 16;
			h->fill = 0;
		}
	}
	return 0;
}

/* hexdump [-C] FILE: hexdump(1)'s default (16-bit words) or canonical
 * (-C: hex bytes and |ASCII|) format; repeated lines become "*"; the
 * last line is the length. */
static int cmd_hexdump(int argc, char **argv)
{
	struct hexdump_state h = {0};
	int optind = 1, err;

	if (argc >= 2 && !strcmp(argv[1], "-C")) {
		h.canonical = true;
		optind = 2;
	} else if (argc >= 2 && argv[1][0] == '-' && argv[1][1]) {
		return fsh_usage(argv[0], "invalid option '%s' (only -C)", argv[1]);
	}
	if (optind != argc - 1)
		return fsh_usage(argv[0], "usage: hexdump [-C] FILE");
	err = fsh_read_file(argv[0], argv[optind], hexdump_chunk, &h);
	if (err)
		return err;
	if (h.fill) {
		h.have_prev = false; /* a short last line is never a repeat */
		hexdump_line(&h);
	}
	if (h.line_pos + h.fill)
		fsh_printf(h.canonical ? "%08llx\n" : "%07llx\n",
			   (unsigned long long)(h.line_pos + h.fill));
	return 0;
}
SHELL_COMMAND(hexdump, "hexdump", "hexdump [-C] FILE",
	      "dump a file in hex (-C: with ASCII)", cmd_hexdump);

/* ---- stat, df, fsync, truncate ---- */

static const char *fsh_type_name(umode_t mode, loff_t size)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return size ? "regular file" : "regular empty file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFCHR:
		return "character special file";
	case S_IFBLK:
		return "block special file";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	}
	return "weird file";
}

static void fsh_time(const char *what, s64 ns)
{
	fsh_printf("%s: %lld.%09lld\n", what, (long long)(ns / 1000000000),
		   (long long)(ns % 1000000000));
}

/* stat PATH: GNU stat's layout (times in seconds since boot). */
static int cmd_stat(int argc, char **argv)
{
	struct kstat st;
	char mode[11], target[256];
	int err;

	if (argc != 2)
		return fsh_usage(argv[0], "usage: stat PATH");
	err = ksys_lstat(argv[1], &st);
	if (err)
		return fsh_err(argv[0], argv[1], err);
	fsh_printf("  File: %s", argv[1]);
	if (S_ISLNK(st.mode)) {
		ssize_t_k n = ksys_readlink(argv[1], target, sizeof(target) - 1);

		if (n >= 0) {
			target[n] = '\0';
			fsh_printf(" -> %s", target);
		}
	}
	fsh_printf("\n  Size: %-15lld Blocks: %-10llu IO Block: %-6u %s\n",
		   (long long)st.size, (unsigned long long)st.blocks, st.blksize,
		   fsh_type_name(st.mode, st.size));
	fsh_printf("Device: %u,%u\tInode: %-11llu Links: %u", MAJOR(st.dev),
		   MINOR(st.dev), (unsigned long long)st.ino, st.nlink);
	if (S_ISCHR(st.mode) || S_ISBLK(st.mode))
		fsh_printf("     Device type: %u,%u", MAJOR(st.rdev), MINOR(st.rdev));
	fsh_mode_string(st.mode, mode);
	fsh_printf("\nAccess: (%04o/%s)\n", st.mode & 07777, mode);
	fsh_time("Access", st.atime_ns);
	fsh_time("Modify", st.mtime_ns);
	fsh_time("Change", st.ctime_ns);
	return 0;
}
SHELL_COMMAND(stat, "stat", "stat PATH",
	      "a file's type, size, links, inode, device, times", cmd_stat);

/* fsync [-d] FILE: -d is fdatasync (data and what reading it back needs). */
static int cmd_fsync(int argc, char **argv)
{
	bool data_only = argc == 3 && !strcmp(argv[1], "-d");
	int fd, err;

	if (argc != 2 && !data_only)
		return fsh_usage(argv[0], "usage: fsync [-d] FILE");
	fd = ksys_open(argv[argc - 1], O_RDONLY, 0);
	if (fd < 0)
		return fsh_err(argv[0], argv[argc - 1], fd);
	err = data_only ? ksys_fdatasync(fd) : ksys_fsync(fd);
	ksys_close(fd);
	return err ? fsh_err(argv[0], argv[argc - 1], err) : 0;
}
SHELL_COMMAND(fsync, "fsync", "fsync [-d] FILE",
	      "write a file's dirty pages and flush the disk (-d: fdatasync)", cmd_fsync);

/* truncate -s SIZE FILE: made if missing, as GNU truncate. */
static int cmd_truncate(int argc, char **argv)
{
	u64 size;
	int fd, err;

	if (argc != 4 || strcmp(argv[1], "-s"))
		return fsh_usage(argv[0], "usage: truncate -s SIZE FILE");
	if (parse_size(argv[2], &size) || size > (u64)LLONG_MAX_LOFF)
		return fsh_usage(argv[0], "invalid size '%s' (N[KMG])", argv[2]);
	fd = ksys_open(argv[3], O_WRONLY | O_CREAT, 0644);
	if (fd == -EISDIR)
		return fsh_err(argv[0], argv[3], fd);
	if (fd < 0)
		return fsh_err(argv[0], argv[3], fd);
	err = ksys_ftruncate(fd, (loff_t)size);
	ksys_close(fd);
	return err ? fsh_err(argv[0], argv[3], err) : 0;
}
SHELL_COMMAND(truncate, "truncate", "truncate -s SIZE FILE", "set a file's size (N[KMG])",
	      cmd_truncate);

/* ---- for the tests ---- */

extern const struct shell_command *__start_quire_shell_commands[] __weak;
extern const struct shell_command *__stop_quire_shell_commands[] __weak;

int fsh_run(const char *line)
{
	char buf[512], *argv[16];
	const struct shell_command **p;
	int argc = 0;
	char *s;

	if (strscpy_len(buf, line, sizeof(buf)) >= sizeof(buf))
		return -E2BIG;
	for (s = buf; *s && argc < 15;) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		argv[argc++] = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = '\0';
	}
	argv[argc] = NULL;
	if (!argc)
		return 0;
	for (p = __start_quire_shell_commands; p < __stop_quire_shell_commands; p++)
		if (!strcmp((*p)->name, argv[0]))
			return (*p)->run(argc, argv);
	return -ENOENT;
}

int fsh_run_captured(char *buf, size_t size, const char *line)
{
	int ret;

	fsh_capture(buf, size);
	ret = fsh_run(line);
	fsh_capture(NULL, 0);
	return ret;
}

bool fsh_has(const char *s, const char *sub)
{
	size_t n = strlen(sub);

	for (; *s; s++)
		if (!strncmp(s, sub, n))
			return true;
	return false;
}
