/*
 * arch/host/emudisk.h - an emulated disk with a volatile write cache: the
 * pure model behind the host disk (arch/host/blockdev.c), in the spirit of
 * littlefs's emulated block device.
 *
 * Layer: arch/host (a library: plain C and a file descriptor; no threads,
 * no locks, no Quire block-layer types). Used by: arch/host/blockdev.c
 * (the blk-mq driver), arch/host/emudisk_test.c, and power-cut sweeps.
 *
 * The disk is a media image (a host file) plus a log. Every write,
 * write-zeroes, discard and flush gets two events in the log, SUBMIT and
 * COMPLETE, in the order the device saw them. What a power cut leaves is
 * computed from the log (emudisk_materialise()), by the rules of a disk
 * with a volatile write cache:
 *  - a write may reach the media any time after its SUBMIT (even before it
 *    completes) and each logical block on its own (tears at logical-block
 *    granularity, in any pattern; never inside one logical block);
 *  - a write is durable once a FLUSH that was *submitted after the write
 *    completed* has completed successfully, or, if it had REQ_FUA, once it
 *    has completed successfully itself (FUA covers only its own range);
 *  - a block never goes back to a version older than a durable one:
 *    writes to one block settle in COMPLETE order (the order reads and
 *    the fold lay them in), so a write that completed before a durable
 *    write to the same block is gone for good; one still in flight may
 *    land over it.
 * The caller (the driver) holds whatever lock serialises calls.
 */
#ifndef ARCH_HOST_EMUDISK_H
#define ARCH_HOST_EMUDISK_H

#include <stdbool.h>
#include <stdint.h>

enum emudisk_op {
	EMUDISK_WRITE,	 /* data */
	EMUDISK_ZERO,	 /* write-zeroes, or a discard that zeroes */
	EMUDISK_DISCARD, /* a discard that left the old data */
	EMUDISK_FLUSH,
};

#define EMUDISK_FUA 1u /* request flag: this write's range durable */

enum emudisk_event_kind {
	EMUDISK_SUBMIT,
	EMUDISK_COMPLETE,
};

/* One entry of the append-only log. */
struct emudisk_event {
	uint32_t req;  /* index into emudisk->reqs */
	uint32_t kind; /* enum emudisk_event_kind */
};

/* One request, in submission order (its index is its SUBMIT order). */
struct emudisk_req {
	uint32_t op;	   /* enum emudisk_op */
	uint32_t flags;	   /* EMUDISK_FUA */
	int status;	   /* 0 or -errno, given at COMPLETE */
	uint64_t off, len; /* bytes, multiples of the logical block size */
	uint64_t sub;	   /* event index of its SUBMIT */
	uint64_t comp;	   /* event index of its COMPLETE; EMUDISK_NEVER */
	uint8_t *data;	   /* WRITE: len bytes, copied at SUBMIT */
	uint8_t *mask;	   /* bit per logical block that this request
				 * writes at all; NULL: every block. A failed
				 * or torn write has a partial mask. */
};

#define EMUDISK_NEVER UINT64_MAX

/* Injected faults, counted per kind from when they are armed. */
struct emudisk_faults {
	uint64_t fail_write_nth; /* Nth write fails (-EIO); its range is
					 * left unknown: old, new or torn */
	uint64_t torn_write_nth; /* Nth write lands torn: some logical
					 * blocks, at least one, not all; -EIO */
	uint64_t fail_flush_nth; /* Nth flush fails (-EIO), covers nothing */
};

struct emudisk {
	int fd;		     /* the media: the image at the log's start */
	uint64_t size;	     /* bytes */
	uint32_t lbs;	     /* logical block size, bytes */
	bool cache;	     /* volatile write cache (else write-through) */
	bool record;	     /* keep the whole log (never fold it) */
	bool discard_zeroes; /* discards always read back zeros */
	uint64_t rng;	     /* seeded choices: discards, failed writes */
	uint32_t gen;	     /* bumped when the log restarts */
	struct emudisk_req *reqs;
	uint32_t nr_reqs, max_reqs;
	struct emudisk_event *events;
	uint64_t nr_events, max_events;
	uint32_t inflight; /* submitted, not completed */
	struct emudisk_faults faults;
	uint64_t writes_seen, flushes_seen; /* since faults were armed */
	uint64_t cuts;			    /* power cuts so far */
};

