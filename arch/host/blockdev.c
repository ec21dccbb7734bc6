/*
 * arch/host/blockdev.c - a block driver whose disk is a host file.
 *
 * Layer: arch/host (a blk-mq driver, like drivers/virtio/virtio_blk.c).
 * Provides: hostdisk_create()/destroy(), the --disk option, and fault
 * injection for tests: failed and torn writes, failed flushes, held
 * writes, power cuts and the record-and-materialise interface of the disk
 * model. See arch/host/blockdev.h.
 * Not here: what the disk does with a request, its write cache, log and
 * power cuts: the pure model in arch/host/emudisk.c.
 *
 * Each hw queue has a submission list and worker pthreads (the "device").
 * queue_rq() puts the request on the list and, when bd->last (or at
 * commit_rqs), wakes a worker: one kick per batch, as a real device's
 * doorbell. A worker does the I/O, puts the request on the queue's done
 * list and raises the queue's "interrupt" (hostdisk_raise_irq()); the
 * handler completes everything done, then runs the hw queue (blk-mq's
 * rule: not under driver locks).
 *
 * With the cache model ("cache"), a request is SUBMITted to the model in
 * queue_rq() (the moment the device receives it, which is what a FLUSH's
 * coverage is judged by) and COMPLETEd by the worker; without it the
 * worker does both, writing through to the file.
 *
 * Deterministic mode has no workers: the kick queues the queue's work
 * with host_det_defer(), and the baton holder runs it at PRNG-chosen
 * switch points, one request per run, picking among the queued requests
 * by the disk's seed. So completions arrive late and out of order, as on
 * a real device, and a seed still replays exactly.
 *
 * Interrupts: one arch/host MSI vector per hw queue, aimed at vCPU
 * (queue % nr_cpus); workers raise it with host_msi_trigger(), and the
 * handler runs in hard-interrupt context on that vCPU. Workers never call
 * into the kernel (they are not vCPUs).
 *
 * Locking: hq->lock (pthread mutex) guards hq->pending, hq->held, hq->done,
 * hq->stop. Kernel-side users take hq->lock with interrupts masked
 * (hq_lock_irqsave). hd->model_lock (pthread mutex) guards hd->model and
 * hd->hold_writes, hd->rng; it nests inside hq->lock (det work) and is
 * never held while taking hq->lock. Kernel-side users mask interrupts
 * (model_lock_irqsave), since the queue's handler runs queue_rq, which
 * takes it. No block-layer lock is held while either is taken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>

#include <quire/blk-mq.h>
#include <quire/mm.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/init.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <arch/irq.h>
#include "blockdev.h"
#include "emudisk.h"
#include "host.h"

#define HOSTDISK_MAX_OPTIONS	16
#define HOSTDISK_MAX_WORKERS	4	/* per hw queue */
#define HOSTDISK_MAX_SEGMENTS	128	/* = its max_segments limit */
#define HOSTDISK_DET_MAX_DELAY	32	/* det work runs a request may wait */

struct hostdisk_cmd {			/* the per-request driver data (pdu) */
	struct list_head node;		/* on hq->pending/held, then hq->done */
	blk_status_t status;
	bool submitted;	 /* SUBMITted to the model in queue_rq */
	u32 det_delay;	 /* deterministic mode: device work runs
					 * to wait before it may be done */
	emudisk_id_t id; /* its model handle, if so */
};

struct hostdisk;

struct hostdisk_queue {
	struct hostdisk *hd;
	struct blk_mq_hw_ctx *hctx;
	pthread_mutex_t lock; /* protects pending, held, done, stop */
	pthread_cond_t kick;
	struct list_head pending;	/* queued, not yet handed to a worker */
	struct list_head held;		/* writes held back by the test */
	struct list_head done;		/* finished, waiting for the "irq" */
	unsigned int unkicked;		/* queued with last == false */
	bool stop;
	unsigned int nr_workers;
	pthread_t workers[HOSTDISK_MAX_WORKERS];
	u64 kicks;			/* doorbells rung */
	int msi;			/* the queue's interrupt vector */
	int in_irq;			/* atomic: handlers running now */
};

struct hostdisk {
	int fd;
	u32 delay_us;
	u32 lbs;
	struct blk_mq_tag_set set;
	struct gendisk *disk;
	unsigned int nr_queues;
	struct hostdisk_queue *queues;
	pthread_mutex_t model_lock; /* protects model, hold_writes, rng */
	struct emudisk model;
	bool model_ready;
	u32 hold_writes; /* the next N writes are held */
	u64 rng;	 /* deterministic mode: which request next */
};

