/*
 * net/lwip/include/compat/stdlib.h - <stdlib.h> for lwIP's sources: only
 * atoi (lwIP's ip4addr and netdb helpers name it), from kstrtoint.
 */
#ifndef QUIRE_LWIP_COMPAT_STDLIB_H
#define QUIRE_LWIP_COMPAT_STDLIB_H
#include <quire/string.h>
static inline int atoi(const char *s)
{
	int v = 0;

	return kstrtoint(s, 10, &v) ? 0 : v;
}
#endif
