/*
 * arch/host/thread.c - kernel-thread contexts on arch/host: a small x86_64
 * stack switch, with sanitizer fiber annotations (fiber.h).
 *
 * Layer: arch/host. Provides: include/arch/thread.h.
 * A task's context is its stack: host_switch_stack() pushes the callee-
 * saved registers on the old stack, stores the stack pointer in
 * prev->arch_sp, loads next->arch_sp and pops. A new stack is laid out so
 * that the first switch "returns" into host_thread_start(). Tasks migrate
 * freely between the vCPU pthreads: nothing here is per pthread except
 * switch_from, read right after a switch on the same pthread.
 */
#include <stdlib.h>
#include <stdint.h>

#include <quire/sched.h>
#include <quire/errno.h>
#include <arch/thread.h>
#include <arch/irq.h>
#include "fiber.h"

void host_switch_stack(void **save_sp, void *new_sp);
__asm__(
	".text\n"
	".globl host_switch_stack\n"
	".type host_switch_stack, @function\n"
	"host_switch_stack:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size host_switch_stack, .-host_switch_stack\n");

static __thread struct task_struct *switch_from;

/*
 * The slot of the pthread running *now*. The empty asm makes the result
 * opaque: without it the compiler proves the function const and reuses the
 * address taken before host_switch_stack(), i.e. the slot of the vCPU the
 * task ran on before it migrated (read there, it names another CPU's
 * previous task). Same trick as host_this_vcpu().
 */
static noinline struct task_struct **switch_from_slot(void)
{
	struct task_struct **slot = &switch_from;

	__asm__ __volatile__("" : "+r"(slot));
	return slot;
}

static struct host_thread *ht(struct task_struct *t)
{
	return t ? t->arch_priv : NULL;
}

static void __noreturn host_thread_start(void)
{
	struct task_struct *from = *switch_from_slot();

	fiber_asan_finish(NULL, ht(from));
	task_entry();
}

/* libc's allocator is not async-signal-safe: no interrupt handler may run
 * while we hold its lock. */
static struct host_thread *host_thread_alloc(void)
{
	unsigned long flags = arch_local_irq_save();
	struct host_thread *h = calloc(1, sizeof(*h));

	arch_local_irq_restore(flags);
	return h;
}

static void host_thread_free(struct host_thread *h)
{
	unsigned long flags = arch_local_irq_save();

	free(h);
	arch_local_irq_restore(flags);
}

int arch_thread_init(struct task_struct *t, void *stack, size_t size)
{
	struct host_thread *h = host_thread_alloc();
	uintptr_t *sp;

	if (!h)
		return -ENOMEM;
	h->stack_bottom = stack;
	h->stack_size = size;
	fiber_tsan_create(h);
	sp = (uintptr_t *)(((uintptr_t)stack + size) & ~(uintptr_t)15);
	*--sp = 0;				/* host_thread_start's return */
	*--sp = (uintptr_t)host_thread_start;	/* host_switch_stack's ret */
	for (int i = 0; i < 6; i++)
		*--sp = 0;			/* rbp rbx r12-r15 */
	t->arch_sp = sp;
	t->arch_priv = h;
	return 0;
}

void arch_thread_release(struct task_struct *t)
{
	struct host_thread *h = ht(t);

	if (!h)
		return;
	fiber_asan_release(h);
	fiber_tsan_destroy(h);
	host_thread_free(h);
	t->arch_priv = NULL;
}

void arch_thread_adopt(struct task_struct *t)
{
	struct host_thread *h = host_thread_alloc();

	if (!h)
		abort();
	h->adopted = true;
	fiber_tsan_adopt(h);
	t->arch_priv = h;
}

void arch_context_switch(struct task_struct *prev, struct task_struct *next)
{
	struct host_thread *hp = ht(prev), *hn = ht(next);

	*switch_from_slot() = prev;
	fiber_asan_start(prev->state == TASK_DEAD ? NULL : hp, hn);
	fiber_tsan_switch(hn);
	host_switch_stack(&prev->arch_sp, next->arch_sp);
	fiber_asan_finish(hp, ht(*switch_from_slot()));
}
