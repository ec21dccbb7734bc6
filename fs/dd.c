/*
 * fs/dd.c - the shell's `dd`: copy blocks between devices through their
 * files, with GNU dd's operands and summary.
 *
 * Layer: fs (user interface). Used by: the shell, tests, make bench.
 * Provides: the `dd` command; dd_format_seconds() and dd_format_human()
 * for its tests (fs/dd_internal.h).
 * Not here: files of a file system (no VFS path lookup yet: if= and of=
 * name a disk or a character device), conv= other than fsync/fdatasync/
 * notrunc, ibs/obs/cbs, iflag=fullblock.
 *
 *   dd if=zero|null|DISK of=null|DISK [bs=N[KMG][B|iB]] [count=N] [skip=N]
 *      [seek=N] [iflag=direct,dsync,sync] [oflag=...] [conv=fsync|fdatasync]
 *      [status=progress|noxfer|none]
 *
 * Every block goes through the files' f_op->read and f_op->write: a disk
 * is buffered through its page cache by default (block/bdev.c), O_DIRECT
 * with iflag/oflag=direct. Numbers take GNU dd's suffixes (dd_parse_size():
 * 1M = 1MiB = 1048576, 1MB = 1000000, 2x512 = 1024). conv=fsync ends with
 * vfs_fsync() (writeback and a cache flush of the disk). The summary is
 * GNU dd's:
 *
 *   64+0 records in
 *   64+0 records out
 *   67108864 bytes (67 MB, 64 MiB) copied, 0.543021 s, 124 MB/s
 *
 * with status=progress a line "N bytes (...) copied, S s, R/s" each
 * second, S in whole seconds as GNU dd's "%.0f s" (on a line of its own:
 * the console is a log). The time is
 * arch_clock_ns() from the first read to the end of the fsync; no
 * floating point (the kernel has none).
 *
 * Locking: none of its own; runs in the shell's thread and may sleep.
 */
#include <quire/shell.h>
#include <quire/fs.h>
#include <quire/blkdev.h>
#include <quire/chrdev.h>
#include <quire/mm.h>
#include <quire/sched.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <arch/time.h>
#include "dd_internal.h"

#define DD_MAX_BS      (4UL << 20)   /* one buffer: kmalloc's largest block */
#define DD_PROGRESS_NS 1000000000ULL /* status=progress: a line a second */

struct dd_opts {
	const char *in, *out;
	u64 bs, count, skip, seek;
	bool count_set;
	unsigned int iflags, oflags;
	bool fsync, fdatasync;
	enum {
		DD_STATUS_DEFAULT,
		DD_STATUS_NONE,
		DD_STATUS_NOXFER,
		DD_STATUS_PROGRESS
	} status;
};

struct dd_stats {
	u64 in_full, in_partial, out_full, out_partial;
	u64 bytes;
	u64 start_ns, last_progress_ns;
};

/* strerror() for the errors dd can meet; else the errno's name. */
static const char *dd_strerror(int err)
{
	switch (-err) {
	case EIO:
		return "Input/output error";
	case ENOSPC:
		return "No space left on device";
	case EINVAL:
		return "Invalid argument";
	case ENODEV:
		return "No such device";
	case ENXIO:
		return "No such device or address";
	case EROFS:
		return "Read-only file system";
	case EPERM:
		return "Operation not permitted";
	case ENOMEM:
		return "Cannot allocate memory";
	case EOPNOTSUPP:
		return "Operation not supported";
	}
	return errname(err);
}

/* ---- numbers as GNU dd prints them ---- */

void dd_format_seconds(char *buf, size_t size, u64 ns)
{
	char digits[24], mant[16];
	int nd, e, i, len;
	u64 sig = ns, p = 1;

	if (!ns) {
		scnprintf(buf, size, "0 s");
		return;
	}
	nd = scnprintf(digits, sizeof(digits), "%llu", (unsigned long long)ns);
	/* Six significant digits, rounded to nearest (printf's %g). */
	if (nd > 6) {
		for (i = 0; i < nd - 6; i++)
			p *= 10;
		sig = (ns + p / 2) / p;
	} else {
		for (i = 0; i < 6 - nd; i++)
			sig *= 10;
	}
	e = nd - 1 - 9;	      /* decimal exponent of the seconds */
	if (sig >= 1000000) { /* 9999995 ns rounds up to 0.01 s */
		sig /= 10;
		e++;
	}
	scnprintf(mant, sizeof(mant), "%06llu", (unsigned long long)sig);
	for (len = 6; len > 1 && mant[len - 1] == '0'; len--)
		;
	if (e < -4) { /* %g's exponent form */
		scnprintf(buf, size, "%c%s%.*se-%02d s", mant[0], len > 1 ? "." : "",
			  len - 1, mant + 1, -e);
	} else if (e < 0) {
		scnprintf(buf, size, "0.%.*s%.*s s", -e - 1, "0000", len, mant);
	} else if (len <= e + 1) {
		scnprintf(buf, size, "%.*s s", e + 1, mant);
	} else {
		scnprintf(buf, size, "%.*s.%.*s s", e + 1, mant, len - e - 1,
			  mant + e + 1);
	}
}

