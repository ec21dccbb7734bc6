/*
 * fs/qlfs/namei.c - qlfs's inode_operations: lookup, create, mkdir,
 * rmdir, unlink, rename, link, symlink (Linux's fs/f2fs/namei.c).
 *
 * Layer: fs (qlfs, the namespace/data half). Used by: the VFS (fs/namei.c
 * calls these with the locks of VFS2), qlfs_iget()/qlfs_new_inode()
 * (qlfs_set_inode_ops()).
 * Provides: qlfs_set_inode_ops(), qlfs_dir_inode_operations,
 * qlfs_symlink_inode_operations.
 *
 * Every change runs between qlfs_lock_op() and qlfs_unlock_op() (QM4), so
 * a checkpoint sees each one whole: the new inode, its entry and both
 * link counts, or none of them. A failed call changes nothing on disk
 * (VFS3): a new inode whose entry could not be added is dropped with no
 * link (its eviction frees it), and a rename adds the new name before it
 * removes the old one.
 *
 * Link counts (fsck's QL12): a directory has 2 + its subdirectories, any
 * other inode one per entry naming it. An inode whose count reaches 0 is
 * put on the orphan list (qlfs_add_orphan_inode()) until its last
 * reference goes (evict frees it then), as F2FS's f2fs_unlink() does, so
 * a file unlinked while open survives a checkpoint as an orphan (QL13).
 *
 * Lookup distrusts the entry it finds (QL11): one naming its own directory,
 * or a directory whose ".." names another parent (a directory with two
 * names), is -EUCLEAN and the file system read-only, as the VFS locks
 * directories through their dentries and would take one i_rwsem twice;
 * so is one naming an inode without links (QL12, QL13: its eviction would
 * free it under the name).
 *
 * fsync needs a checkpoint for an inode that a rename or link touched
 * since the last one (QLFS_I_NEED_CP, F2FS's lost pino): its inode block
 * does not name its entry, so roll-forward could not make it again (F2FS's
 * need_do_checkpoint()). A new regular file's inode block names its
 * parent and name (qlfs_set_inode_name()); a directory that loses a name
 * to rename or rmdir is marked so that fsync of a new file in it
 * checkpoints (qlfs_mark_dir_unstable(), file.c).
 *
 * Locking: the VFS's i_rwsem on the parents and the victims (VFS2), then
 * qlfs_lock_op(), then dentry folios one at a time (dir.c), then node
 * folios (qlfs_update_inode()).
 */
#include <quire/dcache.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/syscalls.h>
#include "qlfs_data.h"

static const struct inode_operations qlfs_dir_inode_operations;
static const struct inode_operations qlfs_symlink_inode_operations;
static const struct inode_operations qlfs_special_inode_operations;

void qlfs_set_inode_ops(struct inode *inode)
{
	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &qlfs_file_inode_operations;
		inode->i_fop = &qlfs_file_operations;
		inode->i_mapping->a_ops = &qlfs_file_aops;
		break;
	case S_IFDIR:
		inode->i_op = &qlfs_dir_inode_operations;
		inode->i_fop = &qlfs_dir_operations;
		inode->i_mapping->a_ops = &qlfs_dir_aops;
		break;
	case S_IFLNK:
		inode->i_op = &qlfs_symlink_inode_operations;
		inode->i_mapping->a_ops = &qlfs_file_aops; /* body in block 0 */
		break;
	default: /* devices, fifos, sockets: no data, no operations */
		inode->i_op = &qlfs_special_inode_operations;
		break;
	}
}

/* The largest link count (F2FS's F2FS_LINK_MAX): a new link to an inode,
 * or a new subdirectory of a directory, at it is -EMLINK; a count that went
 * round to 0 would have the named inode freed by its eviction. Only a
 * forged disk gets there. */
#define QLFS_LINK_MAX 0xffffffffU

static void mark_need_cp(struct inode *inode)
{
	set_bit(QLFS_I_NEED_CP, &QLFS_I(inode)->flags);
}

static const u8 *dname(struct dentry *dentry)
{
	return (const u8 *)dentry->d_name.name;
}

/* ---- lookup ---- */

/*
 * QL11 at lookup: an entry of @dir naming a directory names one whose ".."
 * is @dir (and never @dir itself). A directory with a second name (only on
 * a forged disk) would get a second dentry, and the VFS, which locks
 * directories through their dentries, would then take its i_rwsem twice in
 * one call (rmdir: parent and victim; rename: both parents) and wait for
 * ever. Context: @dir's i_rwsem held.
 */
