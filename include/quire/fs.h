/*
 * include/quire/fs.h - inodes, address spaces and open files: the parts of
 * Linux's <linux/fs.h> the page cache and writeback need.
 *
 * Layer: fs/mm. Implemented by fs/inode.c (inode life cycle), mm/filemap.c
 * (the page cache), fs/fs-writeback.c (dirty inodes, flushers), the VFS
 * (fs/namei.c, fs/dcache.c, fs/namespace.c, fs/open.c, fs/read_write.c,
 * fs/readdir.c, fs/stat.c, fs/libfs.c, fs/super.c, fs/filesystems.c).
 * See docs/pagecache.md and docs/vfs.md.
 *
 * An inode owns one address_space (i_data; i_mapping points to it, or for a
 * block-device file to the disk's own bdev inode mapping). The address_space
 * holds the inode's cached pages in i_pages, an XArray indexed by page
 * index, with three marks (Linux's tags) kept in step with the page flags:
 * PAGECACHE_TAG_DIRTY (PG_dirty), PAGECACHE_TAG_WRITEBACK (PG_writeback),
 * PAGECACHE_TAG_TOWRITE (the sync snapshot, see writeback_iter()).
 */
#ifndef QUIRE_FS_H
#define QUIRE_FS_H

#include <quire/compiler.h>
#include <quire/types.h>
#include <quire/list.h>
#include <quire/spinlock.h>
#include <quire/rwsem.h>
#include <quire/mutex.h>
#include <quire/atomic.h>
#include <quire/xarray.h>
#include <quire/errseq.h>
#include <quire/gfp.h>
#include <quire/mm.h>

struct address_space;
struct inode;
struct file;
struct super_block;
struct writeback_control;
struct readahead_control;
struct backing_dev_info;
struct bdi_writeback;
struct block_device;
struct dentry;
struct vfsmount;
struct kstat;
struct kstatfs;
struct dir_context;
struct file_system_type;

/* A place in the tree: a dentry seen through a mount (Linux's struct path).
 * Holders keep a reference on both (path_get()/path_put(), fs/namei.c). */
struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

#define PAGECACHE_TAG_DIRTY	XA_MARK_0
#define PAGECACHE_TAG_WRITEBACK XA_MARK_1
#define PAGECACHE_TAG_TOWRITE	XA_MARK_2

/* ->writepage may return this: "keep the page dirty, unlocked by me". */
#define AOP_WRITEPAGE_ACTIVATE 0x80000

/* Linux 6.9's address_space_operations (the seed's era: ->writepage is
 * still there), with folios where 6.9 has them. */
struct address_space_operations {
	/* Write one locked, dirty-cleared page; unlock it (or return
	 * AOP_WRITEPAGE_ACTIVATE with it locked). The legacy branch of
	 * do_writepages(), through writeback_use_writepage(). */
	int (*writepage)(struct page *page, struct writeback_control *wbc);
	/* Read one locked folio; unlock it when the read ends (uptodate or
	 * error). */
	int (*read_folio)(struct file *file, struct folio *folio);
	/* Write back pages of the mapping as wbc says. */
	int (*writepages)(struct address_space *mapping, struct writeback_control *wbc);
	/* Mark a folio dirty; true if it was clean. NULL: filemap_dirty_folio. */
	bool (*dirty_folio)(struct address_space *mapping, struct folio *folio);
	/* Start reads of the folios in rac (locked, in the cache). */
	void (*readahead)(struct readahead_control *rac);
	/* Prepare a write of @len bytes at @pos: return the locked folio in
	 * *foliop (read first if the write covers it partly). */
	int (*write_begin)(struct file *file, struct address_space *mapping, loff_t pos,
			   unsigned int len, struct folio **foliop, void **fsdata);
	/* Finish it: @copied bytes went in; mark dirty, update i_size, unlock,
	 * drop the reference. Returns bytes accepted. */
	int (*write_end)(struct file *file, struct address_space *mapping, loff_t pos,
			 unsigned int len, unsigned int copied, struct folio *folio,
			 void *fsdata);
	/* Part of a folio is being truncated away. */
	void (*invalidate_folio)(struct folio *folio, size_t offset, size_t len);
	/* May the folio's private data go (so the folio can be freed)? */
	bool (*release_folio)(struct folio *folio, gfp_t gfp);
};

