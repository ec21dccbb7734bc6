/*
 * drivers/virtio/virtio_blk_test.c - KTAP suite "virtio_blk": what only a
 * real virtio-blk disk can show: write-zeroes and discard through the
 * device, a plugged batch of writes costing fewer doorbells than writes,
 * and a device that breaks (on purpose, or by a forged used entry)
 * failing every request exactly once with -EIO.
 *
 * Layer: drivers/virtio (tests). Suite: virtio_blk.
 * Disks (tests/run job virtio.blk-extras): a writable virtio test disk
 * (serial quire-test*) for the data cases; the breaking cases need their
 * own disks, serials quire-test-break0 and quire-test-break1, which are
 * useless afterwards (until reboot). Without them, cases skip.
 *
 * Suite virtio_blk_timeout (tests/run job virtio.blk-timeout, disk serial
 * quire-test-timeout0, dead afterwards): a device whose completions the
 * driver never sees (virtblk_test_set_deaf()) is reset by the block
 * layer's timeout and every request fails once with -EIO.
 */
#include <quire/blk-mq.h>
#include <quire/ktest.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/completion.h>
#include <quire/slab.h>
#include <quire/jiffies.h>
#include <quire/timer.h>
#include "../../block/blk-test.h"
#include "virtio_blk.h"

struct vpick {
	const char *serial;	/* exact serial, or NULL: any writable test disk */
	struct gendisk *found;
};

static int vpick_one(struct gendisk *disk, void *arg)
{
	struct vpick *p = arg;

	if (!virtblk_is_virtio_disk(disk) || !disk_is_test_disk(disk) ||
	    disk->queue->limits.read_only)
		return 0;
	if (p->serial ? strcmp(disk->serial, p->serial) :
			!strncmp(disk->serial, "quire-test-break", 16))
		return 0;
	p->found = disk;
	return 1;
}

static struct gendisk *vpick(struct ktest *t, const char *serial)
{
	struct vpick p = { .serial = serial };
	static char why[96];

	disk_iterate(vpick_one, &p);
	if (!p.found && !serial)
		ktest_skip(t, "no writable virtio test disk (serial quire-test*)");
	if (!p.found) {
		scnprintf(why, sizeof(why),
			  "no virtio disk with serial %s (tests/run virtio.*)", serial);
		ktest_skip(t, why);
	}
	return p.found;
}

static void write_zeroes_reads_back_zeroes(struct ktest *t)
{
	struct gendisk *disk = vpick(t, NULL);
	const u32 sectors = 128;
	struct blk_test_buf b;

	if (!disk->queue->limits.max_write_zeroes_sectors)
		ktest_skip(t, "device offers no WRITE_ZEROES");
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, sectors * SECTOR_SIZE), 0);
	blk_test_fill(b.va, 1024, sectors, 3);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, 1024, &b, 0, sectors * SECTOR_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE_ZEROES, 1024 + 8, &b, 0,
				       (sectors - 16) * SECTOR_SIZE), 0);
	memset(b.va, 0xaa, sectors * SECTOR_SIZE);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 1024, &b, 0, sectors * SECTOR_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_check(b.va, 1024, 8, 3), -1);		/* before */
	for (u32 i = 8 * SECTOR_SIZE; i < (sectors - 8) * SECTOR_SIZE; i++)
		if (((u8 *)b.va)[i]) {
			KTEST_EXPECT_EQ(t, i, 0);	/* first non-zero byte */
			break;
		}
	KTEST_EXPECT_EQ(t, blk_test_check((u8 *)b.va + (sectors - 8) * SECTOR_SIZE,
					  1024 + sectors - 8, 8, 3), -1);	/* after */
	blk_test_buf_free(&b);
}

static void discard_completes_and_rewrite_reads_back(struct ktest *t)
{
	struct gendisk *disk = vpick(t, NULL);
	struct blk_test_buf b;

	if (!disk->queue->limits.max_discard_sectors)
		ktest_skip(t, "device offers no DISCARD");
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, 64 * SECTOR_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_DISCARD, 2048, &b, 0, 64 * SECTOR_SIZE), 0);
	blk_test_fill(b.va, 2048, 64, 9);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, 2048, &b, 0, 64 * SECTOR_SIZE), 0);
	memset(b.va, 0, 64 * SECTOR_SIZE);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 2048, &b, 0, 64 * SECTOR_SIZE), 0);
	KTEST_EXPECT_EQ(t, blk_test_check(b.va, 2048, 64, 9), -1);
	blk_test_buf_free(&b);
}

