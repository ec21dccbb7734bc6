/*
 * lib/errseq.c - Linux's errseq_t: the latest writeback error of a mapping
 * and a counter in one 32-bit word, so each observer (an open file) sees
 * every new error exactly once.
 *
 * Layer: lib. Used by: address_space.wb_err, file->f_wb_err, fsync.
 * Provides: errseq_set(), errseq_sample(), errseq_check(),
 * errseq_check_and_advance().
 *
 * Layout (Linux's): bits 0..11 hold -errno (MAX_ERRNO = 4095 is the mask),
 * bit 12 is SEEN, bits 13..31 a counter.
 * Invariants:
 *  ES1: the counter moves only when a new error is set over one that was
 *      SEEN, so an unseen error is overwritten in place and a sampler that
 *      has not checked yet still reports it (once).
 *  ES2: the error bits are 0 only while nothing was ever set (the value
 *      is 0): errseq_set() refuses 0. So errseq_sample() can return 0 for
 *      an unseen error and its caller reports that error at its next check.
 *
 * Locking: none; every update is one compare-exchange, from any context.
 */
#include <quire/errseq.h>
#include <quire/compiler.h>
#include <quire/sched_point.h>

#define ERRSEQ_MAX_ERRNO 4095u
#define ERRSEQ_SHIFT	 12u
#define ERRSEQ_SEEN	 (1u << ERRSEQ_SHIFT)
#define ERRSEQ_CTR_INC	 (1u << (ERRSEQ_SHIFT + 1))

/* *eseq = @new if it still holds *old; else *old becomes what it holds. */
static bool errseq_try_cmpxchg(errseq_t *eseq, errseq_t *old, errseq_t new)
{
	bool ok = __atomic_compare_exchange_n(eseq, old, new, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST);

	sched_point(SP_ATOMIC);
	return ok;
}

errseq_t errseq_set(errseq_t *eseq, int err)
{
	errseq_t old = READ_ONCE(*eseq);

	/* 0 would clear the error; a value past MAX_ERRNO does not fit. */
	if (err >= 0 || (unsigned int)-err > ERRSEQ_MAX_ERRNO)
		return old;
	for (;;) {
		errseq_t new = (old & ~(ERRSEQ_MAX_ERRNO | ERRSEQ_SEEN)) | (errseq_t)-err;

		if (old & ERRSEQ_SEEN)
			new += ERRSEQ_CTR_INC; /* ES1 */
		if (new == old)
			return new;
		/* Another setter that got there with the same value is as good. */
		if (errseq_try_cmpxchg(eseq, &old, new) || old == new)
			return new;
	}
}

errseq_t errseq_sample(errseq_t *eseq)
{
	errseq_t old = READ_ONCE(*eseq);

	/* ES2: nobody has seen this error yet: report it to this sampler. */
	if (!(old & ERRSEQ_SEEN))
		old = 0;
	return old;
}

int errseq_check(errseq_t *eseq, errseq_t since)
{
	errseq_t cur = READ_ONCE(*eseq);

	if (cur == since)
		return 0;
	return -(int)(cur & ERRSEQ_MAX_ERRNO);
}

int errseq_check_and_advance(errseq_t *eseq, errseq_t *since)
{
	errseq_t old = READ_ONCE(*eseq);
	errseq_t new;

	if (old == *since)
		return 0;
	/* Mark it SEEN so the next error bumps the counter (ES1). A failed
	 * exchange means someone set SEEN or a new error came: either way
	 * this caller reports what it read, and a new error differs from
	 * the *since stored here, so it is reported next time. */
	new = old | ERRSEQ_SEEN;
	if (new != old)
		errseq_try_cmpxchg(eseq, &old, new);
	*since = new;
	return -(int)(new &ERRSEQ_MAX_ERRNO);
}
