/*
 * arch/x86_64/platform_test.c - KTAP suite `x86_platform`: the clock, the
 * tick, IPIs to every CPU, TLB shootdown, MSI vector allocation.
 *
 * Layer: arch/x86_64 tests. Run: `test x86_platform` in the shell, or
 * exec=test x86_platform on the kernel command line.
 */
#include <quire/ktest.h>
#include <quire/smp.h>
#include <quire/sched.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/platform.h>
#include <quire/preempt.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/time.h>
#include <asm/apic.h>
#include <asm/idt.h>
#include <asm/percpu.h>
#include <asm/smp.h>
#include <asm/switch.h>
#include <asm/time.h>
#include <quire/bug.h>
#include <quire/kthread.h>
#include <quire/sched_point.h>

#define MS		1000000ULL

static void clock_never_goes_backwards(struct ktest *t)
{
	u64 prev = arch_clock_ns(), now;

	KTEST_ASSERT_TRUE(t, prev > 0);
	for (int i = 0; i < 100000; i++) {
		now = arch_clock_ns();
		if (now < prev) {
			KTEST_EXPECT_GE(t, now, prev);
			return;
		}
		prev = now;
	}
}

static u64 read_clock(void)
{
	return arch_clock_ns();
}

/* 200 ms of the reference timer must be 200 ms of arch_clock_ns, +-2%
 * (bracketed reads make it ~0.01% under QEMU even on a loaded host). */
static void clock_rate_matches_pm_timer(struct ktest *t)
{
	u64 start, end, ref_ns, clock_ns;
	unsigned long flags;

	if (!pmtmr_present())
		ktest_skip(t, "no ACPI PM timer on this machine");
	flags = arch_local_irq_save();
	ref_ns = x86_ref_measure(200, read_clock, &start, &end);
	arch_local_irq_restore(flags);
	clock_ns = end - start;
	cprintf("    # reference %llu ns, clock %llu ns\n",
		(unsigned long long)ref_ns, (unsigned long long)clock_ns);
	KTEST_EXPECT_GT(t, clock_ns, ref_ns * 98 / 100);
	KTEST_EXPECT_LT(t, clock_ns, ref_ns * 102 / 100);
}

/* Ticks on this CPU during @ms of busy waiting with interrupts on. */
static u64 count_ticks(unsigned int ms)
{
	unsigned long flags = arch_local_irq_save();
	u64 before, after, end;

	arch_local_irq_enable();
	before = READ_ONCE(this_cpu()->ticks);
	end = arch_clock_ns() + ms * MS;
	while (arch_clock_ns() < end)
		arch_cpu_relax();
	after = READ_ONCE(this_cpu()->ticks);
	arch_local_irq_restore(flags);
	return after - before;
}

#define LAPIC_READ_TIGHT_NS 20000 /* a counter read bracketed this closely */
#define LAPIC_RATE_TRIES    200

/* The LAPIC counter and the clock at one instant (to LAPIC_READ_TIGHT_NS),
 * or false: the read was slow (a vCPU descheduled, QEMU's lock taken). */
static bool lapic_count_at(u64 *ns, u32 *count)
{
	u64 a = arch_clock_ns();

	*count = apic_read(APIC_TMCCT);
	*ns = arch_clock_ns();
	if (*ns - a > LAPIC_READ_TIGHT_NS)
		return false;
	*ns = a + (*ns - a) / 2;
	return true;
}

/*
 * The running LAPIC timer's counter against the clock (itself checked
 * against the ACPI PM timer: clock_rate_matches_pm_timer), over half a
 * tick period: the counter reloads every period. A try counts only if
 * both reads were tight, the counter went down (no reload in between) and
 * less than the period passed. Returns counts per second, or 0. Interrupts
 * off.
 */
