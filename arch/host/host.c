/*
 * arch/host/host.c - minimal arch/host: the core as one Linux process with
 * one CPU and one NUMA node. (Scaffolding; the full port with threads,
 * interrupts, fake NUMA and the deterministic mode replaces it.)
 *
 * Usage: quire-host [--exec "cmd; cmd"]   (default: interactive shell)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <execinfo.h>
#include <dlfcn.h>

#include <quire/kernel.h>
#include <quire/platform.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/console.h>
#include <arch/time.h>
#include <arch/power.h>
#include <arch/debug.h>
#include <arch/memory.h>
#include <arch/setup.h>
#include "blockdev.h"

uintptr_t arch_direct_map_base;
static __thread unsigned long irq_disabled;
static u64 boot_ns;

static u64 host_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

u64 arch_clock_ns(void) { return host_now_ns() - boot_ns; }
unsigned int arch_smp_processor_id(void) { return 0; }
void arch_cpu_relax(void) { __builtin_ia32_pause(); }
unsigned long arch_local_irq_save(void) { unsigned long f = irq_disabled; irq_disabled = 1; return f; }
void arch_local_irq_restore(unsigned long f) { irq_disabled = f; }
void arch_local_irq_enable(void) { irq_disabled = 0; }
void arch_local_irq_disable(void) { irq_disabled = 1; }
bool arch_irqs_disabled(void) { return irq_disabled; }
void arch_stop_other_cpus(void) { }
void arch_init_late(void) { }

void arch_cpu_idle(void)
{
	char buf[256];
	ssize_t n = read(0, buf, sizeof(buf));

	if (n <= 0)
		arch_poweroff(0);
	console_receive(buf, n);
}

void arch_console_write(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(1, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

void arch_poweroff(int status)
{
	fflush(stdout);
	exit(status);
}

void arch_reboot(void)
{
	arch_poweroff(0);
}

int arch_stack_trace(unsigned long *pcs, int max, int skip)
{
	void *buf[64];
	int n = backtrace(buf, 64), out = 0;

	for (int i = skip + 1; i < n && out < max; i++)
		pcs[out++] = (unsigned long)buf[i];
	return out;
}

bool arch_lookup_symbol(unsigned long addr, char *name, size_t size,
			unsigned long *offset)
{
	Dl_info info;

	if (!dladdr((void *)addr, &info) || !info.dli_sname)
		return false;
	snprintf(name, size, "%s", info.dli_sname);
	*offset = addr - (unsigned long)info.dli_saddr;
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: quire-host [--exec \"cmd; cmd\"] [--disk FILE|tmp:SIZE[,opt...]]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int pos = 0;

	boot_ns = host_now_ns();
	platform.nr_cpus = 1;
	platform.nr_nodes = 1;
	platform.node_distance[0][0] = LOCAL_DISTANCE;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--exec") && i + 1 < argc) {
			pos += snprintf(platform.cmdline + pos, CMDLINE_SIZE - pos,
					"exec=%s", argv[++i]);
		} else if (!strcmp(argv[i], "--disk") && i + 1 < argc) {
			if (hostdisk_add_option(argv[++i]))
				usage();
		} else {
			usage();
		}
	}
	start_kernel();
}
