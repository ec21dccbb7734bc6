/*
 * arch/x86_64/acpi.c - the static ACPI tables: CPUs, interrupt
 * controllers, NUMA topology, PCIe ECAM, power registers.
 *
 * Layer: arch/x86_64. Provides: acpi_init(), acpi_info, acpi_phys_to_node().
 * Fills: platform.{nr_cpus, cpu_hwid, cpu_node, nr_nodes, node_distance,
 * node_present_bytes, pci_ecam}.
 *
 * RSDP -> XSDT (RSDT when there is no XSDT) -> MADT, SRAT, SLIT, MCFG, FADT
 * (-> DSDT for \_S5). Tables come from firmware: every table is mapped only
 * after its header says how long it is, its length is bounded and its
 * checksum verified, and every sub-entry is bounds checked; a bad table is
 * skipped with one log line and the machine is described without it
 * (no MADT: one CPU; no SRAT: one node; no SLIT: distances 10/20).
 * Each table's memory is reserved so the page allocator never reuses it.
 * Boot CPU only, before start_kernel(); no locking.
 */
#include <quire/platform.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <arch/memory.h>
#include <asm/acpi.h>
#include <asm/setup.h>
#include <asm/processor.h>

#define ACPI_HDR_LEN		36
#define ACPI_MAX_TABLE_LEN	(16U << 20)	/* bytes; larger is corrupt */
#define SRAT_MAX_MEM		64
#define LOW_DIRECT_MAPPED	0x200000	/* paging.c maps the first 2 MiB */

struct acpi_info acpi_info;

struct srat_mem {
	phys_addr_t start, end;
	int nid;
};

static struct srat_mem srat_mem[SRAT_MAX_MEM];
static unsigned int nr_srat_mem;
static u32 node_pxm[MAX_NUMNODES];	/* proximity domain of each node */
static bool have_srat;

static u16 get16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 get64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

