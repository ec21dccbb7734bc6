/*
 * fs/super.c - the list of super_blocks that sync walks.
 *
 * Layer: fs. Used by: ksys_sync() (fs/sync.c), whoever sets up a
 * super_block (a disk's page cache, qlfs).
 * Provides: register_super(), unregister_super(), iterate_supers().
 * Not here: mounting (Quire has no VFS yet), alloc_super()/sget(): a user
 * fills its own struct super_block and registers it.
 *
 * Locking: super_blocks_lock (a mutex: the callbacks sleep) guards the list
 * and each sb->s_list; iterate_supers() holds it and each sb's s_umount
 * (read) around the callback.
 */
#include <quire/fs.h>
#include <quire/list.h>
#include <quire/mutex.h>
#include <quire/rwsem.h>

static LIST_HEAD(super_blocks);
static DEFINE_MUTEX(super_blocks_lock);

void register_super(struct super_block *sb)
{
	mutex_lock(&super_blocks_lock);
	list_add_tail(&sb->s_list, &super_blocks);
	mutex_unlock(&super_blocks_lock);
}

void unregister_super(struct super_block *sb)
{
	mutex_lock(&super_blocks_lock);
	list_del_init(&sb->s_list);
	mutex_unlock(&super_blocks_lock);
}

void iterate_supers(void (*f)(struct super_block *sb, void *arg), void *arg)
{
	struct super_block *sb;

	mutex_lock(&super_blocks_lock);
	list_for_each_entry(sb, &super_blocks, s_list) {
		down_read(&sb->s_umount);
		f(sb, arg);
		up_read(&sb->s_umount);
	}
	mutex_unlock(&super_blocks_lock);
}
