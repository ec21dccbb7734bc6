/*
 * arch/x86_64/setup_late.c - arch_init_late(): interrupt controllers, the
 * tick on the boot CPU, the serial console's input interrupt.
 *
 * Layer: arch/x86_64. Called once by start_kernel() on the boot CPU with
 * interrupts off, after the page allocator and the scheduler exist.
 * Order: 8259 masked -> local APIC -> I/O APICs -> TSC (if setup did not
 * already) -> LAPIC timer calibration -> IPI and MSI vectors -> tick ->
 * COM1 IRQ 4. Secondary CPUs are started later by kernel/smp.c.
 * Interrupts are left disabled; the kernel enables them.
 */
#include <quire/printk.h>
#include <arch/setup.h>
#include <arch/time.h>
#include <asm/apic.h>
#include <asm/percpu.h>
#include <asm/serial.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <asm/setup.h>

#include <quire/jiffies.h>
#define COM1_ISA_IRQ	4

static void serial_irq(void *data)
{
	serial_handle_irq();
}

static void serial_irq_init(void)
{
	int vector = x86_request_vector(serial_irq, NULL);
	int err;

	if (vector < 0) {
		pr_err("serial: no vector for COM1, input stays polled\n");
		return;
	}
	err = ioapic_route_isa_irq(COM1_ISA_IRQ, vector, this_cpu()->apic_id);
	if (err) {
		pr_err("serial: cannot route IRQ %d: %d\n", COM1_ISA_IRQ, err);
		return;
	}
	serial_enable_rx_irq();
	pr_info("serial: COM1 input on IRQ %d, vector %d\n", COM1_ISA_IRQ, vector);
}

void arch_init_late(void)
{
	pic_mask_all();
	if (apic_init_bsp())
		return;
	this_cpu()->apic_id = apic_this_id();
	x86_irq_init();
	ioapic_init();
	x86_time_init();
	apic_timer_calibrate();
	x86_smp_init_ipis();
	x86_msi_init();
	arch_timer_start(HZ);
	serial_irq_init();
	x86_sched_points_init(); /* debug kernels only (make kernel-sp) */
}
