/*
 * mm/pagecache_bench.c - `pcbench memcpy [SIZE]`: the floor a cached read
 * is judged by (make bench, section writeback; docs/bench.md).
 *
 * Layer: mm (a shell tool). Used by: tools/bench.
 * Provides: the pcbench command and the KTAP suite "pcbench".
 *
 * A cached `dd if=vda of=null bs=1M` copies every page of the disk's page
 * cache into dd's 1 MiB buffer (filemap_read). `pcbench memcpy SIZE` does
 * the copy alone: SIZE bytes (default 256 MiB, a multiple of 4 MiB, at
 * most 1 GiB) from source blocks of 4 MiB (order MAX_ORDER) into one
 * 1 MiB buffer, 1 MiB per memcpy(). Every source page is written before
 * the clock starts, so no first touch is measured (in QEMU none costs
 * anything; on quire-host the arena's pages fault in). Prints
 *
 *   bench: memcpy_mbps X MB/s        (MB = 10^6 bytes)
 *   bench: memcpy_bytes N bytes
 *
 * The memory comes back to the allocator at the end: on quire-host a run
 * before a benchmark leaves SIZE bytes of the arena faulted in.
 *
 * Invariants:
 *   PB1  every byte of the source is copied exactly once: a block's
 *        pattern reaches the buffer (the suite checks it);
 *   PB2  nothing is timed but the copies (no allocation, no first touch).
 *
 * Locking: none; runs in the shell's thread and may sleep (allocation).
 */
#include <quire/shell.h>
#include <quire/mm.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/ktest.h>
#include <arch/time.h>

#define PCB_BLOCK_ORDER MAX_ORDER /* 4 MiB source blocks */
#define PCB_BLOCK	(PAGE_SIZE << PCB_BLOCK_ORDER)
#define PCB_CHUNK	(1UL << 20) /* bytes per memcpy() */
#define PCB_CHUNK_ORDER (20 - PAGE_SHIFT)
#define PCB_DEFAULT	(256ULL << 20)
#define PCB_MAX		(1ULL << 30)
#define PCB_MAX_BLOCKS	(PCB_MAX / PCB_BLOCK)

struct pcb_memcpy {
	void *blocks[PCB_MAX_BLOCKS];
	unsigned int nr_blocks;
	unsigned int order;	  /* of each source block */
	unsigned int chunk_order; /* of the buffer: min(1 MiB, a block) */
	void *dst;
	u64 bytes, ns;
};

/* 0, or -EINVAL when @s is not a size pcbench memcpy takes. */
static int pcb_parse_size(const char *s, u64 *size)
{
	u64 v;

	if (parse_size(s, &v) || v < PCB_BLOCK || v > PCB_MAX || v % PCB_BLOCK)
		return -EINVAL;
	*size = v;
	return 0;
}

static void pcb_free(struct pcb_memcpy *m)
{
	for (unsigned int i = 0; i < m->nr_blocks; i++)
		free_pages(m->blocks[i], m->order);
	m->nr_blocks = 0;
	if (m->dst)
		free_pages(m->dst, m->chunk_order);
	m->dst = NULL;
}

/* Allocate and fill @nr blocks of order @order (block i holds byte i + 1)
 * and the buffer. 0 or -ENOMEM (then nothing stays allocated). The
 * command uses PCB_BLOCK_ORDER; the suite small blocks, which a
 * fragmented test machine still has. */
static int pcb_setup(struct pcb_memcpy *m, unsigned int nr, unsigned int order)
{
	if (nr > PCB_MAX_BLOCKS || order > MAX_ORDER)
		return -EINVAL;
	m->nr_blocks = 0;
	m->order = order;
	m->chunk_order = min(order, (unsigned int)PCB_CHUNK_ORDER);
	m->dst = __get_free_pages(GFP_KERNEL, m->chunk_order);
	if (!m->dst)
		return -ENOMEM;
	memset(m->dst, 0, PAGE_SIZE << m->chunk_order);
	while (m->nr_blocks < nr) {
		void *b = __get_free_pages(GFP_KERNEL, order);

		if (!b) {
			pcb_free(m);
			return -ENOMEM;
		}
		memset(b, (int)(m->nr_blocks + 1), PAGE_SIZE << order);
		m->blocks[m->nr_blocks++] = b;
	}
	return 0;
}

