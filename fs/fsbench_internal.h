/*
 * fs/fsbench_internal.h - internals of `fsbench` (fs/fsbench.c) for its
 * tests (fs/fsbench_test.c).
 */
#ifndef FS_FSBENCH_INTERNAL_H
#define FS_FSBENCH_INTERNAL_H

#include <quire/types.h>

#define FSB_MAGIC 0x42534651u /* "QFSB" */

/*
 * What every 4 KiB block fsbench writes (and every small file) begins
 * with: a block read back with another stamp is not the one written.
 */
struct fsb_stamp {
	u32 magic; /* FSB_MAGIC */
	u32 gen;   /* how many times the block was written (small files: 0) */
	u64 off;   /* its byte offset in the file (small files: the index) */
};

void fsb_stamp(void *block, u32 gen, u64 off);
/* 0 if @block begins with the stamp of (@gen, @off), else -EIO. */
int fsb_check(const void *block, u32 gen, u64 off);

#endif
