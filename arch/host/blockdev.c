/*
 * arch/host/blockdev.c - a block driver whose disk is a host file.
 *
 * Layer: arch/host (a blk-mq driver, like drivers/virtio/virtio_blk.c).
 * Provides: hostdisk_create()/destroy(), the --disk option, and fault
 * injection for tests: failed writes, torn writes, and a volatile write
 * cache model with hostdisk_power_cut(). See arch/host/blockdev.h.
 *
 * Each hw queue has a submission list and worker pthreads (the "device").
 * queue_rq() puts the request on the list and, when bd->last (or at
 * commit_rqs), wakes a worker: one kick per batch, as a real device's
 * doorbell. A worker does the pread/pwrite, puts the request on the
 * queue's done list and raises the queue's "interrupt"
 * (hostdisk_raise_irq()); the handler completes everything done, then
 * runs the hw queue (blk-mq's rule: not under driver locks).
 *
 * Deterministic mode has no workers: the vCPU that kicks does the I/O
 * (hostdisk_run_inline()), so a seed replays exactly.
 *
 * Interrupts: one arch/host MSI vector per hw queue, aimed at vCPU
 * (queue % nr_cpus); workers raise it with host_msi_trigger(), and the
 * handler runs in hard-interrupt context on that vCPU. Workers never call
 * into the kernel (they are not vCPUs).
 *
 * Cache model ("cache" option): a write is copied into hd->cache (not the
 * file) and completes; reads see the cache over the file; FLUSH writes the
 * cache to the file in order and fdatasync()s. hostdisk_power_cut() drops
 * (or randomly lands/tears) what the cache holds. Without the model, writes
 * go to the file and FLUSH is fdatasync().
 *
 * Locking: hq->lock (pthread mutex) guards hq->pending, hq->done, hq->stop.
 * Kernel-side users take hq->lock with interrupts masked (hq_lock_irqsave).
 * hd->cache_lock (pthread mutex) guards hd->cache and the fault counters;
 * it is held across a whole FLUSH so reads never see a half-moved cache.
 * No block-layer lock is held while either is taken.
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
#include "host.h"

#define HOSTDISK_MAX_OPTIONS	16
#define HOSTDISK_MAX_WORKERS	4	/* per hw queue */
#define HOSTDISK_MAX_SEGMENTS	128	/* = its max_segments limit */

struct hostdisk_cmd {			/* the per-request driver data (pdu) */
	struct list_head node;		/* on hq->pending, then hq->done */
	blk_status_t status;
};

struct hostdisk;

struct hostdisk_queue {
	struct hostdisk *hd;
	struct blk_mq_hw_ctx *hctx;
	pthread_mutex_t lock;		/* protects pending, done, stop */
	pthread_cond_t kick;
	struct list_head pending;	/* queued, not yet handed to a worker */
	struct list_head done;		/* finished, waiting for the "irq" */
	unsigned int unkicked;		/* queued with last == false */
	bool stop;
	unsigned int nr_workers;
	pthread_t workers[HOSTDISK_MAX_WORKERS];
	u64 kicks;			/* doorbells rung */
	int msi;			/* the queue's interrupt vector */
	int in_irq;			/* atomic: handlers running now */
};

struct cache_entry {
	struct list_head node;		/* on hd->cache, oldest first */
	u64 offset;			/* bytes */
	u32 len;
	u8 data[];
};

struct hostdisk {
	int fd;
	bool cache_model;
	u32 delay_us;
	struct blk_mq_tag_set set;
	struct gendisk *disk;
	unsigned int nr_queues;
	struct hostdisk_queue *queues;
	pthread_mutex_t cache_lock;	/* protects cache, nr_cached, faults */
	struct list_head cache;
	unsigned int nr_cached;
	struct hostdisk_faults faults;
	u64 writes_seen;		/* since the faults were armed */
};

static char *disk_options[HOSTDISK_MAX_OPTIONS];
static unsigned int nr_disk_options;
static unsigned int tmp_disks;

/* ---- the device: file I/O ---- */