static int check_dir_entry(struct inode *dir, u32 ino, struct inode *inode)
{
	struct qlfs_dir_slot res;
	int err = 0;

	if (ino != dir->i_ino) {
		if (!inode || !S_ISDIR(inode->i_mode))
			return 0;
		err = qlfs_find_entry(inode, (const u8 *)"..", 2, &res);
		if (err && err != -ENOENT)
			return err;
		if (!err) {
			err = res.ino == dir->i_ino ? 0 : -EUCLEAN;
			qlfs_put_dir_slot(&res);
			if (!err)
				return 0;
		}
	}
	qlfs_msg(QLFS_I_SB(dir), "directory %lu: an entry names %s %u", dir->i_ino,
		 ino == dir->i_ino ? "the directory itself," :
				     "a directory whose \"..\" is not it:",
		 ino);
	qlfs_handle_error(QLFS_I_SB(dir), "a directory with two names");
	return -EUCLEAN;
}

static struct dentry *qlfs_lookup(struct inode *dir, struct dentry *dentry,
				  unsigned int flags)
{
	struct qlfs_dir_slot res;
	struct inode *inode = NULL;
	u32 ino;
	int err;

	if (dentry->d_name.len > QLFS_NAME_LEN)
		return ERR_PTR(-ENAMETOOLONG);
	err = qlfs_find_entry(dir, dname(dentry), dentry->d_name.len, &res);
	if (err && err != -ENOENT)
		return ERR_PTR(err);
	if (!err) {
		ino = res.ino;
		qlfs_put_dir_slot(&res);
		if (ino == dir->i_ino)
			return ERR_PTR(check_dir_entry(dir, ino, NULL));
		inode = qlfs_iget(dir->i_sb, ino);
		if (IS_ERR(inode))
			return (struct dentry *)inode;
		if (!inode->i_nlink) {
			/* a deleted inode referenced (ext4's words): its last
			 * iput would free it under this name. Read-only
			 * first, so that the iput frees nothing. */
			qlfs_msg(
				QLFS_I_SB(dir),
				"directory %lu: an entry names inode %u, which has no links",
				dir->i_ino, ino);
			qlfs_handle_error(QLFS_I_SB(dir),
					  "an entry names an unlinked inode");
			iput(inode);
			return ERR_PTR(-EUCLEAN);
		}
		err = check_dir_entry(dir, ino, inode);
		if (err) {
			iput(inode);
			return ERR_PTR(err);
		}
	}
	d_add(dentry, inode);
	return NULL;
}

/* ---- making names ---- */

/*
 * A new inode of @mode named @dentry in @dir (F2FS's f2fs_create()
 * shape): the inode, then (for a directory) its block 0, then its entry;
 * the dentry is instantiated only when all went. @symname: a symlink's
 * body. Context: @dir's i_rwsem held.
 */
static int qlfs_mknod(struct inode *dir, struct dentry *dentry, umode_t mode,
		      const char *symname);

