#!/usr/bin/env python3
"""tests/qlfs_durable.py - qlfs's durability in QEMU: a killed QEMU, and
every flush-bounded prefix of a blklogwrites log.

Layer: tests (host side). Used by: tests/run group `qlfs-qemu` (jobs
qlfs-qemu.*), by hand (docs/testing.md "qlfs durability in QEMU").

Two checks, each printing the steps format of tests/run's qlfs-tools jobs
("== STEP", its output, "rc-STEP=STATUS"); the script itself exits 0 (2
on a usage error), the verdict is in the steps:

  kill DIR -- QUIRE-ARGV...
      Boot 1 mounts a fresh qlfs (vda), writes and fsyncs a small file and
      a 256 KiB copy of a source disk, writes a third file without fsync,
      prints a marker and sleeps; the host SIGKILLs that QEMU (no power-off,
      no sync: the guest's page cache is lost). fsck.qlfs -n is clean on
      the image; boot 2 (a new QEMU, same image) reads the fsynced files
      back (the big one copied to a raw disk the host compares); fsck.qlfs
      -n is clean after it.

  log DIR [--append OPTS] [--fs-mib N] -- QUIRE-ARGV...
      The guest runs WORKLOAD (creates, writes, overwrites, fsync,
      fdatasync (`fsync -d`), sync, rename, unlink) on a qlfs whose disk
      goes through QEMU's blklogwrites. After each step's fsync/fdatasync/
      sync returned, it writes that step's ack block (O_DIRECT, in the
      image's tail past the file system's last segment), so the first log
      entry holding ack k is a point after step k was acknowledged (the
      scheme of tests/logwrites.py --range, whose log reader this uses).
      Then on the host, for the image before the run and for every FLUSH
      entry of the log, the image holding every write completed before it
      (a flush-bounded prefix: what a power cut right after that flush
      could leave) must be fsck.qlfs -n clean, and quire-host mounting it
      (roll-forward included) must find every promise of every step whose
      ack lies before the next flush: the promise is checked in the image
      of the last flush before the ack. A file changed by a later step
      that may have started (its previous step acked) is in flux and not
      checked in that prefix. --append passes kernel options (the
      negative controls: virtio_blk.noflush must make a promise fail);
      --fs-mib the file system's size (default 64; the image is 1 MiB
      more).

QUIRE-ARGV is tools/quire and its options (tests/run's quire_argv, without
--snapshot: the image must keep the writes); the script adds --disk and
--exec. Needs build/host/plain/{mkfs,fsck}.qlfs and quire-host.
"""
import os
import random
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logwrites  # noqa: E402  (the dm-log-writes reader)

HOST = "build/host/plain/"
MKFS, FSCK, QH = HOST + "mkfs.qlfs", HOST + "fsck.qlfs", HOST + "quire-host"
BLK = 4096
FS_MIB = 64                      # --fs-mib; mkfs.qlfs uses whole 2 MiB segments:


def img_bytes():
    return (FS_MIB + 1) << 20    # a 1 MiB tail past the last segment


def ack_blk():
    return (FS_MIB << 20) // BLK  # ack k is the 4 KiB block ack_blk() + k


MNT = "/q"
SRC_BYTES = {"vdb": 256 << 10, "vdc": 384 << 10}   # the source disks cp reads
KILL_MARK = "qlfs-durable: fsynced, kill me"

# The log workload: (operations, durability call). Operations: ("write",
# PATH, TEXT) (the shell's write: TEXT and a newline, file replaced),
# ("cp", DISK, PATH) (a whole source disk into a file), ("mv", A, B),
# ("rm", PATH), ("mkdir", PATH). Durability: ("fsync", PATH),
# ("fdatasync", PATH), ("sync",). Paths are below the mount point.
WORKLOAD = [
    ([("write", "a", "a-0")], ("fsync", "a")),
    ([("mkdir", "d"), ("write", "d/b", "b-1")], ("fsync", "d/b")),
    ([("cp", "vdb", "big")], ("fdatasync", "big")),
    ([("write", "a", "a-3 overwritten"), ("write", "c", "c-3")], ("fsync", "a")),
    ([("mv", "c", "d/c2")], ("sync",)),
    ([("cp", "vdc", "big")], ("fsync", "big")),
    ([("write", "e", "e-6"), ("mv", "e", "f")], ("fsync", "f")),
    ([("rm", "a"), ("write", "d/b", "b-7 again")], ("sync",)),
    ([("write", "g", "g-8")], ("fdatasync", "g")),
    ([("mv", "d/c2", "h"), ("write", "d/b", "b-9 third")], ("fsync", "d/b")),
    ([("write", "i", "i-10"), ("cp", "vdb", "big2")], ("sync",)),
    ([("write", "f", "f-11 overwritten")], ("fdatasync", "f")),
]


