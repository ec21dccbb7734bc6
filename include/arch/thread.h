/*
 * include/arch/thread.h - kernel thread contexts.
 *
 * struct task_struct (include/quire/sched.h) carries two fields for the
 * arch: arch_sp (saved stack pointer) and arch_priv (anything else, e.g.
 * sanitizer fiber handles on arch/host).
 */
#ifndef ARCH_THREAD_H
#define ARCH_THREAD_H

#include <quire/compiler.h>

struct task_struct;

/* Prepare @t, whose stack is [@stack, @stack + @size), so that the first
 * arch_context_switch() to it calls task_entry() with interrupts disabled.
 * 0 or -ENOMEM. */
int arch_thread_init(struct task_struct *t, void *stack, size_t size);

/* Free what arch_thread_init() allocated. @t is not running. */
void arch_thread_release(struct task_struct *t);

/* Adopt the currently running boot/idle context as @t (no new stack). */
void arch_thread_adopt(struct task_struct *t);

/* Save the running context in @prev, resume @next. Interrupts are disabled
 * across the switch; returns when @prev is switched back in. */
void arch_context_switch(struct task_struct *prev, struct task_struct *next);

/* --- Implemented by the kernel --- */
/* First code of a new thread (kernel/sched.c): finishes the switch,
 * enables interrupts, runs the thread function. Never returns. */
void task_entry(void) __noreturn;

#endif