/* address_space->flags: errors seen by writeback (Linux's AS_EIO/ENOSPC),
 * the old-style error bits next to wb_err. */
enum mapping_flags {
	AS_EIO,
	AS_ENOSPC,
	AS_UNEVICTABLE,
};

struct address_space {
	struct inode *host;
	struct xarray i_pages;		     /* page index -> struct folio * */
	struct rw_semaphore invalidate_lock; /* truncate vs. read-in */
	unsigned long nrpages;		     /* pages in i_pages (under its lock) */
	pgoff_t writeback_index;	     /* range_cyclic resumes here */
	const struct address_space_operations *a_ops;
	unsigned long flags; /* AS_* bits */
	errseq_t wb_err;     /* writeback errors, for fsync */
	gfp_t gfp_mask;	     /* for its page allocations */
	void *private_data;
};

static inline bool mapping_tagged(struct address_space *mapping, xa_mark_t tag)
{
	return xa_marked(&mapping->i_pages, tag);
}

/* inode->i_state bits: Linux's values (traces print them the same way). */
#define I_DIRTY_SYNC	 (1u << 0) /* inode metadata dirty */
#define I_DIRTY_DATASYNC (1u << 1) /* ... and fdatasync must write it */
#define I_DIRTY_PAGES	 (1u << 2) /* has dirty pages */
#define I_NEW		 (1u << 3)
#define I_WILL_FREE	 (1u << 4)
#define I_FREEING	 (1u << 5)
#define I_CLEAR		 (1u << 6)
#define I_SYNC		 (1u << 7) /* writeback of it in progress */
#define I_REFERENCED	 (1u << 8)
#define I_DIRTY_TIME	 (1u << 11)
#define I_SYNC_QUEUED	 (1u << 17) /* on b_io for this pass */
#define I_DIRTY_INODE	 (I_DIRTY_SYNC | I_DIRTY_DATASYNC)
#define I_DIRTY		 (I_DIRTY_INODE | I_DIRTY_PAGES)
#define I_DIRTY_ALL	 (I_DIRTY | I_DIRTY_TIME)

/* i_mode file types (POSIX values). */
#define S_IFMT	   0170000
#define S_IFSOCK   0140000
#define S_IFLNK	   0120000
#define S_IFREG	   0100000
#define S_IFBLK	   0060000
#define S_IFDIR	   0040000
#define S_IFCHR	   0020000
#define S_IFIFO	   0010000
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m)&S_IFMT) == S_IFBLK)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_IALLUGO  07777 /* permission bits (kept, not checked: no users) */

/* inode->i_flags (Linux's values). */
#define S_DEAD 16 /* removed directory: no lookups, no creates (ENOENT) */

/* Device numbers, Linux's encoding in a u32 (major 12 bits, minor 20). */
#define MINORBITS     20
#define MKDEV(ma, mi) (((u32)(ma) << MINORBITS) | (u32)(mi))
#define MAJOR(dev)    ((u32)(dev) >> MINORBITS)
#define MINOR(dev)    ((u32)(dev) & ((1u << MINORBITS) - 1))

