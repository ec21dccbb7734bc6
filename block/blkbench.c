/*
 * block/blkbench.c - `blkbench DEV [options]`: throughput and IOPS of a disk
 * through the block layer (bios submitted asynchronously, QD kept in flight).
 *
 * Layer: block (a shell tool). Provides: the blkbench command.
 *
 * One run = (op, pattern, block size, queue depth) for a fixed time: the
 * shell thread keeps up to QD bios in flight, each with its own buffer
 * and completion callback; a write run ends with a flush whose time
 * counts (as fio's end_fsync=1). Prints one line per run, then a table.
 * Writes destroy data: they need --write, and a read-only disk refuses
 * with -EROFS.
 *
 * Batching (fio's iodepth_batch_complete_min and iodepth_batch_submit):
 * the submitter sleeps until min(BENCH_BATCH, QD) bios have completed,
 * then resubmits every free slot, BENCH_BATCH bios per plug, so at QD32
 * one wake-up and one doorbell cover several requests, and the device
 * starts on the first plug's requests while the next plug is built (one
 * plug for all of them would leave it idle meanwhile: the device and the
 * guest would take turns). Completions wake the submitter only once that
 * many slots are free. At QD1 the batch is one bio, submitted without a
 * plug: the same path as unbatched. `--batch N` sets the batch (default
 * BENCH_BATCH; for experiments). Contiguous bios of one plug merge into
 * one request, as in Linux, whose fio rows merge the same way (Linux's
 * disk stats in tools/linux-bench's fio lines: ~9 in 10 bios of the
 * sequential 4K and 64K QD32 rows merged); `--merge off` sets
 * REQ_NOMERGE, so that a row of block size BS sends the device requests
 * of BS (the behaviour before 2026-12-07, session 23).
 * Before it sleeps, the submitter polls the disk (bio_poll_until(), when
 * the disk polls: `blkdev DEV poll=`), as fio's hipri does.
 * `--times on` prints a second line per run: the I/O phase, the drain and
 * the flush in us, the I/O phase's IOPS, and the submitter's CPU time in
 * it (share, and ns per completed bio).
 *
 * Locking: bench->lock (irqsave) guards the free-slot stack and the
 * counters, updated from completion (interrupt) context.
 */
#include <quire/blk-mq.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/mm.h>
#include <quire/slab.h>
#include <quire/platform.h>
#include <quire/sched.h>
#include <arch/irq.h>
#include <arch/time.h>

#define BENCH_MAX_QD	64
#define BENCH_MAX_LIST	8
#define BENCH_MAX_BS	(1u << 20)
#define BENCH_DEF_MS	1000
#define BENCH_DEF_REGION (256ULL << 20)	/* bytes */
#define BENCH_BATCH	8	/* completions per wake-up, at most */

struct bench_slot {
	struct bio *bio;
	struct page *page;
	unsigned int order;
};

struct bench {
	struct gendisk *disk;
	spinlock_t lock;		/* protects free, nr_free, ios, err */
	struct bench_slot *free[BENCH_MAX_QD];
	unsigned int nr_free;
	unsigned int wake_at;		/* free slots that wake the submitter */
	unsigned int batch;		/* bios per plug */
	u64 ios;
	int err;
	wait_queue_head_t wq;		/* slots freed */
	struct bio *poll_bio;		/* the last submitted: bio_poll_until() */
	blk_opf_t flags;		/* or'ed into every bio: REQ_NOMERGE or 0 */
	struct bench_slot slots[BENCH_MAX_QD];
};

struct bench_opts {
	unsigned int nr_ops, nr_pat, nr_bs, nr_qd;
	enum req_op ops[2];
	bool rand[2];
	u32 bs[BENCH_MAX_LIST];
	u32 qd[BENCH_MAX_LIST];
	u32 ms;
	u64 region;		/* bytes */
	u64 seed;
	bool write_ok;
	bool nomerge; /* --merge off: REQ_NOMERGE on every bio */
	bool times;   /* --times on: a line with the row's phases */
	u32 batch;    /* --batch: completions per wake-up, bios per plug */
};

