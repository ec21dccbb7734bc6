/*
 * block/blk-test.c - block layer tests that run on any registered test disk
 * (arch/host file disks, virtio-blk in QEMU alike).
 *
 * Layer: block (tests). Suite: blkdev. Shared bodies: block/blk-test.h.
 *
 * The test-disk rule: tests write only to disks whose serial starts with
 * "quire-test" (disk_is_test_disk()): a user's disk is never touched.
 * Host:  --disk tmp:64M --disk tmp:1000448 --disk tmp:8M,ro
 * QEMU:  -drive file=...,if=none,id=t0 -device virtio-blk-pci,drive=t0,serial=quire-test0
 * A case whose disk kind is missing is skipped with the reason printed.
 */
#include <quire/blk-mq.h>
#include <quire/ktest.h>
#include <quire/mm.h>
#include <quire/platform.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/kthread.h>
#include <quire/atomic.h>
#include "blk-test.h"

#define PATTERN_REGION_MAX	(64u << 11)	/* sectors: 64 MiB */
#define TEST_BUF_BYTES		(1u << 20)

static u64 rnd_next(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static u64 pattern_word(sector_t sector, u32 i, u32 gen)
{
	return (sector << 20) ^ ((u64)gen << 52) ^ (i * 0x9e3779b97f4a7c15ULL) ^ 0x51;
}

void blk_test_fill(void *buf, sector_t sector, u32 nr_sectors, u32 gen)
{
	u64 *w = buf;

	for (u32 s = 0; s < nr_sectors; s++)
		for (u32 i = 0; i < SECTOR_SIZE / 8; i++)
			*w++ = pattern_word(sector + s, i, gen);
}

long blk_test_check(const void *buf, sector_t sector, u32 nr_sectors, u32 gen)
{
	const u64 *w = buf;

	for (u32 s = 0; s < nr_sectors; s++)
		for (u32 i = 0; i < SECTOR_SIZE / 8; i++)
			if (*w++ != pattern_word(sector + s, i, gen))
				return s;
	return -1;
}

int blk_test_buf_alloc(struct blk_test_buf *b, size_t bytes)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	if (order > MAX_ORDER)
		return -EINVAL;
	b->page = alloc_pages(NUMA_NO_NODE, order, GFP_KERNEL);
	if (!b->page)
		return -ENOMEM;
	b->va = page_address(b->page);
	b->bytes = bytes;
	b->order = order;
	return 0;
}

void blk_test_buf_free(struct blk_test_buf *b)
{
	if (b->page)
		__free_pages(b->page, b->order);
	b->page = NULL;
}

