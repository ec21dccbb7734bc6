/*
 * include/arch/io.h - device memory (MMIO) accessors, Linux's names and
 * argument order.
 *
 * Layer: the arch seam. Used by: drivers/ (PCI config space through
 * ECAM, MSI-X tables, virtio-pci registers). Each arch provides
 * <asm/io.h> with these as static inlines:
 *
 *   u8  readb(const volatile void *addr);   void writeb(u8 v, volatile void *addr);
 *   u16 readw(const volatile void *addr);   void writew(u16 v, volatile void *addr);
 *   u32 readl(const volatile void *addr);   void writel(u32 v, volatile void *addr);
 *   u64 readq(const volatile void *addr);   void writeq(u64 v, volatile void *addr);
 *
 * Contract: one access of exactly that width at @addr (naturally
 * aligned, from arch_ioremap() or, on the host, any memory), never
 * split, merged, repeated or elided by the compiler; accesses to device
 * memory are ordered with each other in program order. Values are
 * little endian, as PCI is (both arches are). Context: any.
 *
 * x86_64: plain moves to uncached mappings (arch/x86_64/include/asm/io.h,
 * which also has the port I/O that only arch/x86_64 uses).
 * host: plain volatile accesses to ordinary memory: "devices" are memory
 * that tests or arch/host/pci.c fill in (arch/host/include/asm/io.h).
 * Port I/O is not part of the seam: no driver uses it.
 */
#ifndef ARCH_IO_H
#define ARCH_IO_H

#include <asm/io.h>

#endif