static u8 checksum(const u8 *p, size_t len)
{
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

/* Is [phys, phys + len) inside what paging.c put in the direct map? */
static bool direct_mapped(phys_addr_t phys, size_t len)
{
	if (phys + len <= LOW_DIRECT_MAPPED)
		return true;
	for (u32 i = 0; i < boot_info.nr_mem; i++) {
		const struct boot_mem_entry *e = &boot_info.mem[i];

		if (e->type == BOOT_MEM_RESERVED || e->type == BOOT_MEM_BAD)
			continue;
		if (phys >= e->base && phys + len <= e->base + e->length)
			return true;
	}
	return false;
}

static const u8 *acpi_map(phys_addr_t phys, size_t len)
{
	if (direct_mapped(phys, len))
		return __va(phys);
	return arch_ioremap(phys, len);
}

/*
 * Map the table at @phys and validate it: header readable, length within
 * [ACPI_HDR_LEN, ACPI_MAX_TABLE_LEN], checksum zero. NULL (logged) if not.
 */
static const u8 *acpi_map_table(phys_addr_t phys, const char *what)
{
	const u8 *t;
	u32 len;

	if (!phys) {
		pr_err("acpi: %s: null table address, skipped\n", what);
		return NULL;
	}
	t = acpi_map(phys, ACPI_HDR_LEN);
	if (!t)
		return NULL;
	len = get32(t + 4);
	if (len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE_LEN) {
		pr_err("acpi: %.4s at %#llx: bad length %u, skipped\n", (const char *)t,
		       (unsigned long long)phys, len);
		return NULL;
	}
	t = acpi_map(phys, len);
	if (!t)
		return NULL;
	if (checksum(t, len)) {
		pr_err("acpi: %.4s at %#llx: bad checksum, skipped\n", (const char *)t,
		       (unsigned long long)phys);
		return NULL;
	}
	memory_reserve(phys, phys + len, "ACPI table");
	return t;
}

/* --- MADT --- */

static u32 boot_cpu_apic_id(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}

static void madt_add_cpu(u32 apic_id, u32 flags)
{
	if (!(flags & 1))
		return;			/* disabled (not present) */
	for (unsigned int i = 0; i < platform.nr_cpus; i++)
		if (platform.cpu_hwid[i] == apic_id)
			return;		/* listed as both LAPIC and x2APIC */
	if (platform.nr_cpus == MAX_CPUS) {
		pr_err("acpi: MADT: more than %d CPUs, APIC id %u ignored\n",
		       MAX_CPUS, apic_id);
		return;
	}
	platform.cpu_hwid[platform.nr_cpus++] = apic_id;
}

static void madt_add_ioapic(const u8 *e)
{
	struct acpi_ioapic *io;

	if (acpi_info.nr_ioapics == ACPI_MAX_IOAPICS) {
		pr_err("acpi: MADT: more than %d IOAPICs, one ignored\n", ACPI_MAX_IOAPICS);
		return;
	}
	io = &acpi_info.ioapic[acpi_info.nr_ioapics++];
	io->id = e[2];
	io->phys = get32(e + 4);
	io->gsi_base = get32(e + 8);
}

static void madt_add_override(const u8 *e)
{
	struct acpi_irq_override *o;

	if (acpi_info.nr_overrides == ACPI_MAX_OVERRIDES) {
		pr_err("acpi: MADT: more than %d IRQ overrides, one ignored\n",
		       ACPI_MAX_OVERRIDES);
		return;
	}
	o = &acpi_info.override[acpi_info.nr_overrides++];
	o->bus_irq = e[3];
	o->gsi = get32(e + 4);
	o->flags = get16(e + 8);
}

/* Minimum length of each MADT entry type we read. */
static u8 madt_entry_min_len(u8 type)
{
	switch (type) {
	case 0: return 8;	/* processor local APIC */
	case 1: return 12;	/* I/O APIC */
	case 2: return 10;	/* interrupt source override */
	case 5: return 12;	/* local APIC address override */
	case 9: return 16;	/* processor local x2APIC */
	default: return 2;
	}
}

static void madt_entry(const u8 *e)
{
	switch (e[0]) {
	case 0:
		madt_add_cpu(e[3], get32(e + 4));
		break;
	case 1:
		madt_add_ioapic(e);
		break;
	case 2:
		madt_add_override(e);
		break;
	case 5:
		acpi_info.lapic_phys = get64(e + 4);
		break;
	case 9:
		madt_add_cpu(get32(e + 4), get32(e + 8));
		break;
	}
}

static void parse_madt(const u8 *t)
{
	u32 len = get32(t + 4);

	if (len < 44) {
		pr_err("acpi: MADT too short (%u bytes), skipped\n", len);
		return;
	}
	acpi_info.lapic_phys = get32(t + 36);
	acpi_info.pcat_compat = get32(t + 40) & 1;
	for (u32 off = 44; off + 2 <= len;) {
		const u8 *e = t + off;

		if (e[1] < 2 || off + e[1] > len) {
			pr_err("acpi: MADT entry at offset %u has bad length %u, rest skipped\n",
			       off, e[1]);
			break;
		}
		if (e[1] >= madt_entry_min_len(e[0]))
			madt_entry(e);
		else
			pr_err("acpi: MADT entry type %u too short, skipped\n", e[0]);
		off += e[1];
	}
}

/* Put the boot CPU first: logical CPU 0 is the one running this code. */
static void order_boot_cpu_first(void)
{
	u32 bsp = boot_cpu_apic_id();

	for (unsigned int i = 0; i < platform.nr_cpus; i++) {
		if (platform.cpu_hwid[i] == bsp) {
			platform.cpu_hwid[i] = platform.cpu_hwid[0];
			platform.cpu_hwid[0] = bsp;
			return;
		}
	}
	pr_err("acpi: boot CPU (APIC id %u) not in the MADT, added\n", bsp);
	if (platform.nr_cpus == MAX_CPUS)
		platform.nr_cpus--;
	platform.cpu_hwid[platform.nr_cpus] = platform.cpu_hwid[0];
	platform.cpu_hwid[0] = bsp;
	platform.nr_cpus++;
}

/* --- SRAT / SLIT --- */

/* Node id of proximity domain @pxm, allocated on first sight; -1 if full. */
static int pxm_to_node(u32 pxm)
{
	for (unsigned int n = 0; n < platform.nr_nodes; n++)
		if (node_pxm[n] == pxm)
			return n;
	if (platform.nr_nodes == MAX_NUMNODES) {
		pr_err("acpi: SRAT: more than %d proximity domains, domain %u "
		       "folded into node 0\n", MAX_NUMNODES, pxm);
		return 0;
	}
	node_pxm[platform.nr_nodes] = pxm;
	return platform.nr_nodes++;
}

static void srat_cpu(u32 apic_id, u32 pxm, u32 flags)
{
	int nid;

	if (!(flags & 1))
		return;
	nid = pxm_to_node(pxm);
	for (unsigned int i = 0; i < platform.nr_cpus; i++)
		if (platform.cpu_hwid[i] == apic_id)
			platform.cpu_node[i] = nid;
}

static void srat_memory(const u8 *e)
{
	u64 base = get64(e + 8), len = get64(e + 16);
	u32 flags = get32(e + 28);
	int nid;

	if (!(flags & 1) || (flags & 2) || !len || base + len < base)
		return;			/* disabled, hot-pluggable, or empty */
	nid = pxm_to_node(get32(e + 2));
	platform.node_present_bytes[nid] += len;
	if (nr_srat_mem == SRAT_MAX_MEM) {
		pr_err("acpi: SRAT: more than %d memory ranges, rest on node 0\n",
		       SRAT_MAX_MEM);
		return;
	}
	srat_mem[nr_srat_mem++] = (struct srat_mem){ base, base + len, nid };
}

static void srat_entry(const u8 *e)
{
	switch (e[0]) {
	case 0:			/* processor local APIC affinity */
		if (e[1] >= 16)
			srat_cpu(e[3], e[2] | (u32)e[9] << 8 | (u32)e[10] << 16 |
				 (u32)e[11] << 24, get32(e + 4));
		break;
	case 1:			/* memory affinity */
		if (e[1] >= 40)
			srat_memory(e);
		break;
	case 2:			/* processor local x2APIC affinity */
		if (e[1] >= 24)
			srat_cpu(get32(e + 8), get32(e + 4), get32(e + 12));
		break;
	}
}

static void parse_srat(const u8 *t)
{
	u32 len = get32(t + 4);

	have_srat = true;
	platform.nr_nodes = 0;
	for (u32 off = 48; off + 2 <= len;) {
		const u8 *e = t + off;

		if (e[1] < 2 || off + e[1] > len) {
			pr_err("acpi: SRAT entry at offset %u has bad length %u, rest skipped\n",
			       off, e[1]);
			break;
		}
		srat_entry(e);
		off += e[1];
	}
	if (!platform.nr_nodes)
		platform.nr_nodes = 1;
}

static bool slit_valid(const u8 *m, u64 n)
{
	for (u64 i = 0; i < n; i++)
		for (u64 j = 0; j < n; j++)
			if ((i == j) != (m[i * n + j] == LOCAL_DISTANCE) ||
			    m[i * n + j] < LOCAL_DISTANCE)
				return false;
	return true;
}

static void parse_slit(const u8 *t)
{
	u32 len = get32(t + 4);
	u64 n = len >= 44 ? get64(t + 36) : 0;
	const u8 *m = t + 44;

	if (!have_srat)
		return;			/* distances between nodes we do not know */
	if (n == 0 || n > 256 || 44 + n * n > len) {
		pr_err("acpi: SLIT: bad size (%llu localities, %u bytes), skipped\n",
		       (unsigned long long)n, len);
		return;
	}
	if (!slit_valid(m, n)) {
		pr_err("acpi: SLIT: inconsistent distances, skipped\n");
		return;
	}
	for (unsigned int a = 0; a < platform.nr_nodes; a++)
		for (unsigned int b = 0; b < platform.nr_nodes; b++)
			if (node_pxm[a] < n && node_pxm[b] < n)
				platform.node_distance[a][b] = m[node_pxm[a] * n + node_pxm[b]];
}

/* --- MCFG --- */

static void parse_mcfg(const u8 *t)
{
	u32 len = get32(t + 4);

	for (u32 off = 44; off + 16 <= len; off += 16) {
		const u8 *e = t + off;
		struct pci_ecam *w;

		if (e[10] > e[11]) {
			pr_err("acpi: MCFG: bus range %u-%u invalid, skipped\n", e[10], e[11]);
			continue;
		}
		if (platform.nr_pci_ecam == MAX_PCI_SEGMENTS) {
			pr_err("acpi: MCFG: more than %d ECAM windows, rest ignored\n",
			       MAX_PCI_SEGMENTS);
			return;
		}
		w = &platform.pci_ecam[platform.nr_pci_ecam++];
		w->base = get64(e);
		w->segment = get16(e + 8);
		w->bus_start = e[10];
		w->bus_end = e[11];
	}
}

/* --- FADT and \_S5 --- */

/* AML: Name(_S5, Package(n) { SLP_TYPa, SLP_TYPb, ... }). */
static bool aml_read_byte_const(const u8 **p, const u8 *end, u8 *val)
{
	if (*p >= end)
		return false;
	if (**p == 0x0a) {		/* BytePrefix */
		if (*p + 1 >= end)
			return false;
		*val = (*p)[1];
		*p += 2;
		return true;
	}
	if (**p == 0x00 || **p == 0x01) {	/* ZeroOp, OneOp */
		*val = **p;
		*p += 1;
		return true;
	}
	return false;
}

static void find_s5(const u8 *dsdt, u32 len)
{
	const u8 *end = dsdt + len;

	for (const u8 *p = dsdt + ACPI_HDR_LEN; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)	/* PackageOp */
			continue;
		if (p[-1] != 0x08 && !(p[-1] == '\\' && p[-2] == 0x08))
			continue;			/* not a NameOp */
		p += 5;
		p += (*p >> 6) + 1;			/* PkgLength */
		p += 1;					/* NumElements */
		if (aml_read_byte_const(&p, end, &acpi_info.s5_slp_typa) &&
		    aml_read_byte_const(&p, end, &acpi_info.s5_slp_typb))
			acpi_info.s5_valid = true;
		return;
	}
}