int blk_test_rw(struct gendisk *disk, blk_opf_t opf, sector_t sector,
		struct blk_test_buf *b, u32 off, u32 bytes)
{
	struct bio *bio = bio_alloc(&disk->part0, 1, opf, GFP_KERNEL);
	int err;

	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = sector;
	if (bytes && op_has_data(opf))
		bio_add_page(bio, b->page, bytes, off);
	else
		bio->bi_iter.bi_size = bytes;
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

/* ---- asynchronous batches ---- */

struct batch {
	int pending;		/* bios in flight + 1 for the submitter */
	int errors;
	int first_err;
	struct completion done;
};

static void batch_init(struct batch *b)
{
	b->pending = 1;
	b->errors = 0;
	b->first_err = 0;
	init_completion(&b->done);
}

static void batch_end_io(struct bio *bio)
{
	struct batch *b = bio->bi_private;

	if (bio->bi_status && __atomic_add_fetch(&b->errors, 1, __ATOMIC_ACQ_REL) == 1)
		b->first_err = bio->bi_status;
	bio_put(bio);
	if (__atomic_sub_fetch(&b->pending, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&b->done);
}

/* Submit @bytes at @sector from @b+@off in segments of @seg bytes. */
static int batch_submit(struct batch *bt, struct gendisk *disk, blk_opf_t opf,
			sector_t sector, struct blk_test_buf *b, u32 off,
			u32 bytes, u32 seg)
{
	unsigned int nr = DIV_ROUND_UP(bytes, seg);
	struct bio *bio = bio_alloc(&disk->part0, nr, opf, GFP_KERNEL);

	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = sector;
	for (u32 done = 0; done < bytes; done += seg)
		bio_add_page(bio, b->page, min(seg, bytes - done), off + done);
	bio->bi_private = bt;
	bio->bi_end_io = batch_end_io;
	__atomic_add_fetch(&bt->pending, 1, __ATOMIC_ACQ_REL);
	submit_bio(bio);
	return 0;
}

/* Drop the submitter's reference and wait; 0 or the first error. */
static int batch_wait(struct batch *b)
{
	if (__atomic_sub_fetch(&b->pending, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&b->done);
	wait_for_completion(&b->done);
	return b->errors ? b->first_err : 0;
}

/* ---- bodies ---- */

static u32 lbs_sectors(struct gendisk *disk)
{
	return disk->queue->limits.logical_block_size >> SECTOR_SHIFT;
}

/*
 * Write the region in chunks of random size (1..256 logical blocks) with
 * random memory offsets, then read it back in differently cut chunks.
 */
static void pattern_pass(struct ktest *t, struct gendisk *disk, sector_t start,
			 sector_t end, u64 *seed, struct blk_test_buf *b)
{
	u32 lbs = lbs_sectors(disk), gen = (u32)*seed;

	for (int pass = 0; pass < 2; pass++) {
		blk_opf_t op = pass ? REQ_OP_READ : REQ_OP_WRITE;

		for (sector_t s = start; s < end;) {
			u32 n = (1 + rnd_next(seed) % 256) * lbs;
			u32 off = (rnd_next(seed) % 8) * SECTOR_SIZE;
			int err;

			n = min((sector_t)n, end - s);
			if (!pass)
				blk_test_fill((char *)b->va + off, s, n, gen);
			err = blk_test_rw(disk, op, s, b, off, n << SECTOR_SHIFT);
			KTEST_ASSERT_EQ(t, err, 0);
			if (pass && blk_test_check((char *)b->va + off, s, n, gen) >= 0) {
				ktest_fail(t, __FILE__, __LINE__,
					   "%s: data mismatch at sector %llu (+%ld), seed %llu",
					   disk->disk_name, (unsigned long long)s,
					   blk_test_check((char *)b->va + off, s, n, gen),
					   (unsigned long long)ktest_seed());
				return;
			}
			s += n;
		}
	}
}

void blk_test_pattern_mixed(struct ktest *t, struct gendisk *disk)
{
	sector_t cap = get_capacity(disk), head = min(cap, (sector_t)PATTERN_REGION_MAX);
	u64 seed = ktest_seed() | 1;
	struct blk_test_buf b;

	cprintf("# pattern on %s: %llu of %llu sectors, seed %llu\n", disk->disk_name,
		(unsigned long long)head, (unsigned long long)cap,
		(unsigned long long)ktest_seed());
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, TEST_BUF_BYTES + PAGE_SIZE), 0);
	pattern_pass(t, disk, 0, head, &seed, &b);
	/* and the device's last MiB, so both ends are covered */
	if (cap > head)
		pattern_pass(t, disk, ALIGN_DOWN(cap - min(cap - head, (sector_t)2048),
						 (sector_t)lbs_sectors(disk)),
			     cap, &seed, &b);
	blk_test_buf_free(&b);
}

/* 512 writes of 4 KiB in flight at once (more than the tags: submitters
 * sleep for tags), then 512 reads, from one task. */
void blk_test_many_in_flight(struct ktest *t, struct gendisk *disk)
{
	const u32 nr = 512, bs = 8;
	struct blk_test_buf b;
	struct batch bt;

	KTEST_ASSERT_TRUE(t, get_capacity(disk) >= nr * bs);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, nr * bs * SECTOR_SIZE), 0);
	blk_test_fill(b.va, 0, nr * bs, 7);
	batch_init(&bt);
	for (u32 i = 0; i < nr; i++) {
		u32 j = (i * 7919) % nr;	/* scattered order */

		KTEST_EXPECT_EQ(t, batch_submit(&bt, disk, REQ_OP_WRITE, j * bs, &b,
						j * bs * SECTOR_SIZE, bs * SECTOR_SIZE,
						PAGE_SIZE), 0);
	}
	KTEST_EXPECT_EQ(t, batch_wait(&bt), 0);
	memset(b.va, 0, nr * bs * SECTOR_SIZE);
	batch_init(&bt);
	for (u32 i = 0; i < nr; i++)
		batch_submit(&bt, disk, REQ_OP_READ, i * bs, &b, i * bs * SECTOR_SIZE,
			     bs * SECTOR_SIZE, PAGE_SIZE);
	KTEST_EXPECT_EQ(t, batch_wait(&bt), 0);
	KTEST_EXPECT_EQ(t, blk_test_check(b.va, 0, nr * bs, 7), -1);
	blk_test_buf_free(&b);
}

