/*
 * arch/x86_64/time.c - the nanosecond clock (TSC) and the periodic tick
 * (local APIC timer).
 *
 * Layer: arch/x86_64. Provides: arch_clock_ns(), arch_timer_start(),
 * arch_profile_set_rate() (the tick samples for kernel/profile.c),
 * x86_time_init() (TSC calibration), the ACPI PM timer and PIT helpers
 * used to calibrate the TSC and the LAPIC timer.
 *
 * The TSC is calibrated once on the boot CPU against the ACPI PM timer
 * (3.579545 MHz, port from the FADT) or, without one, PIT channel 2.
 * arch_clock_ns() is then (rdtsc - tsc_base) * mult >> 32: no lock, no
 * state written, so it is safe in NMI and panic context. Before the
 * calibration it returns 0. The TSC is assumed invariant and synchronised
 * across CPUs (true under QEMU and on every CPU since Nehalem); each CPU
 * additionally never returns less than it returned before (TSC1 below).
 *
 * Invariants:
 *   TSC1 arch_clock_ns() never goes backwards on one CPU.
 *   TSC2 tsc_mult and tsc_base are written once, before tsc_ready is set.
 *
 * Locking: none; calibration runs on the boot CPU with IRQs off.
 */
#include <quire/printk.h>
#include <quire/platform.h>
#include <quire/profile.h>
#include <quire/errno.h>
#include <arch/debug.h>
#include <arch/time.h>
#include <arch/cpu.h>
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/io.h>
#include <asm/processor.h>
#include <asm/percpu.h>
#include <asm/time.h>
#include <asm/idt.h>
#include <asm/stacktrace.h>

static u64 tsc_base;		/* TSC at x86_time_init() */
static u64 tsc_mult;		/* ns = delta * tsc_mult >> 32 */
static u64 tsc_hz;
static bool tsc_ready; /* TSC2 */

static u16 pmtmr_port;
static bool pmtmr_wide;		/* 32-bit counter (FADT flag TMR_VAL_EXT) */

bool pmtmr_present(void)
{
	return pmtmr_port != 0;
}

u32 pmtmr_read(void)
{
	return inl(pmtmr_port) & pmtmr_mask();
}

u32 pmtmr_mask(void)
{
	return pmtmr_wide ? 0xFFFFFFFFu : 0xFFFFFFu;
}

static u64 read_tsc_counter(void)
{
	return rdtsc();
}

/*
 * Read @read between two PM timer reads; retry while they are more than
 * PMTMR_TIGHT ticks apart (a vCPU descheduled mid-read, an SMI), so the
 * pair (PM time, counter) is known to within ~10 us. Returns the PM time
 * halfway between.
 */
#define PMTMR_TIGHT	36	/* PM ticks: ~10 us */
#define PMTMR_TRIES	1000

static u32 pmtmr_bracket(u64 (*read)(void), u64 *val)
{
	u32 mask = pmtmr_mask(), a = 0, span = 0;

	for (int i = 0; i < PMTMR_TRIES; i++) {
		a = pmtmr_read();
		*val = read();
		span = (pmtmr_read() - a) & mask;
		if (span <= PMTMR_TIGHT)
			break;
	}
	return (a + span / 2) & mask;
}

/* Spin on the PM timer for @ms; measure @read across it. */
static u64 pmtmr_measure(unsigned int ms, u64 (*read)(void), u64 *start, u64 *end)
{
	u32 mask = pmtmr_mask();
	u32 want = (u32)(PMTMR_HZ * ms / 1000);
	u32 t0, t1;

	t0 = pmtmr_bracket(read, start);
	while (((pmtmr_read() - t0) & mask) < want)
		arch_cpu_relax();
	t1 = pmtmr_bracket(read, end);
	return (u64)((t1 - t0) & mask) * 1000000000ULL / PMTMR_HZ;
}

/* PIT channel 2 in mode 0, gated through port 0x61: OUT2 rises at zero. */
static u64 pit_measure(unsigned int ms, u64 (*read)(void), u64 *start, u64 *end)
{
	u32 latch = (u32)(PIT_HZ * ms / 1000);

	if (latch > 0xFFFF)
		latch = 0xFFFF;
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xB0);		/* channel 2, lo/hi byte, mode 0 */
	outb(0x42, latch & 0xFF);
	outb(0x42, latch >> 8);
	*start = read();
	while (!(inb(0x61) & 0x20))
		arch_cpu_relax();
	*end = read();
	return (u64)latch * 1000000000ULL / PIT_HZ;
}

u64 x86_ref_measure(unsigned int ms, u64 (*read)(void), u64 *start, u64 *end)
{
	if (pmtmr_present())
		return pmtmr_measure(ms, read, start, end);
	return pit_measure(ms, read, start, end);
}

static void pmtmr_setup(void)
{
	if (!acpi_info.pm_timer_port || acpi_info.pm_timer_port > 0xFFFF)
		return;
	pmtmr_port = (u16)acpi_info.pm_timer_port;
	pmtmr_wide = acpi_info.pm_timer_32bit;
}

