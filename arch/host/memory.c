/*
 * arch/host/memory.c - fake physical memory for the core running as a Linux
 * process: one mmap'd arena, split into equal NUMA nodes.
 *
 * Layer: arch/host. Provides: host_memory_init() (called by host.c's main()
 * before start_kernel()), the poison hooks of include/arch/memory.h
 * (ASan's manual poisoning in the asan build, nothing in the others);
 * arch_ioremap() is not here (no devices).
 *
 * The arena is "physical" memory [HOST_PHYS_BASE, HOST_PHYS_BASE + bytes):
 * __va(phys) = arena + (phys - HOST_PHYS_BASE). Node i owns the i-th equal
 * slice, rounded down to whole 2 MiB so each node starts aligned; nothing
 * else in the process touches the arena.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <sanitizer/asan_interface.h>

#include <quire/platform.h>
#include <quire/errno.h>
#include <arch/memory.h>
#include "host_memory.h"

#define NODE_ALIGN	(2ULL << 20)	/* node slices start 2 MiB aligned */
#define MIN_NODE_BYTES	(4ULL << 20)	/* mem_map plus some free pages */

/* Fake SLIT: 10 local, then 10 more per hop of a chain 0-1-2-...: with 4
 * nodes node 0 sees 20, 30, 40, so "nearest" is well defined in tests. */
static void set_default_distances(unsigned int nodes)
{
	for (unsigned int a = 0; a < nodes; a++)
		for (unsigned int b = 0; b < nodes; b++)
			if (!platform.node_distance[a][b])
				platform.node_distance[a][b] = LOCAL_DISTANCE +
					10 * (a > b ? a - b : b - a);
}

int host_memory_init(u64 bytes, unsigned int nodes)
{
	u64 slice;
	void *arena;

	if (nodes < 1 || nodes > MAX_NUMNODES) {
		fprintf(stderr, "quire-host: --numa %u: need 1..%d nodes\n", nodes, MAX_NUMNODES);
		return -EINVAL;
	}
	slice = (bytes / nodes) & ~(NODE_ALIGN - 1);
	if (slice < MIN_NODE_BYTES) {
		fprintf(stderr, "quire-host: --mem %llu: need at least %llu MiB per node\n",
			(unsigned long long)bytes, MIN_NODE_BYTES >> 20);
		return -EINVAL;
	}
	arena = mmap(NULL, slice * nodes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		perror("quire-host: mmap of the memory arena");
		return -ENOMEM;
	}
	arch_direct_map_base = (uintptr_t)arena - HOST_PHYS_BASE;
	platform.nr_nodes = nodes;
	platform.nr_mem_ranges = nodes;
	for (unsigned int i = 0; i < nodes; i++) {
		platform.mem[i].start = HOST_PHYS_BASE + i * slice;
		platform.mem[i].end = HOST_PHYS_BASE + (i + 1) * slice;
		platform.mem[i].nid = (int)i;
		platform.node_present_bytes[i] = slice;
	}
	set_default_distances(nodes);
	return 0;
}

/*
 * Poisoning: ASan's manual interface (the macros do nothing without
 * -fsanitize=address). A poisoned byte that is read or written gives
 * "ERROR: AddressSanitizer: use-after-poison" with the access's stack, and
 * the run ends (tests/run: a sanitizer report fails the job).
 */
#ifdef __SANITIZE_ADDRESS__
#define HOST_POISON_ENABLED true
#else
#define HOST_POISON_ENABLED false
#endif

void arch_poison_range(const void *p, size_t n)
{
	ASAN_POISON_MEMORY_REGION(p, n);
}

void arch_unpoison_range(const void *p, size_t n)
{
	ASAN_UNPOISON_MEMORY_REGION(p, n);
}

bool arch_poison_enabled(void)
{
	return HOST_POISON_ENABLED;
}
