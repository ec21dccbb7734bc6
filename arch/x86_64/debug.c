/*
 * arch/x86_64/debug.c - stack traces and symbol lookup for panic reports.
 *
 * Layer: arch/x86_64. Provides: arch_stack_trace() (frame pointers: the
 * kernel is built with -fno-omit-frame-pointer), arch_lookup_symbol() (the
 * kallsyms table linked in by the second link pass, see build.mk),
 * x86_frame_ok().
 *
 * No locking: the table is read-only; the walk only reads mapped memory.
 */
#include <quire/string.h>
#include <arch/debug.h>
#include <asm/setup.h>
#include <asm/stacktrace.h>

#define KERNEL_HALF	0xffff800000000000UL

extern const u64 kallsyms_num;
extern const u64 kallsyms_end;
extern const u64 kallsyms_addr[];
extern const u32 kallsyms_name_off[];
extern const char kallsyms_names[];

bool x86_frame_ok(unsigned long fp)
{
	if (fp < KERNEL_HALF || (fp & 7))
		return false;
	return kernel_addr_mapped(fp) && kernel_addr_mapped(fp + 15);
}

int arch_stack_trace(unsigned long *pcs, int max, int skip)
{
	unsigned long fp = (unsigned long)__builtin_frame_address(0);
	int n = 0;

	while (n < max && x86_frame_ok(fp)) {
		unsigned long ret = ((unsigned long *)fp)[1];
		unsigned long next = ((unsigned long *)fp)[0];

		if (!ret)
			break;
		if (skip > 0)
			skip--;
		else
			pcs[n++] = ret;
		if (next <= fp)
			break;		/* stacks grow down: callers are above */
		fp = next;
	}
	return n;
}

/* Index of the last symbol starting at or before @addr, or -1. */
static long kallsyms_find(unsigned long addr)
{
	long lo = 0, hi = (long)kallsyms_num - 1, found = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;

		if (kallsyms_addr[mid] <= addr) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

unsigned long arch_stack_addr_for_log(unsigned long pc)
{
	return pc;
}

bool arch_lookup_symbol(unsigned long addr, char *name, size_t size,
			unsigned long *offset)
{
	long i;

	if (!kallsyms_num || addr >= kallsyms_end)
		return false;
	i = kallsyms_find(addr);
	if (i < 0)
		return false;
	strscpy_len(name, kallsyms_names + kallsyms_name_off[i], size);
	*offset = addr - kallsyms_addr[i];
	return true;
}
