#!/usr/bin/env python3
"""Forge the rebuild_pack() images of session 22 (FSCKAB) from a 64 MiB qlfs
image made by mkfs.qlfs (default segments of 512 KiB: packs at 128/256,
footers at +7, SIT 384/512, NAT 640/768; docs/qlfs-format.md), edited in place.

  forge-rebuild.py IMG ovp-hint   both packs' headers and footers: 119 of 120
                                  main segments overprovisioned, fields that
                                  agree, checksums left failing (hints only)
  forge-rebuild.py IMG ovp-sealed the same, sealed, with the pack size out of
                                  range (salvage refuses them) and the clock
                                  at 2^64 - 256
  forge-rebuild.py IMG nat-root   NAT block 0's other copy: the live one with
                                  the root's entry version + 1 at a block past
                                  the device, sealed; pack 0 zeroed, the
                                  checksums of pack 1's header, footer and
                                  summaries broken (the root's block is in
                                  the hot node log: no summary names it)
  forge-rebuild.py IMG nat-root-stale-hint
                                  the same NAT copy, both packs' header and
                                  footer checksums broken: the hint (pack 0,
                                  the older checkpoint) names the forged copy
  forge-rebuild.py IMG no-pack    pack 0 zeroed, pack 1's header and footer
                                  checksums broken (nothing else changed)
  forge-rebuild.py IMG ver-sealed=V
                                  (after no-pack) pack 1's header and footer
                                  sealed again with version V and an unknown
                                  flag (salvage refuses them)
  forge-rebuild.py IMG nat-root-at=A
                                  as nat-root, the root's entry at block A
                                  (its own older block, say)
  forge-rebuild.py IMG sit-mtime=M
                                  SIT block 0's live copy: every mtime M,
                                  sealed
  forge-rebuild.py IMG ovp-sealed-ok=N
                                  the live pack's header and footer: N main
                                  segments overprovisioned, counts agreeing,
                                  sealed (an older mkfs's, say)

Checksums: CRC32C (no inversion) of bytes 0..4091 seeded with
0x53464c51 ^ the block address, at byte 4092.
"""
import struct
import sys

TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    TABLE.append(c)


def crc32c(crc, data):
    for x in data:
        crc = TABLE[(crc ^ x) & 0xFF] ^ (crc >> 8)
    return crc


MAGIC = 0x53464C51
BS = 4096
PACKS = (128, 256)
FOOTER = 7
NAT = (640, 768)
SIT = (384, 512)
MAIN_SEGS, BPS = 120, 128


def rd(f, blk):
    f.seek(blk * BS)
    return bytearray(f.read(BS))


def wr(f, blk, b, seal):
    if seal:
        struct.pack_into("<I", b, 4092, crc32c(MAGIC ^ blk, bytes(b[:4092])))
    f.seek(blk * BS)
    f.write(b)


def sealed(b, blk):
    return struct.unpack_from("<I", b, 4092)[0] == crc32c(MAGIC ^ blk, bytes(b[:4092]))


def newest_pack(f):
    v = [struct.unpack_from("<Q", rd(f, p))[0] if sealed(rd(f, p), p) else 0 for p in PACKS]
    return 0 if v[0] > v[1] else 1


def ovp(f, seal):
    for p in PACKS:
        for b in (p, p + FOOTER):
            h = rd(f, b)
            struct.pack_into("<Q", h, 8, (MAIN_SEGS - 119) * BPS)  # user_block_count
            struct.pack_into("<II", h, 24, 2, 119)  # rsvd, ovp
            if seal:
                struct.pack_into("<I", h, 76, 0xFFFFFFFF)  # pack size
                struct.pack_into("<Q", h, 104, 2**64 - 256)  # elapsed_time
            else:
                h[4092] ^= 0xFF  # stays failing whatever the edit
            wr(f, b, h, seal)


def break_packs(f, live):
    zero = bytearray(BS)
    for b in range(PACKS[1 - live], PACKS[1 - live] + FOOTER + 1):
        wr(f, b, zero, False)
    for b in (PACKS[live], PACKS[live] + FOOTER):
        h = rd(f, b)
        h[4092] ^= 0xFF
        wr(f, b, h, False)


def break_summaries(f, live):
    for b in range(PACKS[live] + 1, PACKS[live] + FOOTER):
        h = rd(f, b)
        h[4092] ^= 0xFF
        wr(f, b, h, False)


def nat_root(f, stale_hint=False, addr=0x7FFFFF00):
    live = newest_pack(f)
    cp = rd(f, PACKS[live])
    sitb = struct.unpack_from("<I", cp, 96)[0]
    copy = cp[128 + sitb] & 1  # NAT block 0's bit
    blk = rd(f, NAT[copy])
    e = 3 * 9  # the root's entry: u8 version, __le32 ino, __le32 block_addr
    blk[e] = (blk[e] + 1) & 0xFF
    struct.pack_into("<I", blk, e + 5, addr)
    wr(f, NAT[1 - copy], blk, True)
    if stale_hint:  # both headers left as hints: pack 0's, older, names the forged copy
        for p in PACKS:
            for b in (p, p + FOOTER):
                h = rd(f, b)
                h[4092] ^= 0xFF
                wr(f, b, h, False)
    else:
        break_packs(f, live)
    break_summaries(f, live)


def ver_sealed(f, ver):
    """After no-pack: pack 1's header sealed again, its version @ver, an
    unknown flag (salvage refuses it, rebuild takes it as sound)."""
    for b in (PACKS[1], PACKS[1] + FOOTER):
        h = rd(f, b)
        struct.pack_into("<Q", h, 0, ver)
        struct.pack_into("<I", h, 72, 0x80000000)  # an unknown flag
        wr(f, b, h, True)


def sit_mtime(f, mtime):
    """Every live SIT entry's mtime of SIT block 0 := @mtime, sealed (the
    live pack's bitmap names the live copy)."""
    live = newest_pack(f)
    cp = rd(f, PACKS[live])
    copy = cp[128] & 1
    blk_addr = SIT[copy]
    blk = rd(f, blk_addr)
    for e in range(55):
        struct.pack_into("<Q", blk, e * 74 + 66, mtime)
    wr(f, blk_addr, blk, True)


def ovp_sealed_ok(f, ovp):
    """The live pack's header and footer: @ovp overprovisioned segments, rsvd
    min(2, ovp), user blocks agreeing, sealed (the pack stays valid)."""
    live = newest_pack(f)
    for b in (PACKS[live], PACKS[live] + FOOTER):
        h = rd(f, b)
        struct.pack_into("<Q", h, 8, (MAIN_SEGS - ovp) * BPS)
        struct.pack_into("<II", h, 24, min(2, ovp), ovp)
        wr(f, b, h, True)


def main():
    img, kind = sys.argv[1], sys.argv[2]
    with open(img, "r+b") as f:
        if kind == "ovp-hint":
            ovp(f, False)
        elif kind == "ovp-sealed":
            ovp(f, True)
        elif kind == "nat-root":
            nat_root(f)
        elif kind.startswith("nat-root-at="):
            nat_root(f, addr=int(kind.split("=")[1], 0))
        elif kind == "nat-root-stale-hint":
            nat_root(f, True)
        elif kind == "no-pack":
            break_packs(f, newest_pack(f))
        elif kind.startswith("ver-sealed="):
            ver_sealed(f, int(kind.split("=")[1], 0))
        elif kind.startswith("sit-mtime="):
            sit_mtime(f, int(kind.split("=")[1], 0))
        elif kind.startswith("ovp-sealed-ok="):
            ovp_sealed_ok(f, int(kind.split("=")[1], 0))
        else:
            sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main()
