/*
 * include/quire/types.h - fixed-width integer types for the whole kernel.
 *
 * Layer: everything. Freestanding: only the compiler's own headers are used,
 * so the same file serves arch/x86_64 (no libc) and arch/host (libc present).
 */
#ifndef QUIRE_TYPES_H
#define QUIRE_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 phys_addr_t;	/* a physical (bus) address */
typedef long ssize_t_k;		/* signed size; ssize_t is libc's on the host */
typedef s64 loff_t;		/* byte offset in a file or device */
typedef u64 sector_t;		/* 512-byte sector number */
typedef unsigned long pgoff_t;	/* page index in a file */
typedef unsigned short umode_t; /* file type and permission bits */

#ifndef LLONG_MAX
#define LLONG_MAX __LONG_LONG_MAX__ /* <limits.h> is not freestanding here */
#endif
#ifndef LONG_MAX
#define LONG_MAX __LONG_MAX__
#endif
#ifndef ULONG_MAX
#define ULONG_MAX (~0UL)
#endif

#endif