static int write_symlink_body(struct inode *inode, const char *symname, size_t len)
{
	struct folio *folio;
	int err = qlfs_reserve_data_block(inode, 0, NULL);

	if (err)
		return err;
	folio = __filemap_get_folio(inode->i_mapping, 0, FGP_LOCK | FGP_CREAT | FGP_WRITE,
				    inode->i_mapping->gfp_mask);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	memset(folio_address(folio), 0, PAGE_SIZE);
	memcpy(folio_address(folio), symname, len);
	folio_mark_uptodate(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
	i_size_write(inode, len);
	return 0;
}

static int qlfs_mknod(struct inode *dir, struct dentry *dentry, umode_t mode,
		      const char *symname)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(dir);
	bool is_dir = S_ISDIR(mode);
	size_t len = symname ? strlen(symname) : 0;
	struct inode *inode;
	int err;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	if (dentry->d_name.len > QLFS_NAME_LEN)
		return -ENAMETOOLONG;
	if (symname && (len == 0 || len >= PAGE_SIZE))
		return len ? -ENAMETOOLONG : -ENOENT;
	if (is_dir && dir->i_nlink >= QLFS_LINK_MAX)
		return -EMLINK;
	qlfs_balance_fs(sbi);
	qlfs_lock_op(sbi);
	inode = qlfs_new_inode(dir, mode);
	if (IS_ERR(inode)) {
		qlfs_unlock_op(sbi);
		return PTR_ERR(inode);
	}
	set_nlink(inode, is_dir ? 2 : 1);
	err = 0;
	if (is_dir)
		err = qlfs_make_empty(inode, dir);
	else if (symname)
		err = write_symlink_body(inode, symname, len);
	if (!err)
		err = qlfs_add_link(dir, dname(dentry), dentry->d_name.len, inode);
	if (err)
		goto out_drop;
	if (is_dir) {
		inc_nlink(dir); /* its ".." */
		qlfs_update_inode(dir);
	}
	/* RF: a regular file's inode block names its entry, so that fsync may
	 * roll it forward (file.c); anything else checkpoints */
	if (S_ISREG(mode))
		qlfs_set_inode_name(inode, dir, dname(dentry), dentry->d_name.len);
	else
		mark_need_cp(inode);
	qlfs_update_inode(inode);
	qlfs_unlock_op(sbi);
	d_instantiate(dentry, inode);
	return 0;
out_drop:
	/* No name was added: the inode goes with its last reference
	 * (F2FS's f2fs_handle_failed_inode(): unlock first), an orphan from
	 * here on, so that a checkpoint before its eviction lists it (QL13). */
	clear_nlink(inode);
	qlfs_add_orphan_inode(sbi, inode->i_ino);
	qlfs_update_inode(inode);
	qlfs_unlock_op(sbi);
	iput(inode);
	return err;
}

static int qlfs_create(struct inode *dir, struct dentry *dentry, umode_t mode, bool excl)
{
	return qlfs_mknod(dir, dentry, (mode & S_IALLUGO) | S_IFREG, NULL);
}

static int qlfs_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	return qlfs_mknod(dir, dentry, (mode & S_IALLUGO) | S_IFDIR, NULL);
}

static int qlfs_symlink(struct inode *dir, struct dentry *dentry, const char *symname)
{
	return qlfs_mknod(dir, dentry, S_IFLNK | 0777, symname);
}

static int qlfs_link(struct dentry *old_dentry, struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(old_dentry);
	struct qlfs_sb_info *sbi = QLFS_I_SB(dir);
	int err;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	if (dentry->d_name.len > QLFS_NAME_LEN)
		return -ENAMETOOLONG;
	if (inode->i_nlink >= QLFS_LINK_MAX)
		return -EMLINK;
	qlfs_balance_fs(sbi);
	qlfs_lock_op(sbi);
	err = qlfs_add_link(dir, dname(dentry), dentry->d_name.len, inode);
	if (!err) {
		inc_nlink(inode);
		WRITE_ONCE(inode->i_ctime_ns, current_time_ns());
		mark_need_cp(inode);
		qlfs_update_inode(inode);
	}
	qlfs_unlock_op(sbi);
	if (err)
		return err;
	ihold(inode);
	d_instantiate(dentry, inode);
	return 0;
}

/* ---- removing names ---- */

/* @inode lost a name (and, for a directory, its "." too): the count on
 * disk, and the orphan list when none is left (QL13). */
static int drop_links(struct inode *inode, unsigned int n)
{
	while (n-- && inode->i_nlink)
		drop_nlink(inode);
	WRITE_ONCE(inode->i_ctime_ns, current_time_ns());
	if (!inode->i_nlink)
		qlfs_add_orphan_inode(QLFS_I_SB(inode), inode->i_ino);
	qlfs_update_inode(inode);
	return 0;
}

/*
 * @dir loses a subdirectory's "..": its count, which a forged disk may give
 * below 2 + its subdirectories (QL12), never goes under 2 (drop_nlink()
 * warns at 0, and a directory at 0, the root too, is freed by its
 * eviction). -EUCLEAN and read-only instead.
 */
static int subdir_links_bad(struct inode *dir)
{
	qlfs_msg(QLFS_I_SB(dir),
		 "directory %lu: %u links, fewer than its subdirectories need",
		 dir->i_ino, dir->i_nlink);
	qlfs_handle_error(QLFS_I_SB(dir), "directory link count");
	return -EUCLEAN;
}

static int drop_subdir_link(struct inode *dir)
{
	if (dir->i_nlink <= 2)
		return subdir_links_bad(dir);
	drop_nlink(dir);
	return 0;
}