struct bench_result {
	u64 mbps10;		/* MB/s x 10 */
	u64 iops;
	u64 io_ns;    /* submitting until the deadline */
	u64 drain_ns; /* the last bios in flight */
	u64 flush_ns; /* the closing flush (write rows) */
	u64 cpu_ns;   /* the submitter's CPU time in the I/O phase */
	u64 io_ios;   /* bios completed by the end of it */
};

/* One bench at a time: the shell runs one command. */
static struct bench the_bench;

static void bench_complete(struct bio *bio)
{
	struct bench *b = &the_bench;
	struct bench_slot *slot = bio->bi_private;
	unsigned long flags;
	bool wake;

	spin_lock_irqsave(&b->lock, flags);
	if (bio->bi_status && !b->err)
		b->err = bio->bi_status;
	b->ios++;
	b->free[b->nr_free++] = slot;
	wake = b->nr_free >= b->wake_at || b->err;
	spin_unlock_irqrestore(&b->lock, flags);
	if (wake)
		wake_up(&b->wq);
}

/* Take every free slot into @out; returns how many. */
static unsigned int bench_get_slots(struct bench *b, struct bench_slot **out)
{
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&b->lock, flags);
	n = b->nr_free;
	memcpy(out, b->free, n * sizeof(*out));
	b->nr_free = 0;
	spin_unlock_irqrestore(&b->lock, flags);
	return n;
}

static bool bench_ready(struct bench *b)
{
	return READ_ONCE(b->nr_free) >= b->wake_at || READ_ONCE(b->err);
}

static bool bench_idle(struct bench *b, unsigned int qd)
{
	return READ_ONCE(b->nr_free) == qd;
}

static bool bench_ready_poll(void *arg)
{
	return bench_ready(arg);
}

/* Wait for a batch: poll the disk first when it polls (docs/block.md,
 * Polling), then sleep until the interrupt's completions wake us. */
static void bench_wait_ready(struct bench *b)
{
	if (b->poll_bio && bio_poll_until(b->poll_bio, bench_ready_poll, b))
		return;
	wait_event(b->wq, bench_ready(b));
}

/* The running task's CPU time so far (its runtime is folded in at each
 * switch and tick; add the part since). Interrupts taken on its CPU count. */
static u64 bench_task_ns(void)
{
	struct task_struct *t = current;
	unsigned long flags = arch_local_irq_save();
	u64 ns = READ_ONCE(t->sum_exec_runtime) +
		 (arch_clock_ns() - READ_ONCE(t->exec_start));

	arch_local_irq_restore(flags);
	return ns;
}

static u64 rnd_next(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void bench_free_slots(struct bench *b)
{
	for (unsigned int i = 0; i < BENCH_MAX_QD; i++) {
		struct bench_slot *s = &b->slots[i];

		if (s->bio)
			bio_put(s->bio);
		if (s->page)
			__free_pages(s->page, s->order);
		memset(s, 0, sizeof(*s));
	}
}

static int bench_alloc_slots(struct bench *b, unsigned int qd, u32 bs)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bs)
		order++;
	for (unsigned int i = 0; i < qd; i++) {
		struct bench_slot *s = &b->slots[i];

		s->order = order;
		s->page = alloc_pages(NUMA_NO_NODE, order, GFP_KERNEL);
		s->bio = bio_alloc(&b->disk->part0, 1, REQ_OP_READ, GFP_KERNEL);
		if (!s->page || !s->bio)
			return -ENOMEM;
		memset(page_address(s->page), 0x5a ^ i, PAGE_SIZE << order);
		b->free[i] = s;
	}
	b->nr_free = qd;
	return 0;
}

