/*
 * arch/host/selftest.c - KTAP suite "host": the vCPU and interrupt model
 * of arch/host (docs/host.md), checked from inside the kernel.
 *
 * Layer: arch/host (tests). Run: quire-host --cpus 2 --exec "test host".
 * Cross-CPU cases bring CPU 1 up themselves when the kernel has not
 * (before kernel/smp.c exists) and need --cpus >= 2.
 */
#include <quire/ktest.h>
#include <quire/errno.h>
#include <quire/sched.h>
#include <quire/kernel.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <arch/time.h>
#include <arch/sched_point.h>
#include "host.h"

#define WAIT_NS	(2 * 1000000000ULL)	/* give up on a lost interrupt */

static int hits;
static int hit_cpu;
static int chained_msi;

static void count_hit(void *data)
{
	/* Interrupt handlers run with the flag off. */
	int cpu = arch_irqs_disabled() ? (int)arch_smp_processor_id() : -1;

	__atomic_store_n(&hit_cpu, cpu, __ATOMIC_RELAXED);
	__atomic_fetch_add(&hits, 1, __ATOMIC_RELEASE);	/* publishes hit_cpu */
}

static void chain_to_next(void *data)
{
	host_msi_trigger(__atomic_load_n(&chained_msi, __ATOMIC_RELAXED));
}

static int msi(struct ktest *t, unsigned int cpu, irq_handler_t fn)
{
	u64 addr;
	u32 data;
	int h = arch_msi_alloc(cpu, fn, NULL, &addr, &data);

	KTEST_ASSERT_TRUE(t, h >= 0);
	KTEST_EXPECT_EQ(t, data, h);
	return h;
}

static void ensure_cpu1(struct ktest *t)
{
	static char stack[16384] __aligned(16);
	int err;

	if (platform.nr_cpus < 2)
		ktest_skip(t, "needs --cpus 2 or more");
	if (__atomic_load_n(&host_vcpus[1].started, __ATOMIC_ACQUIRE))
		return;
	err = arch_boot_secondary(1, stack, sizeof(stack));
	KTEST_ASSERT_EQ(t, err, 0);
}

static bool wait_hits(int want)
{
	u64 end = arch_clock_ns() + WAIT_NS;

	while (__atomic_load_n(&hits, __ATOMIC_ACQUIRE) < want)
		if (arch_clock_ns() > end)
			return false;
		else
			arch_cpu_relax();
	return true;
}

static void host_irq_save_restore_nests(struct ktest *t)
{
	unsigned long outer = arch_local_irq_save();
	unsigned long inner = arch_local_irq_save();

	KTEST_EXPECT_TRUE(t, arch_irqs_disabled());
	KTEST_EXPECT_TRUE(t, inner);
	arch_local_irq_restore(inner);
	KTEST_EXPECT_TRUE(t, arch_irqs_disabled());
	arch_local_irq_restore(outer);
	KTEST_EXPECT_EQ(t, arch_irqs_disabled(), (bool)outer);
}

static void host_irq_waits_while_disabled_runs_on_enable(struct ktest *t)
{
	unsigned long flags = arch_local_irq_save();
	int h = msi(t, arch_smp_processor_id(), count_hit);

	__atomic_store_n(&hits, 0, __ATOMIC_RELAXED);
	host_msi_trigger(h);
	host_msi_trigger(h);	/* coalesces with the first, like an edge */
	KTEST_EXPECT_EQ(t, __atomic_load_n(&hits, __ATOMIC_RELAXED), 0);
	arch_local_irq_enable();
	KTEST_EXPECT_EQ(t, __atomic_load_n(&hits, __ATOMIC_RELAXED), 1);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&hit_cpu, __ATOMIC_RELAXED),
			(int)arch_smp_processor_id());
	arch_msi_free(h);
	arch_local_irq_restore(flags);
}

static void host_self_interrupt_with_irqs_on_is_immediate(struct ktest *t)
{
	unsigned long flags = arch_local_irq_save();
	int h = msi(t, arch_smp_processor_id(), count_hit);

	__atomic_store_n(&hits, 0, __ATOMIC_RELAXED);
	arch_local_irq_enable();
	host_msi_trigger(h);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&hits, __ATOMIC_RELAXED), 1);
	arch_local_irq_restore(flags);
	arch_msi_free(h);
}

/*
 * arch_msi_free() is free_irq(): when it returns, the handler has run its
 * last time with the caller's data, and only then may the handle go to a
 * new owner. CPU 1 takes the handler of a full table's last handle and is
 * held (host_msi_dispatch_hook) before it reads the data; CPU 0 frees the
 * handle; the held CPU tries to allocate meanwhile, as another driver
 * would. Had it got the handle, the old handler would run with the new
 * owner's data.
 */