/*
 * Several kernel threads, one per CPU (at least 4 threads), each keeping
 * 64 writes then 64 reads in flight on its own region; odd threads plug.
 * Workers record failures (no KTEST_* outside the test's own thread).
 * The threads are made once and then wait for the next run: a test that
 * runs again reuses them (and no test depends on thread exit).
 */
#define MT_THREADS_MAX	16
#define MT_NR		64		/* requests per thread and pass */
#define MT_BS		8		/* sectors per request */

struct mt_worker {
	struct task_struct *task;
	struct gendisk *disk;
	unsigned int id;
	bool go;		/* a run is asked for */
	int err;		/* 0 or an I/O error */
	long bad;		/* first bad sector index, or -1 */
	struct completion done;
};

static struct mt_worker mt_workers[MT_THREADS_MAX];
static unsigned int mt_nr_workers;
static wait_queue_head_t mt_wait;

static int mt_pass(struct mt_worker *w, struct blk_test_buf *b, blk_opf_t op,
		   sector_t base)
{
	struct blk_plug plug;
	struct batch bt;

	batch_init(&bt);
	if (w->id % 2)
		blk_start_plug(&plug);
	for (u32 i = 0; i < MT_NR; i++) {
		u32 j = (i * 37) % MT_NR;

		if (batch_submit(&bt, w->disk, op, base + j * MT_BS, b,
				 j * MT_BS * SECTOR_SIZE, MT_BS * SECTOR_SIZE, PAGE_SIZE))
			bt.errors++;
	}
	if (w->id % 2)
		blk_finish_plug(&plug);
	return batch_wait(&bt);
}

static void mt_run(struct mt_worker *w)
{
	sector_t base = (sector_t)w->id * MT_NR * MT_BS;
	struct blk_test_buf b;

	w->bad = -1;
	w->err = blk_test_buf_alloc(&b, MT_NR * MT_BS * SECTOR_SIZE);
	if (w->err)
		return;
	blk_test_fill(b.va, base, MT_NR * MT_BS, 50 + w->id);
	w->err = mt_pass(w, &b, REQ_OP_WRITE, base);
	memset(b.va, 0, MT_NR * MT_BS * SECTOR_SIZE);
	if (!w->err)
		w->err = mt_pass(w, &b, REQ_OP_READ, base);
	if (!w->err)
		w->bad = blk_test_check(b.va, base, MT_NR * MT_BS, 50 + w->id);
	blk_test_buf_free(&b);
}

static int mt_thread(void *data)
{
	struct mt_worker *w = data;

	for (;;) {
		/* Acquire: pairs with the release that published ->disk. */
		wait_event(mt_wait, smp_load_acquire(&w->go));
		WRITE_ONCE(w->go, false);
		mt_run(w);
		complete(&w->done);
	}
	return 0;
}

/* Make the worker threads on first use. 0 or -ENOMEM. */
static int mt_start_workers(void)
{
	unsigned int n = clamp(num_possible_cpus(), 4u, (unsigned int)MT_THREADS_MAX);

	if (mt_nr_workers)
		return 0;
	init_waitqueue_head(&mt_wait);
	for (unsigned int i = 0; i < n; i++) {
		struct mt_worker *w = &mt_workers[i];

		w->id = i;
		init_completion(&w->done);
		w->task = kthread_create(mt_thread, w, "blktest/%u", i);
		if (IS_ERR(w->task))
			return PTR_ERR(w->task);
		kthread_bind(w->task, i % num_possible_cpus());
		wake_up_process(w->task);
		mt_nr_workers++;
	}
	return 0;
}

