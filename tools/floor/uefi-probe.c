/*
 * tools/floor/uefi-probe.c - a tiny 64-bit kernel that checks what the UEFI
 * loader hands over (asm/boot_info.h), for testing the loader before and
 * independently of the real kernel.
 *
 * Layer: tools (test payload). Loaded by BOOTX64.EFI as \kernel.elf
 * (build/x86_64/probe-esp.img). Prints the boot_info on COM1 and exits
 * through isa-debug-exit: status 0 (QEMU exit 1) if every check passed,
 * 1 (QEMU exit 3) otherwise. Checks:
 *   magic, loader "uefi", NUL-terminated cmdline, 1..256 entries,
 *   entries sorted, non-overlapping, merged (no same-type neighbours),
 *   boot_info itself inside a BOOTDATA entry below 4 GiB,
 *   this kernel's code inside a BOOTDATA entry, some usable RAM,
 *   interrupts off at entry.
 */
#include <quire/types.h>
#include <asm/boot_info.h>

u8 probe_stack[16384] __attribute__((aligned(16), used));
static int failures;

void probe_main(struct boot_info *bi, u64 rflags);

__asm__(".section .text.entry, \"ax\"\n"
	".globl probe_entry\n"
	"probe_entry:\n"
	"	pushfq\n"
	"	popq %rsi\n"
	"	leaq probe_stack+16384(%rip), %rsp\n"
	"	call probe_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".previous\n");

static void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void puts(const char *s)
{
	while (*s)
		outb(0x3f8, (u8)*s++);
}

static void puthex(u64 v)
{
	char buf[19];
	int i;

	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = 0;
	puts(buf);
}

static void check(bool ok, const char *what)
{
	if (ok)
		return;
	failures++;
	puts("probe: FAIL ");
	puts(what);
	puts("\n");
}

static const struct boot_mem_entry *find_entry(const struct boot_info *bi,
					       u64 addr)
{
	u32 i;

	for (i = 0; i < bi->nr_mem && i < BOOT_INFO_MAX_MEM; i++)
		if (addr >= bi->mem[i].base &&
		    addr - bi->mem[i].base < bi->mem[i].length)
			return &bi->mem[i];
	return NULL;
}

static void check_map(const struct boot_info *bi)
{
	const struct boot_mem_entry *e, *p;
	u64 usable = 0;
	u32 i;

	check(bi->nr_mem >= 1 && bi->nr_mem <= BOOT_INFO_MAX_MEM, "nr_mem");
	for (i = 0; i < bi->nr_mem && i < BOOT_INFO_MAX_MEM; i++) {
		e = &bi->mem[i];
		puts("  ");
		puthex(e->base);
		puts(" ");
		puthex(e->length);
		puts(" type ");
		outb(0x3f8, (u8)('0' + (e->type % 10)));
		puts("\n");
		check(e->type >= BOOT_MEM_USABLE && e->type <= BOOT_MEM_BOOTDATA,
		      "entry type");
		check(e->length > 0, "entry length");
		if (e->type == BOOT_MEM_USABLE)
			usable += e->length;
		if (!i)
			continue;
		p = &bi->mem[i - 1];
		check(p->base + p->length <= e->base, "sorted, no overlap");
		check(p->type != e->type || p->base + p->length != e->base,
		      "same-type neighbours merged");
	}
	check(usable >= (16ULL << 20), "at least 16 MiB usable");
	e = find_entry(bi, (u64)(uintptr_t)bi);
	check(e && e->type == BOOT_MEM_BOOTDATA, "boot_info in a BOOTDATA entry");
	check((u64)(uintptr_t)bi + sizeof(*bi) <= (1ULL << 32),
	      "boot_info below 4 GiB");
	e = find_entry(bi, (u64)(uintptr_t)&probe_main);
	check(e && e->type == BOOT_MEM_BOOTDATA, "kernel image in a BOOTDATA entry");
}

static bool cmdline_terminated(const struct boot_info *bi)
{
	u32 i;

	for (i = 0; i < BOOT_INFO_CMDLINE; i++)
		if (!bi->cmdline[i])
			return true;
	return false;
}

void probe_main(struct boot_info *bi, u64 rflags)
{
	puts("\nprobe: boot_info at ");
	puthex((u64)(uintptr_t)bi);
	puts("\n");
	check(!(rflags & (1 << 9)), "interrupts off at entry");
	check(bi->magic == BOOT_INFO_MAGIC, "magic");
	if (bi->magic == BOOT_INFO_MAGIC) {
		check(bi->loader[0] == 'u' && bi->loader[1] == 'e' &&
		      bi->loader[2] == 'f' && bi->loader[3] == 'i' &&
		      !bi->loader[4], "loader is \"uefi\"");
		check(cmdline_terminated(bi), "cmdline NUL terminated");
		check(bi->rsdp_phys != 0, "rsdp found");
		puts("probe: rsdp ");
		puthex(bi->rsdp_phys);
		puts(" cmdline \"");
		if (cmdline_terminated(bi))
			puts(bi->cmdline);
		puts("\"\nprobe: memory map\n");
		check_map(bi);
	}
	puts(failures ? "probe: FAILED\n" : "probe: all checks passed\n");
	outb(0xf4, failures ? 1 : 0);
}