static void fadt_reset_reg(const u8 *t, u32 len)
{
	if (len < 129 || !(get32(t + 112) & (1U << 10)))
		return;				/* no RESET_REG_SUP */
	memcpy(&acpi_info.reset_reg, t + 116, sizeof(acpi_info.reset_reg));
	acpi_info.reset_value = t[128];
	acpi_info.reset_valid = acpi_info.reset_reg.address &&
		(acpi_info.reset_reg.space_id == ACPI_SPACE_IO ||
		 acpi_info.reset_reg.space_id == ACPI_SPACE_MEM);
}

static void parse_fadt(const u8 *t)
{
	u32 len = get32(t + 4);
	u64 dsdt_phys;
	const u8 *dsdt;

	if (len < 116) {
		pr_err("acpi: FADT too short (%u bytes), skipped\n", len);
		return;
	}
	acpi_info.sci_irq = get16(t + 46);
	acpi_info.pm1a_cnt_port = get32(t + 64);
	acpi_info.pm1b_cnt_port = get32(t + 68);
	acpi_info.pm_timer_port = t[91] == 4 ? get32(t + 76) : 0;
	acpi_info.pm_timer_32bit = get32(t + 112) & (1U << 8);
	fadt_reset_reg(t, len);
	dsdt_phys = len >= 148 && get64(t + 140) ? get64(t + 140) : get32(t + 40);
	dsdt = acpi_map_table(dsdt_phys, "DSDT");
	if (dsdt && !memcmp(dsdt, "DSDT", 4))
		find_s5(dsdt, get32(dsdt + 4));
}

