/*
 * arch/x86_64/include/asm/boot_info.h - what either boot path hands the
 * kernel. Built by arch/x86_64/boot/pvh.c (direct boot) or by the UEFI
 * loader (arch/x86_64/boot/efi/), consumed by arch/x86_64/setup.c. Nothing
 * after setup.c knows which path ran.
 *
 * UEFI handoff contract: the loader copies each PT_LOAD segment of the
 * kernel ELF to its p_paddr, puts struct boot_info in memory below 4 GiB
 * that is not in a usable range of mem[] (it marks it BOOT_MEM_BOOTDATA),
 * exits boot services and jumps to the ELF's e_entry (a physical address,
 * 64-bit code) with RDI = physical address of the boot_info, interrupts
 * off, on the firmware's identity-mapped page tables (4-level paging; the
 * kernel cannot leave 5-level paging). The boot_info must not overlap the
 * kernel's memory image up to the end of .bss (p_memsz): the kernel clears
 * its .bss itself and copies the boot_info before anything else, so the
 * loader's memory (the BOOTDATA range included) is never read afterwards.
 */
#ifndef ASM_BOOT_INFO_H
#define ASM_BOOT_INFO_H

#include <quire/types.h>

#define BOOT_INFO_MAGIC		0x49425f4552495551ULL	/* "QUIRE_BI" */
#define BOOT_INFO_MAX_MEM	256
#define BOOT_INFO_CMDLINE	4096

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,	/* free RAM */
	BOOT_MEM_RESERVED = 2,	/* do not touch */
	BOOT_MEM_ACPI = 3,	/* ACPI tables: keep until parsed */
	BOOT_MEM_NVS = 4,	/* ACPI NVS */
	BOOT_MEM_BAD = 5,
	BOOT_MEM_BOOTDATA = 6,	/* RAM to keep: this struct; under UEFI also
				 * the kernel image (so it is direct-mapped) */
};

struct boot_mem_entry {
	u64 base;		/* physical byte address */
	u64 length;		/* bytes */
	u32 type;		/* enum boot_mem_type */
	u32 reserved;
};

struct boot_info {
	u64 magic;				/* BOOT_INFO_MAGIC */
	u64 rsdp_phys;				/* ACPI RSDP, 0 if unknown */
	u32 nr_mem;				/* entries used in mem[] */
	u32 reserved;
	struct boot_mem_entry mem[BOOT_INFO_MAX_MEM];
	char cmdline[BOOT_INFO_CMDLINE];	/* NUL terminated */
	char loader[32];			/* "pvh" or "uefi", for the log only */
};

#endif
