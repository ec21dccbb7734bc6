/*
 * kernel/vsprintf.c - the kernel's printf formatting.
 *
 * Layer: kernel. Used by: printk, cprintf, every message.
 * Provides: vscnprintf(), scnprintf().
 * Supports %d %i %u %x %X %o %c %s %p %% with flags '-', '0', ' ', '+',
 * '#', a width and precision (also '*'), and length modifiers hh h l ll z t.
 * %pS prints a code address as function+0xoff (arch_lookup_symbol).
 * Never writes past @size; a NULL %s prints "(null)".
 */
#include <quire/printk.h>
#include <quire/string.h>
#include <arch/debug.h>

struct outbuf {
	char *buf;
	size_t size;	/* capacity including the NUL */
	size_t len;	/* characters stored so far */
};

static void put_char(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len++] = c;
}

static void put_pad(struct outbuf *o, char c, int n)
{
	while (n-- > 0)
		put_char(o, c);
}

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int precision;		/* -1 when absent */
};

static void put_str(struct outbuf *o, const char *s, const struct spec *sp)
{
	size_t n;

	if (!s)
		s = "(null)";
	n = sp->precision >= 0 ? strnlen(s, sp->precision) : strlen(s);
	if (!sp->left)
		put_pad(o, ' ', sp->width - (int)n);
	for (size_t i = 0; i < n; i++)
		put_char(o, s[i]);
	if (sp->left)
		put_pad(o, ' ', sp->width - (int)n);
}

static void put_num(struct outbuf *o, unsigned long long v, bool neg,
		    unsigned int base, bool upper, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, prefix_len = 0, zeros = 0;
	char sign = 0;
	const char *prefix = "";

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (sp->precision == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	if (neg)
		sign = '-';
	else if (sp->plus)
		sign = '+';
	else if (sp->space)
		sign = ' ';
	if (sp->alt && base == 16) {
		prefix = upper ? "0X" : "0x";
		prefix_len = 2;
	} else if (sp->alt && base == 8) {
		prefix = "0";
		prefix_len = 1;
	}
	if (sp->precision > n)
		zeros = sp->precision - n;
	int total = n + zeros + prefix_len + (sign ? 1 : 0);
	if (sp->zero && !sp->left && sp->precision < 0 && sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}
	if (!sp->left)
		put_pad(o, ' ', sp->width - total);
	if (sign)
		put_char(o, sign);
	for (int i = 0; i < prefix_len; i++)
		put_char(o, prefix[i]);
	put_pad(o, '0', zeros);
	while (n)
		put_char(o, tmp[--n]);
	if (sp->left)
		put_pad(o, ' ', sp->width - total);
}

static void put_symbol(struct outbuf *o, unsigned long addr, const struct spec *sp)
{
	char name[128], text[192];
	unsigned long off;

	if (arch_lookup_symbol(addr, name, sizeof(name), &off))
		scnprintf(text, sizeof(text), "%s+0x%lx", name, off);
	else
		scnprintf(text, sizeof(text), "0x%016lx", addr);
	put_str(o, text, sp);
}

static const char *parse_int(const char *f, int *out, va_list *ap)
{
	if (*f == '*') {
		*out = va_arg(*ap, int);
		return f + 1;
	}
	*out = 0;
	while (*f >= '0' && *f <= '9')
		*out = *out * 10 + (*f++ - '0');
	return f;
}

static const char *parse_flags(const char *f, struct spec *sp)
{
	for (;; f++) {
		switch (*f) {
		case '-': sp->left = true; break;
		case '0': sp->zero = true; break;
		case '+': sp->plus = true; break;
		case ' ': sp->space = true; break;
		case '#': sp->alt = true; break;
		default: return f;
		}
	}
}

/* Length modifier: 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t */
static const char *parse_length(const char *f, int *len)
{
	*len = 0;
	if (f[0] == 'h' && f[1] == 'h') {
		*len = -2;
		return f + 2;
	}
	if (f[0] == 'l' && f[1] == 'l') {
		*len = 2;
		return f + 2;
	}
	switch (*f) {
	case 'h': *len = -1; return f + 1;
	case 'l': *len = 1; return f + 1;
	case 'z': case 't': *len = 3; return f + 1;
	default: return f;
	}
}

static unsigned long long get_unsigned(int len, va_list *ap)
{
	switch (len) {
	case -2: return (unsigned char)va_arg(*ap, unsigned int);
	case -1: return (unsigned short)va_arg(*ap, unsigned int);
	case 1: return va_arg(*ap, unsigned long);
	case 2: return va_arg(*ap, unsigned long long);
	case 3: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static long long get_signed(int len, va_list *ap)
{
	switch (len) {
	case -2: return (signed char)va_arg(*ap, int);
	case -1: return (short)va_arg(*ap, int);
	case 1: return va_arg(*ap, long);
	case 2: return va_arg(*ap, long long);
	case 3: return va_arg(*ap, long);
	default: return va_arg(*ap, int);
	}
}

static const char *format_one(struct outbuf *o, const char *f, va_list *ap)
{
	struct spec sp = { .precision = -1 };
	int len;

	f = parse_flags(f, &sp);
	f = parse_int(f, &sp.width, ap);
	if (sp.width < 0) {
		sp.left = true;
		sp.width = -sp.width;
	}
	if (*f == '.')
		f = parse_int(f + 1, &sp.precision, ap);
	f = parse_length(f, &len);
	switch (*f) {
	case 'd':
	case 'i': {
		long long v = get_signed(len, ap);
		unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
		put_num(o, mag, v < 0, 10, false, &sp);
		break;
	}
	case 'u': put_num(o, get_unsigned(len, ap), false, 10, false, &sp); break;
	case 'x': put_num(o, get_unsigned(len, ap), false, 16, false, &sp); break;
	case 'X': put_num(o, get_unsigned(len, ap), false, 16, true, &sp); break;
	case 'o': put_num(o, get_unsigned(len, ap), false, 8, false, &sp); break;
	case 'c': put_char(o, (char)va_arg(*ap, int)); break;
	case 's': put_str(o, va_arg(*ap, const char *), &sp); break;
	case 'p': {
		unsigned long p = (unsigned long)va_arg(*ap, void *);
		if (f[1] == 'S' || f[1] == 's') {
			put_symbol(o, p, &sp);
			f++;
		} else {
			sp.alt = true;
			put_num(o, p, false, 16, false, &sp);
		}
		break;
	}
	case '%': put_char(o, '%'); break;
	case '\0': return f;	/* a lone '%' at the end */
	default: put_char(o, '%'); put_char(o, *f); break;
	}
	return f + 1;
}

int vscnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	struct outbuf o = { .buf = buf, .size = size, .len = 0 };
	va_list ap;

	if (!size)
		return 0;
	va_copy(ap, args);
	while (*fmt) {
		if (*fmt != '%')
			put_char(&o, *fmt++);
		else
			fmt = format_one(&o, fmt + 1, &ap);
	}
	va_end(ap);
	buf[o.len] = '\0';
	return (int)o.len;
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
