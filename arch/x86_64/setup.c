/*
 * arch/x86_64/setup.c - from the boot path to start_kernel().
 *
 * Layer: arch/x86_64. Provides: x86_64_start() (called by boot/head.S on
 * the boot CPU, on the early page tables, interrupts off), boot_info.
 *
 * Order: %gs (per-CPU data) -> console -> GDT/TSS/IDT -> boot_info (PVH
 * start_info, or the UEFI loader's copy) -> command line (fw_cfg fallback)
 * -> kernel page tables (identity map dropped) -> ACPI -> TSC calibration
 * -> free memory ranges -> start_kernel().
 * After this file nothing knows which boot path ran.
 */
#include <quire/kernel.h>
#include <quire/platform.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <asm/setup.h>
#include <asm/layout.h>
#include <asm/serial.h>
#include <asm/desc.h>
#include <asm/percpu.h>
#include <asm/time.h>

#define FW_CFG_CMDLINE	"opt/quire/cmdline"

struct boot_info boot_info;

/* arch/x86_64/fw_cfg.c (UEFI work) provides the real one; this fallback
 * keeps direct boot linking until it is there. */
int fw_cfg_read_file(const char *name, void *buf, u32 size);
__weak int fw_cfg_read_file(const char *name, void *buf, u32 size)
{
	return -ENOENT;
}

/* Copy the loader's boot_info (identity mapped, below 4 GiB) into the
 * kernel, so that nothing depends on the loader's memory afterwards. */
static int uefi_copy_boot_info(struct boot_info *bi, u64 phys)
{
	const struct boot_info *src = (const void *)(uintptr_t)phys;

	if (!phys || phys >= (1ULL << 32) || src->magic != BOOT_INFO_MAGIC)
		return -EINVAL;
	memcpy(bi, src, sizeof(*bi));
	if (bi->nr_mem > BOOT_INFO_MAX_MEM)
		bi->nr_mem = BOOT_INFO_MAX_MEM;
	bi->cmdline[BOOT_INFO_CMDLINE - 1] = '\0';
	bi->loader[sizeof(bi->loader) - 1] = '\0';
	return 0;
}

static void setup_cmdline(struct boot_info *bi)
{
	int n;

	if (bi->cmdline[0])
		goto out;
	n = fw_cfg_read_file(FW_CFG_CMDLINE, bi->cmdline, BOOT_INFO_CMDLINE - 1);
	if (n > 0) {
		bi->cmdline[min(n, BOOT_INFO_CMDLINE - 1)] = '\0';
		pr_info("boot: command line from fw_cfg %s\n", FW_CFG_CMDLINE);
	} else {
		bi->cmdline[0] = '\0';
	}
out:
	/* Trailing newlines from a file-based command line are noise. */
	n = strlen(bi->cmdline);
	while (n && (bi->cmdline[n - 1] == '\n' || bi->cmdline[n - 1] == ' '))
		bi->cmdline[--n] = '\0';
	strscpy_len(platform.cmdline, bi->cmdline, sizeof(platform.cmdline));
}

static void log_memory_map(const struct boot_info *bi)
{
	static const char *const names[] = {
		"?", "usable", "reserved", "ACPI", "ACPI NVS", "bad", "boot data",
	};

	for (u32 i = 0; i < bi->nr_mem; i++) {
		u32 t = bi->mem[i].type < ARRAY_SIZE(names) ? bi->mem[i].type : 0;

		pr_info("boot: mem [%#014llx-%#014llx] %s\n",
			(unsigned long long)bi->mem[i].base,
			(unsigned long long)(bi->mem[i].base + bi->mem[i].length - 1),
			names[t]);
	}
}

void x86_64_start(u64 info_phys, int from)
{
	int err;

	x86_percpu_init_boot_cpu();	/* %gs first: locks ask for the CPU id */
	serial_init();
	x86_cpu_tables_init(0);		/* from here on a fault gets a report */
	idt_init();
	if (from == BOOT_FROM_PVH)
		err = pvh_build_boot_info(&boot_info, info_phys);
	else
		err = uefi_copy_boot_info(&boot_info, info_phys);
	if (err)
		panic("boot: no valid boot information at %#llx (entry %s)",
		      (unsigned long long)info_phys,
		      from == BOOT_FROM_PVH ? "pvh" : "uefi");
	pr_info("boot: loader %s, %u memory map entries\n", boot_info.loader,
		boot_info.nr_mem);
	setup_cmdline(&boot_info);
	log_memory_map(&boot_info);
	paging_init(&boot_info);
	acpi_init(boot_info.rsdp_phys);
	x86_percpu_init_boot_cpu();	/* again, now that its APIC id is known */
	x86_time_init();		/* needs the FADT's PM timer */
	memory_init(&boot_info);
	start_kernel();
}