/* printf's "%.0f s" of @ns: whole seconds, half to even (2.5 s is "2 s"). */
static void dd_format_whole_seconds(char *buf, size_t size, u64 ns)
{
	u64 secs = ns / 1000000000ULL, rem = ns % 1000000000ULL;

	if (rem > 500000000ULL || (rem == 500000000ULL && (secs & 1)))
		secs++;
	scnprintf(buf, size, "%llu s", (unsigned long long)secs);
}

/* GNU dd's human numbers with autoscale, rounded to nearest: "512 B",
 * "1.5 kB", "67 MB" (@si) or "64 MiB". One decimal below @decimal_below
 * (10 for sizes; 100 for rates, which dd 9.x prints with three digits:
 * "73.8 MB/s", "133 MB/s"). Returns whether a unit prefix was needed. */
bool dd_format_human(char *buf, size_t size, u64 v, bool si, unsigned int decimal_below,
		     const char *suffix)
{
	static const char *const si_units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
	static const char *const iec_units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	const char *const *units = si ? si_units : iec_units;
	u64 base = si ? 1000 : 1024, div = base, tenths, whole;
	int u = 0;

	if (v < base) {
		scnprintf(buf, size, "%llu B%s", (unsigned long long)v, suffix);
		return false;
	}
	while (u < 5 && v / div >= base) {
		div *= base;
		u++;
	}
	tenths = v / div * 10 + ((v % div) * 10 + div / 2) / div;
	if (tenths < (u64)decimal_below * 10) {
		scnprintf(buf, size, "%llu.%llu %s%s", (unsigned long long)tenths / 10,
			  (unsigned long long)tenths % 10, units[u], suffix);
		return true;
	}
	whole = v / div + (v % div >= div / 2);
	if (whole >= base && u < 5) /* 999.6 MB is 1.0 GB */
		scnprintf(buf, size, "1.0 %s%s", units[u + 1], suffix);
	else
		scnprintf(buf, size, "%llu %s%s", (unsigned long long)whole, units[u],
			  suffix);
	return true;
}

/* n / d rounded to nearest (human_readable()'s human_round_to_nearest). */
static u64 div_round(u64 n, u64 d)
{
	return n / d + (n % d >= d - d / 2);
}

/* Bytes per second without overflow: @bytes * 1e9 / @ns, to nearest. */
static u64 dd_rate(u64 bytes, u64 ns)
{
	if (bytes < (1ULL << 33))
		return div_round(bytes * 1000000000ULL, ns);
	if (bytes < (1ULL << 43))
		return div_round(bytes * 1000000ULL, ns / 1000 ? ns / 1000 : 1);
	return div_round(bytes, ns / 1000000000ULL ? ns / 1000000000ULL : 1);
}

/* "67108864 bytes (67 MB, 64 MiB) copied, 0.543021 s, 124 MB/s" */
void dd_format_xfer(char *buf, size_t size, u64 bytes, u64 ns, bool progress)
{
	char si[24], iec[24], secs[32], rate[32];
	bool si_prefix = dd_format_human(si, sizeof(si), bytes, true, 10, "");
	bool iec_prefix = dd_format_human(iec, sizeof(iec), bytes, false, 10, "");

	if (progress)
		dd_format_whole_seconds(secs, sizeof(secs), ns);
	else
		dd_format_seconds(secs, sizeof(secs), ns);
	if (!ns)
		scnprintf(rate, sizeof(rate), "Infinity B/s");
	else if (!bytes)
		scnprintf(rate, sizeof(rate), "0.0 kB/s");
	else
		dd_format_human(rate, sizeof(rate), dd_rate(bytes, ns), true, 100, "/s");
	if (!si_prefix)
		scnprintf(buf, size, "%llu byte%s copied, %s, %s",
			  (unsigned long long)bytes, bytes == 1 ? "" : "s", secs, rate);
	else if (!iec_prefix)
		scnprintf(buf, size, "%llu bytes (%s) copied, %s, %s",
			  (unsigned long long)bytes, si, secs, rate);
	else
		scnprintf(buf, size, "%llu bytes (%s, %s) copied, %s, %s",
			  (unsigned long long)bytes, si, iec, secs, rate);
}

