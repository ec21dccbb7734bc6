/*
 * arch/host/vcpu.c - virtual CPUs: one pthread per kernel CPU, its
 * interrupt flag, interrupt delivery, idling, IPIs, CPU bring-up and stop.
 *
 * Layer: arch/host. Provides: arch_smp_processor_id(), arch_local_irq_*(),
 * arch_cpu_relax(), arch_cpu_idle(), arch_send_ipi(), arch_boot_secondary(),
 * arch_stop_other_cpus(), host_raise_irq().
 *
 * Interrupt flag: vcpu->irqs_off, written only by the vCPU's own thread
 * (and its signal handler), so a compiler barrier orders it; no syscalls.
 *
 * Delivery: host_raise_irq() sets a bit in vcpu->pending (atomic OR), then
 * wakes the vCPU if it idles (futex on vcpu->kick) or, in signal mode,
 * sends it HOST_SIGIRQ. The handler returns at once when the flag is off: the
 * bit waits for arch_local_irq_enable()/restore(), which deliver it. So an
 * interrupt runs exactly where x86 would take it. Delivery = flag off,
 * irq_enter(), handlers, irq_exit(), preempt_schedule_irq() (it may switch
 * to another kernel thread from inside the signal handler: SA_NODEFER keeps
 * HOST_SIGIRQ unblocked in whatever context runs next), flag on.
 *
 * Migration: a kernel thread preempted on vCPU A may resume on vCPU B (the
 * scheduler moves it), so code here never keeps a vcpu pointer across a
 * call that may switch: host_this_vcpu() is re-read after each.
 *
 * Async-signal safety: the handler path calls only kernel interrupt code,
 * futex/pthread_kill/clock_gettime/write. Arch code that calls other libc
 * functions (pthread_create, dladdr, backtrace) masks interrupts around them
 * so no handler can preempt a libc lock holder.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "host.h"
#include <quire/bug.h>
#include <quire/printk.h>
#include <arch/time.h>

/*
 * Code that keeps a vcpu pointer across a write of its flag (or reads the
 * flag of the vCPU it ran on a moment ago). A signal landing here must not
 * switch threads: the task could resume on another vCPU's pthread and then
 * write the first vCPU's flag, masking the interrupts of whatever task runs
 * there now (which, in a cond_resched() loop, never unmasks: no tick, no
 * switch). The handler runs the interrupts and owes the preemption.
 *
 * Invariant HOSTIRQ1: every function that runs with such a pointer live,
 * callees included (host_this_vcpu(), which returns it), lies in this
 * section or is inlined into it; the only calls out are made with the
 * flag off (handlers) or re-read the pointer after (preempt_schedule_irq).
 * The handler checks only the innermost frame's ip, so a callee outside
 * the section is a hole: host_this_vcpu() was one (a signal after its TLS
 * load switched; arch_local_irq_save() then masked the vCPU the task had
 * left, under the task running there). irq_flag_set() panics on a write
 * to another vCPU's flag, so such a hole shows at once, not as a hang.
 */
#define __irqflag_text __attribute__((section("host_irqflag_text"), __noinline__))
extern char __start_host_irqflag_text[], __stop_host_irqflag_text[];

#define SIGSTOPCPU	(SIGRTMIN + 2)	/* arch_stop_other_cpus() */
#define VCPU_HOST_STACK	(512 * 1024)	/* bytes of a vCPU pthread's own stack */
#define BOOT_TIMEOUT_NS	(2 * 1000000000ULL)

struct host_config host_cfg;
struct vcpu host_vcpus[MAX_CPUS];
static __thread struct vcpu *this_vcpu_tls;

/*
 * Not inlined and not pure (the asm): each call reads the TLS of the
 * thread running *now*, even if the caller migrated since its last call.
 * Flag code itself (__irqflag_text): the flag functions call it with the
 * flag on and then write the flag of the vcpu it returned, so a signal
 * landing after its TLS load must not switch threads either, or the
 * caller gets the vcpu of the pthread it ran on before (HOSTIRQ1).
 */