static char *disk_options[HOSTDISK_MAX_OPTIONS];
static unsigned int nr_disk_options;
static unsigned int tmp_disks;

/* ---- the device: requests into the model ---- */

/* Copy between @rq's segments and the flat @buf (to @buf if @gather). */
static void rq_copy(struct request *rq, void *buf, bool gather)
{
	struct blk_segment segs[HOSTDISK_MAX_SEGMENTS];
	unsigned int n = blk_rq_map_segments(rq, segs);
	char *p = buf;

	for (unsigned int i = 0; i < n; i++) {
		void *va = (char *)page_address(segs[i].page) + segs[i].offset;

		if (gather)
			memcpy(p, va, segs[i].len);
		else
			memcpy(va, p, segs[i].len);
		p += segs[i].len;
	}
}

/* SUBMIT @rq to the model. Caller holds model_lock. */
static int model_submit(struct hostdisk *hd, struct request *rq, emudisk_id_t *id)
{
	u64 off = blk_rq_pos(rq) << SECTOR_SHIFT;
	u32 len = blk_rq_bytes(rq);
	void *buf;

	switch (req_op(rq)) {
	case REQ_OP_WRITE:
		buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		rq_copy(rq, buf, true);
		*id = emudisk_submit_write(&hd->model, off, len, buf,
					   rq->cmd_flags & REQ_FUA ? EMUDISK_FUA : 0);
		free(buf);
		return 0;
	case REQ_OP_WRITE_ZEROES:
		*id = emudisk_submit_zero(&hd->model, off, len);
		return 0;
	case REQ_OP_DISCARD:
		*id = emudisk_submit_discard(&hd->model, off, len);
		return 0;
	case REQ_OP_FLUSH:
		*id = emudisk_submit_flush(&hd->model);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int hostdisk_read(struct hostdisk *hd, struct request *rq)
{
	u32 len = blk_rq_bytes(rq);
	void *buf = malloc(len);
	int err;

	if (!buf)
		return -ENOMEM;
	pthread_mutex_lock(&hd->model_lock);
	err = emudisk_read(&hd->model, blk_rq_pos(rq) << SECTOR_SHIFT, len, buf);
	pthread_mutex_unlock(&hd->model_lock);
	if (!err)
		rq_copy(rq, buf, false);
	free(buf);
	return err;
}

/* The device's work on @cmd: a read, or the COMPLETE of what queue_rq
 * SUBMITted (write-through: both here). Context: worker or det work. */
static blk_status_t hostdisk_do_request(struct hostdisk *hd, struct hostdisk_cmd *cmd)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	int err = 0;

	if (hd->delay_us && !host_cfg.deterministic)
		usleep(hd->delay_us);
	if (req_op(rq) == REQ_OP_READ)
		return errno_to_blk_status(hostdisk_read(hd, rq));
	pthread_mutex_lock(&hd->model_lock);
	if (!cmd->submitted)
		err = model_submit(hd, rq, &cmd->id);
	if (!err)
		err = emudisk_complete(&hd->model, cmd->id);
	pthread_mutex_unlock(&hd->model_lock);
	/* write-through: a flush or FUA write is an fdatasync of the file */
	if (!err && !hd->model.cache &&
	    (req_op(rq) == REQ_OP_FLUSH || (rq->cmd_flags & REQ_FUA)) &&
	    fdatasync(hd->fd))
		err = -EIO;
	return errno_to_blk_status(err);
}

/* hq->lock from kernel context: interrupts masked, since the queue's
 * interrupt handler takes it too (a vCPU must not interrupt itself while
 * holding it). Workers are not vCPUs and take it plainly. */
static unsigned long hq_lock_irqsave(struct hostdisk_queue *hq)
{
	unsigned long flags = arch_local_irq_save();

	pthread_mutex_lock(&hq->lock);
	return flags;
}

static void hq_unlock_irqrestore(struct hostdisk_queue *hq, unsigned long flags)
{
	pthread_mutex_unlock(&hq->lock);
	arch_local_irq_restore(flags);
}

/* ---- interrupts ---- */

/* The queue's interrupt handler: complete what the device finished, then
 * let blk-mq dispatch follow-up work. Context: hard interrupt. */
static void hostdisk_irq(void *data)
{
	struct hostdisk_queue *hq = data;
	unsigned long flags;
	LIST_HEAD(done);

	__atomic_add_fetch(&hq->in_irq, 1, __ATOMIC_ACQ_REL);
	flags = hq_lock_irqsave(hq);
	list_splice_tail_init(&hq->done, &done);
	hq_unlock_irqrestore(hq, flags);
	while (!list_empty(&done)) {
		struct hostdisk_cmd *cmd = list_first_entry(&done, struct hostdisk_cmd, node);

		list_del_init(&cmd->node);
		blk_mq_complete_request(blk_mq_rq_from_pdu(cmd));
	}
	blk_mq_run_hw_queue(hq->hctx);
	__atomic_sub_fetch(&hq->in_irq, 1, __ATOMIC_ACQ_REL);
}

/* Deliver the queue's interrupt (an MSI of arch/host, taken on the vCPU
 * it targets). Context: a worker thread. */
static void hostdisk_raise_irq(struct hostdisk_queue *hq)
{
	host_msi_trigger(hq->msi);
}

/* ---- workers (the device's engines) ---- */

static struct hostdisk_cmd *next_cmd(struct hostdisk_queue *hq)
{
	struct hostdisk_cmd *cmd = NULL;

	pthread_mutex_lock(&hq->lock);
	while (!hq->stop && list_empty(&hq->pending))
		pthread_cond_wait(&hq->kick, &hq->lock);
	if (!list_empty(&hq->pending)) {
		cmd = list_first_entry(&hq->pending, struct hostdisk_cmd, node);
		list_del_init(&cmd->node);
	}
	pthread_mutex_unlock(&hq->lock);
	return cmd;
}

static void *hostdisk_worker(void *arg)
{
	struct hostdisk_queue *hq = arg;
	struct hostdisk_cmd *cmd;

	while ((cmd = next_cmd(hq))) {
		bool first;

		cmd->status = hostdisk_do_request(hq->hd, cmd);
		pthread_mutex_lock(&hq->lock);
		first = list_empty(&hq->done);
		list_add_tail(&cmd->node, &hq->done);
		pthread_mutex_unlock(&hq->lock);
		/* One interrupt per batch: the handler drains the whole list,
		 * so only the empty -> non-empty edge needs one. */
		if (first)
			hostdisk_raise_irq(hq);
	}
	return NULL;
}

/* The disk's own PRNG (deterministic mode). Caller holds model_lock. */
static u32 hostdisk_random(struct hostdisk *hd)
{
	hd->rng ^= hd->rng << 13;
	hd->rng ^= hd->rng >> 7;
	hd->rng ^= hd->rng << 17;
	return (u32)(hd->rng >> 11);
}

/*
 * Deterministic mode (--deterministic): no workers, whose timing would
 * change the interleaving. The baton holder runs this at a switch point
 * the PRNG picks (host_det_defer). Each request waits a seeded number of
 * these runs (det_delay, 0..HOSTDISK_DET_MAX_DELAY-1, drawn in queue_rq);
 * a run counts every waiting request down and does one that is due,
 * chosen by the disk's seed, then raises the interrupt, and queues itself
 * again while requests wait. So completions come late, by a seeded
 * amount, and may overtake older ones. Context: det work (baton holder,
 * interrupts masked, no kernel lock held).
 */
static void hostdisk_det_work(void *arg)
{
	struct hostdisk_queue *hq = arg;
	struct hostdisk_cmd *cmd, *pick = NULL;
	unsigned int due = 0, i;
	bool more;

	pthread_mutex_lock(&hq->lock);
	list_for_each_entry(cmd, &hq->pending, node) {
		if (cmd->det_delay)
			cmd->det_delay--;
		else
			due++;
	}
	if (due) {
		pthread_mutex_lock(&hq->hd->model_lock);
		i = hostdisk_random(hq->hd) % due;
		pthread_mutex_unlock(&hq->hd->model_lock);
		list_for_each_entry(cmd, &hq->pending, node)
			if (!cmd->det_delay && !i--) {
				pick = cmd;
				break;
			}
		list_del_init(&pick->node);
	}
	pthread_mutex_unlock(&hq->lock);
	if (pick) {
		pick->status = hostdisk_do_request(hq->hd, pick);
		pthread_mutex_lock(&hq->lock);
		list_add_tail(&pick->node, &hq->done);
		pthread_mutex_unlock(&hq->lock);
		hostdisk_raise_irq(hq);
	}
	pthread_mutex_lock(&hq->lock);
	more = !list_empty(&hq->pending);
	pthread_mutex_unlock(&hq->lock);
	if (more)
		host_det_defer(hostdisk_det_work, hq);
}

/* ---- blk-mq operations ---- */

static void hostdisk_kick_locked(struct hostdisk_queue *hq)
{
	if (!hq->unkicked)
		return;
	hq->unkicked = 0;
	hq->kicks++;
	if (hq->nr_workers)
		pthread_cond_broadcast(&hq->kick);
	else
		host_det_defer(hostdisk_det_work, hq);
}

/* SUBMIT to the cache model now (the device has the request); say whether
 * the test holds this write back. Context: queue_rq. */
static int hostdisk_receive(struct hostdisk *hd, struct hostdisk_cmd *cmd, bool *hold)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	int err = 0;

	unsigned long flags;

	cmd->submitted = false;
	*hold = false;
	/* interrupts masked: the queue's handler may run queue_rq again */
	flags = arch_local_irq_save();
	pthread_mutex_lock(&hd->model_lock);
	if (hd->model.cache && req_op(rq) != REQ_OP_READ) {
		err = model_submit(hd, rq, &cmd->id);
		cmd->submitted = !err;
	}
	if (host_cfg.deterministic)
		cmd->det_delay = hostdisk_random(hd) % HOSTDISK_DET_MAX_DELAY;
	if (!err && req_op(rq) == REQ_OP_WRITE && hd->hold_writes) {
		hd->hold_writes--;
		*hold = true;
	}
	pthread_mutex_unlock(&hd->model_lock);
	arch_local_irq_restore(flags);
	return err;
}

