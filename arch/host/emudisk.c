/*
 * arch/host/emudisk.c - an emulated disk with a volatile write cache, a
 * log of every request, and the images a power cut may leave.
 *
 * Layer: arch/host (a pure library: no threads, no locks, no block-layer
 * types). Used by: arch/host/blockdev.c, arch/host/emudisk_test.c,
 * arch/host/crash_sweep.c.
 * Provides: emudisk_init()/release(), emudisk_submit_*(),
 * emudisk_complete(), emudisk_read(), emudisk_materialise(),
 * emudisk_materialise_delta(), emudisk_power_cut(). Not here: queues,
 * completions, interrupts and the deterministic-mode delays
 * (arch/host/blockdev.c).
 *
 * The media (a host file) holds the image as of the log's start; the log
 * holds every request since, with its data, and two events per request
 * (SUBMIT, COMPLETE). Reads see the media with every logged write laid
 * over it: the completed ones in completion order, then those in flight
 * in submission order (ED4). Durability is never tracked as state: it is
 * computed from the log, so a cut after any event can be materialised.
 *
 * Invariants:
 *  ED1: reqs[] is in SUBMIT order: reqs[i].sub < reqs[i + 1].sub.
 *  ED2: a request's COMPLETE event comes after its SUBMIT event, once;
 *       inflight counts requests with comp == EMUDISK_NEVER.
 *  ED3: (cut after event n) write W is durable iff it completed before n
 *       and either a FLUSH submitted after W's COMPLETE completed
 *       successfully before n, or W had EMUDISK_FUA and succeeded.
 *  ED4: (cut after event n) a block's content is its newest durable
 *       version (the media if none) or any logged write to it submitted
 *       before n that is newer, or still in flight at n. "Newer" is
 *       COMPLETE order: writes to one block settle in the order they
 *       completed, those in flight on top (in SUBMIT order), and reads
 *       and the fold lay writes in that order too. So a write that
 *       completed before the durable version did is under it for good,
 *       and writes in flight together settle as their completions fall
 *       (deterministic mode's seeded delays try both orders). Nothing
 *       else, and never part of a logical block.
 *  ED5: without @record, the log is folded into the media only when every
 *       logged write is durable and nothing is in flight (after a flush),
 *       so folding never changes what a cut may leave.
 *
 * Locking: none here; the caller serialises every call on one emudisk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emudisk.h"

#define EMUDISK_CHUNK (1u << 20) /* bytes per copy step */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t emudisk_random(struct emudisk *d)
{
	d->rng = splitmix64(d->rng);
	return d->rng;
}