struct inode {
	umode_t i_mode;
	unsigned int i_nlink;
	unsigned long i_ino;
	u32 i_rdev;    /* MKDEV() of a device inode */
	loff_t i_size; /* under i_rwsem (writers), i_lock */
	struct super_block *i_sb;
	struct address_space *i_mapping; /* &i_data, or the bdev's */
	struct address_space i_data;
	const struct file_operations *i_fop;
	const struct inode_operations *i_op; /* namespace operations (VFS) */
	unsigned int i_flags;		     /* S_DEAD; under i_rwsem */
	u64 i_blocks;			     /* 512-byte units held */
	/* Timestamps, ns (since boot: Quire keeps no wall clock yet); written
	 * under i_rwsem, read racily by stat as Linux does. */
	s64 i_atime_ns, i_mtime_ns, i_ctime_ns;
	const char *i_link; /* a symlink's body when kept in memory */
	void *i_private;    /* the owner's (disk, file system) */

	struct rw_semaphore i_rwsem; /* writers and truncate */
	spinlock_t i_lock;	     /* i_state, i_size reads, i_io_list */
	unsigned long i_state;	     /* I_* bits, under i_lock */
	atomic_t i_count;	     /* references (iput) */

	/* Writeback (fs/fs-writeback.c), under the wb's list_lock. */
	unsigned long dirtied_when; /* jiffies of first dirtying */
	unsigned long dirtied_time_when;
	struct list_head i_io_list; /* on wb b_dirty / b_io / b_more_io */
	struct bdi_writeback *i_wb; /* the wb it belongs to */
	struct list_head i_sb_list; /* on sb->s_inodes */
};

struct super_operations {
	struct inode *(*alloc_inode)(struct super_block *sb);
	void (*destroy_inode)(struct inode *inode);
	/* Write the inode itself (metadata); wbc->sync_mode says whether to
	 * wait. */
	int (*write_inode)(struct inode *inode, struct writeback_control *wbc);
	/* Last reference and no links: drop pages and on-disk state. */
	void (*evict_inode)(struct inode *inode);
	int (*sync_fs)(struct super_block *sb, int wait);
	/* Fill @buf (f_type .. f_namelen; the VFS sets f_flags). */
	int (*statfs)(struct dentry *dentry, struct kstatfs *buf);
	/* The last mount went: release the file system's private state
	 * (after every inode is gone). */
	void (*put_super)(struct super_block *sb);
};

/* super_block->s_flags (Linux's SB_* values). */
#define SB_RDONLY 1

struct super_block {
	char s_id[32]; /* "vda", "bdev", "qlfs(vdb)" */
	const struct super_operations *s_op;
	struct backing_dev_info *s_bdi; /* where its inodes' pages go */
	struct block_device *s_bdev;	/* NULL for pseudo file systems */
	unsigned long s_flags;
	spinlock_t s_inode_list_lock;
	struct list_head s_inodes; /* every inode of this sb */
	struct rw_semaphore s_umount;
	void *s_fs_info;
	struct list_head s_list; /* on the super_blocks list (fs/super.c) */

	/* VFS (fs/super.c): set by alloc_super() and the fill_super. */
	struct file_system_type *s_type;
	struct dentry *s_root;		 /* the root of its tree (fill_super) */
	unsigned long s_magic;		 /* statfs f_type */
	unsigned long s_blocksize;	 /* statfs f_bsize, stat st_blksize */
	loff_t s_maxbytes;		 /* largest file (EFBIG past it) */
	u32 s_dev;			 /* MKDEV(): the disk's, or an anonymous one */
	struct inode *s_bd_inode;	 /* mount_bdev(): the disk's bdev inode, held */
	struct mutex s_vfs_rename_mutex; /* cross-directory renames (namei.c) */
};

/* ---- file system types (fs/filesystems.c, fs/super.c) ---- */

#define FS_REQUIRES_DEV 1 /* mounts a block device named by the source */

struct file_system_type {
	const char *name; /* "ramfs", "qlfs" */
	int fs_flags;	  /* FS_REQUIRES_DEV */
	/* Make a super_block for this mount (mount_nodev(), or the fs's own
	 * for a device: @dev_name as the user gave it) and return a reference
	 * to its root dentry, or ERR_PTR(). @flags: MS_RDONLY. */
	struct dentry *(*mount)(struct file_system_type *fs_type, int flags,
				const char *dev_name, void *data);
	/* Undo ->mount once the last mount of the sb is gone. */
	void (*kill_sb)(struct super_block *sb);
	struct list_head fs_list; /* on file_systems (fs/filesystems.c) */
};

