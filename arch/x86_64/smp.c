/*
 * arch/x86_64/smp.c - starting secondary CPUs, IPIs, TLB shootdown,
 * stopping CPUs for panic.
 *
 * Layer: arch/x86_64. Provides: arch_boot_secondary(), arch_send_ipi(),
 * arch_stop_other_cpus(), flush_tlb_all(), x86_smp_init_ipis(),
 * x86_secondary_entry() (first C code on an AP).
 *
 * Start-up (Intel SDM 8.4.4, "MP initialization"): the boot CPU copies
 * trampoline.S to 0x8000, builds a temporary PML4 next to it, fills the
 * parameter block, then sends INIT, waits 10 ms, and sends two STARTUP
 * IPIs (vector 0x08 = page 0x8000) 200 us apart. The AP reports in by
 * storing its id in ap_alive, after which the boot CPU logs "CPU n up
 * (APIC id, node)".
 *   SMP1 the first C code of the AP claims its start (ap_expected: cpu to
 *        cpu | AP_CLAIMED, one compare-and-exchange) before it changes
 *        anything shared (its online flag); the boot CPU gives a start up
 *        only with the opposite exchange (cpu to 0). Exactly one wins. If
 *        the boot CPU wins (no answer within AP_TIMEOUT_MS), the AP gets
 *        another INIT (back to waiting for a SIPI), and if it gets past
 *        the trampoline anyway it finds ap_expected changed and parks:
 *        -ETIMEDOUT. If the AP wins, it is running our code with
 *        interrupts off and nothing to wait for, so the boot CPU waits
 *        for it to report in, however slow: an INIT then would leave a
 *        CPU marked online that never answers again (every later TLB
 *        shootdown waited for it for ever).
 *
 * IPIs use one vector per type (allocated at init, same on every CPU).
 * TLB shootdown, as Linux's smp_call_function_many_cond() copies the
 * online mask into cfd->cpumask once:
 *   TLB1 the targets are one snapshot of the online CPUs other than the
 *        sender, taken once (after tlb_lock, a full barrier); the IPIs go
 *        to exactly that mask. A CPU that comes online meanwhile is not
 *        sent one: it flushes its own TLB after setting its online flag,
 *        so a change that a snapshot without it followed is seen there.
 *   TLB2 tlb_pending holds the targets that have not flushed yet; each
 *        CPU clears only its own bit, so an acknowledgement that was not
 *        waited for changes nothing (a counter would go below zero).
 *   The sender waits until tlb_pending is empty.
 * Its atomics are raw __atomic builtins, so the path marks its own
 * scheduling points (sched_point(), live only in `make kernel-sp`): after
 * an online store, after the online reads, after an acknowledgement.
 *
 * Locking: boot_lock serialises arch_boot_secondary() (one trampoline);
 * tlb_lock serialises shootdowns (one tlb_pending).
 * flush_tlb_all() must be called with interrupts enabled: two CPUs each
 * waiting for the other's acknowledgement with interrupts off would hang.
 */
#include <quire/bug.h>
#include <quire/errno.h>
#include <quire/kernel.h>
#include <quire/printk.h>
#include <quire/platform.h>
#include <quire/spinlock.h>
#include <quire/string.h>
#include <quire/shell.h>
#include <quire/smp.h>
#include <quire/sched_point.h>
#include <arch/cpu.h>
#include <arch/power.h>
#include <arch/memory.h>
#include <arch/time.h>
#include <asm/apic.h>
#include <asm/desc.h>
#include <asm/idt.h>
#include <asm/processor.h>
#include <asm/percpu.h>
#include <asm/smp.h>
#include <asm/time.h>

#define AP_TIMEOUT_MS		2000
#define TRAMP_PML4		(TRAMPOLINE_PHYS + 0x1000)
#define TRAMP_PDPT		(TRAMPOLINE_PHYS + 0x2000)
#define TRAMP_PD		(TRAMPOLINE_PHYS + 0x3000)
#define PTE_P			0x1ULL
#define PTE_W			0x2ULL
#define PTE_PS			0x80ULL
#define EFER_LMA		BIT(10)
#define AP_CLAIMED		0x80000000u /* | cpu in ap_expected: SMP1 */

enum { IPI_TLB = NR_IPI_TYPES, NR_X86_IPIS };
#define NMI_VECTOR		2

int x86_ipi_vector[NR_X86_IPIS];

static DEFINE_SPINLOCK(boot_lock);		/* one AP in the trampoline */
static unsigned int ap_expected;		/* cpu being started, 0: none (SMP1) */
static unsigned int ap_alive;			/* cpu that reported in */

