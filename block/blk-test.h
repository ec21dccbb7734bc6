/*
 * block/blk-test.h - the block layer's test bodies, shared by the suite
 * that runs on registered test disks (block/blk-test.c) and the host-only
 * suites that make their own disks (arch/host/blockdev_test.c).
 */
#ifndef BLOCK_BLK_TEST_H
#define BLOCK_BLK_TEST_H

#include <quire/ktest.h>
#include <quire/blkdev.h>

/* Fill @buf with the pattern of @nr_sectors starting at @sector, version
 * @gen; check it (returns the first bad sector's index, or -1). */
void blk_test_fill(void *buf, sector_t sector, u32 nr_sectors, u32 gen);
long blk_test_check(const void *buf, sector_t sector, u32 nr_sectors, u32 gen);

/* Physically contiguous test memory (up to 4 MiB). */
struct blk_test_buf {
	struct page *page;
	void *va;
	size_t bytes;
	unsigned int order;
};

int blk_test_buf_alloc(struct blk_test_buf *b, size_t bytes);
void blk_test_buf_free(struct blk_test_buf *b);

/* Synchronous I/O of @bytes at @sector to/from @b at byte @off (one
 * segment). Returns bi_status. */
int blk_test_rw(struct gendisk *disk, blk_opf_t opf, sector_t sector,
		struct blk_test_buf *b, u32 off, u32 bytes);

/* Bodies; each takes a writable test disk unless it says otherwise. */
void blk_test_pattern_mixed(struct ktest *t, struct gendisk *disk);
void blk_test_many_in_flight(struct ktest *t, struct gendisk *disk);
void blk_test_many_threads(struct ktest *t, struct gendisk *disk);
void blk_test_plug_merges(struct ktest *t, struct gendisk *disk);
void blk_test_split_limits(struct ktest *t, struct gendisk *disk);
void blk_test_discard_split(struct ktest *t, struct gendisk *disk);
void blk_test_bad_bios(struct ktest *t, struct gendisk *disk);
void blk_test_read_only(struct ktest *t, struct gendisk *ro_disk);
void blk_test_two_disks(struct ktest *t, struct gendisk *a, struct gendisk *b);
void blk_test_odd_size(struct ktest *t, struct gendisk *disk);
void blk_test_flush_and_fua(struct ktest *t, struct gendisk *disk);

#endif
