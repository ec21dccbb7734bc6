/*
 * fs/dcache.c - the dentry cache: names of the tree, positive and
 * negative, found by hash (Linux's fs/dcache.c, before RCU walk: one
 * dcache_lock, as Linux 2.6 had).
 *
 * Layer: fs (the VFS). Used by: fs/namei.c (lookups, namespace changes),
 * fs/libfs.c and file systems (d_add, d_instantiate), fs/namespace.c.
 * Provides: d_alloc(), d_make_root(), d_add(), d_instantiate(), d_lookup(),
 * d_drop(), d_delete(), d_move(), d_exchange(), dget(), dput(),
 * dget_parent(), is_subdir(), shrink_dcache_for_umount(),
 * d_make_persistent(), d_make_discardable(), simple_empty(),
 * d_check_tree() (DC1-DC6, for tests),
 * d_for_each_child().
 * Not here: d_path() (fs/namespace.c: it crosses mounts), an LRU and a
 * shrinker for unused dentries (see docs/vfs.md).
 *
 * Invariants:
 *  DC1: a dentry is on its bucket of dentry_hashtable iff DCACHE_HASHED is
 *       set and it is not a root; two hashed dentries never have the same
 *       parent and name.
 *  DC2: every dentry but a root is on d_parent->d_subdirs and holds one
 *       reference on d_parent; a dentry with children is referenced.
 *  DC3: a positive dentry holds one reference on d_inode (i_count).
 *  DC4: d_count == 0 only for a hashed positive dentry (kept as a cache
 *       entry); an unhashed or negative one is freed by its last dput().
 *  DC5: the children of a dentry are in d_subdirs in increasing
 *       d_dir_offset, and offsets are never reused in one directory
 *       (readdir resumes at an offset: stable under removals).
 *  DC6: a dentry with DCACHE_PERSIST set has one reference held by its
 *       file system (ramfs's tree lives in the dcache), dropped by the fs
 *       at unlink or by shrink_dcache_for_umount().
 *
 * Locking: dcache_lock (a spinlock) guards the hash table, every d_flags,
 * d_count, d_inode (writes), d_parent, d_name, d_child/d_subdirs and the
 * offsets. It is a leaf but for mount_lock, taken before it (d_path).
 * Nothing sleeps under it: iput() and kfree of killed dentries run after
 * it is dropped. Namespace changes are serialised by the directories'
 * i_rwsem (fs/namei.c); dcache_lock only makes each step atomic.
 */
#include <quire/dcache.h>
#include <quire/syscalls.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <quire/printk.h>
#include "internal.h"

#define D_HASHBITS 10

DEFINE_SPINLOCK(dcache_lock);
static struct list_head dentry_hashtable[1 << D_HASHBITS];
static long nr_dentry; /* under dcache_lock */

void dcache_init(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(dentry_hashtable); i++)
		INIT_LIST_HEAD(&dentry_hashtable[i]);
}

/* FNV-1a over the name's bytes. */
static u32 full_name_hash(const char *name, unsigned int len)
{
	u32 h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*name++) * 16777619u;
	return h;
}

static struct list_head *d_hash(const struct dentry *parent, u32 hash)
{
	unsigned long h = hash ^ ((unsigned long)parent >> 4);

	h ^= h >> D_HASHBITS;
	return &dentry_hashtable[h & ((1 << D_HASHBITS) - 1)];
}

static void set_d_inode(struct dentry *dentry, struct inode *inode)
{
	__atomic_store_n(&dentry->d_inode, inode, __ATOMIC_RELEASE);
}

static void __d_rehash(struct dentry *dentry)
{
	lockdep_assert_held(&dcache_lock);
	list_add(&dentry->d_hash, d_hash(dentry->d_parent, dentry->d_name.hash));
	dentry->d_flags |= DCACHE_HASHED;
}

static void __d_unhash(struct dentry *dentry)
{
	lockdep_assert_held(&dcache_lock);
	if (!IS_ROOT(dentry))
		list_del_init(&dentry->d_hash);
	dentry->d_flags &= ~DCACHE_HASHED;
}

long dentry_count(void)
{
	long n;

	spin_lock(&dcache_lock);
	n = nr_dentry;
	spin_unlock(&dcache_lock);
	return n;
}

struct dentry *d_alloc(struct dentry *parent, const struct qstr *name)
{
	struct dentry *dentry = kzalloc(sizeof(*dentry), GFP_KERNEL);
	char *n;

