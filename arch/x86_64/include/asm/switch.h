/*
 * arch/x86_64/include/asm/switch.h - the stack frame switch.S saves and
 * restores (thread.c builds it for new threads; the platform test uses it
 * directly).
 */
#ifndef ASM_SWITCH_H
#define ASM_SWITCH_H

#include <quire/compiler.h>

/* Push callee-saved registers, store RSP in *@save_sp, load @new_sp, pop. */
void __switch_stack(void **save_sp, void *new_sp);

/* Build a frame on [@stack, @stack + @size) whose first __switch_stack()
 * enters @entry (with RSP+8 16-aligned, RBP = 0). Returns the saved RSP,
 * or NULL if the stack is too small. */
void *x86_init_switch_frame(void *stack, size_t size, void (*entry)(void));

#endif