/* ---- operands ---- */

/*
 * The next word of the comma list at *@list into @word: 0, or -EINVAL for
 * an empty word (GNU dd refuses "iflag=", "direct," and ",direct": "invalid
 * input flag: ''") or one too long for @word. *@list moves past the word
 * and its comma; *@n is the word's length (for the message); *@more says
 * whether a comma followed it (then another word must come).
 */
static int dd_next_word(const char **list, char *word, size_t size, size_t *n, bool *more)
{
	const char *comma = strchr(*list, ',');

	*n = comma ? (size_t)(comma - *list) : strlen(*list);
	*more = comma != NULL;
	if (*n == 0 || *n >= size)
		return -EINVAL;
	memcpy(word, *list, *n);
	word[*n] = '\0';
	*list += *n + (comma ? 1 : 0);
	return 0;
}

static int dd_parse_flags(const char *what, const char *list, unsigned int *flags)
{
	const char *p = list, *w;
	char word[32];
	bool more;
	size_t n;

	do {
		w = p;
		if (dd_next_word(&p, word, sizeof(word), &n, &more))
			goto bad;
		if (strcmp(word, "direct") == 0)
			*flags |= O_DIRECT;
		else if (strcmp(word, "dsync") == 0)
			*flags |= O_DSYNC;
		else if (strcmp(word, "sync") == 0)
			*flags |= O_SYNC;
		else
			goto bad;
	} while (more);
	return 0;
bad:
	shell_error("dd", "invalid %s flag: '%.*s'", what, (int)n, w);
	return -EINVAL;
}

static int dd_parse_conv(struct dd_opts *o, const char *list)
{
	const char *p = list, *w;
	char word[32];
	bool more;
	size_t n;

	do {
		w = p;
		if (dd_next_word(&p, word, sizeof(word), &n, &more))
			goto bad;
		if (strcmp(word, "fsync") == 0)
			o->fsync = true;
		else if (strcmp(word, "fdatasync") == 0)
			o->fdatasync = true;
		else if (strcmp(word, "notrunc") != 0) /* devices never truncate */
			goto bad;
	} while (more);
	return 0;
bad:
	shell_error("dd", "invalid conversion: '%.*s'", (int)n, w);
	return -EINVAL;
}

/* The power of 1000 or 1024 a GNU dd suffix letter stands for; 0 if none. */
static unsigned int dd_suffix_power(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 1;
	case 'm':
	case 'M':
		return 2;
	case 'g':
	case 'G':
		return 3;
	case 't':
	case 'T':
		return 4;
	case 'P':
		return 5;
	case 'E':
		return 6;
	}
	return 0;
}

/* One factor at *@s: digits, then at most one suffix (c 1, w 2, b 512, or
 * K M G T P E, each a power of 1024, of 1000 with a "B" after it: "kB",
 * "MB"; "KiB" is 1024 again). Moves *@s past it. 0 or -EINVAL (no digits,
 * above LLONG_MAX). */
static int dd_parse_factor(const char **s, u64 *out)
{
	const char *p = *s;
	u64 v = 0, mult = 1, base = 1024;
	unsigned int power;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ULL - (u64)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (u64)(*p - '0');
	}
	power = dd_suffix_power(*p);
	if (power) {
		p++;
		if (p[0] == 'B') {
			base = 1000;
			p++;
		} else if (p[0] == 'i' && p[1] == 'B') {
			p += 2;
		}
		while (power--)
			mult *= base; /* at most 1024^6 = 2^60 */
	} else if (*p == 'c' || *p == 'w' || *p == 'b') {
		mult = *p == 'c' ? 1 : *p == 'w' ? 2 : 512;
		p++;
	}
	if (v > (u64)LLONG_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	*s = p;
	return 0;
}

/*
 * GNU dd's parse_integer(): factors joined by 'x' ("2x512", "4x1M") are
 * multiplied; the product, as every factor, must stay within LLONG_MAX
 * (an offset in bytes is an loff_t). Suffixes as dd_parse_factor(); Quire
 * also takes lower-case m, g and t as M, G and T (GNU refuses them).
 */
