/*
 * arch/host/crash_sweep_model.c - the crash sweep's small file system:
 * its states, the operations on the model and on a real mount, what each
 * fsync-family call promises, and the checker of a recovered tree.
 *
 * Layer: arch/host (test engine). Used by: arch/host/crash_sweep.c.
 * Provides: csw_state_base(), csw_op_model(), csw_op_live(),
 * csw_promise(), csw_check_tree() (crash_sweep.h).
 *
 * The populated file system (state 0) is /A (12288 bytes), /B (5000),
 * /D/C (8192), the directories /D and /E, and /S -> B. An operation's
 * bytes are csw_byte(gen, offset): a block of one write never equals the
 * same block of another, so a torn or misplaced block is seen.
 *
 * Invariants the checker holds a recovered tree to (CS for crash sweep;
 * states 0..hi are those the cut may show: hi is the last operation that
 * had started before the cut):
 *  CS1: every name holds what it held in some state j, lo <= j <= hi,
 *       where lo is the last acknowledged promise covering the name
 *       (sync: all; fsync of a file: its name; fsync of a directory: its
 *       name and its entries), or the name is absent in such a state.
 *  CS2: every file's bytes and size, and every symlink's target, are
 *       those of some state j, lo <= j <= hi, with lo the last
 *       acknowledged sync, fsync or fdatasync of that file: old or new,
 *       never a mix of two, never garbage.
 *  CS3: an object has as many names as some state j (sync's lo <= j <=
 *       hi) gave it: a renamed file under exactly one name, a file that
 *       was never unlinked is not lost.
 *  CS4: no name outside the workload's, no inode number the workload
 *       never made, no object whose type changed.
 *
 * Locking: none; one sweep at a time (the shell's command or the suite).
 */
#include <quire/errno.h>
#include <quire/fs.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/syscalls.h>
#include "crash_sweep.h"

const char *const csw_path_name[CSW_NR_PATHS] = {
	[CSW_A] = "/A",	   [CSW_B] = "/B",	  [CSW_D] = "/D",    [CSW_DC] = "/D/C",
	[CSW_E] = "/E",	   [CSW_S] = "/S",	  [CSW_DN] = "/D/n", [CSW_DL] = "/D/l",
	[CSW_EM] = "/E/m", [CSW_DSUB] = "/D/sub", [CSW_DS] = "/D/s",
};

/* The directory holding each name (-1: the root). */
static const s8 csw_parent[CSW_NR_PATHS] = {
	[CSW_A] = -1,	  [CSW_B] = -1,	      [CSW_D] = -1,	[CSW_DC] = CSW_D,
	[CSW_E] = -1,	  [CSW_S] = -1,	      [CSW_DN] = CSW_D, [CSW_DL] = CSW_D,
	[CSW_EM] = CSW_E, [CSW_DSUB] = CSW_D, [CSW_DS] = CSW_D,
};

const char *const csw_op_name[CSW_NR_OPCODES] = {
	[CSW_OP_CREATE] = "create",	  [CSW_OP_APPEND] = "append",
	[CSW_OP_OVERWRITE] = "overwrite", [CSW_OP_HOLE] = "hole",
	[CSW_OP_TRUNCATE] = "truncate",	  [CSW_OP_LINK] = "link",
	[CSW_OP_UNLINK] = "unlink",	  [CSW_OP_RENAME] = "rename",
	[CSW_OP_REPLACE] = "replace",	  [CSW_OP_MKDIR] = "mkdir",
	[CSW_OP_RMDIR] = "rmdir",	  [CSW_OP_SYMLINK] = "symlink",
};

const char *const csw_persist_name[CSW_NR_PERSIST] = {
	[CSW_P_NONE] = "",
	[CSW_P_FSYNC] = "fsync",
	[CSW_P_FDATASYNC] = "fdatasync",
	[CSW_P_SYNC] = "sync",
};

