/*
 * block/blk-durable.c - `blkdurable DEV ROUNDS`: a workload whose every
 * durability promise can be checked from QEMU's write log.
 *
 * Layer: block (shell command). Used by: tests/run's virtio.durability-*
 * jobs, whose disk goes through QEMU's blklogwrites; tests/logwrites.py
 * reads the log.
 * Provides: the shell command `blkdurable`.
 *
 * Round i (0..ROUNDS-1) uses mode i % 3 and asks for durability in one of
 * the ways the block layer offers a caller (Linux's fsync paths):
 *   mode 0 "flush"     4 data blocks (plain writes, all in flight at once,
 *                      waited for), then an empty REQ_PREFLUSH write;
 *   mode 1 "preflush"  4 data blocks as above, then a 128 KiB commit
 *                      written REQ_PREFLUSH | REQ_FUA from 32 pages that
 *                      are not physically contiguous (so it splits on a
 *                      disk with few segments per request: issue 13 bug 9);
 *   mode 2 "fua"       one commit block written REQ_FUA.
 * When the last of these has completed (the promise: everything of the
 * round is durable), the round's ack block is written to the ack region
 * and waited for. The ack is thus submitted only after the acknowledgement,
 * and the device log holds the guest's side of the contract: whatever a
 * round promised must be durable before its ack block was written.
 *
 * Every 512-byte sector written carries a tag (tests/logwrites.py parses
 * it): le32 magic "QDUR", round, kind (1 data, 2 commit, 3 ack), mode,
 * index (the sector's number among its round's sectors of that kind), count
 * (how many there are), then a filler. Layout in 512-byte sectors: round
 * i's ack block at 2048 + 8i, its data at 4096 + 512i (32 sectors), its
 * commit at 4096 + 512i + 256 (256 sectors in mode 1, 8 in mode 2).
 *
 * Invariants:
 *  BD1: a round's ack block is submitted only after every request of the
 *       round's promise completed successfully; a failed request ends the
 *       command with an error and no ack for that round.
 *  BD2: only test disks (serial quire-test*) are written.
 * Locking: none (one caller; its bios complete into its own counters).
 */
#include <quire/blk-mq.h>
#include <quire/shell.h>
#include <quire/mm.h>
#include <quire/completion.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/string.h>

#define BD_MAGIC	 0x52554451u /* "QDUR" */
#define BD_ACK_BASE	 2048
#define BD_DATA_BASE	 4096
#define BD_ROUND_SECTORS 512
#define BD_DATA_BLOCKS	 4
#define BD_COMMIT_PAGES	 32
#define BD_MAX_ROUNDS	 64

enum {
	BD_DATA = 1,
	BD_COMMIT = 2,
	BD_ACK = 3
};
enum {
	BD_MODE_FLUSH,
	BD_MODE_PREFLUSH,
	BD_MODE_FUA,
	BD_NR_MODES
};

static const char *const bd_mode_names[BD_NR_MODES] = {"flush", "preflush", "fua"};

struct bd_wait {
	int pending; /* bios in flight + 1 for the submitter */
	int status;  /* first failure */
	struct completion done;
};

