/*
 * arch/x86_64/power.c - leaving the machine: power-off with a status,
 * reboot.
 *
 * Layer: arch/x86_64. Provides: arch_poweroff(), arch_reboot().
 *
 * Power-off first writes the status to QEMU's isa-debug-exit port (0xf4):
 * with the device present QEMU exits with (status << 1) | 1; without it the
 * write goes nowhere and ACPI S5 follows (PM1a/PM1b control, SLP_TYP from
 * \_S5, SLP_EN). Reboot tries the FADT reset register, the keyboard
 * controller, then a triple fault. Context: any, including panic.
 */
#include <quire/printk.h>
#include <arch/power.h>
#include <arch/memory.h>
#include <asm/io.h>
#include <asm/acpi.h>

#define DEBUG_EXIT_PORT	0xf4
#define SLP_EN		(1 << 13)
#define KBC_STATUS	0x64
#define KBC_RESET	0xfe

static void __noreturn halt_forever(void)
{
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

static void acpi_sleep_s5(void)
{
	if (!acpi_info.s5_valid || !acpi_info.pm1a_cnt_port)
		return;
	outw(acpi_info.pm1a_cnt_port, (acpi_info.s5_slp_typa << 10) | SLP_EN);
	if (acpi_info.pm1b_cnt_port)
		outw(acpi_info.pm1b_cnt_port, (acpi_info.s5_slp_typb << 10) | SLP_EN);
}

void arch_poweroff(int status)
{
	__asm__ __volatile__("cli");
	outl(DEBUG_EXIT_PORT, (u32)status & 0x7f);
	acpi_sleep_s5();
	printk(KERN_EMERG "power: power-off failed, halting\n");
	halt_forever();
}

static void acpi_reset(void)
{
	const struct acpi_gas *r = &acpi_info.reset_reg;

	if (!acpi_info.reset_valid)
		return;
	if (r->space_id == ACPI_SPACE_IO) {
		outb(r->address, acpi_info.reset_value);
	} else {
		void *p = arch_ioremap(r->address, 1);

		if (p)
			writeb(acpi_info.reset_value, p);
	}
}

static void kbc_reset(void)
{
	for (int i = 0; i < 100000 && (inb(KBC_STATUS) & 2); i++)
		;
	outb(KBC_STATUS, KBC_RESET);
}

static void triple_fault(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) empty = { 0, 0 };

	__asm__ __volatile__("lidt %0; int3" : : "m"(empty));
}

void arch_reboot(void)
{
	__asm__ __volatile__("cli");
	acpi_reset();
	kbc_reset();
	triple_fault();
	halt_forever();
}