__irqflag_text struct vcpu *host_this_vcpu(void)
{
	struct vcpu *v = this_vcpu_tls;

	__asm__ __volatile__("" : "+r"(v));
	return v;
}

void host_futex_wait(u32 *word, u32 val, u64 timeout_ns)
{
	struct timespec ts = { .tv_sec = timeout_ns / 1000000000ULL,
			       .tv_nsec = timeout_ns % 1000000000ULL };

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val,
		timeout_ns ? &ts : NULL, NULL, 0);
}

void host_futex_wake(u32 *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

unsigned int arch_smp_processor_id(void)
{
	struct vcpu *v = host_this_vcpu();

	return v ? v->id : 0;
}

/* Inlined into flag code, which keeps @v across it (HOSTIRQ1). */
static __always_inline bool irq_pending(struct vcpu *v)
{
	return __atomic_load_n(&v->pending, __ATOMIC_ACQUIRE) != 0;
}

/*
 * A flag write through a vcpu pointer read before the task last switched
 * (it now runs on another vCPU's pthread) would mask or unmask the
 * interrupts of whatever task runs on that vCPU now: a hang with a
 * pending tick and nothing to take it, or a critical section that is not
 * masked. Stop at once, naming the writer (HOSTIRQ1).
 */
static __noreturn noinline void irq_flag_wrong_vcpu(struct vcpu *v, int off, void *caller)
{
	struct vcpu *self = host_this_vcpu();

	self->irqs_off = 1; /* as host_irq_mask_now() */
	pr_emerg("BUG: CPU %u wrote the interrupt flag (%d) of CPU %u, at %pS\n",
		 self->id, off, v->id, caller);
	panic("arch/host: interrupt flag of another vCPU");
}

/* No switch can happen inside (__irqflag_text): the check is exact. */
__irqflag_text static void irq_flag_set(struct vcpu *v, int off)
{
	if (unlikely(v != host_this_vcpu()))
		irq_flag_wrong_vcpu(v, off, __builtin_return_address(0));
	barrier();
	v->irqs_off = off;
	barrier();
}

/* Run the handler of each pending interrupt. Context: flag off. */
static void handle_pending_irqs(void)
{
	u64 bits;

	while ((bits = __atomic_exchange_n(&host_this_vcpu()->pending, 0,
					   __ATOMIC_ACQ_REL))) {
		irq_enter();
		for (unsigned int irq = 0; irq < 64; irq++) {
			if (!(bits & BIT(irq)))
				continue;
			if (irq == HOST_IRQ_TIMER)
				timer_interrupt();
			else if (irq == HOST_IRQ_CONSOLE)
				host_console_interrupt();
			else if (irq < HOST_IRQ_IPI_BASE + NR_IPI_TYPES)
				handle_ipi((enum ipi_type)(irq - HOST_IRQ_IPI_BASE));
			else if (irq >= HOST_IRQ_MSI_BASE)
				host_msi_dispatch(irq - HOST_IRQ_MSI_BASE);
		}
		irq_exit();
	}
}

/*
 * Take every pending interrupt as if it arrived while the flag was on, the
 * way x86 would at sti: handlers, then a preemption point. Where that point
 * must be skipped (!@may_preempt: the signal interrupted libc), it is owed:
 * the next call that may preempt takes it even with nothing pending, so a
 * reschedule asked for by a handler is not left waiting for an interrupt
 * that happens to land in our own code (a task spinning through
 * arch_cpu_relax(), mostly inside sched_yield(), could wait for ever).
 * Context: flag on at entry and on return (possibly on another vCPU).
 */
__irqflag_text static void take_irqs(bool may_preempt)
{
	struct vcpu *v = host_this_vcpu();

	while (irq_pending(v) || (may_preempt && v->preempt_deferred)) {
		irq_flag_set(v, 1);
		handle_pending_irqs();
		if (may_preempt) {
			v->preempt_deferred = 0;
			preempt_schedule_irq();
		} else {
			v->preempt_deferred = 1;
		}
		v = host_this_vcpu();
		irq_flag_set(v, 0);
	}
}

__irqflag_text static void take_irqs_enabled(void)
{
	take_irqs(true);
}

/*
 * The signal interrupted our own code (the program's text), not libc, the
 * vDSO or a sanitizer runtime, which may hold a lock that the next kernel
 * thread on this pthread would then wait for forever (malloc's arena lock).
 * Only then may the handler switch threads; elsewhere the interrupt is
 * handled and preemption waits for the next interrupt or enable point
 * (as Linux does not preempt where preempt_count forbids it).
 */
bool host_ip_may_switch(unsigned long ip)
{
	extern char __executable_start[], etext[];

	if (ip >= (unsigned long)__start_host_irqflag_text &&
	    ip < (unsigned long)__stop_host_irqflag_text)
		return false; /* a vcpu pointer is live: see __irqflag_text */
	return ip >= (unsigned long)__executable_start && ip < (unsigned long)etext;
}

static bool interrupted_own_code(const ucontext_t *uc)
{
	return host_ip_may_switch(uc->uc_mcontext.gregs[REG_RIP]);
}

/* Flag code: a nested signal landing after @v is read must not switch
 * (the task would check another vCPU's flag and state). */
__irqflag_text static void sigirq_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int saved_errno = errno;
	struct vcpu *v = host_this_vcpu();

	if (!v || v->irqs_off || v->stopped)
		return;
	take_irqs(interrupted_own_code(uc));
	/*
	 * We may return on another vCPU's thread: sigreturn must not install
	 * the first thread's alternate stack on this one.
	 */
	uc->uc_stack = host_this_vcpu()->altstack;
	errno = saved_errno;
}

