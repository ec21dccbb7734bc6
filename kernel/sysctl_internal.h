/*
 * kernel/sysctl_internal.h - kernel/sysctl.c's helpers over any set of
 * tables, shared with its tests (kernel/sysctl_test.c), which use tables of
 * their own so they never touch a real tunable.
 */
#ifndef KERNEL_SYSCTL_INTERNAL_H
#define KERNEL_SYSCTL_INTERNAL_H

#include <quire/sysctl.h>

struct sysctl_set_of {
	const struct ctl_table *const *tables;
	size_t n;
};

/* The entries SYSCTL_ENTRY() registered. */
struct sysctl_set_of sysctl_registered(void);
const struct ctl_table *sysctl_find(struct sysctl_set_of set, const char *name);
long sysctl_read(const struct ctl_table *t);
/* Parse @value for @t: 0, -EINVAL (not a number) or -ERANGE. */
int sysctl_parse(const struct ctl_table *t, const char *value, long *out);
/* Parse, check, store, run after_write: 0, -EINVAL or -ERANGE. */
int sysctl_write(const struct ctl_table *t, const char *value);
/* Up to @max entries of @set into @out sorted by name; returns how many. */
size_t sysctl_sorted(struct sysctl_set_of set, const struct ctl_table **out, size_t max);

/* The `sysctl` shell command (argv[0] is "sysctl"). */
int sysctl_command(int argc, char **argv);

#endif
