/*
 * fs/dd_internal.h - fs/dd.c's formatting and entry point, shared with its
 * tests (fs/dd_test.c).
 */
#ifndef FS_DD_INTERNAL_H
#define FS_DD_INTERNAL_H

#include <quire/types.h>

/* @ns as printf's "%g s" of seconds: "0.543021 s", "2.1e-05 s". */
void dd_format_seconds(char *buf, size_t size, u64 ns);
/* GNU dd's human sizes: "512 B", "1.1 GB", "64 MiB" (+ @suffix), one
 * decimal below @decimal_below; returns whether a unit prefix was needed. */
bool dd_format_human(char *buf, size_t size, u64 v, bool si, unsigned int decimal_below,
		     const char *suffix);
/* The line after "records out": "N bytes (SI, IEC) copied, S s, R/s";
 * with @progress (a status=progress line) S is whole seconds, "%.0f s". */
void dd_format_xfer(char *buf, size_t size, u64 bytes, u64 ns, bool progress);
/* A number operand as GNU dd reads it: 0, or -EINVAL (not a number, or
 * above LLONG_MAX). */
int dd_parse_size(const char *s, u64 *out);
/* The `dd` command (argv[0] is "dd"). */
int dd_command(int argc, char **argv);

#endif