/* --- RSDP and the root table --- */

static phys_addr_t rsdp_scan(void)
{
	for (phys_addr_t p = 0xe0000; p < 0x100000; p += 16)
		if (!memcmp(__va(p), "RSD PTR ", 8) && !checksum(__va(p), 20))
			return p;
	return 0;
}

/* Physical address of the XSDT or RSDT, and its entry size. */
static phys_addr_t rsdp_root(phys_addr_t rsdp_phys, unsigned int *entry_size)
{
	const u8 *r = acpi_map(rsdp_phys, 20);

	if (!r || memcmp(r, "RSD PTR ", 8) || checksum(r, 20)) {
		pr_err("acpi: RSDP at %#llx invalid\n", (unsigned long long)rsdp_phys);
		return 0;
	}
	if (r[15] >= 2) {
		const u8 *x = acpi_map(rsdp_phys, 36);

		if (x && get32(x + 20) >= 36 && !checksum(x, 36) && get64(x + 24)) {
			*entry_size = 8;
			return get64(x + 24);
		}
		pr_err("acpi: RSDP extended part invalid, using the RSDT\n");
	}
	*entry_size = 4;
	return get32(r + 16);
}

static void parse_table(const u8 *t)
{
	if (!memcmp(t, "APIC", 4))
		parse_madt(t);
	else if (!memcmp(t, "MCFG", 4))
		parse_mcfg(t);
	else if (!memcmp(t, "FACP", 4))
		parse_fadt(t);
}

