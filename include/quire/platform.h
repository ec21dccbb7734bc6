/*
 * include/quire/platform.h - what the architecture found about the machine.
 *
 * Filled by the arch layer before start_kernel() (arch/x86_64 from ACPI and
 * the boot memory map; arch/host from its command-line options), read-only
 * afterwards. Nothing here says which boot path ran.
 */
#ifndef QUIRE_PLATFORM_H
#define QUIRE_PLATFORM_H

#include <quire/types.h>

#define MAX_CPUS		64
#define MAX_NUMNODES		8
#define MAX_MEM_RANGES		128
#define MAX_PCI_SEGMENTS	4
#define CMDLINE_SIZE		4096
#define NUMA_NO_NODE		(-1)
#define LOCAL_DISTANCE		10	/* ACPI SLIT: distance of a node to itself */
#define REMOTE_DISTANCE		20	/* default when there is no SLIT */

/* A range of usable RAM [start, end), all of it on node @nid, none of it
 * used by the kernel image or boot data: free for the page allocator. */
struct mem_range {
	phys_addr_t start;
	phys_addr_t end;
	int nid;
};

/* A PCIe ECAM window (ACPI MCFG). */
struct pci_ecam {
	phys_addr_t base;
	u16 segment;
	u8 bus_start;
	u8 bus_end;
};

struct platform {
	unsigned int nr_cpus;			/* CPUs found (MADT), ids 0..nr_cpus-1 */
	u32 cpu_hwid[MAX_CPUS];			/* x86: the CPU's local APIC id */
	int cpu_node[MAX_CPUS];			/* NUMA node of each CPU */
	unsigned int nr_nodes;			/* >= 1; 1 when there is no SRAT */
	u8 node_distance[MAX_NUMNODES][MAX_NUMNODES];	/* SLIT, or 10/20 */
	u64 node_present_bytes[MAX_NUMNODES];	/* RAM the SRAT gives each node */
	unsigned int nr_mem_ranges;
	struct mem_range mem[MAX_MEM_RANGES];	/* free RAM, sorted by start */
	unsigned int nr_pci_ecam;
	struct pci_ecam pci_ecam[MAX_PCI_SEGMENTS];
	char cmdline[CMDLINE_SIZE];		/* kernel command line, NUL terminated */
};

extern struct platform platform;

static inline unsigned int num_possible_cpus(void)
{
	return platform.nr_cpus;
}

static inline int cpu_to_node(unsigned int cpu)
{
	return platform.cpu_node[cpu];
}

static inline unsigned int num_online_nodes(void)
{
	return platform.nr_nodes;
}

static inline int node_distance(int a, int b)
{
	return platform.node_distance[a][b];
}

#endif