/* 0, or -EBUSY if a type of that name is registered. */
int register_filesystem(struct file_system_type *fs);
int unregister_filesystem(struct file_system_type *fs);
/* The registered type called @name, or NULL. */
struct file_system_type *get_fs_type(const char *name);

/* A new super_block of @type (no root yet, s_dev anonymous, s_bdi noop,
 * registered for sync). NULL on no memory. */
struct super_block *alloc_super(struct file_system_type *type, int flags);
/* For file systems on no device (ramfs): alloc_super() + @fill_super. */
struct dentry *mount_nodev(struct file_system_type *fs_type, int flags, void *data,
			   int (*fill_super)(struct super_block *sb, void *data,
					     int silent));
/* Drop the tree (every dentry, so every inode with no other user) and the
 * sb: the common part of every ->kill_sb. */
void generic_shutdown_super(struct super_block *sb);
void kill_anon_super(struct super_block *sb);
/* For file systems on a disk (FS_REQUIRES_DEV, qlfs): @dev_name is a disk
 * ("vdb" or "/dev/vdb"); -ENOENT if there is none, -ENXIO if it is dead,
 * -EACCES for a read-write mount of a read-only disk, -EBUSY if a file
 * system is mounted on it already. The sb gets s_bdev, the disk's s_dev,
 * s_id (its name) and s_bdi (the disk's own: its flusher writes the file
 * system's inodes), then @fill_super runs. */
struct dentry *
mount_bdev(struct file_system_type *fs_type, int flags, const char *dev_name, void *data,
	   int (*fill_super)(struct super_block *sb, void *data, int silent));
/* generic_shutdown_super() and the disk let go: ->kill_sb of mount_bdev(). */
void kill_block_super(struct super_block *sb);
/* For trees that live only in the dcache (ramfs): drop the dentries the
 * fs pinned, then kill_anon_super(). */
void kill_litter_super(struct super_block *sb);

/* ---- inode operations (the VFS calls them, fs/namei.c) ---- */

/* setattr's request (Linux's struct iattr): which fields, and their values.
 * ATTR_ATIME/ATTR_MTIME alone: the current time; with ATTR_*_SET: the
 * value given (utimensat with times). Linux's values. */
#define ATTR_MODE      (1u << 0)
#define ATTR_SIZE      (1u << 3)
#define ATTR_ATIME     (1u << 4)
#define ATTR_MTIME     (1u << 5)
#define ATTR_CTIME     (1u << 6)
#define ATTR_ATIME_SET (1u << 7)
#define ATTR_MTIME_SET (1u << 8)
struct iattr {
	unsigned int ia_valid; /* ATTR_* */
	umode_t ia_mode;       /* the whole i_mode: type bits kept by the VFS */
	loff_t ia_size;
	s64 ia_atime_ns, ia_mtime_ns; /* with ATTR_ATIME_SET / ATTR_MTIME_SET */
};
/* The times @attr asks for on @inode (i_atime/i_mtime/i_ctime set, now
 * where no value is given). For ->setattr: Linux's setattr_copy() part. */
void setattr_copy_times(struct inode *inode, const struct iattr *attr);

/* A deferred release of what ->get_link returned (Linux's delayed_call). */
struct delayed_call {
	void (*fn)(void *arg);
	void *arg;
};
static inline void do_delayed_call(struct delayed_call *call)
{
	if (call->fn)
		call->fn(call->arg);
	call->fn = NULL;
}

/*
 * Every namespace change is called with the parent directory's i_rwsem
 * held for writing (both parents and s_vfs_rename_mutex for a rename
 * across directories), and the victim's i_rwsem for unlink, rmdir, link's
 * source and a rename's source and target; the VFS checked the name, the
 * types and emptiness rules it can (docs/vfs.md). ->lookup is called with
 * the parent's i_rwsem held and must d_add() the dentry (NULL inode:
 * negative). Each returns 0 or -errno and changes nothing on failure.
 */