/* ---- notification batching ---- */

#define BATCH_NR	32	/* 4 KiB writes in one plugged batch */

struct batch {
	int pending;		/* atomic, + 1 for the submitter */
	int err;
	struct completion done;
};

static void batch_end_io(struct bio *bio)
{
	struct batch *bt = bio->bi_private;

	if (bio->bi_status)
		bt->err = bio->bi_status;
	bio_put(bio);
	if (__atomic_sub_fetch(&bt->pending, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&bt->done);
}

/* Doorbell writes and doorbell decisions so far, over every queue of
 * @disk's device. */
static void disk_kicks(struct gendisk *disk, u64 *kicks, u64 *checks)
{
	struct virtqueue *vq;

	*kicks = *checks = 0;
	list_for_each_entry(vq, &virtblk_vdev(disk)->vqs, list) {
		u64 k, irqs, spurious;

		virtqueue_stats(vq, &k, &irqs, &spurious);
		*kicks += k;
		*checks += virtqueue_kick_checks(vq);
	}
}

/*
 * BATCH_NR writes to every other 4 KiB block (REQ_NOMERGE as well: the
 * plug must not merge them into fewer requests) under one plug reach the
 * device as one batch: bd->last/commit_rqs decide on the doorbell once
 * per hw queue the batch reached (the task may move CPUs mid-batch: at
 * most one per queue), not once per request; EVENT_IDX may then skip
 * some. So kicks <= checks <= queues, and at least one kick: the device
 * was idle and must hear of the batch.
 */
static void plugged_batch_of_writes_rings_the_doorbell_less_than_once_per_write(struct ktest *t)
{
	struct gendisk *disk = vpick(t, NULL);
	struct batch bt = { .pending = 1 };
	struct blk_test_buf b;
	struct blk_plug plug;
	u64 kicks0, checks0, kicks, checks;
	unsigned int nr_vqs = 0;
	struct virtqueue *vq;

	KTEST_ASSERT_TRUE(t, get_capacity(disk) >= 2 * BATCH_NR * (PAGE_SIZE >> SECTOR_SHIFT));
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	init_completion(&bt.done);
	list_for_each_entry(vq, &virtblk_vdev(disk)->vqs, list)
		nr_vqs++;
	disk_kicks(disk, &kicks0, &checks0);
	blk_start_plug(&plug);
	for (unsigned int i = 0; i < BATCH_NR; i++) {
		struct bio *bio = bio_alloc(&disk->part0, 1, REQ_OP_WRITE | REQ_NOMERGE, GFP_KERNEL);

		if (!bio) {
			bt.err = -ENOMEM;
			break;
		}
		bio->bi_iter.bi_sector = 2 * i * (PAGE_SIZE >> SECTOR_SHIFT);
		bio_add_page(bio, b.page, PAGE_SIZE, 0);
		bio->bi_end_io = batch_end_io;
		bio->bi_private = &bt;
		__atomic_add_fetch(&bt.pending, 1, __ATOMIC_ACQ_REL);
		submit_bio(bio);
	}
	blk_finish_plug(&plug);
	if (__atomic_sub_fetch(&bt.pending, 1, __ATOMIC_ACQ_REL) != 0)
		wait_for_completion(&bt.done);
	disk_kicks(disk, &kicks, &checks);
	kicks -= kicks0;
	checks -= checks0;
	cprintf("# %s: %u plugged writes, %llu doorbell checks, %llu kicks, %u queues\n",
		disk->disk_name, BATCH_NR, (unsigned long long)checks,
		(unsigned long long)kicks, nr_vqs);
	KTEST_EXPECT_EQ(t, bt.err, 0);
	KTEST_EXPECT_TRUE(t, kicks >= 1);
	KTEST_EXPECT_TRUE(t, kicks <= checks);
	KTEST_EXPECT_TRUE(t, checks <= nr_vqs);
	KTEST_EXPECT_TRUE(t, kicks < BATCH_NR);
	blk_test_buf_free(&b);
}

/* ---- a device that breaks ---- */

#define BREAK_NR	128
#define BREAK_BYTES	(64u << 10)	/* per write: long enough to be caught in flight */
#define BREAK_SECTORS	(BREAK_BYTES >> SECTOR_SHIFT)

struct once {
	int ends[BREAK_NR];	/* bi_end_io calls per bio: must be 1 */
	int status[BREAK_NR];
	int pending;		/* atomic, + 1 for the submitter */
	struct completion done;
};

static void once_end_io(struct bio *bio)
{
	struct once *o = bio->bi_private;
	unsigned int i = bio->bi_iter.bi_sector / BREAK_SECTORS % BREAK_NR;

	__atomic_add_fetch(&o->ends[i], 1, __ATOMIC_ACQ_REL);
	o->status[i] = bio->bi_status;
	bio_put(bio);
	if (__atomic_sub_fetch(&o->pending, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&o->done);
}

/* One plugged batch: the device sees all of them at one kick. */
static void submit_writes(struct gendisk *disk, struct blk_test_buf *b, struct once *o)
{
	struct blk_plug plug;

	blk_start_plug(&plug);
	o->pending = 1;
	init_completion(&o->done);
	for (unsigned int i = 0; i < BREAK_NR; i++) {
		struct bio *bio = bio_alloc(&disk->part0, 1, REQ_OP_WRITE | REQ_NOMERGE, GFP_KERNEL);

		if (!bio)
			continue;
		bio->bi_iter.bi_sector = i * BREAK_SECTORS;
		bio_add_page(bio, b->page, BREAK_BYTES, 0);
		bio->bi_end_io = once_end_io;
		bio->bi_private = o;
		__atomic_add_fetch(&o->pending, 1, __ATOMIC_ACQ_REL);
		submit_bio(bio);
	}
	blk_finish_plug(&plug);
}

static void wait_writes(struct once *o)
{
	if (__atomic_sub_fetch(&o->pending, 1, __ATOMIC_ACQ_REL) != 0)
		wait_for_completion(&o->done);
}

/* After the break: new reads, writes and flushes fail with -EIO. */
static void expect_dead(struct ktest *t, struct gendisk *disk, struct blk_test_buf *b)
{
	KTEST_EXPECT_TRUE(t, virtio_device_is_broken(virtblk_vdev(disk)));
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, 0, b, 0, PAGE_SIZE), -EIO);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, 0, b, 0, PAGE_SIZE), -EIO);
	if (disk->queue->limits.write_cache)
		KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_FLUSH, 0, b, 0, 0), -EIO);
}