static void bench_submit(struct bench *b, struct bench_slot *s, enum req_op op,
			 sector_t sector, u32 bs)
{
	bio_reset(s->bio, &b->disk->part0, op | b->flags);
	s->bio->bi_iter.bi_sector = sector;
	bio_add_page(s->bio, s->page, bs, 0);
	s->bio->bi_private = s;
	s->bio->bi_end_io = bench_complete;
	b->poll_bio = s->bio;
	submit_bio(s->bio);
}

/* Submit @n bios, one per slot, the next offsets of the run; under one
 * plug when there are several (one dispatch, one doorbell). */
static void bench_submit_batch(struct bench *b, struct bench_slot **slots, unsigned int n,
			       enum req_op op, bool rand, u32 bs, u64 blocks, u64 *next,
			       u64 *seed)
{
	struct blk_plug plug;

	if (n > 1)
		blk_start_plug(&plug);
	for (unsigned int i = 0; i < n; i++) {
		u64 blk = rand ? rnd_next(seed) % blocks : (*next)++ % blocks;

		bench_submit(b, slots[i], op, blk * (bs >> SECTOR_SHIFT), bs);
	}
	if (n > 1)
		blk_finish_plug(&plug);
}

/* Submit every slot in @slots, BENCH_BATCH per plug: the device starts
 * on the first batch while the next one is built. */
static void bench_submit_all(struct bench *b, struct bench_slot **slots, unsigned int n,
			     enum req_op op, bool rand, u32 bs, u64 blocks, u64 *next, u64 *seed)
{
	for (unsigned int i = 0; i < n; i += b->batch)
		bench_submit_batch(b, slots + i, min(n - i, b->batch), op, rand, bs,
				   blocks, next, seed);
}

/* One timed run. Context: process (the shell), sleeps. */
static int bench_run(struct bench *b, const struct bench_opts *o, enum req_op op,
		     bool rand, u32 bs, unsigned int qd, struct bench_result *res)
{
	u64 blocks = o->region / bs, next = 0, seed = o->seed | 1;
	u64 start, deadline, ns, bytes, t_io, t_drain, cpu0;
	int err;

	spin_lock_init(&b->lock);
	init_waitqueue_head(&b->wq);
	b->ios = 0;
	b->err = 0;
	b->batch = o->batch;
	b->wake_at = min(qd, b->batch);
	b->poll_bio = NULL;
	b->flags = o->nomerge ? REQ_NOMERGE : 0;
	err = bench_alloc_slots(b, qd, bs);
	if (err)
		goto out;
	cpu0 = bench_task_ns();
	start = arch_clock_ns();
	deadline = start + (u64)o->ms * 1000000;
	while (arch_clock_ns() < deadline && !READ_ONCE(b->err)) {
		struct bench_slot *got[BENCH_MAX_QD];
		unsigned int n;

		bench_wait_ready(b);
		if (READ_ONCE(b->err))
			break;
		n = bench_get_slots(b, got);
		bench_submit_all(b, got, n, op, rand, bs, blocks, &next, &seed);
	}
	t_io = arch_clock_ns();
	res->cpu_ns = bench_task_ns() - cpu0;
	res->io_ios = READ_ONCE(b->ios);
	wait_event(b->wq, bench_idle(b, qd));
	t_drain = arch_clock_ns();
	err = b->err;
	if (!err && op == REQ_OP_WRITE)
		err = blkdev_issue_flush(&b->disk->part0);
	ns = arch_clock_ns() - start;
	res->io_ns = t_io - start;
	res->drain_ns = t_drain - t_io;
	res->flush_ns = start + ns - t_drain;
	bytes = b->ios * bs;
	res->mbps10 = ns ? bytes * 10000 / ns : 0;
	res->iops = ns ? b->ios * 1000000000ULL / ns : 0;
out:
	bench_free_slots(b);
	return err;
}

static void format_bs(char *buf, size_t n, u32 bs)
{
	if (bs >= (1u << 20) && !(bs % (1u << 20)))
		scnprintf(buf, n, "%uM", bs >> 20);
	else if (bs >= 1024 && !(bs % 1024))
		scnprintf(buf, n, "%uK", bs >> 10);
	else
		scnprintf(buf, n, "%u", bs);
}

