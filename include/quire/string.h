/*
 * include/quire/string.h - memory and string helpers. arch/x86_64 provides
 * them in arch/x86_64/lib/string.c; arch/host uses libc's, whose signatures
 * match these exactly.
 */
#ifndef QUIRE_STRING_H
#define QUIRE_STRING_H

#include <quire/types.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

/* Kernel-only helpers (kernel/lib.c): copy with truncation, always NUL
 * terminated; return strlen(src). */
size_t strscpy_len(char *dst, const char *src, size_t size);

/* Parse an unsigned/signed integer (base 0 = auto: 0x.., 0.., decimal).
 * The whole string must be consumed; 0 or -EINVAL / -ERANGE. */
int kstrtoull(const char *s, unsigned int base, unsigned long long *res);
int kstrtoll(const char *s, unsigned int base, long long *res);
int kstrtouint(const char *s, unsigned int base, unsigned int *res);
int kstrtoint(const char *s, unsigned int base, int *res);
/* Parse a size with an optional K/M/G suffix (powers of 1024). */
int parse_size(const char *s, u64 *res);

#endif