void blk_test_many_threads(struct ktest *t, struct gendisk *disk)
{
	KTEST_ASSERT_EQ(t, mt_start_workers(), 0);
	KTEST_ASSERT_TRUE(t, get_capacity(disk) >= (sector_t)mt_nr_workers * MT_NR * MT_BS);
	for (unsigned int i = 0; i < mt_nr_workers; i++) {
		mt_workers[i].disk = disk;
		reinit_completion(&mt_workers[i].done);
		smp_store_release(&mt_workers[i].go, true);
	}
	wake_up_all(&mt_wait);
	for (unsigned int i = 0; i < mt_nr_workers; i++) {
		wait_for_completion(&mt_workers[i].done);
		KTEST_EXPECT_EQ(t, mt_workers[i].err, 0);
		KTEST_EXPECT_EQ(t, mt_workers[i].bad, -1);
	}
}

/* 16 adjacent 4 KiB writes under a plug become few requests. */
void blk_test_plug_merges(struct ktest *t, struct gendisk *disk)
{
	const u32 nr = 16, bs = 8;
	struct disk_stats st;
	struct blk_test_buf b;
	struct blk_plug plug;
	struct batch bt;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, nr * bs * SECTOR_SIZE), 0);
	blk_test_fill(b.va, 64, nr * bs, 3);
	disk_stats_reset(disk);
	batch_init(&bt);
	blk_start_plug(&plug);
	for (u32 i = 0; i < nr; i++)
		batch_submit(&bt, disk, REQ_OP_WRITE, 64 + i * bs, &b,
			     i * bs * SECTOR_SIZE, bs * SECTOR_SIZE, PAGE_SIZE);
	blk_finish_plug(&plug);
	KTEST_EXPECT_EQ(t, batch_wait(&bt), 0);
	disk_stats_read(disk, &st);
	cprintf("# %s: %llu write requests, %llu merges\n", disk->disk_name,
		(unsigned long long)st.ios[STAT_WRITE],
		(unsigned long long)st.merges[STAT_WRITE]);
	KTEST_EXPECT_GE(t, st.merges[STAT_WRITE], nr / 2);
	KTEST_EXPECT_EQ(t, st.ios[STAT_WRITE] + st.merges[STAT_WRITE], nr);
	memset(b.va, 0, nr * bs * SECTOR_SIZE);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 64, &b, 0,
				       nr * bs * SECTOR_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_check(b.va, 64, nr * bs, 3), -1);
	blk_test_buf_free(&b);
}

/* Write @nr_segs segments of @seg bytes in one bio; check every request
 * stayed within the limits, and the data. */
static void split_pass(struct ktest *t, struct gendisk *disk, u32 seg, u32 nr_segs)
{
	struct queue_limits *lim = &disk->queue->limits;
	u32 bytes = seg * nr_segs;
	struct disk_stats st;
	struct blk_test_buf b;
	struct batch bt;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, bytes), 0);
	blk_test_fill(b.va, 0, bytes >> SECTOR_SHIFT, 11);
	disk_stats_reset(disk);
	batch_init(&bt);
	batch_submit(&bt, disk, REQ_OP_WRITE, 0, &b, 0, bytes, seg);
	KTEST_EXPECT_EQ(t, batch_wait(&bt), 0);
	disk_stats_read(disk, &st);
	cprintf("# %s: %u x %u bytes in %llu requests (max %u sectors, %u segments seen; limits %u, %u)\n",
		disk->disk_name, nr_segs, seg, (unsigned long long)st.ios[STAT_WRITE],
		st.max_rq_sectors, st.max_rq_segments, lim->max_sectors, lim->max_segments);
	KTEST_EXPECT_LE(t, st.max_rq_sectors, lim->max_sectors);
	KTEST_EXPECT_LE(t, st.max_rq_segments, lim->max_segments);
	KTEST_EXPECT_GE(t, st.ios[STAT_WRITE],
			DIV_ROUND_UP(bytes >> SECTOR_SHIFT, lim->max_sectors));
	KTEST_EXPECT_GE(t, st.ios[STAT_WRITE], DIV_ROUND_UP(nr_segs, lim->max_segments));
	memset(b.va, 0, bytes);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 0, &b, 0, bytes), 0);
	KTEST_EXPECT_EQ(t, blk_test_check(b.va, 0, bytes >> SECTOR_SHIFT, 11), -1);
	blk_test_buf_free(&b);
}

