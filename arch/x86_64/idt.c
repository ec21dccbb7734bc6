/*
 * arch/x86_64/idt.c - the IDT, the vector registry and the panic report
 * for exceptions.
 *
 * Layer: arch/x86_64. Provides: idt_init(), x86_load_idt(),
 * x86_register_vector(), x86_alloc_vector(), x86_reserve_vector(),
 * x86_die(), and
 * x86_handle_interrupt() (called by entry.S for every vector).
 *
 * Locking: vector_lock (a raw spinning lock, interrupts off) guards the
 * registry's writers; the interrupt path reads handlers[] without it
 * (a handler is published with a release store after its data).
 */
#include <quire/bug.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/kernel.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <arch/debug.h>
#include <arch/power.h>
#include <arch/console.h>
#include <asm/idt.h>
#include <asm/desc.h>
#include <asm/layout.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/stacktrace.h>
#include <asm/setup.h>

#define IDT_INTERRUPT_GATE	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define VECTOR_RESERVED		((void (*)(struct pt_regs *, void *))1)
#define X86_TRAP_PF		14
#define BACKTRACE_DEPTH		24

struct idt_entry {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

struct vector_handler {
	void (*fn)(struct pt_regs *regs, void *data);
	void *data;
};

extern char isr_stubs[], _text[], _etext[];
extern bool panic_in_progress;

static struct idt_entry idt[NR_VECTORS] __aligned(16);
static struct vector_handler handlers[NR_VECTORS];
static int vector_lock;

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved (15)", "x87 floating-point exception",
	"alignment check", "machine check", "SIMD floating-point exception",
	"virtualization exception", "control protection exception",
	"reserved (22)", "reserved (23)", "reserved (24)", "reserved (25)",
	"reserved (26)", "reserved (27)", "hypervisor injection exception",
	"VMM communication exception", "security exception", "reserved (31)",
};

static void set_gate(unsigned int v, u64 addr, u8 ist)
{
	struct idt_entry *e = &idt[v];

	e->offset_low = addr & 0xffff;
	e->selector = GDT_KERNEL_CS;
	e->ist = ist;
	e->type_attr = IDT_INTERRUPT_GATE;
	e->offset_mid = (addr >> 16) & 0xffff;
	e->offset_high = addr >> 32;
	e->reserved = 0;
}

void idt_init(void)
{
	for (unsigned int v = 0; v < NR_VECTORS; v++)
		set_gate(v, (u64)isr_stubs + 16 * v, 0);
	set_gate(8, (u64)isr_stubs + 16 * 8, IST_DOUBLE_FAULT);
	set_gate(2, (u64)isr_stubs + 16 * 2, IST_NMI);
	set_gate(18, (u64)isr_stubs + 16 * 18, IST_MACHINE_CHECK);
	x86_load_idt();
}

void x86_load_idt(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed p = { sizeof(idt) - 1, (u64)idt };

	__asm__ __volatile__("lidt %0" : : "m"(p));
}

