#!/usr/bin/env python3
"""tests/logwrites.py - replay a dm-log-writes log and check durability.

Layer: tests (host side). Used by: tests/run group `virtio` (job
virtio.durability-*), by hand after `tools/quire --disk IMG,log=LOG ...`.

QEMU's blklogwrites driver records every write and flush a guest sends to
a disk, in Linux's dm-log-writes format:
  sector 0:   super {le64 magic 0x6a736677736872, le64 version 1,
              le64 nr_entries, le32 sectorsize}
  then per entry, one sector {le64 sector, le64 nr_sectors, le64 flags,
              le64 data_len} followed by the written data (nr_sectors
              sectors of `sectorsize`); flags: 1 FLUSH, 2 FUA, 4 DISCARD,
              8 MARK.
Replaying it in order: a write is durable once a FLUSH entry follows it
(or it carried FUA itself). The guest ran a workload that ended with a
flush it saw succeed, so it believes everything it wrote is durable: any
write not covered by a later flush is data a power cut would lose.

usage: tests/logwrites.py LOG [--expect-loss]
  exit 0: every write is covered (with --expect-loss: some write is not,
          and the loss was reported, i.e. the check can fail);
  exit 1: the opposite; exit 2: the log is unreadable.
"""
import struct
import sys

MAGIC = 0x6A736677736872
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8
SUPER = struct.Struct("<QQQI")
ENTRY = struct.Struct("<QQQQ")


class LogError(Exception):
    pass


def read_entries(data):
    """Yield (index, sector, nr_sectors, flags) in log order."""
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
        yield i, sector, nr, flags
        pos += 1 + (0 if flags & (DISCARD | MARK) else nr)


def check(path):
    """Return (writes, flushes, uncovered writes as [(index, sector, nr)])."""
    with open(path, "rb") as f:
        data = f.read()
    pending, writes, flushes = [], 0, 0
    for i, sector, nr, flags in read_entries(data):
        if flags & FLUSH:
            flushes += 1
            pending = []
        if nr and not flags & (DISCARD | MARK):
            writes += 1
            if not flags & FUA:
                pending.append((i, sector, nr))
    return writes, flushes, pending


def main(argv):
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "--expect-loss"):
        print("usage: tests/logwrites.py LOG [--expect-loss]", file=sys.stderr)
        return 2
    try:
        writes, flushes, pending = check(argv[1])
    except (OSError, LogError) as e:
        print("logwrites: %s: %s" % (argv[1], e))
        return 2
    print("logwrites: %d writes, %d flushes" % (writes, flushes))
    if not writes:
        print("logwrites: no write was recorded: the workload did not run")
        return 1
    if pending:
        lost = sum(nr for _, _, nr in pending)
        first = ", ".join("sector %d+%d (entry %d)" % (s, n, i) for i, s, n in pending[:4])
        print("logwrites: LOSS: %d writes (%d sectors) the guest reported durable are "
              "not covered by a flush: %s" % (len(pending), lost, first))
    else:
        print("logwrites: every write is covered by a later flush")
    want_loss = len(argv) == 3
    return 0 if bool(pending) == want_loss else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
