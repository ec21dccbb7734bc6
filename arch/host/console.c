/*
 * arch/host/console.c - the console (stdin/stdout) and power.
 *
 * Layer: arch/host. Provides: arch_console_write(),
 * arch_console_throttle()/arch_console_unthrottle(), arch_poweroff(),
 * arch_reboot(), host_console_interrupt() (the console's interrupt handler,
 * on CPU 0).
 *
 * Output: write(2) to stdout, looping over partial writes and EINTR.
 * Input (interactive mode only): a reader thread (not a vCPU) reads stdin
 * into in_ring and raises HOST_IRQ_CONSOLE on CPU 0, whose handler hands
 * the bytes to console_receive(), as many as the kernel's ring has room
 * for; when it is full the rest waits in in_ring and the handler runs again
 * on arch_console_unthrottle() (kernel/console.c). At end of input the reader queues
 * "\npoweroff\n": the shell runs what it already read, then powers off
 * with status 0. A terminal is put in non-canonical, no-echo mode (the
 * shell edits lines itself) and restored at exit.
 *
 * Locking: in_ring is single-producer (reader thread, writes in_head) and
 * single-consumer (CPU 0's interrupt, writes in_tail); acquire/release on
 * the indexes publish the bytes. The reader sleeps on in_tail (futex) when
 * the ring is full.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "host.h"
#include <arch/console.h>
#include <arch/power.h>

#define IN_RING_SIZE	4096	/* bytes */

static char in_ring[IN_RING_SIZE];
static u32 in_head;		/* written by the reader thread */
static u32 in_tail;		/* written by CPU 0's interrupt; futex */
static int in_closed;		/* atomic: stdin reached EOF */
static struct termios saved_tty;
static int tty_saved;

void arch_console_write(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

void host_console_restore_tty(void)
{
	if (__atomic_exchange_n(&tty_saved, 0, __ATOMIC_ACQ_REL))
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
}

void arch_poweroff(int status)
{
	host_console_restore_tty();
	_exit(status);
}

/* No firmware to restart through: end the process, status 0. */
void arch_reboot(void)
{
	arch_poweroff(0);
}

bool host_console_input_ready(void)
{
	return __atomic_load_n(&in_head, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&in_tail, __ATOMIC_ACQUIRE);
}

bool host_console_input_closed(void)
{
	return __atomic_load_n(&in_closed, __ATOMIC_ACQUIRE);
}

u32 *host_console_input_word(void)
{
	return &in_head;
}

/* Context: hard interrupt on CPU 0. Hands over what the kernel's ring has
 * room for; the rest stays in in_ring (and the reader thread stops reading
 * stdin when that is full) until arch_console_unthrottle(). */
void host_console_interrupt(void)
{
	u32 head = __atomic_load_n(&in_head, __ATOMIC_ACQUIRE);
	u32 tail = in_tail;

	while (tail != head) {
		u32 off = tail % IN_RING_SIZE;
		u32 n = min(head - tail, IN_RING_SIZE - off);
		size_t room = console_receive_room();

		if (!room)
			break; /* throttled */
		n = min(n, (u32)min(room, (size_t)IN_RING_SIZE));
		console_receive(in_ring + off, n);
		tail += n;
	}
	__atomic_store_n(&in_tail, tail, __ATOMIC_RELEASE);
	host_futex_wake(&in_tail);
}

/* The bytes simply stay in in_ring: nothing to stop. */
void arch_console_throttle(void)
{
}

/* Context: any (the shell's CPU). The console interrupt takes the rest. */
void arch_console_unthrottle(void)
{
	host_raise_irq(0, HOST_IRQ_CONSOLE);
}

/* Copy @len bytes into the ring, waiting for room. Context: reader thread. */
static void ring_put(const char *buf, size_t len)
{
	u32 head = in_head;

	while (len) {
		u32 tail = __atomic_load_n(&in_tail, __ATOMIC_ACQUIRE);

		if (head - tail == IN_RING_SIZE) {
			host_futex_wait(&in_tail, tail, 0);
			continue;
		}
		in_ring[head % IN_RING_SIZE] = *buf++;
		len--;
		head++;
		if (head - tail == IN_RING_SIZE || !len) {
			__atomic_store_n(&in_head, head, __ATOMIC_RELEASE);
			host_futex_wake(&in_head);	/* det.c may wait here */
			if (!host_cfg.deterministic)
				host_raise_irq(0, HOST_IRQ_CONSOLE);
		}
	}
}

static void *reader_thread(void *arg)
{
	static const char eof_cmd[] = "\npoweroff\n";
	char buf[256];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ring_put(buf, n);
	}
	ring_put(eof_cmd, sizeof(eof_cmd) - 1);
	__atomic_store_n(&in_closed, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_terminate(int sig)
{
	host_console_restore_tty();
	_exit(128 + sig);
}

static void setup_tty(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	raw = saved_tty;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tty_saved = 1;
	signal(SIGINT, on_terminate);
	signal(SIGTERM, on_terminate);
	signal(SIGHUP, on_terminate);
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

/* Context: main thread before start_kernel(). */
void host_console_init(void)
{
	pthread_t t;
	sigset_t all, old;

	if (!host_cfg.interactive)
		return;
	setup_tty();
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);	/* no vCPU signals here */
	if (pthread_create(&t, NULL, reader_thread, NULL)) {
		fprintf(stderr, "quire-host: cannot start the console reader\n");
		exit(2);
	}
	pthread_detach(t); /* never joined: it ends at EOF, or with us */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
