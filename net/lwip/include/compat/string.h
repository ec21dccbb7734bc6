/*
 * net/lwip/include/compat/string.h - <string.h> for lwIP's sources, which
 * are compiled freestanding: Quire's own string functions (kernel/lib.c).
 */
#ifndef QUIRE_LWIP_COMPAT_STRING_H
#define QUIRE_LWIP_COMPAT_STRING_H
#include <quire/string.h>
#endif
