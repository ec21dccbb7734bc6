/*
 * kernel/lockdep.c - a small lock-order checker after Linux's lockdep.
 *
 * Layer: kernel. Provides: include/quire/lockdep.h. Used by: spinlock.c,
 * mutex.c, rwsem.c.
 *
 * Classes are looked up by key (init site, or a static lock's address) in
 * an open-addressed table. The dependency graph is an adjacency bitmap
 * deps[a] (bit b: "a was held when b was taken") plus, per edge, the stack
 * trace of its first occurrence. Taking B while holding A adds A->B unless
 * B already reaches A, which is reported as a possible circular locking
 * dependency (both traces), counted, and not added (one report per pair).
 *
 * What it leaves out (Linux has them): interrupt-safety states (no edges
 * are recorded in interrupt context), read/write distinctions for rwsems,
 * recursive-locking reports, subclasses (spin_lock_nested() records no
 * edge), and chain caches.
 *
 * Locking: graph_lock (raw, irqs off) guards the class table, deps and
 * edges. Each task's held_locks[] is touched only by that task (and by
 * interrupts on its CPU, which push and pop symmetrically).
 */
#include <quire/lockdep.h>
#include <quire/sched.h>
#include <quire/printk.h>
#include <quire/kernel.h>
#include <quire/string.h>
#include <arch/debug.h>
#include <arch/irq.h>

#define MAX_CLASSES	512
#define MAX_EDGES	2048
#define TRACE_DEPTH	10
#define DEP_WORDS	(MAX_CLASSES / 64)

struct lock_class {
	const void *key;
	const char *name;
};

struct lock_edge {
	u16 from, to;
	int nr_pcs;
	unsigned long pcs[TRACE_DEPTH];
};

static struct lock_class classes[MAX_CLASSES];
static int nr_classes;
static u64 deps[MAX_CLASSES][DEP_WORDS];
static struct lock_edge edges[MAX_EDGES];
static int nr_edges;
static DEFINE_RAW_SPINLOCK(graph_lock);
static bool enabled;
static unsigned long inversions;
static bool table_full_warned;

void lockdep_set_enabled(bool on)
{
	__atomic_store_n(&enabled, on, __ATOMIC_RELEASE);
}

bool lockdep_enabled(void)
{
	return __atomic_load_n(&enabled, __ATOMIC_ACQUIRE);
}

unsigned long lockdep_inversions(void)
{
	return __atomic_load_n(&inversions, __ATOMIC_ACQUIRE);
}

void lockdep_init(void)
{
	if (cmdline_has("lockdep")) {
		lockdep_set_enabled(true);
		pr_info("lockdep: lock-order checking on\n");
	}
}

/* Class index for @key, creating it; -1 when the table is full. */
static int class_get(const void *key, const char *name)
{
	unsigned int h = (unsigned int)(((uintptr_t)key >> 3) * 2654435761u) % MAX_CLASSES;

	for (int i = 0; i < MAX_CLASSES; i++, h = (h + 1) % MAX_CLASSES) {
		if (classes[h].key == key)
			return (int)h;
		if (!classes[h].key) {
			if (nr_classes >= MAX_CLASSES - 1)
				return -1;
			classes[h].key = key;
			classes[h].name = name;
			nr_classes++;
			return (int)h;
		}
	}
	return -1;
}

static bool has_dep(int a, int b)
{
	return deps[a][b / 64] & (1ULL << (b % 64));
}

/* Is there a path @from ->* @to? Depth-first over deps. */
static bool reaches(int from, int to, int *first_hop)
{
	static u64 visited[DEP_WORDS];
	static u16 stack[MAX_CLASSES], hop[MAX_CLASSES];
	int sp = 0;

	memset(visited, 0, sizeof(visited));
	stack[sp] = (u16)from;
	hop[sp++] = (u16)to;
	visited[from / 64] |= 1ULL << (from % 64);
	while (sp) {
		int c = stack[--sp], h = hop[sp];

		for (int n = 0; n < MAX_CLASSES; n++) {
			if (!has_dep(c, n) || (visited[n / 64] & (1ULL << (n % 64))))
				continue;
			if (c == from)
				h = n;
			if (n == to) {
				*first_hop = h;
				return true;
			}
			visited[n / 64] |= 1ULL << (n % 64);
			stack[sp] = (u16)n;
			hop[sp++] = (u16)h;
		}
	}
	return false;
}

