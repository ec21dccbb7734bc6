/*
 * include/arch/power.h - leaving the machine.
 */
#ifndef ARCH_POWER_H
#define ARCH_POWER_H

#include <quire/compiler.h>

/* Power off. When the machine has a test exit device (QEMU isa-debug-exit)
 * @status (0..127) is reported to the host; otherwise ACPI S5 (status lost).
 * Host: exit(@status). */
void arch_poweroff(int status) __noreturn;
void arch_reboot(void) __noreturn;

/* Stop every other CPU (panic). */
void arch_stop_other_cpus(void);

#endif
