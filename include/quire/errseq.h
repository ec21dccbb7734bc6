/*
 * include/quire/errseq.h - Linux's errseq_t: an error code plus a sequence
 * counter in one 32-bit word, so that every observer (an open file) sees a
 * writeback error once, whenever it happened.
 *
 * Layer: lib. Implemented by lib/errseq.c. Used by: address_space.wb_err
 * and file->f_wb_err (include/quire/fs.h), fsync.
 *
 * Bits 0..11: -errno of the latest error. Bit 12 (SEEN): someone sampled
 * it since it was set. Bits 13..31: a counter bumped when a new error is
 * set after the previous one was seen (Linux's layout and rules).
 */
#ifndef QUIRE_ERRSEQ_H
#define QUIRE_ERRSEQ_H

#include <quire/types.h>

typedef u32 errseq_t;

/* Record @err (a negative errno; 0 or out of range ignored); returns the
 * new value. Context: any (atomic compare-exchange). */
errseq_t errseq_set(errseq_t *eseq, int err);
/* A cursor for a new observer (open): the current value if its error was
 * SEEN already, else 0, so an error nobody has seen yet is reported to the
 * first file that checks, even one opened after it happened (Linux). */
errseq_t errseq_sample(errseq_t *eseq);
/* -errno if an error was recorded since @since, else 0. */
int errseq_check(errseq_t *eseq, errseq_t since);
/* As errseq_check(), and advance *since past it, marking it SEEN. */
int errseq_check_and_advance(errseq_t *eseq, errseq_t *since);

#endif
