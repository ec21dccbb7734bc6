/*
 * kernel/sysctl.c - tunables by their Linux /proc/sys names, read and set
 * from the shell.
 *
 * Layer: kernel. Used by: every subsystem with a tunable (SYSCTL_ENTRY(),
 * include/quire/sysctl.h), the `sysctl` shell command.
 * Provides: sysctl_set(), sysctl_get(), and for tests (kernel/sysctl_internal.h)
 * the same over any table.
 * Not here: /proc/sys itself, string or vector tunables, per-namespace
 * values, Linux's proc_handler functions (an entry has a range and an
 * after_write hook instead).
 *
 * The entries are the pointers the linker collected in section
 * "quire_sysctl" (__start_quire_sysctl .. __stop_quire_sysctl, as the
 * ktest and shell registries). A value is parsed whole (decimal, 0x.. hex,
 * or 0.. octal: base 0, as Linux's proc_get_long()), checked against [min, max], then stored with one atomic store
 * of the variable's own width, so a reader never sees a torn value; then
 * after_write runs with the value before the write (Linux's handlers keep
 * it to act only on a change).
 *
 * Invariants:
 *  SC1: a write through sysctl_set() or the command stores a value within
 *      [min, max], or nothing (a rejected write changes nothing). An
 *      after_write hook may set another entry to 0 (Linux's vm.dirty_bytes
 *      and vm.dirty_ratio zero each other), so 0 is the one value outside
 *      its range a variable may hold.
 *
 * Locking: sysctl_mutex serialises writes (and their after_write hooks);
 * readers of a tunable read it with READ_ONCE, no lock.
 */
#include <quire/sysctl.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/mutex.h>
#include "sysctl_internal.h"

extern const struct ctl_table *__start_quire_sysctl[] __weak;
extern const struct ctl_table *__stop_quire_sysctl[] __weak;

static DEFINE_MUTEX(sysctl_mutex);

struct sysctl_set_of sysctl_registered(void)
{
	return (struct sysctl_set_of){
		.tables = __start_quire_sysctl,
		.n = (size_t)(__stop_quire_sysctl - __start_quire_sysctl),
	};
}

const struct ctl_table *sysctl_find(struct sysctl_set_of set, const char *name)
{
	size_t i;

	for (i = 0; i < set.n; i++)
		if (strcmp(set.tables[i]->procname, name) == 0)
			return set.tables[i];
	return NULL;
}

long sysctl_read(const struct ctl_table *t)
{
	switch (t->type) {
	case SYSCTL_INT:
		return __atomic_load_n((int *)t->data, __ATOMIC_RELAXED);
	case SYSCTL_UINT:
		return __atomic_load_n((unsigned int *)t->data, __ATOMIC_RELAXED);
	case SYSCTL_ULONG:
		return (long)__atomic_load_n((unsigned long *)t->data, __ATOMIC_RELAXED);
	}
	return 0;
}

static void sysctl_store(const struct ctl_table *t, long v)
{
	switch (t->type) {
	case SYSCTL_INT:
		__atomic_store_n((int *)t->data, (int)v, __ATOMIC_RELAXED);
		break;
	case SYSCTL_UINT:
		__atomic_store_n((unsigned int *)t->data, (unsigned int)v,
				 __ATOMIC_RELAXED);
		break;
	case SYSCTL_ULONG:
		__atomic_store_n((unsigned long *)t->data, (unsigned long)v,
				 __ATOMIC_RELAXED);
		break;
	}
}

int sysctl_parse(const struct ctl_table *t, const char *value, long *out)
{
	long long v;
	int err = kstrtoll(value, 0, &v);

	if (err)
		return err == -ERANGE ? -ERANGE : -EINVAL;
	if (v < t->min || v > t->max)
		return -ERANGE;
	*out = (long)v;
	return 0;
}