/* Bios over max_sectors, over max_segments, and discards over
 * max_discard_sectors are cut into requests within the limits. */
void blk_test_split_limits(struct ktest *t, struct gendisk *disk)
{
	struct queue_limits *lim = &disk->queue->limits;
	u32 big = ALIGN_DOWN((4u << 20) / BIO_MAX_VECS, lim->logical_block_size);

	KTEST_ASSERT_TRUE(t, get_capacity(disk) >= (4u << 20) >> SECTOR_SHIFT);
	split_pass(t, disk, big, BIO_MAX_VECS);
	split_pass(t, disk, max((u32)PAGE_SIZE, lim->logical_block_size), BIO_MAX_VECS);
}

/*
 * A discard of three times max_discard_sectors reaches the device as three
 * requests. A device's own limit is often larger than a test disk (QEMU
 * offers 4 GiB): the test then lowers the queue's limit to a quarter of the
 * disk for its one bio, and puts it back.
 */
void blk_test_discard_split(struct ktest *t, struct gendisk *disk)
{
	struct queue_limits *lim = &disk->queue->limits;
	u32 saved = lim->max_discard_sectors;
	u32 step = lbs_sectors(disk);
	u64 quarter = ALIGN_DOWN(get_capacity(disk) / 4, (u64)step);
	struct disk_stats st;
	struct blk_test_buf b;
	int err;

	if (!saved)
		ktest_skip(t, "device offers no DISCARD");
	KTEST_ASSERT_TRUE(t, quarter >= step);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	if (3ULL * saved > get_capacity(disk))
		lim->max_discard_sectors = quarter;
	disk_stats_reset(disk);
	err = blk_test_rw(disk, REQ_OP_DISCARD, 0, &b, 0,
			  3 * lim->max_discard_sectors << SECTOR_SHIFT);
	disk_stats_read(disk, &st);
	lim->max_discard_sectors = saved;
	blk_test_buf_free(&b);
	KTEST_EXPECT_EQ(t, err, 0);
	KTEST_EXPECT_EQ(t, st.ios[STAT_DISCARD], 3);
}

/* Beyond the end -EIO, misaligned -EINVAL, empty read/write -EINVAL. */
void blk_test_bad_bios(struct ktest *t, struct gendisk *disk)
{
	sector_t cap = get_capacity(disk);
	u32 lbs = disk->queue->limits.logical_block_size;
	struct blk_test_buf b;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, 2 * PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, cap, &b, 0, lbs), -EIO);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, cap - lbs_sectors(disk),
				       &b, 0, 2 * lbs), -EIO);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ,
				       ALIGN_DOWN(~0ULL, (u64)lbs_sectors(disk)), &b, 0, lbs), -EIO);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 0, &b, 0, 256), -EINVAL);
	if (lbs > SECTOR_SIZE)
		KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 1, &b, 0, lbs), -EINVAL);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, 0, &b, 0, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_FLUSH, 0, &b, 0, 0), 0);
	blk_test_buf_free(&b);
}

void blk_test_read_only(struct ktest *t, struct gendisk *disk)
{
	struct blk_test_buf b;

	KTEST_ASSERT_TRUE(t, disk->queue->limits.read_only);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 0, &b, 0, PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, 0, &b, 0, PAGE_SIZE), -EROFS);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE | REQ_FUA, 0, &b, 0,
				       PAGE_SIZE), -EROFS);
	if (disk->queue->limits.max_discard_sectors)
		KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_DISCARD, 0, &b, 0,
					       PAGE_SIZE), -EROFS);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_FLUSH, 0, &b, 0, 0), 0);
	blk_test_buf_free(&b);
}

