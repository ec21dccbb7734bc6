/*
 * arch/host/host_memory.h - the host's fake physical memory (memory.c).
 */
#ifndef ARCH_HOST_HOST_MEMORY_H
#define ARCH_HOST_HOST_MEMORY_H

#include <quire/types.h>

/* "Physical" address of the arena's first byte: nonzero so that physical
 * address 0 is never valid RAM, as on a real machine. */
#define HOST_PHYS_BASE	(1ULL << 20)

/* mmap one arena of @bytes, split it evenly into @nodes fake NUMA nodes and
 * fill platform.mem[], platform.nr_nodes, node_present_bytes[] and (where
 * the caller left them 0) node distances; set arch_direct_map_base.
 * Returns 0, or -EINVAL (sizes, printed) / -ENOMEM (mmap failed). */
int host_memory_init(u64 bytes, unsigned int nodes);

#endif
