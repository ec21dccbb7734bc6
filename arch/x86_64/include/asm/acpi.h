/*
 * arch/x86_64/include/asm/acpi.h - what the ACPI tables told the boot code
 * that the platform code (APIC, IOAPIC, timers, power) needs.
 *
 * Filled once by acpi_init() (arch/x86_64/acpi.c) on the boot CPU before
 * start_kernel(); read-only afterwards. CPUs, NUMA nodes, distances and
 * PCI ECAM windows go to `platform` (include/quire/platform.h) instead.
 */
#ifndef ASM_ACPI_H
#define ASM_ACPI_H

#include <quire/types.h>

#define ACPI_MAX_IOAPICS	8
#define ACPI_MAX_OVERRIDES	16

/* MPS INTI flags of an interrupt source override (ACPI 5.2.12.5). */
#define ACPI_POLARITY_MASK	0x3	/* 0 bus default, 1 high, 3 low */
#define ACPI_TRIGGER_MASK	0xc	/* 0 bus default, 4 edge, 0xc level */

struct acpi_ioapic {
	u8 id;
	phys_addr_t phys;		/* MMIO base */
	u32 gsi_base;			/* first global system interrupt */
};

/* ISA IRQ @bus_irq is wired to @gsi with @flags (MPS INTI). */
struct acpi_irq_override {
	u8 bus_irq;
	u32 gsi;
	u16 flags;
};

/* ACPI generic address structure (register location), as in the FADT. */
struct acpi_gas {
	u8 space_id;			/* 0 system memory, 1 system I/O */
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} __attribute__((packed));

#define ACPI_SPACE_MEM	0
#define ACPI_SPACE_IO	1

struct acpi_info {
	phys_addr_t lapic_phys;		/* local APIC MMIO (MADT, or override) */
	bool pcat_compat;		/* dual 8259s present (mask them) */
	unsigned int nr_ioapics;
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
	unsigned int nr_overrides;
	struct acpi_irq_override override[ACPI_MAX_OVERRIDES];
	u16 sci_irq;			/* FADT SCI_INT */
	u32 pm_timer_port;		/* FADT PM_TMR_BLK I/O port, 0 if none */
	bool pm_timer_32bit;		/* FADT TMR_VAL_EXT: 32 bits, else 24 */
	u32 pm1a_cnt_port;		/* PM1a control block I/O port, 0 if none */
	u32 pm1b_cnt_port;		/* PM1b control block, 0 if none */
	bool s5_valid;			/* \_S5 found in the DSDT */
	u8 s5_slp_typa, s5_slp_typb;	/* SLP_TYP values for S5 */
	bool reset_valid;		/* FADT RESET_REG_SUP and a usable reg */
	struct acpi_gas reset_reg;
	u8 reset_value;
};

extern struct acpi_info acpi_info;

/* NUMA node of physical address @addr (SRAT memory affinity; 0 when there
 * is no SRAT or no entry covers it). *@end is lowered to where that answer
 * stops holding. */
int acpi_phys_to_node(phys_addr_t addr, phys_addr_t *end);

#endif
