/*
 * arch/host/crash_sweep.c - qlfs power cut at every write: run a workload
 * on a recorded host disk, then check every image a cut may leave.
 *
 * Layer: arch/host (test engine). Used by: the shell command `crashsweep`
 * (below), arch/host/crash_sweep_test.c, `make crashtest`.
 * Provides: csw_begin()/csw_end(), csw_run_workload(), csw_run_sample(),
 * csw_run_all() (crash_sweep.h). Not here: the model and the checker
 * (crash_sweep_model.c), the disk model (emudisk.c).
 *
 * Once per sweep, a populated qlfs image (crash_sweep_model.c's state 0)
 * is made in a host file, the base, and copied to a second file, the work
 * image. A workload runs on a "record" host disk over the base: the base
 * is never written (every write stays in the disk's log) and the log holds
 * every request with its SUBMIT and COMPLETE events (queue depth 1: the
 * order is the kernel's, the same run after run). The cut points are the
 * log after each data write's SUBMIT, after each flush's COMPLETE, at each
 * persistence call's return (the first cut its promise binds), and the
 * end. At each, the images a cut may leave (emudisk_materialise_delta():
 * everything durable, plus none, all or half of the writes since the
 * last flush in submission order, a seeded random subset of them, or a
 * seeded tear of their 512-byte blocks) are laid into the work image,
 * writing only the blocks that change from the previous image. Each image
 * is then checked in-process: fsck.qlfs -n of it as the cut left it,
 * a mount (roll-forward runs), the tree against the model (CS1-CS4), the
 * umount, fsck.qlfs -n again. The check disk is "record" too, so the
 * mount's writes never reach the work image.
 *
 * A failing image prints one line, then the command that replays it.
 *
 * Locking: none; one sweep at a time.
 */
#include <stdlib.h>
#include <unistd.h>

#include <quire/ktest.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/shell.h>
#include <quire/string.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include "../../fs/qlfs/qlfs_mount.h"
#include "blockdev.h"
#include "crash_sweep.h"

#define WMNT	   "/csw_w" /* the workload's mount */
#define CMNT	   "/csw_c" /* the checks' mount */
#define DISK_BYTES (8u << 20)
#define LOG_BPS	   4  /* 64 KiB segments: 8 MiB has room to clean */
#define FIRST_GEN  10 /* op i writes generation FIRST_GEN + i */
#define MAX_CUTS   4096

extern int console_loglevel; /* kernel/printk.c */

/* The program a re-run command names: the one running. */
#if defined(__SANITIZE_ADDRESS__)
static const char csw_program[] = "build/host/asan/quire-host";
#elif defined(__SANITIZE_THREAD__)
static const char csw_program[] = "build/host/tsan/quire-host";
#else
static const char csw_program[] = "build/host/plain/quire-host";
#endif

static struct {
	char base[64], work[64];
	int base_fd, work_fd;
	int32_t *ver; /* the work image's block versions (emudisk.h) */
	u64 nblocks;
	u8 *pool; /* the model's file bytes */
	struct csw_model m;
	u64 base_ino[CSW_MAX_OBJS];
	bool ready;
} csw;

/* One workload's run: what the checks need. */
struct csw_run {
	const struct csw_workload *w;
	const struct emudisk *em;
	u64 e_start[CSW_MAX_OPS + 1], e_ack[CSW_MAX_OPS + 1], e_end;
	char name[64];
};

static u64 csw_rand(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- workload names: "op[+persist],..." ---- */

void csw_workload_name(const struct csw_workload *w, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < w->nops; i++)
		n += scnprintf(buf + n, size - n, "%s%s%s%s", i ? "," : "",
			       csw_op_name[w->op[i]], w->persist[i] ? "+" : "",
			       csw_persist_name[w->persist[i]]);
}

static int lookup(const char *const *names, int nr, const char *s, size_t len)
{
	for (int i = 0; i < nr; i++)
		if (names[i][0] && strlen(names[i]) == len && !strncmp(names[i], s, len))
			return i;
	return -1;
}