static void requests_in_flight_at_a_break_end_once_with_eio_or_ok(struct ktest *t)
{
	struct gendisk *disk = vpick(t, "quire-test-break0");
	struct once *o = kzalloc(sizeof(*o), GFP_KERNEL);
	struct blk_test_buf b;
	unsigned int eio = 0;

	KTEST_ASSERT_NOT_NULL(t, o);
	KTEST_ASSERT_TRUE(t, get_capacity(disk) >= BREAK_NR * BREAK_SECTORS);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, BREAK_BYTES), 0);
	submit_writes(disk, &b, o);
	virtio_break_device(virtblk_vdev(disk), "ktest: broken on purpose, requests in flight");
	/* the device is reset: no interrupt will come; the driver's broken
	 * work fails what it held */
	wait_writes(o);
	for (unsigned int i = 0; i < BREAK_NR; i++) {
		KTEST_EXPECT_EQ(t, o->ends[i], 1);
		KTEST_EXPECT_TRUE(t, o->status[i] == 0 || o->status[i] == -EIO);
		eio += o->status[i] == -EIO;
	}
	cprintf("# %s: %u of %u writes failed with -EIO at the break\n", disk->disk_name, eio,
		BREAK_NR);
	expect_dead(t, disk, &b);
	blk_test_buf_free(&b);
	kfree(o);
}

static void forged_used_entry_on_a_real_disk_breaks_it(struct ktest *t)
{
	struct gendisk *disk = vpick(t, "quire-test-break1");
	struct blk_test_buf b;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	blk_test_fill(b.va, 0, 8, 1);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_WRITE, 0, &b, 0, PAGE_SIZE), 0);
	KTEST_EXPECT_FALSE(t, virtio_device_is_broken(virtblk_vdev(disk)));
	KTEST_ASSERT_EQ(t, virtblk_test_forge_used(disk, 9999, 1), 0);	/* id out of range */
	expect_dead(t, disk, &b);
	blk_test_buf_free(&b);
}

/* ---- a device that never answers ---- */

#define TIMEOUT_MS 200 /* the disk's request timeout in this test */

