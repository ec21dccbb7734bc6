/*
 * arch/host/det.c - deterministic mode: one vCPU at a time, virtual time,
 * interleavings chosen by a seeded PRNG.
 *
 * Layer: arch/host. Provides: det_switch_point(), det_idle(),
 * det_clock_ns(), det_sched_point() (seeded scheduling points, see
 * sched_point.c) and the vCPU life-cycle hooks used by vcpu.c.
 *
 * The baton: det.running names the one vCPU allowed to run kernel code;
 * every other vCPU thread sleeps on its own futex word vcpu->det_turn. At
 * each switch point (interrupt enable, arch_cpu_relax(), arch_cpu_idle(),
 * and with --sched-points a seeded choice of the core's sched_point()s)
 * the holder advances virtual time by DET_QUANTUM_NS, raises the ticks that
 * came due, feeds console input to CPU 0, and lets the PRNG pick the next
 * holder among the runnable vCPUs (itself included). With every vCPU idle,
 * time jumps to the next tick. So a run depends only on the seed (and, in
 * interactive mode, on what is typed): the same seed replays the same
 * interleaving, timestamps and output.
 *
 * Invariants:
 *  DET1: exactly one vCPU thread runs kernel code: the one named by
 *      det.running (threads not holding it sleep in det_wait_turn()).
 *  DET2: only the holder reads or writes det.now, det.rng, any det_state and
 *      any next_tick_ns; the handover (release store of det.running,
 *      acquire load by the next holder) orders these accesses.
 *  DET3: a vCPU is given the baton only if DET_RUNNABLE, or DET_IDLE with
 *      an interrupt pending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "host.h"
#include <quire/kernel.h>
#include <quire/bug.h>
#include <arch/power.h>

#define DET_QUANTUM_NS	1000	/* virtual time per switch point */
#define DET_WATCHDOG_S	20	/* real seconds without a switch point = hang */
#define HOST_SIGWATCHDOG (SIGRTMIN + 3)

static struct {
	u64 rng;		/* xorshift64* state (DET2) */
	u64 now;		/* virtual ns since boot (DET2; read by anyone) */
	unsigned int running;	/* the baton holder's cpu id (DET1) */
	u64 switches;		/* atomic: switch points passed, for the watchdog */
	int waiting_input;	/* atomic: all idle, blocked on typed input */
	unsigned int nr_deferred;	/* device work queued (DET2) */
	unsigned int max_deferred;	/* room in deferred[] */
	struct det_deferred {
		void (*fn)(void *arg);
		void *arg;
	} * deferred; /* in queueing order (DET2) */
} det;

static u64 det_random(void)
{
	det.rng ^= det.rng >> 12;
	det.rng ^= det.rng << 25;
	det.rng ^= det.rng >> 27;
	return det.rng * 0x2545f4914f6cdd1dULL;
}

/*
 * Kernel code that loops without a switch point (no arch_cpu_relax(), no
 * interrupt enable) would stall a deterministic run for ever: every other
 * vCPU waits for the baton and virtual time stands still. The watchdog
 * turns that into a panic on the looping vCPU, whose stack shows the loop.
 */
static void watchdog_fire(int sig)
{
	host_irq_mask_now();
	panic("deterministic mode: CPU %u ran %d s without a switch point "
	      "(a loop without arch_cpu_relax()?)", arch_smp_processor_id(),
	      DET_WATCHDOG_S);
}

static void *watchdog_thread(void *arg)
{
	u64 last = U64_MAX;
	unsigned int still = 0;

	for (;;) {
		u64 n = __atomic_load_n(&det.switches, __ATOMIC_RELAXED);

		sleep(1);
		if (n != last || __atomic_load_n(&det.waiting_input, __ATOMIC_RELAXED))
			still = 0;
		else if (++still >= DET_WATCHDOG_S)
			break;
		last = n;
	}
	pthread_kill(host_vcpus[__atomic_load_n(&det.running, __ATOMIC_ACQUIRE)].thread,
		     HOST_SIGWATCHDOG);
	return NULL;
}

