/*
 * include/arch/debug.h - stack traces and symbols, for panic reports,
 * WARN_ON and the lock-order checker.
 */
#ifndef ARCH_DEBUG_H
#define ARCH_DEBUG_H

#include <quire/compiler.h>

/* Fill @pcs with up to @max return addresses of the caller's stack,
 * innermost first, skipping @skip frames. Returns the count. */
int arch_stack_trace(unsigned long *pcs, int max, int skip);

/* Name the function containing @addr: copy its name into @name and set
 * *@offset. false when @addr is in no known function. */
bool arch_lookup_symbol(unsigned long addr, char *name, size_t size,
			unsigned long *offset);

/* The number to print for a code address in a stack trace: x86_64 prints
 * the address itself; quire-host prints its offset from the program's
 * load address, so two runs of one binary (ASLR moves it) print the same
 * trace (tests/host_determinism.sh compares them byte for byte). */
unsigned long arch_stack_addr_for_log(unsigned long pc);

/* Print a stack trace of the caller at KERN_ERR. */
void dump_stack(void);

#endif
