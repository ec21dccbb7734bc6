/*
 * arch/x86_64/apic.c - the local APIC (xAPIC, memory-mapped).
 *
 * Layer: arch/x86_64. Provides: apic_init_bsp(), apic_setup_this_cpu(),
 * register access, EOI, interrupt commands (IPIs), the LAPIC timer.
 *
 * Every CPU's APIC sits at the same physical address (MADT, normally
 * 0xFEE00000) and answers only its own CPU, so one uncached mapping made
 * by the boot CPU serves all of them. The timer runs at the bus clock
 * divided by 16; its rate is calibrated once (boot CPU) against the
 * same reference as the TSC and reused by every CPU.
 *
 * Not here: x2APIC (MSR access; QEMU gives fewer than 255 CPUs, so xAPIC
 * ids suffice), logical destination mode, the thermal/perf LVTs.
 *
 * Locking: the ICR is two registers; apic_send_icr() writes them with
 * local interrupts off so an interrupt handler's IPI cannot interleave.
 */
#include <quire/printk.h>
#include <quire/errno.h>
#include <arch/memory.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/processor.h>
#include <asm/time.h>

#define APIC_BASE_ENABLE	BIT(11)
#define APIC_DEFAULT_PHYS	0xFEE00000ULL

static volatile u32 *lapic;		/* mapped once by the boot CPU */
static u64 lapic_timer_hz;		/* LAPIC timer ticks/s at divide 16 */

bool apic_ready(void)
{
	return lapic != NULL;
}

u32 apic_read(u32 reg)
{
	return lapic[reg / 4];
}

void apic_write(u32 reg, u32 val)
{
	lapic[reg / 4] = val;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

u32 apic_this_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

/* Enable the calling CPU's APIC: software-enable, accept everything,
 * LINT pins and the error LVT masked (the 8259 is masked too). */
void apic_setup_this_cpu(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
	apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	apic_write(APIC_ESR, 0);
	apic_write(APIC_ESR, 0);
	apic_eoi();
}

int apic_init_bsp(void)
{
	phys_addr_t phys = acpi_info.lapic_phys ? acpi_info.lapic_phys
						: APIC_DEFAULT_PHYS;
	u32 ver;

	lapic = arch_ioremap(phys, PAGE_SIZE);
	if (!lapic) {
		pr_err("apic: cannot map the local APIC at %#llx\n",
		       (unsigned long long)phys);
		return -ENOMEM;
	}
	apic_setup_this_cpu();
	ver = apic_read(APIC_LVR);
	pr_info("apic: local APIC at %#llx, version %#x, %u LVTs, boot CPU id %u\n",
		(unsigned long long)phys, ver & 0xFF, ((ver >> 16) & 0xFF) + 1,
		apic_this_id());
	return 0;
}

static void apic_wait_icr_idle(void)
{
	while (apic_read(APIC_ICR_LOW) & APIC_ICR_BUSY)
		arch_cpu_relax();
}

void apic_send_icr(u32 apic_id, u32 icr_low)
{
	unsigned long flags = arch_local_irq_save();

	apic_wait_icr_idle();
	apic_write(APIC_ICR_HIGH, apic_id << 24);
	apic_write(APIC_ICR_LOW, icr_low);
	apic_wait_icr_idle();
	arch_local_irq_restore(flags);
}

static u64 apic_timer_count(void)
{
	return apic_read(APIC_TMCCT);
}

void apic_timer_calibrate(void)
{
	u64 start, end, ns;

	apic_write(APIC_TDCR, APIC_TDCR_DIV16);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_TMICT, 0xFFFFFFFFu);
	ns = x86_ref_measure(X86_CALIBRATE_MS, apic_timer_count, &start, &end);
	apic_write(APIC_TMICT, 0);
	lapic_timer_hz = (start - end) * 1000000000ULL / ns;
	pr_info("apic: timer %llu.%03llu MHz (bus clock / 16)\n",
		(unsigned long long)(lapic_timer_hz / 1000000),
		(unsigned long long)(lapic_timer_hz / 1000 % 1000));
}

u64 apic_timer_hz(void)
{
	return lapic_timer_hz;
}

void apic_timer_periodic(unsigned int vector, unsigned int hz)
{
	u64 count = lapic_timer_hz / hz;

	if (count == 0)
		count = 1;
	if (count > 0xFFFFFFFFu)
		count = 0xFFFFFFFFu;
	apic_write(APIC_TDCR, APIC_TDCR_DIV16);
	apic_write(APIC_LVT_TIMER, vector | APIC_LVT_PERIODIC);
	apic_write(APIC_TMICT, (u32)count);
}