	if (!dentry)
		return NULL;
	n = kmalloc(name->len + 1, GFP_KERNEL);
	if (!n) {
		kfree(dentry);
		return NULL;
	}
	memcpy(n, name->name, name->len);
	n[name->len] = '\0';
	dentry->d_name.name = n;
	dentry->d_name.len = name->len;
	dentry->d_name.hash = full_name_hash(n, name->len);
	dentry->d_count = 1;
	dentry->d_next_offset = 2; /* 0 and 1 are "." and ".." */
	INIT_LIST_HEAD(&dentry->d_hash);
	INIT_LIST_HEAD(&dentry->d_child);
	INIT_LIST_HEAD(&dentry->d_subdirs);
	dentry->d_parent = dentry;

	spin_lock(&dcache_lock);
	if (parent) {
		parent->d_count++; /* DC2 */
		dentry->d_parent = parent;
		dentry->d_sb = parent->d_sb;
		dentry->d_dir_offset = parent->d_next_offset++; /* DC5 */
		list_add_tail(&dentry->d_child, &parent->d_subdirs);
	}
	nr_dentry++;
	spin_unlock(&dcache_lock);
	return dentry;
}

struct dentry *d_make_root(struct inode *inode)
{
	static const struct qstr root_name = QSTR_INIT("/", 1);
	struct dentry *dentry;

	if (!inode)
		return NULL;
	dentry = d_alloc(NULL, &root_name);
	if (!dentry) {
		iput(inode);
		return NULL;
	}
	dentry->d_sb = inode->i_sb;
	spin_lock(&dcache_lock);
	set_d_inode(dentry, inode);
	dentry->d_flags |= DCACHE_HASHED; /* a root is never unhashed */
	spin_unlock(&dcache_lock);
	return dentry;
}

void d_instantiate(struct dentry *dentry, struct inode *inode)
{
	spin_lock(&dcache_lock);
	WARN_ON_ONCE(dentry->d_inode);
	set_d_inode(dentry, inode);
	if (!(dentry->d_flags & DCACHE_HASHED))
		__d_rehash(dentry);
	spin_unlock(&dcache_lock);
}

void d_add(struct dentry *dentry, struct inode *inode)
{
	d_instantiate(dentry, inode);
}

struct dentry *d_lookup(struct dentry *parent, const struct qstr *name)
{
	u32 hash = full_name_hash(name->name, name->len);
	struct list_head *bucket = d_hash(parent, hash);
	struct dentry *dentry, *found = NULL;

	spin_lock(&dcache_lock);
	list_for_each_entry(dentry, bucket, d_hash) {
		if (dentry->d_parent != parent || dentry->d_name.hash != hash ||
		    dentry->d_name.len != name->len ||
		    memcmp(dentry->d_name.name, name->name, name->len))
			continue;
		dentry->d_count++;
		found = dentry;
		break;
	}
	spin_unlock(&dcache_lock);
	return found;
}

void d_drop(struct dentry *dentry)
{
	spin_lock(&dcache_lock);
	if (dentry->d_flags & DCACHE_HASHED)
		__d_unhash(dentry);
	spin_unlock(&dcache_lock);
}

void d_delete(struct dentry *dentry)
{
	struct inode *inode = NULL;

	spin_lock(&dcache_lock);
	if (dentry->d_count == 1) {
		/* Only the caller uses it: it becomes a negative entry. */
		inode = dentry->d_inode;
		set_d_inode(dentry, NULL);
	} else if (dentry->d_flags & DCACHE_HASHED) {
		/* Others hold it (an open file): it keeps the inode. */
		__d_unhash(dentry);
	}
	spin_unlock(&dcache_lock);
	iput(inode); /* DC3 */
}

struct dentry *dget(struct dentry *dentry)
{
	if (dentry) {
		spin_lock(&dcache_lock);
		dentry->d_count++;
		spin_unlock(&dcache_lock);
	}
	return dentry;
}

struct dentry *dget_parent(struct dentry *dentry)
{
	struct dentry *parent;

	spin_lock(&dcache_lock);
	parent = dentry->d_parent;
	parent->d_count++;
	spin_unlock(&dcache_lock);
	return parent;
}

/* Take a dead dentry out of the tree (DC1, DC2); its parent, or NULL. */
static struct dentry *__d_detach(struct dentry *dentry)
{
	struct dentry *parent = NULL;

	lockdep_assert_held(&dcache_lock);
	__d_unhash(dentry);
	if (!IS_ROOT(dentry)) {
		list_del_init(&dentry->d_child);
		parent = dentry->d_parent;
	}
	nr_dentry--;
	return parent;
}

static void d_free(struct dentry *dentry, struct inode *inode)
{
	iput(inode);
	kfree(dentry->d_name.name);
	kfree(dentry);
}