/* A request handle: the log generation and the request's index. */
typedef uint64_t emudisk_id_t;

/* Set up @d over the media @fd of @size bytes. @cache: model a volatile
 * write cache (else writes go straight to @fd); @record: keep the whole
 * log for emudisk_materialise() (implies @cache). 0 or -EINVAL/-ENOMEM. */
int emudisk_init(struct emudisk *d, int fd, uint64_t size, uint32_t lbs, bool cache,
		 bool record, uint64_t seed);
/* Free the log (the fd is the caller's). */
void emudisk_release(struct emudisk *d);

/*
 * Requests. Each SUBMIT returns a handle; the caller completes it later
 * with emudisk_complete(), which returns the request's status (-EIO for a
 * handle from before a power cut). @data is copied at SUBMIT. Offsets and
 * lengths are bytes, multiples of the logical block size, inside the disk.
 * Reads are not logged: they see every write submitted so far, the
 * completed ones in completion order, then those in flight.
 */
emudisk_id_t emudisk_submit_write(struct emudisk *d, uint64_t off, uint64_t len,
				  const void *data, uint32_t flags);
emudisk_id_t emudisk_submit_zero(struct emudisk *d, uint64_t off, uint64_t len);
emudisk_id_t emudisk_submit_discard(struct emudisk *d, uint64_t off, uint64_t len);
emudisk_id_t emudisk_submit_flush(struct emudisk *d);
int emudisk_complete(struct emudisk *d, emudisk_id_t id);
int emudisk_read(struct emudisk *d, uint64_t off, uint64_t len, void *buf);

/* Replace the faults; counting restarts. */
void emudisk_set_faults(struct emudisk *d, const struct emudisk_faults *f);

enum emudisk_cut_kind {
	EMUDISK_CUT_NONE,   /* only what is durable */
	EMUDISK_CUT_PREFIX, /* + the first @arg not-durable writes (in
				 * submission order), each whole */
	EMUDISK_CUT_SUBSET, /* + a random subset (seed @arg), each whole */
	EMUDISK_CUT_TORN,   /* + each logical block of each not-durable
				 * write, or not (seed @arg) */
};

struct emudisk_cut {
	enum emudisk_cut_kind kind;
	uint64_t arg; /* PREFIX: how many; SUBSET, TORN: seed */
};

/* Events in the log now (a cut "after event N" keeps events [0, N)). */
uint64_t emudisk_nr_events(const struct emudisk *d);
/* Writes submitted before event @n that a cut there may or may not keep
 * (the writes EMUDISK_CUT_PREFIX counts). */
uint32_t emudisk_undecided(const struct emudisk *d, uint64_t n);

/*
 * Write to @out_fd the image a power cut after event @n would leave, by
 * @cut. @out_fd may be a fresh file (it gets the whole image) or, only
 * with @n == emudisk_nr_events(), the media fd itself. 0 or -errno.
 */
int emudisk_materialise(const struct emudisk *d, uint64_t n,
			const struct emudisk_cut *cut, int out_fd);

/*
 * Bring @out_fd from the image whose block versions are @ver (what the
 * previous call left: request indices of this log, -1 the media's; all -1
 * for a copy of the media) to the image a cut after event @n leaves by
 * @cut, writing only the logical blocks whose version changes, and update
 * @ver (size / lbs entries). A sweep of many cuts over one log writes a
 * few blocks per cut instead of the whole disk; n = 0 with
 * EMUDISK_CUT_NONE turns @out_fd back into the media. 0 or -errno.
 */
int emudisk_materialise_delta(const struct emudisk *d, uint64_t n,
			      const struct emudisk_cut *cut, int out_fd, int32_t *ver);

/*
 * Power cut now, with whatever is in flight: the media becomes what
 * emudisk_materialise(d, all events, @cut) describes, the log restarts and
 * every handle given before completes with -EIO. Returns the number of
 * undecided writes there were, or -errno.
 */
int emudisk_power_cut(struct emudisk *d, const struct emudisk_cut *cut);

/* Writes held in the log that are not yet durable (cache model). */
uint32_t emudisk_cached_writes(const struct emudisk *d);

/* One line per event, for a failing test's report. */
void emudisk_log_dump(const struct emudisk *d, int fd);

#endif
