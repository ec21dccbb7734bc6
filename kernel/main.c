/*
 * kernel/main.c - start_kernel(): bring the portable kernel up.
 *
 * Layer: kernel. Called by: the arch, once, on the boot CPU.
 * Order: log banner -> memory -> scheduler -> arch late setup (interrupts,
 * tick) -> initcalls -> secondary CPUs -> the root disk (prepare_namespace)
 * -> exec= commands or the shell.
 */
#include <quire/kernel.h>
#include <quire/init.h>
#include <quire/printk.h>
#include <quire/platform.h>
#include <quire/shell.h>
#include <quire/mount.h>
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/mm.h>
#include <arch/power.h>
#include <arch/setup.h>
#include <arch/irq.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/workqueue.h>

extern const struct initcall *__start_quire_initcalls[] __weak;
extern const struct initcall *__stop_quire_initcalls[] __weak;

struct platform platform;

void do_initcalls(enum initcall_level level)
{
	const struct initcall **p;

	for (p = __start_quire_initcalls; p < __stop_quire_initcalls; p++) {
		int err;

		if ((*p)->level != level)
			continue;
		err = (*p)->fn();
		if (err)
			pr_err("initcall %s failed: %d (%s)\n", (*p)->name, err,
			       errname(err));
	}
}

static void print_banner(void)
{
	pr_info("Quire starting: %u CPU%s, %u NUMA node%s\n", platform.nr_cpus,
		platform.nr_cpus == 1 ? "" : "s", platform.nr_nodes,
		platform.nr_nodes == 1 ? "" : "s");
	pr_info("Command line: %s\n", platform.cmdline);
}

/* Run the exec= commands, then power off with their status. */
static void __noreturn run_exec(const char *cmds)
{
	int err = shell_run_line(cmds);

	pr_info("exec finished: %s\n", err ? "a command failed" : "all commands succeeded");
	kernel_power_off(err ? EXIT_COMMAND_FAILED : EXIT_OK);
}

void start_kernel(void)
{
	static char exec[CMDLINE_SIZE];

	print_banner();
	mm_init();
	sched_init();
	arch_init_late();
	smp_init();
	arch_local_irq_enable();	/* from here on the boot CPU takes interrupts */
	workqueue_init();
	for (int level = 0; level < NR_INITCALL_LEVELS; level++)
		do_initcalls(level);
	prepare_namespace(); /* the root disk, as Linux's kernel_init_freeable() */
	if (cmdline_get("exec", exec, sizeof(exec)))
		run_exec(exec);
	shell_main();
}
