/*
 * include/quire/chrdev.h - character devices that exist as inodes without
 * a file system: `null` and `zero` (Linux's /dev/null, /dev/zero, mem
 * major 1, minors 3 and 5).
 *
 * Layer: fs. Implemented by fs/char_dev.c. Their inodes live on
 * noop_backing_dev_info with empty address_space_operations: nothing of
 * theirs is ever written back (do_writepages() returns 0 for them).
 */
#ifndef QUIRE_CHRDEV_H
#define QUIRE_CHRDEV_H

#include <quire/fs.h>

/* Open character device @name ("null", "zero"): a file, ERR_PTR(-ENODEV)
 * for any other name, ERR_PTR(-ENOMEM). Close with fput(). */
struct file *chrdev_open_by_name(const char *name, unsigned int flags);
/* The device's inode (tests), or NULL. */
struct inode *chrdev_inode(const char *name);

#endif
