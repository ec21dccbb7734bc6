/*
 * net/lwip/sys_arch.c - lwIP's operating-system layer on Quire: counting
 * semaphores, mailboxes, mutexes, threads, the millisecond clock and the
 * lightweight protection (lwIP's sys.h contract with NO_SYS=0).
 *
 * Layer: net (lwIP port). Used by: lwIP (api/, core/timeouts.c,
 * tcpip.c), Quire's glue (ethif.c, net_shell.c). Provides: sys_sem_*,
 * sys_mbox_*, sys_mutex_*, sys_thread_new(), sys_now(),
 * sys_arch_protect()/unprotect(), lwip_port_diag/assert/rand(),
 * lwip_port_lock_core()/trylock_core()/unlock_core() (LOCK/UNLOCK_TCPIP_CORE,
 * LW4), lwip_mbox_get_stats() (a mailbox's fill, high mark and trypost
 * refusals: httpd's accept mailbox, docs/net.md "Connect storms").
 * Not here: per-thread semaphores (LWIP_NETCONN_SEM_PER_THREAD=0).
 *
 * Invariants:
 *  LW1: a semaphore's count is changed only under its wait queue's lock;
 *       a waiter takes one count or times out, never both.
 *  LW2: a mailbox holds 0..size messages in a ring (head = oldest) under
 *       box->wait.lock; a post never overwrites, a fetch never returns a
 *       slot twice; not_full/not_empty sleepers are woken on every change.
 *  LW3: sys_arch_protect() nests on one CPU (depth counts), with
 *       interrupts off for the whole outermost section.
 *  LW4: a timeout set under the core lock by a thread other than tcpip
 *       fires on time: the tcpip thread sleeps until the earliest timeout
 *       it saw when it last let the lock go, so an unlock that leaves an
 *       earlier one posts a no-op message to wake it (lwIP wakes it only
 *       when the timeout is set on the tcpip thread itself; with
 *       net.lwip.rx_direct a SYN starts TCP's timer from the driver's
 *       work: a 20 ms timeout fired after 456-460 ms, session 23 REVNG).
 *  LW5: an error marker (lwip_netconn_is_err_msg()) never takes one of
 *       the last MEMP_NUM_NETCONN slots of a mailbox larger than that
 *       (the accept mailboxes, DEFAULT_ACCEPTMBOX_SIZE): each connection
 *       waiting there holds a netconn, so it always finds a slot, while
 *       markers, one per SYN lwIP had no pcb for, have no bound (a marker
 *       refused costs nothing: accept_function() dropped that SYN
 *       anyway). A full accept mailbox resets a connection just after its
 *       handshake (docs/net.md, "Connect storms"). Receive mailboxes
 *       (smaller) take a reset's marker up to full.
 *
 * Locking: each semaphore and mailbox has its own wait queue whose lock
 * (irqsave) guards its count or ring. Waits sleep in wait_event_timeout()
 * with no other lock held. lwip_protect_lock is a leaf spinlock.
 * core_next_timeout(_set) are guarded by the core lock; the unlock's
 * wake-up post comes after the mutex is released (it takes
 * lwip_protect_lock for the message and the tcpip mailbox's lock).
 */
#include <quire/kernel.h>
#include <quire/string.h>
#include <quire/kthread.h>
#include <quire/mutex.h>
#include <quire/wait.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/jiffies.h>
#include <quire/smp.h>
#include <arch/time.h>

#include "lwip/opt.h"
#include "lwip/sys.h"
#include "lwip/stats.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"
#include "lwip/priv/api_msg.h"

#include "lwip_port.h"

struct lwip_sem {
	unsigned int count; /* guarded by wait.lock (LW1) */
	struct wait_queue_head wait;
};

struct lwip_mbox {
	unsigned int head, len, size; /* guarded by wait.lock (LW2) */
	unsigned int high;	      /* most messages held at once (wait.lock) */
	/* sys_mbox_trypost() refusals, atomic: a message (for an accept
	 * mailbox a connection lwIP then resets), an error marker */
	unsigned long full_msgs, full_errs;
	struct wait_queue_head wait; /* not_empty and not_full sleepers */
	void *msgs[];
};

/* --- clock --- */

u32_t sys_now(void)
{
	return (u32_t)(arch_clock_ns() / 1000000);
}

