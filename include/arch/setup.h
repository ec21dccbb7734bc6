/*
 * include/arch/setup.h - arch steps of start_kernel().
 */
#ifndef ARCH_SETUP_H
#define ARCH_SETUP_H

/* Late arch setup, called by start_kernel() once the page allocator,
 * kmalloc and the scheduler exist: interrupt controllers, the tick,
 * the console's input interrupt. Interrupts may be enabled on return. */
void arch_init_late(void);

#endif
