/*
 * include/quire/printk.h - kernel log: printk() with levels into a ring
 * buffer (read by the `dmesg` shell command) and onto the console.
 *
 * Levels are Linux's: a message may start with KERN_ERR etc. Each record is
 * stamped with the nanosecond clock and shown as "[   1.234567] text".
 * Formatting is kernel/vsprintf.c (scnprintf, vscnprintf; %pS prints a code
 * address as symbol+offset). No snprintf/vsnprintf here: on arch/host those
 * names belong to libc.
 */
#ifndef QUIRE_PRINTK_H
#define QUIRE_PRINTK_H

#include <quire/compiler.h>

#define KERN_SOH	"\001"
#define KERN_EMERG	KERN_SOH "0"
#define KERN_ALERT	KERN_SOH "1"
#define KERN_CRIT	KERN_SOH "2"
#define KERN_ERR	KERN_SOH "3"
#define KERN_WARNING	KERN_SOH "4"
#define KERN_NOTICE	KERN_SOH "5"
#define KERN_INFO	KERN_SOH "6"
#define KERN_DEBUG	KERN_SOH "7"
#define LOGLEVEL_DEFAULT 6

int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list args);

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_emerg(fmt, ...)	printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...)	printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)	printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)

/* Formatting into a buffer; return the number of characters written (not
 * counting the NUL), never more than size - 1. */
int scnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vscnprintf(char *buf, size_t size, const char *fmt, va_list args);

/* Console output that bypasses the log (shell replies, KTAP lines). */
int cprintf(const char *fmt, ...) __printf(1, 2);
void console_write(const char *s, size_t len);

/* Copy the log ring buffer out, oldest first; returns bytes copied. */
size_t log_buf_copy(char *buf, size_t size);

#endif