/* The timed part: every chunk of every block into the buffer (PB1, PB2). */
static void pcb_run(struct pcb_memcpy *m)
{
	unsigned long block = PAGE_SIZE << m->order, chunk = PAGE_SIZE << m->chunk_order;
	u64 t0 = arch_clock_ns();

	for (unsigned int i = 0; i < m->nr_blocks; i++)
		for (unsigned long off = 0; off < block; off += chunk)
			memcpy(m->dst, (char *)m->blocks[i] + off, chunk);
	m->ns = arch_clock_ns() - t0;
	m->bytes = (u64)m->nr_blocks * block;
}

static int pcbench_memcpy(int argc, char **argv)
{
	static struct pcb_memcpy m; /* 2 KiB of pointers: not on the stack */
	u64 size = PCB_DEFAULT, mbps10;
	int err;

	if (argc > 1 && pcb_parse_size(argv[1], &size)) {
		shell_error("pcbench",
			    "memcpy: SIZE '%s': a multiple of 4M from 4M to 1G", argv[1]);
		return -EINVAL;
	}
	err = pcb_setup(&m, (unsigned int)(size / PCB_BLOCK), PCB_BLOCK_ORDER);
	if (err) {
		shell_error("pcbench", "memcpy: no memory for %llu MiB (%d)",
			    (unsigned long long)(size >> 20), err);
		return err;
	}
	pcb_run(&m);
	pcb_free(&m);
	/* MB/s x 10 = bytes * 10^4 / ns; bytes <= 2^30 keeps it in 64 bits. */
	mbps10 = m.bytes * 10000ULL / (m.ns ? m.ns : 1);
	cprintf("bench: memcpy_mbps %llu.%llu MB/s\n", (unsigned long long)(mbps10 / 10),
		(unsigned long long)(mbps10 % 10));
	cprintf("bench: memcpy_bytes %llu bytes\n", (unsigned long long)m.bytes);
	return 0;
}

static int pcbench_cmd(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "memcpy") && argc <= 3)
		return pcbench_memcpy(argc - 1, argv + 1);
	shell_error("pcbench", "usage: pcbench memcpy [SIZE]");
	return -EINVAL;
}
SHELL_COMMAND(pcbench, "pcbench", "pcbench memcpy [SIZE]",
	      "memcpy throughput: the floor of a cached read (make bench)", pcbench_cmd);

/* --- suite pcbench -------------------------------------------------------- */

static void pcbench_size_argument_is_validated(struct ktest *t)
{
	u64 v = 7;

	KTEST_EXPECT_EQ(t, pcb_parse_size("0", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, pcb_parse_size("1M", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, pcb_parse_size("6M", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, pcb_parse_size("2G", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, pcb_parse_size("junk", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, v, 7);
	KTEST_EXPECT_EQ(t, pcb_parse_size("8M", &v), 0);
	KTEST_EXPECT_EQ(t, v, 8ULL << 20);
	KTEST_EXPECT_EQ(t, pcb_parse_size("1G", &v), 0);
	KTEST_EXPECT_EQ(t, v, 1ULL << 30);
}

/* PB1: three blocks of 4 pages: the last block's pattern ends in the
 * buffer, the count is their size, and nothing stays allocated. */
static void pcbench_memcpy_copies_every_block(struct ktest *t)
{
	static struct pcb_memcpy m;
	const unsigned char *d;

	KTEST_ASSERT_TRUE(t, pcb_setup(&m, 3, 2) == 0);
	KTEST_EXPECT_EQ(t, m.nr_blocks, 3);
	KTEST_EXPECT_EQ(t, m.chunk_order, 2);
	pcb_run(&m);
	d = m.dst;
	KTEST_EXPECT_EQ(t, m.bytes, 3 * 4 * PAGE_SIZE);
	KTEST_EXPECT_EQ(t, d[0], 3);
	KTEST_EXPECT_EQ(t, d[4 * PAGE_SIZE - 1], 3);
	pcb_free(&m);
	KTEST_EXPECT_EQ(t, m.nr_blocks, 0);
	KTEST_EXPECT_TRUE(t, m.dst == NULL);
	KTEST_EXPECT_EQ(t, pcb_setup(&m, PCB_MAX_BLOCKS + 1, 0), -EINVAL);
}

static const struct ktest_case pcbench_cases[] = {
	KTEST_CASE(pcbench_size_argument_is_validated),
	KTEST_CASE(pcbench_memcpy_copies_every_block),
	KTEST_END,
};

static const struct ktest_suite pcbench_suite = {
	.name = "pcbench",
	.cases = pcbench_cases,
};
KTEST_SUITE(pcbench_suite);