static int file_rw(int fd, bool write, void *buf, size_t len, u64 off)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Overlay cached writes on @buf, which holds file bytes [@off, +@len). */
static void cache_overlay(struct hostdisk *hd, void *buf, u32 len, u64 off)
{
	struct cache_entry *ce;

	list_for_each_entry(ce, &hd->cache, node) {
		u64 s = max(off, ce->offset);
		u64 e = min(off + len, ce->offset + ce->len);

		if (s < e)
			memcpy((char *)buf + (s - off), ce->data + (s - ce->offset), e - s);
	}
}

static int cache_add(struct hostdisk *hd, const void *buf, u32 len, u64 off)
{
	struct cache_entry *ce = malloc(sizeof(*ce) + len);

	if (!ce)
		return -EIO;
	ce->offset = off;
	ce->len = len;
	if (buf)
		memcpy(ce->data, buf, len);
	else
		memset(ce->data, 0, len);
	list_add_tail(&ce->node, &hd->cache);
	hd->nr_cached++;
	return 0;
}

static void cache_entry_free(struct hostdisk *hd, struct cache_entry *ce)
{
	list_del(&ce->node);
	hd->nr_cached--;
	free(ce);
}

/* Move the cache to the file, oldest first. Caller holds cache_lock. */
static int cache_writeback(struct hostdisk *hd)
{
	struct cache_entry *ce, *tmp;
	int err = 0;

	list_for_each_entry_safe(ce, tmp, &hd->cache, node) {
		if (!err)
			err = file_rw(hd->fd, true, ce->data, ce->len, ce->offset);
		cache_entry_free(hd, ce);
	}
	return err;
}

static int hostdisk_flush(struct hostdisk *hd)
{
	int err = 0;

	pthread_mutex_lock(&hd->cache_lock);
	if (hd->cache_model)
		err = cache_writeback(hd);
	pthread_mutex_unlock(&hd->cache_lock);
	if (!err && fdatasync(hd->fd))
		err = -EIO;
	return err;
}

/* Which fault applies to the write being started? Caller holds cache_lock. */
static int write_fault(struct hostdisk *hd)
{
	hd->writes_seen++;
	if (hd->faults.fail_write_nth == hd->writes_seen)
		return -EIO;
	if (hd->faults.torn_write_nth == hd->writes_seen)
		return 1;
	return 0;
}

/* Sectors a torn write of @nr sectors keeps: a proper prefix. */
static u32 torn_keep(struct hostdisk *hd, u32 nr)
{
	u32 keep = hd->faults.torn_keep_sectors ? hd->faults.torn_keep_sectors : nr / 2;

	return min(max(keep, 1u), nr - 1);
}

static int seg_write(struct hostdisk *hd, void *buf, u32 len, u64 off)
{
	if (hd->cache_model)
		return cache_add(hd, buf, len, off);
	return file_rw(hd->fd, true, buf, len, off);
}

static int seg_read(struct hostdisk *hd, void *buf, u32 len, u64 off)
{
	int err = file_rw(hd->fd, false, buf, len, off);

	if (!err && hd->cache_model)
		cache_overlay(hd, buf, len, off);
	return err;
}

/* Read or write the segments of @rq; @limit_bytes cuts a torn write. */
static int hostdisk_rw(struct hostdisk *hd, struct request *rq, u64 limit_bytes)
{
	struct blk_segment segs[HOSTDISK_MAX_SEGMENTS];
	unsigned int n = blk_rq_map_segments(rq, segs);
	bool write = req_op(rq) == REQ_OP_WRITE;
	u64 off = blk_rq_pos(rq) << SECTOR_SHIFT;
	int err = 0;

	for (unsigned int i = 0; i < n && !err && limit_bytes; i++) {
		u32 len = min((u64)segs[i].len, limit_bytes);
		void *buf = (char *)page_address(segs[i].page) + segs[i].offset;

		err = write ? seg_write(hd, buf, len, off) : seg_read(hd, buf, len, off);
		off += len;
		limit_bytes -= len;
	}
	return err;
}

static int hostdisk_write(struct hostdisk *hd, struct request *rq)
{
	int fault = write_fault(hd);

	if (fault < 0)
		return fault;
	if (fault > 0) {
		u32 keep = blk_rq_sectors(rq) > 1 ? torn_keep(hd, blk_rq_sectors(rq)) : 0;

		hostdisk_rw(hd, rq, (u64)keep << SECTOR_SHIFT);
		return -EIO;
	}
	return hostdisk_rw(hd, rq, blk_rq_bytes(rq));
}