struct inode_operations {
	struct dentry *(*lookup)(struct inode *dir, struct dentry *dentry,
				 unsigned int flags);
	/* The body of a symlink; @done releases it after use. */
	const char *(*get_link)(struct dentry *dentry, struct inode *inode,
				struct delayed_call *done);
	int (*create)(struct inode *dir, struct dentry *dentry, umode_t mode, bool excl);
	int (*link)(struct dentry *old_dentry, struct inode *dir, struct dentry *dentry);
	int (*unlink)(struct inode *dir, struct dentry *dentry);
	int (*symlink)(struct inode *dir, struct dentry *dentry, const char *symname);
	int (*mkdir)(struct inode *dir, struct dentry *dentry, umode_t mode);
	int (*rmdir)(struct inode *dir, struct dentry *dentry);
	/* RENAME_NOREPLACE / RENAME_EXCHANGE in @flags (-EINVAL if not
	 * supported); the VFS moves the dentries after it returns 0. */
	int (*rename)(struct inode *old_dir, struct dentry *old_dentry,
		      struct inode *new_dir, struct dentry *new_dentry,
		      unsigned int flags);
	/* Called with the inode's i_rwsem held. NULL: simple_setattr(). */
	int (*setattr)(struct dentry *dentry, struct iattr *attr);
	/* NULL: generic_fillattr(). */
	int (*getattr)(const struct path *path, struct kstat *stat);
};

/* i_rwsem helpers (Linux's names). One lock class for every inode: the
 * order parent before child, ancestor before descendant, and the rename
 * order of lock_rename() make nesting safe (docs/vfs.md, Locking). */
static inline void inode_lock(struct inode *inode)
{
	down_write(&inode->i_rwsem);
}
static inline void inode_unlock(struct inode *inode)
{
	up_write(&inode->i_rwsem);
}
static inline void inode_lock_shared(struct inode *inode)
{
	down_read(&inode->i_rwsem);
}
static inline void inode_unlock_shared(struct inode *inode)
{
	up_read(&inode->i_rwsem);
}
static inline bool is_dead_dir(const struct inode *inode)
{
	return inode->i_flags & S_DEAD;
}

/* Link counts, under the inode's i_rwsem (or its parent's when new). */
void set_nlink(struct inode *inode, unsigned int nlink);
void inc_nlink(struct inode *inode);
void drop_nlink(struct inode *inode);
void clear_nlink(struct inode *inode);
/* The clock of timestamps: ns since boot. */
s64 current_time_ns(void);
/* mtime = ctime = now (a directory's after a change in it). */
void inode_touch_mctime(struct inode *inode);

/* Open flags (Linux's values). */
#define O_ACCMODE   00000003
#define O_RDONLY    00000000
#define O_WRONLY    00000001
#define O_RDWR	    00000002
#define O_CREAT	    00000100
#define O_EXCL	    00000200
#define O_TRUNC	    00001000
#define O_APPEND    00002000
#define O_DSYNC	    00010000
#define O_DIRECT    00040000
#define O_DIRECTORY 00200000
#define O_SYNC	    04010000

/* file->f_mode (Linux's values): from O_ACCMODE at open. */
#define FMODE_READ  0x1
#define FMODE_WRITE 0x2

/* Per-file read-ahead state (Linux's file_ra_state). */
struct file_ra_state {
	pgoff_t start;		 /* where the current window starts */
	unsigned int size;	 /* its size in pages */
	unsigned int async_size; /* start the next one with this many left */
	unsigned int ra_pages;	 /* maximum window */
	loff_t prev_pos;	 /* last read position (sequential test) */
};

