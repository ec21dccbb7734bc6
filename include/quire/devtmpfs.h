/*
 * include/quire/devtmpfs.h - what the device side calls in /dev
 * (fs/devtmpfs.c; Linux's drivers/base/base.h).
 */
#ifndef QUIRE_DEVTMPFS_H
#define QUIRE_DEVTMPFS_H

#include <quire/types.h>

/*
 * Device @name with number @dev is going (Linux's device_del() ->
 * devtmpfs_delete_node()): its node leaves every mounted devtmpfs, as an
 * unlink would (a file open on it keeps its inode). A node of that name
 * with another number is left alone. Context: process, may sleep; takes
 * /dev's i_rwsem: the caller holds no VFS lock.
 */
void devtmpfs_delete_node(const char *name, u32 dev);

#endif
