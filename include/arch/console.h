/*
 * include/arch/console.h - the console device (x86: 16550 serial; host:
 * stdin/stdout).
 *
 * Input flow control (kernel/console.c): the driver takes at most
 * console_receive_room() bytes off its device and hands them to
 * console_receive(). When the ring is full the kernel calls
 * arch_console_throttle() (stop taking input; the device keeps it), and
 * later, from the reader, arch_console_unthrottle() (input flows again).
 */
#ifndef ARCH_CONSOLE_H
#define ARCH_CONSOLE_H

#include <quire/compiler.h>

/* Write bytes by polling. Context: any, including panic with all other
 * CPUs stopped; must not sleep or take sleeping locks. */
void arch_console_write(const char *s, size_t len);

/* Stop delivering input: no console interrupt until unthrottled; the bytes
 * stay on the device. Context: the console interrupt. */
void arch_console_throttle(void);

/* Deliver input again (an interrupt follows if bytes are waiting).
 * Context: any; called once per throttle. */
void arch_console_unthrottle(void);

/* --- Implemented by the kernel (kernel/console.c) --- */
/* Room in the input ring, in bytes; 0: full, and the console is now
 * throttled. Context: hard interrupt (or the host's input thread acting as
 * one), the only producer. */
size_t console_receive_room(void);

/* Bytes typed on the console: at most what console_receive_room() said.
 * Context: as console_receive_room(). */
void console_receive(const char *buf, size_t len);

#endif