/* The name each operation's fsync-family call opens (-1: the root). */
static const s8 csw_target[CSW_NR_OPCODES] = {
	[CSW_OP_CREATE] = CSW_DN,  [CSW_OP_APPEND] = CSW_A,   [CSW_OP_OVERWRITE] = CSW_DC,
	[CSW_OP_HOLE] = CSW_B,	   [CSW_OP_TRUNCATE] = CSW_A, [CSW_OP_LINK] = CSW_DL,
	[CSW_OP_UNLINK] = -1,	   [CSW_OP_RENAME] = CSW_EM,  [CSW_OP_REPLACE] = CSW_A,
	[CSW_OP_MKDIR] = CSW_DSUB, [CSW_OP_RMDIR] = -1,	      [CSW_OP_SYMLINK] = CSW_D,
};

int csw_op_target(int op)
{
	return csw_target[op];
}

u8 csw_byte(u32 gen, u32 off)
{
	return (u8)(gen * 37 + off + (off >> 8) * 3 + 1);
}

static void fill(u8 *buf, u32 gen, u32 off, u32 len)
{
	for (u32 i = 0; i < len; i++)
		buf[i] = csw_byte(gen, off + i);
}

/* ---- the model ---- */

static int new_obj(struct csw_state *s, int type)
{
	struct csw_obj *o;

	if (s->nobj == CSW_MAX_OBJS)
		return -EINVAL;
	o = &s->obj[s->nobj];
	o->type = type;
	o->len = 0;
	o->target[0] = '\0';
	return s->nobj++;
}

static int new_file(struct csw_state *s, int path, u32 gen, u32 len)
{
	int o = new_obj(s, CSW_REG);

	if (o < 0)
		return o;
	fill(s->obj[o].data, gen, 0, len);
	s->obj[o].len = len;
	s->at[path] = o;
	return o;
}

void csw_state_base(struct csw_state *s)
{
	int o;

	for (int i = 0; i < CSW_NR_PATHS; i++)
		s->at[i] = -1;
	s->nobj = 0;
	new_file(s, CSW_A, 1, 12288);
	new_file(s, CSW_B, 2, 5000);
	s->at[CSW_D] = new_obj(s, CSW_DIR);
	new_file(s, CSW_DC, 3, 8192);
	s->at[CSW_E] = new_obj(s, CSW_DIR);
	o = new_obj(s, CSW_LNK);
	strscpy_len(s->obj[o].target, "B", sizeof(s->obj[o].target));
	s->at[CSW_S] = o;
}

/* Copy everything but @dst's own data buffers' addresses. */
void csw_state_copy(struct csw_state *dst, const struct csw_state *src)
{
	for (int i = 0; i < CSW_NR_PATHS; i++)
		dst->at[i] = src->at[i];
	dst->nobj = src->nobj;
	for (int o = 0; o < src->nobj; o++) {
		u8 *data = dst->obj[o].data;

		dst->obj[o] = src->obj[o];
		dst->obj[o].data = data;
		if (src->obj[o].type == CSW_REG)
			memcpy(data, src->obj[o].data, src->obj[o].len);
	}
}

/* The type of what @path names in @s (-1, the root: a directory). */
static int type_at(const struct csw_state *s, int path)
{
	if (path < 0)
		return CSW_DIR;
	return s->at[path] < 0 ? CSW_NONE : s->obj[s->at[path]].type;
}

/* Write @len bytes of @gen at @off of the file named @path. */
static int model_write(struct csw_state *s, int path, u32 gen, u32 off, u32 len)
{
	struct csw_obj *o;

	if (type_at(s, path) != CSW_REG || off + len > CSW_MAX_LEN)
		return -EINVAL;
	o = &s->obj[s->at[path]];
	if (off > o->len)
		memset(o->data + o->len, 0, off - o->len);
	fill(o->data + off, gen, off, len);
	if (off + len > o->len)
		o->len = off + len;
	return 0;
}

