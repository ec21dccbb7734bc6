/*
 * include/quire/pagevec.h - struct folio_batch: a small array of folios
 * for batch lookups (Linux's pagevec.h).
 */
#ifndef QUIRE_PAGEVEC_H
#define QUIRE_PAGEVEC_H

#include <quire/mm.h>

#define PAGEVEC_SIZE 31

struct folio_batch {
	unsigned char nr;
	unsigned char i;
	struct folio *folios[PAGEVEC_SIZE];
};

static inline void folio_batch_init(struct folio_batch *fbatch)
{
	fbatch->nr = 0;
	fbatch->i = 0;
}

static inline void folio_batch_reinit(struct folio_batch *fbatch)
{
	folio_batch_init(fbatch);
}

static inline unsigned int folio_batch_count(const struct folio_batch *fbatch)
{
	return fbatch->nr;
}

static inline unsigned int folio_batch_space(const struct folio_batch *fbatch)
{
	return PAGEVEC_SIZE - fbatch->nr;
}

/* Add @folio; returns the space left (0: full). */
static inline unsigned int folio_batch_add(struct folio_batch *fbatch,
					   struct folio *folio)
{
	fbatch->folios[fbatch->nr++] = folio;
	return folio_batch_space(fbatch);
}

/* The next folio not yet handed out, or NULL. */
static inline struct folio *folio_batch_next(struct folio_batch *fbatch)
{
	if (fbatch->i == fbatch->nr)
		return NULL;
	return fbatch->folios[fbatch->i++];
}

/* Drop the batch's references (folio_put each) and empty it. */
void folio_batch_release(struct folio_batch *fbatch);

#endif