/* Parked for good: panic on another CPU. */
static void sigstop_handler(int sig)
{
	struct vcpu *v = host_this_vcpu();
	sigset_t none;

	if (v) {
		irq_flag_set(v, 1);
		__atomic_store_n(&v->stopped, 1, __ATOMIC_RELEASE);
	}
	sigfillset(&none);
	sigdelset(&none, SIGSEGV);
	for (;;)
		sigsuspend(&none);
}

/*
 * About to mask interrupts that are on: one may arrive just before, as on
 * hardware. A switch point in deterministic mode (so interleavings are
 * tried at both edges of every masked section) and a delivery point in
 * poll mode.
 */
__irqflag_text static void irq_before_disable(void)
{
	if (host_this_vcpu()->irqs_off)
		return;
	if (host_cfg.deterministic)
		det_switch_point();
	take_irqs_enabled();
}

__irqflag_text unsigned long arch_local_irq_save(void)
{
	unsigned long flags;

	irq_before_disable();
	flags = host_this_vcpu()->irqs_off;
	irq_flag_set(host_this_vcpu(), 1);
	return flags;
}

__irqflag_text void arch_local_irq_enable(void)
{
	if (host_cfg.deterministic)
		det_switch_point();
	irq_flag_set(host_this_vcpu(), 0);
	take_irqs_enabled();
}

__irqflag_text void arch_local_irq_restore(unsigned long flags)
{
	if (flags)
		irq_flag_set(host_this_vcpu(), 1);
	else
		arch_local_irq_enable();
}

__irqflag_text void arch_local_irq_disable(void)
{
	irq_before_disable();
	irq_flag_set(host_this_vcpu(), 1);
}

/*
 * Mask for a few instructions of arch code that a nested handler must not
 * interleave with (a per-vCPU PRNG step): no switch point, nothing taken
 * first. Returns the old flag for host_irq_unmask_raw().
 */
__irqflag_text int host_irq_mask_raw(void)
{
	struct vcpu *v = host_this_vcpu();
	int saved = v->irqs_off;

	irq_flag_set(v, 1);
	return saved;
}

/*
 * End a host_irq_mask_raw() section. Back on, it takes what arrived while
 * masked, as x86 does at sti: the signal for it found the flag off and
 * returned, and no further signal comes while the bit stays set (signals
 * are sent on a 0 -> pending transition only), so a bit left here would
 * wait for the next enable point, which a task looping through
 * cond_resched() never reaches: its CPU would get no tick.
 */