def step(name, fn):
    """Run one step: "== NAME", its output, "rc-NAME=STATUS"."""
    print("== " + name, flush=True)
    try:
        rc = fn()
    except (OSError, subprocess.SubprocessError, logwrites.LogError) as e:
        print("qlfs-durable: %s: %s" % (name, e))
        rc = 99
    print("rc-%s=%d" % (name, rc), flush=True)
    return rc


def run(argv, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    out = p.stdout.decode(errors="replace")
    sys.stdout.write(out)
    sys.stdout.flush()
    return p.returncode, out


def sources(d):
    """The source disks' images and bytes (fixed seed: every run the same)."""
    rng, src = random.Random(18), {}
    for dev, n in sorted(SRC_BYTES.items()):
        data = bytes(rng.getrandbits(8) for _ in range(n))
        path = os.path.join(d, dev + ".img")
        with open(path, "wb") as f:
            f.write(data)
        src[dev] = (path, data)
    return src


def fresh_image(path):
    with open(path, "wb") as f:
        f.truncate(img_bytes())
    # 2 MiB segments: the file system ends at FS_MIB (even, >= 64: mkfs
    # refuses fewer than 24 main segments), the ack tail stays outside it
    rc, _ = run([MKFS, "-q", "-s", "2M", path])
    return rc


def guest_argv(quire, disks, cmds, append=""):
    argv = list(quire)
    for i, (path, extra) in enumerate(disks):
        argv += ["--disk", "%s,serial=quire-test-qd%d%s" % (path, i, extra)]
    if append:
        argv += ["--append", append]
    return argv + ["--exec", cmds]


def qemu_children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


# --- kill -------------------------------------------------------------------


def kill_main(d, quire):
    img, out = os.path.join(d, "disk.img"), os.path.join(d, "out.img")
    src = sources(d)
    a_text = "fsynced before the kill"
    if step("mkfs", lambda: fresh_image(img)):
        return 0

    def boot1():
        cmds = "; ".join([
            "mkdir -p " + MNT, "mount vda %s qlfs" % MNT,
            "write %s/a %s" % (MNT, a_text), "fsync %s/a" % MNT,
            "cp /dev/vdb %s/big" % MNT, "fsync %s/big" % MNT,
            "write %s/dirty never fsynced" % MNT, "echo " + KILL_MARK, "sleep 600000"])
        argv = guest_argv(quire, [(img, ""), (src["vdb"][0], "")], cmds)
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        killed = []
        for raw in iter(p.stdout.readline, b""):
            line = raw.decode(errors="replace")
            sys.stdout.write(line)
            if line.strip() == KILL_MARK and not killed:
                # QEMU is tools/quire's child: SIGKILL it, no power-off.
                killed = qemu_children(p.pid)
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)
                print("qlfs-durable: sent SIGKILL to QEMU (pid %s)"
                      % ",".join(map(str, killed)) if killed else
                      "qlfs-durable: no QEMU process under tools/quire to kill")
        rc = p.wait()
        return rc

    def boot2():
        with open(out, "wb") as f:
            f.truncate(SRC_BYTES["vdb"])
        cmds = "; ".join(["mkdir -p " + MNT, "mount vda %s qlfs" % MNT,
                          "cat %s/a" % MNT, "stat %s/big" % MNT,
                          "cp %s/big /dev/vdb" % MNT, "ls %s" % MNT])
        return run(guest_argv(quire, [(img, ""), (out, "")], cmds))[0]

    def content():
        with open(out, "rb") as f:
            got = f.read()
        ok = got == src["vdb"][1]
        print("qlfs-durable: big %s the source disk (%d bytes)"
              % ("equals" if ok else "DIFFERS from", len(got)))
        return 0 if ok else 1

    step("boot1_killed", boot1)
    step("fsck_after_kill", lambda: run([FSCK, "-n", img])[0])
    step("boot2_reads_back", boot2)
    step("big_file_intact", content)
    step("fsck_after_boot2", lambda: run([FSCK, "-n", img])[0])
    return 0


# --- log --------------------------------------------------------------------