static unsigned long lwip_timeout_jiffies(u32_t timeout_ms)
{
	return timeout_ms ? msecs_to_jiffies(timeout_ms) : MAX_SCHEDULE_TIMEOUT;
}

/* --- semaphores --- */

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
	struct lwip_sem *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s) {
		SYS_STATS_INC(sem.err);
		return ERR_MEM;
	}
	s->count = count;
	init_waitqueue_head(&s->wait);
	*sem = s;
	SYS_STATS_INC_USED(sem);
	return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem)
{
	kfree(*sem);
	*sem = SYS_SEM_NULL;
	SYS_STATS_DEC(sem.used);
}

void sys_sem_signal(sys_sem_t *sem)
{
	struct lwip_sem *s = *sem;
	unsigned long flags;

	spin_lock_irqsave(&s->wait.lock, flags);
	s->count++;
	__wake_up_locked(&s->wait, TASK_NORMAL, 1);
	spin_unlock_irqrestore(&s->wait.lock, flags);
}

static bool lwip_sem_trydown(struct lwip_sem *s)
{
	unsigned long flags;
	bool got = false;

	spin_lock_irqsave(&s->wait.lock, flags);
	if (s->count) {
		s->count--;
		got = true;
	}
	spin_unlock_irqrestore(&s->wait.lock, flags);
	return got;
}

/* Milliseconds waited (at most @timeout_ms), or SYS_ARCH_TIMEOUT.
 * @timeout_ms 0: wait forever. Context: process, may sleep. */
u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout_ms)
{
	struct lwip_sem *s = *sem;
	u32_t start = sys_now();
	long left;

	left = wait_event_timeout(s->wait, lwip_sem_trydown(s),
				  lwip_timeout_jiffies(timeout_ms));
	if (!left)
		return SYS_ARCH_TIMEOUT;
	return lwip_elapsed_ms(start, timeout_ms);
}

/* --- mutexes --- */

err_t sys_mutex_new(sys_mutex_t *mutex)
{
	struct mutex *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m) {
		SYS_STATS_INC(mutex.err);
		return ERR_MEM;
	}
	mutex_init(m);
	*mutex = m;
	SYS_STATS_INC_USED(mutex);
	return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *mutex)
{
	kfree(*mutex);
	*mutex = NULL;
	SYS_STATS_DEC(mutex.used);
}

void sys_mutex_lock(sys_mutex_t *mutex)
{
	mutex_lock(*mutex);
}

void sys_mutex_unlock(sys_mutex_t *mutex)
{
	mutex_unlock(*mutex);
}

/* LW4. The tcpip thread, and the earliest timeout when the core lock was
 * taken by another thread (guarded by the core lock). */
static struct task_struct *lwip_tcpip_task;
static u32_t core_next_timeout;
static bool core_next_timeout_set;

/* Under the core lock: when the earliest timeout is due, in sys_now() ms. */
static bool lwip_next_timeout(u32_t *at)
{
	u32_t sleep = sys_timeouts_sleeptime();

	if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		return false;
	*at = sys_now() + sleep;
	return true;
}

void lwip_port_lock_core(void)
{
	sys_mutex_lock(&lock_tcpip_core);
	if (current != READ_ONCE(lwip_tcpip_task))
		core_next_timeout_set = lwip_next_timeout(&core_next_timeout);
}

/*
 * LOCK_TCPIP_CORE() if the lock is free now: true with it held (release
 * it with lwip_port_unlock_core()), false without waiting. LW4's
 * bookkeeping as lwip_port_lock_core(): the earliest timeout seen when a
 * thread other than tcpip takes the lock, so the unlock wakes tcpip if
 * the section set an earlier one. Context: process (may not sleep).
 */
bool lwip_port_trylock_core(void)
{
	if (!mutex_trylock(lock_tcpip_core))
		return false;
	if (current != READ_ONCE(lwip_tcpip_task))
		core_next_timeout_set = lwip_next_timeout(&core_next_timeout);
	return true;
}

static void lwip_timer_kick(void *arg)
{
	(void)arg; /* the tcpip thread recomputes its sleep after a message */
}

