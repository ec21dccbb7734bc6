#!/usr/bin/env python3
"""tests/logwrites.py - check a write log against what the guest acknowledged.

Layer: tests (host side). Used by: tests/run group `virtio` (jobs
virtio.durability-*), by hand after `tools/quire --disk IMG,log=LOG
--exec 'blkdurable vda N'`.

QEMU's blklogwrites driver records the writes and flushes a guest sends to
a disk, in Linux's dm-log-writes format:
  sector 0:   super {le64 magic 0x6a736677736872, le64 version 1,
              le64 nr_entries, le32 sectorsize}
  then per entry, one sector {le64 sector, le64 nr_sectors, le64 flags,
              le64 data_len} followed by the written data (nr_sectors
              sectors of `sectorsize`); flags: 1 FLUSH, 2 FUA, 4 DISCARD,
              8 MARK.
QEMU appends an entry when the request has *completed* on the image file
(a FLUSH entry: the image was flushed), so log order is completion order.
It never sets FUA on a write (a FUA write reaches it as write + flush).

The guest side is `blkdurable` (block/blk-durable.c): round r writes
tagged sectors (le32 "QDUR", round, kind 1 data / 2 commit / 3 ack, mode,
index, count), makes them durable (mode 0 "flush": data then an empty
PREFLUSH; 1 "preflush": data then a split PREFLUSH|FUA commit; 2 "fua": a
FUA commit block), and only after that completed writes round r's ack
block. So the first log entry holding the ack is a point after the guest's
acknowledgement, and what the round promised must be durable before it.
Rules, for every acked round (a loss is reported under the rule's name):
  durable-before-ack  each write of the round is FUA itself or followed by a
                      FLUSH entry before the ack (a flush completed after
                      the write and before the acknowledgement);
  preflush-order      mode preflush: a FLUSH entry lies after every data
                      write of the round and before every piece of its
                      commit (PREFLUSH: older completed writes are durable
                      before any of the commit's data is written);
  written-before-ack  every sector the round promised is in the log before
                      its ack (nothing acknowledged that was never written).
A log entry's place is where it completed, not where it was submitted, so
a piece sent before the flush completed but finishing after it looks
right here: the jobs that look for issue 13 bug 9 add the kernel option
blk_flush.slowflush (block/blk-flush.c), which makes such pieces finish
first, deterministically.

A second shape checks a range written through the page cache (`dd`
buffered, then `sync` or dd's conv=fsync; tests/run's devices.durability-*
jobs): the guest writes sectors [START, START+COUNT), makes them durable,
and only after that returns writes the ack sector ACK once (O_DIRECT). The
first log entry covering ACK is then a point after the acknowledgement,
and the same rules hold for the range: every sector of it is written
before the ack (written-before-ack), and its last write before the ack is
followed by a FLUSH entry before the ack (durable-before-ack).

usage: tests/logwrites.py LOG --rounds N [--expect-loss RULE[:MODE]]
       tests/logwrites.py LOG --range START:COUNT --ack SECTOR [--expect-loss RULE]
  exit 0: N rounds (or the range) acked and every promise kept (with
          --expect-loss: acked and a loss under RULE, in a round of MODE
          if given, was reported: the check can fail); exit 1: the
          opposite; exit 2: the log is unreadable or the arguments are
          wrong.
"""
import struct
import sys

MAGIC = 0x6A736677736872
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8
SUPER = struct.Struct("<QQQI")
ENTRY = struct.Struct("<QQQQ")
TAG = struct.Struct("<IIIIII")
TAG_MAGIC = 0x52554451          # "QDUR"
DATA, COMMIT, ACK = 1, 2, 3
MODES = ("flush", "preflush", "fua")
RULES = ("durable-before-ack", "preflush-order", "written-before-ack")


class LogError(Exception):
    pass


def read_entries(data):
    """Yield (index, sector, nr_sectors, flags, payload) in log order."""
    if len(data) < SUPER.size:
        raise LogError("log shorter than its super block")
    magic, version, nr_entries, ssize = SUPER.unpack_from(data, 0)
    if magic != MAGIC or version != 1:
        raise LogError("not a dm-log-writes log (magic 0x%x version %d)" % (magic, version))
    if ssize < 512 or ssize & (ssize - 1):
        raise LogError("bad sector size %d" % ssize)
    pos = 1
    for i in range(nr_entries):
        if (pos + 1) * ssize > len(data):
            raise LogError("entry %d of %d lies past the end of the log" % (i, nr_entries))
        sector, nr, flags, _ = ENTRY.unpack_from(data, pos * ssize)
        if flags & ~(FLUSH | FUA | DISCARD | MARK):
            raise LogError("entry %d has unknown flags 0x%x" % (i, flags))
        nodata = flags & (DISCARD | MARK)
        if not nodata and (pos + 1 + nr) * ssize > len(data):
            raise LogError("entry %d's data lies past the end of the log" % i)
        payload = b"" if nodata else data[(pos + 1) * ssize:(pos + 1 + nr) * ssize]
        yield i, sector, nr, flags, payload, ssize
        pos += 1 + (0 if nodata else nr)