/* --times on: where the row's time went, and the submitter's CPU time per
 * bio while it kept the queue full (docs/bench-block.md, Method). */
static void print_times(const struct bench_result *r)
{
	u64 io_iops = r->io_ns ? r->io_ios * 1000000000ULL / r->io_ns : 0;
	u64 cpu_pct = r->io_ns ? r->cpu_ns * 100 / r->io_ns : 0;
	u64 ns_per_bio = r->io_ios ? r->cpu_ns / r->io_ios : 0;

	cprintf("  times: io %llu us, drain %llu us, flush %llu us; io phase %llu IOPS, submitter CPU %llu%%, %llu ns per bio\n",
		(unsigned long long)r->io_ns / 1000,
		(unsigned long long)r->drain_ns / 1000,
		(unsigned long long)r->flush_ns / 1000, (unsigned long long)io_iops,
		(unsigned long long)cpu_pct, (unsigned long long)ns_per_bio);
}

static void print_line(const struct bench_opts *o, enum req_op op, bool rand, u32 bs,
		       unsigned int qd, const struct bench_result *r)
{
	char b[16];

	format_bs(b, sizeof(b), bs);
	cprintf("%-5s %-4s %5s %3u %9llu.%llu %9llu\n", blk_op_str(op),
		rand ? "rand" : "seq", b, qd, (unsigned long long)r->mbps10 / 10,
		(unsigned long long)r->mbps10 % 10, (unsigned long long)r->iops);
	if (o->times)
		print_times(r);
}

/* ---- option parsing ---- */

static int parse_list(const char *cmd, const char *val, u32 *out,
		      unsigned int *nr, bool sizes)
{
	char buf[128], *p = buf, *tok;

	if (strscpy_len(buf, val, sizeof(buf)) >= sizeof(buf))
		goto bad;
	*nr = 0;
	while (p) {
		u64 v;

		tok = p;
		p = strchr(p, ',');
		if (p)
			*p++ = '\0';
		if (*nr == BENCH_MAX_LIST)
			goto bad;
		if (sizes ? parse_size(tok, &v) : kstrtoull(tok, 0, (unsigned long long *)&v))
			goto bad;
		if (v > 0xffffffffULL)
			goto bad;
		out[(*nr)++] = v;
	}
	return 0;
bad:
	shell_error(cmd, "bad list '%s'", val);
	return -EINVAL;
}

static int parse_words(const char *cmd, const char *val, const char *a,
		       const char *b, bool *has_a, bool *has_b)
{
	char buf[32], *p = buf, *tok;

	*has_a = *has_b = false;
	if (strscpy_len(buf, val, sizeof(buf)) >= sizeof(buf))
		goto bad;
	while (p) {
		tok = p;
		p = strchr(p, ',');
		if (p)
			*p++ = '\0';
		if (!strcmp(tok, a))
			*has_a = true;
		else if (!strcmp(tok, b))
			*has_b = true;
		else
			goto bad;
	}
	return 0;
bad:
	shell_error(cmd, "'%s': expected %s and/or %s", val, a, b);
	return -EINVAL;
}

static int set_ops(struct bench_opts *o, bool rd, bool wr)
{
	o->nr_ops = 0;
	if (rd)
		o->ops[o->nr_ops++] = REQ_OP_READ;
	if (wr)
		o->ops[o->nr_ops++] = REQ_OP_WRITE;
	return 0;
}

static void set_patterns(struct bench_opts *o, bool seq, bool rand)
{
	o->nr_pat = 0;
	if (seq)
		o->rand[o->nr_pat++] = false;
	if (rand)
		o->rand[o->nr_pat++] = true;
}

static void bench_defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	set_ops(o, true, false);
	set_patterns(o, true, true);
	o->bs[0] = 4096;
	o->bs[1] = 65536;
	o->bs[2] = 1u << 20;
	o->nr_bs = 3;
	o->qd[0] = 1;
	o->qd[1] = 32;
	o->nr_qd = 2;
	o->ms = BENCH_DEF_MS;
	o->seed = 1;
	o->batch = BENCH_BATCH;
}

