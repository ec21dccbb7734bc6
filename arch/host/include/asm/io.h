/*
 * arch/host/include/asm/io.h - MMIO accessors for the host build
 * (include/arch/io.h states the contract).
 *
 * A "device" on the host is ordinary memory (arch/host/pci.c's fake ECAM,
 * or RAM a test hands out as a BAR), so an access is a volatile load or
 * store of that width; nothing is behind it that would need uncached
 * ordering.
 */
#ifndef ASM_IO_H
#define ASM_IO_H

#include <quire/types.h>

static inline u8 readb(const volatile void *a)
{
	return *(const volatile u8 *)a;
}
static inline u16 readw(const volatile void *a)
{
	return *(const volatile u16 *)a;
}
static inline u32 readl(const volatile void *a)
{
	return *(const volatile u32 *)a;
}
static inline u64 readq(const volatile void *a)
{
	return *(const volatile u64 *)a;
}
static inline void writeb(u8 v, volatile void *a)
{
	*(volatile u8 *)a = v;
}
static inline void writew(u16 v, volatile void *a)
{
	*(volatile u16 *)a = v;
}
static inline void writel(u32 v, volatile void *a)
{
	*(volatile u32 *)a = v;
}
static inline void writeq(u64 v, volatile void *a)
{
	*(volatile u64 *)a = v;
}

#endif