def tags_of(payload, ssize):
    """The blkdurable tags in a write's data: [(round, kind, mode, index, count)]."""
    tags = []
    for off in range(0, len(payload), 512):
        t = TAG.unpack_from(payload, off)
        if t[0] == TAG_MAGIC:
            tags.append(t[1:])
    return tags


class Round:
    def __init__(self):
        self.ack = None          # index of the first entry holding the ack
        self.mode = None
        self.writes = []         # (entry index, fua, kind, [index]) before the ack
        self.late = 0            # sectors of the round logged after its ack
        self.counts = {}         # kind -> count the tags announce


def check(path, rounds):
    """Return (stats, acked round numbers, losses as [(rule, round, mode, why)])."""
    with open(path, "rb") as f:
        data = f.read()
    flushes, rs, writes = [], {}, 0
    for i, sector, nr, flags, payload, ssize in read_entries(data):
        if flags & FLUSH:
            flushes.append(i)
        if not nr or flags & (DISCARD | MARK):
            continue
        writes += 1
        per = {}
        for rnd, kind, mode, idx, count in tags_of(payload, ssize):
            per.setdefault((rnd, kind, mode, count), []).append(idx)
        for (rnd, kind, mode, count), idxs in sorted(per.items()):
            r = rs.setdefault(rnd, Round())
            if kind == ACK:
                if r.ack is None:
                    r.ack, r.mode = i, mode
            elif r.ack is not None:
                r.late += len(idxs)
            else:
                r.writes.append((i, bool(flags & FUA), kind, idxs))
                r.counts[kind] = count
    losses = []
    for rnd in range(rounds):
        r = rs.get(rnd)
        if r is None or r.ack is None:
            continue
        mode = MODES[r.mode] if r.mode < len(MODES) else "mode%d" % r.mode
        before_ack = [f for f in flushes if f < r.ack]
        last_flush = before_ack[-1] if before_ack else -1
        bad = [(i, k) for i, fua, k, _ in r.writes if not fua and i > last_flush]
        if bad:
            losses.append(("durable-before-ack", rnd, mode,
                           "%d writes (entries %s) have no FLUSH after them before the ack "
                           "(entry %d)" % (len(bad), ",".join(str(i) for i, _ in bad[:6]),
                                           r.ack)))
        if r.mode == 1:
            data = [i for i, _, k, _ in r.writes if k == DATA]
            commit = [i for i, _, k, _ in r.writes if k == COMMIT]
            if data and commit and not any(max(data) < f < min(commit) for f in flushes):
                losses.append(("preflush-order", rnd, mode,
                               "no FLUSH between its last data write (entry %d) and its first "
                               "commit piece (entry %d)" % (max(data), min(commit))))
        want = {0: (DATA,), 1: (DATA, COMMIT), 2: (COMMIT,)}.get(r.mode, ())
        for kind in want:
            seen = set()
            for _, _, k, idxs in r.writes:
                if k == kind:
                    seen.update(idxs)
            count = r.counts.get(kind)
            if count is None or seen != set(range(count)):
                losses.append(("written-before-ack", rnd, mode,
                               "%s sectors logged before the ack: %d of %s" % (
                                   "data" if kind == DATA else "commit", len(seen),
                                   count if count is not None else "?")))
        if r.late:
            losses.append(("written-before-ack", rnd, mode,
                           "%d of its sectors were logged after its ack" % r.late))
    acked = sorted(n for n, r in rs.items() if r.ack is not None and n < rounds)
    return (writes, len(flushes)), acked, losses


