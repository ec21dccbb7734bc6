/*
 * arch/x86_64/include/asm/setup.h - boot steps shared inside arch/x86_64
 * (boot/pvh.c, setup.c, paging.c, acpi.c). Not for other layers.
 */
#ifndef ASM_SETUP_H
#define ASM_SETUP_H

#include <quire/types.h>
#include <asm/boot_info.h>

/* The one boot_info of this boot, copied into the kernel image (setup.c). */
extern struct boot_info boot_info;

/* Fill @bi from the PVH hvm_start_info at physical @start_info (identity
 * mapped). 0 or -EINVAL when it is not a valid start_info. */
int pvh_build_boot_info(struct boot_info *bi, u64 start_info);

/* First C code on the boot CPU (called from boot/head.S). */
void x86_64_start(u64 info_phys, int from) __attribute__((noreturn));

/* Page tables (paging.c). */
void paging_init(const struct boot_info *bi);
bool kernel_addr_mapped(unsigned long va);
phys_addr_t kernel_image_start_phys(void);
phys_addr_t kernel_image_end_phys(void);

/* ACPI (acpi.c): fill platform from the tables. */
void acpi_init(u64 rsdp_phys);

/* Free RAM (memory.c): platform.mem from boot_info minus reservations. */
void memory_reserve(phys_addr_t start, phys_addr_t end, const char *why);
void memory_init(const struct boot_info *bi);

/* CPU tables (desc.c) and interrupts (idt.c). */
void idt_init(void);

/* Seeded scheduling points: read sched_points= (sched_point.c; does
 * nothing unless built with CONFIG_SCHED_POINTS, make kernel-sp). */
void x86_sched_points_init(void);

#endif
