/*
 * arch/x86_64/serial.c - the 16550 UART on COM1 as the console.
 *
 * Layer: arch/x86_64. Provides: arch_console_write() (polled output),
 * serial_init(), serial_enable_rx_irq(), serial_handle_irq().
 *
 * Output polls the transmit-holding-register-empty bit, so it works in any
 * context, panic included. Locking: callers serialise output (printk's
 * console_lock); input is drained by one interrupt handler at a time.
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
#define POLL_LIMIT	100000	/* spins before giving up on a stuck UART */

/* Enabling the FIFOs flushes the receiver: bytes typed (or piped) before
 * serial_init() are drained here just before, and handed to the console
 * by serial_enable_rx_irq(). */
static char early_rx[256];
static unsigned int early_rx_len;

static void serial_save_early_input(void)
{
	while (early_rx_len < sizeof(early_rx) && (inb(COM1 + UART_LSR) & LSR_DR))
		early_rx[early_rx_len++] = inb(COM1 + UART_RBR);
}

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x80);	/* DLAB */
	outb(COM1 + UART_DLL, 1);	/* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1 */
	serial_save_early_input();
	outb(COM1 + UART_FCR, 0xc7);	/* enable + clear FIFOs, 14-byte trigger */
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

/* Context: interrupts off (arch_init_late), so the early bytes reach
 * console_receive() as if from the interrupt. */
void serial_enable_rx_irq(void)
{
	if (early_rx_len) {
		console_receive(early_rx, early_rx_len);
		early_rx_len = 0;
	}
	outb(COM1 + UART_IER, IER_RDI);
}

void serial_handle_irq(void)
{
	char buf[64];
	size_t n = 0;

	while (inb(COM1 + UART_LSR) & LSR_DR) {
		buf[n++] = inb(COM1 + UART_RBR);
		if (n == sizeof(buf)) {
			console_receive(buf, n);
			n = 0;
		}
	}
	if (n)
		console_receive(buf, n);
}