/* Remove @dentry's entry from @dir; the caller fixes the counts. */
static int remove_entry(struct inode *dir, struct dentry *dentry)
{
	struct qlfs_dir_slot res;
	int err = qlfs_find_entry(dir, dname(dentry), dentry->d_name.len, &res);

	if (err)
		return err == -ENOENT ? -EUCLEAN : err; /* the dcache had it */
	if (res.ino != d_inode(dentry)->i_ino)
		err = -EUCLEAN;
	else
		err = qlfs_delete_entry(dir, &res);
	qlfs_put_dir_slot(&res);
	return err;
}

static int qlfs_unlink(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	struct qlfs_sb_info *sbi = QLFS_I_SB(dir);
	int err;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	qlfs_lock_op(sbi);
	err = remove_entry(dir, dentry);
	if (!err)
		drop_links(inode, 1);
	qlfs_unlock_op(sbi);
	return err;
}

static int qlfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	struct qlfs_sb_info *sbi = QLFS_I_SB(dir);
	int err;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	if (!qlfs_empty_dir(inode))
		return -ENOTEMPTY;
	if (dir->i_nlink <= 2)
		return subdir_links_bad(dir);
	qlfs_lock_op(sbi);
	err = remove_entry(dir, dentry);
	if (!err) {
		drop_links(inode, 2); /* its name and its "." */
		drop_nlink(dir);      /* its ".." (> 2: checked above) */
		qlfs_update_inode(dir);
		qlfs_mark_dir_unstable(sbi, dir->i_ino); /* RF: file.c */
	}
	qlfs_unlock_op(sbi);
	return err;
}

/* ---- rename ---- */

static int rename_exchange(struct inode *old_dir, struct dentry *old_dentry,
			   struct inode *new_dir, struct dentry *new_dentry)
{
	struct inode *old_inode = d_inode(old_dentry), *new_inode = d_inode(new_dentry);
	bool old_is_dir = S_ISDIR(old_inode->i_mode),
	     new_is_dir = S_ISDIR(new_inode->i_mode);
	struct qlfs_dir_slot old_res, new_res;
	int err;

	if (old_dir != new_dir &&
	    ((old_is_dir && !new_is_dir && new_dir->i_nlink >= QLFS_LINK_MAX) ||
	     (new_is_dir && !old_is_dir && old_dir->i_nlink >= QLFS_LINK_MAX)))
		return -EMLINK;
	err = qlfs_find_entry(old_dir, dname(old_dentry), old_dentry->d_name.len,
			      &old_res);
	if (err)
		return err == -ENOENT ? -EUCLEAN : err;
	err = qlfs_find_entry(new_dir, dname(new_dentry), new_dentry->d_name.len,
			      &new_res);
	if (err) {
		qlfs_put_dir_slot(&old_res);
		return err == -ENOENT ? -EUCLEAN : err;
	}
	err = qlfs_set_link(old_dir, &old_res, new_inode);
	if (!err)
		err = qlfs_set_link(new_dir, &new_res, old_inode);
	qlfs_put_dir_slot(&old_res);
	qlfs_put_dir_slot(&new_res);
	if (err)
		return err;
	if (old_dir != new_dir) {
		if (old_is_dir)
			err = qlfs_set_dotdot(old_inode, new_dir);
		if (!err && new_is_dir)
			err = qlfs_set_dotdot(new_inode, old_dir);
		if (old_is_dir && !new_is_dir) {
			if (!drop_subdir_link(old_dir))
				inc_nlink(new_dir);
		} else if (new_is_dir && !old_is_dir) {
			if (!drop_subdir_link(new_dir))
				inc_nlink(old_dir);
		}
		qlfs_update_inode(old_dir);
		qlfs_update_inode(new_dir);
	}
	WRITE_ONCE(old_inode->i_ctime_ns, current_time_ns());
	WRITE_ONCE(new_inode->i_ctime_ns, current_time_ns());
	mark_need_cp(old_inode);
	mark_need_cp(new_inode);
	qlfs_mark_dir_unstable(QLFS_I_SB(old_dir), old_dir->i_ino); /* RF: file.c */
	qlfs_mark_dir_unstable(QLFS_I_SB(old_dir), new_dir->i_ino);
	qlfs_update_inode(old_inode);
	qlfs_update_inode(new_inode);
	return err;
}

/*
 * Move @old_dentry to @new_dentry (F2FS's f2fs_rename()): the new name
 * first (a new entry, or the replaced one pointed at the source), then the
 * old name goes, then a moved directory's ".." and the parents' counts.
 */