struct file_operations {
	/* Read/write @count bytes at *pos from/to a kernel buffer; advance
	 * *pos. Bytes done, or -errno. */
	ssize_t_k (*read)(struct file *file, void *buf, size_t count, loff_t *pos);
	ssize_t_k (*write)(struct file *file, const void *buf, size_t count, loff_t *pos);
	/* Make [start, end] durable; datasync: data and what reads need. */
	int (*fsync)(struct file *file, loff_t start, loff_t end, int datasync);
	int (*open)(struct inode *inode, struct file *file);
	int (*release)(struct inode *inode, struct file *file);
	/* Move f_pos (SEEK_*); the new position or -errno. Called with
	 * f_pos_lock held. NULL: the VFS gives -ESPIPE. */
	loff_t (*llseek)(struct file *file, loff_t offset, int whence);
	/* Emit a directory's entries from ctx->pos on (dir_emit()), advancing
	 * ctx->pos past each one emitted. Called with the directory's i_rwsem
	 * held shared. */
	int (*iterate_shared)(struct file *file, struct dir_context *ctx);
};

/* readdir's consumer (Linux's dir_context): @actor stores one entry and
 * returns false when the buffer is full. */
struct dir_context {
	bool (*actor)(struct dir_context *ctx, const char *name, int namelen,
		      loff_t offset, u64 ino, unsigned int d_type);
	loff_t pos;
};
static inline bool dir_emit(struct dir_context *ctx, const char *name, int namelen,
			    u64 ino, unsigned int type)
{
	return ctx->actor(ctx, name, namelen, ctx->pos, ino, type);
}

struct file {
	struct inode *f_inode;
	struct address_space *f_mapping;
	const struct file_operations *f_op;
	unsigned int f_flags; /* O_* */
	loff_t f_pos;
	errseq_t f_wb_err; /* writeback errors seen (fsync) */
	struct file_ra_state f_ra;
	atomic_t f_count;
	void *private_data;
	struct path f_path;	 /* where it was opened (VFS opens only) */
	unsigned int f_mode;	 /* FMODE_READ | FMODE_WRITE */
	struct mutex f_pos_lock; /* read/write/lseek/getdents on f_pos */
};

/* i_size is written under i_lock (and i_rwsem) and read without: Linux's
 * i_size_read()/i_size_write() (one 64-bit access on a 64-bit CPU). */
static inline loff_t i_size_read(const struct inode *inode)
{
	return READ_ONCE(inode->i_size);
}

static inline void i_size_write(struct inode *inode, loff_t i_size)
{
	WRITE_ONCE(inode->i_size, i_size);
}

static inline struct inode *file_inode(const struct file *f)
{
	return f->f_inode;
}

/* ---- fs/inode.c ---- */

/* Set up an inode's fields and its i_data (host, empty i_pages,
 * a_ops = empty_aops, wb_err 0); i_count 1, i_mapping = &i_data. */
void inode_init_once(struct inode *inode, struct super_block *sb);
/* Allocate (sb->s_op->alloc_inode or kzalloc), init, add to sb->s_inodes,
 * give a fresh i_ino. NULL on no memory. */
struct inode *new_inode(struct super_block *sb);
void ihold(struct inode *inode);
/* Drop a reference; the last one writes nothing, evicts the inode: off the
 * writeback lists (waiting for I_SYNC), its pages truncated, freed. */
void iput(struct inode *inode);
/* An inode's pages go (truncate_inode_pages_final) and it leaves sb. */
void clear_inode(struct inode *inode);
extern const struct address_space_operations empty_aops;

/* Open/close on an inode (no path walk yet: the VFS comes with qlfs).
 * Returns the file or ERR_PTR(); samples wb_err into f_wb_err. */
struct file *file_open_inode(struct inode *inode, unsigned int flags);
/* Drops the reference; the last runs ->release, iput() and path_put(). */
void fput(struct file *file);
/* The same for an open through the tree: f_path holds @path (a new
 * reference), f_mode from O_ACCMODE. */