void lwip_port_unlock_core(void)
{
	struct task_struct *tcpip = READ_ONCE(lwip_tcpip_task);
	bool kick = false;
	u32_t at;

	if (tcpip && current != tcpip && lwip_next_timeout(&at))
		/* earlier by 2 ms or more: sys_now() may tick between reads */
		kick = !core_next_timeout_set || (s32_t)(at - core_next_timeout) < -1;
	sys_mutex_unlock(&lock_tcpip_core);
	if (kick)
		tcpip_try_callback(lwip_timer_kick, NULL); /* full: it is awake */
}

void lwip_port_assert_core_locked(void)
{
	/* tcpip_init() runs lwip_init() before it creates the lock. */
	if (lock_tcpip_core)
		WARN_ON_ONCE(!mutex_is_owner(lock_tcpip_core));
}

/* --- mailboxes --- */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
	struct lwip_mbox *b;

	if (size <= 0)
		size = 16;
	b = kzalloc(sizeof(*b) + size * sizeof(void *), GFP_KERNEL);
	if (!b) {
		SYS_STATS_INC(mbox.err);
		return ERR_MEM;
	}
	b->size = size;
	init_waitqueue_head(&b->wait);
	*mbox = b;
	SYS_STATS_INC_USED(mbox);
	return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
	struct lwip_mbox *b = *mbox;

	/* lwIP drains a mailbox before freeing it: a message left is a leak. */
	WARN_ON_ONCE(b->len);
	kfree(b);
	*mbox = SYS_MBOX_NULL;
	SYS_STATS_DEC(mbox.used);
}

/* Puts @msg if fewer than @room messages are held (<= size; LW2, LW5). */
static bool lwip_mbox_tryput(struct lwip_mbox *b, void *msg, unsigned int room)
{
	unsigned long flags;
	bool put = false;

	spin_lock_irqsave(&b->wait.lock, flags);
	if (b->len < room) {
		b->msgs[(b->head + b->len) % b->size] = msg;
		b->len++;
		if (b->len > b->high)
			b->high = b->len;
		put = true;
		__wake_up_locked(&b->wait, TASK_NORMAL, 0);
	}
	spin_unlock_irqrestore(&b->wait.lock, flags);
	return put;
}

static bool lwip_mbox_tryget(struct lwip_mbox *b, void **msg)
{
	unsigned long flags;
	bool got = false;

	spin_lock_irqsave(&b->wait.lock, flags);
	if (b->len) {
		void *m = b->msgs[b->head];

		if (msg)
			*msg = m;
		b->head = (b->head + 1) % b->size;
		b->len--;
		got = true;
		__wake_up_locked(&b->wait, TASK_NORMAL, 0);
	}
	spin_unlock_irqrestore(&b->wait.lock, flags);
	return got;
}

/* Blocks while the mailbox is full. Context: process, may sleep. */
void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
	struct lwip_mbox *b = *mbox;

	wait_event(b->wait, lwip_mbox_tryput(b, msg, b->size));
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
	struct lwip_mbox *b = *mbox;
	unsigned int room = b->size;
	bool marker;
	err_t err;

	/* an accept or receive mailbox gets lwIP's error markers too (LW5) */
	marker = lwip_netconn_is_err_msg(msg, &err);
	if (marker && b->size > MEMP_NUM_NETCONN)
		room = b->size - MEMP_NUM_NETCONN;
	if (lwip_mbox_tryput(b, msg, room))
		return ERR_OK;
	SYS_STATS_INC(mbox.err);
	__atomic_add_fetch(marker ? &b->full_errs : &b->full_msgs, 1, __ATOMIC_RELAXED);
	return ERR_MEM;
}

/* LW5: a receive mailbox takes markers up to full; an accept mailbox has
 * a slot for every netconn and at least one for markers. */
BUILD_BUG_ON(DEFAULT_TCP_RECVMBOX_SIZE > MEMP_NUM_NETCONN);
BUILD_BUG_ON(DEFAULT_UDP_RECVMBOX_SIZE > MEMP_NUM_NETCONN);
BUILD_BUG_ON(DEFAULT_RAW_RECVMBOX_SIZE > MEMP_NUM_NETCONN);
BUILD_BUG_ON(DEFAULT_ACCEPTMBOX_SIZE <= MEMP_NUM_NETCONN);