static u64 lapic_rate_in_one_period(u64 period_ns)
{
	for (int i = 0; i < LAPIC_RATE_TRIES; i++) {
		u64 t0, t1;
		u32 c0, c1;

		if (!lapic_count_at(&t0, &c0))
			continue;
		while (arch_clock_ns() < t0 + period_ns / 2)
			arch_cpu_relax();
		if (!lapic_count_at(&t1, &c1))
			continue;
		if (c1 < c0 && t1 - t0 < period_ns * 3 / 4)
			return (u64)(c0 - c1) * 1000000000ULL / (t1 - t0);
	}
	return 0;
}

/*
 * The tick: this CPU's LAPIC timer is programmed periodic, unmasked, with
 * the count for HZ at the calibrated rate, its counter runs at that rate
 * (read against the clock within one period, +-3%), so it
 * expires HZ times a second; and timer_interrupt() runs (this CPU takes
 * ticks). Delivered ticks are not counted against the clock from below:
 * QEMU coalesces the ticks that come due while its vCPU or timer thread
 * is descheduled, and on a loaded 2-core host a 300 ms window got 5 to 35
 * of 75 (CI saw 0). They bound the rate from above only (none of three
 * 300 ms windows above 120% of HZ * 0.3). Waiting for the ticks has no
 * deadline: a stopped tick hangs the case, and tests/run reports the
 * job hung in this suite.
 */
#define TICKS_TO_SEE 3

static void tick_runs_at_hz_body(struct ktest *t)
{
	unsigned int hz = x86_tick_hz();
	u64 want = hz * 3 / 10, rate, seen;
	unsigned long flags;
	u32 lvt;

	KTEST_ASSERT_TRUE(t, hz > 0);
	preempt_disable();
	lvt = apic_read(APIC_LVT_TIMER);
	KTEST_EXPECT_TRUE(t, lvt & APIC_LVT_PERIODIC);
	KTEST_EXPECT_FALSE(t, lvt & APIC_LVT_MASKED);
	KTEST_EXPECT_EQ(t, apic_read(APIC_TDCR) & 0xB, APIC_TDCR_DIV16);
	KTEST_EXPECT_EQ(t, apic_read(APIC_TMICT), apic_timer_hz() / hz);
	flags = arch_local_irq_save();
	rate = lapic_rate_in_one_period(1000000000ULL / hz);
	arch_local_irq_restore(flags);
	preempt_enable();
	cprintf("    # LAPIC timer counts %llu/s, calibrated %llu/s\n",
		(unsigned long long)rate, (unsigned long long)apic_timer_hz());
	KTEST_EXPECT_GT(t, rate, apic_timer_hz() * 97 / 100);
	KTEST_EXPECT_LT(t, rate, apic_timer_hz() * 103 / 100);
	for (int i = 0; i < 3; i++) {
		u64 n;

		preempt_disable();	/* stay on this CPU's counter */
		n = count_ticks(300);
		preempt_enable();
		cprintf("    # %llu ticks in 300 ms at %u Hz (at most %llu)\n",
			(unsigned long long)n, hz, (unsigned long long)want);
		KTEST_EXPECT_LE(t, n, want * 12 / 10 + 1);
	}
	preempt_disable();
	seen = READ_ONCE(this_cpu()->ticks);
	while (READ_ONCE(this_cpu()->ticks) - seen < TICKS_TO_SEE)
		arch_cpu_relax();
	preempt_enable();
}

static void tick_runs_at_hz(struct ktest *t)
{
	ktest_on_cpu(t, 0, tick_runs_at_hz_body);
}

static unsigned int ipi_seen[MAX_CPUS];

static void test_ipi_handler(void *data)
{
	__atomic_fetch_add(&ipi_seen[arch_smp_processor_id()], 1, __ATOMIC_RELAXED);
}

static bool wait_for(unsigned int *counter, unsigned int want, u64 ns)
{
	u64 end = arch_clock_ns() + ns;

	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want) {
		if (arch_clock_ns() > end)
			return false;
		arch_cpu_relax();
	}
	return true;
}