int dd_parse_size(const char *s, u64 *out)
{
	u64 v, f;

	if (dd_parse_factor(&s, &v))
		return -EINVAL;
	while (*s == 'x') {
		s++;
		if (dd_parse_factor(&s, &f))
			return -EINVAL;
		if (f && v > (u64)LLONG_MAX / f)
			return -EINVAL;
		v *= f;
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

static int dd_parse_number(const char *key, const char *val, u64 *out)
{
	if (dd_parse_size(val, out)) {
		shell_error("dd", "invalid number: '%s' (%s=)", val, key);
		return -EINVAL;
	}
	return 0;
}

static int dd_parse_status(struct dd_opts *o, const char *val)
{
	if (strcmp(val, "none") == 0)
		o->status = DD_STATUS_NONE;
	else if (strcmp(val, "noxfer") == 0)
		o->status = DD_STATUS_NOXFER;
	else if (strcmp(val, "progress") == 0)
		o->status = DD_STATUS_PROGRESS;
	else {
		shell_error("dd", "invalid status level: '%s'", val);
		return -EINVAL;
	}
	return 0;
}

static int dd_parse_one(struct dd_opts *o, char *arg)
{
	char *val = strchr(arg, '=');

	if (!val || val == arg) {
		shell_error("dd", "unrecognized operand '%s'", arg);
		return -EINVAL;
	}
	*val++ = '\0';
	if (strcmp(arg, "if") == 0)
		o->in = val;
	else if (strcmp(arg, "of") == 0)
		o->out = val;
	else if (strcmp(arg, "bs") == 0)
		return dd_parse_number(arg, val, &o->bs);
	else if (strcmp(arg, "count") == 0) {
		o->count_set = true;
		return dd_parse_number(arg, val, &o->count);
	} else if (strcmp(arg, "skip") == 0)
		return dd_parse_number(arg, val, &o->skip);
	else if (strcmp(arg, "seek") == 0)
		return dd_parse_number(arg, val, &o->seek);
	else if (strcmp(arg, "iflag") == 0)
		return dd_parse_flags("input", val, &o->iflags);
	else if (strcmp(arg, "oflag") == 0)
		return dd_parse_flags("output", val, &o->oflags);
	else if (strcmp(arg, "conv") == 0)
		return dd_parse_conv(o, val);
	else if (strcmp(arg, "status") == 0)
		return dd_parse_status(o, val);
	else {
		val[-1] = '=';
		shell_error("dd", "unrecognized operand '%s'", arg);
		return -EINVAL;
	}
	if (!*val) {
		shell_error("dd", "empty device name in '%s='", arg);
		return -EINVAL;
	}
	return 0;
}

static int dd_parse(struct dd_opts *o, int argc, char **argv)
{
	int i, err;

	memset(o, 0, sizeof(*o));
	o->bs = 512; /* GNU dd's default */
	for (i = 1; i < argc; i++) {
		err = dd_parse_one(o, argv[i]);
		if (err)
			return err;
	}
	if (!o->in || !o->out) {
		shell_error(
			"dd",
			"missing operand %s (usage: dd if=zero|null|DISK of=null|DISK "
			"bs=N count=N ...)",
			o->in ? "of=" : "if=");
		return -EINVAL;
	}
	if (o->bs == 0 || o->bs > DD_MAX_BS) {
		shell_error("dd", "invalid number: bs=%llu (1 to %lu bytes)",
			    (unsigned long long)o->bs, DD_MAX_BS);
		return -EINVAL;
	}
	if (o->skip > (LLONG_MAX / o->bs) || o->seek > (LLONG_MAX / o->bs)) {
		shell_error("dd", "invalid number: skip/seek too large for bs=%llu",
			    (unsigned long long)o->bs);
		return -EINVAL;
	}
	return 0;
}

/* ---- the copy ---- */

static struct file *dd_open(const char *name, unsigned int flags)
{
	struct file *f = chrdev_open_by_name(name, flags);

	if (!IS_ERR(f) || PTR_ERR(f) != -ENODEV)
		return f;
	return blkdev_open_by_name(name, flags);
}

static void dd_print_xfer(const struct dd_stats *st, u64 now, bool progress)
{
	char line[160];

	dd_format_xfer(line, sizeof(line), st->bytes, now - st->start_ns, progress);
	cprintf("%s\n", line);
}

static void dd_print_summary(const struct dd_opts *o, const struct dd_stats *st)
{
	if (o->status == DD_STATUS_NONE)
		return;
	cprintf("%llu+%llu records in\n%llu+%llu records out\n",
		(unsigned long long)st->in_full, (unsigned long long)st->in_partial,
		(unsigned long long)st->out_full, (unsigned long long)st->out_partial);
	if (o->status != DD_STATUS_NOXFER)
		dd_print_xfer(st, arch_clock_ns(), false);
}

/* Write all @n bytes (a device may take less at a time), as GNU dd: after
 * a short write it writes the rest, and only an error (or a write of 0:
 * -ENOSPC) stops it. Returns the bytes written; *@err the error. */
static size_t dd_write_all(struct file *out, const char *buf, size_t n, int *err)
{
	size_t done = 0;

	*err = 0;
	while (done < n) {
		ssize_t_k w = out->f_op->write(out, buf + done, n - done, &out->f_pos);

		if (w <= 0) {
			*err = w < 0 ? (int)w : -ENOSPC;
			break;
		}
		done += w;
	}
	return done;
}

/* Returns 0 or the first error (already reported). */
static int dd_copy(const struct dd_opts *o, struct file *in, struct file *out, char *buf,
		   struct dd_stats *st)
{
	while (!o->count_set || st->in_full + st->in_partial < o->count) {
		ssize_t_k n = in->f_op->read(in, buf, o->bs, &in->f_pos), w;
		int err;

		if (n < 0) {
			shell_error("dd", "error reading '%s': %s", o->in,
				    dd_strerror((int)n));
			return (int)n;
		}
		if (n == 0)
			break;
		if ((u64)n == o->bs)
			st->in_full++;
		else
			st->in_partial++;
		w = dd_write_all(out, buf, n, &err);
		if (w > 0) {
			st->bytes += w;
			if ((u64)w == o->bs)
				st->out_full++;
			else
				st->out_partial++;
		}
		if (err) {
			shell_error("dd", "error writing '%s': %s", o->out,
				    dd_strerror(err));
			return err;
		}
		if (o->status == DD_STATUS_PROGRESS &&
		    arch_clock_ns() - st->last_progress_ns >= DD_PROGRESS_NS) {
			st->last_progress_ns = arch_clock_ns();
			dd_print_xfer(st, st->last_progress_ns, true);
		}
		cond_resched();
	}
	return 0;
}

static int dd_run(const struct dd_opts *o)
{
	unsigned int order = get_order(o->bs);
	struct dd_stats st = {0};
	struct file *in, *out;
	char *buf;
	int err = 0;

	in = dd_open(o->in, O_RDONLY | o->iflags);
	if (IS_ERR(in)) {
		shell_error("dd", "failed to open '%s': %s", o->in,
			    dd_strerror(PTR_ERR(in)));
		return PTR_ERR(in);
	}
	out = dd_open(o->out, O_WRONLY | o->oflags);
	if (IS_ERR(out)) {
		shell_error("dd", "failed to open '%s': %s", o->out,
			    dd_strerror(PTR_ERR(out)));
		fput(in);
		return PTR_ERR(out);
	}
	buf = __get_free_pages(GFP_KERNEL, order);
	if (!buf) {
		shell_error("dd", "memory exhausted by bs=%llu",
			    (unsigned long long)o->bs);
		err = -ENOMEM;
		goto out_close;
	}
	in->f_pos = (loff_t)(o->skip * o->bs);
	out->f_pos = (loff_t)(o->seek * o->bs);
	if (!in->f_op || !in->f_op->read || !out->f_op || !out->f_op->write) {
		shell_error("dd", "'%s' or '%s' cannot be read or written", o->in,
			    o->out);
		err = -EINVAL;
		goto out_free;
	}
	st.start_ns = st.last_progress_ns = arch_clock_ns();
	err = dd_copy(o, in, out, buf, &st);
	if (!err && (o->fsync || o->fdatasync)) {
		err = vfs_fsync(out, o->fdatasync && !o->fsync);
		if (err)
			shell_error("dd", "fsync failed for '%s': %s", o->out,
				    dd_strerror(err));
	}
	dd_print_summary(o, &st);
out_free:
	free_pages(buf, order);
out_close:
	fput(out);
	fput(in);
	return err;
}

int dd_command(int argc, char **argv)
{
	struct dd_opts o;
	int err = dd_parse(&o, argc, argv);

	if (err)
		return err;
	return dd_run(&o);
}

SHELL_COMMAND(dd, "dd",
	      "dd if=zero|null|DISK of=null|DISK [bs=N[KMG]] [count=N] [skip=N] [seek=N] "
	      "[iflag=direct] [oflag=direct] [conv=fsync] [status=progress|none]",
	      "copy blocks between devices (buffered, or O_DIRECT)", dd_command);
