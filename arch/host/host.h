/*
 * arch/host/host.h - internal interface of arch/host (the core as a Linux
 * process). Not seen by kernel/, mm/, block/, fs/: they use include/arch/.
 *
 * Model (docs/host.md): each kernel CPU is a pthread, a "vCPU". Its
 * interrupt flag is a plain per-vCPU variable. Interrupts (tick, IPIs,
 * console input, MSI vectors) are bits in vcpu->pending, delivered when
 * the flag is on: at once by a real-time signal (signal mode), or at the
 * next interrupt-enable / cpu_relax / idle point (poll mode, used under
 * ThreadSanitizer, and deterministic mode, where a baton lets exactly one
 * vCPU run at a time).
 */
#ifndef ARCH_HOST_HOST_H
#define ARCH_HOST_HOST_H

#include <pthread.h>
#include <signal.h>
#include <quire/compiler.h>
#include <quire/platform.h>
#include <arch/cpu.h>
#include <arch/irq.h>

#define HOST_SIGIRQ	(SIGRTMIN + 1)	/* "an interrupt is pending" (signal mode) */

/* Interrupt numbers: bit numbers in vcpu->pending. */
#define HOST_IRQ_TIMER		0
#define HOST_IRQ_CONSOLE	1
#define HOST_IRQ_IPI_BASE	2	/* + enum ipi_type */
#define HOST_IRQ_MSI_BASE	8	/* + MSI handle */
#define HOST_NR_MSI		(64 - HOST_IRQ_MSI_BASE)

/* Deterministic-mode states of a vCPU (only the baton holder changes them). */
enum det_state {
	DET_OFFLINE,	/* not started */
	DET_RUNNABLE,	/* may be given the baton */
	DET_IDLE,	/* in arch_cpu_idle(): runnable only with pending interrupts */
	DET_STOPPED,	/* arch_stop_other_cpus(): never runs again */
};

struct vcpu {
	unsigned int id;
	pthread_t thread;
	int started;		/* atomic: the pthread runs (set once) */
	int stopped;		/* atomic: parked by arch_stop_other_cpus() */
	u64 pending;		/* atomic: interrupts raised, not yet handled */
	u32 kick;		/* futex: bumped to end an idle wait */
	int idle;		/* atomic: waiting in arch_cpu_idle() */
	volatile int irqs_off;	/* the interrupt flag; written only by this vCPU */
	volatile int preempt_deferred; /* an interrupt's preemption point was
					 * skipped (it interrupted libc); this
					 * vCPU's thread only */
	u64 tick_period_ns;	/* atomic: 0 = no tick on this vCPU */
	u64 next_tick_ns;	/* guarded by the tick owner (timer thread or baton) */
	stack_t altstack;	/* for the fault handler */
	int det_state;		/* enum det_state */
	u32 det_turn;		/* futex: bumped when the baton is handed over */
	bool det_in_deferred;	/* running device work: points do not fire */
	u64 sp_rng;		/* free-running sched points' PRNG (this vCPU only) */
};

struct host_config {
	unsigned int cpus;
	unsigned int nodes;
	u64 mem_bytes;
	u64 seed;
	bool deterministic;	/* one vCPU at a time, virtual time */
	unsigned int sched_points; /* 0 off, else a point fires 1 time in N */
	bool async_irqs;	/* signal mode (else poll mode) */
	bool interactive;	/* no --exec: the console reads stdin */
};

extern struct host_config host_cfg;
extern struct vcpu host_vcpus[MAX_CPUS];

/* vcpu.c */
struct vcpu *host_this_vcpu(void);	/* NULL on a non-vCPU thread */
void host_vcpu_init(void);		/* main thread becomes CPU 0 */
void host_raise_irq(unsigned int cpu, unsigned int irq);
void host_take_own_irqs(unsigned int cpu);
int host_irq_mask_raw(void);
void host_irq_unmask_raw(int saved);
extern void (*host_sp_masked_hook)(void);
void host_irq_mask_now(void);
/* May the interrupt signal, landing at @ip, switch threads? Only in our
 * own text outside the interrupt-flag code (vcpu.c, __irqflag_text). */
bool host_ip_may_switch(unsigned long ip);
bool host_vcpu_runs_irqs(struct vcpu *v);
void host_futex_wait(u32 *word, u32 val, u64 timeout_ns);
void host_futex_wake(u32 *word);

/* det.c: deterministic mode */
void det_init(u64 seed);
void det_switch_point(void);
void det_idle(struct vcpu *v);
void det_vcpu_created(struct vcpu *v);
void det_vcpu_wait_first_turn(struct vcpu *v);
void det_stop_others(void);
u64 det_clock_ns(void);
void det_tick_started(struct vcpu *v);
void host_det_defer(void (*fn)(void *arg), void *arg);
bool det_sched_point(struct vcpu *v, unsigned int rate);

/* time.c */
u64 host_monotonic_ns(void);
void host_time_init(void);
/* Raise HOST_IRQ_TIMER on every vCPU whose tick is due at @now; returns
 * the earliest next tick, or U64_MAX when no tick runs. */
u64 host_fire_due_ticks(u64 now);

/* boot.c: build the machine from host_cfg, run start_kernel() with
 * "exec=@exec" (NULL: none) appended to platform.cmdline; never returns.
 * host_cmdline_append() adds a word: 0, or -1 when it does not fit. */
void host_boot(const char *exec) __noreturn;
/* A write to a socket whose peer closed: its errno (host suite). */
int host_write_to_a_closed_socket(void);
int host_cmdline_append(const char *s);

/* console.c */
void host_console_init(void);
void host_console_interrupt(void);
bool host_console_input_ready(void);
bool host_console_input_closed(void);
u32 *host_console_input_word(void);
void host_console_restore_tty(void);

/* debug.c */
void host_debug_init(void);
void host_debug_vcpu_init(struct vcpu *v);

/* irq.c */
/* pci.c: the fake ECAM window into platform.pci_ecam[] (before start_kernel) */
void host_pci_init(void);
void host_msi_dispatch(unsigned int handle);
void host_msi_trigger(int handle);
/* Tests only: called by host_msi_dispatch() between reading the handler
 * and reading its data (hard interrupt, the vector's vCPU). */
extern void (*host_msi_dispatch_hook)(unsigned int handle);

#ifndef U64_MAX
#define U64_MAX (~0ULL)
#endif

#endif
