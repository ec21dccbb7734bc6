/*
 * arch/host/debug.c - stack traces, symbols, and fatal host signals.
 *
 * Layer: arch/host. Provides: arch_stack_trace(), arch_lookup_symbol(),
 * the SIGSEGV/SIGBUS/SIGFPE/SIGILL handler, sanitizer default options.
 *
 * Symbols: at start-up the program's own ELF symbol table (/proc/self/exe,
 * .symtab, so static functions have names too) is read into a table sorted
 * by address; dladdr() is the fallback. Stack traces come from backtrace(3),
 * which unwinds through signal frames; it is called once at start-up so its
 * lazy loading of libgcc_s does not happen in a fault.
 *
 * A fault is reported like a kernel oops and ends in panic(): "BUG: ..."
 * with the signal, address and faulting function, then panic()'s call
 * trace and "---[ end Kernel panic ...", exit status 100. The handler runs
 * on a per-vCPU alternate stack so a stack overflow is reported too.
 *
 * Locking: the symbol table is built before any vCPU starts and read-only
 * afterwards. libc calls (backtrace, dladdr) run with interrupts masked.
 */
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "host.h"
#include <quire/bug.h>
#include <quire/kernel.h>
#include <quire/printk.h>
#include <arch/console.h>
#include <arch/debug.h>
#include <arch/power.h>

#define ALTSTACK_SIZE	(64 * 1024)	/* sanitizers need more than SIGSTKSZ */

struct host_sym {
	unsigned long addr;
	unsigned long size;
	const char *name;
};

static struct host_sym *syms;
static size_t nr_syms;
static char *sym_image;		/* the ELF file; names point into it */
static char altstacks[MAX_CPUS][ALTSTACK_SIZE] __aligned(16);
static int in_fault;

static int load_bias_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	*(unsigned long *)data = info->dlpi_addr;
	return 1;	/* the first object is the program itself */
}

static int sym_cmp(const void *a, const void *b)
{
	const struct host_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static char *read_self(size_t *len)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(n)) &&
	    fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = buf ? (size_t)n : 0;
	return buf;
}

/* Collect the function symbols of .symtab. */
static void load_symbols(void)
{
	size_t len;
	char *img = read_self(&len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh;
	unsigned long bias = 0;

	if (!img || len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_shoff + (u64)eh->e_shnum * sizeof(*sh) > len)
		goto out_free;
	dl_iterate_phdr(load_bias_cb, &bias);
	sh = (Elf64_Shdr *)(img + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		Elf64_Sym *s = (Elf64_Sym *)(img + sh[i].sh_offset);
		size_t n = sh[i].sh_size / sizeof(*s);
		const char *str;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset + sh[i].sh_size > len)
			continue;
		str = img + sh[sh[i].sh_link].sh_offset;
		syms = calloc(n, sizeof(*syms));
		if (!syms)
			goto out_free;
		for (size_t j = 0; j < n; j++) {
			if (ELF64_ST_TYPE(s[j].st_info) != STT_FUNC || !s[j].st_value)
				continue;
			syms[nr_syms].addr = bias + s[j].st_value;
			syms[nr_syms].size = s[j].st_size;
			syms[nr_syms].name = str + s[j].st_name;
			nr_syms++;
		}
		qsort(syms, nr_syms, sizeof(*syms), sym_cmp);
		sym_image = img;
		return;
	}
out_free:
	free(img);
}

static const struct host_sym *find_symbol(unsigned long addr)
{
	size_t lo = 0, hi = nr_syms;

	while (lo < hi) {	/* first symbol above addr */
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= syms[lo - 1].addr + max(syms[lo - 1].size, 1UL))
		return NULL;
	return &syms[lo - 1];
}

bool arch_lookup_symbol(unsigned long addr, char *name, size_t size,
			unsigned long *offset)
{
	const struct host_sym *s = find_symbol(addr);
	unsigned long flags;
	Dl_info info;
	bool found;

	if (s) {
		snprintf(name, size, "%s", s->name);
		*offset = addr - s->addr;
		return true;
	}
	flags = arch_local_irq_save();
	found = dladdr((void *)addr, &info) && (info.dli_sname || info.dli_fname);
	arch_local_irq_restore(flags);
	if (!found)
		return false;
	if (info.dli_sname) {
		snprintf(name, size, "%s", info.dli_sname);
		*offset = addr - (unsigned long)info.dli_saddr;
	} else {	/* a library's static function: object+offset, ASLR-free */
		const char *base = strrchr(info.dli_fname, '/');

		snprintf(name, size, "%s", base ? base + 1 : info.dli_fname);
		*offset = addr - (unsigned long)info.dli_fbase;
	}
	return true;
}