/* rename(@from, @to) of a file: over a file, or to a free name. */
static int model_rename(struct csw_state *s, int from, int to)
{
	if (type_at(s, from) != CSW_REG || type_at(s, csw_parent[to]) != CSW_DIR ||
	    (type_at(s, to) != CSW_NONE && type_at(s, to) != CSW_REG))
		return -EINVAL;
	if (s->at[from] == s->at[to])
		return -EINVAL; /* POSIX's no-op: left out */
	s->at[to] = s->at[from];
	s->at[from] = -1;
	return 0;
}

static bool dir_is_empty(const struct csw_state *s, int dir)
{
	for (int i = 0; i < CSW_NR_PATHS; i++)
		if (csw_parent[i] == dir && s->at[i] >= 0)
			return false;
	return true;
}

/* A new entry @path of @type in an existing directory. */
static int model_new_entry(struct csw_state *s, int path, int type)
{
	int o;

	if (type_at(s, csw_parent[path]) != CSW_DIR || s->at[path] >= 0)
		return -EINVAL;
	o = new_obj(s, type);
	if (o < 0)
		return o;
	s->at[path] = o;
	return o;
}

int csw_op_model(struct csw_state *s, int op, u32 gen)
{
	int o;

	switch (op) {
	case CSW_OP_CREATE:
		if (type_at(s, CSW_DN) == CSW_REG)
			return 0; /* O_CREAT of an existing file */
		o = model_new_entry(s, CSW_DN, CSW_REG);
		return o < 0 ? o : 0;
	case CSW_OP_APPEND:
		if (type_at(s, CSW_A) != CSW_REG)
			return -EINVAL;
		return model_write(s, CSW_A, gen, s->obj[s->at[CSW_A]].len, 5000);
	case CSW_OP_OVERWRITE:
		return model_write(s, CSW_DC, gen, 2048, 6000);
	case CSW_OP_HOLE:
		return model_write(s, CSW_B, gen, 65536, 4096);
	case CSW_OP_TRUNCATE:
		if (type_at(s, CSW_A) != CSW_REG)
			return -EINVAL;
		if (s->obj[s->at[CSW_A]].len < 3000)
			memset(s->obj[s->at[CSW_A]].data + s->obj[s->at[CSW_A]].len, 0,
			       3000 - s->obj[s->at[CSW_A]].len);
		s->obj[s->at[CSW_A]].len = 3000;
		return 0;
	case CSW_OP_LINK:
		if (type_at(s, CSW_A) != CSW_REG || type_at(s, CSW_D) != CSW_DIR ||
		    s->at[CSW_DL] >= 0)
			return -EINVAL;
		s->at[CSW_DL] = s->at[CSW_A];
		return 0;
	case CSW_OP_UNLINK:
		if (type_at(s, CSW_B) != CSW_REG)
			return -EINVAL;
		s->at[CSW_B] = -1;
		return 0;
	case CSW_OP_RENAME:
		return model_rename(s, CSW_DC, CSW_EM);
	case CSW_OP_REPLACE:
		return model_rename(s, CSW_B, CSW_A);
	case CSW_OP_MKDIR:
		o = model_new_entry(s, CSW_DSUB, CSW_DIR);
		return o < 0 ? o : 0;
	case CSW_OP_RMDIR:
		if (type_at(s, CSW_E) != CSW_DIR || !dir_is_empty(s, CSW_E))
			return -EINVAL;
		s->at[CSW_E] = -1;
		return 0;
	case CSW_OP_SYMLINK:
		o = model_new_entry(s, CSW_DS, CSW_LNK);
		if (o < 0)
			return o;
		strscpy_len(s->obj[o].target, "A", sizeof(s->obj[o].target));
		return 0;
	}
	return -EINVAL;
}

/* ---- the same on a mount ---- */

static void path_of(char *buf, const char *mnt, int path)
{
	scnprintf(buf, 64, "%s%s", mnt, path < 0 ? "" : csw_path_name[path]);
}