/* Interleaved async writes to two disks, each reads back its own data. */
void blk_test_two_disks(struct ktest *t, struct gendisk *a, struct gendisk *c)
{
	const u32 nr = 64, bs = 8;
	struct blk_test_buf ba, bc;
	struct batch bt;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&ba, nr * bs * SECTOR_SIZE), 0);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&bc, nr * bs * SECTOR_SIZE), 0);
	blk_test_fill(ba.va, 0, nr * bs, 21);
	blk_test_fill(bc.va, 0, nr * bs, 22);
	batch_init(&bt);
	for (u32 i = 0; i < nr; i++) {
		batch_submit(&bt, a, REQ_OP_WRITE, i * bs, &ba, i * bs * SECTOR_SIZE,
			     bs * SECTOR_SIZE, PAGE_SIZE);
		batch_submit(&bt, c, REQ_OP_WRITE, i * bs, &bc, i * bs * SECTOR_SIZE,
			     bs * SECTOR_SIZE, PAGE_SIZE);
	}
	KTEST_EXPECT_EQ(t, batch_wait(&bt), 0);
	memset(ba.va, 0, nr * bs * SECTOR_SIZE);
	memset(bc.va, 0, nr * bs * SECTOR_SIZE);
	KTEST_EXPECT_EQ(t, blk_test_rw(a, REQ_OP_READ, 0, &ba, 0, nr * bs * SECTOR_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_rw(c, REQ_OP_READ, 0, &bc, 0, nr * bs * SECTOR_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_check(ba.va, 0, nr * bs, 21), -1);
	KTEST_EXPECT_EQ(t, blk_test_check(bc.va, 0, nr * bs, 22), -1);
	blk_test_buf_free(&ba);
	blk_test_buf_free(&bc);
}

/* The last, partial 4 KiB block of an odd-sized disk works sector by
 * sector; one sector past it is -EIO. */
void blk_test_odd_size(struct ktest *t, struct gendisk *disk)
{
	sector_t cap = get_capacity(disk), tail = cap % 8;
	struct blk_test_buf b;

	KTEST_ASSERT_NE(t, tail, 0);
	KTEST_ASSERT_EQ(t, lbs_sectors(disk), 1);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	for (sector_t s = cap - tail; s < cap; s++) {
		blk_test_fill(b.va, s, 1, 31);
		KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, s, &b, 0, SECTOR_SIZE), 0);
	}
	memset(b.va, 0, PAGE_SIZE);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, cap - tail, &b, 0,
				       tail << SECTOR_SHIFT), 0);
	KTEST_EXPECT_EQ(t, blk_test_check(b.va, cap - tail, tail, 31), -1);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, cap - tail, &b, 0, PAGE_SIZE), -EIO);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, cap, &b, 0, SECTOR_SIZE), -EIO);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, cap - 1, &b, 0,
				       2 * SECTOR_SIZE), -EIO);
	blk_test_buf_free(&b);
}

/* PREFLUSH, FUA and empty flushes complete and keep data intact; a device
 * with a write cache sees flushes, one without sees none. */
void blk_test_flush_and_fua(struct ktest *t, struct gendisk *disk)
{
	bool wc = disk->queue->limits.write_cache;
	struct disk_stats st;
	struct blk_test_buf b;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	blk_test_fill(b.va, 8, 8, 41);
	disk_stats_reset(disk);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 8,
				       &b, 0, PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_FLUSH, 0, &b, 0, 0), 0);
	disk_stats_read(disk, &st);
	KTEST_EXPECT_EQ(t, st.ios[STAT_WRITE], 1);
	if (!wc)
		KTEST_EXPECT_EQ(t, st.ios[STAT_FLUSH], 0);
	else if (disk->queue->limits.fua)
		KTEST_EXPECT_EQ(t, st.ios[STAT_FLUSH], 2);	/* pre + empty */
	else
		KTEST_EXPECT_EQ(t, st.ios[STAT_FLUSH], 3);	/* pre, post, empty */
	memset(b.va, 0, PAGE_SIZE);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 8, &b, 0, PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_check(b.va, 8, 8, 41), -1);
	blk_test_buf_free(&b);
}