static struct lock_edge *find_edge(int from, int to)
{
	for (int i = 0; i < nr_edges; i++)
		if (edges[i].from == from && edges[i].to == to)
			return &edges[i];
	return NULL;
}

static void print_trace(const unsigned long *pcs, int n)
{
	for (int i = 0; i < n; i++)
		printk(KERN_ERR "    %pS\n", (void *)pcs[i]);
}

static void report_inversion(int held, int next, int hop)
{
	struct task_struct *t = current;
	struct lock_edge *e = find_edge(next, hop);
	unsigned long pcs[TRACE_DEPTH];
	int n = arch_stack_trace(pcs, TRACE_DEPTH, 2);

	inversions++;
	pr_err("======================================================\n");
	pr_err("WARNING: possible circular locking dependency detected\n");
	pr_err("%s/%d is trying to acquire %s while holding %s\n", t->comm, t->pid,
	       classes[next].name, classes[held].name);
	pr_err("but %s -> %s was recorded first, at:\n", classes[next].name,
	       classes[hop].name);
	if (e)
		print_trace(e->pcs, e->nr_pcs);
	pr_err("and %s -> %s is taken now, at:\n", classes[held].name,
	       classes[next].name);
	print_trace(pcs, n);
	pr_err("======================================================\n");
}

/* Record held -> next, or report the cycle it would close. */
static void check_add(int held, int next)
{
	int hop;

	if (held == next || has_dep(held, next))
		return;
	if (reaches(next, held, &hop)) {
		report_inversion(held, next, hop);
		return;
	}
	deps[held][next / 64] |= 1ULL << (next % 64);
	if (nr_edges < MAX_EDGES) {
		struct lock_edge *e = &edges[nr_edges++];

		e->from = (u16)held;
		e->to = (u16)next;
		e->nr_pcs = arch_stack_trace(e->pcs, TRACE_DEPTH, 3);
	}
}

static int record_deps(struct task_struct *t, const void *key, const char *name,
		       bool trylock)
{
	int cls = class_get(key, name);

	if (cls < 0) {
		if (!table_full_warned)
			pr_err("lockdep: class table full, checking off for new classes\n");
		table_full_warned = true;
		return -1;
	}
	if (trylock || (preempt_count() & HARDIRQ_MASK))
		return cls;
	for (int i = 0; i < t->lockdep_depth; i++) {
		struct lock_class *hc = t->held_locks[i].class;

		if (hc)
			check_add((int)(hc - classes), cls);
	}
	return cls;
}

void lock_acquire(const void *lock, const void *key, const char *name,
		  bool trylock, unsigned long ip)
{
	struct task_struct *t;
	unsigned long flags;
	int cls = -1;

	if (!lockdep_enabled() || !(t = current))
		return;
	if (t->lockdep_depth >= LOCKDEP_MAX_HELD)
		return;
	flags = arch_local_irq_save();
	if (key) {
		raw_spin_lock(&graph_lock);
		cls = record_deps(t, key, name, trylock);
		raw_spin_unlock(&graph_lock);
	}
	t->held_locks[t->lockdep_depth].class = cls >= 0 ? &classes[cls] : NULL;
	t->held_locks[t->lockdep_depth].instance = lock;
	t->held_locks[t->lockdep_depth].ip = ip;
	t->lockdep_depth++;
	arch_local_irq_restore(flags);
}

void lock_release(const void *lock)
{
	struct task_struct *t = current;
	unsigned long flags;

	if (!t || !t->lockdep_depth)
		return;
	flags = arch_local_irq_save();
	for (int i = t->lockdep_depth - 1; i >= 0; i--) {
		if (t->held_locks[i].instance != lock)
			continue;
		for (int j = i; j < t->lockdep_depth - 1; j++)
			t->held_locks[j] = t->held_locks[j + 1];
		t->lockdep_depth--;
		break;
	}
	arch_local_irq_restore(flags);
}

bool lockdep_is_held(const void *lock)
{
	struct task_struct *t = current;

	for (int i = 0; t && i < t->lockdep_depth; i++)
		if (t->held_locks[i].instance == lock)
			return true;
	return false;
}