static int media_rw(int fd, bool write, void *buf, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		if (n == 0) { /* a file shorter than the disk: zeros */
			if (write)
				return -EIO;
			memset(buf, 0, len);
			return 0;
		}
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

int emudisk_init(struct emudisk *d, int fd, uint64_t size, uint32_t lbs, bool cache,
		 bool record, uint64_t seed)
{
	if (!lbs || (lbs & (lbs - 1)) || size % lbs)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->size = size;
	d->lbs = lbs;
	d->record = record;
	d->cache = cache || record;
	d->rng = seed ? seed : 1;
	return 0;
}

static void log_reset(struct emudisk *d)
{
	for (uint32_t i = 0; i < d->nr_reqs; i++) {
		free(d->reqs[i].data);
		free(d->reqs[i].mask);
	}
	d->nr_reqs = 0;
	d->nr_events = 0;
	d->inflight = 0;
	d->gen = (d->gen + 1) & 0x7fffffff; /* bit 63 of a handle: bad_handle */
}

void emudisk_release(struct emudisk *d)
{
	log_reset(d);
	free(d->reqs);
	free(d->events);
	d->reqs = NULL;
	d->events = NULL;
	d->max_reqs = 0;
	d->max_events = 0;
}

void emudisk_set_faults(struct emudisk *d, const struct emudisk_faults *f)
{
	d->faults = *f;
	d->writes_seen = 0;
	d->flushes_seen = 0;
}

static bool has_data(const struct emudisk_req *r)
{
	return r->op == EMUDISK_WRITE || r->op == EMUDISK_ZERO;
}

static bool block_in_mask(const struct emudisk_req *r, uint64_t i)
{
	return !r->mask || (r->mask[i / 8] >> (i % 8)) & 1;
}

static int log_event(struct emudisk *d, uint32_t req, uint32_t kind)
{
	if (d->nr_events == d->max_events) {
		uint64_t n = d->max_events ? 2 * d->max_events : 64;
		void *p = realloc(d->events, n * sizeof(*d->events));

		if (!p)
			return -ENOMEM;
		d->events = p;
		d->max_events = n;
	}
	d->events[d->nr_events].req = req;
	d->events[d->nr_events].kind = kind;
	d->nr_events++;
	return 0;
}

/* Append a request and its SUBMIT event (ED1). NULL: out of memory. */
static struct emudisk_req *log_submit(struct emudisk *d, uint32_t op, uint64_t off,
				      uint64_t len)
{
	struct emudisk_req *r;

	if (d->nr_reqs == d->max_reqs) {
		uint32_t n = d->max_reqs ? 2 * d->max_reqs : 32;
		void *p = realloc(d->reqs, (size_t)n * sizeof(*d->reqs));

		if (!p)
			return NULL;
		d->reqs = p;
		d->max_reqs = n;
	}
	if (log_event(d, d->nr_reqs, EMUDISK_SUBMIT))
		return NULL;
	r = &d->reqs[d->nr_reqs++];
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->off = off;
	r->len = len;
	r->sub = d->nr_events - 1;
	r->comp = EMUDISK_NEVER;
	d->inflight++;
	return r;
}

static emudisk_id_t handle(const struct emudisk *d, const struct emudisk_req *r)
{
	return ((uint64_t)d->gen << 32) | (uint64_t)(r - d->reqs);
}

/* A handle that completes with @err (no request logged). */
static emudisk_id_t bad_handle(int err)
{
	return (1ULL << 63) | (uint32_t)-err;
}

static bool range_ok(const struct emudisk *d, uint64_t off, uint64_t len)
{
	return off % d->lbs == 0 && len % d->lbs == 0 && len && off <= d->size &&
	       len <= d->size - off;
}

/* Write the blocks of @r that its mask names to @fd. */
static int write_req_blocks(const struct emudisk *d, const struct emudisk_req *r, int fd)
{
	static const uint8_t zeros[65536];
	uint64_t nb = r->len / d->lbs;

	for (uint64_t i = 0; i < nb; i++) {
		const void *src = r->data ? r->data + i * d->lbs : zeros;
		int err;

		if (!block_in_mask(r, i))
			continue;
		if (!r->data && d->lbs > sizeof(zeros))
			return -EINVAL;
		err = media_rw(fd, true, (void *)src, d->lbs, r->off + i * d->lbs);
		if (err)
			return err;
	}
	return 0;
}

/* Which blocks a failed (@torn: torn) write of @nb blocks lands: random;
 * a torn one lands at least one and not all. NULL mask = all of them. */
static int fault_mask(struct emudisk *d, struct emudisk_req *r, bool torn)
{
	uint64_t nb = r->len / d->lbs;

	r->mask = calloc(1, (nb + 7) / 8);
	if (!r->mask)
		return -ENOMEM;
	for (uint64_t i = 0; i < nb; i++)
		if (emudisk_random(d) & 1)
			r->mask[i / 8] |= 1u << (i % 8);
	if (torn && nb > 1) {
		uint64_t a = emudisk_random(d) % nb,
			 b = (a + 1 + emudisk_random(d) % (nb - 1)) % nb;

		r->mask[a / 8] |= 1u << (a % 8);    /* one landed */
		r->mask[b / 8] &= ~(1u << (b % 8)); /* one not */
	} else if (torn) {
		r->mask[0] = 0;
	}
	return 0;
}

/* Write or write-zeroes; @data NULL: zeros. Faults apply to writes. */
static emudisk_id_t submit_data(struct emudisk *d, uint32_t op, uint64_t off,
				uint64_t len, const void *data, uint32_t flags)
{
	struct emudisk_req *r;
	bool fail = false, torn = false;

	if (!range_ok(d, off, len))
		return bad_handle(-EINVAL);
	if (op == EMUDISK_WRITE) {
		d->writes_seen++;
		fail = d->faults.fail_write_nth == d->writes_seen;
		torn = d->faults.torn_write_nth == d->writes_seen;
	}
	r = log_submit(d, op, off, len);
	if (!r)
		return bad_handle(-ENOMEM);
	r->flags = flags;
	if (fail || torn) {
		r->status = -EIO;
		if (fault_mask(d, r, torn))
			r->status = -ENOMEM;
	}
	if (data && d->cache) {
		r->data = malloc(len);
		if (!r->data) {
			r->status = -ENOMEM;
			r->op = EMUDISK_DISCARD; /* writes nothing */
			return handle(d, r);
		}
		memcpy(r->data, data, len);
	}
	if (!d->cache) { /* write-through: the media now */
		struct emudisk_req tmp = *r;
		int err;

		tmp.data = (uint8_t *)data;
		err = write_req_blocks(d, &tmp, d->fd);
		if (err && !r->status)
			r->status = err;
	}
	return handle(d, r);
}

emudisk_id_t emudisk_submit_write(struct emudisk *d, uint64_t off, uint64_t len,
				  const void *data, uint32_t flags)
{
	return submit_data(d, EMUDISK_WRITE, off, len, data, flags & EMUDISK_FUA);
}

emudisk_id_t emudisk_submit_zero(struct emudisk *d, uint64_t off, uint64_t len)
{
	return submit_data(d, EMUDISK_ZERO, off, len, NULL, 0);
}

/* A discard reads back zeros or the old data, as the seed says. */
emudisk_id_t emudisk_submit_discard(struct emudisk *d, uint64_t off, uint64_t len)
{
	struct emudisk_req *r;

	if (d->discard_zeroes || (emudisk_random(d) & 1))
		return submit_data(d, EMUDISK_ZERO, off, len, NULL, 0);
	if (!range_ok(d, off, len))
		return bad_handle(-EINVAL);
	r = log_submit(d, EMUDISK_DISCARD, off, len);
	return r ? handle(d, r) : bad_handle(-ENOMEM);
}

emudisk_id_t emudisk_submit_flush(struct emudisk *d)
{
	struct emudisk_req *r = log_submit(d, EMUDISK_FLUSH, 0, 0);

	if (!r)
		return bad_handle(-ENOMEM);
	d->flushes_seen++;
	if (d->faults.fail_flush_nth == d->flushes_seen)
		r->status = -EIO;
	return handle(d, r);
}

/* ED5: after flush @f, is every write durable and nothing in flight? */
static bool can_fold(const struct emudisk *d, const struct emudisk_req *f)
{
	if (d->record || !d->cache || f->status || d->inflight)
		return false;
	for (uint32_t i = 0; i < d->nr_reqs; i++)
		if (has_data(&d->reqs[i]) && d->reqs[i].comp > f->sub)
			return false;
	return true;
}

/* Every logged write is complete: lay them on the media in completion
 * order (ED4), as reads saw them. */
static void fold(struct emudisk *d)
{
	for (uint64_t e = 0; e < d->nr_events; e++) {
		const struct emudisk_req *r = &d->reqs[d->events[e].req];

		if (d->events[e].kind == EMUDISK_COMPLETE && has_data(r))
			write_req_blocks(d, r, d->fd);
	}
	log_reset(d);
}

int emudisk_complete(struct emudisk *d, emudisk_id_t id)
{
	uint32_t idx = (uint32_t)id;
	struct emudisk_req *r;
	int status;

	if (id >> 63)
		return -(int)(uint32_t)id;
	if ((uint32_t)(id >> 32) != d->gen || idx >= d->nr_reqs)
		return -EIO; /* from before a power cut: lost */
	r = &d->reqs[idx];
	if (r->comp != EMUDISK_NEVER)
		return -EINVAL; /* ED2: completed twice */
	if (log_event(d, idx, EMUDISK_COMPLETE))
		return -ENOMEM;
	r->comp = d->nr_events - 1;
	d->inflight--;
	status = r->status;
	if (r->op == EMUDISK_FLUSH && can_fold(d, r))
		fold(d);
	else if (!d->cache && !d->inflight)
		log_reset(d); /* write-through keeps only what is in flight */
	return status;
}

/* Lay @r's blocks inside [off, off + len) over @buf. */
static void overlay(const struct emudisk *d, const struct emudisk_req *r, uint64_t off,
		    uint64_t len, void *buf)
{
	uint64_t s = off > r->off ? off : r->off;
	uint64_t e = off + len < r->off + r->len ? off + len : r->off + r->len;

	if (!has_data(r))
		return;
	for (; s < e; s += d->lbs) {
		if (!block_in_mask(r, (s - r->off) / d->lbs))
			continue;
		if (r->data)
			memcpy((char *)buf + (s - off), r->data + (s - r->off), d->lbs);
		else
			memset((char *)buf + (s - off), 0, d->lbs);
	}
}

int emudisk_read(struct emudisk *d, uint64_t off, uint64_t len, void *buf)
{
	int err;

	if (!range_ok(d, off, len))
		return -EINVAL;
	err = media_rw(d->fd, false, buf, len, off);
	if (err || !d->cache)
		return err;
	/* ED4: completed writes in completion order, then those in flight */
	for (uint64_t e = 0; e < d->nr_events; e++)
		if (d->events[e].kind == EMUDISK_COMPLETE)
			overlay(d, &d->reqs[d->events[e].req], off, len, buf);
	for (uint32_t i = 0; i < d->nr_reqs; i++)
		if (d->reqs[i].comp == EMUDISK_NEVER)
			overlay(d, &d->reqs[i], off, len, buf);
	return 0;
}

uint64_t emudisk_nr_events(const struct emudisk *d)
{
	return d->nr_events;
}

/* ---- what a cut after event n leaves (ED3, ED4) ---- */

static bool done_ok(const struct emudisk_req *r, uint64_t n)
{
	return r->comp < n && !r->status;
}

/* SUBMIT index of the last successful flush completed before @n, or 0. */
static uint64_t last_flush_sub(const struct emudisk *d, uint64_t n)
{
	uint64_t best = 0;

	for (uint32_t i = 0; i < d->nr_reqs && d->reqs[i].sub < n; i++)
		if (d->reqs[i].op == EMUDISK_FLUSH && done_ok(&d->reqs[i], n) &&
		    d->reqs[i].sub > best)
			best = d->reqs[i].sub;
	return best;
}

/* ED3 */
static bool is_durable(const struct emudisk_req *r, uint64_t n, uint64_t flush_sub)
{
	if (!has_data(r) || r->comp >= n)
		return false;
	return r->comp < flush_sub || ((r->flags & EMUDISK_FUA) && !r->status);
}

uint32_t emudisk_undecided(const struct emudisk *d, uint64_t n)
{
	uint64_t fs = last_flush_sub(d, n);
	uint32_t count = 0;

	for (uint32_t i = 0; i < d->nr_reqs && d->reqs[i].sub < n; i++)
		if (has_data(&d->reqs[i]) && !is_durable(&d->reqs[i], n, fs))
			count++;
	return count;
}

uint32_t emudisk_cached_writes(const struct emudisk *d)
{
	return d->cache ? emudisk_undecided(d, d->nr_events) : 0;
}

/* Does @cut keep block @b of write @req (not the block's durable version;
 * @ordinal: its place among the undecided writes)? */
static bool cut_keeps(const struct emudisk_cut *cut, uint32_t req, uint64_t b,
		      bool durable, uint32_t ordinal)
{
	switch (cut->kind) {
	case EMUDISK_CUT_PREFIX:
		return !durable && ordinal < cut->arg;
	case EMUDISK_CUT_SUBSET:
		return splitmix64(cut->arg ^ splitmix64(req)) & 1;
	case EMUDISK_CUT_TORN:
		return splitmix64(cut->arg ^ splitmix64(req ^ (b << 32)) ^ b) & 1;
	default:
		return false;
	}
}

/* ver[b]: the request whose block b the image holds; -1: the media's. */
static void choose_versions(const struct emudisk *d, uint64_t n,
			    const struct emudisk_cut *cut, int32_t *floor, int32_t *ver)
{
	uint64_t fs = last_flush_sub(d, n);
	uint32_t ordinal = 0;

	for (uint32_t i = 0; i < d->nr_reqs && d->reqs[i].sub < n; i++) {
		const struct emudisk_req *r = &d->reqs[i];
		uint64_t b0 = r->off / d->lbs;

		if (!is_durable(r, n, fs))
			continue;
		for (uint64_t k = 0; k < r->len / d->lbs; k++)
			if (block_in_mask(r, k) &&
			    (floor[b0 + k] < 0 || d->reqs[floor[b0 + k]].comp < r->comp))
				floor[b0 + k] = i; /* newest by COMPLETE (ED4) */
	}
	memcpy(ver, floor, (d->size / d->lbs) * sizeof(*ver));
	for (uint32_t i = 0; i < d->nr_reqs && d->reqs[i].sub < n; i++) {
		const struct emudisk_req *r = &d->reqs[i];
		uint64_t b0 = r->off / d->lbs;
		bool durable = is_durable(r, n, fs);

		if (!has_data(r))
			continue;
		for (uint64_t k = 0; k < r->len / d->lbs; k++) {
			int32_t f = floor[b0 + k];

			if (!block_in_mask(r, k) || f == (int32_t)i)
				continue;
			if (f >= 0 && r->comp < d->reqs[f].comp)
				continue; /* ED4: completed before it: under it */
			if (cut_keeps(cut, i, b0 + k, durable, ordinal))
				ver[b0 + k] = i;
		}
		if (!durable)
			ordinal++;
	}
}

static int copy_media(const struct emudisk *d, int out_fd)
{
	char *buf = malloc(EMUDISK_CHUNK);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	if (ftruncate(out_fd, d->size))
		err = -EIO;
	for (uint64_t off = 0; !err && off < d->size; off += EMUDISK_CHUNK) {
		uint64_t len =
			d->size - off < EMUDISK_CHUNK ? d->size - off : EMUDISK_CHUNK;

		err = media_rw(d->fd, false, buf, len, off);
		if (!err)
			err = media_rw(out_fd, true, buf, len, off);
	}
	free(buf);
	return err;
}

static int write_versions(const struct emudisk *d, const int32_t *ver, int out_fd)
{
	static const uint8_t zeros[65536];

	for (uint64_t b = 0; b < d->size / d->lbs; b++) {
		const struct emudisk_req *r;
		const void *src;
		int err;

		if (ver[b] < 0)
			continue;
		r = &d->reqs[ver[b]];
		src = r->data ? r->data + (b * d->lbs - r->off) : zeros;
		if (!r->data && d->lbs > sizeof(zeros))
			return -EINVAL;
		err = media_rw(out_fd, true, (void *)src, d->lbs, b * d->lbs);
		if (err)
			return err;
	}
	return 0;
}

int emudisk_materialise(const struct emudisk *d, uint64_t n,
			const struct emudisk_cut *cut, int out_fd)
{
	uint64_t nb = d->size / d->lbs;
	int32_t *floor, *ver;
	int err;

	if (n > d->nr_events || (out_fd == d->fd && n != d->nr_events))
		return -EINVAL;
	if (!d->cache) /* write-through: the media is all there is */
		return out_fd == d->fd ? 0 : copy_media(d, out_fd);
	floor = malloc(nb * sizeof(*floor));
	ver = malloc(nb * sizeof(*ver));
	err = floor && ver ? 0 : -ENOMEM;
	if (!err) {
		memset(floor, 0xff, nb * sizeof(*floor)); /* -1 */
		choose_versions(d, n, cut, floor, ver);
		if (out_fd != d->fd)
			err = copy_media(d, out_fd);
	}
	if (!err)
		err = write_versions(d, ver, out_fd);
	free(floor);
	free(ver);
	return err;
}

/* Block @b of the image, version @v (-1: the media's), into @buf. */
static int read_version(const struct emudisk *d, int32_t v, uint64_t b, void *buf)
{
	const struct emudisk_req *r;

	if (v < 0)
		return media_rw(d->fd, false, buf, d->lbs, b * d->lbs);
	r = &d->reqs[v];
	if (r->data)
		memcpy(buf, r->data + (b * d->lbs - r->off), d->lbs);
	else
		memset(buf, 0, d->lbs);
	return 0;
}

int emudisk_materialise_delta(const struct emudisk *d, uint64_t n,
			      const struct emudisk_cut *cut, int out_fd, int32_t *ver)
{
	uint64_t nb = d->size / d->lbs;
	int32_t *floor, *want;
	uint8_t *buf;
	int err = 0;

	if (n > d->nr_events || out_fd == d->fd || !d->cache)
		return -EINVAL;
	floor = malloc(nb * sizeof(*floor));
	want = malloc(nb * sizeof(*want));
	buf = malloc(d->lbs);
	if (!floor || !want || !buf) {
		err = -ENOMEM;
		goto out;
	}
	memset(floor, 0xff, nb * sizeof(*floor)); /* -1 */
	choose_versions(d, n, cut, floor, want);
	for (uint64_t b = 0; b < nb && !err; b++) {
		if (want[b] == ver[b])
			continue;
		err = read_version(d, want[b], b, buf);
		if (!err)
			err = media_rw(out_fd, true, buf, d->lbs, b * d->lbs);
		if (!err)
			ver[b] = want[b];
	}
out:
	free(floor);
	free(want);
	free(buf);
	return err;
}

int emudisk_power_cut(struct emudisk *d, const struct emudisk_cut *cut)
{
	int undecided = emudisk_undecided(d, d->nr_events);
	int err = emudisk_materialise(d, d->nr_events, cut, d->fd);

	if (err)
		return err;
	log_reset(d);
	d->cuts++;
	return undecided;
}

static const char *const op_names[] = {
	[EMUDISK_WRITE] = "WRITE",
	[EMUDISK_ZERO] = "ZERO",
	[EMUDISK_DISCARD] = "DISCARD",
	[EMUDISK_FLUSH] = "FLUSH",
};

void emudisk_log_dump(const struct emudisk *d, int fd)
{
	for (uint64_t e = 0; e < d->nr_events; e++) {
		const struct emudisk_req *r = &d->reqs[d->events[e].req];

		if (d->events[e].kind == EMUDISK_SUBMIT)
			dprintf(fd, "# %llu submit r%u %s %llu+%llu%s%s\n",
				(unsigned long long)e, d->events[e].req, op_names[r->op],
				(unsigned long long)r->off, (unsigned long long)r->len,
				r->flags & EMUDISK_FUA ? " fua" : "",
				r->mask ? " partial" : "");
		else
			dprintf(fd, "# %llu complete r%u %d\n", (unsigned long long)e,
				d->events[e].req, r->status);
	}
}
