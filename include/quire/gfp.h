/*
 * include/quire/gfp.h - allocation flags, Linux's names.
 */
#ifndef QUIRE_GFP_H
#define QUIRE_GFP_H

typedef unsigned int gfp_t;

#define __GFP_ZERO	0x01u	/* return zeroed memory */
#define __GFP_THISNODE	0x02u	/* the given node only; no fallback */
#define __GFP_NOWARN	0x04u	/* do not log a failure */
#define __GFP_ATOMIC	0x08u	/* caller cannot sleep (interrupt, spinlock) */
#define __GFP_NORETRY	0x10u	/* fail rather than wait for reclaim */

#define GFP_KERNEL	0u			/* may sleep */
#define GFP_ATOMIC	(__GFP_ATOMIC)		/* may not sleep */
#define GFP_NOWAIT	(__GFP_ATOMIC | __GFP_NOWARN)

#endif