static blk_status_t hostdisk_queue_rq(struct blk_mq_hw_ctx *hctx,
				      const struct blk_mq_queue_data *bd)
{
	struct hostdisk_queue *hq = hctx->driver_data;
	struct hostdisk_cmd *cmd = blk_mq_rq_to_pdu(bd->rq);
	unsigned long flags;
	bool hold;

	if (bd->rq->nr_phys_segments > HOSTDISK_MAX_SEGMENTS)
		return BLK_STS_IOERR;
	if (hostdisk_receive(hq->hd, cmd, &hold))
		return BLK_STS_IOERR;
	flags = hq_lock_irqsave(hq);
	list_add_tail(&cmd->node, hold ? &hq->held : &hq->pending);
	hq->unkicked += !hold;
	if (bd->last)
		hostdisk_kick_locked(hq);
	hq_unlock_irqrestore(hq, flags);
	return BLK_STS_OK;
}

/* ->complete: the status the host's syscalls gave, kept in the pdu. */
static void hostdisk_complete_rq(struct request *rq)
{
	struct hostdisk_cmd *cmd = blk_mq_rq_to_pdu(rq);

	blk_mq_end_request(rq, cmd->status);
}

static void hostdisk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct hostdisk_queue *hq = hctx->driver_data;
	unsigned long flags = hq_lock_irqsave(hq);

	hostdisk_kick_locked(hq);
	hq_unlock_irqrestore(hq, flags);
}