/* x86_64 Linux's rt_sigreturn trampoline: mov $15, %rax; syscall. */
static bool is_sigreturn_trampoline(unsigned long pc)
{
	static const unsigned char code[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00,
					      0x00, 0x00, 0x0f, 0x05 };

	return pc && !memcmp((const void *)pc, code, sizeof(code));
}

/*
 * Return addresses are reported minus one, i.e. inside the call: a call to
 * a noreturn function (panic) that ends its caller would otherwise name
 * the next function. The frame under a signal trampoline is the
 * interrupted instruction itself and is reported as is.
 */
int arch_stack_trace(unsigned long *pcs, int max, int skip)
{
	void *buf[64];
	unsigned long flags = arch_local_irq_save();
	int n = backtrace(buf, 64), out = 0;

	arch_local_irq_restore(flags);
	for (int i = skip + 1; i < n && out < max; i++) {
		unsigned long pc = (unsigned long)buf[i];

		if (!is_sigreturn_trampoline((unsigned long)buf[i - 1]))
			pc--;
		pcs[out++] = pc;
	}
	return out;
}

/* The offset of @pc in the object (quire-host, libc ...) that holds it:
 * the same in every run, wherever ASLR loaded the object. */
unsigned long arch_stack_addr_for_log(unsigned long pc)
{
	unsigned long flags = arch_local_irq_save();
	Dl_info info;
	int found = dladdr((void *)pc, &info);

	arch_local_irq_restore(flags);
	if (!found || !info.dli_fbase)
		return pc;
	return pc - (unsigned long)info.dli_fbase;
}

static const char *fault_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV (unable to handle page fault)";
	case SIGBUS: return "SIGBUS (bus error)";
	case SIGFPE: return "SIGFPE (divide error)";
	case SIGILL: return "SIGILL (invalid opcode)";
	default: return "fatal signal";
	}
}

static void fault_handler(int sig, siginfo_t *si, void *ucv)
{
	static const char again[] =
		"quire-host: fault while reporting a fault (corrupted stack?)\n"
		"---[ end Kernel panic: fault while dumping the stack ]---\n";
	ucontext_t *uc = ucv;
	unsigned long ip = uc->uc_mcontext.gregs[REG_RIP];

	if (__atomic_exchange_n(&in_fault, 1, __ATOMIC_ACQ_REL)) {
		arch_console_write(again, sizeof(again) - 1);
		arch_poweroff(PANIC_EXIT_STATUS);
	}
	if (!host_this_vcpu()) {	/* a helper thread: no kernel context */
		fprintf(stderr, "quire-host: %s in a host helper thread at %p\n",
			fault_name(sig), si->si_addr);
		_exit(PANIC_EXIT_STATUS);
	}
	host_irq_mask_now();
	pr_emerg("BUG: %s at address %p, ip %pS\n", fault_name(sig),
		 si->si_addr, (void *)ip);
	pr_emerg("CPU: %u rsp %p\n", arch_smp_processor_id(),
		 (void *)uc->uc_mcontext.gregs[REG_RSP]);
	panic("Fatal exception: %s", fault_name(sig));
}

/* Context: the vCPU's own thread, at its start. */
void host_debug_vcpu_init(struct vcpu *v)
{
	v->altstack.ss_sp = altstacks[v->id];
	v->altstack.ss_size = ALTSTACK_SIZE;
	v->altstack.ss_flags = 0;
	sigaltstack(&v->altstack, NULL);
}

/* Context: main thread before start_kernel(). */
void host_debug_init(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa = { 0 };
	void *warm[4];

	load_symbols();
	backtrace(warm, 4);
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, HOST_SIGIRQ);	/* never switch away from the altstack */
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/*
 * Sanitizer defaults (the runtimes look these up): a report ends the run
 * with a failure status instead of going on.
 */
const char *__asan_default_options(void)
{
	return "abort_on_error=0:allow_user_segv_handler=1:detect_leaks=0";
}

const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1";
}

const char *__tsan_default_options(void)
{
	return "halt_on_error=1:exitcode=66:second_deadlock_stack=1";
}
