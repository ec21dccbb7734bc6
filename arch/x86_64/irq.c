/*
 * arch/x86_64/irq.c - local interrupt masking and the common path of every
 * platform interrupt vector.
 *
 * Layer: arch/x86_64. Provides: arch_local_irq_*(), arch_irqs_disabled(),
 * x86_request_vector() and friends.
 *
 * The boot code's IDT (asm/idt.h) calls a registered handler with the
 * saved registers. Every vector requested here goes through
 * x86_vector_entry(): irq_enter(); handler(data); EOI to the local APIC;
 * irq_exit(); and, when the interrupted code had interrupts enabled,
 * preempt_schedule_irq() - after the EOI, so a task switch there never
 * holds up other interrupts.
 *
 * Locking: vector_actions[] entries are written at init (or by MSI
 * alloc/free under msi_lock) with a release store of the handler and read
 * once per interrupt.
 */
#include <quire/errno.h>
#include <quire/printk.h>
#include <arch/irq.h>
#include <asm/idt.h>
#include <asm/apic.h>

#define X86_EFLAGS_IF	BIT(9)

struct vector_action {
	irq_handler_t handler;	/* NULL: free or being freed: just EOI */
	void *data;
};

static struct vector_action vector_actions[256];

unsigned long arch_local_irq_save(void)
{
	unsigned long flags;

	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

void arch_local_irq_restore(unsigned long flags)
{
	if (flags & X86_EFLAGS_IF)
		__asm__ __volatile__("sti" : : : "memory");
}

void arch_local_irq_enable(void)
{
	__asm__ __volatile__("sti" : : : "memory");
}

void arch_local_irq_disable(void)
{
	__asm__ __volatile__("cli" : : : "memory");
}

bool arch_irqs_disabled(void)
{
	unsigned long flags;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags) : : "memory");
	return !(flags & X86_EFLAGS_IF);
}

static void x86_vector_entry(struct pt_regs *regs, void *data)
{
	struct vector_action *a = data;
	irq_handler_t handler = __atomic_load_n(&a->handler, __ATOMIC_ACQUIRE);

	irq_enter();
	if (handler)
		handler(a->data);
	apic_eoi();
	irq_exit();
	if (regs->rflags & X86_EFLAGS_IF)
		preempt_schedule_irq();
}

void x86_set_vector_handler(unsigned int vector, irq_handler_t handler,
			    void *data)
{
	struct vector_action *a = &vector_actions[vector & 0xFF];

	__atomic_store_n(&a->handler, NULL, __ATOMIC_RELEASE);
	a->data = data;
	__atomic_store_n(&a->handler, handler, __ATOMIC_RELEASE);
}

int x86_request_fixed_vector(unsigned int vector, irq_handler_t handler,
			     void *data)
{
	int err;

	if (vector < 32 || vector > 255)
		return -EINVAL;
	x86_set_vector_handler(vector, handler, data);
	err = x86_register_vector(vector, x86_vector_entry,
				  &vector_actions[vector]);
	return err < 0 ? err : (int)vector;
}

int x86_request_vector(irq_handler_t handler, void *data)
{
	int vector = x86_alloc_vector();

	if (vector < 0)
		return -ENOSPC;
	return x86_request_fixed_vector((unsigned int)vector, handler, data);
}