void lwip_mbox_get_stats(sys_mbox_t *mbox, struct lwip_mbox_stats *s)
{
	struct lwip_mbox *b = *mbox;
	unsigned long flags;

	spin_lock_irqsave(&b->wait.lock, flags);
	s->len = b->len;
	s->size = b->size;
	s->high = b->high;
	spin_unlock_irqrestore(&b->wait.lock, flags);
	s->full_msgs = __atomic_load_n(&b->full_msgs, __ATOMIC_RELAXED);
	s->full_errs = __atomic_load_n(&b->full_errs, __ATOMIC_RELAXED);
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
	return sys_mbox_trypost(mbox, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout_ms)
{
	struct lwip_mbox *b = *mbox;
	u32_t start = sys_now();
	long left;

	left = wait_event_timeout(b->wait, lwip_mbox_tryget(b, msg),
				  lwip_timeout_jiffies(timeout_ms));
	if (!left)
		return SYS_ARCH_TIMEOUT;
	return lwip_elapsed_ms(start, timeout_ms);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
	return lwip_mbox_tryget(*mbox, msg) ? 0 : SYS_MBOX_EMPTY;
}

/* --- threads --- */

struct lwip_thread_start {
	lwip_thread_fn fn;
	void *arg;
};

static int lwip_thread_entry(void *data)
{
	struct lwip_thread_start start = *(struct lwip_thread_start *)data;

	kfree(data);
	start.fn(start.arg);
	return 0;
}

/* lwIP's threads (the tcpip thread) run forever; @stacksize and @prio are
 * ignored (Quire's kthreads have one stack size and one class). */
sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg, int stacksize,
			    int prio)
{
	struct lwip_thread_start *start = kmalloc(sizeof(*start), GFP_KERNEL);
	struct task_struct *t;

	if (!start)
		panic("lwip: no memory for thread %s", name);
	start->fn = fn;
	start->arg = arg;
	t = kthread_run(lwip_thread_entry, start, "%s", name);
	if (IS_ERR(t))
		panic("lwip: cannot start thread %s", name);
	if (!strcmp(name, TCPIP_THREAD_NAME))
		WRITE_ONCE(lwip_tcpip_task, t); /* LW4 */
	return t;
}

void sys_init(void)
{
}

/* --- lightweight protection (LW3) --- */

static DEFINE_SPINLOCK(lwip_protect_lock);
static int lwip_protect_owner = -1; /* CPU holding it, guarded by itself */
static unsigned int lwip_protect_depth;

sys_prot_t sys_arch_protect(void)
{
	unsigned long flags = arch_local_irq_save();

	if (__atomic_load_n(&lwip_protect_owner, __ATOMIC_RELAXED) ==
	    (int)smp_processor_id()) {
		lwip_protect_depth++;
		return flags;
	}
	spin_lock(&lwip_protect_lock);
	__atomic_store_n(&lwip_protect_owner, (int)smp_processor_id(), __ATOMIC_RELAXED);
	lwip_protect_depth = 1;
	return flags;
}

void sys_arch_unprotect(sys_prot_t flags)
{
	if (--lwip_protect_depth == 0) {
		__atomic_store_n(&lwip_protect_owner, -1, __ATOMIC_RELAXED);
		spin_unlock(&lwip_protect_lock);
	}
	arch_local_irq_restore(flags);
}

/* --- diagnostics and randomness --- */

void lwip_port_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

/* An lwIP assertion is a broken invariant inside the stack: its state can
 * no longer be trusted, so the kernel stops with the message. */
void lwip_port_assert(const char *msg, const char *file, int line)
{
	panic("lwip: assertion \"%s\" failed at %s:%d", msg, file, line);
}

/* xorshift64*, seeded from the clock at first use: TCP initial sequence
 * numbers, DHCP transaction ids and local ports only need to differ
 * between boots, not to be secret (docs/net.md, "Left out"). */
static u64 lwip_rand_state;

unsigned int lwip_port_rand(void)
{
	u64 x = __atomic_load_n(&lwip_rand_state, __ATOMIC_RELAXED);

	if (!x)
		x = arch_clock_ns() | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	__atomic_store_n(&lwip_rand_state, x, __ATOMIC_RELAXED);
	return (unsigned int)((x * 0x2545F4914F6CDD1DULL) >> 32);
}