static u64 disk_timeouts(struct gendisk *disk)
{
	struct disk_stats st;

	disk_stats_read(disk, &st);
	return st.timeouts;
}

/*
 * Issue 8 part 3: BREAK_NR writes go to a device whose answers the driver
 * never sees. Before, they waited for ever. Now, after TIMEOUT_MS, the
 * timeout handler marks the disk dead, resets the device and fails every
 * write exactly once with -EIO; later I/O fails at once.
 */
static void requests_never_answered_time_out_and_the_disk_dies(struct ktest *t)
{
	struct gendisk *disk = vpick(t, "quire-test-timeout0");
	struct once *o = kzalloc(sizeof(*o), GFP_KERNEL);
	struct blk_test_buf b;
	u64 timeouts0 = disk_timeouts(disk);

	KTEST_ASSERT_NOT_NULL(t, o);
	KTEST_ASSERT_TRUE(t, get_capacity(disk) >= BREAK_NR * BREAK_SECTORS);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, BREAK_BYTES), 0);
	KTEST_EXPECT_FALSE(t, disk_is_dead(disk));
	blk_queue_rq_timeout(disk->queue, msecs_to_jiffies(TIMEOUT_MS));
	virtblk_test_set_deaf(disk, true);
	submit_writes(disk, &b, o);
	wait_writes(o);
	for (unsigned int i = 0; i < BREAK_NR; i++) {
		KTEST_EXPECT_EQ(t, o->ends[i], 1);
		KTEST_EXPECT_EQ(t, o->status[i], -EIO);
	}
	cprintf("# %s: %llu timeout(s) for %u writes never answered\n", disk->disk_name,
		(unsigned long long)(disk_timeouts(disk) - timeouts0), BREAK_NR);
	KTEST_EXPECT_GE(t, disk_timeouts(disk) - timeouts0, 1);
	KTEST_EXPECT_TRUE(t, disk_is_dead(disk));
	expect_dead(t, disk, &b);
	blk_test_buf_free(&b);
	kfree(o);
}

/* ---- polling (docs/block.md, Polling) ---- */

#define POLL_NR	    256	 /* 4 KiB writes per phase */
#define POLL_SECTOR 8192 /* where on the test disk */

struct poll_io {
	int ends; /* bi_end_io calls: must be 1 (atomic) */
	int status;
	bool done; /* atomic */
};

static void poll_end_io(struct bio *bio)
{
	struct poll_io *io = bio->bi_private;

	__atomic_add_fetch(&io->ends, 1, __ATOMIC_ACQ_REL);
	io->status = bio->bi_status;
	__atomic_store_n(&io->done, true, __ATOMIC_RELEASE);
}

static bool poll_io_done(void *arg)
{
	return __atomic_load_n(&((struct poll_io *)arg)->done, __ATOMIC_ACQUIRE);
}

static u64 hctx_total(struct gendisk *disk, bool polled)
{
	struct request_queue *q = disk->queue;
	u64 n = 0;

	for (unsigned int i = 0; i < q->nr_hw_queues; i++)
		n += __atomic_load_n(polled ? &q->hctxs[i]->poll_completed :
					      &q->hctxs[i]->completed,
				     __ATOMIC_RELAXED);
	return n;
}

/*
 * POLL_NR writes of 4 KiB, one at a time, each followed by a wait that
 * polls. With @irq_lost the interrupt handler ignores the device, so only
 * the poll can complete them: the loop polls until done (bounded: 5 s per
 * write, then the case fails instead of hanging). Otherwise the poll and
 * the interrupt race for every completion. Each bio must end exactly once
 * with status 0, and blk-mq must count exactly POLL_NR completions.
 * Returns how many the poll completed.
 */
