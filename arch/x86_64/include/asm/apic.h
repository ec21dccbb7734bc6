/*
 * arch/x86_64/include/asm/apic.h - local APIC, I/O APIC, and the vectors
 * the platform code owns.
 *
 * Layer: arch/x86_64. Implemented by apic.c (local APIC, xAPIC MMIO),
 * ioapic.c (I/O APICs from the MADT, ISA overrides, legacy PIC masking)
 * and irq.c (handlers behind a vector: irq_enter, EOI, irq_exit,
 * preemption on the way out).
 */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <quire/compiler.h>
#include <arch/irq.h>

/* Local APIC registers (byte offsets in the xAPIC MMIO page). */
#define APIC_ID			0x020
#define APIC_LVR		0x030
#define APIC_TPR		0x080
#define APIC_EOI		0x0B0
#define APIC_SVR		0x0F0
#define APIC_IRR		0x200 /* 8 registers, 0x10 apart: bit v % 32 of v / 32 */
#define APIC_ESR		0x280
#define APIC_ICR_LOW		0x300
#define APIC_ICR_HIGH		0x310
#define APIC_LVT_TIMER		0x320
#define APIC_LVT_LINT0		0x350
#define APIC_LVT_LINT1		0x360
#define APIC_LVT_ERROR		0x370
#define APIC_TMICT		0x380	/* timer initial count */
#define APIC_TMCCT		0x390	/* timer current count */
#define APIC_TDCR		0x3E0	/* timer divide configuration */

#define APIC_SVR_ENABLE		BIT(8)
#define APIC_LVT_MASKED		BIT(16)
#define APIC_LVT_PERIODIC	BIT(17)
#define APIC_TDCR_DIV16		0x3

/* ICR low word. */
#define APIC_DM_FIXED		0x000
#define APIC_DM_NMI		0x400
#define APIC_DM_INIT		0x500
#define APIC_DM_STARTUP		0x600
#define APIC_ICR_BUSY		BIT(12)
#define APIC_ICR_ASSERT		BIT(14)
#define APIC_ICR_LEVEL		BIT(15)
#define APIC_DEST_ALLBUT	(3U << 18)

#define APIC_SPURIOUS_VECTOR	0xFF
#define MSR_IA32_APIC_BASE	0x1B

/* --- apic.c --- */
int apic_init_bsp(void);		/* map and enable on the boot CPU */
void apic_setup_this_cpu(void);	/* enable the calling CPU's APIC */
bool apic_ready(void);
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 val);
void apic_eoi(void);
u32 apic_this_id(void);
/* Send an interrupt command to @apic_id (ignored with a shorthand). */
void apic_send_icr(u32 apic_id, u32 icr_low);
/* Count LAPIC timer ticks (divide 16) per second; needs x86_time_init(). */
void apic_timer_calibrate(void);
u64 apic_timer_hz(void);
void apic_timer_periodic(unsigned int vector, unsigned int hz);

/* --- ioapic.c --- */
void pic_mask_all(void);
int ioapic_init(void);
/* Route legacy ISA IRQ @irq (after MADT overrides) to @vector on the CPU
 * with local APIC id @apic_id, and unmask it. */
int ioapic_route_isa_irq(unsigned int irq, unsigned int vector, u32 apic_id);
int ioapic_mask_isa_irq(unsigned int irq);

/* --- msi.c --- */
int x86_msi_init(void);
unsigned int x86_msi_capacity(void);

/* --- irq.c --- */
/* Allocate a vector whose interrupts call @handler(@data) with
 * irq_enter/irq_exit around it and an EOI after it. Returns the vector or
 * -ENOSPC. Context: process (boot). */
int x86_request_vector(irq_handler_t handler, void *data);
/* Same for a vector chosen by the caller; -EBUSY, with the vector's
 * owner untouched, when it is taken. */
int x86_request_fixed_vector(unsigned int vector, irq_handler_t handler,
			     void *data);
/* Register the spurious vector (no EOI). */
int x86_irq_init(void);
/* Change the handler and data of a vector from x86_request_vector() (MSI
 * reuse), as one pair: an interrupt runs the old pair or the new one.
 * Does not wait for the old one: see x86_synchronize_vector(). */
void x86_set_vector_handler(unsigned int vector, irq_handler_t handler,
			    void *data);
/* Wait until no CPU runs a handler of @vector that it took before this
 * call (irq.c IRQ2; Linux's synchronize_irq()). Context: any but that
 * vector's handler; the caller must not hold what the handler takes. */
void x86_synchronize_vector(unsigned int vector);
/* The handler @vector's interrupts run now (NULL: none). */
irq_handler_t x86_vector_handler(unsigned int vector);
/* Tests only: called by every requested vector's entry, with interrupts
 * off, between taking the vector's handler and data and running them. */
extern void (*x86_vector_entry_hook)(unsigned int vector);

#endif