static int msi_old_cookie, msi_new_cookie;
static void *msi_old_seen;
static int msi_race_handle = -1, msi_race_stolen = -1;
static unsigned int msi_race_state; /* 1: CPU 1 held, 2: CPU 0 frees */

static void msi_race_old(void *data)
{
	__atomic_store_n(&msi_old_seen, data, __ATOMIC_RELEASE);
}

static void msi_race_new(void *data)
{
}

static void msi_race_hook(unsigned int handle)
{
	u64 addr;
	u32 data;

	if ((int)handle != msi_race_handle)
		return;
	__atomic_store_n(&msi_race_state, 1, __ATOMIC_RELEASE);
	for (long i = 0;
	     i < 20000000 && __atomic_load_n(&msi_race_state, __ATOMIC_ACQUIRE) != 2; i++)
		arch_cpu_relax();
	for (int i = 0; i < 20000 && msi_race_stolen < 0; i++) {
		msi_race_stolen =
			arch_msi_alloc(1, msi_race_new, &msi_new_cookie, &addr, &data);
		arch_cpu_relax();
	}
}

static void host_msi_free_does_not_hand_out_a_running_handle(struct ktest *t)
{
	static int rest[HOST_NR_MSI];
	unsigned int n = 0;
	u64 addr, end;
	u32 data;
	int h;

	ensure_cpu1(t);
	msi_race_handle = arch_msi_alloc(1, msi_race_old, &msi_old_cookie, &addr, &data);
	KTEST_ASSERT_TRUE(t, msi_race_handle >= 0);
	while ((h = arch_msi_alloc(1, msi_race_new, NULL, &addr, &data)) >= 0)
		rest[n++] = h; /* the table is full: only a free makes room */
	msi_race_stolen = -1;
	__atomic_store_n(&msi_old_seen, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&msi_race_state, 0, __ATOMIC_RELAXED);
	host_msi_dispatch_hook = msi_race_hook;
	host_msi_trigger(msi_race_handle);
	end = arch_clock_ns() + WAIT_NS;
	while (__atomic_load_n(&msi_race_state, __ATOMIC_ACQUIRE) != 1 &&
	       arch_clock_ns() < end)
		arch_cpu_relax();
	KTEST_EXPECT_EQ(t, __atomic_load_n(&msi_race_state, __ATOMIC_ACQUIRE), 1);
	__atomic_store_n(&msi_race_state, 2, __ATOMIC_RELEASE);
	arch_msi_free(msi_race_handle);
	host_msi_dispatch_hook = NULL;
	KTEST_EXPECT_TRUE(t, __atomic_load_n(&msi_old_seen, __ATOMIC_ACQUIRE) ==
				     &msi_old_cookie);
	KTEST_EXPECT_EQ(t, msi_race_stolen, -ENOSPC);
	if (msi_race_stolen >= 0)
		arch_msi_free(msi_race_stolen);
	while (n)
		arch_msi_free(rest[--n]);
	msi_race_handle = -1;
}

static int sp_hook_msi;
static int sp_hook_ran;

/* Inside the masked PRNG step: an interrupt arrives, as the tick does. */
static void raise_in_sched_point(void)
{
	host_msi_trigger(sp_hook_msi); /* own vCPU: a pending bit, no signal */
	if (host_cfg.async_irqs)       /* the signal finds the flag off */
		pthread_kill(pthread_self(), HOST_SIGIRQ);
	sp_hook_ran = 1;
}

/*
 * A free-running scheduling point masks interrupts around its PRNG step;
 * one that arrives there must run when the step unmasks (HSP3), not wait
 * for the next enable point: a task looping through cond_resched() passes
 * none, so its CPU got no tick for good (stress affinity_changes_on_
 * running_task hung 20 s, seeds 4 and 34).
 */
static void host_irq_in_sched_point_runs_when_it_unmasks(struct ktest *t)
{
	unsigned int saved_rate = host_cfg.sched_points;
	unsigned long flags;
	int h, taken;

	if (host_cfg.deterministic)
		ktest_skip(
			t,
			"deterministic points hand the baton; the free-running step is checked");
	flags = arch_local_irq_save();
	h = msi(t, arch_smp_processor_id(), count_hit);
	sp_hook_msi = h;
	__atomic_store_n(&hits, 0, __ATOMIC_RELAXED);
	sp_hook_ran = 0;
	/* arch_sched_points_on stays as it is: only this direct call sees the
	 * rate (the point may fire: a short delay, ignored here). */
	if (!saved_rate)
		host_cfg.sched_points = 1u << 30;
	host_sp_masked_hook = raise_in_sched_point;
	arch_local_irq_enable();
	arch_sched_point(SP_UNLOCK);
	/* Read before masking: irq_before_disable() would take the bit. */
	taken = __atomic_load_n(&hits, __ATOMIC_ACQUIRE);
	arch_local_irq_disable();
	host_sp_masked_hook = NULL;
	host_cfg.sched_points = saved_rate;
	KTEST_EXPECT_EQ(t, sp_hook_ran, 1);
	KTEST_EXPECT_EQ(t, taken, 1);
	arch_local_irq_enable(); /* a bit still pending runs now */
	arch_msi_free(h);
	arch_local_irq_restore(flags);
}