/* A fixed IPI to each other online CPU runs the handler there, once. */
static void ipi_reaches_every_cpu(struct ktest *t)
{
	int vector = x86_request_vector(test_ipi_handler, NULL);
	unsigned int self, others = 0;

	KTEST_ASSERT_TRUE(t, vector > 0);
	preempt_disable();
	self = arch_smp_processor_id();
	for (unsigned int cpu = 0; cpu < platform.nr_cpus; cpu++) {
		if (cpu == self || !x86_cpu_is_online(cpu))
			continue;
		others++;
		__atomic_store_n(&ipi_seen[cpu], 0, __ATOMIC_RELEASE);
		apic_send_icr(platform.cpu_hwid[cpu], APIC_DM_FIXED | vector);
		if (!wait_for(&ipi_seen[cpu], 1, 200 * MS))
			ktest_fail(t, __FILE__, __LINE__, "CPU %u did not answer", cpu);
	}
	preempt_enable();
	x86_free_vector(vector);
	cprintf("    # %u other CPUs answered (of %u)\n", others,
		platform.nr_cpus - 1);
	KTEST_EXPECT_EQ(t, others + 1, x86_cpus_online());
	if (!others)
		ktest_skip(t, "only one CPU online");
}

/* flush_tlb_all() returns only after every other online CPU flushed. */
static void tlb_shootdown_reaches_every_cpu(struct ktest *t)
{
	u64 before[MAX_CPUS];
	unsigned int self;
	unsigned long flags;

	preempt_disable();
	self = arch_smp_processor_id();
	for (unsigned int cpu = 0; cpu < platform.nr_cpus; cpu++)
		before[cpu] = READ_ONCE(x86_percpu[cpu].tlb_flushes);
	flags = arch_local_irq_save();
	arch_local_irq_enable();	/* its contract (exec= runs with IRQs off) */
	flush_tlb_all();
	arch_local_irq_restore(flags);
	for (unsigned int cpu = 0; cpu < platform.nr_cpus; cpu++) {
		if (cpu == self || !x86_cpu_is_online(cpu))
			continue;
		KTEST_EXPECT_GT(t, READ_ONCE(x86_percpu[cpu].tlb_flushes), before[cpu]);
	}
	preempt_enable();
}

static unsigned int tlb_hold_state; /* 1: holding, 2: release, 3: done */
static bool tlb_hold_saw_ipi;

/* Runs on the held CPU, interrupts off, until told to go: then reports
 * whether a TLB shootdown IPI is waiting in its local APIC's IRR. */
static void tlb_hold_handler(void *data)
{
	unsigned int v = (unsigned int)x86_ipi_vector[NR_IPI_TYPES];
	u64 end = arch_clock_ns() + 2000 * MS; /* never hang the suite */

	__atomic_store_n(&tlb_hold_state, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&tlb_hold_state, __ATOMIC_ACQUIRE) != 2 &&
	       arch_clock_ns() < end)
		arch_cpu_relax();
	tlb_hold_saw_ipi = apic_read(APIC_IRR + 0x10 * (v / 32)) & (1U << (v % 32));
	__atomic_store_n(&tlb_hold_state, 3, __ATOMIC_RELEASE);
}

static void tlb_mark_cpu1_online(void)
{
	__atomic_store_n(&x86_percpu[1].online, true, __ATOMIC_RELEASE);
}

static void flush_tlb_all_irqs_on(void)
{
	unsigned long flags = arch_local_irq_save();

	arch_local_irq_enable(); /* its contract (exec= runs with IRQs off) */
	flush_tlb_all();
	arch_local_irq_restore(flags);
}

/*
 * A CPU that comes online while flush_tlb_all() runs gets no IPI from it:
 * the targets are one snapshot (issue 13 #15: counted in one pass, sent in
 * another, the newcomer's extra acknowledgement took the counter below
 * zero and the next sender spun for ever). CPU 1 is held with interrupts
 * off in a test vector, marked offline, and marked online again by the
 * test hook between choosing the targets and sending; it then checks its
 * IRR for the TLB vector. Afterwards a shootdown reaches it as usual.
 */