static void start_watchdog(void)
{
	struct sigaction sa = { 0 };
	sigset_t all, old;
	pthread_t t;

	sa.sa_handler = watchdog_fire;
	sigemptyset(&sa.sa_mask);
	sigaction(HOST_SIGWATCHDOG, &sa, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, NULL, watchdog_thread, NULL))
		fprintf(stderr, "quire-host: no deterministic-mode watchdog\n");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void det_init(u64 seed)
{
	det.rng = seed * 0x9e3779b97f4a7c15ULL + 0x5851f42d4c957f2dULL;
	if (!det.rng)
		det.rng = 1;
	det.running = 0;
	start_watchdog();
}

u64 det_clock_ns(void)
{
	return __atomic_load_n(&det.now, __ATOMIC_RELAXED);
}

static bool det_runnable(struct vcpu *v)
{
	return v->det_state == DET_RUNNABLE ||
	       (v->det_state == DET_IDLE &&
		__atomic_load_n(&v->pending, __ATOMIC_ACQUIRE));
}

static struct vcpu *det_pick(void)
{
	struct vcpu *cand[MAX_CPUS];
	unsigned int n = 0;

	for (unsigned int i = 0; i < platform.nr_cpus; i++)
		if (det_runnable(&host_vcpus[i]))
			cand[n++] = &host_vcpus[i];
	return n ? cand[det_random() % n] : NULL;
}

static void det_poll_events(void)
{
	host_fire_due_ticks(det.now);
	if (host_console_input_ready())
		host_raise_irq(0, HOST_IRQ_CONSOLE);
}

static void __noreturn det_deadlock(void)
{
	static const char msg[] =
		"deterministic mode: every CPU idle, no timer, no input: deadlock\n";

	write(STDERR_FILENO, msg, sizeof(msg) - 1);
	arch_poweroff(PANIC_EXIT_STATUS);
}

/* Every vCPU idles: jump to the next tick, or wait for typed input. */
static void det_wait_for_event(void)
{
	u64 next = host_fire_due_ticks(det.now);

	if (next != U64_MAX) {
		__atomic_store_n(&det.now, max(next, det.now), __ATOMIC_RELAXED);
		return;
	}
	if (!host_cfg.interactive || host_console_input_closed())
		det_deadlock();
	__atomic_store_n(&det.waiting_input, 1, __ATOMIC_RELAXED);
	while (!host_console_input_ready()) {
		u32 head = __atomic_load_n(host_console_input_word(), __ATOMIC_ACQUIRE);

		if (host_console_input_ready())
			break;
		host_futex_wait(host_console_input_word(), head, 0);
	}
	__atomic_store_n(&det.waiting_input, 0, __ATOMIC_RELAXED);
}

static void det_wait_turn(struct vcpu *self)
{
	for (;;) {
		u32 turn = __atomic_load_n(&self->det_turn, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&det.running, __ATOMIC_ACQUIRE) == self->id)
			return;
		host_futex_wait(&self->det_turn, turn, 0);
	}
}

static void det_handoff(struct vcpu *self, struct vcpu *next)
{
	__atomic_store_n(&det.running, next->id, __ATOMIC_RELEASE);
	__atomic_fetch_add(&next->det_turn, 1, __ATOMIC_RELEASE);
	host_futex_wake(&next->det_turn);
	det_wait_turn(self);
}

/*
 * Host devices in deterministic mode: a device (e.g. the hostdisk) that
 * would wake its own worker thread instead queues its work here, and the
 * baton holder runs it at a later switch point that the PRNG picks, "in
 * device time": with its interrupt flag masked, outside any kernel lock
 * (switch points are never inside one). So I/O completions, like
 * everything else, happen at reproducible points. A (fn, arg) pair already
 * queued is not queued twice. Context: the baton holder (one vCPU runs,
 * so libc's allocator is safe here).
 */