struct file *dentry_open(const struct path *path, unsigned int flags);

/* Mark an inode dirty (I_DIRTY_* flags); fs/fs-writeback.c. */
void __mark_inode_dirty(struct inode *inode, int flags);
static inline void mark_inode_dirty(struct inode *inode)
{
	__mark_inode_dirty(inode, I_DIRTY);
}

/* vfs_fsync_range(): ->fsync of the file, -EINVAL if none. */
int vfs_fsync_range(struct file *file, loff_t start, loff_t end, int datasync);
int vfs_fsync(struct file *file, int datasync);
/* Generic ->fsync for files with no metadata of their own to write:
 * file_write_and_wait_range() and the errseq check. */
int generic_file_fsync_nometa(struct file *file, loff_t start, loff_t end, int datasync);

/* Write every dirty inode of every bdi and wait; then each sb's ->sync_fs
 * and a cache flush of every disk. The `sync` command. */
void ksys_sync(void);

/* ---- VFS helpers for file systems (fs/libfs.c, fs/read_write.c) ---- */

/* lseek for files whose data is everywhere up to i_size (Linux's generic
 * one): SEEK_DATA is the offset itself and SEEK_HOLE is i_size, both ENXIO
 * at or past i_size. */
loff_t generic_file_llseek(struct file *file, loff_t offset, int whence);
loff_t generic_file_llseek_size(struct file *file, loff_t offset, int whence,
				loff_t maxsize, loff_t eof);
/* Buffered write through the page cache (mm/filemap.c): takes i_rwsem,
 * O_APPEND, EFBIG past s_maxbytes, mtime/ctime, generic_perform_write(). */
ssize_t_k generic_file_write(struct file *file, const void *buf, size_t count,
			     loff_t *pos);
int generic_write_checks(struct file *file, loff_t *pos, size_t *count);

/* Fill @stat from the inode (Linux's generic_fillattr). */
void generic_fillattr(struct inode *inode, struct kstat *stat);
/* ATTR_SIZE (truncate_setsize), ATTR_MODE and times; the VFS checked the
 * size. */
int simple_setattr(struct dentry *dentry, struct iattr *iattr);

/* Directories that live in the dcache (ramfs and the like). */
struct dentry *simple_lookup(struct inode *dir, struct dentry *dentry,
			     unsigned int flags);
int simple_link(struct dentry *old_dentry, struct inode *dir, struct dentry *dentry);
int simple_unlink(struct inode *dir, struct dentry *dentry);
int simple_rmdir(struct inode *dir, struct dentry *dentry);
int simple_rename(struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
		  struct dentry *new_dentry, unsigned int flags);
/* Has the directory no positive child? Caller holds its i_rwsem. */
bool simple_empty(struct dentry *dentry);
int simple_statfs(struct dentry *dentry, struct kstatfs *buf);
/* ->get_link for symlinks whose body is i_link. */
const char *simple_get_link(struct dentry *dentry, struct inode *inode,
			    struct delayed_call *done);
int noop_fsync(struct file *file, loff_t start, loff_t end, int datasync);
/* Directory file operations for dcache-only directories: readdir in
 * creation order with stable offsets ("." 0, ".." 1, then each child's
 * d_dir_offset), lseek SEEK_SET/SEEK_CUR. */
extern const struct file_operations simple_dir_operations;
extern const struct inode_operations simple_symlink_inode_operations;
/* Zero-filled ->read_folio for pages never written (holes). */
int simple_read_folio(struct file *file, struct folio *folio);

/* ---- fs/super.c ---- */

/* Put @sb on the list sync walks (Quire has no mount yet: whoever sets up
 * a super_block registers it; Linux's alloc_super() does this). */
void register_super(struct super_block *sb);
void unregister_super(struct super_block *sb);
/* Call @f on every registered super_block, under the list's mutex. */
void iterate_supers(void (*f)(struct super_block *sb, void *arg), void *arg);

#endif
