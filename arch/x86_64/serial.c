/*
 * arch/x86_64/serial.c - the 16550 UART on COM1 as the console.
 *
 * Layer: arch/x86_64. Provides: arch_console_write() (polled output),
 * serial_init(), serial_enable_rx_irq(), serial_handle_irq(),
 * arch_console_throttle()/arch_console_unthrottle() (input flow control).
 *
 * Output polls the transmit-holding-register-empty bit, so it works in any
 * context, panic included. Input: the receive interrupt moves bytes from
 * the UART into the kernel's ring (kernel/console.c), never more than the
 * ring has room for. When it is full the kernel throttles us: the receive
 * interrupt is masked (IER = 0) and the bytes wait in the UART's FIFO, and
 * behind it in QEMU's character backend (which stops reading its pipe or
 * terminal while the FIFO is full), so nothing is lost. Unthrottling sets
 * IER again; the waiting bytes raise the interrupt at once (FIFO at its
 * trigger level) or after the 16550's character timeout (fewer bytes).
 *
 * Locking: callers serialise output (printk's console_lock); input is
 * drained by one interrupt handler at a time (COM1's IRQ goes to one CPU).
 * IER is written by that handler (throttle) and by the reader
 * (unthrottle), never at once: kernel/console.c pairs them (CON3).
 */
#include <quire/compiler.h>
#include <arch/console.h>
#include <asm/io.h>
#include <asm/serial.h>

#define COM1		0x3f8
#define UART_RBR	0	/* receive buffer (read) */
#define UART_THR	0	/* transmit holding (write) */
#define UART_IER	1	/* interrupt enable */
#define UART_FCR	2	/* FIFO control */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_DLL	0	/* divisor latch, with LCR.DLAB */
#define UART_DLM	1

#define LSR_DR		0x01	/* data ready */
#define LSR_THRE	0x20	/* transmit holding register empty */
#define IER_RDI		0x01	/* received data available interrupt */
#define MCR_DTR_RTS_OUT2 0x0b	/* OUT2 gates the IRQ line on PCs */
#define MCR_LOOP	 0x10	/* loopback: the receiver is off the line */
#define POLL_LIMIT	100000	/* spins before giving up on a stuck UART */

#define FCR_ENABLE_TRIG14 0xc1 /* FIFOs on, 14-byte trigger; no clear bits */

/* The byte the UART held before its FIFOs were on; handed to the console
 * by serial_enable_rx_irq(). */
static char early_rx[1];
static unsigned int early_rx_len;

/*
 * Turn the FIFOs on without losing input that is already waiting (a script
 * piped in before boot). A change of FCR.FE clears the receiver; the clear
 * bits are never set, so FIFOs already on (OVMF) keep their bytes. With the
 * FIFOs off the UART holds at most one byte: take it, then turn the FIFOs
 * on. In between, nothing may refill the receiver, or the clear drops that
 * byte: QEMU moves its next byte in within the very read of RBR (the
 * console mux hands over what it buffered as soon as a read makes room),
 * so the read is done in loopback mode (MCR.LOOP), where QEMU's RBR read
 * does not pull input; serial_init() leaves loopback right after. What
 * QEMU holds now is pulled in by serial_enable_rx_irq().
 */
static void serial_fifo_enable(void)
{
	u8 lsr, c;

	outb(COM1 + UART_MCR, MCR_LOOP);
	lsr = inb(COM1 + UART_LSR);
	c = inb(COM1 + UART_RBR);
	outb(COM1 + UART_FCR, FCR_ENABLE_TRIG14);
	if (lsr & LSR_DR)
		early_rx[early_rx_len++] = c;
}

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	serial_fifo_enable();
	outb(COM1 + UART_LCR, 0x80);	/* DLAB */
	outb(COM1 + UART_DLL, 1);	/* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

static void serial_putc(char c)
{
	for (int i = 0; i < POLL_LIMIT; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, c);
}

void arch_console_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

/* Context: interrupts off (arch_init_late), so the early byte reaches
 * console_receive() as if from the interrupt (the ring is empty). Bytes
 * that came after it wait in the FIFO and raise the interrupt now. With
 * the FIFO empty, one read of it makes QEMU move in what its console mux
 * buffered meanwhile (nothing else would: with stdin at its end, no new
 * byte comes to push them on, and input stalled for ever). A byte that
 * the host delivered between that LSR read and that RBR read would be
 * read and lost: a window of one instruction, once per boot. */
void serial_enable_rx_irq(void)
{
	if (early_rx_len) {
		console_receive(early_rx,
				min((size_t)early_rx_len, console_receive_room()));
		early_rx_len = 0;
	}
	outb(COM1 + UART_IER, IER_RDI);
	if (!(inb(COM1 + UART_LSR) & LSR_DR))
		(void)inb(COM1 + UART_RBR); /* empty: pulls QEMU's bytes in */
}

void arch_console_throttle(void)
{
	outb(COM1 + UART_IER, 0);
}

void arch_console_unthrottle(void)
{
	outb(COM1 + UART_IER, IER_RDI);
}

/* Move what the UART holds into the ring, up to its room; a full ring
 * throttles us (console_receive_room() returns 0) and the rest waits. */
void serial_handle_irq(void)
{
	char buf[64];

	while (inb(COM1 + UART_LSR) & LSR_DR) {
		size_t room = console_receive_room();
		size_t n = 0;

		if (!room)
			return;
		room = min(room, sizeof(buf));
		while (n < room && (inb(COM1 + UART_LSR) & LSR_DR))
			buf[n++] = inb(COM1 + UART_RBR);
		console_receive(buf, n);
	}
}