static void host_msi_runs_on_its_target_cpu(struct ktest *t)
{
	int h;

	ensure_cpu1(t);
	h = msi(t, 1, count_hit);
	__atomic_store_n(&hits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&hit_cpu, -2, __ATOMIC_RELAXED);
	host_msi_trigger(h);
	KTEST_EXPECT_TRUE(t, wait_hits(1));
	KTEST_EXPECT_EQ(t, __atomic_load_n(&hit_cpu, __ATOMIC_RELAXED), 1);
	arch_msi_free(h);
}

/* CPU 0 idles with interrupts off; CPU 1's handler interrupts it. */
static void host_idle_wakes_on_interrupt_from_other_cpu(struct ktest *t)
{
	unsigned long flags;
	u64 end;
	int back, there;

	ensure_cpu1(t);
	back = msi(t, arch_smp_processor_id(), count_hit);
	there = msi(t, 1, chain_to_next);
	__atomic_store_n(&chained_msi, back, __ATOMIC_RELAXED);
	__atomic_store_n(&hits, 0, __ATOMIC_RELAXED);
	flags = arch_local_irq_save();
	host_msi_trigger(there);
	end = arch_clock_ns() + WAIT_NS;
	while (!__atomic_load_n(&hits, __ATOMIC_RELAXED) && arch_clock_ns() < end)
		arch_cpu_idle();
	KTEST_EXPECT_TRUE(t, arch_irqs_disabled());
	arch_local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&hits, __ATOMIC_RELAXED), 1);
	arch_msi_free(back);
	arch_msi_free(there);
}

/*
 * Signal mode: an interrupt reaches a CPU that runs with interrupts on and
 * never reaches an arch hook (no poll point), as on real hardware.
 */
static void host_signal_interrupts_busy_cpu(struct ktest *t)
{
	unsigned long flags;
	int back, there;
	u64 end;

	if (!host_cfg.async_irqs)
		ktest_skip(t, "poll mode (deterministic or TSan): no asynchronous interrupts");
	ensure_cpu1(t);
	back = msi(t, arch_smp_processor_id(), count_hit);
	there = msi(t, 1, chain_to_next);
	__atomic_store_n(&chained_msi, back, __ATOMIC_RELAXED);
	__atomic_store_n(&hits, 0, __ATOMIC_RELAXED);
	flags = arch_local_irq_save();
	arch_local_irq_enable();
	host_msi_trigger(there);
	end = host_monotonic_ns() + WAIT_NS;
	while (!__atomic_load_n(&hits, __ATOMIC_RELAXED) && host_monotonic_ns() < end)
		;
	arch_local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&hits, __ATOMIC_RELAXED), 1);
	arch_msi_free(back);
	arch_msi_free(there);
}

#define PING_PONG_ROUNDS	2000

static int pong_msi, ping_msi, rounds;

static void ping_handler(void *data)
{
	if (__atomic_add_fetch(&rounds, 1, __ATOMIC_RELAXED) < PING_PONG_ROUNDS)
		host_msi_trigger(__atomic_load_n(&pong_msi, __ATOMIC_RELAXED));
}

static void pong_handler(void *data)
{
	host_msi_trigger(__atomic_load_n(&ping_msi, __ATOMIC_RELAXED));
}

/*
 * Interrupts bounce between CPU 0 and CPU 1 while CPU 0 alternates idling,
 * enabling and masking: a lost wake-up or a lost pending bit stops the ball.
 */
static void host_interrupt_ping_pong_loses_none(struct ktest *t)
{
	unsigned long flags;
	u64 end;

	ensure_cpu1(t);
	__atomic_store_n(&rounds, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ping_msi, msi(t, arch_smp_processor_id(), ping_handler),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&pong_msi, msi(t, 1, pong_handler), __ATOMIC_RELAXED);
	flags = arch_local_irq_save();
	host_msi_trigger(pong_msi);
	end = arch_clock_ns() + 10 * WAIT_NS;
	for (unsigned int i = 0; __atomic_load_n(&rounds, __ATOMIC_RELAXED) <
	     PING_PONG_ROUNDS && arch_clock_ns() < end; i++) {
		if (i % 3 == 0) {
			arch_cpu_idle();
		} else {
			arch_local_irq_enable();
			arch_cpu_relax();
			arch_local_irq_disable();
		}
	}
	arch_local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&rounds, __ATOMIC_RELAXED), PING_PONG_ROUNDS);
	arch_msi_free(ping_msi);
	arch_msi_free(pong_msi);
}