static const struct blk_mq_ops hostdisk_mq_ops = {
	.queue_rq = hostdisk_queue_rq,
	.commit_rqs = hostdisk_commit_rqs,
	.complete = hostdisk_complete_rq,
};

/* ---- creation ---- */

struct hostdisk_spec {
	char path[256];
	u64 tmp_size;		/* tmp:SIZE */
	bool ro, cache, record, fua, wce, discard_zeroes;
	unsigned int hwq, qd, lbs, delay_us;
	u64 seed;
	bool seed_given;
	char serial[DISK_SERIAL_LEN];
	char model[DISK_MODEL_LEN];
	struct hostdisk_faults faults;
};

static int parse_uint_opt(const char *val, const char *name, unsigned int *out)
{
	if (kstrtouint(val, 0, out)) {
		pr_err("hostdisk: bad value for %s: '%s'\n", name, val);
		return -EINVAL;
	}
	return 0;
}

static int parse_one_opt(struct hostdisk_spec *s, char *opt)
{
	char *val = strchr(opt, '=');
	unsigned int v;

	if (val)
		*val++ = '\0';
	if (!strcmp(opt, "ro") && !val)
		s->ro = true;
	else if (!strcmp(opt, "cache") && !val)
		s->cache = true;
	else if (!strcmp(opt, "record") && !val)
		s->record = true;
	else if (!strcmp(opt, "discard_zeroes") && !val)
		s->discard_zeroes = true;
	else if (!val)
		goto bad;
	else if (!strcmp(opt, "serial"))
		strscpy_len(s->serial, val, sizeof(s->serial));
	else if (!strcmp(opt, "model"))
		strscpy_len(s->model, val, sizeof(s->model));
	else if (!strcmp(opt, "hwq"))
		return parse_uint_opt(val, opt, &s->hwq);
	else if (!strcmp(opt, "qd"))
		return parse_uint_opt(val, opt, &s->qd);
	else if (!strcmp(opt, "lbs"))
		return parse_uint_opt(val, opt, &s->lbs);
	else if (!strcmp(opt, "delay_us"))
		return parse_uint_opt(val, opt, &s->delay_us);
	else if (!strcmp(opt, "wce") && !parse_uint_opt(val, opt, &v) && v <= 1)
		s->wce = v;
	else if (!strcmp(opt, "fua") && !parse_uint_opt(val, opt, &v) && v <= 1)
		s->fua = v;
	else if (!strcmp(opt, "fail_write"))
		return kstrtoull(val, 0, (unsigned long long *)&s->faults.fail_write_nth) ?
		       -EINVAL : 0;
	else if (!strcmp(opt, "torn_write"))
		return kstrtoull(val, 0, (unsigned long long *)&s->faults.torn_write_nth) ?
		       -EINVAL : 0;
	else if (!strcmp(opt, "fail_flush"))
		return kstrtoull(val, 0,
				 (unsigned long long *)&s->faults.fail_flush_nth) ?
			       -EINVAL :
			       0;
	else if (!strcmp(opt, "seed")) {
		s->seed_given = true;
		return kstrtoull(val, 0, (unsigned long long *)&s->seed) ? -EINVAL : 0;
	} else
		goto bad;
	return 0;
bad:
	pr_err("hostdisk: unknown or malformed option '%s'\n", opt);
	return -EINVAL;
}

