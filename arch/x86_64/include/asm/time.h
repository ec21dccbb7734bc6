/*
 * arch/x86_64/include/asm/time.h - the TSC clock and the reference timers
 * it is calibrated against (time.c).
 */
#ifndef ASM_TIME_H
#define ASM_TIME_H

#include <quire/compiler.h>

#define PMTMR_HZ	3579545ULL	/* ACPI PM timer frequency */
#define PIT_HZ		1193182ULL

/* Calibrate the TSC (PM timer, else PIT) and start arch_clock_ns(). Safe
 * to call more than once; the first call wins. Context: boot, IRQs off. */
void x86_time_init(void);
u64 x86_tsc_hz(void);
/* The tick rate arch_timer_start() was last given (0: no tick). */
unsigned int x86_tick_hz(void);

/* The ACPI PM timer: present?, raw counter, its width mask. */
bool pmtmr_present(void);
u32 pmtmr_read(void);
u32 pmtmr_mask(void);

/* Spin for @ns nanoseconds on the TSC clock. */
void x86_udelay_ns(u64 ns);

/* Measure @read (any counter) over about @ms of the reference timer:
 * returns the reference time that really elapsed in ns, and the counter's
 * values before and after in *@start and *@end. */
/*
 * Length of each calibration window (TSC, LAPIC timer) against the ACPI PM
 * timer, in ms. Both ends of a window are bracketed between two PM timer
 * reads, so the error is about 2 PM ticks (0.56 us) over the window: 0.01 %
 * at 5 ms. Longer windows only delay boot (two windows = 10 ms here).
 */
#define X86_CALIBRATE_MS	5

u64 x86_ref_measure(unsigned int ms, u64 (*read)(void), u64 *start, u64 *end);

#endif