static void host_clock_is_monotonic(struct ktest *t)
{
	u64 prev = arch_clock_ns();

	for (int i = 0; i < 1000; i++) {
		u64 now = arch_clock_ns();

		KTEST_ASSERT_TRUE(t, now >= prev);
		prev = now;
		arch_cpu_relax();
	}
}

static void host_msi_alloc_rejects_bad_cpu(struct ktest *t)
{
	u64 addr;
	u32 data;

	KTEST_EXPECT_EQ(t, arch_msi_alloc(platform.nr_cpus, count_hit, NULL,
					  &addr, &data), -EINVAL);
	KTEST_EXPECT_EQ(t, arch_boot_secondary(0, NULL, 0), -EINVAL);
}

/*
 * The interrupt-flag functions keep a vcpu pointer across a write of its
 * flag: a signal landing inside one must not switch threads (the task
 * could resume on another vCPU's pthread and write the first vCPU's flag:
 * commit c4f2016, seen as a CPU masked for good under 'test stress'),
 * nor inside a function they call with the pointer live: host_this_vcpu()
 * was outside the section, and a signal after its TLS load handed
 * arch_local_irq_save() the vCPU the task had left (HOSTIRQ1; seen as
 * 'test sched' hanging in set_cpus_allowed_on_a_moving_task_...).
 * Deterministic check of the rule the handler applies, at an address
 * inside each such function; our other code may switch.
 */
static void host_irq_flag_code_never_switches_threads(struct ktest *t)
{
	const struct {
		const char *name;
		void *fn;
	} flag_code[] = {
		{"arch_local_irq_save", (void *)arch_local_irq_save},
		{"arch_local_irq_enable", (void *)arch_local_irq_enable},
		{"arch_local_irq_restore", (void *)arch_local_irq_restore},
		{"arch_local_irq_disable", (void *)arch_local_irq_disable},
		{"host_irq_mask_raw", (void *)host_irq_mask_raw},
		{"host_irq_unmask_raw", (void *)host_irq_unmask_raw},
		{"host_irq_mask_now", (void *)host_irq_mask_now},
		{"host_take_own_irqs", (void *)host_take_own_irqs},
		/* Callee of the above: returns the pointer they keep. */
		{"host_this_vcpu", (void *)host_this_vcpu},
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(flag_code); i++) {
		if (host_ip_may_switch((unsigned long)flag_code[i].fn + 1))
			ktest_fail(t, __FILE__, __LINE__,
				   "a signal inside %s may switch threads",
				   flag_code[i].name);
	}
	KTEST_EXPECT_TRUE(t, host_ip_may_switch((unsigned long)schedule + 1));
	KTEST_EXPECT_TRUE(t, host_ip_may_switch((unsigned long)host_ip_may_switch + 1));
}

/* SIGPIPE is ignored (host_boot()): a write to a socket whose peer is
 * gone fails with EPIPE. Before, it killed quire-host (libslirp writing
 * to a host client that had reset, in a connect storm: REVN12). */
static void host_write_to_a_closed_socket_fails_with_epipe(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, host_write_to_a_closed_socket(), EPIPE);
}

static const struct ktest_case host_cases[] = {
	KTEST_CASE(host_irq_flag_code_never_switches_threads),
	KTEST_CASE(host_irq_save_restore_nests),
	KTEST_CASE(host_irq_waits_while_disabled_runs_on_enable),
	KTEST_CASE(host_self_interrupt_with_irqs_on_is_immediate),
	KTEST_CASE(host_irq_in_sched_point_runs_when_it_unmasks),
	KTEST_CASE(host_msi_runs_on_its_target_cpu),
	KTEST_CASE(host_msi_free_does_not_hand_out_a_running_handle),
	KTEST_CASE(host_idle_wakes_on_interrupt_from_other_cpu),
	KTEST_CASE(host_signal_interrupts_busy_cpu),
	KTEST_CASE(host_interrupt_ping_pong_loses_none),
	KTEST_CASE(host_clock_is_monotonic),
	KTEST_CASE(host_msi_alloc_rejects_bad_cpu),
	KTEST_CASE(host_write_to_a_closed_socket_fails_with_epipe),
	KTEST_END,
};

static const struct ktest_suite host_suite = {
	.name = "host",
	.cases = host_cases,
};
KTEST_SUITE(host_suite);
