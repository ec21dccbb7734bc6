/*
 * net/lwip/include/arch/cc.h - lwIP's compiler and platform definitions
 * for Quire (lwIP's "arch/cc.h" contract, doc/ports in lwIP's tree).
 *
 * Layer: net (lwIP port). Used by: every lwIP source file and Quire's
 * glue through lwip/arch.h.
 *
 * lwIP is compiled freestanding on both arches (-nostdinc, the compiler's
 * own headers and net/lwip/include/compat/), so it sees the same
 * environment under arch/x86_64 and arch/host and never reaches libc.
 */
#ifndef QUIRE_LWIP_ARCH_CC_H
#define QUIRE_LWIP_ARCH_CC_H

/* No <inttypes.h> or <ctype.h> freestanding: lwIP's own fallbacks. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H	   1
/* gcc's <limits.h> wants the C library's under -nostdinc: the few limits
 * lwIP uses come from the compiler's predefined macros. */
#define LWIP_NO_LIMITS_H   1
#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif
#define X8_F  "02x"
#define U16_F "hu"
#define S16_F "hd"
#define X16_F "hx"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER    LITTLE_ENDIAN /* x86_64 and the host alike */
#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

#define LWIP_PLATFORM_DIAG(x)     \
	do {                      \
		lwip_port_diag x; \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert(x, __FILE__, __LINE__)
#define LWIP_RAND()		lwip_port_rand()

/* net/lwip/sys_arch.c */
void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lwip_port_assert(const char *msg, const char *file, int line)
	__attribute__((noreturn));
unsigned int lwip_port_rand(void);

#endif