static unsigned long vector_lock_irqsave(void)
{
	unsigned long flags = arch_local_irq_save();

	while (__atomic_exchange_n(&vector_lock, 1, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	return flags;
}

static void vector_unlock_irqrestore(unsigned long flags)
{
	__atomic_store_n(&vector_lock, 0, __ATOMIC_RELEASE);
	arch_local_irq_restore(flags);
}

int x86_register_vector(unsigned int vector,
			void (*handler)(struct pt_regs *regs, void *data), void *data)
{
	unsigned long flags;
	int err = 0;

	if (vector >= NR_VECTORS || !handler)
		return -EINVAL;
	flags = vector_lock_irqsave();
	if (handlers[vector].fn && handlers[vector].fn != VECTOR_RESERVED) {
		err = -EBUSY;
	} else {
		handlers[vector].data = data;
		__atomic_store_n(&handlers[vector].fn, handler, __ATOMIC_RELEASE);
	}
	vector_unlock_irqrestore(flags);
	return err;
}

void x86_unregister_vector(unsigned int vector)
{
	unsigned long flags;

	if (vector >= NR_VECTORS)
		return;
	flags = vector_lock_irqsave();
	/* data stays: an interrupt that loaded fn just before must not be
	 * given NULL with it (the next register overwrites data first). */
	__atomic_store_n(&handlers[vector].fn, NULL, __ATOMIC_RELEASE);
	vector_unlock_irqrestore(flags);
}

int x86_reserve_vector(unsigned int vector)
{
	unsigned long flags;
	int err = 0;

	if (vector >= NR_VECTORS)
		return -EINVAL;
	flags = vector_lock_irqsave();
	if (handlers[vector].fn)
		err = -EBUSY;
	else
		__atomic_store_n(&handlers[vector].fn, VECTOR_RESERVED, __ATOMIC_RELEASE);
	vector_unlock_irqrestore(flags);
	return err;
}

int x86_alloc_vector(void)
{
	unsigned long flags = vector_lock_irqsave();
	int found = -ENOSPC;

	for (unsigned int v = FIRST_ALLOC_VECTOR; v < SPURIOUS_APIC_VECTOR; v++) {
		if (!handlers[v].fn) {
			handlers[v].fn = VECTOR_RESERVED;
			found = v;
			break;
		}
	}
	vector_unlock_irqrestore(flags);
	return found;
}

void x86_free_vector(unsigned int vector)
{
	x86_unregister_vector(vector);
}

/* --- The panic report --- */

static void show_regs(const struct pt_regs *r)
{
	printk(KERN_EMERG "RIP: %pS\n", (void *)r->rip);
	printk(KERN_EMERG "RIP: %04lx:%016lx RSP: %04lx:%016lx RFLAGS: %08lx\n",
	       r->cs, r->rip, r->ss, r->rsp, r->rflags);
	printk(KERN_EMERG "RAX: %016lx RBX: %016lx RCX: %016lx\n", r->rax, r->rbx, r->rcx);
	printk(KERN_EMERG "RDX: %016lx RSI: %016lx RDI: %016lx\n", r->rdx, r->rsi, r->rdi);
	printk(KERN_EMERG "RBP: %016lx R08: %016lx R09: %016lx\n", r->rbp, r->r8, r->r9);
	printk(KERN_EMERG "R10: %016lx R11: %016lx R12: %016lx\n", r->r10, r->r11, r->r12);
	printk(KERN_EMERG "R13: %016lx R14: %016lx R15: %016lx\n", r->r13, r->r14, r->r15);
	printk(KERN_EMERG "CR0: %016lx CR3: %016lx CR4: %016lx\n",
	       read_cr0(), read_cr3(), read_cr4());
}

/* Print the return addresses of the frame chain at @fp; runs of one
 * address (deep recursion) are folded into a count. */
static void show_frames(unsigned long fp)
{
	unsigned long prev = 0, repeats = 0;

	for (int i = 0; i < BACKTRACE_DEPTH * 64 && x86_frame_ok(fp); i++) {
		unsigned long ret = ((unsigned long *)fp)[1];

		if (!ret)
			break;
		fp = ((unsigned long *)fp)[0];
		if (ret == prev) {
			repeats++;
			continue;
		}
		if (repeats)
			printk(KERN_EMERG "  ... repeated %lu more times\n", repeats);
		repeats = 0;
		prev = ret;
		printk(KERN_EMERG "  [<%016lx>] %pS\n", ret, (void *)ret);
	}
	if (repeats)
		printk(KERN_EMERG "  ... repeated %lu more times\n", repeats);
}

static bool is_kernel_text(unsigned long addr)
{
	return addr >= (unsigned long)_text && addr < (unsigned long)_etext;
}

/*
 * Frame-pointer walk starting at the interrupted context. A leaf function
 * (GCC gives those no frame) or a bad call target has its caller's return
 * address on top of the stack instead of in a frame: print that one too,
 * marked "?" as Linux marks unreliable entries, when it is kernel text and
 * not already the first frame's.
 */
static void show_trace_regs(const struct pt_regs *r)
{
	unsigned long fp = r->rbp, top = 0;

	printk(KERN_EMERG "Call trace:\n");
	printk(KERN_EMERG "  [<%016lx>] %pS\n", r->rip, (void *)r->rip);
	if (x86_frame_ok(r->rsp - 8))
		top = ((unsigned long *)r->rsp)[0];
	if (is_kernel_text(top) && !(x86_frame_ok(fp) && ((unsigned long *)fp)[1] == top))
		printk(KERN_EMERG "  [<%016lx>] ? %pS\n", top, (void *)top);
	show_frames(fp);
}

static void describe_page_fault(const struct pt_regs *r)
{
	u64 ec = r->error_code;

	printk(KERN_EMERG "CR2: %016lx (%s, %s, %s%s)\n", read_cr2(),
	       ec & 1 ? "protection violation" : "page not present",
	       ec & 2 ? "write" : "read", ec & 16 ? "instruction fetch" : "data",
	       ec & 8 ? ", reserved bit set" : "");
}

void x86_die(struct pt_regs *regs, const char *what)
{
	static int die_nesting;
	char msg[96];

	/* A fault inside the report itself (before panic_enter() could note
	 * the CPU) must end the run, not recurse until the stack is gone;
	 * a second CPU dying at the same time only adds one level. */
	if (__atomic_add_fetch(&die_nesting, 1, __ATOMIC_SEQ_CST) > 3) {
		arch_console_write("Kernel panic: recursive fault in the panic report\n", 50);
		arch_poweroff(PANIC_EXIT_STATUS);
	}
	panic_enter();
	scnprintf(msg, sizeof(msg), "%s in %pS", what, (void *)regs->rip);
	printk(KERN_EMERG "Kernel panic: %s (vector %lu, error code %#lx)\n",
	       what, regs->vector, regs->error_code);
	if (regs->vector == X86_TRAP_PF)
		describe_page_fault(regs);
	if (!kernel_addr_mapped(regs->rsp - 8))
		printk(KERN_EMERG "RSP %016lx is in an unmapped (guard) page: kernel stack overflow\n",
		       regs->rsp);
	show_regs(regs);
	show_trace_regs(regs);
	panic_finish(msg);
}

static void fault_while_panicking(struct pt_regs *regs)
{
	printk(KERN_EMERG "fault (vector %lu) at %016lx during panic\n",
	       regs->vector, regs->rip);
	arch_poweroff(PANIC_EXIT_STATUS);
}

void x86_handle_interrupt(struct pt_regs *regs);
void x86_handle_interrupt(struct pt_regs *regs)
{
	unsigned int v = regs->vector;
	struct pt_regs *old_regs;
	struct vector_handler h;
	char what[48];

	h.fn = __atomic_load_n(&handlers[v].fn, __ATOMIC_ACQUIRE);
	h.data = handlers[v].data;
	if (h.fn && h.fn != VECTOR_RESERVED && v < FIRST_EXTERNAL_VECTOR) {
		h.fn(regs, h.data);
		return;
	}
	if (!h.fn || h.fn == VECTOR_RESERVED) {
		if (v < FIRST_EXTERNAL_VECTOR && READ_ONCE(panic_in_progress))
			fault_while_panicking(regs);
		if (v < FIRST_EXTERNAL_VECTOR)
			x86_die(regs, exception_names[v]);
		scnprintf(what, sizeof(what), "unexpected interrupt vector %u", v);
		x86_die(regs, what);
	}
	old_regs = this_cpu()->irq_regs;
	this_cpu()->irq_regs = regs;
	irq_enter();
	h.fn(regs, h.data);
	irq_exit();
	this_cpu()->irq_regs = old_regs;
	if (regs->rflags & X86_EFLAGS_IF)
		preempt_schedule_irq();
}

/* Until kernel/irq.c (preemption work) is merged. */
__weak void irq_enter(void)
{
}

__weak void irq_exit(void)
{
}

__weak void preempt_schedule_irq(void)
{
}
