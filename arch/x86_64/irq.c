/*
 * arch/x86_64/irq.c - the platform's interrupt vectors: a handler table in
 * the shape of the portable irq_handler_t, with the local APIC EOI.
 *
 * Layer: arch/x86_64. Provides: x86_request_vector(),
 * x86_request_fixed_vector(), x86_set_vector_handler(),
 * x86_synchronize_vector(), x86_vector_handler(), the spurious vector.
 * (Interrupt masking lives in cpu.c.)
 *
 * The IDT code (idt.c) calls irq_enter(), the registered function,
 * irq_exit() and, if the interrupted code had interrupts on,
 * preempt_schedule_irq(). Every vector requested here registers
 * x86_vector_entry(), which runs handler(data) and then sends the EOI -
 * before idt.c may switch tasks, so a switch never holds up other
 * interrupts.
 *
 * A vector_action is Linux's irq_desc in small: its lock is desc->lock,
 * in_progress is IRQD_IRQ_INPROGRESS as a count (a vector may run on
 * several CPUs at once: an IPI vector does).
 * Invariants:
 *   IRQ1 an interrupt runs a handler with the data that was set with it:
 *        the entry takes both under the action's lock, never one by one.
 *   IRQ2 in_progress counts the CPUs between taking the action and
 *        returning from its handler; it is raised under the lock, so once
 *        a writer has changed the action and dropped the lock, every CPU
 *        that can still run the old pair is counted, and
 *        x86_synchronize_vector() waits for them (Linux's synchronize_irq()).
 *   IRQ3 a request never touches the action of a vector it does not own:
 *        the vector is reserved in the registry first (-EBUSY otherwise),
 *        then the action is set, then the entry is registered.
 *
 * Locking: vector_actions[v].lock (raw, interrupts off) guards handler,
 * data and the raise of in_progress; the drop is an atomic release.
 * Context of the entry: hard interrupt, interrupts off.
 */
#include <quire/errno.h>
#include <quire/printk.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <asm/idt.h>
#include <asm/apic.h>

struct vector_action {
	int lock;	       /* raw: guards handler, data (IRQ1) */
	irq_handler_t handler; /* NULL: interrupt is acknowledged, dropped */
	void *data;
	unsigned int in_progress; /* CPUs running this action now (IRQ2) */
};

static struct vector_action vector_actions[NR_VECTORS];
void (*x86_vector_entry_hook)(unsigned int vector);

static void action_lock(struct vector_action *a)
{
	while (__atomic_exchange_n(&a->lock, 1, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
}

static void action_unlock(struct vector_action *a)
{
	__atomic_store_n(&a->lock, 0, __ATOMIC_RELEASE);
}

static void x86_vector_entry(struct pt_regs *regs, void *data)
{
	struct vector_action *a = data;
	irq_handler_t handler;
	void *hdata;

	action_lock(a); /* IRQ1: one snapshot of the pair */
	handler = a->handler;
	hdata = a->data;
	if (handler)
		__atomic_fetch_add(&a->in_progress, 1, __ATOMIC_RELAXED);
	action_unlock(a);
	if (x86_vector_entry_hook)
		x86_vector_entry_hook(regs->vector);
	if (handler) {
		handler(hdata);
		__atomic_fetch_sub(&a->in_progress, 1, __ATOMIC_RELEASE); /* IRQ2 */
	}
	apic_eoi();
}

irq_handler_t x86_vector_handler(unsigned int vector)
{
	return __atomic_load_n(&vector_actions[vector % NR_VECTORS].handler,
			       __ATOMIC_ACQUIRE);
}

void x86_set_vector_handler(unsigned int vector, irq_handler_t handler,
			    void *data)
{
	struct vector_action *a = &vector_actions[vector % NR_VECTORS];
	unsigned long flags = arch_local_irq_save();

	action_lock(a);
	__atomic_store_n(&a->handler, handler, __ATOMIC_RELAXED);
	a->data = data;
	action_unlock(a);
	arch_local_irq_restore(flags);
}

void x86_synchronize_vector(unsigned int vector)
{
	struct vector_action *a = &vector_actions[vector % NR_VECTORS];

	while (__atomic_load_n(&a->in_progress, __ATOMIC_ACQUIRE)) /* IRQ2 */
		arch_cpu_relax();
}

/* IRQ3: @vector is reserved for the caller in the registry. */
static int request_reserved_vector(unsigned int vector, irq_handler_t handler, void *data)
{
	int err;

	x86_set_vector_handler(vector, handler, data);
	err = x86_register_vector(vector, x86_vector_entry, &vector_actions[vector]);
	if (err < 0) {
		x86_set_vector_handler(vector, NULL, NULL);
		x86_free_vector(vector);
		return err;
	}
	return (int)vector;
}

int x86_request_fixed_vector(unsigned int vector, irq_handler_t handler,
			     void *data)
{
	int err;

	if (vector < FIRST_EXTERNAL_VECTOR || vector >= NR_VECTORS)
		return -EINVAL;
	err = x86_reserve_vector(vector); /* IRQ3: -EBUSY leaves the owner be */
	if (err)
		return err;
	return request_reserved_vector(vector, handler, data);
}

int x86_request_vector(irq_handler_t handler, void *data)
{
	int vector = x86_alloc_vector();

	if (vector < 0)
		return -ENOSPC;
	return request_reserved_vector((unsigned int)vector, handler, data);
}

/* A spurious interrupt (SDM 10.9) must not be acknowledged. */
static void spurious_entry(struct pt_regs *regs, void *data)
{
}

int x86_irq_init(void)
{
	return x86_register_vector(APIC_SPURIOUS_VECTOR, spurious_entry, NULL);
}
