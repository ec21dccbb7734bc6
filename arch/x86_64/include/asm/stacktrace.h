/*
 * arch/x86_64/include/asm/stacktrace.h - frame-pointer unwinding helpers.
 */
#ifndef ASM_STACKTRACE_H
#define ASM_STACKTRACE_H

#include <quire/types.h>

/* Is @fp a plausible frame pointer: aligned, in the kernel half, and its
 * two words (saved RBP, return address) mapped? Never faults. */
bool x86_frame_ok(unsigned long fp);

#endif