static void tlb_shootdown_targets_one_snapshot_body(struct ktest *t)
{
	int vector = x86_request_vector(tlb_hold_handler, NULL);
	u64 before;

	KTEST_ASSERT_TRUE(t, vector > 0);
	__atomic_store_n(&tlb_hold_state, 0, __ATOMIC_RELEASE);
	apic_send_icr(platform.cpu_hwid[1], APIC_DM_FIXED | vector);
	if (!wait_for(&tlb_hold_state, 1, 200 * MS)) {
		x86_free_vector(vector);
		ktest_fail(t, __FILE__, __LINE__, "CPU 1 did not take the hold vector");
		return;
	}
	__atomic_store_n(&x86_percpu[1].online, false, __ATOMIC_RELEASE);
	x86_tlb_shootdown_hook = tlb_mark_cpu1_online;
	flush_tlb_all_irqs_on();
	x86_tlb_shootdown_hook = NULL;
	tlb_mark_cpu1_online();
	__atomic_store_n(&tlb_hold_state, 2, __ATOMIC_RELEASE);
	KTEST_EXPECT_TRUE(t, wait_for(&tlb_hold_state, 3, 2000 * MS));
	KTEST_EXPECT_FALSE(t, tlb_hold_saw_ipi);
	before = READ_ONCE(x86_percpu[1].tlb_flushes);
	flush_tlb_all_irqs_on();
	KTEST_EXPECT_GT(t, READ_ONCE(x86_percpu[1].tlb_flushes), before);
	x86_free_vector(vector);
}

static void tlb_shootdown_targets_one_snapshot(struct ktest *t)
{
	if (platform.nr_cpus < 2 || !x86_cpu_is_online(1))
		ktest_skip(t, "CPU 1 is not online");
	ktest_on_cpu(t, 0, tlb_shootdown_targets_one_snapshot_body);
}

#define TLB_RACE_ROUNDS	  3000
#define TLB_RACE_STUCK_NS (10000 * MS) /* one shootdown this long: a hang */

static unsigned int tlb_race_rounds;  /* shootdowns CPU 0 finished */
static unsigned int tlb_race_toggles; /* offline/online cycles of CPU 1 */

/*
 * CPU 1, interrupts on: go offline and come online again, over and over,
 * as a CPU being brought up would (online flag, then a local flush: TLB1).
 * It also watches CPU 0: a shootdown that makes no progress for ten
 * seconds is the hang of issue 13 #15, and ends the run by name.
 */
