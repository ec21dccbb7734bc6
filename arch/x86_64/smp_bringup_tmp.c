/*
 * arch/x86_64/smp_bringup_tmp.c - TEMPORARY: start every CPU from a late
 * initcall until kernel/smp.c (smp_init) is merged. Delete then.
 */
#include <quire/init.h>
#include <quire/printk.h>
#include <quire/platform.h>
#include <arch/cpu.h>

#define TMP_STACK_SIZE	(16 * 1024)

static u8 tmp_stacks[MAX_CPUS][TMP_STACK_SIZE] __aligned(16);

static int tmp_smp_bringup(void)
{
	for (unsigned int cpu = 1; cpu < platform.nr_cpus; cpu++) {
		int err = arch_boot_secondary(cpu, tmp_stacks[cpu], TMP_STACK_SIZE);

		if (err)
			pr_err("smp: CPU %u failed to start: %d\n", cpu, err);
	}
	return 0;
}
late_initcall(tmp_smp_bringup);
