/*
 * include/quire/errno.h - error numbers. Values are Linux's (and glibc's on
 * x86_64), so arch/host may include both this and <errno.h>.
 */
#ifndef QUIRE_ERRNO_H
#define QUIRE_ERRNO_H

#define EPERM		1
#define ENOENT		2
#define ESRCH		3
#define EINTR		4
#define EIO		5
#define ENXIO		6
#define E2BIG		7
#define ENOEXEC		8
#define EBADF		9
#define ECHILD		10
#define EAGAIN		11
#define ENOMEM		12
#define EACCES		13
#define EFAULT		14
#define EBUSY		16
#define EEXIST		17
#define EXDEV		18
#define ENODEV		19
#define ENOTDIR		20
#define EISDIR		21
#define EINVAL		22
#define ENFILE		23
#define EMFILE		24
#define ENOTTY		25
#define EFBIG		27
#define ENOSPC		28
#define ESPIPE		29
#define EROFS		30
#define EMLINK		31
#define EPIPE		32
#define EDOM		33
#define ERANGE		34
#define EDEADLK		35
#define ENAMETOOLONG	36
#define ENOLCK		37
#define ENOSYS		38
#define ENOTEMPTY	39
#define ELOOP		40
#define ENODATA		61
#define ETIME		62
#define EOVERFLOW	75
#define EBADMSG		74
#define EOPNOTSUPP	95
#define ENOTSUP		EOPNOTSUPP
#define EADDRINUSE	98
#define ECONNRESET	104
#define ENOBUFS		105
#define ETIMEDOUT	110
#define ECONNREFUSED	111
#define EALREADY	114
#define EINPROGRESS	115
#define ESTALE		116
#define EUCLEAN		117	/* structure needs cleaning: corrupt on-disk data */
#define EDQUOT		122
#define ECANCELED	125

#define MAX_ERRNO	4095

/* Pointers that can carry an error, as in Linux. */
static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline int IS_ERR(const void *ptr)
{
	return (unsigned long)ptr >= (unsigned long)-MAX_ERRNO;
}

static inline int IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

const char *errname(int err);	/* "-ENOMEM" style name for messages */

#endif