static void parse_root(phys_addr_t root_phys, unsigned int esz)
{
	const u8 *root = acpi_map_table(root_phys, esz == 8 ? "XSDT" : "RSDT");
	const u8 *slit = NULL, *srat = NULL;
	u32 n;

	if (!root)
		return;
	n = (get32(root + 4) - ACPI_HDR_LEN) / esz;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = root + ACPI_HDR_LEN + i * esz;
		phys_addr_t phys = esz == 8 ? get64(e) : get32(e);
		const u8 *t = acpi_map_table(phys, "table");

		if (!t)
			continue;
		pr_info("acpi: %.4s at %#llx (%u bytes)\n", (const char *)t,
			(unsigned long long)phys, get32(t + 4));
		if (!memcmp(t, "SLIT", 4))
			slit = t;	/* after the SRAT: it needs the node ids */
		else if (!memcmp(t, "SRAT", 4))
			srat = t;	/* after the MADT: it needs the CPUs */
		else
			parse_table(t);
	}
	if (srat)
		parse_srat(srat);
	if (slit)
		parse_slit(slit);
}

static void default_topology(void)
{
	for (unsigned int a = 0; a < MAX_NUMNODES; a++)
		for (unsigned int b = 0; b < MAX_NUMNODES; b++)
			platform.node_distance[a][b] = a == b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
	platform.nr_nodes = 1;
}

static void single_node_memory(void)
{
	for (u32 i = 0; i < boot_info.nr_mem; i++)
		if (boot_info.mem[i].type == BOOT_MEM_USABLE)
			platform.node_present_bytes[0] += boot_info.mem[i].length;
}

static void log_topology(void)
{
	for (unsigned int n = 0; n < platform.nr_nodes; n++) {
		char cpus[160], dist[64];
		int c = 0, d = 0;

		cpus[0] = dist[0] = '\0';
		for (unsigned int i = 0; i < platform.nr_cpus; i++)
			if (platform.cpu_node[i] == (int)n)
				c += scnprintf(cpus + c, sizeof(cpus) - c, " %u(apic %u)", i,
					       platform.cpu_hwid[i]);
		for (unsigned int m = 0; m < platform.nr_nodes; m++)
			d += scnprintf(dist + d, sizeof(dist) - d, " %u",
				       platform.node_distance[n][m]);
		pr_info("acpi: node %u: %llu MiB, distances%s, cpus%s\n", n,
			(unsigned long long)(platform.node_present_bytes[n] >> 20), dist,
			c ? cpus : " none");
	}
}

void acpi_init(u64 rsdp_phys)
{
	unsigned int esz = 0;
	phys_addr_t root;

	default_topology();
	if (!rsdp_phys)
		rsdp_phys = rsdp_scan();
	root = rsdp_phys ? rsdp_root(rsdp_phys, &esz) : 0;
	if (root)
		parse_root(root, esz);
	else
		pr_err("acpi: no RSDP: one CPU, one node, no power-off registers\n");
	if (!platform.nr_cpus)
		pr_err("acpi: no usable MADT: one CPU\n");
	order_boot_cpu_first();
	if (!have_srat)
		single_node_memory();
	pr_info("acpi: %u CPUs, %u nodes, %u IOAPICs, LAPIC at %#llx, S5 %s, reset %s\n",
		platform.nr_cpus, platform.nr_nodes, acpi_info.nr_ioapics,
		(unsigned long long)acpi_info.lapic_phys,
		acpi_info.s5_valid ? "yes" : "no", acpi_info.reset_valid ? "yes" : "no");
	log_topology();
}

int acpi_phys_to_node(phys_addr_t addr, phys_addr_t *end)
{
	phys_addr_t next = ~0ULL;

	for (unsigned int i = 0; i < nr_srat_mem; i++) {
		if (addr >= srat_mem[i].start && addr < srat_mem[i].end) {
			*end = srat_mem[i].end;
			return srat_mem[i].nid;
		}
		if (srat_mem[i].start > addr && srat_mem[i].start < next)
			next = srat_mem[i].start;
	}
	*end = next;
	return 0;
}
