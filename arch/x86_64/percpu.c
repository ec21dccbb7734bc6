/*
 * arch/x86_64/percpu.c - per-CPU arch data and the CPU id.
 *
 * Layer: arch/x86_64. Provides: x86_percpu[], x86_percpu_init(),
 * arch_smp_processor_id(), arch_cpu_idle().
 * See asm/percpu.h for the %gs layout. Locking: none (per-CPU data).
 */
#include <arch/cpu.h>
#include <asm/processor.h>
#include <asm/percpu.h>

_Static_assert(offsetof(struct x86_percpu, self) == 0, "gs:0 is self");
_Static_assert(offsetof(struct x86_percpu, cpu) == X86_PERCPU_CPU_OFFSET,
	       "gs:8 is the cpu id");

struct x86_percpu x86_percpu[MAX_CPUS];

void x86_percpu_init(unsigned int cpu)
{
	struct x86_percpu *p = &x86_percpu[cpu];

	p->self = p;
	p->cpu = cpu;
	p->apic_id = platform.cpu_hwid[cpu];
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void x86_percpu_init_boot_cpu(void)
{
	x86_percpu_init(0);
}

unsigned int arch_smp_processor_id(void)
{
	unsigned int cpu;

	__asm__ __volatile__("movl %%gs:" STRINGIFY(X86_PERCPU_CPU_OFFSET) ", %0"
			     : "=r"(cpu));
	return cpu;
}

/* sti's one-instruction shadow covers the hlt: an interrupt pending at
 * the sti is taken after hlt starts waiting, so no wake-up is lost. */
void arch_cpu_idle(void)
{
	__asm__ __volatile__("sti; hlt; cli" : : : "memory");
}
