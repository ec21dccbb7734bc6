/*
 * include/arch/console.h - the console device (x86: 16550 serial; host:
 * stdin/stdout).
 */
#ifndef ARCH_CONSOLE_H
#define ARCH_CONSOLE_H

#include <quire/compiler.h>

/* Write bytes by polling. Context: any, including panic with all other
 * CPUs stopped; must not sleep or take sleeping locks. */
void arch_console_write(const char *s, size_t len);

/* --- Implemented by the kernel (kernel/console.c) --- */
/* Bytes typed on the console. Context: hard interrupt (or the host's input
 * thread acting as one). */
void console_receive(const char *buf, size_t len);

#endif
