/*
 * fs/internal.h - what the VFS's files share and nobody else needs
 * (Linux's fs/internal.h).
 */
#ifndef FS_INTERNAL_H
#define FS_INTERNAL_H

#include <quire/fs.h>
#include <quire/dcache.h>
#include <quire/mount.h>
#include <quire/spinlock.h>

/* fs/dcache.c: the dentry tree, hash and counts (DC1-DC6). */
extern spinlock_t dcache_lock;
/* fs/namespace.c: the mount tree and d_mounted (MNT1-MNT4). Order:
 * mount_lock before dcache_lock. */
extern spinlock_t mount_lock;

/* fs/file.c: the open-file table. */
int get_unused_fd(void);
void put_unused_fd(int fd);
void fd_install(int fd, struct file *file);
/* The file at @fd, referenced (fput() it), or NULL. */
struct file *fget(int fd);
/* Take it out of the table: the file, or NULL. */
struct file *close_fd_get_file(int fd);

/* fs/open.c */
int do_truncate(struct dentry *dentry, loff_t length);
struct file *do_filp_open(const char *pathname, int flags, umode_t mode);

/* fs/namei.c */
int vfs_path_lookup_at(const struct path *start, const char *name, unsigned int flags,
		       struct path *path);

/* fs/super.c: an anonymous device number for sbs with no disk. */
u32 get_anon_dev(void);
void deactivate_super(struct super_block *sb);

#endif
