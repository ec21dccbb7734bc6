/*
 * kernel/membench.c - `membench [SIZE]`: memcpy throughput, the floor a
 * cached read is judged by (make bench, section writeback).
 *
 * Layer: kernel (a shell tool). Provides: the membench command.
 *
 * Copies SIZE bytes (default 256 MiB, at most 1 GiB) from a source made
 * of 4 MiB blocks into one 1 MiB buffer, a page at a time: what `dd
 * if=DISK of=null bs=1M` does with a disk's cached pages (filemap_read
 * copies each page into dd's buffer), minus the page cache. The source is written
 * once before the clock starts so no first-touch cost is measured. Prints
 * "bench: memcpy_mbps X MB/s" (MB = 10^6 bytes) and the size.
 *
 * Locking: none; runs in the shell's thread.
 */
#include <quire/shell.h>
#include <quire/mm.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/sched.h>
#include <arch/time.h>

#define MEMBENCH_BLOCK_ORDER 10 /* 4 MiB source blocks */
#define MEMBENCH_BLOCK	     (PAGE_SIZE << MEMBENCH_BLOCK_ORDER)
#define MEMBENCH_CHUNK	     (1UL << 20) /* bytes per memcpy */
#define MEMBENCH_MAX	     (1ULL << 30)
#define MEMBENCH_BLOCKS	     (MEMBENCH_MAX / MEMBENCH_BLOCK)

static void membench_free(char **blocks, unsigned int n, char *dst)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		free_pages(blocks[i], MEMBENCH_BLOCK_ORDER);
	if (dst)
		free_pages(dst, get_order(MEMBENCH_CHUNK));
}

static int membench_cmd(int argc, char **argv)
{
	static char *blocks[MEMBENCH_BLOCKS];
	u64 size = 256ULL << 20, done = 0, t0, ns, off;
	unsigned int n, i;
	char *dst;

	if (argc > 2 ||
	    (argc == 2 && (parse_size(argv[1], &size) || size < MEMBENCH_BLOCK ||
			   size > MEMBENCH_MAX || size % MEMBENCH_BLOCK))) {
		shell_error("membench",
			    "usage: membench [SIZE] (a multiple of 4M, at most 1G)");
		return -EINVAL;
	}
	n = (unsigned int)(size / MEMBENCH_BLOCK);
	dst = __get_free_pages(GFP_KERNEL, get_order(MEMBENCH_CHUNK));
	for (i = 0; i < n && dst; i++) {
		blocks[i] = __get_free_pages(GFP_KERNEL, MEMBENCH_BLOCK_ORDER);
		if (!blocks[i])
			break;
		memset(blocks[i], (int)i, MEMBENCH_BLOCK);
	}
	if (!dst || i < n) {
		membench_free(blocks, i, dst);
		shell_error("membench", "no memory for %llu bytes",
			    (unsigned long long)size);
		return -ENOMEM;
	}
	memset(dst, 0, MEMBENCH_CHUNK);
	t0 = arch_clock_ns();
	for (done = 0; done < size; done += MEMBENCH_CHUNK) {
		for (off = 0; off < MEMBENCH_CHUNK; off += PAGE_SIZE)
			memcpy(dst + off,
			       blocks[done / MEMBENCH_BLOCK] + done % MEMBENCH_BLOCK +
				       off,
			       PAGE_SIZE);
		barrier();
	}
	ns = arch_clock_ns() - t0;
	membench_free(blocks, n, dst);
	cprintf("bench: memcpy_bytes %llu B\n", (unsigned long long)size);
	cprintf("bench: memcpy_mbps %llu.%llu MB/s\n",
		(unsigned long long)(size * 1000 / (ns ? ns : 1)),
		(unsigned long long)(size * 10000 / (ns ? ns : 1) % 10));
	return 0;
}

SHELL_COMMAND(membench, "membench", "membench [SIZE]",
	      "memcpy throughput (the floor of a cached read)", membench_cmd);
