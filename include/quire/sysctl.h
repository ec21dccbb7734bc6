/*
 * include/quire/sysctl.h - tunables by Linux's /proc/sys names, set and read
 * from the shell (`sysctl vm.dirty_ratio=15`, `sysctl -a`).
 *
 * Layer: kernel. Implemented by kernel/sysctl.c. A subsystem declares an
 * entry with SYSCTL_ENTRY() next to the variable it tunes; the command
 * lists them sorted by name.
 */
#ifndef QUIRE_SYSCTL_H
#define QUIRE_SYSCTL_H

#include <quire/compiler.h>
#include <quire/types.h>

enum sysctl_type {
	SYSCTL_INT,   /* int */
	SYSCTL_UINT,  /* unsigned int */
	SYSCTL_ULONG, /* unsigned long */
};

struct ctl_table {
	const char *procname; /* "vm.dirty_ratio" */
	void *data;
	enum sysctl_type type;
	long min, max; /* accepted range, inclusive */
	/* Called after a successful write with the value before it (a
	 * hook compares them where Linux's handler does: writing
	 * vm.dirty_ratio zeroes vm.dirty_bytes only when the ratio
	 * changed); may be NULL. Context: process, sysctl_mutex held. */
	void (*after_write)(const struct ctl_table *table, long old);
};

#define SYSCTL_ENTRY(sym, ...)                                                        \
	static const struct ctl_table __sysctl_##sym = {__VA_ARGS__};                 \
	static const struct ctl_table *__sysctl_ptr_##sym __section("quire_sysctl") = \
		&__sysctl_##sym

/* Set @name to @value (decimal); -ENOENT, -EINVAL (not a number or out of
 * range). Returns 0 on success. */
int sysctl_set(const char *name, const char *value);
/* Read it as a long; -ENOENT. */
int sysctl_get(const char *name, long *value);

#endif
