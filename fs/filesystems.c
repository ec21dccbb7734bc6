/*
 * fs/filesystems.c - the registered file system types (Linux's
 * fs/filesystems.c), looked up by name at mount.
 *
 * Layer: fs (the VFS). Used by: file systems (register_filesystem() from
 * an initcall), ksys_mount().
 * Provides: register_filesystem(), unregister_filesystem(), get_fs_type().
 * Not here: modules (every type is built in, so no reference counting).
 *
 * Locking: file_systems_lock (a mutex) guards the list.
 */
#include <quire/fs.h>
#include <quire/list.h>
#include <quire/mutex.h>
#include <quire/string.h>
#include <quire/errno.h>

static LIST_HEAD(file_systems);
static DEFINE_MUTEX(file_systems_lock);

static struct file_system_type *find_filesystem(const char *name)
{
	struct file_system_type *fs;

	list_for_each_entry(fs, &file_systems, fs_list)
		if (strcmp(fs->name, name) == 0)
			return fs;
	return NULL;
}

int register_filesystem(struct file_system_type *fs)
{
	int err = 0;

	mutex_lock(&file_systems_lock);
	if (find_filesystem(fs->name))
		err = -EBUSY;
	else
		list_add_tail(&fs->fs_list, &file_systems);
	mutex_unlock(&file_systems_lock);
	return err;
}

int unregister_filesystem(struct file_system_type *fs)
{
	int err = -EINVAL;

	mutex_lock(&file_systems_lock);
	if (find_filesystem(fs->name) == fs) {
		list_del_init(&fs->fs_list);
		err = 0;
	}
	mutex_unlock(&file_systems_lock);
	return err;
}

struct file_system_type *get_fs_type(const char *name)
{
	struct file_system_type *fs;

	mutex_lock(&file_systems_lock);
	fs = find_filesystem(name);
	mutex_unlock(&file_systems_lock);
	return fs;
}