static int parse_spec(const char *spec, struct hostdisk_spec *s)
{
	char buf[512], *p, *opt;
	int err;

	memset(s, 0, sizeof(*s));
	s->wce = true;
	if (strscpy_len(buf, spec, sizeof(buf)) >= sizeof(buf)) {
		pr_err("hostdisk: spec too long\n");
		return -ENAMETOOLONG;
	}
	p = strchr(buf, ',');
	if (p)
		*p++ = '\0';
	if (!strncmp(buf, "tmp:", 4)) {
		if (parse_size(buf + 4, &s->tmp_size) || !s->tmp_size) {
			pr_err("hostdisk: bad size in '%s'\n", buf);
			return -EINVAL;
		}
		scnprintf(s->serial, sizeof(s->serial), "quire-test-tmp%u", tmp_disks++);
	} else {
		strscpy_len(s->path, buf, sizeof(s->path));
	}
	while (p && *p) {
		opt = p;
		p = strchr(p, ',');
		if (p)
			*p++ = '\0';
		err = parse_one_opt(s, opt);
		if (err)
			return err;
	}
	return 0;
}

static int open_backing(struct hostdisk_spec *s, u64 *size)
{
	struct stat st;
	int fd;

	if (s->tmp_size) {
		char tmpl[] = "/tmp/quire-disk-XXXXXX";

		fd = mkstemp(tmpl);
		if (fd < 0 || (unlink(tmpl), ftruncate(fd, s->tmp_size))) {
			pr_err("hostdisk: cannot create a temporary file: %s\n", strerror(errno));
			if (fd >= 0)
				close(fd);
			return -EIO;
		}
		*size = s->tmp_size;
		return fd;
	}
	fd = open(s->path, s->ro ? O_RDONLY : O_RDWR);
	if (fd < 0 || fstat(fd, &st)) {
		pr_err("hostdisk: cannot open %s: %s\n", s->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	*size = st.st_size;
	return fd;
}

static void hostdisk_stop_queues(struct hostdisk *hd)
{
	for (unsigned int i = 0; i < hd->nr_queues; i++) {
		struct hostdisk_queue *hq = &hd->queues[i];

		pthread_mutex_lock(&hq->lock);
		hq->stop = true;
		pthread_cond_broadcast(&hq->kick);
		pthread_mutex_unlock(&hq->lock);
		for (unsigned int w = 0; w < hq->nr_workers; w++)
			pthread_join(hq->workers[w], NULL);
		if (hq->msi >= 0)
			arch_msi_free(hq->msi);
		/* like synchronize_irq(): a handler may still be running */
		while (__atomic_load_n(&hq->in_irq, __ATOMIC_ACQUIRE))
			usleep(100);
	}
}

static int hostdisk_start_queues(struct hostdisk *hd)
{
	hd->queues = calloc(hd->nr_queues, sizeof(*hd->queues));
	if (!hd->queues)
		return -ENOMEM;
	for (unsigned int i = 0; i < hd->nr_queues; i++)
		hd->queues[i].msi = -1;
	for (unsigned int i = 0; i < hd->nr_queues; i++) {
		struct hostdisk_queue *hq = &hd->queues[i];
		u64 msi_addr;
		u32 msi_data;

		hq->hd = hd;
		hq->msi = arch_msi_alloc(i % platform.nr_cpus, hostdisk_irq, hq,
					 &msi_addr, &msi_data);
		if (hq->msi < 0)
			return hq->msi;
		hq->hctx = hd->disk->queue->hctxs[i];
		hq->hctx->driver_data = hq;
		pthread_mutex_init(&hq->lock, NULL);
		pthread_cond_init(&hq->kick, NULL);
		INIT_LIST_HEAD(&hq->pending);
		INIT_LIST_HEAD(&hq->done);
		INIT_LIST_HEAD(&hq->held);
		for (unsigned int w = 0; !host_cfg.deterministic &&
		     w < min(hd->set.queue_depth, HOSTDISK_MAX_WORKERS); w++) {
			if (pthread_create(&hq->workers[w], NULL, hostdisk_worker, hq))
				return -ENOMEM;
			hq->nr_workers++;
		}
	}
	return 0;
}

static void next_disk_name(char *name)
{
	for (int i = 0; i < 26; i++) {
		struct gendisk *disk;

		scnprintf(name, DISK_NAME_LEN, "vd%c", 'a' + i);
		disk = get_disk_by_name(name);
		if (!disk)
			return;
		put_disk(disk);
	}
	scnprintf(name, DISK_NAME_LEN, "vdz%u", tmp_disks);
}

static void hostdisk_set_limits(struct queue_limits *lim, struct hostdisk_spec *s)
{
	memset(lim, 0, sizeof(*lim));
	lim->logical_block_size = s->lbs ? s->lbs : SECTOR_SIZE;
	lim->physical_block_size = max(lim->logical_block_size, 4096u);
	lim->max_sectors = 2048;		/* 1 MiB per request */
	lim->max_segments = HOSTDISK_MAX_SEGMENTS;
	lim->max_segment_size = 1u << 20;
	lim->max_discard_sectors = 8192;
	lim->max_write_zeroes_sectors = 8192;
	lim->write_cache = s->wce || s->cache || s->record;
	lim->fua = s->fua;
	lim->read_only = s->ro;
}

static void hostdisk_free(struct hostdisk *hd)
{
	if (hd->queues)
		hostdisk_stop_queues(hd);
	if (hd->disk)
		put_disk(hd->disk);
	if (hd->model_ready)
		emudisk_release(&hd->model);
	if (hd->fd >= 0)
		close(hd->fd);
	free(hd->queues);
	free(hd);
}

/* The disk's seed: seed=N, else one derived from --seed and the order of
 * creation, so the same command line replays the same choices. */
static u64 disk_seed(struct hostdisk_spec *s)
{
	static unsigned int created;

	if (s->seed_given)
		return s->seed;
	return host_cfg.seed * 0x9e3779b97f4a7c15ULL + ++created;
}

static int hostdisk_init_model(struct hostdisk *hd, struct hostdisk_spec *s)
{
	u64 seed = disk_seed(s);
	int err;

	hd->lbs = hd->disk->queue->limits.logical_block_size;
	hd->rng = seed | 1;
	err = emudisk_init(&hd->model, hd->fd, get_capacity(hd->disk) << SECTOR_SHIFT,
			   hd->lbs, s->cache, s->record, seed);
	if (err)
		return err;
	hd->model_ready = true;
	hd->model.discard_zeroes = s->discard_zeroes;
	emudisk_set_faults(&hd->model, &(struct emudisk_faults){
					       .fail_write_nth = s->faults.fail_write_nth,
					       .torn_write_nth = s->faults.torn_write_nth,
					       .fail_flush_nth = s->faults.fail_flush_nth,
				       });
	return 0;
}

static int hostdisk_setup(struct hostdisk *hd, struct hostdisk_spec *s, u64 size)
{
	struct queue_limits lim;
	int err;

	hd->set.ops = &hostdisk_mq_ops;
	hd->set.nr_hw_queues = s->hwq ? s->hwq : 1;
	hd->set.queue_depth = s->qd ? s->qd : 64;
	hd->set.cmd_size = sizeof(struct hostdisk_cmd);
	hd->set.driver_data = hd;
	err = blk_mq_alloc_tag_set(&hd->set);
	if (err)
		return err;
	hostdisk_set_limits(&lim, s);
	hd->disk = blk_mq_alloc_disk(&hd->set, &lim, hd);
	if (IS_ERR(hd->disk)) {
		err = PTR_ERR(hd->disk);
		hd->disk = NULL;
		return err;
	}
	hd->nr_queues = hd->set.nr_hw_queues;
	hd->disk->private_data = hd;
	next_disk_name(hd->disk->disk_name);
	strscpy_len(hd->disk->serial, s->serial, sizeof(hd->disk->serial));
	strscpy_len(hd->disk->model, s->model[0] ? s->model : "quire hostfile",
		    sizeof(hd->disk->model));
	set_capacity(hd->disk, ALIGN_DOWN(size >> SECTOR_SHIFT,
					  (u64)(lim.logical_block_size >> SECTOR_SHIFT)));
	if (size % SECTOR_SIZE)
		pr_warn("hostdisk: %s: size %llu is not a whole number of sectors; tail ignored\n",
			hd->disk->disk_name, (unsigned long long)size);
	err = hostdisk_init_model(hd, s);
	if (err)
		return err;
	err = hostdisk_start_queues(hd);
	if (err)
		return err;
	return add_disk(hd->disk);
}

int hostdisk_create(const char *spec, struct gendisk **out)
{
	struct hostdisk_spec s;
	struct hostdisk *hd;
	u64 size;
	int err = parse_spec(spec, &s);

	if (err)
		return err;
	hd = calloc(1, sizeof(*hd));
	if (!hd)
		return -ENOMEM;
	pthread_mutex_init(&hd->model_lock, NULL);
	hd->delay_us = s.delay_us;
	hd->fd = open_backing(&s, &size);
	if (hd->fd < 0) {
		err = hd->fd;
		goto out_free;
	}
	err = hostdisk_setup(hd, &s, size);
	if (err)
		goto out_free;
	if (out)
		*out = hd->disk;
	return 0;
out_free:
	hostdisk_free(hd);
	return err;
}

bool is_hostdisk(struct gendisk *disk)
{
	return disk->queue->tag_set->ops == &hostdisk_mq_ops;
}

void hostdisk_destroy(struct gendisk *disk)
{
	struct hostdisk *hd = disk->private_data;

	if (WARN_ON_ONCE(!is_hostdisk(disk)))
		return;
	hostdisk_release_held(disk); /* del_gendisk waits for them */
	del_gendisk(disk);
	hostdisk_free(hd);
}

/* ---- fault injection, power cuts, the log ---- */

/* model_lock from kernel context: interrupts masked, as hq->lock (the
 * queue's handler runs queue_rq, which takes it). */
static unsigned long model_lock_irqsave(struct hostdisk *hd)
{
	unsigned long flags = arch_local_irq_save();

	pthread_mutex_lock(&hd->model_lock);
	return flags;
}

static void model_unlock_irqrestore(struct hostdisk *hd, unsigned long flags)
{
	pthread_mutex_unlock(&hd->model_lock);
	arch_local_irq_restore(flags);
}

static struct hostdisk *to_hostdisk(struct gendisk *disk)
{
	return is_hostdisk(disk) ? disk->private_data : NULL;
}

int hostdisk_set_faults(struct gendisk *disk, const struct hostdisk_faults *f)
{
	struct hostdisk *hd = to_hostdisk(disk);
	unsigned long flags;
	struct emudisk_faults ef = {
		.fail_write_nth = f->fail_write_nth,
		.torn_write_nth = f->torn_write_nth,
		.fail_flush_nth = f->fail_flush_nth,
	};

	if (!hd)
		return -EINVAL;
	flags = model_lock_irqsave(hd);
	emudisk_set_faults(&hd->model, &ef);
	hd->hold_writes = f->hold_writes;
	model_unlock_irqrestore(hd, flags);
	return 0;
}

unsigned int hostdisk_release_held(struct gendisk *disk)
{
	struct hostdisk *hd = to_hostdisk(disk);
	unsigned int n = 0;

	if (!hd)
		return 0;
	for (unsigned int i = 0; i < hd->nr_queues; i++) {
		struct hostdisk_queue *hq = &hd->queues[i];
		unsigned long flags = hq_lock_irqsave(hq);
		struct hostdisk_cmd *cmd, *tmp;

		list_for_each_entry_safe(cmd, tmp, &hq->held, node) {
			list_move_tail(&cmd->node, &hq->pending);
			hq->unkicked++;
			n++;
		}
		hostdisk_kick_locked(hq);
		hq_unlock_irqrestore(hq, flags);
	}
	return n;
}

static const char *const cut_names[] = {
	[EMUDISK_CUT_NONE] = "none",
	[EMUDISK_CUT_PREFIX] = "prefix",
	[EMUDISK_CUT_SUBSET] = "subset",
	[EMUDISK_CUT_TORN] = "torn",
};

int hostdisk_power_cut(struct gendisk *disk, enum emudisk_cut_kind kind, u64 arg)
{
	struct hostdisk *hd = to_hostdisk(disk);
	unsigned long flags;
	struct emudisk_cut cut = {.kind = kind, .arg = arg};
	int pending;

	if (!hd || !hd->model.cache || kind > EMUDISK_CUT_TORN)
		return -EINVAL;
	flags = model_lock_irqsave(hd);
	pending = emudisk_power_cut(&hd->model, &cut);
	model_unlock_irqrestore(hd, flags);
	pr_info("%s: power cut (%s %llu): %d write%s not durable\n", disk->disk_name,
		cut_names[kind], (unsigned long long)arg, pending,
		pending == 1 ? "" : "s");
	return pending;
}

unsigned int hostdisk_cached_writes(struct gendisk *disk)
{
	struct hostdisk *hd = to_hostdisk(disk);
	unsigned long flags;
	unsigned int n;

	if (!hd)
		return 0;
	flags = model_lock_irqsave(hd);
	n = emudisk_cached_writes(&hd->model);
	model_unlock_irqrestore(hd, flags);
	return n;
}

u64 hostdisk_log_events(struct gendisk *disk)
{
	struct hostdisk *hd = to_hostdisk(disk);
	unsigned long flags;
	u64 n;

	if (!hd)
		return 0;
	flags = model_lock_irqsave(hd);
	n = emudisk_nr_events(&hd->model);
	model_unlock_irqrestore(hd, flags);
	return n;
}

int hostdisk_undecided(struct gendisk *disk, u64 n)
{
	struct hostdisk *hd = to_hostdisk(disk);
	unsigned long flags;
	int ret;

	if (!hd || !hd->model.record)
		return -EINVAL;
	flags = model_lock_irqsave(hd);
	ret = n <= emudisk_nr_events(&hd->model) ? (int)emudisk_undecided(&hd->model, n) :
						   -EINVAL;
	model_unlock_irqrestore(hd, flags);
	return ret;
}

int hostdisk_materialise(struct gendisk *disk, u64 n, enum emudisk_cut_kind kind, u64 arg,
			 int out_fd)
{
	struct hostdisk *hd = to_hostdisk(disk);
	unsigned long flags;
	struct emudisk_cut cut = {.kind = kind, .arg = arg};
	int err;

	if (!hd || !hd->model.record || kind > EMUDISK_CUT_TORN || out_fd == hd->fd)
		return -EINVAL;
	flags = model_lock_irqsave(hd);
	err = emudisk_materialise(&hd->model, n, &cut, out_fd);
	model_unlock_irqrestore(hd, flags);
	return err;
}

const struct emudisk *hostdisk_model(struct gendisk *disk)
{
	struct hostdisk *hd = to_hostdisk(disk);

	return hd ? &hd->model : NULL;
}

void hostdisk_log_dump(struct gendisk *disk, int fd)
{
	struct hostdisk *hd = to_hostdisk(disk);
	unsigned long flags;

	if (!hd)
		return;
	flags = model_lock_irqsave(hd);
	emudisk_log_dump(&hd->model, fd);
	model_unlock_irqrestore(hd, flags);
}

/* ---- the --disk option ---- */

int hostdisk_add_option(const char *spec)
{
	if (nr_disk_options == HOSTDISK_MAX_OPTIONS)
		return -E2BIG;
	disk_options[nr_disk_options++] = strdup(spec);
	return 0;
}

static int hostdisk_init(void)
{
	int failed = 0;

	for (unsigned int i = 0; i < nr_disk_options; i++) {
		int err = hostdisk_create(disk_options[i], NULL);

		if (err) {
			pr_err("hostdisk: --disk %s: %s\n", disk_options[i], errname(err));
			failed = err;
		}
	}
	return failed;
}
device_initcall(hostdisk_init);