int csw_workload_parse(const char *spec, struct csw_workload *w)
{
	const char *p = spec;

	memset(w, 0, sizeof(*w));
	while (*p) {
		const char *end = strchr(p, ','), *plus;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int op, persist = CSW_P_NONE;

		if (w->nops == CSW_MAX_OPS)
			return -EINVAL;
		plus = memchr(p, '+', len);
		op = lookup(csw_op_name, CSW_NR_OPCODES, p,
			    plus ? (size_t)(plus - p) : len);
		if (plus)
			persist = lookup(csw_persist_name, CSW_NR_PERSIST, plus + 1,
					 len - (plus + 1 - p));
		if (op < 0 || persist < 0)
			return -EINVAL;
		w->op[w->nops] = op;
		w->persist[w->nops++] = persist;
		p += len + (end ? 1 : 0);
	}
	return w->nops ? 0 : -EINVAL;
}

/* ---- the base and work images ---- */

static struct qlfs_sb_info *sbi_of(const char *mnt)
{
	struct qlfs_sb_info *sbi = NULL;
	struct path p;

	if (!kern_path(mnt, LOOKUP_FOLLOW, &p)) {
		sbi = QLFS_SB(p.dentry->d_sb);
		path_put(&p);
	}
	return sbi;
}

static int make_file(char *path, const char *tmpl)
{
	int fd;

	strscpy_len(path, tmpl, 64);
	fd = mkstemp(path);
	if (fd < 0)
		return -EIO;
	if (ftruncate(fd, DISK_BYTES)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* mkfs, mount, state 0, clean umount: the base image. */
static int make_base(void)
{
	struct qlfs_mkfs_opts o = {
		.log_bps = LOG_BPS, .force = true, .time = 1000000000ULL, .quiet = true};
	struct gendisk *disk;
	struct qlfs_dev d = {0};
	int err;

	err = hostdisk_create(csw.base, &disk);
	if (err)
		return err;
	err = qlfs_dev_open(&d, disk->disk_name, true);
	if (!err)
		err = qlfs_mkfs(&d, &o);
	if (!err)
		err = ksys_mount(disk->disk_name, WMNT, "qlfs", 0, NULL);
	if (!err) {
		err = csw_populate(WMNT, &csw.m.s[0]);
		if (!err)
			err = csw_learn_inos(WMNT, &csw.m.s[0], &csw.m);
		err = ksys_umount(WMNT, 0) ?: err;
	}
	if (!err)
		err = qlfs_dev_flush(&d);
	qlfs_dev_close(&d);
	hostdisk_destroy(disk);
	memcpy(csw.base_ino, csw.m.ino, sizeof(csw.base_ino));
	return err;
}

static int copy_base_to_work(void)
{
	static u8 buf[1 << 16];
	int err = 0;

	for (u64 off = 0; !err && off < DISK_BYTES; off += sizeof(buf))
		if (pread(csw.base_fd, buf, sizeof(buf), off) != sizeof(buf) ||
		    pwrite(csw.work_fd, buf, sizeof(buf), off) != sizeof(buf))
			err = -EIO;
	return err;
}

static void model_init(void)
{
	for (int k = 0; k <= CSW_MAX_OPS; k++)
		for (int o = 0; o < CSW_MAX_OBJS; o++)
			csw.m.s[k].obj[o].data =
				csw.pool + ((size_t)k * CSW_MAX_OBJS + o) * CSW_MAX_LEN;
	csw_state_base(&csw.m.s[0]);
	memset(csw.m.ino, 0, sizeof(csw.m.ino));
}

int csw_begin(struct csw_sweep *sw)
{
	int err;

	if (csw.ready)
		return -EBUSY;
	csw.nblocks = DISK_BYTES / 512;
	csw.pool = malloc((size_t)(CSW_MAX_OPS + 1) * CSW_MAX_OBJS * CSW_MAX_LEN);
	csw.ver = malloc(csw.nblocks * sizeof(*csw.ver));
	if (!csw.pool || !csw.ver)
		goto out_nomem;
	for (u64 b = 0; b < csw.nblocks; b++)
		csw.ver[b] = -1;
	model_init();
	ksys_mkdir(WMNT, 0755);
	ksys_mkdir(CMNT, 0755);
	csw.base_fd = make_file(csw.base, "/tmp/quire-csw-base-XXXXXX");
	if (csw.base_fd < 0)
		goto out_io;
	csw.work_fd = make_file(csw.work, "/tmp/quire-csw-work-XXXXXX");
	if (csw.work_fd < 0) {
		close(csw.base_fd);
		unlink(csw.base);
		goto out_io;
	}
	err = make_base();
	if (!err)
		err = copy_base_to_work();
	csw.ready = true;
	if (err)
		csw_end(sw);
	return err;
out_io:
	err = -EIO;
	goto out;
out_nomem:
	err = -ENOMEM;
out:
	free(csw.pool);
	free(csw.ver);
	csw.pool = NULL;
	csw.ver = NULL;
	return err;
}

void csw_end(struct csw_sweep *sw)
{
	if (!csw.ready)
		return;
	close(csw.work_fd);
	close(csw.base_fd);
	unlink(csw.work);
	unlink(csw.base);
	free(csw.pool);
	free(csw.ver);
	csw.pool = NULL;
	csw.ver = NULL;
	ksys_rmdir(WMNT);
	ksys_rmdir(CMNT);
	csw.ready = false;
}

/* ---- running a workload ---- */

/* The model's states 1..nops: 0, or 1 when an operation cannot apply. */
static int model_states(const struct csw_workload *w)
{
	memcpy(csw.m.ino, csw.base_ino, sizeof(csw.m.ino));
	for (int i = 1; i <= w->nops; i++) {
		csw_state_copy(&csw.m.s[i], &csw.m.s[i - 1]);
		if (csw_op_model(&csw.m.s[i], w->op[i - 1], FIRST_GEN + i))
			return 1;
	}
	return 0;
}

static int persist_live(int op, int persist)
{
	int t = csw_op_target(op), fd, err;
	char p[64];

	if (persist == CSW_P_NONE)
		return 0;
	if (persist == CSW_P_SYNC) {
		ksys_sync();
		return 0;
	}
	scnprintf(p, sizeof(p), "%s%s", WMNT, t < 0 ? "" : csw_path_name[t]);
	fd = ksys_open(p, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	err = persist == CSW_P_FSYNC ? ksys_fsync(fd) : ksys_fdatasync(fd);
	ksys_close(fd);
	return err;
}

/* The operations and their persistence calls on the recorded disk, then
 * the crash: nothing more is written. */
static int run_live(struct csw_sweep *sw, struct csw_run *r, struct gendisk *disk)
{
	const struct csw_workload *w = r->w;
	struct qlfs_sb_info *sbi;
	int err = ksys_mount(disk->disk_name, WMNT, "qlfs", 0, NULL);

	if (err)
		return err;
	sbi = sbi_of(WMNT);
	/* no checkpoint but the workload's (foreground cleaning, which
	 * could checkpoint, never starts on this nearly empty disk) */
	qlfs_stop_gc_thread(sbi);
	qlfs_stop_periodic_checkpoint(sbi);
	for (int i = 1; i <= w->nops && !err; i++) {
		r->e_start[i] = hostdisk_log_events(disk);
		err = csw_op_live(WMNT, w->op[i - 1], FIRST_GEN + i);
		if (err) {
			cprintf("crashsweep: %s: operation %d (%s) failed: %d, the model applied it\n",
				r->name, i, csw_op_name[w->op[i - 1]], err);
			break;
		}
		err = csw_learn_inos(WMNT, &csw.m.s[i], &csw.m);
		if (!err)
			err = persist_live(w->op[i - 1], w->persist[i - 1]);
		r->e_ack[i] = hostdisk_log_events(disk);
	}
	r->e_end = hostdisk_log_events(disk);
	qlfs_handle_error(sbi, "crashsweep: power cut");
	ksys_umount(WMNT, 0);
	return err;
}

/* The last state whose operation had begun before event @n. */
static int state_hi(const struct csw_run *r, u64 n)
{
	int hi = 0;

	for (int i = 1; i <= r->w->nops; i++)
		if (r->e_start[i] < n)
			hi = i;
	return hi;
}

static void promises_at(const struct csw_run *r, u64 n, struct csw_promises *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 1; i <= r->w->nops; i++)
		if (r->e_ack[i] <= n)
			csw_promise(p, &csw.m.s[i], i, r->w->op[i - 1],
				    r->w->persist[i - 1]);
}

static const char *const kind_name[] = {
	[EMUDISK_CUT_NONE] = "none",
	[EMUDISK_CUT_PREFIX] = "prefix",
	[EMUDISK_CUT_SUBSET] = "subset",
	[EMUDISK_CUT_TORN] = "torn",
};

/* A fingerprint of the workload's log (each event's kind, and its
 * request's operation and range): a replay whose log differs may not
 * rebuild the same image, and says so. */
static u64 log_print(const struct csw_run *r)
{
	u64 h = 0x51ed;

	for (u64 e = r->e_start[1]; e < r->e_end; e++) {
		const struct emudisk_req *q = &r->em->reqs[r->em->events[e].req];

		h = csw_rand(&(u64){h ^ (q->off << 8) ^ (q->len << 40) ^ (q->op << 2) ^
				    r->em->events[e].kind});
	}
	return h;
}

static void report(struct csw_sweep *sw, const struct csw_run *r, u64 n,
		   const struct emudisk_cut *cut, const char *why)
{
	char line[CSW_MSG * 2];

	scnprintf(line, sizeof(line), "%s, cut after event %llu (%s %llu): %s", r->name,
		  (unsigned long long)n, kind_name[cut->kind],
		  (unsigned long long)cut->arg, why);
	if (!sw->failures++)
		strscpy_len(sw->first_failure, line, sizeof(sw->first_failure));
	if (sw->failures > sw->max_failure_lines)
		return;
	cprintf("crashsweep: FAIL %s\n", line);
	cprintf("# re-run: %s --exec 'crashsweep --workload %s --cut %llu --kind %s --arg %llu --log %llx%s%s%s'\n",
		csw_program, r->name, (unsigned long long)n, kind_name[cut->kind],
		(unsigned long long)cut->arg, (unsigned long long)log_print(r),
		sw->mount_opts ? " --mount-opts " : "", sw->mount_opts ?: "",
		sw->tear_data ? " --tear-data" : "");
}

static int fsck_problems(struct qlfs_dev *d, bool loud)
{
	struct qlfs_fsck_opts o = {.quiet = !loud, .max_reports = 10};
	struct qlfs_fsck_result res;
	int st = qlfs_fsck(d, &o, &res);

	return st ? st : (int)res.problems;
}

/* Control: tear the first 4 KiB block of the work image that holds what
 * the last state's file at @path starts with (a block an fsync made
 * durable): its second 512 bytes become another generation's. */
static void tear_data(const struct csw_state *s, int path)
{
	static u8 want[4096], blk[4096];

	if (path < 0 || s->at[path] < 0 || s->obj[s->at[path]].len < sizeof(want))
		return;
	memcpy(want, s->obj[s->at[path]].data, sizeof(want));
	for (u64 off = 0; off < DISK_BYTES; off += sizeof(blk)) {
		if (pread(csw.work_fd, blk, sizeof(blk), off) != sizeof(blk) ||
		    memcmp(blk, want, sizeof(blk)))
			continue;
		for (int i = 512; i < 1024; i++)
			blk[i] = csw_byte(7, i);
		if (pwrite(csw.work_fd, blk, sizeof(blk), off) == sizeof(blk))
			csw.ver[off / 512 + 1] = -2; /* not the log's: rewritten next */
	}
}

/* Check the work image (the cut after event @n by @cut). 0: it passed. */
static int check_image(struct csw_sweep *sw, const struct csw_run *r, u64 n,
		       const struct emudisk_cut *cut)
{
	struct csw_promises p;
	struct gendisk *disk;
	struct qlfs_dev d = {0};
	char spec[96], why[CSW_MSG] = "";
	int hi = state_hi(r, n), err, probs;
	bool mounted = false;

	promises_at(r, n, &p);
	scnprintf(spec, sizeof(spec), "%s,record", csw.work);
	err = hostdisk_create(spec, &disk);
	if (err) {
		scnprintf(why, sizeof(why), "cannot make the check disk: %d", err);
		goto out;
	}
	err = qlfs_dev_open(&d, disk->disk_name, false);
	probs = err ? err : fsck_problems(&d, !sw->quiet);
	if (probs) {
		scnprintf(why, sizeof(why), "fsck of the image as the cut left it: %d",
			  probs);
		goto out_disk;
	}
	err = ksys_mount(disk->disk_name, CMNT, "qlfs", 0, (void *)sw->mount_opts);
	if (err) {
		scnprintf(why, sizeof(why), "mount: %d", err);
		goto out_disk;
	}
	mounted = true;
	if (READ_ONCE(sbi_of(CMNT)->read_only)) {
		scnprintf(why, sizeof(why), "mounted read-only");
		goto out_disk;
	}
	if (csw_check_tree(CMNT, &csw.m, hi, &p, why))
		goto out_disk;
	mounted = false;
	err = ksys_umount(CMNT, 0);
	probs = err ? err : fsck_problems(&d, !sw->quiet);
	if (probs)
		scnprintf(why, sizeof(why), "fsck after the recovery and umount: %d",
			  probs);
out_disk:
	if (mounted)
		ksys_umount(CMNT, 0);
	qlfs_dev_close(&d);
	hostdisk_destroy(disk);
out:
	sw->images++;
	if (why[0])
		report(sw, r, n, cut, why);
	return why[0] ? -EUCLEAN : 0;
}

/* Insert @n into the sorted @cuts[0..nr) unless there. Returns nr. */
static u32 add_cut(u64 *cuts, u32 nr, u64 n)
{
	u32 i = nr;

	while (i && cuts[i - 1] > n)
		i--;
	if (i && cuts[i - 1] == n)
		return nr;
	memmove(&cuts[i + 1], &cuts[i], (nr - i) * sizeof(*cuts));
	cuts[i] = n;
	return nr + 1;
}

/* The cut points of the log: after each data write's SUBMIT, each
 * flush's COMPLETE, each acknowledgement (a persistence call's return),
 * and the end. */
static u32 cut_points(const struct csw_run *r, u64 *cuts)
{
	const struct emudisk *em = r->em;
	u32 nr = 0;

	cuts[nr++] = r->e_start[1];
	for (u64 e = r->e_start[1]; e < r->e_end && nr < MAX_CUTS - 1; e++) {
		const struct emudisk_req *q = &em->reqs[em->events[e].req];
		bool data = q->op == EMUDISK_WRITE || q->op == EMUDISK_ZERO;

		if ((em->events[e].kind == EMUDISK_SUBMIT && data) ||
		    (em->events[e].kind == EMUDISK_COMPLETE && q->op == EMUDISK_FLUSH))
			if (cuts[nr - 1] != e + 1)
				cuts[nr++] = e + 1;
	}
	if (cuts[nr - 1] != r->e_end)
		cuts[nr++] = r->e_end;
	/* and each acknowledgement: the first cut its promise binds */
	for (int i = 1; i <= r->w->nops && nr < MAX_CUTS; i++)
		nr = add_cut(cuts, nr, r->e_ack[i]);
	return nr;
}

/* The images the sweep checks at cut @n (all of them, or one drawn). */
static u32 cut_kinds(const struct csw_run *r, u64 n, u64 seed, bool sample,
		     struct emudisk_cut *c)
{
	u32 und = emudisk_undecided(r->em, n), nr = 0;

	c[nr++] = (struct emudisk_cut){EMUDISK_CUT_NONE, 0};
	if (und) {
		c[nr++] = (struct emudisk_cut){EMUDISK_CUT_PREFIX, und};
		if (und >= 2)
			c[nr++] = (struct emudisk_cut){EMUDISK_CUT_PREFIX, und / 2};
		c[nr++] = (struct emudisk_cut){EMUDISK_CUT_SUBSET, seed};
		c[nr++] = (struct emudisk_cut){EMUDISK_CUT_TORN, seed};
	}
	if (sample) {
		c[0] = c[seed % nr];
		nr = 1;
	}
	return nr;
}

static int sweep_cuts(struct csw_sweep *sw, struct csw_run *r, u64 cut_n, int kind,
		      u64 arg, bool sample, u64 *rng)
{
	static u64 cuts[MAX_CUTS];
	u32 nr = cut_points(r, cuts);
	int err = 0;

	if (cut_n) {
		if (cut_n > r->e_end)
			return -ERANGE;
		cuts[0] = cut_n;
		nr = 1;
	}
	for (u32 i = 0; i < nr && !err; i++) {
		struct emudisk_cut c[6];
		u32 nc = kind >= 0 ? 1 : cut_kinds(r, cuts[i], csw_rand(rng), sample, c);

		if (kind >= 0)
			c[0] = (struct emudisk_cut){kind, arg};
		sw->cut_points++;
		for (u32 k = 0; k < nc && !err; k++) {
			err = emudisk_materialise_delta(r->em, cuts[i], &c[k],
							csw.work_fd, csw.ver);
			if (!err && sw->tear_data)
				tear_data(&csw.m.s[r->w->nops],
					  csw_op_target(r->w->op[r->w->nops - 1]));
			if (!err)
				check_image(sw, r, cuts[i], &c[k]);
		}
	}
	return err;
}

int csw_run_workload(struct csw_sweep *sw, const struct csw_workload *w, u64 cut_n,
		     int kind, u64 arg, bool sample)
{
	struct csw_run r = {.w = w};
	struct gendisk *disk;
	char spec[96];
	u64 rng = sw->seed ^ csw_rand(&(u64){w->op[0] * 977u + w->nops});
	int quiet_level = console_loglevel, err;

	if (!csw.ready)
		return -EINVAL;
	csw_workload_name(w, r.name, sizeof(r.name));
	if (model_states(w)) {
		sw->skipped++;
		return 1;
	}
	scnprintf(spec, sizeof(spec), "%s,record,qd=1,hwq=1", csw.base);
	err = hostdisk_create(spec, &disk);
	if (err)
		return err;
	if (sw->quiet)
		console_loglevel = 3; /* errors only: mounts by the thousand */
	r.em = hostdisk_model(disk);
	err = run_live(sw, &r, disk);
	if (err) {
		report(sw, &r, hostdisk_log_events(disk),
		       &(struct emudisk_cut){EMUDISK_CUT_NONE, 0}, "the workload failed");
	} else {
		if (sw->want_log && sw->want_log != log_print(&r))
			cprintf("crashsweep: note: this run's log (%llx) is not the one the cut was taken from (%llx): the image may differ\n",
				(unsigned long long)log_print(&r),
				(unsigned long long)sw->want_log);
		for (int i = 0; i < w->nops; i++)
			rng ^= csw_rand(&(u64){rng + w->op[i] * 131u + w->persist[i]});
		err = sweep_cuts(sw, &r, cut_n, kind, arg, sample, &rng);
	}
	/* the work image back to the base: the next log numbers differently */
	emudisk_materialise_delta(r.em, 0, &(struct emudisk_cut){EMUDISK_CUT_NONE, 0},
				  csw.work_fd, csw.ver);
	console_loglevel = quiet_level;
	hostdisk_destroy(disk);
	sw->workloads++;
	return err;
}

int csw_check_mangled(const struct csw_workload *w, int hi,
		      int (*mangle)(const char *mnt), char *msg)
{
	struct csw_promises p = {0};
	struct gendisk *disk;
	char spec[96];
	int err;

	if (!csw.ready || hi > w->nops)
		return -EINVAL;
	if (model_states(w))
		return -EINVAL;
	scnprintf(spec, sizeof(spec), "%s,record", csw.base);
	err = hostdisk_create(spec, &disk);
	if (err)
		return err;
	err = ksys_mount(disk->disk_name, WMNT, "qlfs", 0, NULL);
	if (!err) {
		err = mangle(WMNT);
		if (!err)
			err = csw_check_tree(WMNT, &csw.m, hi, &p, msg);
		ksys_umount(WMNT, 0);
	}
	hostdisk_destroy(disk);
	return err;
}

/* One workload drawn by @rng: 1 to 3 operations, each with a persistence
 * call or none. */
static void draw_workload(u64 *rng, struct csw_workload *w)
{
	u64 r = csw_rand(rng);

	w->nops = 1 + r % CSW_MAX_OPS;
	for (int i = 0; i < w->nops; i++) {
		r = csw_rand(rng);
		w->op[i] = r % CSW_NR_OPCODES;
		w->persist[i] = (r >> 16) % CSW_NR_PERSIST;
	}
}

int csw_run_sample(struct csw_sweep *sw, u64 images_wanted)
{
	u64 rng = sw->seed;
	int err = 0;

	while (!err && sw->images < images_wanted) {
		struct csw_workload w;

		draw_workload(&rng, &w);
		err = csw_run_workload(sw, &w, 0, -1, 0, true);
		if (err == 1)
			err = 0;
	}
	return err;
}

/* Workload number @k of those with @nops operations (ops and persistence
 * calls as digits of base CSW_NR_OPCODES * CSW_NR_PERSIST). */
static void nth_workload(u64 k, int nops, struct csw_workload *w)
{
	w->nops = nops;
	for (int i = nops - 1; i >= 0; i--) {
		u64 d = k % (CSW_NR_OPCODES * CSW_NR_PERSIST);

		w->op[i] = d / CSW_NR_PERSIST;
		w->persist[i] = d % CSW_NR_PERSIST;
		k /= CSW_NR_OPCODES * CSW_NR_PERSIST;
	}
}

static void progress(const struct csw_sweep *sw, int nops, u64 done, u64 total)
{
	cprintf("crashsweep: %d operation(s): %llu of %llu workloads; %llu images checked, %llu failed\n",
		nops, (unsigned long long)done, (unsigned long long)total,
		(unsigned long long)sw->images, (unsigned long long)sw->failures);
}

int csw_run_all(struct csw_sweep *sw, u32 three)
{
	u64 per = CSW_NR_OPCODES * CSW_NR_PERSIST, rng = sw->seed;
	int err = 0;

	for (int nops = 1; nops <= 2 && !err; nops++) {
		u64 total = nops == 1 ? per : per * per;

		for (u64 k = 0; k < total && !err; k++) {
			struct csw_workload w;

			nth_workload(k, nops, &w);
			err = csw_run_workload(sw, &w, 0, -1, 0, false);
			if (err == 1)
				err = 0;
			if (k % 200 == 199)
				progress(sw, nops, k + 1, total);
		}
	}
	for (u32 k = 0; k < three && !err; k++) {
		struct csw_workload w;

		do {
			nth_workload(csw_rand(&rng) % (per * per * per), 3, &w);
			err = csw_run_workload(sw, &w, 0, -1, 0, false);
		} while (err == 1);
	}
	return err;
}

/* ---- the shell command ---- */

struct csw_args {
	struct csw_workload w;
	bool have_w, all, expect_caught;
	u64 sample, three, cut, arg;
	int kind;
};

static int parse_num(const char *cmd, const char *opt, const char *v, u64 *out)
{
	unsigned long long x;

	if (!v || kstrtoull(v, 0, &x)) {
		shell_error(cmd, "%s needs a number", opt);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

static int parse_args(int argc, char **argv, struct csw_sweep *sw, struct csw_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int err = 0;

		if (!strcmp(o, "--all")) {
			a->all = true;
			continue;
		}
		if (!strcmp(o, "--tear-data")) {
			sw->tear_data = true;
			continue;
		}
		if (!strcmp(o, "--expect-caught")) {
			a->expect_caught = true;
			continue;
		}
		if (!strcmp(o, "--verbose")) {
			sw->quiet = false;
			continue;
		}
		i++;
		if (!strcmp(o, "--seed"))
			err = parse_num(argv[0], o, v, &sw->seed);
		else if (!strcmp(o, "--sample"))
			err = parse_num(argv[0], o, v, &a->sample);
		else if (!strcmp(o, "--three"))
			err = parse_num(argv[0], o, v, &a->three);
		else if (!strcmp(o, "--cut"))
			err = parse_num(argv[0], o, v, &a->cut);
		else if (!strcmp(o, "--arg"))
			err = parse_num(argv[0], o, v, &a->arg);
		else if (!strcmp(o, "--log") && v)
			err = kstrtoull(v, 16, (unsigned long long *)&sw->want_log) ?
				      -EINVAL :
				      0;
		else if (!strcmp(o, "--mount-opts") && v)
			sw->mount_opts = v;
		else if (!strcmp(o, "--kind") && v)
			err = (a->kind = lookup(kind_name, ARRAY_SIZE(kind_name), v,
						strlen(v))) < 0 ?
				      -EINVAL :
				      0;
		else if (!strcmp(o, "--workload") && v)
			err = csw_workload_parse(v, &a->w) ?: (a->have_w = true, 0);
		else
			err = -EINVAL;
		if (err) {
			shell_error(argv[0], "bad option or value: %s %s", o, v ?: "");
			return -EINVAL;
		}
	}
	if (!a->all && !a->sample && !a->have_w) {
		shell_error(argv[0], "say --all, --sample N or --workload W");
		return -EINVAL;
	}
	return 0;
}

static int cmd_crashsweep(int argc, char **argv)
{
	struct csw_sweep sw = {.seed = 1, .quiet = true, .max_failure_lines = 20};
	struct csw_args a = {.kind = -1, .three = 200};
	int err = parse_args(argc, argv, &sw, &a);

	if (err)
		return err;
	if (a.have_w && (a.cut || a.kind >= 0))
		sw.quiet = false; /* one image: say everything */
	err = csw_begin(&sw);
	if (err) {
		shell_error(argv[0], "cannot make the populated image: %d", err);
		return err;
	}
	cprintf("crashsweep: seed %llu\n", (unsigned long long)sw.seed);
	if (a.have_w)
		err = csw_run_workload(&sw, &a.w, a.cut, a.kind, a.arg, false);
	else if (a.all)
		err = csw_run_all(&sw, a.three);
	else
		err = csw_run_sample(&sw, a.sample);
	csw_end(&sw);
	cprintf("crashsweep: %llu workloads (%llu more refused by the model), %llu cut points, %llu images checked, %llu failed\n",
		(unsigned long long)sw.workloads, (unsigned long long)sw.skipped,
		(unsigned long long)sw.cut_points, (unsigned long long)sw.images,
		(unsigned long long)sw.failures);
	if (err == 1) {
		shell_error(argv[0], "the model refuses that workload");
		return -EINVAL;
	}
	if (err < 0) {
		shell_error(argv[0], "the sweep stopped: %d", err);
		return err;
	}
	if (a.expect_caught) {
		if (!sw.failures) {
			shell_error(
				argv[0],
				"expected the checker to catch a loss; it found none");
			return -EIO;
		}
		cprintf("crashsweep: caught, as expected: %s\n", sw.first_failure);
		return 0;
	}
	return sw.failures ? -EIO : 0;
}

SHELL_COMMAND(
	crashsweep, "crashsweep",
	"crashsweep --sample N|--all [--three N]|--workload W [--cut N --kind K --arg A [--log H]] [--seed S] [--mount-opts O] [--tear-data] [--expect-caught] [--verbose]",
	"qlfs power cut at every write: workloads, cuts, checks (docs/qlfs-crash.md)",
	cmd_crashsweep);