static int parse_opt(const char *cmd, struct bench_opts *o, const char *opt,
		     const char *val, bool *ops_given)
{
	bool x, y;
	u64 v;

	if (!strcmp(opt, "--ops")) {
		if (parse_words(cmd, val, "read", "write", &x, &y))
			return -EINVAL;
		*ops_given = true;
		return set_ops(o, x, y);
	}
	if (!strcmp(opt, "--pattern")) {
		if (parse_words(cmd, val, "seq", "rand", &x, &y))
			return -EINVAL;
		set_patterns(o, x, y);
		return 0;
	}
	if (!strcmp(opt, "--bs"))
		return parse_list(cmd, val, o->bs, &o->nr_bs, true);
	if (!strcmp(opt, "--qd"))
		return parse_list(cmd, val, o->qd, &o->nr_qd, false);
	if (!strcmp(opt, "--time") && !kstrtouint(val, 0, &o->ms))
		return 0;
	if (!strcmp(opt, "--size") && !parse_size(val, &o->region))
		return 0;
	if (!strcmp(opt, "--seed") && !kstrtoull(val, 0, (unsigned long long *)&v)) {
		o->seed = v;
		return 0;
	}
	if (!strcmp(opt, "--batch") && !kstrtouint(val, 0, &o->batch) && o->batch >= 1 &&
	    o->batch <= BENCH_MAX_QD)
		return 0;
	if (!strcmp(opt, "--merge") && (!strcmp(val, "on") || !strcmp(val, "off"))) {
		o->nomerge = !strcmp(val, "off");
		return 0;
	}
	if (!strcmp(opt, "--times") && (!strcmp(val, "on") || !strcmp(val, "off"))) {
		o->times = !strcmp(val, "on");
		return 0;
	}
	shell_error(cmd, "bad option %s %s", opt, val);
	return -EINVAL;
}

static int bench_check(const char *cmd, struct bench_opts *o, struct gendisk *disk)
{
	u32 lbs = disk->queue->limits.logical_block_size;
	u64 cap = get_capacity(disk) << SECTOR_SHIFT;

	if (!o->region)
		o->region = min(cap, BENCH_DEF_REGION);
	if (o->region > cap) {
		shell_error(cmd, "--size %llu is beyond the disk (%llu bytes)",
			    (unsigned long long)o->region, (unsigned long long)cap);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < o->nr_bs; i++)
		if (o->bs[i] < lbs || o->bs[i] > BENCH_MAX_BS || (o->bs[i] & (o->bs[i] - 1)) ||
		    o->bs[i] > o->region) {
			shell_error(cmd, "block size %u: need a power of two in %u..1M, within the region",
				    o->bs[i], lbs);
			return -EINVAL;
		}
	for (unsigned int i = 0; i < o->nr_qd; i++)
		if (!o->qd[i] || o->qd[i] > BENCH_MAX_QD) {
			shell_error(cmd, "queue depth %u: need 1..%u", o->qd[i], BENCH_MAX_QD);
			return -EINVAL;
		}
	if (o->ms < 10 || o->ms > 600000) {
		shell_error(cmd, "--time %u: need 10..600000 ms", o->ms);
		return -EINVAL;
	}
	if (!o->nr_ops || !o->nr_pat || !o->nr_bs || !o->nr_qd) {
		shell_error(cmd, "nothing to run");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < o->nr_ops; i++) {
		if (o->ops[i] != REQ_OP_WRITE)
			continue;
		if (!o->write_ok) {
			shell_error(cmd, "writes destroy the data on %s: add --write",
				    disk->disk_name);
			return -EPERM;
		}
		if (disk->queue->limits.read_only) {
			shell_error(cmd, "%s is read-only", disk->disk_name);
			return -EROFS;
		}
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	bool ops_given = false;

	bench_defaults(o);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--write")) {
			o->write_ok = true;
			continue;
		}
		if (i + 1 >= argc) {
			shell_error(argv[0], "option %s needs a value", argv[i]);
			return -EINVAL;
		}
		if (parse_opt(argv[0], o, argv[i], argv[i + 1], &ops_given))
			return -EINVAL;
		i++;
	}
	if (o->write_ok && !ops_given)
		set_ops(o, true, true);
	return 0;
}