static u64 poll_phase(struct ktest *t, struct gendisk *disk, struct blk_test_buf *b,
		      bool irq_lost, u32 gen)
{
	struct poll_io *io = kcalloc(POLL_NR, sizeof(*io), GFP_KERNEL);
	u64 done0 = hctx_total(disk, false), polled0 = hctx_total(disk, true);
	unsigned int bad = 0;

	KTEST_ASSERT_NOT_NULL(t, io);
	virtblk_test_set_irq_lost(disk, irq_lost);
	for (unsigned int i = 0; i < POLL_NR; i++) {
		struct bio *bio = bio_alloc(&disk->part0, 1, REQ_OP_WRITE, GFP_KERNEL);
		unsigned long until = jiffies + msecs_to_jiffies(5000);

		KTEST_ASSERT_NOT_NULL(t, bio);
		blk_test_fill((u8 *)b->va + i * PAGE_SIZE, POLL_SECTOR + i * 8, 8, gen);
		bio->bi_iter.bi_sector = POLL_SECTOR + i * 8;
		bio_add_page(bio, b->page, PAGE_SIZE, i * PAGE_SIZE);
		bio->bi_end_io = poll_end_io;
		bio->bi_private = &io[i];
		submit_bio(bio);
		while (!bio_poll_until(bio, poll_io_done, &io[i]) &&
		       time_before(jiffies, until))
			;
		if (!poll_io_done(&io[i])) {
			virtblk_test_set_irq_lost(disk, false);
			ktest_fail(t, __FILE__, __LINE__,
				   "write %u not completed by polling", i);
			while (!poll_io_done(&io[i]))
				msleep(1);
		}
		bio_put(bio);
	}
	virtblk_test_set_irq_lost(disk, false);
	for (unsigned int i = 0; i < POLL_NR; i++)
		if ((io[i].ends != 1 || io[i].status) && !bad++)
			ktest_fail(t, __FILE__, __LINE__, "write %u: %d ends, status %d",
				   i, io[i].ends, io[i].status);
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, hctx_total(disk, false) - done0, POLL_NR);
	kfree(io);
	return hctx_total(disk, true) - polled0;
}

/*
 * Issue 8 part 4: polling and the interrupt never complete a request
 * twice or lose one. Phase 1: interrupts ignored, every completion comes
 * from the poll. Phase 2: both race. Then the data reads back (a polled
 * completion is seen after the device wrote the buffer and status).
 */
static void poll_and_interrupt_complete_each_request_once(struct ktest *t)
{
	struct gendisk *disk = vpick(t, NULL);
	struct request_queue *q = disk->queue;
	bool was_on = READ_ONCE(q->poll_enabled);
	unsigned int was_nsec = READ_ONCE(q->poll_nsec);
	struct blk_test_buf b;
	u64 polled;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, POLL_NR * PAGE_SIZE), 0);
	blk_queue_poll(q, true, 0);
	KTEST_EXPECT_TRUE(t, READ_ONCE(q->poll_enabled));
	polled = poll_phase(t, disk, &b, true, 21);
	KTEST_EXPECT_EQ(t, polled, POLL_NR);
	polled = poll_phase(t, disk, &b, false, 22);
	cprintf("# %s: racing the interrupt, the poll completed %llu of %u writes\n",
		disk->disk_name, (unsigned long long)polled, POLL_NR);
	KTEST_EXPECT_LE(t, polled, POLL_NR);
	memset(b.va, 0, POLL_NR * PAGE_SIZE);
	KTEST_EXPECT_EQ(
		t,
		blk_test_rw(disk, REQ_OP_READ, POLL_SECTOR, &b, 0, POLL_NR * PAGE_SIZE),
		0);
	KTEST_EXPECT_EQ(t, blk_test_check(b.va, POLL_SECTOR, POLL_NR * 8, 22), -1);
	blk_queue_poll(q, was_on, was_nsec);
	blk_test_buf_free(&b);
}

static const struct ktest_case virtio_blk_timeout_cases[] = {
	KTEST_CASE(requests_never_answered_time_out_and_the_disk_dies),
	KTEST_END,
};

static const struct ktest_suite virtio_blk_timeout_suite = {
	.name = "virtio_blk_timeout",
	.cases = virtio_blk_timeout_cases,
};
KTEST_SUITE(virtio_blk_timeout_suite);

static const struct ktest_case virtio_blk_cases[] = {
	KTEST_CASE(write_zeroes_reads_back_zeroes),
	KTEST_CASE(discard_completes_and_rewrite_reads_back),
	KTEST_CASE(plugged_batch_of_writes_rings_the_doorbell_less_than_once_per_write),
	KTEST_CASE(requests_in_flight_at_a_break_end_once_with_eio_or_ok),
	KTEST_CASE(forged_used_entry_on_a_real_disk_breaks_it),
	KTEST_CASE(poll_and_interrupt_complete_each_request_once),
	KTEST_END,
};

static const struct ktest_suite virtio_blk_suite = {
	.name = "virtio_blk",
	.cases = virtio_blk_cases,
};
KTEST_SUITE(virtio_blk_suite);
