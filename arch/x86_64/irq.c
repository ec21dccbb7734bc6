/*
 * arch/x86_64/irq.c - the platform's interrupt vectors: a handler table in
 * the shape of the portable irq_handler_t, with the local APIC EOI.
 *
 * Layer: arch/x86_64. Provides: x86_request_vector(),
 * x86_request_fixed_vector(), x86_set_vector_handler(), the spurious
 * vector. (Interrupt masking lives in cpu.c.)
 *
 * The IDT code (idt.c) calls irq_enter(), the registered function,
 * irq_exit() and, if the interrupted code had interrupts on,
 * preempt_schedule_irq(). Every vector requested here registers
 * x86_vector_entry(), which runs handler(data) and then sends the EOI -
 * before idt.c may switch tasks, so a switch never holds up other
 * interrupts.
 *
 * Locking: a vector_actions[] entry is published with a release store of
 * its handler after its data, and read once per interrupt. Changing the
 * handler of a live vector (MSI reuse) goes through NULL first, so an
 * interrupt in between sees "no handler" (EOI only), never a mixed pair.
 */
#include <quire/errno.h>
#include <quire/printk.h>
#include <arch/irq.h>
#include <asm/idt.h>
#include <asm/apic.h>

struct vector_action {
	irq_handler_t handler;	/* NULL: interrupt is acknowledged, dropped */
	void *data;
};

static struct vector_action vector_actions[NR_VECTORS];

static void x86_vector_entry(struct pt_regs *regs, void *data)
{
	struct vector_action *a = data;
	irq_handler_t handler = __atomic_load_n(&a->handler, __ATOMIC_ACQUIRE);

	if (handler)
		handler(a->data);
	apic_eoi();
}

void x86_set_vector_handler(unsigned int vector, irq_handler_t handler,
			    void *data)
{
	struct vector_action *a = &vector_actions[vector % NR_VECTORS];

	__atomic_store_n(&a->handler, NULL, __ATOMIC_RELEASE);
	a->data = data;
	__atomic_store_n(&a->handler, handler, __ATOMIC_RELEASE);
}

int x86_request_fixed_vector(unsigned int vector, irq_handler_t handler,
			     void *data)
{
	int err;

	if (vector < FIRST_EXTERNAL_VECTOR || vector >= NR_VECTORS)
		return -EINVAL;
	x86_set_vector_handler(vector, handler, data);
	err = x86_register_vector(vector, x86_vector_entry,
				  &vector_actions[vector]);
	return err < 0 ? err : (int)vector;
}

int x86_request_vector(irq_handler_t handler, void *data)
{
	int vector = x86_alloc_vector();
	int ret;

	if (vector < 0)
		return -ENOSPC;
	ret = x86_request_fixed_vector((unsigned int)vector, handler, data);
	if (ret < 0)
		x86_free_vector((unsigned int)vector);
	return ret;
}

/* A spurious interrupt (SDM 10.9) must not be acknowledged. */
static void spurious_entry(struct pt_regs *regs, void *data)
{
}

int x86_irq_init(void)
{
	return x86_register_vector(APIC_SPURIOUS_VECTOR, spurious_entry, NULL);
}