void x86_time_init(void)
{
	u64 t0, t1, ns;

	if (tsc_ready)
		return;
	pmtmr_setup();
	ns = x86_ref_measure(X86_CALIBRATE_MS, read_tsc_counter, &t0, &t1);
	tsc_hz = (t1 - t0) * 1000000000ULL / ns;
	/* mult = 2^32 * 1e9 / hz; fine for any TSC above 1 Hz. */
	tsc_mult = (u64)(((unsigned __int128)1000000000ULL << 32) / tsc_hz);
	tsc_base = t0;
	__atomic_store_n(&tsc_ready, true, __ATOMIC_RELEASE);
	pr_info("time: TSC %llu.%03llu MHz, calibrated against the %s\n",
		(unsigned long long)(tsc_hz / 1000000),
		(unsigned long long)(tsc_hz / 1000 % 1000),
		pmtmr_present() ? "ACPI PM timer" : "PIT");
}

u64 x86_tsc_hz(void)
{
	return tsc_hz;
}

static u64 clock_raw_ns(void)
{
	u64 delta;

	if (!__atomic_load_n(&tsc_ready, __ATOMIC_ACQUIRE))
		return 0;
	delta = rdtsc() - tsc_base;
	return (u64)(((unsigned __int128)delta * tsc_mult) >> 32);
}

/*
 * The floor is per CPU and written only by that CPU; an interrupt (or NMI)
 * between the read and the write can only store a value that is itself
 * monotonic, so the worst case is one stale floor, never a backward step
 * visible to one caller's sequence of reads.
 */
u64 arch_clock_ns(void)
{
	u64 now = clock_raw_ns();
	struct x86_percpu *p;
	unsigned long flags;

	if (!now)
		return 0;
	flags = arch_local_irq_save();
	p = this_cpu();
	if (now < p->clock_floor)
		now = p->clock_floor;
	else
		p->clock_floor = now;
	arch_local_irq_restore(flags);
	return now;
}

void x86_udelay_ns(u64 ns)
{
	u64 end = clock_raw_ns() + ns;

	while (clock_raw_ns() < end)
		arch_cpu_relax();
}

/*
 * One timer vector serves every CPU (the IDT is shared); each CPU's own
 * LAPIC timer raises it locally.
 */
static unsigned int tick_hz;
static int timer_vector = -1;
static unsigned int profile_mult; /* 0: no samples; else the wanted tick_mult */

unsigned int x86_tick_hz(void)
{
	return tick_hz;
}

/*
 * The interrupted function's caller: the return address in its frame, if
 * it has set one up (the kernel keeps frame pointers, leaf functions too);
 * interrupted in a prologue, this is its caller's caller.
 */
static unsigned long interrupted_caller(const struct pt_regs *regs)
{
	if (!x86_frame_ok(regs->rbp))
		return 0;
	return ((unsigned long *)regs->rbp)[1];
}

/*
 * While profiling, the LAPIC timer runs tick_mult times faster: every
 * interrupt takes a sample, and the one that finds the tick due by the
 * clock (p->next_tick, half a fast period early at most) is the tick.
 * Not every tick_mult-th: QEMU drops the expirations of a periodic timer
 * that came due while the vCPU was late, and a section with interrupts
 * off loses all but one, so counting them ran 76 ticks a second at 10000
 * Hz under TCG; Linux's tick is an hrtimer on the clock for the same
 * reason. Ticks missed altogether are skipped (hrtimer_forward()), as at
 * the plain rate; jiffies follow the clock anyway (kernel/time.c).
 *
 * A CPU switches to a new rate (arch_profile_set_rate()) at its next tick,
 * never between two, so no tick comes early (a stop at the next fast
 * interrupt took a tick a tenth of a period after the last one at 10000
 * Hz).
 */
static void timer_vector_handler(void *data)
{
	struct x86_percpu *p = this_cpu();
	unsigned int mult = READ_ONCE(profile_mult);
	struct pt_regs *regs = p->irq_regs;
	u64 period = tick_hz ? 1000000000ULL / tick_hz : 0;

	if (mult && regs)
		profile_tick(regs->rip, interrupted_caller(regs));
	if (p->tick_mult > 1 && period) {
		u64 now = arch_clock_ns();

		if ((s64)(p->next_tick - now) > (s64)(period / p->tick_mult / 2))
			return;
		p->next_tick += period;
		if ((s64)(p->next_tick - now) <= 0)
			p->next_tick += (now - p->next_tick) / period * period + period;
	}
	if (!mult)
		mult = 1;
	if (mult != p->tick_mult && tick_hz) {
		p->tick_mult = mult;
		p->next_tick = arch_clock_ns() + period;
		apic_timer_periodic((unsigned int)timer_vector, tick_hz * mult);
	}
	p->ticks++;
	timer_interrupt();
}

int arch_profile_set_rate(unsigned int mult)
{
	if (!tick_hz || mult > 10000 / tick_hz) /* no overflow of tick_hz * mult */
		return -EINVAL;
	WRITE_ONCE(profile_mult, mult);
	return 0;
}

/* The boot CPU allocates the vector (arch_init_late) before any AP runs. */
void arch_timer_start(unsigned int hz)
{
	if (hz == 0 || hz > 10000) {
		pr_err("time: tick rate %u Hz out of range\n", hz);
		return;
	}
	if (timer_vector < 0)
		timer_vector = x86_request_vector(timer_vector_handler, NULL);
	if (timer_vector < 0) {
		pr_err("time: no vector for the tick: %d\n", timer_vector);
		return;
	}
	tick_hz = hz;
	this_cpu()->tick_mult = 1;
	this_cpu()->next_tick = 0;
	apic_timer_periodic((unsigned int)timer_vector, hz);
}