static int hostdisk_zero(struct hostdisk *hd, struct request *rq)
{
	u64 off = blk_rq_pos(rq) << SECTOR_SHIFT;
	u32 len = blk_rq_bytes(rq);
	void *zero;
	int err;

	if (hd->cache_model)
		return cache_add(hd, NULL, len, off);
	zero = calloc(1, len);
	if (!zero)
		return -EIO;
	err = file_rw(hd->fd, true, zero, len, off);
	free(zero);
	return err;
}

static blk_status_t hostdisk_do_request(struct hostdisk *hd, struct request *rq)
{
	int err;

	if (hd->delay_us)
		usleep(hd->delay_us);
	pthread_mutex_lock(&hd->cache_lock);
	switch (req_op(rq)) {
	case REQ_OP_READ:
		err = hostdisk_rw(hd, rq, blk_rq_bytes(rq));
		break;
	case REQ_OP_WRITE:
		err = hostdisk_write(hd, rq);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		err = hostdisk_zero(hd, rq);
		break;
	case REQ_OP_FLUSH:
		pthread_mutex_unlock(&hd->cache_lock);
		return errno_to_blk_status(hostdisk_flush(hd));
	default:
		err = -EOPNOTSUPP;
	}
	pthread_mutex_unlock(&hd->cache_lock);
	if (!err && (rq->cmd_flags & REQ_FUA) && op_is_write(rq->cmd_flags))
		err = hostdisk_flush(hd);
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
		blk_mq_complete_request(blk_mq_rq_from_pdu(cmd), cmd->status);
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

		cmd->status = hostdisk_do_request(hq->hd, blk_mq_rq_from_pdu(cmd));
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

/*
 * Deterministic mode (--deterministic): no workers, whose timing would
 * change the interleaving; the kicking vCPU does the I/O itself, then
 * raises the interrupt, so a seed replays exactly. Context: kernel, as
 * queue_rq.
 */
static void hostdisk_run_inline(struct hostdisk_queue *hq)
{
	struct hostdisk_cmd *cmd;
	unsigned long flags;
	bool any = false;

	for (;;) {
		flags = hq_lock_irqsave(hq);
		cmd = list_first_entry_or_null(&hq->pending, struct hostdisk_cmd, node);
		if (cmd)
			list_del_init(&cmd->node);
		hq_unlock_irqrestore(hq, flags);
		if (!cmd)
			break;
		cmd->status = hostdisk_do_request(hq->hd, blk_mq_rq_from_pdu(cmd));
		flags = hq_lock_irqsave(hq);
		list_add_tail(&cmd->node, &hq->done);
		hq_unlock_irqrestore(hq, flags);
		any = true;
	}
	if (any)
		hostdisk_raise_irq(hq);
}

/* ---- blk-mq operations ---- */

static void hostdisk_kick_locked(struct hostdisk_queue *hq)
{
	if (!hq->unkicked)
		return;
	hq->unkicked = 0;
	hq->kicks++;
	pthread_cond_broadcast(&hq->kick);
}

static blk_status_t hostdisk_queue_rq(struct blk_mq_hw_ctx *hctx,
				      const struct blk_mq_queue_data *bd)
{
	struct hostdisk_queue *hq = hctx->driver_data;
	struct hostdisk_cmd *cmd = blk_mq_rq_to_pdu(bd->rq);
	unsigned long flags;

	if (bd->rq->nr_phys_segments > HOSTDISK_MAX_SEGMENTS)
		return BLK_STS_IOERR;
	flags = hq_lock_irqsave(hq);
	list_add_tail(&cmd->node, &hq->pending);
	hq->unkicked++;
	if (bd->last)
		hostdisk_kick_locked(hq);
	hq_unlock_irqrestore(hq, flags);
	if (bd->last && !hq->nr_workers)
		hostdisk_run_inline(hq);
	return BLK_STS_OK;
}

static void hostdisk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct hostdisk_queue *hq = hctx->driver_data;
	unsigned long flags = hq_lock_irqsave(hq);

	hostdisk_kick_locked(hq);
	hq_unlock_irqrestore(hq, flags);
	if (!hq->nr_workers)
		hostdisk_run_inline(hq);
}

static const struct blk_mq_ops hostdisk_mq_ops = {
	.queue_rq = hostdisk_queue_rq,
	.commit_rqs = hostdisk_commit_rqs,
};