static void bd_end_io(struct bio *bio)
{
	struct bd_wait *w = bio->bi_private;

	if (bio->bi_status)
		__atomic_compare_exchange_n(&w->status, &(int){0}, bio->bi_status, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	bio_put(bio);
	if (__atomic_sub_fetch(&w->pending, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&w->done);
}

/* Tag @nr sectors at @buf: round, kind, mode, index from @first of @count. */
static void bd_tag(void *buf, u32 round, u32 kind, u32 mode, u32 first, u32 nr, u32 count)
{
	for (u32 s = 0; s < nr; s++) {
		u32 *w = (u32 *)((u8 *)buf + s * SECTOR_SIZE);

		w[0] = BD_MAGIC;
		w[1] = round;
		w[2] = kind;
		w[3] = mode;
		w[4] = first + s;
		w[5] = count;
		for (u32 i = 6; i < SECTOR_SIZE / 4; i++)
			w[i] = (round << 16) ^ (kind << 12) ^ (first + s) ^ i;
	}
}

/*
 * Submit one bio of @opf at @sector: @nr_pages pages of @page, taking page
 * 0, @stride, 2 * @stride, ... (a stride of 2 keeps them apart in memory).
 * Zero pages: an empty bio.
 */
static int bd_submit(struct bd_wait *w, struct gendisk *disk, blk_opf_t opf,
		     sector_t sector, struct page *page, u32 nr_pages, u32 stride)
{
	struct bio *bio =
		bio_alloc(&disk->part0, nr_pages ? nr_pages : 1, opf, GFP_KERNEL);

	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = sector;
	for (u32 i = 0; i < nr_pages; i++)
		bio_add_page(bio, page, PAGE_SIZE, i * stride * PAGE_SIZE);
	bio->bi_private = w;
	bio->bi_end_io = bd_end_io;
	__atomic_add_fetch(&w->pending, 1, __ATOMIC_ACQ_REL);
	submit_bio(bio);
	return 0;
}

static void bd_wait_init(struct bd_wait *w)
{
	w->pending = 1;
	w->status = 0;
	init_completion(&w->done);
}

/* Drop the submitter's count and wait; 0 or the first failure. */
static int bd_wait_all(struct bd_wait *w)
{
	if (__atomic_sub_fetch(&w->pending, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&w->done);
	wait_for_completion(&w->done);
	return w->status;
}

/* One round; 0 once its ack block is written, else -errno (BD1). */
static int bd_round(struct gendisk *disk, u32 round, struct page *buf)
{
	u32 mode = round % BD_NR_MODES;
	sector_t data = BD_DATA_BASE + (sector_t)round * BD_ROUND_SECTORS;
	sector_t commit = data + BD_ROUND_SECTORS / 2;
	void *va = page_address(buf);
	u32 spp = PAGE_SIZE / SECTOR_SIZE;
	struct bd_wait w;
	int err = 0;

	bd_wait_init(&w);
	if (mode != BD_MODE_FUA) {
		for (u32 b = 0; b < BD_DATA_BLOCKS && !err; b++) {
			void *p = (u8 *)va + b * PAGE_SIZE;

			bd_tag(p, round, BD_DATA, mode, b * spp, spp,
			       BD_DATA_BLOCKS * spp);
			err = bd_submit(&w, disk, REQ_OP_WRITE, data + b * spp,
					virt_to_page(p), 1, 1);
		}
	}
	err = bd_wait_all(&w) ?: err;
	if (err)
		return err;
	bd_wait_init(&w);
	if (mode == BD_MODE_FLUSH) {
		err = bd_submit(&w, disk, REQ_OP_WRITE | REQ_PREFLUSH, 0, NULL, 0, 1);
	} else if (mode == BD_MODE_PREFLUSH) {
		for (u32 i = 0; i < BD_COMMIT_PAGES; i++)
			bd_tag((u8 *)va + 2 * i * PAGE_SIZE, round, BD_COMMIT, mode,
			       i * spp, spp, BD_COMMIT_PAGES * spp);
		err = bd_submit(&w, disk, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, commit,
				buf, BD_COMMIT_PAGES, 2);
	} else {
		bd_tag(va, round, BD_COMMIT, mode, 0, spp, spp);
		err = bd_submit(&w, disk, REQ_OP_WRITE | REQ_FUA, commit, buf, 1, 1);
	}
	err = bd_wait_all(&w) ?: err;
	if (err)
		return err;
	/* BD1: the promise is kept, as far as the caller knows: ack it */
	bd_wait_init(&w);
	bd_tag(va, round, BD_ACK, mode, 0, spp, spp);
	err = bd_submit(&w, disk, REQ_OP_WRITE, BD_ACK_BASE + (sector_t)round * spp, buf,
			1, 1);
	return bd_wait_all(&w) ?: err;
}

static int blkdurable_run(struct gendisk *disk, unsigned int rounds, char **argv)
{
	struct queue_limits *lim;
	unsigned int pieces;
	struct page *buf;
	int err = 0;

	lim = &disk->queue->limits;
	if (!disk_is_test_disk(disk) || lim->read_only) { /* BD2 */
		shell_error(argv[0],
			    "%s is not a writable test disk (serial quire-test*)",
			    argv[1]);
		return -EPERM;
	}
	if (lim->logical_block_size > PAGE_SIZE ||
	    get_capacity(disk) < BD_DATA_BASE + (sector_t)rounds * BD_ROUND_SECTORS) {
		shell_error(argv[0], "%s is too small for %u rounds (%u sectors wanted)",
			    argv[1], rounds, BD_DATA_BASE + rounds * BD_ROUND_SECTORS);
		return -ENOSPC;
	}
	/* 64 pages: the commit uses every other one of them */
	buf = alloc_pages(NUMA_NO_NODE, 6, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	pieces = max(DIV_ROUND_UP(BD_COMMIT_PAGES, max(lim->max_segments, 1u)),
		     DIV_ROUND_UP(BD_COMMIT_PAGES * PAGE_SIZE / SECTOR_SIZE,
				  max(lim->max_sectors, 1u)));
	cprintf("blkdurable: %s: write cache %d, fua %d; a commit splits into %u requests "
		"(max_segments %u, max_sectors %u)\n",
		disk->disk_name, lim->write_cache, lim->fua, pieces, lim->max_segments,
		lim->max_sectors);
	for (unsigned int i = 0; i < rounds && !err; i++) {
		err = bd_round(disk, i, buf);
		if (!err)
			cprintf("blkdurable: round %u (%s) acked\n", i,
				bd_mode_names[i % BD_NR_MODES]);
	}
	__free_pages(buf, 6);
	if (err) {
		shell_error(argv[0], "%s: I/O failed: %d", disk->disk_name, err);
		return err;
	}
	cprintf("blkdurable: %s: %u rounds acked\n", disk->disk_name, rounds);
	return 0;
}

static int cmd_blkdurable(int argc, char **argv)
{
	struct gendisk *disk;
	unsigned int rounds;
	int err;

	if (argc != 3 || kstrtouint(argv[2], 10, &rounds) || !rounds ||
	    rounds > BD_MAX_ROUNDS) {
		shell_error(argv[0], "usage: blkdurable DEV ROUNDS (1..%d)",
			    BD_MAX_ROUNDS);
		return -EINVAL;
	}
	disk = get_disk_by_name(argv[1]);
	if (!disk) {
		shell_error(argv[0], "no disk named '%s'", argv[1]);
		return -ENODEV;
	}
	err = blkdurable_run(disk, rounds, argv);
	put_disk(disk); /* held across the command (GD1) */
	return err;
}
SHELL_COMMAND(
	blkdurable, "blkdurable", "blkdurable DEV ROUNDS",
	"write rounds of tagged blocks, each made durable, then acked (tests/logwrites.py)",
	cmd_blkdurable);
