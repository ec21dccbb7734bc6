/*
 * arch/x86_64/include/asm/idt.h - interrupt vectors: the saved register
 * frame and the vector registry.
 *
 * All 256 vectors enter one C function (idt.c). Vectors 0-31 are CPU
 * exceptions: unless a handler is registered (e.g. NMI for stopping CPUs)
 * they produce a panic report. Vectors >= 32 call the registered handler
 * between irq_enter() and irq_exit(); a vector without one panics. The
 * handler acknowledges its interrupt controller itself (LAPIC EOI).
 */
#ifndef ASM_IDT_H
#define ASM_IDT_H

#include <quire/types.h>

#define NR_VECTORS		256
#define FIRST_EXTERNAL_VECTOR	0x20
#define FIRST_ALLOC_VECTOR	0x30	/* x86_alloc_vector() hands out >= this */
#define SPURIOUS_APIC_VECTOR	0xff

/* What entry.S saves, lowest address first. */
struct pt_regs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector;
	u64 error_code;		/* 0 for vectors without one */
	u64 rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

/* Call @handler(@regs, @data) for @vector. 0, -EINVAL (bad vector) or
 * -EBUSY (already taken). Context: any; takes the registry lock. */
int x86_register_vector(unsigned int vector,
			void (*handler)(struct pt_regs *regs, void *data),
			void *data);
/* Remove @vector's handler. */
void x86_unregister_vector(unsigned int vector);

/* A free vector >= FIRST_ALLOC_VECTOR (not yet registered, reserved until
 * registered or freed), or -ENOSPC. */
int x86_alloc_vector(void);
/* Reserve @vector itself the same way: 0, -EINVAL, or -EBUSY when it is
 * registered or reserved already (nothing changes then). */
int x86_reserve_vector(unsigned int vector);
void x86_free_vector(unsigned int vector);

/* Print the panic report for @regs (registers, backtrace) and power off.
 * For handlers that find a fatal condition (e.g. an unexpected NMI). */
void x86_die(struct pt_regs *regs, const char *what) __attribute__((noreturn));

#endif
