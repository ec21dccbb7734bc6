/*
 * include/quire/bug.h - panic(), BUG_ON(), WARN_ON() and WARN_ON_ONCE().
 *
 * A broken kernel invariant is WARN_ON_ONCE() plus a recovery path; panic()
 * is for boot, when nothing can go on. Input from outside the kernel is never
 * checked with these: it gets an error code.
 */
#ifndef QUIRE_BUG_H
#define QUIRE_BUG_H

#include <quire/compiler.h>

void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
void warn_slowpath(const char *file, int line, const char *cond);
/* Warnings printed since boot (each "WARNING:" report of WARN_ON() and
 * WARN_ON_ONCE(); Linux: /sys/kernel/warn_count). ktest fails a case
 * during which one fired that the case did not declare. */
unsigned long warn_count(void);
/* Count a kernel bug reported without WARN_ON (Linux's add_taint(TAINT_WARN)
 * in __schedule_bug()): ktest fails the case as for a WARNING. */
void add_taint_warn(void);

/* For arch exception handlers that print their own report (registers, a
 * trace from the faulting frame): panic_enter() takes over the machine
 * (interrupts off, other CPUs stopped; a second panicking CPU stops here),
 * panic_finish() prints the end line and powers off with
 * PANIC_EXIT_STATUS. panic() is panic_enter() + report + panic_finish(). */
void panic_enter(void);
void panic_finish(const char *msg) __noreturn;

#define BUG_ON(cond)							\
	do {								\
		if (unlikely(cond))					\
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#define WARN_ON(cond) ({						\
	bool __w = !!(cond);						\
	if (unlikely(__w))						\
		warn_slowpath(__FILE__, __LINE__, #cond);		\
	__w;								\
})

#define WARN_ON_ONCE(cond) ({						\
	static bool __warned;						\
	bool __w = !!(cond);						\
	if (unlikely(__w) && !__warned) {				\
		__warned = true;					\
		warn_slowpath(__FILE__, __LINE__, #cond);		\
	}								\
	__w;								\
})

#define BUILD_BUG_ON(cond) _Static_assert(!(cond), #cond)

#endif
