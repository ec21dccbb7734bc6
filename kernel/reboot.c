/*
 * kernel/reboot.c - leaving the machine with nothing lost (Linux's
 * kernel_power_off() and kernel_restart(), kernel/reboot.c).
 *
 * Layer: kernel. Used by: the shell's poweroff and reboot, the end of the
 * exec= commands (kernel/main.c), the end of the host's stdin (which runs
 * poweroff).
 * Provides: kernel_power_off(), kernel_restart().
 *
 * Quire is its own init: where a Linux system's init runs `sync` and
 * unmounts before the reboot() call, these sync every file system first
 * (ksys_sync(): dirty pages, then each ->sync_fs, so qlfs writes a
 * checkpoint), then hand over to the arch. A panic does not come here
 * (nothing is trusted then), as in Linux.
 */
#include <quire/kernel.h>
#include <quire/fs.h>
#include <quire/printk.h>
#include <arch/power.h>

void kernel_power_off(int status)
{
	ksys_sync();
	arch_poweroff(status);
}

void kernel_restart(void)
{
	ksys_sync();
	arch_reboot();
}
