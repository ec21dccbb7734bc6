/*
 * kernel/lib.c - small string helpers: number parsing, sizes, errno names.
 *
 * Layer: kernel. Provides: kstrtoull() and friends, parse_size(),
 * strscpy_len(), errname(). Every parser validates its whole input: shell
 * arguments and command-line values come from outside.
 */
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/compiler.h>

size_t strscpy_len(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

static unsigned int detect_base(const char **s, unsigned int base)
{
	const char *p = *s;

	if (base == 0 || base == 16) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
			*s = p + 2;
			return 16;
		}
	}
	if (base == 0)
		return (p[0] == '0' && p[1]) ? 8 : 10;
	return base;
}

/* Parse digits at *s; stop at the first non-digit (returned through *s). */
static int parse_digits(const char **s, unsigned int base, unsigned long long *res)
{
	const char *p = *s;
	unsigned long long v = 0;
	int d;

	if (base == 1 || base > 36)
		return -EINVAL;
	base = detect_base(&p, base);
	if (digit_value(*p) >= (int)base)
		return -EINVAL;
	while ((d = digit_value(*p)) < (int)base) {
		if (v > (~0ULL - d) / base)
			return -ERANGE;
		v = v * base + d;
		p++;
	}
	*s = p;
	*res = v;
	return 0;
}

int kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long v;
	int err;

	if (!s)
		return -EINVAL;
	if (*s == '+')
		s++;
	err = parse_digits(&s, base, &v);
	if (err)
		return err;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

int kstrtoll(const char *s, unsigned int base, long long *res)
{
	unsigned long long v;
	bool neg = false;
	int err;

	if (!s)
		return -EINVAL;
	if (*s == '-') {
		neg = true;
		s++;
	}
	err = kstrtoull(s, base, &v);
	if (err)
		return err;
	if (neg ? v > (1ULL << 63) : v > (unsigned long long)INT64_MAX)
		return -ERANGE;
	*res = neg ? (long long)(0ULL - v) : (long long)v;
	return 0;
}

int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long v;
	int err = kstrtoull(s, base, &v);

	if (err)
		return err;
	if (v > UINT32_MAX)
		return -ERANGE;
	*res = (unsigned int)v;
	return 0;
}

int kstrtoint(const char *s, unsigned int base, int *res)
{
	long long v;
	int err = kstrtoll(s, base, &v);

	if (err)
		return err;
	if (v > INT32_MAX || v < INT32_MIN)
		return -ERANGE;
	*res = (int)v;
	return 0;
}

int parse_size(const char *s, u64 *res)
{
	unsigned long long v;
	unsigned int shift = 0;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_digits(&s, 10, &v);
	if (err)
		return err;
	switch (*s) {
	case 'k': case 'K': shift = 10; s++; break;
	case 'm': case 'M': shift = 20; s++; break;
	case 'g': case 'G': shift = 30; s++; break;
	case 't': case 'T': shift = 40; s++; break;
	}
	if (shift && (*s == 'i' || *s == 'I') && (s[1] == 'b' || s[1] == 'B'))
		s += 2;
	else if (shift && (*s == 'b' || *s == 'B'))
		s++;
	if (*s)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*res = v << shift;
	return 0;
}

static const struct {
	int err;
	const char *name;
} errnames[] = {
	{EPERM, "EPERM"},
	{ENOENT, "ENOENT"},
	{EINTR, "EINTR"},
	{EIO, "EIO"},
	{ENXIO, "ENXIO"},
	{E2BIG, "E2BIG"},
	{EBADF, "EBADF"},
	{EAGAIN, "EAGAIN"},
	{ENOMEM, "ENOMEM"},
	{EACCES, "EACCES"},
	{EFAULT, "EFAULT"},
	{EBUSY, "EBUSY"},
	{EEXIST, "EEXIST"},
	{ENODEV, "ENODEV"},
	{ENOTDIR, "ENOTDIR"},
	{EISDIR, "EISDIR"},
	{EINVAL, "EINVAL"},
	{EFBIG, "EFBIG"},
	{ENOSPC, "ENOSPC"},
	{EROFS, "EROFS"},
	{ERANGE, "ERANGE"},
	{EDEADLK, "EDEADLK"},
	{ENAMETOOLONG, "ENAMETOOLONG"},
	{ENOSYS, "ENOSYS"},
	{ENOTEMPTY, "ENOTEMPTY"},
	{ELOOP, "ELOOP"},
	{ENODATA, "ENODATA"},
	{ETIME, "ETIME"},
	{EOVERFLOW, "EOVERFLOW"},
	{EBADMSG, "EBADMSG"},
	{EOPNOTSUPP, "EOPNOTSUPP"},
	{ENOBUFS, "ENOBUFS"},
	{ETIMEDOUT, "ETIMEDOUT"},
	{ECONNREFUSED, "ECONNREFUSED"},
	{EALREADY, "EALREADY"},
	{EINPROGRESS, "EINPROGRESS"},
	{EUCLEAN, "EUCLEAN"},
	{ECANCELED, "ECANCELED"},
	{ENOTTY, "ENOTTY"},
	{EXDEV, "EXDEV"},
	{EMLINK, "EMLINK"},
	{ESPIPE, "ESPIPE"},
	{EMFILE, "EMFILE"},
	{ENFILE, "ENFILE"},
	{ESTALE, "ESTALE"},
};

const char *errname(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < ARRAY_SIZE(errnames); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return "E?";
}