/* ---- creation ---- */

struct hostdisk_spec {
	char path[256];
	u64 tmp_size;		/* tmp:SIZE */
	bool ro, cache, fua, wce;
	unsigned int hwq, qd, lbs, delay_us;
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
	else
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
		scnprintf(name, DISK_NAME_LEN, "vd%c", 'a' + i);
		if (!get_disk_by_name(name))
			return;
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
	lim->write_cache = s->wce || s->cache;
	lim->fua = s->fua;
	lim->read_only = s->ro;
}

static void hostdisk_free(struct hostdisk *hd)
{
	struct cache_entry *ce, *tmp;

	if (hd->queues)
		hostdisk_stop_queues(hd);
	if (hd->disk)
		put_disk(hd->disk);
	list_for_each_entry_safe(ce, tmp, &hd->cache, node)
		cache_entry_free(hd, ce);
	if (hd->fd >= 0)
		close(hd->fd);
	free(hd->queues);
	free(hd);
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
	hd->disk = blk_mq_alloc_disk(&hd->set, &lim, hd, &err);
	if (!hd->disk)
		return err;
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
	INIT_LIST_HEAD(&hd->cache);
	pthread_mutex_init(&hd->cache_lock, NULL);
	hd->cache_model = s.cache;
	hd->delay_us = s.delay_us;
	hd->faults = s.faults;
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
	del_gendisk(disk);
	hostdisk_free(hd);
}

/* ---- fault injection ---- */

int hostdisk_set_faults(struct gendisk *disk, const struct hostdisk_faults *f)
{
	struct hostdisk *hd = disk->private_data;

	if (!is_hostdisk(disk))
		return -EINVAL;
	pthread_mutex_lock(&hd->cache_lock);
	hd->faults = *f;
	hd->writes_seen = 0;
	pthread_mutex_unlock(&hd->cache_lock);
	return 0;
}

static u64 xorshift64(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Land each cached write or not, in a shuffled order, some torn. */
static void power_cut_random(struct hostdisk *hd, u64 seed)
{
	struct cache_entry *ces[hd->nr_cached ? hd->nr_cached : 1], *ce;
	unsigned int n = 0;

	seed = seed ? seed : 1;
	list_for_each_entry(ce, &hd->cache, node)
		ces[n++] = ce;
	for (unsigned int i = n; i > 1; i--) {
		unsigned int j = xorshift64(&seed) % i;
		struct cache_entry *t = ces[i - 1];

		ces[i - 1] = ces[j];
		ces[j] = t;
	}
	for (unsigned int i = 0; i < n; i++) {
		u32 sectors = ces[i]->len >> SECTOR_SHIFT;
		u64 r = xorshift64(&seed);

		if (r % 2)
			continue;	/* lost */
		if (sectors > 1 && (r >> 8) % 2)
			sectors = 1 + (r >> 16) % (sectors - 1);	/* torn */
		file_rw(hd->fd, true, ces[i]->data, sectors << SECTOR_SHIFT,
			ces[i]->offset);
	}
}

int hostdisk_power_cut(struct gendisk *disk, enum power_cut_mode mode, u64 seed)
{
	struct hostdisk *hd = disk->private_data;
	struct cache_entry *ce, *tmp;
	int pending;

	if (!is_hostdisk(disk) || !hd->cache_model)
		return -EINVAL;
	pthread_mutex_lock(&hd->cache_lock);
	pending = hd->nr_cached;
	if (mode == POWER_CUT_RANDOM)
		power_cut_random(hd, seed);
	list_for_each_entry_safe(ce, tmp, &hd->cache, node)
		cache_entry_free(hd, ce);
	pthread_mutex_unlock(&hd->cache_lock);
	pr_info("%s: power cut: %d cached write%s %s\n", disk->disk_name, pending,
		pending == 1 ? "" : "s", mode == POWER_CUT_DROP ? "dropped" : "landed at random");
	return pending;
}

unsigned int hostdisk_cached_writes(struct gendisk *disk)
{
	struct hostdisk *hd = disk->private_data;
	unsigned int n;

	pthread_mutex_lock(&hd->cache_lock);
	n = hd->nr_cached;
	pthread_mutex_unlock(&hd->cache_lock);
	return n;
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