def check_range(path, start, count, ack):
    """The range shape: return (stats, acked?, losses as [(rule, why)])."""
    with open(path, "rb") as f:
        data = f.read()
    flushes, last, writes, ack_at, late = [], {}, 0, None, 0
    end = start + count
    for i, sector, nr, flags, payload, ssize in read_entries(data):
        if flags & FLUSH:
            flushes.append(i)
        if not nr or flags & (DISCARD | MARK):
            continue
        writes += 1
        # entries count sectors of the log's sector size; the range is in 512s
        lo, hi = sector * (ssize // 512), (sector + nr) * (ssize // 512)
        if ack_at is None and lo <= ack < hi:
            ack_at = i
            continue
        a, b = max(lo, start), min(hi, end)
        if a >= b:
            continue
        if ack_at is not None:
            late += b - a
            continue
        for s in range(a, b):
            last[s] = (i, bool(flags & FUA))
    losses = []
    if ack_at is None:
        return (writes, len(flushes)), False, losses
    if len(last) < count:
        missing = sorted(set(range(start, end)) - set(last))
        losses.append(("written-before-ack", "%d of %d sectors never written before the ack "
                       "(entry %d), first %d" % (len(missing), count, ack_at, missing[0])))
    before_ack = [f for f in flushes if f < ack_at]
    last_flush = before_ack[-1] if before_ack else -1
    bad = sorted({i for i, fua in last.values() if not fua and i > last_flush})
    if bad:
        losses.append(("durable-before-ack",
                       "%d writes (entries %s) have no FLUSH after them before the ack "
                       "(entry %d)" % (len(bad), ",".join(str(i) for i in bad[:6]), ack_at)))
    if late:
        losses.append(("written-before-ack",
                       "%d sectors of the range were logged after the ack" % late))
    return (writes, len(flushes)), True, losses


def range_main(path, start, count, ack, want):
    try:
        (writes, flushes), acked, losses = check_range(path, start, count, ack)
    except (OSError, LogError) as e:
        print("logwrites: %s: %s" % (path, e))
        return 2
    print("logwrites: %d writes, %d flushes, range %d+%d %s"
          % (writes, flushes, start, count, "acked" if acked else "NOT acked"))
    if not acked:
        print("logwrites: the ack sector %d is not in the log: the workload did not run "
              "to its end" % ack)
    for rule, why in losses:
        print("logwrites: LOSS: %s: range: %s" % (rule, why))
    if acked and not losses:
        print("logwrites: every promise of the range was kept")
    if want is None:
        return 0 if acked and not losses else 1
    hit = [l for l in losses if l[0] == want[0]]
    print("logwrites: expected a loss under %s: %s" % (want[0], "reported" if hit else
                                                         "NOT reported"))
    return 0 if acked and hit else 1


def main(argv):
    args, rounds, want, rng, ack = argv[1:], None, None, None, None
    try:
        path = args.pop(0)
        while args:
            a = args.pop(0)
            if a == "--rounds":
                rounds = int(args.pop(0))
            elif a == "--range":
                rng = [int(x) for x in args.pop(0).split(":")]
                if len(rng) != 2 or rng[0] < 0 or rng[1] < 1:
                    raise ValueError(a)
            elif a == "--ack":
                ack = int(args.pop(0))
            elif a == "--expect-loss":
                want = args.pop(0).split(":")
                if want[0] not in RULES or len(want) > 2:
                    raise ValueError(a)
            else:
                raise ValueError(a)
        if rng is not None or ack is not None:
            if rng is None or ack is None or rounds is not None or ack < 0:
                raise ValueError("--range")
            if rng[0] <= ack < rng[0] + rng[1]:
                raise ValueError("--ack")
        elif not rounds or rounds < 1:
            raise ValueError("--rounds")
    except (IndexError, ValueError):
        print("usage: tests/logwrites.py LOG --rounds N [--expect-loss RULE[:MODE]]\n"
              "       tests/logwrites.py LOG --range START:COUNT --ack SECTOR "
              "[--expect-loss RULE]\n"
              "  RULE: %s; MODE: %s" % (", ".join(RULES), ", ".join(MODES)), file=sys.stderr)
        return 2
    if rng is not None:
        return range_main(path, rng[0], rng[1], ack, want)
    try:
        (writes, flushes), acked, losses = check(path, rounds)
    except (OSError, LogError) as e:
        print("logwrites: %s: %s" % (path, e))
        return 2
    print("logwrites: %d writes, %d flushes, %d of %d rounds acked"
          % (writes, flushes, len(acked), rounds))
    ok = len(acked) == rounds
    if not ok:
        missing = sorted(set(range(rounds)) - set(acked))
        print("logwrites: rounds %s have no ack in the log: the workload did not run "
              "to its end" % missing[:8])
    for rule, rnd, mode, why in losses:
        print("logwrites: LOSS: %s: round %d (%s): %s" % (rule, rnd, mode, why))
    if not losses:
        print("logwrites: every acked round's promise was kept")
    if want is None:
        return 0 if ok and not losses else 1
    hit = [l for l in losses if l[0] == want[0] and (len(want) == 1 or l[2] == want[1])]
    print("logwrites: expected a loss under %s: %s" % (":".join(want),
                                                       "reported" if hit else "NOT reported"))
    return 0 if ok and hit else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
