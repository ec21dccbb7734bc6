/*
 * arch/host/concurrency_stubs_tmp.c - TEMPORARY weak stand-ins for the arch
 * hooks the scheduler calls, for the 1-CPU arch/host stub. The full
 * arch/host port (N vCPUs, tick, IPIs) defines the real ones, which win
 * over these; delete this file once it is merged.
 */
#include <quire/compiler.h>
#include <quire/errno.h>
#include <arch/cpu.h>
#include <arch/time.h>

__weak void arch_send_ipi(unsigned int cpu, enum ipi_type type)
{
}

__weak void arch_timer_start(unsigned int hz)
{
}

__weak int arch_boot_secondary(unsigned int cpu, void *stack, size_t stack_size)
{
	return -ENODEV;
}
