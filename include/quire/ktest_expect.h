/*
 * include/quire/ktest_expect.h - the ktest expectations and assertions,
 * the case table's shape and the two calls they make: one definition for
 * the kernel's ktest (include/quire/ktest.h includes it) and for the host
 * programs that run the same cases over libc (arch/host/tools/vfs_libc.h,
 * vfs-fuse-test: there a failed assertion ends the case's process).
 *
 * Layer: include (ktest). Used by: quire/ktest.h, arch/host/tools/vfs_libc.h.
 * Provides: struct ktest_case, KTEST_CASE(), KTEST_END, ktest_fail(),
 * ktest_abort(), KTEST_EXPECT_*(), KTEST_ASSERT_*().
 *
 * It includes nothing, so a libc program can take it: the includer
 * declares struct ktest (the kernel's or the host program's own) and
 * defines __printf() and __noreturn first; KTEST_ASSERT_NOT_ERR_OR_NULL()
 * needs IS_ERR_OR_NULL() where it is used.
 *
 * Invariants:
 *  KE1: an expectation records a failure and goes on; an assertion
 *       records it and calls ktest_abort(), which does not return.
 *
 * Locking: none (the running case's struct ktest is its own).
 */
#ifndef QUIRE_KTEST_EXPECT_H
#define QUIRE_KTEST_EXPECT_H

struct ktest;

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
};

#define KTEST_CASE(fn)                 \
	{                              \
		.name = #fn, .run = fn \
	}
#define KTEST_END                         \
	{                                 \
		.name = NULL, .run = NULL \
	}

/* Record a failure of the running case with its "# file:line: ..." line. */
void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
	__printf(4, 5);
/* End the running case at once (the kernel: back to the runner; a host
 * program: the case's process exits). */
void ktest_abort(struct ktest *t) __noreturn;

#define KTEST_EXPECT_TRUE(t, cond)                                               \
	do {                                                                     \
		if (!(cond))                                                     \
			ktest_fail(t, __FILE__, __LINE__, "expected %s", #cond); \
	} while (0)
#define KTEST_EXPECT_FALSE(t, cond) KTEST_EXPECT_TRUE(t, !(cond))

#define KTEST_EXPECT_OP(t, a, op, b)                                                   \
	do {                                                                           \
		long long __a = (long long)(a), __b = (long long)(b);                  \
		if (!(__a op __b))                                                     \
			ktest_fail(t, __FILE__, __LINE__,                              \
				   "expected %s %s %s, got %lld vs %lld", #a, #op, #b, \
				   __a, __b);                                          \
	} while (0)
#define KTEST_EXPECT_EQ(t, a, b)    KTEST_EXPECT_OP(t, a, ==, b)
#define KTEST_EXPECT_NE(t, a, b)    KTEST_EXPECT_OP(t, a, !=, b)
#define KTEST_EXPECT_LT(t, a, b)    KTEST_EXPECT_OP(t, a, <, b)
#define KTEST_EXPECT_LE(t, a, b)    KTEST_EXPECT_OP(t, a, <=, b)
#define KTEST_EXPECT_GT(t, a, b)    KTEST_EXPECT_OP(t, a, >, b)
#define KTEST_EXPECT_GE(t, a, b)    KTEST_EXPECT_OP(t, a, >=, b)
#define KTEST_EXPECT_NULL(t, p)	    KTEST_EXPECT_TRUE(t, (p) == NULL)
#define KTEST_EXPECT_NOT_NULL(t, p) KTEST_EXPECT_TRUE(t, (p) != NULL)

/* Assertions end the case: the failure is recorded, then ktest_abort(). */
#define KTEST_ASSERT_TRUE(t, cond)                                                \
	do {                                                                      \
		if (!(cond)) {                                                    \
			ktest_fail(t, __FILE__, __LINE__, "assertion %s", #cond); \
			ktest_abort(t);                                           \
		}                                                                 \
	} while (0)
#define KTEST_ASSERT_OP(t, a, op, b)                                                    \
	do {                                                                            \
		long long __a = (long long)(a), __b = (long long)(b);                   \
		if (!(__a op __b)) {                                                    \
			ktest_fail(t, __FILE__, __LINE__,                               \
				   "assertion %s %s %s, got %lld vs %lld", #a, #op, #b, \
				   __a, __b);                                           \
			ktest_abort(t);                                                 \
		}                                                                       \
	} while (0)
#define KTEST_ASSERT_EQ(t, a, b)	   KTEST_ASSERT_OP(t, a, ==, b)
#define KTEST_ASSERT_NE(t, a, b)	   KTEST_ASSERT_OP(t, a, !=, b)
#define KTEST_ASSERT_NOT_NULL(t, p)	   KTEST_ASSERT_TRUE(t, (p) != NULL)
/* Neither NULL nor an ERR_PTR() (KUnit's KUNIT_ASSERT_NOT_ERR_OR_NULL). */
#define KTEST_ASSERT_NOT_ERR_OR_NULL(t, p) KTEST_ASSERT_TRUE(t, !IS_ERR_OR_NULL(p))

#endif
