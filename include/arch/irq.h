/*
 * include/arch/irq.h - local interrupt masking and device interrupt vectors.
 */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <quire/compiler.h>

/* Disable interrupts on this CPU, returning the previous state. */
unsigned long arch_local_irq_save(void);
/* Restore a state returned by arch_local_irq_save(). */
void arch_local_irq_restore(unsigned long flags);
void arch_local_irq_enable(void);
void arch_local_irq_disable(void);
bool arch_irqs_disabled(void);

typedef void (*irq_handler_t)(void *data);

/* Allocate an interrupt vector delivered to CPU @cpu that calls
 * @handler(@data) in hard-interrupt context, and fill the MSI message a
 * device writes to raise it. Returns a handle >= 0 or -ENOSPC.
 * Context: process. */
int arch_msi_alloc(unsigned int cpu, irq_handler_t handler, void *data,
		   u64 *msi_addr, u32 *msi_data);
/* Release MSI @handle, as Linux's free_irq(): unhook its handler, then
 * wait for the CPUs running it (synchronize_irq()). On return the handler
 * runs no more with this @data, so the caller may free it. Mask the
 * device's vector first: a late message is dropped, or runs the next
 * owner's handler once the handle is reused. Context: process; never
 * from @handle's own handler. */
void arch_msi_free(int handle);
/* Wait for the handlers of MSI @handle that are running now, on any CPU,
 * to return (Linux's synchronize_irq()); a handler that starts later is
 * not waited for. No-op for a handle not in use. If you hold a resource
 * the handler needs, you deadlock. Context: any but @handle's handler;
 * spins. */
void synchronize_irq(int handle);

/* --- Implemented by the kernel, called by the arch around every
 * interrupt handler (kernel/irq.c) --- */
void irq_enter(void);
void irq_exit(void);
/* Called by the arch on the way out of an interrupt that arrived with
 * interrupts enabled: switches task if the scheduler asked for it. */
void preempt_schedule_irq(void);

#endif
