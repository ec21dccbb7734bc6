/*
 * arch/x86_64/thread.c - kernel thread contexts.
 *
 * Layer: arch/x86_64. Provides: arch_thread_init(), arch_thread_adopt(),
 * arch_thread_release(), arch_context_switch().
 *
 * A thread's whole saved state is its stack pointer (task->arch_sp); the
 * stack holds the callee-saved frame of switch.S. A new thread's stack:
 *
 *	top - 8		0		fake return address of task_entry
 *	top - 16	task_entry	popped by switch.S's ret
 *	top - 64	r15 r14 r13 r12 rbx rbp = 0   <- arch_sp
 *
 * so task_entry starts with RSP = top - 8, as if called (RSP+8 16-aligned),
 * and RBP = 0 ends stack traces. Nothing is allocated: release is a no-op.
 * Locking: none; the scheduler owns the tasks.
 */
#include <quire/errno.h>
#include <arch/thread.h>
#include <asm/switch.h>

#define SWITCH_FRAME_REGS	6

void *x86_init_switch_frame(void *stack, size_t size, void (*entry)(void))
{
	u64 *sp = (u64 *)ALIGN_DOWN((uintptr_t)stack + size, 16);

	if (!stack || size < 256)
		return NULL;
	*--sp = 0;
	*--sp = (u64)(uintptr_t)entry;
	for (int i = 0; i < SWITCH_FRAME_REGS; i++)
		*--sp = 0;
	return sp;
}
#include <quire/sched.h>

int arch_thread_init(struct task_struct *t, void *stack, size_t size)
{
	void *sp = x86_init_switch_frame(stack, size, task_entry);

	if (!sp)
		return -EINVAL;
	t->arch_sp = sp;
	t->arch_priv = NULL;
	return 0;
}

void arch_thread_release(struct task_struct *t)
{
}

/* The running context's stack pointer is saved at its first switch out. */
void arch_thread_adopt(struct task_struct *t)
{
	t->arch_sp = NULL;
	t->arch_priv = NULL;
}

void arch_context_switch(struct task_struct *prev, struct task_struct *next)
{
	__switch_stack(&prev->arch_sp, next->arch_sp);
}
