/*
 * include/quire/kernel.h - the kernel's entry points and exit statuses.
 */
#ifndef QUIRE_KERNEL_H
#define QUIRE_KERNEL_H

#include <quire/compiler.h>

/* Exit statuses a scripted run reports to the host (launcher and tests). */
#define EXIT_OK			0	/* every command succeeded */
#define EXIT_COMMAND_FAILED	1	/* a command of exec= failed */
#define PANIC_EXIT_STATUS	100	/* the kernel panicked */

/* The portable kernel's entry, called once by the arch on the boot CPU
 * after it has filled `platform` (include/quire/platform.h) with
 * interrupts disabled. Never returns. */
void start_kernel(void) __noreturn;

/* Value of "key=value" on the kernel command line, or NULL. exec= takes the
 * rest of the line. Copies at most @size-1 characters. */
const char *cmdline_get(const char *key, char *buf, size_t size);
bool cmdline_has(const char *flag);

/* Sync every file system, then power off with @status / restart
 * (kernel/reboot.c). Context: process. */
void kernel_power_off(int status) __noreturn;
void kernel_restart(void) __noreturn;

#endif