__irqflag_text void host_irq_unmask_raw(int saved)
{
	irq_flag_set(host_this_vcpu(), saved);
	if (!saved)
		take_irqs_enabled();
}

/* Mask without taking anything pending first (fault reports). */
__irqflag_text void host_irq_mask_now(void)
{
	irq_flag_set(host_this_vcpu(), 1);
}

bool arch_irqs_disabled(void)
{
	return host_this_vcpu()->irqs_off;
}

static __thread unsigned int relax_spins;	/* this pthread's spins */

void arch_cpu_relax(void)
{
	struct vcpu *v;

	__builtin_ia32_pause();
	if (host_cfg.deterministic)
		det_switch_point();
	v = host_this_vcpu();
	/* vCPUs outnumber host cores: a spinner that never yields keeps the
	 * lock holder (or the next ticket) off the core for a whole host
	 * timeslice, so ticket locks convoy. Yield now and then. */
	if (++relax_spins % 128 == 0)
		sched_yield();
	if (v && !v->irqs_off && (irq_pending(v) || v->preempt_deferred))
		take_irqs_enabled();
}

/* Sleep until an interrupt is pending. Context: flag off. */
static void idle_wait(struct vcpu *v)
{
	__atomic_store_n(&v->idle, 1, __ATOMIC_SEQ_CST);
	while (!irq_pending(v)) {
		u32 k = __atomic_load_n(&v->kick, __ATOMIC_SEQ_CST);

		if (irq_pending(v))
			break;
		host_futex_wait(&v->kick, k, 0);
	}
	__atomic_store_n(&v->idle, 0, __ATOMIC_SEQ_CST);
}

/*
 * Interrupts taken in idle do not preempt: the idle loop checks for work
 * itself when this returns (as Linux's idle does after the halt).
 */
void arch_cpu_idle(void)
{
	struct vcpu *v = host_this_vcpu();

	if (host_cfg.deterministic)
		det_idle(v);
	else
		idle_wait(v);
	handle_pending_irqs();
}

bool host_vcpu_runs_irqs(struct vcpu *v)
{
	return __atomic_load_n(&v->started, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&v->stopped, __ATOMIC_ACQUIRE);
}

/*
 * After raising an interrupt on @cpu: if that is the caller's own vCPU with
 * interrupts on, take it now (a self-IPI is not deferred on x86 either).
 */
__irqflag_text void host_take_own_irqs(unsigned int cpu)
{
	struct vcpu *v = host_this_vcpu();

	if (v && v->id == cpu && !v->irqs_off)
		take_irqs_enabled();
}

/* Context: any thread, including signal handlers. */
void host_raise_irq(unsigned int cpu, unsigned int irq)
{
	struct vcpu *v = &host_vcpus[cpu];
	u64 old = __atomic_fetch_or(&v->pending, BIT(irq), __ATOMIC_SEQ_CST);

	if (host_cfg.deterministic || !host_vcpu_runs_irqs(v))
		return;
	if (__atomic_load_n(&v->idle, __ATOMIC_SEQ_CST)) {
		__atomic_fetch_add(&v->kick, 1, __ATOMIC_SEQ_CST);
		host_futex_wake(&v->kick);
	} else if (host_cfg.async_irqs && v != host_this_vcpu() && !old) {
		/* Signal only a 0 -> pending transition: HOST_SIGIRQ is a
		 * queued real-time signal and the handler is SA_NODEFER, so
		 * one signal per interrupt nests handler frames without bound
		 * under an IPI storm (stack overflow). Bits already pending
		 * are taken by the signal in flight or at the next enable. */
		pthread_kill(v->thread, HOST_SIGIRQ);
	}
}

void arch_send_ipi(unsigned int cpu, enum ipi_type type)
{
	if (cpu >= platform.nr_cpus || type >= NR_IPI_TYPES) {
		pr_err("arch_send_ipi: bad cpu %u or type %d\n", cpu, type);
		return;
	}
	host_raise_irq(cpu, HOST_IRQ_IPI_BASE + type);
	host_take_own_irqs(cpu);
}