static int rename_move(struct inode *old_dir, struct dentry *old_dentry,
		       struct inode *new_dir, struct dentry *new_dentry)
{
	struct inode *old_inode = d_inode(old_dentry), *new_inode = d_inode(new_dentry);
	bool is_dir = S_ISDIR(old_inode->i_mode);
	struct qlfs_dir_slot res;
	int err;

	if (new_inode && S_ISDIR(new_inode->i_mode) && !qlfs_empty_dir(new_inode))
		return -ENOTEMPTY;
	if (is_dir && !new_inode && new_dir->i_nlink >= QLFS_LINK_MAX)
		return -EMLINK;
	if (new_inode) {
		err = qlfs_find_entry(new_dir, dname(new_dentry), new_dentry->d_name.len,
				      &res);
		if (err)
			return err == -ENOENT ? -EUCLEAN : err;
		err = qlfs_set_link(new_dir, &res, old_inode);
		qlfs_put_dir_slot(&res);
		if (err)
			return err;
		drop_links(new_inode, S_ISDIR(new_inode->i_mode) ? 2 : 1);
	} else {
		err = qlfs_add_link(new_dir, dname(new_dentry), new_dentry->d_name.len,
				    old_inode);
		if (err)
			return err;
		if (is_dir)
			inc_nlink(new_dir);
	}
	err = remove_entry(old_dir, old_dentry);
	if (err)
		return err;
	if (is_dir) {
		err = drop_subdir_link(old_dir); /* the moved or replaced ".." */
		if (!err && old_dir != new_dir)
			err = qlfs_set_dotdot(old_inode, new_dir);
	}
	qlfs_update_inode(old_dir);
	if (new_dir != old_dir)
		qlfs_update_inode(new_dir);
	WRITE_ONCE(old_inode->i_ctime_ns, current_time_ns());
	mark_need_cp(old_inode);
	qlfs_mark_dir_unstable(QLFS_I_SB(old_dir), old_dir->i_ino); /* RF: file.c */
	qlfs_update_inode(old_inode);
	return err;
}

static int qlfs_rename(struct inode *old_dir, struct dentry *old_dentry,
		       struct inode *new_dir, struct dentry *new_dentry,
		       unsigned int flags)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(old_dir);
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	if (new_dentry->d_name.len > QLFS_NAME_LEN)
		return -ENAMETOOLONG;
	qlfs_balance_fs(sbi);
	qlfs_lock_op(sbi);
	if (flags & RENAME_EXCHANGE)
		err = rename_exchange(old_dir, old_dentry, new_dir, new_dentry);
	else
		err = rename_move(old_dir, old_dentry, new_dir, new_dentry);
	qlfs_unlock_op(sbi);
	return err;
}

/* ---- symlinks ---- */

static void free_link(void *body)
{
	kfree(body);
}

/* The body from data block 0: i_size bytes (checked: it came from disk). */
static const char *qlfs_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	loff_t size = i_size_read(inode);
	struct folio *folio;
	char *body;

	if (size <= 0 || size >= PAGE_SIZE) {
		qlfs_msg(QLFS_I_SB(inode), "symlink %lu: size %lld", inode->i_ino,
			 (long long)size);
		return ERR_PTR(-EUCLEAN);
	}
	folio = read_mapping_folio(inode->i_mapping, 0, NULL);
	if (IS_ERR(folio))
		return (const char *)folio;
	body = kmalloc(size + 1, GFP_KERNEL);
	if (body) {
		memcpy(body, folio_address(folio), size);
		body[size] = '\0';
	}
	folio_put(folio);
	if (!body)
		return ERR_PTR(-ENOMEM);
	done->fn = free_link;
	done->arg = body;
	return body;
}

static const struct inode_operations qlfs_dir_inode_operations = {
	.lookup = qlfs_lookup,
	.create = qlfs_create,
	.link = qlfs_link,
	.unlink = qlfs_unlink,
	.symlink = qlfs_symlink,
	.mkdir = qlfs_mkdir,
	.rmdir = qlfs_rmdir,
	.rename = qlfs_rename,
	.setattr = qlfs_setattr,
	.getattr = qlfs_getattr,
};

static const struct inode_operations qlfs_symlink_inode_operations = {
	.get_link = qlfs_get_link,
	.getattr = qlfs_getattr,
};

static const struct inode_operations qlfs_special_inode_operations = {
	.getattr = qlfs_getattr,
};