int sysctl_write(const struct ctl_table *t, const char *value)
{
	long v, old;
	int err = sysctl_parse(t, value, &v);

	if (err)
		return err;
	mutex_lock(&sysctl_mutex);
	old = sysctl_read(t);
	sysctl_store(t, v); /* SC1: checked above */
	if (t->after_write)
		t->after_write(t, old);
	mutex_unlock(&sysctl_mutex);
	return 0;
}

int sysctl_set(const char *name, const char *value)
{
	const struct ctl_table *t = sysctl_find(sysctl_registered(), name);
	int err;

	if (!t)
		return -ENOENT;
	err = sysctl_write(t, value);
	return err == -ERANGE ? -EINVAL : err;
}

int sysctl_get(const char *name, long *value)
{
	const struct ctl_table *t = sysctl_find(sysctl_registered(), name);

	if (!t)
		return -ENOENT;
	*value = sysctl_read(t);
	return 0;
}

size_t sysctl_sorted(struct sysctl_set_of set, const struct ctl_table **out, size_t max)
{
	size_t n = min(set.n, max), i, j;

	for (i = 0; i < n; i++) {
		const struct ctl_table *t = set.tables[i];

		for (j = i; j > 0 && strcmp(out[j - 1]->procname, t->procname) > 0; j--)
			out[j] = out[j - 1];
		out[j] = t;
	}
	return n;
}

/* --- the shell command --- */

#define SYSCTL_MAX_ENTRIES 256

static int sysctl_show(const char *name)
{
	const struct ctl_table *t = sysctl_find(sysctl_registered(), name);

	if (!t) {
		shell_error("sysctl", "unknown name '%s' (sysctl -a lists them)", name);
		return -ENOENT;
	}
	cprintf("%s = %ld\n", t->procname, sysctl_read(t));
	return 0;
}

static int sysctl_assign(char *arg)
{
	char *eq = strchr(arg, '=');
	const struct ctl_table *t;
	int err;

	*eq = '\0';
	t = sysctl_find(sysctl_registered(), arg);
	if (!t) {
		shell_error("sysctl", "unknown name '%s' (sysctl -a lists them)", arg);
		return -ENOENT;
	}
	err = sysctl_write(t, eq + 1);
	if (err == -EINVAL)
		shell_error("sysctl", "%s: '%s' is not a number", arg, eq + 1);
	else if (err == -ERANGE)
		shell_error("sysctl", "%s: %s out of range [%ld, %ld]", arg, eq + 1,
			    t->min, t->max);
	if (err)
		return -EINVAL;
	cprintf("%s = %ld\n", t->procname, sysctl_read(t));
	return 0;
}

static int sysctl_show_all(void)
{
	static const struct ctl_table *sorted[SYSCTL_MAX_ENTRIES];
	size_t n, i;

	mutex_lock(&sysctl_mutex);
	n = sysctl_sorted(sysctl_registered(), sorted, SYSCTL_MAX_ENTRIES);
	for (i = 0; i < n; i++)
		cprintf("%s = %ld\n", sorted[i]->procname, sysctl_read(sorted[i]));
	mutex_unlock(&sysctl_mutex);
	return 0;
}

int sysctl_command(int argc, char **argv)
{
	bool write = false;
	int i = 1, err = 0;

	if (argc == 2 && strcmp(argv[1], "-a") == 0)
		return sysctl_show_all();
	if (argc > 1 && strcmp(argv[1], "-w") == 0) {
		write = true;
		i = 2;
	}
	if (i >= argc) {
		shell_error("sysctl", "usage: sysctl -a | NAME | [-w] NAME=VALUE ...");
		return -EINVAL;
	}
	for (; i < argc && !err; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq && eq != argv[i])
			err = sysctl_assign(argv[i]);
		else if (write || eq) {
			shell_error("sysctl", "'%s': want NAME=VALUE", argv[i]);
			err = -EINVAL;
		} else
			err = sysctl_show(argv[i]);
	}
	return err;
}

SHELL_COMMAND(sysctl, "sysctl", "sysctl -a | NAME | [-w] NAME=VALUE",
	      "read and set tunables (Linux's /proc/sys names)", sysctl_command);