static void vcpu_enter(struct vcpu *v)
{
	this_vcpu_tls = v;
	v->thread = pthread_self();
	irq_flag_set(v, 1);
	host_debug_vcpu_init(v);
	__atomic_store_n(&v->started, 1, __ATOMIC_RELEASE);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	vcpu_enter(v);
	if (host_cfg.deterministic)
		det_vcpu_wait_first_turn(v);
	start_secondary(v->id);
}

static int wait_started(struct vcpu *v)
{
	u64 deadline = host_monotonic_ns() + BOOT_TIMEOUT_NS;
	struct timespec ms = { 0, 1000000 };

	while (!__atomic_load_n(&v->started, __ATOMIC_ACQUIRE)) {
		if (host_monotonic_ns() > deadline)
			return -ETIMEDOUT;
		nanosleep(&ms, NULL);
	}
	return 0;
}

/*
 * The vCPU's boot context runs on its pthread's own stack (as CPU 0's runs
 * on main()'s): sanitizers know that stack, and no switch is needed before
 * start_secondary(). @stack is left to the kernel (it may hold a canary).
 */
int arch_boot_secondary(unsigned int cpu, void *stack, size_t stack_size)
{
	struct vcpu *v;
	pthread_attr_t attr;
	unsigned long flags;
	int err;

	if (cpu == 0 || cpu >= platform.nr_cpus)
		return -EINVAL;
	v = &host_vcpus[cpu];
	if (__atomic_load_n(&v->started, __ATOMIC_ACQUIRE))
		return -EBUSY;
	flags = arch_local_irq_save();	/* pthread_create takes libc locks */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_HOST_STACK);
	err = pthread_create(&v->thread, &attr, vcpu_thread, v);
	pthread_attr_destroy(&attr);
	/* Only a vCPU with a thread may get the baton, and not before the
	 * next switch point (the restore below, with interrupts on). */
	if (!err && host_cfg.deterministic)
		det_vcpu_created(v);
	arch_local_irq_restore(flags);
	if (err)
		return -EAGAIN;
	if (host_cfg.deterministic)
		return 0;	/* it runs when the baton reaches it */
	return wait_started(v);
}

static void stop_wait(void)
{
	u64 deadline = host_monotonic_ns() + 200000000ULL;
	struct timespec ms = { 0, 1000000 };
	struct vcpu *self = host_this_vcpu();

	for (unsigned int i = 0; i < platform.nr_cpus; i++) {
		struct vcpu *v = &host_vcpus[i];

		if (v == self || !__atomic_load_n(&v->started, __ATOMIC_ACQUIRE))
			continue;
		while (!__atomic_load_n(&v->stopped, __ATOMIC_ACQUIRE) &&
		       host_monotonic_ns() < deadline)
			nanosleep(&ms, NULL);
	}
}

/*
 * Like an NMI: SIGSTOPCPU is taken whatever the interrupt flag. Under
 * TSan, whose runtime defers signals, a busy vCPU may not stop within the
 * wait; the caller powers off anyway.
 */
void arch_stop_other_cpus(void)
{
	struct vcpu *self = host_this_vcpu();

	if (host_cfg.deterministic) {
		det_stop_others();
		return;
	}
	for (unsigned int i = 0; i < platform.nr_cpus; i++) {
		struct vcpu *v = &host_vcpus[i];

		if (v != self && host_vcpu_runs_irqs(v))
			pthread_kill(v->thread, SIGSTOPCPU);
	}
	stop_wait();
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL)) {
		perror("quire-host: sigaction");
		exit(2);
	}
}

static void sigstop_action(int sig, siginfo_t *si, void *uc)
{
	sigstop_handler(sig);
}

/* Context: main thread, before start_kernel(). */
void host_vcpu_init(void)
{
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		host_vcpus[i].id = i;
		host_vcpus[i].det_state = DET_OFFLINE;
	}
	if (host_cfg.async_irqs)
		install(HOST_SIGIRQ, sigirq_handler, SA_NODEFER | SA_RESTART);
	install(SIGSTOPCPU, sigstop_action, SA_RESTART);
	vcpu_enter(&host_vcpus[0]);
	host_vcpus[0].det_state = DET_RUNNABLE;
}
