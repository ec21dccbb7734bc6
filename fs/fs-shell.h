/*
 * fs/fs-shell.h - internals of the shell's file commands (fs/fs-shell.c),
 * for their tests (fs/fs-shell_test.c, fs/fsbench_test.c).
 */
#ifndef FS_FS_SHELL_H
#define FS_FS_SHELL_H

#include <quire/types.h>
#include <quire/compiler.h>

/*
 * While a capture buffer is set, the file commands print into it (NUL
 * ended, cut at @size - 1 bytes) instead of the console, error lines
 * included: the tests compare what a user would see. NULL: the console.
 */
void fsh_capture(char *buf, size_t size);
/* Run file command line @line (words split at spaces, no quotes, no ';'):
 * its return value, output in the capture buffer if one is set. */
int fsh_run(const char *line);
/* fsh_run(@line) with its output captured in @buf (fsh_capture()), the
 * console's again after it: the file command tests' runner. */
int fsh_run_captured(char *buf, size_t size, const char *line);
/* Does @s contain @sub? (The tests' look at captured output.) */
bool fsh_has(const char *s, const char *sub);
/* strerror() of Linux's libc for the errors the VFS returns. */
const char *fsh_strerror(int err);

/* ---- shared by the commands (fs/fs-shell.c) ---- */

#define FSH_BUF (64u << 10) /* one read or write */
#define OPT(c)	(1L << ((c) - 'a'))

struct linux_dirent64;

/* Output: the console, or the capture buffer. */
void fsh_write(const char *s, size_t len);
void fsh_printf(const char *fmt, ...) __printf(1, 2);
/* "cmd: what: Reason (ENAME)" as the command's error line; returns @err. */
int fsh_err(const char *cmd, const char *what, int err);
/* "cmd: msg" (a usage or argument error); returns -EINVAL. */
int fsh_usage(const char *cmd, const char *fmt, ...) __printf(2, 3);
/* Keep the first error of a command that goes on after failures. */
void fsh_keep(int *first, int err);
/* Single-letter options from @allowed ("-lr"): a mask of OPT() bits, or
 * -EINVAL after printing why; *@optind is the first operand. */
long fsh_options(int argc, char **argv, const char *allowed, int *optind);
const char *fsh_basename(const char *path);
/* @dir/@name in @buf (which may be @dir); -ENAMETOOLONG if it won't fit. */
int fsh_join(char *buf, size_t size, const char *dir, const char *name);
/* An existing directory (symlinks followed)? */
bool fsh_is_dir(const char *path);
/* One getdents64 batch of @fd into @buf: @fn for each name but "." and
 * "..". Bytes read, 0 at the end, or -errno. */
ssize_t_k fsh_getdents(int fd, char *buf, size_t size,
		       void (*fn)(void *arg, const struct linux_dirent64 *d), void *arg);
/* All of @buf to @fd, or -errno (a write of 0 bytes is -EIO). */
int fsh_write_all(int fd, const char *buf, size_t len);

#endif