void host_det_defer(void (*fn)(void *arg), void *arg)
{
	for (unsigned int i = 0; i < det.nr_deferred; i++)
		if (det.deferred[i].fn == fn && det.deferred[i].arg == arg)
			return;
	if (det.nr_deferred == det.max_deferred) {
		unsigned int n = det.max_deferred ? 2 * det.max_deferred : 16;
		void *p = realloc(det.deferred, n * sizeof(*det.deferred));

		if (!p) {
			fprintf(stderr, "quire-host: out of memory for device work\n");
			arch_poweroff(PANIC_EXIT_STATUS);
		}
		det.deferred = p;
		det.max_deferred = n;
	}
	det.deferred[det.nr_deferred].fn = fn;
	det.deferred[det.nr_deferred].arg = arg;
	det.nr_deferred++;
}

/* Run the oldest deferred item (all of them when @all). */
static void det_run_deferred(bool all)
{
	struct vcpu *self = host_this_vcpu();
	int saved = self->irqs_off;

	self->irqs_off = 1;
	self->det_in_deferred = true;
	barrier();
	while (det.nr_deferred) {
		void (*fn)(void *) = det.deferred[0].fn;
		void *arg = det.deferred[0].arg;

		det.nr_deferred--;
		for (unsigned int i = 0; i < det.nr_deferred; i++)
			det.deferred[i] = det.deferred[i + 1];
		fn(arg);
		if (!all)
			break;
	}
	barrier();
	self->det_in_deferred = false;
	self->irqs_off = saved;
}

/* Context: the baton holder @self. Returns holding the baton again. */
static void det_schedule(struct vcpu *self)
{
	struct vcpu *next;

	__atomic_store_n(&det.now, det.now + DET_QUANTUM_NS, __ATOMIC_RELAXED);
	__atomic_fetch_add(&det.switches, 1, __ATOMIC_RELAXED);
	if (det.nr_deferred && det_random() % 4 == 0)
		det_run_deferred(false);
	for (;;) {
		det_poll_events();
		next = det_pick();
		if (next)
			break;
		if (det.nr_deferred) {	/* every CPU waits: the device works */
			det_run_deferred(true);
			continue;
		}
		det_wait_for_event();
	}
	if (next != self)
		det_handoff(self, next);
}

void det_switch_point(void)
{
	struct vcpu *self = host_this_vcpu();

	if (self)
		det_schedule(self);
}

/*
 * A seeded scheduling point (arch/host/sched_point.c) reached by the baton
 * holder @v: one time in @rate, a switch point whose next holder the PRNG
 * picks, then a preemption of @v's task one time in two. Points inside
 * device work (det_run_deferred()) do not fire: that runs inside
 * det_schedule() already. The PRNG is the baton's (DET2), so the choices
 * replay with the seed.
 */
bool det_sched_point(struct vcpu *v, unsigned int rate)
{
	if (v->det_in_deferred || det_random() % rate)
		return false;
	det_schedule(v);
	return det_random() % 2 == 0;
}

/* arch_cpu_idle(): give the baton away until an interrupt is pending. */
void det_idle(struct vcpu *v)
{
	v->det_state = DET_IDLE;
	do {
		det_schedule(v);
		v = host_this_vcpu();
	} while (!__atomic_load_n(&v->pending, __ATOMIC_ACQUIRE));
	v->det_state = DET_RUNNABLE;
}

/* Context: the baton holder, booting @v. */
void det_vcpu_created(struct vcpu *v)
{
	v->det_state = DET_RUNNABLE;
}

/* Context: @v's new thread, before any kernel code. */
void det_vcpu_wait_first_turn(struct vcpu *v)
{
	det_wait_turn(v);
}

void det_stop_others(void)
{
	struct vcpu *self = host_this_vcpu();

	for (unsigned int i = 0; i < platform.nr_cpus; i++)
		if (&host_vcpus[i] != self && host_vcpus[i].det_state != DET_OFFLINE)
			host_vcpus[i].det_state = DET_STOPPED;
}

/* Context: the baton holder @v; its first tick is one period from now. */
void det_tick_started(struct vcpu *v)
{
	v->next_tick_ns = det.now + v->tick_period_ns;
}