void dput(struct dentry *dentry)
{
	while (dentry) {
		struct dentry *parent;
		struct inode *inode;

		spin_lock(&dcache_lock);
		if (WARN_ON_ONCE(dentry->d_count <= 0)) {
			spin_unlock(&dcache_lock);
			return;
		}
		/* DC4: a hashed positive dentry stays as a cache entry. */
		if (--dentry->d_count > 0 ||
		    ((dentry->d_flags & DCACHE_HASHED) && dentry->d_inode)) {
			spin_unlock(&dcache_lock);
			return;
		}
		parent = __d_detach(dentry);
		inode = dentry->d_inode;
		set_d_inode(dentry, NULL);
		spin_unlock(&dcache_lock);
		d_free(dentry, inode);
		dentry = parent; /* drop the reference it held (DC2) */
	}
}

void d_make_persistent(struct dentry *dentry)
{
	spin_lock(&dcache_lock);
	if (!WARN_ON_ONCE(dentry->d_flags & DCACHE_PERSIST)) {
		dentry->d_flags |= DCACHE_PERSIST; /* DC6 */
		dentry->d_count++;
	}
	spin_unlock(&dcache_lock);
}

void d_make_discardable(struct dentry *dentry)
{
	bool pinned;

	spin_lock(&dcache_lock);
	pinned = dentry->d_flags & DCACHE_PERSIST;
	dentry->d_flags &= ~DCACHE_PERSIST;
	spin_unlock(&dcache_lock);
	if (!WARN_ON_ONCE(!pinned))
		dput(dentry);
}

bool d_unlinked(struct dentry *dentry)
{
	bool unlinked;

	spin_lock(&dcache_lock);
	unlinked = !(dentry->d_flags & DCACHE_HASHED) && !IS_ROOT(dentry);
	spin_unlock(&dcache_lock);
	return unlinked;
}

/* Give @dentry the next offset of its (new) parent and put it last. */
static void __d_reposition(struct dentry *dentry)
{
	struct dentry *parent = dentry->d_parent;

	dentry->d_dir_offset = parent->d_next_offset++;
	list_move_tail(&dentry->d_child, &parent->d_subdirs);
}

void d_move(struct dentry *dentry, struct dentry *target)
{
	struct dentry *old_parent = NULL;
	struct qstr name;

	spin_lock(&dcache_lock);
	if (target->d_flags & DCACHE_HASHED)
		__d_unhash(target);
	if (dentry->d_flags & DCACHE_HASHED)
		__d_unhash(dentry);
	/* Swap the names: the target, now unhashed, keeps the old one. */
	name = dentry->d_name;
	dentry->d_name = target->d_name;
	target->d_name = name;
	if (dentry->d_parent != target->d_parent) {
		old_parent = dentry->d_parent;
		dentry->d_parent = target->d_parent;
		dentry->d_parent->d_count++; /* DC2; old_parent's ref below */
	}
	__d_reposition(dentry);
	__d_rehash(dentry);
	spin_unlock(&dcache_lock);
	dput(old_parent);
}

void d_exchange(struct dentry *dentry1, struct dentry *dentry2)
{
	struct dentry *p1, *p2;
	struct qstr name;

	spin_lock(&dcache_lock);
	__d_unhash(dentry1);
	__d_unhash(dentry2);
	name = dentry1->d_name;
	dentry1->d_name = dentry2->d_name;
	dentry2->d_name = name;
	p1 = dentry1->d_parent;
	p2 = dentry2->d_parent;
	dentry1->d_parent = p2; /* each parent keeps one reference (DC2) */
	dentry2->d_parent = p1;
	__d_reposition(dentry1);
	__d_reposition(dentry2);
	__d_rehash(dentry1);
	__d_rehash(dentry2);
	spin_unlock(&dcache_lock);
}

bool is_subdir(struct dentry *p2, struct dentry *p1)
{
	bool found = false;

	spin_lock(&dcache_lock);
	for (;;) {
		if (p2 == p1) {
			found = true;
			break;
		}
		if (IS_ROOT(p2))
			break;
		p2 = p2->d_parent;
	}
	spin_unlock(&dcache_lock);
	return found;
}

/*
 * The sb is unmounted and nobody uses its tree: free every dentry, leaves
 * first, dropping the pins (DC6). A count other than the pin and the
 * children's (the root: also s_root's) is a leaked reference.
 * Context: process, may sleep (iput evicts).
 */
void shrink_dcache_for_umount(struct super_block *sb)
{
	struct dentry *root = sb->s_root;

	if (!root)
		return;
	spin_lock(&dcache_lock);
	for (;;) {
		struct dentry *d = root, *parent;
		struct inode *inode;
		int expect;

		while (!list_empty(&d->d_subdirs))
			d = list_first_entry(&d->d_subdirs, struct dentry, d_child);
		expect = d == root ? 1 : !!(d->d_flags & DCACHE_PERSIST);
		WARN_ON_ONCE(d->d_count != expect);
		parent = __d_detach(d);
		if (parent)
			parent->d_count--; /* DC2: the child's reference */
		inode = d->d_inode;
		set_d_inode(d, NULL);
		spin_unlock(&dcache_lock);
		d_free(d, inode);
		if (d == root)
			break;
		spin_lock(&dcache_lock);
	}
	sb->s_root = NULL;
}

