/*
 * include/quire/init.h - registries filled at link time.
 *
 * Subsystems register initcalls, shell commands and test suites by placing a
 * pointer in a named section; the linker collects them and start_kernel()
 * walks __start_<sec> .. __stop_<sec>. Pointers (not structs) go into the
 * sections so that no compiler padding or sanitizer redzone can break the
 * array. Works unchanged for arch/x86_64 and arch/host.
 */
#ifndef QUIRE_INIT_H
#define QUIRE_INIT_H

#include <quire/compiler.h>

/* Initcall levels, run in this order by start_kernel(). */
enum initcall_level {
	INITCALL_CORE,		/* core services: workqueues, timers */
	INITCALL_SUBSYS,	/* subsystems: block layer, pci, vfs */
	INITCALL_DEVICE,	/* drivers probing devices */
	INITCALL_LATE,		/* everything else: needs devices present */
	NR_INITCALL_LEVELS,
};

struct initcall {
	const char *name;
	int (*fn)(void);	/* 0 or -errno; an error is logged, boot goes on */
	enum initcall_level level;
};

#define DEFINE_INITCALL(func, lvl)					\
	static const struct initcall __initcall_##func = {		\
		.name = #func, .fn = func, .level = lvl };		\
	static const struct initcall *__initcall_ptr_##func		\
		__section("quire_initcalls") = &__initcall_##func

#define core_initcall(fn)	DEFINE_INITCALL(fn, INITCALL_CORE)
#define subsys_initcall(fn)	DEFINE_INITCALL(fn, INITCALL_SUBSYS)
#define device_initcall(fn)	DEFINE_INITCALL(fn, INITCALL_DEVICE)
#define late_initcall(fn)	DEFINE_INITCALL(fn, INITCALL_LATE)

/* Run every initcall of @level (kernel/main.c). */
void do_initcalls(enum initcall_level level);

#endif
