/*
 * arch/x86_64/include/asm/serial.h - the 16550 console on COM1.
 */
#ifndef ASM_SERIAL_H
#define ASM_SERIAL_H

#define SERIAL_COM1_IRQ	4	/* ISA IRQ of COM1 */

/* Program COM1: 115200 8N1, FIFOs, interrupts off. Safe to call twice. */
void serial_init(void);

/* Turn on the received-data interrupt (the platform code routes ISA IRQ 4
 * to serial_handle_irq()). */
void serial_enable_rx_irq(void);

/* Drain the receive FIFO into console_receive(). Context: hard irq. */
void serial_handle_irq(void);

#endif