static int live_write(const char *mnt, int path, u32 gen, s64 off, u32 len)
{
	static u8 buf[CSW_MAX_LEN];
	struct kstat st;
	char p[64];
	int fd, err = 0;
	ssize_t_k n;

	path_of(p, mnt, path);
	fd = ksys_open(p, O_WRONLY, 0);
	if (fd < 0)
		return fd;
	if (off < 0) { /* append */
		err = ksys_fstat(fd, &st);
		off = st.size;
	}
	if (!err && off + len > CSW_MAX_LEN)
		err = -EFBIG;
	if (!err) {
		fill(buf, gen, off, len);
		n = ksys_pwrite64(fd, buf, len, off);
		err = n == len ? 0 : n < 0 ? (int)n : -EIO;
	}
	ksys_close(fd);
	return err;
}

static int live_create(const char *mnt, int path)
{
	char p[64];
	int fd;

	path_of(p, mnt, path);
	fd = ksys_open(p, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return fd;
	return ksys_close(fd);
}

static int live_two(const char *mnt, int op, int a, int b)
{
	char pa[64], pb[64];

	path_of(pa, mnt, a);
	path_of(pb, mnt, b);
	if (op == CSW_OP_LINK)
		return ksys_link(pa, pb);
	return ksys_rename(pa, pb, 0);
}

int csw_op_live(const char *mnt, int op, u32 gen)
{
	char p[64];

	switch (op) {
	case CSW_OP_CREATE:
		return live_create(mnt, CSW_DN);
	case CSW_OP_APPEND:
		return live_write(mnt, CSW_A, gen, -1, 5000);
	case CSW_OP_OVERWRITE:
		return live_write(mnt, CSW_DC, gen, 2048, 6000);
	case CSW_OP_HOLE:
		return live_write(mnt, CSW_B, gen, 65536, 4096);
	case CSW_OP_TRUNCATE:
		path_of(p, mnt, CSW_A);
		return ksys_truncate(p, 3000);
	case CSW_OP_LINK:
		return live_two(mnt, op, CSW_A, CSW_DL);
	case CSW_OP_UNLINK:
		path_of(p, mnt, CSW_B);
		return ksys_unlink(p);
	case CSW_OP_RENAME:
		return live_two(mnt, op, CSW_DC, CSW_EM);
	case CSW_OP_REPLACE:
		return live_two(mnt, op, CSW_B, CSW_A);
	case CSW_OP_MKDIR:
		path_of(p, mnt, CSW_DSUB);
		return ksys_mkdir(p, 0755);
	case CSW_OP_RMDIR:
		path_of(p, mnt, CSW_E);
		return ksys_rmdir(p);
	case CSW_OP_SYMLINK:
		path_of(p, mnt, CSW_DS);
		return ksys_symlink("A", p);
	}
	return -EINVAL;
}

int csw_populate(const char *mnt, const struct csw_state *s)
{
	char p[64];
	int err = 0;

	for (int i = 0; i < CSW_NR_PATHS && !err; i++) {
		const struct csw_obj *o;
		int fd;

		if (s->at[i] < 0)
			continue;
		o = &s->obj[s->at[i]];
		path_of(p, mnt, i);
		if (o->type == CSW_DIR) {
			err = ksys_mkdir(p, 0755);
		} else if (o->type == CSW_LNK) {
			err = ksys_symlink(o->target, p);
		} else {
			fd = ksys_open(p, O_CREAT | O_WRONLY, 0644);
			if (fd < 0)
				return fd;
			if (ksys_write(fd, o->data, o->len) != o->len)
				err = -EIO;
			ksys_close(fd);
		}
	}
	return err;
}

int csw_learn_inos(const char *mnt, const struct csw_state *s, struct csw_model *m)
{
	struct kstat st;
	char p[64];

	for (int i = 0; i < CSW_NR_PATHS; i++) {
		int err;

		if (s->at[i] < 0 || m->ino[s->at[i]])
			continue;
		path_of(p, mnt, i);
		err = ksys_lstat(p, &st);
		if (err)
			return err;
		m->ino[s->at[i]] = st.ino;
	}
	return 0;
}

/* ---- promises ---- */

static void promise_dir(struct csw_promises *p, int dir, int i)
{
	if (dir >= 0)
		p->entry[dir] = i;
	for (int c = 0; c < CSW_NR_PATHS; c++)
		if (csw_parent[c] == dir)
			p->entry[c] = i;
}

void csw_promise(struct csw_promises *p, const struct csw_state *s, int i, int op,
		 int persist)
{
	int t = csw_target[op];

	if (persist == CSW_P_SYNC) {
		p->all = i;
		return;
	}
	if (persist == CSW_P_NONE)
		return;
	if (t < 0 || type_at(s, t) == CSW_DIR) {
		promise_dir(p, t, i);
		return;
	}
	if (type_at(s, t) != CSW_REG)
		return;
	p->content[s->at[t]] = i;
	if (persist == CSW_P_FSYNC)
		p->entry[t] = i;
}

/* ---- the checker ---- */

struct rtree {
	s8 at[CSW_NR_PATHS];
	const char *mnt;
	const struct csw_model *m;
	int hi;
	char *msg;
};

static int bad(struct rtree *r, const char *fmt, ...) __printf(2, 3);
static int bad(struct rtree *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(r->msg, CSW_MSG, fmt, ap);
	va_end(ap);
	return -EUCLEAN;
}

static int path_index(const char *rel)
{
	for (int i = 0; i < CSW_NR_PATHS; i++)
		if (!strcmp(csw_path_name[i], rel))
			return i;
	return -1;
}

static int obj_of_ino(const struct rtree *r, u64 ino)
{
	for (int o = 0; o < r->m->s[r->hi].nobj; o++)
		if (r->m->ino[o] == ino)
			return o;
	return -1;
}

static int mode_type(umode_t mode)
{
	return S_ISREG(mode) ? CSW_REG :
	       S_ISDIR(mode) ? CSW_DIR :
	       S_ISLNK(mode) ? CSW_LNK :
			       -1;
}

static int walk(struct rtree *r, const char *rel);

/* One entry @name of directory @rel (CS4), then its subtree. */
static int walk_entry(struct rtree *r, const char *rel, const char *name)
{
	char sub[64], full[96];
	struct kstat st;
	int idx, o, err;

	scnprintf(sub, sizeof(sub), "%s/%s", rel, name);
	idx = path_index(sub);
	if (idx < 0)
		return bad(r, "unknown name %s", sub);
	scnprintf(full, sizeof(full), "%s%s", r->mnt, sub);
	err = ksys_lstat(full, &st);
	if (err)
		return bad(r, "%s: lstat %d", sub, err);
	o = obj_of_ino(r, st.ino);
	if (o < 0)
		return bad(r, "%s: inode %llu the workload never made", sub,
			   (unsigned long long)st.ino);
	if (mode_type(st.mode) != r->m->s[r->hi].obj[o].type)
		return bad(r, "%s: mode %o, object %d is of type %d", sub, st.mode, o,
			   r->m->s[r->hi].obj[o].type);
	r->at[idx] = o;
	return S_ISDIR(st.mode) ? walk(r, sub) : 0;
}

static int walk(struct rtree *r, const char *rel)
{
	static u8 buf[4][2048]; /* one per depth (the tree is 2 deep) */
	char full[96];
	int fd, err = 0, depth = 0;
	ssize_t_k n;

	for (const char *c = rel; *c; c++)
		depth += *c == '/';
	if (depth >= 4)
		return bad(r, "%s: too deep", rel);
	scnprintf(full, sizeof(full), "%s%s", r->mnt, rel);
	fd = ksys_open(full, O_RDONLY, 0);
	if (fd < 0)
		return bad(r, "%s: open %d", rel[0] ? rel : "/", fd);
	while (!err && (n = ksys_getdents64(fd, buf[depth], sizeof(buf[depth]))) > 0) {
		for (ssize_t_k off = 0; !err && off < n;) {
			struct linux_dirent64 *d = (void *)(buf[depth] + off);

			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				err = walk_entry(r, rel, d->d_name);
			off += d->d_reclen;
		}
	}
	ksys_close(fd);
	if (!err && n < 0)
		err = bad(r, "%s: getdents %d", rel[0] ? rel : "/", (int)n);
	return err;
}

static bool alive(const struct csw_state *s, int o)
{
	for (int i = 0; i < CSW_NR_PATHS; i++)
		if (s->at[i] == o)
			return true;
	return false;
}

static int lo_of(int a, int b)
{
	return a > b ? a : b;
}

/* CS1 */
static int check_names(struct rtree *r, const struct csw_promises *p)
{
	for (int i = 0; i < CSW_NR_PATHS; i++) {
		int lo = lo_of(p->all, p->entry[i]);
		bool ok = false;

		for (int j = lo; j <= r->hi && !ok; j++)
			ok = r->m->s[j].at[i] == r->at[i];
		if (!ok)
			return bad(r, "%s holds %s%d, no state %d..%d has that",
				   csw_path_name[i],
				   r->at[i] < 0 ? "nothing " : "object ", r->at[i], lo,
				   r->hi);
	}
	return 0;
}

/* Does @path (object @o) hold what state @s gave @o? */
static bool same_content(const char *full, const struct csw_obj *o)
{
	static u8 buf[CSW_MAX_LEN + 1];
	char target[16];
	ssize_t_k n;
	int fd;

	if (o->type == CSW_LNK) {
		n = ksys_readlink(full, target, sizeof(target) - 1);
		if (n < 0)
			return false;
		target[n] = '\0';
		return !strcmp(target, o->target);
	}
	fd = ksys_open(full, O_RDONLY, 0);
	if (fd < 0)
		return false;
	n = ksys_pread64(fd, buf, sizeof(buf), 0);
	ksys_close(fd);
	return n == o->len && !memcmp(buf, o->data, o->len);
}

/* CS2, for each name of a file or symlink */
static int check_contents(struct rtree *r, const struct csw_promises *p)
{
	char full[96];

	for (int i = 0; i < CSW_NR_PATHS; i++) {
		int o = r->at[i], lo;
		bool ok = false;

		if (o < 0 || r->m->s[r->hi].obj[o].type == CSW_DIR)
			continue;
		lo = lo_of(p->all, p->content[o]);
		scnprintf(full, sizeof(full), "%s%s", r->mnt, csw_path_name[i]);
		for (int j = lo; j <= r->hi && !ok; j++)
			ok = alive(&r->m->s[j], o) &&
			     same_content(full, &r->m->s[j].obj[o]);
		if (!ok)
			return bad(r, "%s (object %d): bytes of no state %d..%d",
				   csw_path_name[i], o, lo, r->hi);
	}
	return 0;
}

static int names_of(const s8 *at, int o)
{
	int n = 0;

	for (int i = 0; i < CSW_NR_PATHS; i++)
		n += at[i] == o;
	return n;
}

/* CS3 */
static int check_name_counts(struct rtree *r, const struct csw_promises *p)
{
	for (int o = 0; o < r->m->s[r->hi].nobj; o++) {
		int n = names_of(r->at, o);
		bool ok = false;

		for (int j = p->all; j <= r->hi && !ok; j++)
			ok = names_of(r->m->s[j].at, o) == n;
		if (!ok)
			return bad(
				r,
				"object %d has %d name(s), no state %d..%d gave it that",
				o, n, p->all, r->hi);
	}
	return 0;
}

int csw_check_tree(const char *mnt, const struct csw_model *m, int hi,
		   const struct csw_promises *p, char *msg)
{
	struct rtree r = {.mnt = mnt, .m = m, .hi = hi, .msg = msg};
	int err;

	for (int i = 0; i < CSW_NR_PATHS; i++)
		r.at[i] = -1;
	err = walk(&r, "");
	if (!err)
		err = check_names(&r, p);
	if (!err)
		err = check_contents(&r, p);
	if (!err)
		err = check_name_counts(&r, p);
	return err;
}
