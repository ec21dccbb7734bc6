/*
 * kernel/console.c - console input ring between the device's interrupt and
 * the shell, with flow control.
 *
 * Layer: kernel. Used by: the shell (console_getc()), the arch console
 * drivers (arch/x86_64/serial.c, arch/host/console.c).
 * Provides: console_receive_room() and console_receive() (arch, interrupt
 * context), console_getc() and console_input_pending() (process context).
 *
 * Flow control, as Linux's tty throttles its driver (tty_throttle(),
 * tty_unthrottle()): input is never dropped. The driver asks for room
 * before it takes bytes off its device; when the ring is full, room is 0
 * and the console is throttled: arch_console_throttle() has stopped the
 * device's input (x86: the UART's receive interrupt is masked, so its FIFO
 * and then QEMU hold the bytes; host: they wait in the reader's ring). Once
 * the shell has read the ring down to UNTHROTTLE_PENDING bytes, it calls
 * arch_console_unthrottle() and input flows again.
 *
 * Invariants:
 *  CON1: 0 <= head - tail <= INPUT_RING_SIZE (unsigned, wrapping indexes).
 *  CON2: a byte the driver took off its device is in the ring: the driver
 *        never takes more than console_receive_room() said (a driver that
 *        does anyway loses the excess, counted in dropped).
 *  CON3: throttled == 1 from arch_console_throttle() until the one call of
 *        arch_console_unthrottle() that follows it; whoever clears the flag
 *        (an atomic exchange) makes that call, so each throttle is undone
 *        exactly once.
 *  CON4: while throttled, the reader unthrottles before it could wait on an
 *        empty ring (it unthrottles at UNTHROTTLE_PENDING > 0 bytes left), so
 *        a throttled console never stalls.
 *
 * Locking: the ring has one producer (the console interrupt, which runs on
 * one CPU at a time) and one consumer (the shell thread). head is written
 * only by the producer, tail only by the consumer; acquire/release ordering
 * on them publishes the bytes. The throttle flag pairs a store with a load
 * on each side (producer: store throttled, load tail; reader: store tail,
 * load throttled), all sequentially consistent: one of them sees the
 * other's store (CON3, CON4).
 */
#include <quire/console.h>
#include <arch/console.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <quire/wait.h>

#define INPUT_RING_SIZE	   4096 /* bytes; a pasted screenful */
#define UNTHROTTLE_PENDING (INPUT_RING_SIZE / 2)

static char ring[INPUT_RING_SIZE];
static unsigned int head;	/* next slot to fill; written by the producer */
static unsigned int tail;	/* next slot to read; written by the consumer */
static int throttled;		/* CON3 */
static unsigned long dropped;	/* bytes a driver gave beyond the room (CON2) */

static DECLARE_WAIT_QUEUE_HEAD(console_wait);

static void console_input_wake(void)
{
	if (wq_has_sleeper(&console_wait))
		wake_up(&console_wait);
}

static void console_input_wait(void)
{
	wait_event_interruptible(console_wait, console_input_pending());
}

static unsigned int ring_room(void)
{
	return INPUT_RING_SIZE - (__atomic_load_n(&head, __ATOMIC_RELAXED) -
				  __atomic_load_n(&tail, __ATOMIC_ACQUIRE));
}

/*
 * Room for input, in bytes. 0 means the ring is full and the console is now
 * throttled: the driver leaves the rest on its device until
 * arch_console_unthrottle(). Context: the console interrupt (producer).
 */
size_t console_receive_room(void)
{
	unsigned int room = ring_room();

	if (room)
		return room;
	arch_console_throttle();
	/* Sequentially consistent: this store, then the load of tail below;
	 * the reader stores tail, then loads throttled (CON3, CON4). */
	__atomic_store_n(&throttled, 1, __ATOMIC_SEQ_CST);
	room = INPUT_RING_SIZE - (__atomic_load_n(&head, __ATOMIC_RELAXED) -
				  __atomic_load_n(&tail, __ATOMIC_SEQ_CST));
	if (room && __atomic_exchange_n(&throttled, 0, __ATOMIC_ACQ_REL))
		arch_console_unthrottle(); /* the reader drained it meanwhile */
	return room;
}

/*
 * Bytes taken off the console device; at most console_receive_room() of
 * them (CON2). Context: the console interrupt (producer).
 */
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

/* Restart a throttled console once the ring is half empty (CON4). The
 * caller stored tail with __ATOMIC_SEQ_CST: that store, then this load. */
static void console_check_unthrottle(void)
{
	if (!__atomic_load_n(&throttled, __ATOMIC_SEQ_CST) ||
	    console_input_pending() > UNTHROTTLE_PENDING)
		return;
	if (__atomic_exchange_n(&throttled, 0, __ATOMIC_ACQ_REL))
		arch_console_unthrottle();
}

int console_getc(void)
{
	char c;

	console_input_wait();
	c = ring[tail % INPUT_RING_SIZE];
	__atomic_store_n(&tail, tail + 1, __ATOMIC_SEQ_CST);
	console_check_unthrottle();
	return (unsigned char)c;
}
