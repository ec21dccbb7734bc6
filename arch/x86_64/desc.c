/*
 * arch/x86_64/desc.c - GDT and TSS of every CPU.
 *
 * Layer: arch/x86_64. Provides: x86_cpu_tables_init().
 * The tables are static (MAX_CPUS of each), written once per CPU by that
 * CPU before it takes interrupts; no locking.
 */
#include <quire/compiler.h>
#include <quire/platform.h>
#include <quire/string.h>
#include <asm/desc.h>
#include <asm/layout.h>

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct cpu_tables {
	u64 gdt[6];		/* null, code, data, (unused), TSS low, TSS high */
	struct tss tss;
} __aligned(64);

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

static struct cpu_tables cpu_tables[MAX_CPUS];
static u8 ist_stacks[MAX_CPUS][3][IST_STACK_SIZE] __aligned(16);

static void set_tss_descriptor(u64 *gdt, struct tss *tss)
{
	u64 base = (u64)tss, limit = sizeof(*tss) - 1;

	gdt[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ULL << 40) |		/* present, 64-bit TSS (available) */
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[1] = base >> 32;
}

static void load_gdt(struct cpu_tables *t)
{
	struct desc_ptr p = { sizeof(t->gdt) - 1, (u64)t->gdt };

	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\tmovl %2, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		: : "m"(p), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS) : "rax", "memory");
	__asm__ __volatile__("ltr %w0" : : "r"(GDT_TSS));
}

void x86_cpu_tables_init(unsigned int cpu)
{
	struct cpu_tables *t = &cpu_tables[cpu];

	memset(t, 0, sizeof(*t));
	t->gdt[1] = 0x00af9a000000ffffULL;	/* 64-bit kernel code */
	t->gdt[2] = 0x00cf92000000ffffULL;	/* kernel data */
	for (int i = 0; i < 3; i++)
		t->tss.ist[i] = (u64)&ist_stacks[cpu][i][IST_STACK_SIZE];
	t->tss.iomap_base = sizeof(struct tss);	/* no I/O bitmap */
	set_tss_descriptor(&t->gdt[4], &t->tss);
	load_gdt(t);
	x86_load_idt();
}
