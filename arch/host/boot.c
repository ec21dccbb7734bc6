/*
 * arch/host/boot.c - build the fake machine from host_cfg and start the
 * kernel: what quire-host (arch/host/main.c) and the host tools
 * (arch/host/tools/) share once their options are parsed.
 *
 * Layer: arch/host. Provides: host_boot(), host_cmdline_append(),
 * arch_init_late(), arch_direct_map_base.
 *
 * Fills `platform` from host_cfg (CPUs spread evenly over NUMA nodes,
 * distances 10 local / 20 remote; memory by arch/host/memory.c), sets up
 * the vCPU, interrupt, console and fault machinery, then runs
 * start_kernel() on the main thread, which becomes CPU 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host.h"
#include "host_memory.h"
#include <quire/kernel.h>
#include <arch/console.h>
#include <arch/setup.h>
#include <arch/time.h>
#include <arch/sched_point.h>
#include <quire/jiffies.h>

uintptr_t arch_direct_map_base; /* set by host_memory_init() */

int host_cmdline_append(const char *s)
{
	size_t used = strlen(platform.cmdline);

	if (used + strlen(s) + 2 > CMDLINE_SIZE)
		return -1;
	if (used)
		strcat(platform.cmdline, " ");
	strcat(platform.cmdline, s);
	return 0;
}

static void setup_platform(void)
{
	platform.nr_cpus = host_cfg.cpus;
	platform.nr_nodes = host_cfg.nodes;
	for (unsigned int c = 0; c < host_cfg.cpus; c++) {
		platform.cpu_hwid[c] = c;
		platform.cpu_node[c] = c * host_cfg.nodes / host_cfg.cpus;
	}
	for (unsigned int a = 0; a < host_cfg.nodes; a++)
		for (unsigned int b = 0; b < host_cfg.nodes; b++)
			platform.node_distance[a][b] =
				a == b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
	if (host_memory_init(host_cfg.mem_bytes, host_cfg.nodes)) {
		fprintf(stderr, "quire-host: cannot set up %llu bytes of memory\n",
			(unsigned long long)host_cfg.mem_bytes);
		exit(2);
	}
	host_pci_init();
}

/* Signal mode unless ThreadSanitizer, whose runtime defers signals. */
#if defined(__SANITIZE_THREAD__)
#define HOST_ASYNC_IRQS false
#else
#define HOST_ASYNC_IRQS true
#endif

/* The console's input interrupt and CPU 0's tick (secondaries start
 * theirs in start_secondary()). Context: CPU 0, interrupts disabled. */
void arch_init_late(void)
{
	host_console_init();
	arch_timer_start(HZ);
}

/* For the host suite: a write to a socket whose peer is gone. Returns the
 * write's errno (EPIPE), or 0 if it did not fail. */
int host_write_to_a_closed_socket(void)
{
	int sv[2], err = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return errno;
	close(sv[1]);
	if (write(sv[0], "x", 1) < 0)
		err = errno;
	close(sv[0]);
	return err;
}

void host_boot(const char *exec)
{
	char line[64];

	/* A write to a socket or pipe whose reader is gone fails with EPIPE
	 * instead of killing the process, as QEMU does: libslirp writes to
	 * host sockets whose clients may reset at any time (a connect storm
	 * killed quire-host with SIGPIPE, REVN12). */
	signal(SIGPIPE, SIG_IGN);
	host_cfg.async_irqs = HOST_ASYNC_IRQS && !host_cfg.deterministic;
	if (exec) {
		host_cmdline_append("exec=");
		strcat(platform.cmdline, exec); /* the caller checked the length */
	}
	setup_platform();
	host_time_init();
	host_debug_init();
	if (host_cfg.deterministic) {
		det_init(host_cfg.seed);
		snprintf(line, sizeof(line), "deterministic mode: seed %llu\n",
			 (unsigned long long)host_cfg.seed);
		arch_console_write(line, strlen(line));
	}
	if (host_cfg.sched_points) {
		snprintf(line, sizeof(line), "sched points: 1 in %u, seed %llu\n",
			 host_cfg.sched_points, (unsigned long long)host_cfg.seed);
		arch_console_write(line, strlen(line));
		arch_sched_points_on = 1;
	}
	host_vcpu_init();
	start_kernel();
}
