/*
 * kernel/console.c - console input ring between the device's interrupt and
 * the shell.
 *
 * Layer: kernel. Provides: console_receive() (arch, interrupt context),
 * console_getc() (process context).
 *
 * Waiting: the reader sleeps on console_wait (a wait queue); the producer
 * wakes it after publishing bytes.
 *
 * Locking: the ring has one producer (the console interrupt, which runs on
 * one CPU at a time) and one consumer (the shell thread). head is written
 * only by the producer, tail only by the consumer; acquire/release ordering
 * on them publishes the bytes. Input beyond INPUT_RING_SIZE unread bytes is
 * dropped and counted.
 */
#include <quire/console.h>
#include <arch/console.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <quire/wait.h>

#define INPUT_RING_SIZE 4096	/* bytes; a pasted screenful */

static char ring[INPUT_RING_SIZE];
static unsigned int head;	/* next slot to fill; written by the producer */
static unsigned int tail;	/* next slot to read; written by the consumer */
static unsigned long dropped;	/* bytes lost to a full ring */

static DECLARE_WAIT_QUEUE_HEAD(console_wait);

unsigned int console_input_pending(void);

static void console_input_wake(void)
{
	if (wq_has_sleeper(&console_wait))
		wake_up(&console_wait);
}

static void console_input_wait(void)
{
	wait_event_interruptible(console_wait, console_input_pending());
}

void console_receive(const char *buf, size_t len)
{
	unsigned int h = __atomic_load_n(&head, __ATOMIC_RELAXED);

	for (size_t i = 0; i < len; i++) {
		if (h - __atomic_load_n(&tail, __ATOMIC_ACQUIRE) >= INPUT_RING_SIZE) {
			dropped++;
			continue;
		}
		ring[h % INPUT_RING_SIZE] = buf[i];
		h++;
	}
	__atomic_store_n(&head, h, __ATOMIC_RELEASE);
	console_input_wake();
}

unsigned int console_input_pending(void)
{
	return __atomic_load_n(&head, __ATOMIC_ACQUIRE) - tail;
}

int console_getc(void)
{
	char c;

	console_input_wait();
	c = ring[tail % INPUT_RING_SIZE];
	__atomic_store_n(&tail, tail + 1, __ATOMIC_RELEASE);
	return (unsigned char)c;
}
