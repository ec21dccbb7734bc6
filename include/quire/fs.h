/*
 * include/quire/fs.h - inodes, address spaces and open files: the parts of
 * Linux's <linux/fs.h> the page cache and writeback need.
 *
 * Layer: fs/mm. Implemented by fs/inode.c (inode life cycle), mm/filemap.c
 * (the page cache), fs/fs-writeback.c (dirty inodes, flushers). Extended by
 * the VFS and qlfs later. See docs/pagecache.md.
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
	void *i_private; /* the owner's (disk, file system) */

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
};

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
};

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
};

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
};

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
/* Drops the reference; the last runs ->release and iput(). */
void fput(struct file *file);

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

/* ---- fs/super.c ---- */

/* Put @sb on the list sync walks (Quire has no mount yet: whoever sets up
 * a super_block registers it; Linux's alloc_super() does this). */
void register_super(struct super_block *sb);
void unregister_super(struct super_block *sb);
/* Call @f on every registered super_block, under the list's mutex. */
void iterate_supers(void (*f)(struct super_block *sb, void *arg), void *arg);

#endif
