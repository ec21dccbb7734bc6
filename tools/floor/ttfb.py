#!/usr/bin/env python3
"""tools/floor/ttfb.py - time a QEMU command from spawn to a marker on its
serial output (stdout) and to its exit.

Usage: ttfb.py [--marker TEXT] [--runs N] [--timeout S] -- qemu-system-x86_64 ...
Prints, per run, ms to the first occurrence of the marker (default: the
first byte), ms to exit, and QEMU's exit status; then the medians.
Layer: tools (used for docs/uefi.md and by `make bench` as the floor probe).
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import time


def one_run(cmd, marker, timeout):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    buf = b""
    t_mark = None
    fd = p.stdout.fileno()
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            p.kill()
            p.wait()
            return t_mark, None, None, buf
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        if t_mark is None and (marker in buf if marker else buf):
            t_mark = time.monotonic() - t0
    rc = p.wait()
    return t_mark, time.monotonic() - t0, rc, buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--marker", default="")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    marks, exits = [], []
    for i in range(a.runs):
        tm, te, rc, _ = one_run(cmd, a.marker.encode(), a.timeout)
        ms = lambda t: "-" if t is None else "%.0f" % (t * 1000)
        print("run %d: marker %s ms, exit %s ms, status %s" % (i, ms(tm), ms(te), rc))
        if tm is not None:
            marks.append(tm)
        if te is not None:
            exits.append(te)
    if marks:
        print("median marker %.0f ms" % (statistics.median(marks) * 1000))
    if exits:
        print("median exit %.0f ms" % (statistics.median(exits) * 1000))
    return 0 if marks else 1


if __name__ == "__main__":
    sys.exit(main())