/* ---- the suite over registered test disks ---- */

struct disk_pick {
	bool want_ro;
	bool want_odd;
	unsigned int skip;	/* take the (skip+1)th match */
	struct gendisk *found;
};

static int pick_one(struct gendisk *disk, void *arg)
{
	struct disk_pick *p = arg;

	if (!disk_is_test_disk(disk) || disk->queue->limits.read_only != p->want_ro)
		return 0;
	if (p->want_odd && get_capacity(disk) % 8 == 0)
		return 0;
	if (p->skip--)
		return 0;
	p->found = disk;
	return 1;
}

static struct gendisk *pick(struct ktest *t, bool ro, bool odd, unsigned int skip)
{
	struct disk_pick p = { .want_ro = ro, .want_odd = odd, .skip = skip };

	disk_iterate(pick_one, &p);
	if (!p.found)
		ktest_skip(t, ro ? "no read-only test disk (serial quire-test*)" :
			   odd ? "no test disk whose size is not a multiple of 4 KiB" :
			   skip ? "fewer than two writable test disks (serial quire-test*)" :
				  "no writable test disk (serial quire-test*)");
	return p.found;
}

static void pattern_write_read_back_mixed_sizes(struct ktest *t)
{
	blk_test_pattern_mixed(t, pick(t, false, false, 0));
}

static void many_requests_in_flight_beyond_queue_depth(struct ktest *t)
{
	blk_test_many_in_flight(t, pick(t, false, false, 0));
}

static void requests_in_flight_from_threads_on_every_cpu(struct ktest *t)
{
	blk_test_many_threads(t, pick(t, false, false, 0));
}

static void plug_merges_adjacent_writes(struct ktest *t)
{
	blk_test_plug_merges(t, pick(t, false, false, 0));
}

static void split_honours_max_sectors_and_segments(struct ktest *t)
{
	blk_test_split_limits(t, pick(t, false, false, 0));
}

static void discard_splits_at_max_discard_sectors(struct ktest *t)
{
	blk_test_discard_split(t, pick(t, false, false, 0));
}

static void bad_bios_get_eio_or_einval(struct ktest *t)
{
	blk_test_bad_bios(t, pick(t, false, false, 0));
}

static void flush_and_fua_complete_with_data_intact(struct ktest *t)
{
	blk_test_flush_and_fua(t, pick(t, false, false, 0));
}

static void read_only_disk_refuses_writes_with_erofs(struct ktest *t)
{
	blk_test_read_only(t, pick(t, true, false, 0));
}

static void two_disks_at_once_keep_their_data(struct ktest *t)
{
	struct gendisk *a = pick(t, false, false, 0);

	blk_test_two_disks(t, a, pick(t, false, false, 1));
}

static void odd_size_disk_last_sectors_and_end(struct ktest *t)
{
	blk_test_odd_size(t, pick(t, false, true, 0));
}

static const struct ktest_case blkdev_cases[] = {
	KTEST_CASE(pattern_write_read_back_mixed_sizes),
	KTEST_CASE(many_requests_in_flight_beyond_queue_depth),
	KTEST_CASE(requests_in_flight_from_threads_on_every_cpu),
	KTEST_CASE(plug_merges_adjacent_writes),
	KTEST_CASE(split_honours_max_sectors_and_segments),
	KTEST_CASE(discard_splits_at_max_discard_sectors),
	KTEST_CASE(bad_bios_get_eio_or_einval),
	KTEST_CASE(flush_and_fua_complete_with_data_intact),
	KTEST_CASE(read_only_disk_refuses_writes_with_erofs),
	KTEST_CASE(two_disks_at_once_keep_their_data),
	KTEST_CASE(odd_size_disk_last_sectors_and_end),
	KTEST_END,
};

static const struct ktest_suite blkdev_suite = {
	.name = "blkdev",
	.cases = blkdev_cases,
};
KTEST_SUITE(blkdev_suite);