/* ---- the command ---- */

static struct bench_result results[2][2][BENCH_MAX_LIST][BENCH_MAX_LIST];

static void print_table(const struct bench_opts *o)
{
	cprintf("\nsummary: MB/s by queue depth\nop    pat     bs");
	for (unsigned int q = 0; q < o->nr_qd; q++)
		cprintf("   qd=%-4u", o->qd[q]);
	cprintf("\n");
	for (unsigned int op = 0; op < o->nr_ops; op++)
		for (unsigned int p = 0; p < o->nr_pat; p++)
			for (unsigned int s = 0; s < o->nr_bs; s++) {
				char b[16];

				format_bs(b, sizeof(b), o->bs[s]);
				cprintf("%-5s %-4s %5s", blk_op_str(o->ops[op]),
					o->rand[p] ? "rand" : "seq", b);
				for (unsigned int q = 0; q < o->nr_qd; q++) {
					u64 m = results[op][p][s][q].mbps10;

					cprintf(" %7llu.%llu", (unsigned long long)m / 10,
						(unsigned long long)m % 10);
				}
				cprintf("\n");
			}
}

static int blkbench_run(struct gendisk *disk, int argc, char **argv)
{
	struct bench_opts o;
	int err;

	err = parse_args(argc, argv, &o);
	if (!err)
		err = bench_check(argv[0], &o, disk);
	if (err)
		return err;
	the_bench.disk = disk;
	cprintf("blkbench %s: region %llu MiB, %u ms per run\nop    pat     bs  qd      MB/s      IOPS\n",
		disk->disk_name, (unsigned long long)(o.region >> 20), o.ms);
	for (unsigned int op = 0; op < o.nr_ops; op++)
		for (unsigned int p = 0; p < o.nr_pat; p++)
			for (unsigned int s = 0; s < o.nr_bs; s++)
				for (unsigned int q = 0; q < o.nr_qd; q++) {
					struct bench_result *r = &results[op][p][s][q];

					err = bench_run(&the_bench, &o, o.ops[op], o.rand[p],
							o.bs[s], o.qd[q], r);
					if (err) {
						shell_error(argv[0], "%s: I/O error %d",
							    disk->disk_name, err);
						return err;
					}
					print_line(&o, o.ops[op], o.rand[p], o.bs[s],
						   o.qd[q], r);
				}
	print_table(&o);
	return 0;
}
static int cmd_blkbench(int argc, char **argv)
{
	struct gendisk *disk;
	int err;

	if (argc < 2) {
		shell_error(
			argv[0],
			"usage: blkbench DEV [--write] [--ops read,write] [--pattern seq,rand] [--bs 4k,64k,1m] [--qd 1,32] [--time MS] [--size SIZE] [--seed N] [--merge on|off] [--batch N] [--times on|off]");
		return -EINVAL;
	}
	disk = get_disk_by_name(argv[1]);
	if (!disk) {
		shell_error(argv[0], "no disk named '%s'", argv[1]);
		return -ENODEV;
	}
	err = blkbench_run(disk, argc, argv);
	put_disk(disk); /* held across the bench (GD1) */
	return err;
}
SHELL_COMMAND(
	blkbench, "blkbench",
	"blkbench DEV [--write] [--ops read,write] [--pattern seq,rand] [--bs LIST] [--qd LIST] [--time MS] [--size SIZE] [--seed N] [--merge on|off] [--batch N] [--times on|off]",
	"block device throughput/IOPS (writes need --write)", cmd_blkbench);
