/*
 * include/quire/namei.h - path lookup (Linux's <linux/namei.h>).
 *
 * Layer: fs (the VFS). Implemented by fs/namei.c.
 */
#ifndef QUIRE_NAMEI_H
#define QUIRE_NAMEI_H

#include <quire/fs.h>

/* Lookup flags (Linux's values). */
#define LOOKUP_FOLLOW	 0x0001 /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY 0x0002 /* the last component must be a directory */

/* Last component kinds of a parent walk. */
enum {
	LAST_NORM,
	LAST_ROOT,
	LAST_DOT,
	LAST_DOTDOT
};

void path_get(const struct path *path);
void path_put(const struct path *path);
static inline bool path_equal(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}

/* Walk @name (relative to the working directory unless absolute) to a
 * positive dentry: *path referenced, or -errno. */
int kern_path(const char *name, unsigned int flags, struct path *path);

#endif