static int tlb_race_toggler(void *arg)
{
	unsigned int seen = 0;
	u64 since = arch_clock_ns();

	while (!kthread_should_stop()) {
		unsigned int now = __atomic_load_n(&tlb_race_rounds, __ATOMIC_ACQUIRE);

		__atomic_store_n(&x86_percpu[1].online, false, __ATOMIC_SEQ_CST);
		sched_point(SP_ATOMIC);
		__atomic_store_n(&x86_percpu[1].online, true, __ATOMIC_SEQ_CST);
		sched_point(SP_ATOMIC);
		flush_tlb_local();
		__atomic_fetch_add(&tlb_race_toggles, 1, __ATOMIC_RELAXED);
		if (now != seen) {
			seen = now;
			since = arch_clock_ns();
		} else if (now < TLB_RACE_ROUNDS &&
			   arch_clock_ns() - since > TLB_RACE_STUCK_NS) {
			panic("x86_platform tlb_shootdown_against_cpu_coming_online: "
			      "flush_tlb_all() stuck after %u shootdowns, %u toggles",
			      now, __atomic_load_n(&tlb_race_toggles, __ATOMIC_RELAXED));
		}
	}
	__atomic_store_n(&x86_percpu[1].online, true, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * Stress (issue 13 #15, no test hook): CPU 0 runs shootdowns while CPU 1
 * goes offline and online again. Targets chosen in two passes over the
 * online flags disagree when CPU 1 changes between them: an IPI that was
 * not counted (the counter goes below zero) or a counted CPU that gets no
 * IPI, and the sender spins for ever. In a `make kernel-sp` kernel booted
 * with sched_points=N the point after flush_tlb_all()'s online reads widens
 * that window. Each shootdown must return; afterwards one reaches CPU 1.
 */
static void tlb_shootdown_against_cpu_coming_online_body(struct ktest *t)
{
	struct task_struct *k = kthread_create(tlb_race_toggler, NULL, "tlb_race");
	u64 before;

	KTEST_ASSERT_NOT_NULL(t, k);
	__atomic_store_n(&tlb_race_rounds, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&tlb_race_toggles, 0, __ATOMIC_RELEASE);
	kthread_bind(k, 1);
	wake_up_process(k);
	while (__atomic_load_n(&tlb_race_toggles, __ATOMIC_ACQUIRE) == 0)
		arch_cpu_relax();
	for (unsigned int i = 1; i <= TLB_RACE_ROUNDS; i++) {
		flush_tlb_all_irqs_on();
		__atomic_store_n(&tlb_race_rounds, i, __ATOMIC_RELEASE);
	}
	kthread_stop(k);
	KTEST_EXPECT_TRUE(t, x86_cpu_is_online(1));
	KTEST_EXPECT_GT(t, __atomic_load_n(&tlb_race_toggles, __ATOMIC_RELAXED), 1U);
	before = READ_ONCE(x86_percpu[1].tlb_flushes);
	flush_tlb_all_irqs_on();
	KTEST_EXPECT_GT(t, READ_ONCE(x86_percpu[1].tlb_flushes), before);
}

static void tlb_shootdown_against_cpu_coming_online(struct ktest *t)
{
	if (platform.nr_cpus < 2 || !x86_cpu_is_online(1))
		ktest_skip(t, "CPU 1 is not online");
	ktest_on_cpu(t, 0, tlb_shootdown_against_cpu_coming_online_body);
}

/* Bad requests fail cleanly, and an online CPU is never re-INITed. */
static void boot_secondary_validates_and_refuses_online_cpu(struct ktest *t)
{
	static u8 stack[4096] __aligned(16);

	KTEST_EXPECT_EQ(t, arch_boot_secondary(0, stack, sizeof(stack)), -EINVAL);
	KTEST_EXPECT_EQ(t, arch_boot_secondary(platform.nr_cpus, stack, sizeof(stack)),
			-EINVAL);
	KTEST_EXPECT_EQ(t, arch_boot_secondary(1, NULL, sizeof(stack)), -EINVAL);
	if (platform.nr_cpus < 2 || !x86_cpu_is_online(1))
		ktest_skip(t, "CPU 1 is not online");
	KTEST_EXPECT_EQ(t, arch_boot_secondary(1, stack, sizeof(stack)), -EBUSY);
}

static void msi_noop(void *data)
{
}

/* Allocate until -ENOSPC; every message is well formed and distinct;
 * a freed handle's vector is handed out again. */
static void msi_alloc_exhausts_and_free_reuses(struct ktest *t)
{
	static int handles[64];
	static u32 datas[64];
	unsigned int n = 0, cpu = platform.nr_cpus - 1;
	u64 addr;
	u32 data;
	int h;

	KTEST_EXPECT_EQ(t, arch_msi_alloc(platform.nr_cpus, msi_noop, NULL, &addr, &data),
			-EINVAL);
	while (n < ARRAY_SIZE(handles)) {
		h = arch_msi_alloc(cpu, msi_noop, NULL, &addr, &data);
		if (h < 0)
			break;
		KTEST_EXPECT_EQ(t, addr, 0xFEE00000ULL | ((u64)platform.cpu_hwid[cpu] << 12));
		KTEST_EXPECT_GE(t, data, FIRST_ALLOC_VECTOR);
		KTEST_EXPECT_LT(t, data, NR_VECTORS);
		for (unsigned int i = 0; i < n; i++)
			KTEST_EXPECT_NE(t, datas[i], data);
		handles[n] = h;
		datas[n++] = data;
	}
	KTEST_EXPECT_EQ(t, h, -ENOSPC);
	KTEST_ASSERT_TRUE(t, n > 0);
	arch_msi_free(handles[n / 2]);
	h = arch_msi_alloc(cpu, msi_noop, NULL, &addr, &data);
	KTEST_EXPECT_EQ(t, h, handles[n / 2]);
	KTEST_EXPECT_EQ(t, data, datas[n / 2]);
	KTEST_EXPECT_EQ(t, arch_msi_alloc(cpu, msi_noop, NULL, &addr, &data), -ENOSPC);
	for (unsigned int i = 0; i < n; i++)
		arch_msi_free(handles[i]);
	cprintf("    # %u MSI vectors were free (pool %u)\n", n, x86_msi_capacity());
}

static int msi_race_cookie;
static int msi_race_vector;
static void *msi_race_seen; /* the data the handler was given */
static unsigned int msi_race_entered, msi_race_done;

static void msi_race_handler(void *data)
{
	msi_race_seen = data;
	__atomic_store_n(&msi_race_done, 1, __ATOMIC_RELEASE);
}

/* On the interrupted CPU, after its entry took the vector's action: wait
 * until arch_msi_free() on the other CPU has replaced the handler. */
static void msi_race_hook(unsigned int vector)
{
	u64 end = arch_clock_ns() + 2000 * MS; /* never hang the suite */
	irq_handler_t h;

	if ((int)vector != msi_race_vector)
		return;
	__atomic_store_n(&msi_race_entered, 1, __ATOMIC_RELEASE);
	do {
		h = x86_vector_handler(vector);
		arch_cpu_relax();
	} while ((h == msi_race_handler || !h) && arch_clock_ns() < end);
}

/*
 * An interrupt that took its vector's action runs that owner's handler
 * with that owner's data, and arch_msi_free() returns only after it has
 * run (Linux's free_irq() waits in synchronize_irq()). Issue 13 #14: the
 * entry loaded handler and data separately, so a free in between gave the
 * driver's handler NULL, and nothing waited for it. The test hook holds
 * CPU 1's entry in that window until CPU 0's free has unhooked the handler.
 */
static void msi_free_waits_for_a_running_handler_body(struct ktest *t)
{
	unsigned int done_at_return;
	u64 addr;
	u32 data;
	int h = arch_msi_alloc(1, msi_race_handler, &msi_race_cookie, &addr, &data);

	KTEST_ASSERT_TRUE(t, h >= 0);
	msi_race_vector = (int)data;
	msi_race_seen = NULL;
	msi_race_entered = msi_race_done = 0;
	x86_vector_entry_hook = msi_race_hook;
	apic_send_icr(platform.cpu_hwid[1], APIC_DM_FIXED | data); /* as the device */
	if (!wait_for(&msi_race_entered, 1, 200 * MS)) {
		x86_vector_entry_hook = NULL;
		arch_msi_free(h);
		ktest_fail(t, __FILE__, __LINE__, "CPU 1 did not take the MSI vector");
		return;
	}
	arch_msi_free(h);
	done_at_return = __atomic_load_n(&msi_race_done, __ATOMIC_ACQUIRE);
	KTEST_EXPECT_TRUE(t, wait_for(&msi_race_done, 1, 2000 * MS));
	x86_vector_entry_hook = NULL;
	msi_race_vector = -1;
	KTEST_EXPECT_EQ(t, done_at_return, 1);
	KTEST_EXPECT_EQ(t, (unsigned long)msi_race_seen, (unsigned long)&msi_race_cookie);
}

static void msi_free_waits_for_a_running_handler(struct ktest *t)
{
	if (platform.nr_cpus < 2 || !x86_cpu_is_online(1))
		ktest_skip(t, "CPU 1 is not online");
	ktest_on_cpu(t, 0, msi_free_waits_for_a_running_handler_body);
}

static int owner_cookie, intruder_cookie;
static void *owner_seen;
static unsigned int owner_runs;

static void owner_handler(void *data)
{
	owner_seen = data;
	__atomic_fetch_add(&owner_runs, 1, __ATOMIC_RELEASE);
}

static void intruder_handler(void *data)
{
}

/* A refused x86_request_fixed_vector() leaves the owner's handler and data
 * in place (issue 13 #14: it overwrote them before returning -EBUSY). */
static void request_fixed_vector_busy_keeps_the_owner(struct ktest *t)
{
	int v = x86_request_vector(owner_handler, &owner_cookie);
	unsigned long flags;

	KTEST_ASSERT_TRUE(t, v > 0);
	KTEST_EXPECT_EQ(t,
			x86_request_fixed_vector(v, intruder_handler, &intruder_cookie),
			-EBUSY);
	KTEST_EXPECT_EQ(t, (unsigned long)x86_vector_handler(v),
			(unsigned long)owner_handler);
	owner_runs = 0;
	preempt_disable();
	flags = arch_local_irq_save();
	arch_local_irq_enable();
	apic_send_icr(apic_this_id(), APIC_DM_FIXED | v);
	KTEST_EXPECT_TRUE(t, wait_for(&owner_runs, 1, 200 * MS));
	arch_local_irq_restore(flags);
	preempt_enable();
	KTEST_EXPECT_EQ(t, (unsigned long)owner_seen, (unsigned long)&owner_cookie);
	x86_free_vector(v);
}

static void *switch_main_sp, *switch_thread_sp;
static unsigned int switch_rounds;

static void switch_thread(void)
{
	for (;;) {
		switch_rounds++;
		__switch_stack(&switch_thread_sp, switch_main_sp);
	}
}

/* switch.S into a fresh frame and back, three times; callee-saved
 * registers (checked by the compiler's use of them here) survive. */
static void context_switch_round_trips(struct ktest *t)
{
	static u8 stack[8192] __aligned(16);
	volatile u64 canary = 0x5157495245ULL;

	switch_rounds = 0;
	switch_thread_sp = x86_init_switch_frame(stack, sizeof(stack), switch_thread);
	KTEST_ASSERT_NOT_NULL(t, switch_thread_sp);
	KTEST_EXPECT_EQ(t, (uintptr_t)switch_thread_sp % 16, 0);
	for (unsigned int i = 1; i <= 3; i++) {
		unsigned long flags = arch_local_irq_save();	/* as the scheduler */

		__switch_stack(&switch_main_sp, switch_thread_sp);
		arch_local_irq_restore(flags);
		KTEST_EXPECT_EQ(t, switch_rounds, i);
	}
	KTEST_EXPECT_EQ(t, canary, 0x5157495245ULL);
	KTEST_EXPECT_NULL(t, x86_init_switch_frame(stack, 16, switch_thread));
}

static const struct ktest_case x86_platform_cases[] = {
	KTEST_CASE(context_switch_round_trips),
	KTEST_CASE(clock_never_goes_backwards),
	KTEST_CASE(clock_rate_matches_pm_timer),
	KTEST_CASE(tick_runs_at_hz),
	KTEST_CASE(ipi_reaches_every_cpu),
	KTEST_CASE(tlb_shootdown_reaches_every_cpu),
	KTEST_CASE(tlb_shootdown_targets_one_snapshot),
	KTEST_CASE(tlb_shootdown_against_cpu_coming_online),
	KTEST_CASE(boot_secondary_validates_and_refuses_online_cpu),
	KTEST_CASE(msi_alloc_exhausts_and_free_reuses),
	KTEST_CASE(msi_free_waits_for_a_running_handler),
	KTEST_CASE(request_fixed_vector_busy_keeps_the_owner),
	KTEST_END,
};

static const struct ktest_suite x86_platform_suite = {
	.name = "x86_platform",
	.cases = x86_platform_cases,
};
KTEST_SUITE(x86_platform_suite);