void d_for_each_child(struct dentry *parent, loff_t *pos,
		      bool (*fn)(void *arg, const char *name, int len, loff_t off,
				 u64 ino, umode_t mode),
		      void *arg)
{
	char name[NAME_MAX + 1];

	for (;;) {
		struct dentry *child, *found = NULL;
		unsigned long ino = 0;
		umode_t mode = 0;
		loff_t off = 0;
		int len = 0;

		spin_lock(&dcache_lock);
		list_for_each_entry(child, &parent->d_subdirs, d_child) {
			/* DC5: in offset order, so the first is the next. */
			if (child->d_dir_offset < *pos ||
			    !(child->d_flags & DCACHE_HASHED) || !child->d_inode)
				continue;
			found = child;
			break;
		}
		if (found) {
			len = found->d_name.len;
			memcpy(name, found->d_name.name, len);
			name[len] = '\0';
			off = found->d_dir_offset;
			ino = found->d_inode->i_ino;
			mode = found->d_inode->i_mode;
		}
		spin_unlock(&dcache_lock);
		if (!found || !fn(arg, name, len, off, ino, mode))
			return;
		*pos = off + 1;
	}
}

bool simple_empty(struct dentry *dentry)
{
	struct dentry *child;
	bool empty = true;

	spin_lock(&dcache_lock);
	list_for_each_entry(child, &dentry->d_subdirs, d_child) {
		if ((child->d_flags & DCACHE_HASHED) && child->d_inode) {
			empty = false;
			break;
		}
	}
	spin_unlock(&dcache_lock);
	return empty;
}

/* ---- the checker ---- */

static bool on_bucket(struct dentry *dentry)
{
	struct dentry *d;

	list_for_each_entry(d, d_hash(dentry->d_parent, dentry->d_name.hash), d_hash)
		if (d == dentry)
			return true;
	return false;
}

/* DC1-DC6 for one dentry and its children; NULL or the broken rule. */
static const char *d_check_one(struct dentry *d)
{
	struct dentry *c, *c2;
	loff_t last = -1;
	int children = 0;

	list_for_each_entry(c, &d->d_subdirs, d_child) {
		children++;
		if (c->d_parent != d)
			return "DC2: a child's d_parent is not the dentry it is listed under";
		if (c->d_dir_offset <= last || c->d_dir_offset >= d->d_next_offset)
			return "DC5: children not in increasing offset order";
		last = c->d_dir_offset;
		if ((c->d_flags & DCACHE_HASHED) != on_bucket(c))
			return "DC1: DCACHE_HASHED and the hash table disagree";
		if (!c->d_count && (!(c->d_flags & DCACHE_HASHED) || !c->d_inode))
			return "DC4: an unused dentry is unhashed or negative";
		if ((c->d_flags & DCACHE_PERSIST) && (!c->d_count || !c->d_inode))
			return "DC6: a pinned dentry without its reference or inode";
		if (c->d_inode && atomic_read(&c->d_inode->i_count) < 1)
			return "DC3: a positive dentry's inode has no reference";
		if (!(c->d_flags & DCACHE_HASHED))
			continue;
		for (c2 = list_next_entry(c, d_child); &c2->d_child != &d->d_subdirs;
		     c2 = list_next_entry(c2, d_child)) {
			if ((c2->d_flags & DCACHE_HASHED) &&
			    c2->d_name.len == c->d_name.len &&
			    !memcmp(c2->d_name.name, c->d_name.name, c->d_name.len))
				return "DC1: two hashed children with one name";
		}
	}
	if (children > d->d_count)
		return "DC2: fewer references than children";
	return NULL;
}

int d_check_tree(struct dentry *root)
{
	struct dentry *d = root;
	const char *broken = NULL;

	spin_lock(&dcache_lock);
	for (;;) {
		broken = d_check_one(d);
		if (broken)
			break;
		if (!list_empty(&d->d_subdirs)) {
			d = list_first_entry(&d->d_subdirs, struct dentry, d_child);
			continue;
		}
		/* Next sibling, or climb until one has a next sibling. */
		while (d != root && d->d_child.next == &d->d_parent->d_subdirs)
			d = d->d_parent;
		if (d == root)
			break;
		d = list_next_entry(d, d_child);
	}
	spin_unlock(&dcache_lock);
	if (broken) {
		pr_err("dcache: %s (at \"%s\")\n", broken, d->d_name.name);
		return -EUCLEAN;
	}
	return 0;
}
