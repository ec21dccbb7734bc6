/*
 * arch/host/irq.c - MSI vectors of arch/host, and stand-ins for kernel
 * interrupt hooks that the core does not provide yet.
 *
 * Layer: arch/host. Provides: arch_msi_alloc(), arch_msi_free(),
 * synchronize_irq(), host_msi_trigger() (for devices emulated in the host process),
 * host_msi_dispatch().
 *
 * An MSI vector is an interrupt bit (HOST_IRQ_MSI_BASE + handle) on its
 * target vCPU. The "MSI message" is x86-shaped: address 0xfee00000 | cpu<<12,
 * data = handle, so a device model can raise it by writing it back.
 *
 * Invariant MSI1 (as arch/x86_64/msi.c): a slot is handed out only while
 * !in_use, and arch_msi_free() clears in_use only after synchronize_irq()
 * returned. (A free that cleared only the handler let arch_msi_alloc()
 * on another CPU take the slot and write its data while a dispatch that
 * had read the old handler had not yet read the data: the old handler ran
 * with the new owner's data.)
 *
 * Locking: msi_lock (a libc mutex, taken with interrupts masked) guards
 * in_use, the table's allocation state; dispatch reads a slot published with
 * release ordering, counted in in_progress. arch_msi_free() is Linux's
 * free_irq(): it clears the handler and waits in synchronize_irq() for
 * dispatches that may have read the old one, so a handler never runs
 * with the next owner's data and the caller may free its own. As in
 * Linux, freeing a vector is the driver's promise that its device no
 * longer raises it.
 */
#include <quire/errno.h>
#include <quire/printk.h>
#include <arch/time.h>
#include "host.h"

#define MSI_ADDR_BASE	0xfee00000ULL

struct host_msi {
	bool in_use;	       /* allocated; under msi_lock (MSI1) */
	irq_handler_t handler; /* NULL: interrupts are dropped */
	void *data;
	unsigned int cpu;
	unsigned int in_progress; /* vCPUs in host_msi_dispatch() of it */
};

static struct host_msi msi_table[HOST_NR_MSI];
static pthread_mutex_t msi_lock = PTHREAD_MUTEX_INITIALIZER;
void (*host_msi_dispatch_hook)(unsigned int handle);

int arch_msi_alloc(unsigned int cpu, irq_handler_t handler, void *data,
		   u64 *msi_addr, u32 *msi_data)
{
	unsigned long flags;
	int handle = -ENOSPC;

	if (cpu >= platform.nr_cpus || !handler)
		return -EINVAL;
	flags = arch_local_irq_save();
	pthread_mutex_lock(&msi_lock);
	for (int i = 0; i < HOST_NR_MSI; i++) {
		if (msi_table[i].in_use)
			continue;
		msi_table[i].in_use = true;
		__atomic_store_n(&msi_table[i].data, data, __ATOMIC_RELAXED);
		__atomic_store_n(&msi_table[i].cpu, cpu, __ATOMIC_RELAXED);
		__atomic_store_n(&msi_table[i].handler, handler, __ATOMIC_RELEASE);
		handle = i;
		break;
	}
	pthread_mutex_unlock(&msi_lock);
	arch_local_irq_restore(flags);
	if (handle >= 0) {
		*msi_addr = MSI_ADDR_BASE | ((u64)cpu << 12);
		*msi_data = handle;
	}
	return handle;
}

/* Dekker with host_msi_dispatch(): it raises in_progress, then reads the
 * handler; we clear the handler, then read in_progress (both seq_cst), so
 * a dispatch that read the old handler is seen and waited for. */
void synchronize_irq(int handle)
{
	if (handle < 0 || handle >= HOST_NR_MSI)
		return;
	while (__atomic_load_n(&msi_table[handle].in_progress, __ATOMIC_SEQ_CST))
		arch_cpu_relax();
}

void arch_msi_free(int handle)
{
	unsigned long flags;

	if (handle < 0 || handle >= HOST_NR_MSI)
		return;
	__atomic_store_n(&msi_table[handle].handler, NULL, __ATOMIC_SEQ_CST);
	synchronize_irq(handle); /* as free_irq(): the data is the caller's again */
	flags = arch_local_irq_save();
	pthread_mutex_lock(&msi_lock);
	msi_table[handle].in_use = false; /* MSI1: only now may it be reused */
	pthread_mutex_unlock(&msi_lock);
	arch_local_irq_restore(flags);
}

/* Raise MSI @handle on its vCPU. Context: any thread. */
void host_msi_trigger(int handle)
{
	unsigned int cpu;

	if (handle < 0 || handle >= HOST_NR_MSI ||
	    !__atomic_load_n(&msi_table[handle].handler, __ATOMIC_ACQUIRE))
		return;
	cpu = __atomic_load_n(&msi_table[handle].cpu, __ATOMIC_RELAXED);

	host_raise_irq(cpu, HOST_IRQ_MSI_BASE + handle);
	host_take_own_irqs(cpu);
}

/* Context: hard interrupt on the vector's vCPU. */
void host_msi_dispatch(unsigned int handle)
{
	struct host_msi *m = &msi_table[handle];
	irq_handler_t fn;

	__atomic_fetch_add(&m->in_progress, 1, __ATOMIC_SEQ_CST);
	fn = __atomic_load_n(&m->handler, __ATOMIC_SEQ_CST);
	if (fn && host_msi_dispatch_hook)
		host_msi_dispatch_hook(handle);
	if (fn)
		fn(__atomic_load_n(&m->data, __ATOMIC_RELAXED));
	__atomic_fetch_sub(&m->in_progress, 1, __ATOMIC_RELEASE);
}

/*
 * Stand-ins, overridden by the core's real definitions as they land
 * (kernel/irq.c, kernel/sched.c, kernel/time.c, kernel/smp.c). They let
 * the vCPUs, the tick and IPIs run before the scheduler exists.
 */
__weak void irq_enter(void) { }
__weak void irq_exit(void) { }
__weak void preempt_schedule_irq(void) { }
__weak void timer_interrupt(void) { }
__weak void handle_ipi(enum ipi_type type) { }

__weak void start_secondary(unsigned int cpu)
{
	arch_local_irq_disable();
	for (;;)
		arch_cpu_idle();
}