/* Tests only (smp_test_ap_delay_ms=): an AP waits this long between
 * marking itself online and reporting in, as a slow vCPU would. */
static u64 ap_test_delay_ns;

static DEFINE_SPINLOCK(tlb_lock);		/* one shootdown at a time */
static struct cpumask tlb_pending;		/* targets yet to flush (TLB2) */
static bool stopping;				/* set once, by panic */
void (*x86_tlb_shootdown_hook)(void);

bool x86_cpu_is_online(unsigned int cpu)
{
	return cpu < MAX_CPUS && __atomic_load_n(&x86_percpu[cpu].online,
						 __ATOMIC_ACQUIRE);
}

unsigned int x86_cpus_online(void)
{
	unsigned int n = 0;

	for (unsigned int cpu = 0; cpu < platform.nr_cpus; cpu++)
		n += x86_cpu_is_online(cpu);
	return n;
}

/* --- start-up --- */

/*
 * First C code on an AP: kernel page tables, its own stack, IRQs off, but
 * still the trampoline's GDT (no longer mapped) and no IDT: nothing may
 * fault before x86_cpu_tables_init().
 */
void __noreturn x86_secondary_entry(unsigned int cpu);
void __noreturn x86_secondary_entry(unsigned int cpu)
{
	unsigned int want = cpu;

	/* SMP1: claim the start, or park if the boot CPU gave it up. */
	if (!__atomic_compare_exchange_n(&ap_expected, &want, cpu | AP_CLAIMED, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		for (;;)	/* woke up after its boot timed out: park */
			__asm__ __volatile__("cli; hlt");
	}
	x86_cpu_tables_init(cpu);
	x86_percpu_init(cpu);
	apic_setup_this_cpu();
	__atomic_store_n(&x86_percpu[cpu].online, true, __ATOMIC_SEQ_CST);
	sched_point(SP_ATOMIC); /* a shootdown may read the flag here */
	/* TLB1: a shootdown whose snapshot missed us changed the tables
	 * before it read our flag; drop what we cached before that. */
	flush_tlb_local();
	if (ap_test_delay_ns)
		x86_udelay_ns(ap_test_delay_ns);
	__atomic_store_n(&ap_alive, cpu, __ATOMIC_RELEASE);
	start_secondary(cpu);
}

/* Temporary PML4: the kernel's, plus low 2 MiB identity if slot 0 is empty. */
static void build_trampoline_tables(void)
{
	u64 *pml4 = __va(TRAMP_PML4), *pdpt = __va(TRAMP_PDPT);
	u64 *pd = __va(TRAMP_PD);

	memcpy(pml4, __va(read_cr3() & PAGE_MASK & ~(1ULL << 63)), PAGE_SIZE);
	if (pml4[0] & PTE_P)
		return;
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	pd[0] = 0 | PTE_P | PTE_W | PTE_PS;
	pdpt[0] = TRAMP_PD | PTE_P | PTE_W;
	pml4[0] = TRAMP_PDPT | PTE_P | PTE_W;
}

static void prepare_trampoline(unsigned int cpu, void *stack, size_t size)
{
	size_t len = trampoline_end - trampoline_start;
	struct trampoline_params *tp;

	memcpy(__va(TRAMPOLINE_PHYS), trampoline_start, len);
	build_trampoline_tables();
	tp = __va(TRAMPOLINE_PHYS + (trampoline_params - trampoline_start));
	tp->pml4 = TRAMP_PML4;
	tp->efer = rdmsr(MSR_EFER) & ~EFER_LMA;	/* LMA is set by the CPU */
	tp->cr4 = read_cr4();
	tp->cr3 = read_cr3();
	tp->stack = ALIGN_DOWN((u64)(uintptr_t)stack + size, 16);
	tp->entry = (u64)(uintptr_t)x86_secondary_entry;
	tp->cpu = cpu;
	tp->cr0 = read_cr0();
}

/* smp_test_ap_delay_ms=N (tests only): see ap_test_delay_ns. */
static void read_ap_test_delay(void)
{
	char buf[16];
	unsigned int ms;

	if (cmdline_get("smp_test_ap_delay_ms", buf, sizeof(buf)) &&
	    !kstrtouint(buf, 10, &ms) && ms <= 60000)
		ap_test_delay_ns = ms * 1000000ULL;
}

static bool wait_for_ap(unsigned int cpu, u64 timeout_ns)
{
	u64 end = arch_clock_ns() + timeout_ns;

	while (arch_clock_ns() < end) {
		if (__atomic_load_n(&ap_alive, __ATOMIC_ACQUIRE) == cpu)
			return true;
		arch_cpu_relax();
	}
	return false;
}

/*
 * SMP1: true if the start of @cpu is given up (the AP never claimed it; it
 * parks if it comes later). False if the AP claimed it: it is past the
 * point where an INIT could be sent, so wait for it to report in.
 */
static bool give_up_ap(unsigned int cpu)
{
	unsigned int want = cpu;

	if (__atomic_compare_exchange_n(&ap_expected, &want, 0, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return true;
	pr_warn("smp: CPU %u is slow to report in; waiting for it\n", cpu);
	while (__atomic_load_n(&ap_alive, __ATOMIC_ACQUIRE) != cpu)
		arch_cpu_relax();
	return false;
}

static void send_init_sipi(u32 apic_id)
{
	apic_send_icr(apic_id, APIC_DM_INIT | APIC_ICR_LEVEL | APIC_ICR_ASSERT);
	x86_udelay_ns(10 * 1000 * 1000);
	for (int i = 0; i < 2; i++) {
		apic_send_icr(apic_id, APIC_DM_STARTUP | (TRAMPOLINE_PHYS >> 12));
		x86_udelay_ns(200 * 1000);
	}
}

int arch_boot_secondary(unsigned int cpu, void *stack, size_t stack_size)
{
	int err = 0;

	if (cpu == 0 || cpu >= platform.nr_cpus || !stack || stack_size < 4096)
		return -EINVAL;
	if (!apic_ready())
		return -ENODEV;
	if (x86_cpu_is_online(cpu))
		return -EBUSY;		/* an INIT would reset it under its tasks */
	spin_lock(&boot_lock);
	read_ap_test_delay();
	prepare_trampoline(cpu, stack, stack_size);
	__atomic_store_n(&ap_alive, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&ap_expected, cpu, __ATOMIC_RELEASE);
	send_init_sipi(platform.cpu_hwid[cpu]);
	if (wait_for_ap(cpu, AP_TIMEOUT_MS * 1000000ULL) || !give_up_ap(cpu)) {
		pr_info("smp: CPU %u up (APIC id %u, node %d)\n", cpu,
			platform.cpu_hwid[cpu], platform.cpu_node[cpu]);
	} else {
		pr_err("smp: CPU %u (APIC id %u) did not start in %d ms\n", cpu,
		       platform.cpu_hwid[cpu], AP_TIMEOUT_MS);
		/* Back to wait-for-SIPI, so it cannot wake up later and run
		 * with the next CPU's parameters. */
		apic_send_icr(platform.cpu_hwid[cpu],
			      APIC_DM_INIT | APIC_ICR_LEVEL | APIC_ICR_ASSERT);
		err = -ETIMEDOUT;
	}
	__atomic_store_n(&ap_expected, 0, __ATOMIC_RELEASE);
	spin_unlock(&boot_lock);
	return err;
}

/* --- IPIs --- */

void arch_send_ipi(unsigned int cpu, enum ipi_type type)
{
	if (cpu >= platform.nr_cpus || (unsigned int)type >= NR_IPI_TYPES ||
	    x86_ipi_vector[type] <= 0)
		return;
	apic_send_icr(platform.cpu_hwid[cpu], APIC_DM_FIXED | x86_ipi_vector[type]);
}

static void ipi_handler(void *data)
{
	this_cpu()->ipis++;
	handle_ipi((enum ipi_type)(uintptr_t)data);
}

static inline void write_cr4(u64 v)
{
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory");
}

void flush_tlb_local(void)
{
	u64 cr4 = read_cr4();
	unsigned long flags = arch_local_irq_save();

	if (cr4 & BIT(7)) {		/* PGE: toggling it drops global entries */
		write_cr4(cr4 & ~BIT(7));
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
	arch_local_irq_restore(flags);
}

static void tlb_ipi_handler(void *data)
{
	unsigned int self = arch_smp_processor_id();

	this_cpu()->ipis++;
	this_cpu()->tlb_flushes++;
	flush_tlb_local();
	/* TLB2: only our own bit; an IPI we were not counted for is a no-op. */
	cpumask_clear_cpu(self, &tlb_pending);
	sched_point(SP_ATOMIC); /* raw __atomic: no point of its own */
}

/* TLB1: the CPUs to flush, read once: online ones other than @self. */
static struct cpumask tlb_targets(unsigned int self)
{
	struct cpumask m = CPU_MASK_NONE;

	for (unsigned int cpu = 0; cpu < platform.nr_cpus; cpu++)
		if (cpu != self && x86_cpu_is_online(cpu))
			m.bits |= 1ULL << cpu;
	return m;
}

void flush_tlb_all(void)
{
	struct cpumask targets;
	unsigned int cpu;
	unsigned long flags;

	if (!apic_ready() || x86_ipi_vector[IPI_TLB] <= 0) {
		flush_tlb_local();
		return;
	}
	WARN_ON_ONCE(arch_irqs_disabled());	/* may deadlock: see the top */
	spin_lock(&tlb_lock);
	flags = arch_local_irq_save();
	targets = tlb_targets(arch_smp_processor_id());
	__atomic_store_n(&tlb_pending.bits, targets.bits, __ATOMIC_RELEASE);
	sched_point(SP_ATOMIC); /* after the online reads: a CPU may change */
	if (x86_tlb_shootdown_hook)
		x86_tlb_shootdown_hook();
	for_each_cpu(cpu, &targets) /* TLB1: the snapshot, not the live state */
		apic_send_icr(platform.cpu_hwid[cpu], x86_ipi_vector[IPI_TLB]);
	flush_tlb_local();
	arch_local_irq_restore(flags);
	while (__atomic_load_n(&tlb_pending.bits, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	spin_unlock(&tlb_lock);
}

static void __noreturn stop_this_cpu(void)
{
	__atomic_store_n(&this_cpu()->online, false, __ATOMIC_RELEASE);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

/* An NMI is either panic's stop request or a real (fatal) NMI. */
static void nmi_handler(struct pt_regs *regs, void *data)
{
	if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
		stop_this_cpu();
	x86_die(regs, "NMI");
}

/* By NMI, so CPUs spinning with interrupts off stop too. Waits up to
 * 100 ms for them to mark themselves offline. */
void arch_stop_other_cpus(void)
{
	u64 end;

	if (!apic_ready())
		return;
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	apic_send_icr(0, APIC_DEST_ALLBUT | APIC_DM_NMI);
	end = arch_clock_ns() + 100 * 1000 * 1000ULL;
	while (x86_cpus_online() > 1 && arch_clock_ns() < end)
		arch_cpu_relax();
	if (x86_cpus_online() > 1)
		pr_emerg("smp: %u CPUs did not stop\n", x86_cpus_online() - 1);
}

static int cmd_interrupts(int argc, char **argv)
{
	if (argc != 1) {
		shell_error(argv[0], "usage: interrupts");
		return -EINVAL;
	}
	cprintf("clock: TSC %llu Hz, LAPIC timer %llu Hz, tick %u Hz\n",
		(unsigned long long)x86_tsc_hz(),
		(unsigned long long)apic_timer_hz(), x86_tick_hz());
	cprintf("CPU APIC NODE ONLINE        TICKS         IPIS  TLB-FLUSHES\n");
	for (unsigned int cpu = 0; cpu < platform.nr_cpus; cpu++) {
		struct x86_percpu *p = per_cpu_ptr(cpu);

		cprintf("%3u %4u %4d %6s %12llu %12llu %12llu\n", cpu,
			platform.cpu_hwid[cpu], platform.cpu_node[cpu],
			x86_cpu_is_online(cpu) ? "yes" : "no",
			(unsigned long long)READ_ONCE(p->ticks),
			(unsigned long long)READ_ONCE(p->ipis),
			(unsigned long long)READ_ONCE(p->tlb_flushes));
	}
	return 0;
}
SHELL_COMMAND(interrupts, "interrupts", "interrupts",
	      "clock rates; per-CPU ticks, IPIs, TLB shootdowns", cmd_interrupts);

int x86_smp_init_ipis(void)
{
	x86_ipi_vector[IPI_RESCHEDULE] =
		x86_request_vector(ipi_handler, (void *)(uintptr_t)IPI_RESCHEDULE);
	x86_ipi_vector[IPI_CALL_FUNCTION] =
		x86_request_vector(ipi_handler, (void *)(uintptr_t)IPI_CALL_FUNCTION);
	x86_ipi_vector[IPI_TLB] = x86_request_vector(tlb_ipi_handler, NULL);
	for (int i = 0; i < NR_X86_IPIS; i++) {
		if (x86_ipi_vector[i] < 0) {
			pr_err("smp: no vector for IPI %d\n", i);
			return -ENOSPC;
		}
	}
	if (x86_register_vector(NMI_VECTOR, nmi_handler, NULL))
		pr_err("smp: NMI vector taken; panic cannot stop other CPUs\n");
	__atomic_store_n(&this_cpu()->online, true, __ATOMIC_RELEASE);
	return 0;
}