class Model:
    """What each step promised: per step, {path: bytes or None (absent)};
    per path, the steps that changed it."""

    def __init__(self, src):
        self.src = src
        self.promises = []       # step -> {path: value}
        self.changed = {}        # path -> [steps]

    def build(self, workload):
        state, cmds = {}, ["mkdir -p " + MNT, "mount vda %s qlfs" % MNT]
        for k, (ops, durable) in enumerate(workload):
            line = []
            for op in ops:
                if op[0] == "write":
                    state[op[1]] = (op[2] + "\n").encode()
                    self.changed.setdefault(op[1], []).append(k)
                    line.append("write %s/%s %s" % (MNT, op[1], op[2]))
                elif op[0] == "cp":
                    state[op[2]] = self.src[op[1]][1]
                    self.changed.setdefault(op[2], []).append(k)
                    line.append("cp /dev/%s %s/%s" % (op[1], MNT, op[2]))
                elif op[0] == "mv":
                    state[op[2]] = state[op[1]]
                    state[op[1]] = None
                    for p in op[1:]:
                        self.changed.setdefault(p, []).append(k)
                    line.append("mv %s/%s %s/%s" % (MNT, op[1], MNT, op[2]))
                elif op[0] == "rm":
                    state[op[1]] = None
                    self.changed.setdefault(op[1], []).append(k)
                    line.append("rm %s/%s" % (MNT, op[1]))
                elif op[0] == "mkdir":
                    line.append("mkdir %s/%s" % (MNT, op[1]))
            if durable[0] == "sync":
                self.promises.append(dict(state))
                line.append("sync")
            else:
                self.promises.append({durable[1]: state[durable[1]]})
                line.append("fsync %s%s/%s" % ("-d " if durable[0] == "fdatasync" else "",
                                               MNT, durable[1]))
            line.append("dd if=zero of=vda bs=4K count=1 seek=%d oflag=direct status=none"
                        % (ack_blk() + k))
            line.append("echo qlfs-durable: step %d acked" % k)
            cmds += line
        return cmds

    def expected(self, acked):
        """Promises to check after steps [0, acked) were acknowledged:
        {path: (value, promising step)}, files in flux left out."""
        last = {}
        for k in range(acked):
            for path, v in self.promises[k].items():
                last[path] = (v, k)
        return {p: (v, k) for p, (v, k) in last.items()
                if not any(k < j <= acked for j in self.changed.get(p, []))}


def read_back(img, out, want):
    """Mount @img with quire-host (roll-forward included) and read @want's
    files: {path: bytes or None}, and whether it mounted."""
    cmds = []
    big = [p for p, (v, _) in want.items() if v is not None and len(v) > 4096]
    for p, (v, _) in sorted(want.items()):
        cmds.append("echo ==P %s" % p)
        cmds.append("stat /%s" % p if p in big or v is None else "cat /%s" % p)
    p = subprocess.run([QH, "--disk", img, "--disk", out, "root=vda", "--exec",
                        "; ".join(cmds) or "echo"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    text = p.stdout.decode(errors="replace")
    mounted = "qlfs(vda): mounted" in text and "roll-forward failed" not in text
    got, cur = {}, None
    for l in text.splitlines():
        m = re.match(r"^==P (\S+)$", l)
        if m:
            cur = m.group(1)
            got[cur] = []
        elif cur and not re.match(r"^\[ *\d+\.\d+\] ", l):
            got[cur].append(l)
    res = {}
    for path, lines in got.items():
        if any("No such file or directory" in l for l in lines):
            res[path] = None
        elif path in big:
            size = [int(m.group(1)) for m in (re.search(r"Size: (\d+)", l) for l in lines) if m]
            res[path] = ("size", size[0] if size else -1)
        else:
            res[path] = ("\n".join(lines) + "\n").encode()
    # the big files, one at a time through a raw disk
    for path in big:
        if isinstance(res.get(path), tuple):
            with open(out, "wb") as f:
                f.truncate(1 << 20)
            cp = subprocess.run([QH, "--disk", img, "--disk", out, "root=vda", "--exec",
                                 "cp /%s /dev/vdb" % path], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
            with open(out, "rb") as f:
                res[path] = f.read(res[path][1]) if res[path][1] >= 0 else b"?"
            if b"all commands succeeded" not in cp.stdout:
                res[path] = b"unreadable (cp to a raw disk failed)"
    return res, mounted, text


def log_main(d, quire, append):
    img, log, base = (os.path.join(d, n) for n in ("disk.img", "disk.log", "base.img"))
    prefix, out = os.path.join(d, "prefix.img"), os.path.join(d, "out.img")
    src = sources(d)
    model = Model(src)
    cmds = model.build(WORKLOAD)
    if step("mkfs", lambda: fresh_image(img)):
        return 0
    shutil.copyfile(img, base)
    with open(log, "wb") as f:
        f.truncate(128 << 20)
    # QEMU's blklogwrites fails requests of many segments (tests/run's dd
    # durability jobs): 64 descriptors and no indirect ones.
    disks = [(img, ",log=%s,qsize=64" % log), (src["vdb"][0], ""), (src["vdc"][0], "")]
    append = " ".join(["virtio.noindirect"] + ([append] if append else []))
    step("guest", lambda: run(guest_argv(quire, disks, "; ".join(cmds), append))[0])

    def replay():
        with open(log, "rb") as f:
            data = f.read()
        with open(base, "rb") as f:
            image = bytearray(f.read())
        entries = list(logwrites.read_entries(data))
        acks, flushes = {}, []
        for i, sector, nr, flags, payload, ssize in entries:
            if flags & logwrites.FLUSH:
                flushes.append(i)
            if nr and not flags & (logwrites.DISCARD | logwrites.MARK):
                lo, hi = sector * ssize // BLK, (sector + nr) * ssize // BLK
                for k in range(len(WORKLOAD)):
                    if lo <= ack_blk() + k < max(hi, lo + 1) and k not in acks:
                        acks[k] = i
        order = [acks[k] for k in sorted(acks)]
        print("qlfs-durable: %d log entries, %d flushes, %d of %d steps acked"
              % (len(entries), len(flushes), len(acks), len(WORKLOAD)))
        bad = 0
        if sorted(acks) != list(range(len(WORKLOAD))) or order != sorted(order):
            print("qlfs-durable: the acks are not all in the log, in step order: %s" % acks)
            bad += 1
        # prefixes: the image before the run (-1), then each flush
        points, pos, checked = [-1] + flushes, 0, 0
        last_img = None
        for n, f in enumerate(points):
            while pos < len(entries) and entries[pos][0] < f:
                i, sector, nr, flags, payload, ssize = entries[pos]
                if nr and not flags & (logwrites.DISCARD | logwrites.MARK):
                    image[sector * ssize:sector * ssize + len(payload)] = payload
                pos += 1
            nxt = points[n + 1] if n + 1 < len(points) else len(entries)
            acked = sum(1 for k, a in acks.items() if a < nxt)
            want = model.expected(acked)
            if bytes(image) == last_img and not want:
                continue
            last_img = bytes(image)
            with open(prefix, "wb") as fimg:
                fimg.write(image)
            p = subprocess.run([FSCK, "-n", prefix], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            what = "prefix %d (%s, %d steps acked before the next flush)" % (
                n, "before the run" if f < 0 else "log entry %d, a FLUSH" % f, acked)
            if p.returncode:
                bad += 1
                print("qlfs-durable: LOSS: fsck: %s: fsck.qlfs -n exit %d: %s" % (
                    what, p.returncode, p.stdout.decode(errors="replace").strip()[-300:]))
                continue
            got, mounted, text = read_back(prefix, out, want)
            if not mounted:
                bad += 1
                why = [l for l in text.splitlines() if "qlfs(vda)" in l]
                print("qlfs-durable: LOSS: mount: %s: quire-host did not mount it "
                      "read-write with its roll-forward: %s" % (what, " | ".join(why)[-400:]))
                continue
            held = 0
            for path, (v, k) in sorted(want.items()):
                checked += 1
                g = got.get(path, b"?")
                held += g == v
                if g != v:
                    bad += 1
                    show = lambda x: "absent" if x is None else (
                        repr(x) if len(x) <= 40 else "%d bytes" % len(x))
                    print("qlfs-durable: LOSS: promise: %s: step %d's %s promised %s, "
                          "the image has %s" % (what, k, path, show(v), show(g)))
            print("qlfs-durable: %s: fsck clean, %d of %d promises held"
                  % (what, held, len(want)))
        print("qlfs-durable: %d prefixes, %d promise checks, %d losses"
              % (len(points), checked, bad))
        if not bad and checked:
            print("qlfs-durable: every acknowledged promise was kept")
        return 1 if bad or not checked else 0

    step("replay", replay)
    return 0


def main(argv):
    try:
        mode, d = argv[1], argv[2]
        rest = argv[3:]
        append = ""
        while rest[:1] in (["--append"], ["--fs-mib"]):
            if rest[0] == "--append":
                append = rest[1]
            else:
                global FS_MIB
                FS_MIB = int(rest[1])
                if FS_MIB < 32 or FS_MIB % 2:
                    raise ValueError
            rest = rest[2:]
        if mode not in ("kill", "log") or rest[:1] != ["--"] or len(rest) < 2:
            raise ValueError
        quire = rest[1:]
    except (IndexError, ValueError):
        print("usage: tests/qlfs_durable.py kill|log DIR [--append OPTS] [--fs-mib N] "
              "-- QUIRE-ARGV...",
              file=sys.stderr)
        return 2
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return kill_main(d, quire) if mode == "kill" else log_main(d, quire, append)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
