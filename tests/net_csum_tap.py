#!/usr/bin/env python3
"""tests/net_csum_tap.py - virtio-net checksum offload with a real QEMU
device: a tap in a private network namespace (root only), so QEMU's
virtio-net offers VIRTIO_NET_F_CSUM and GUEST_CSUM (over slirp it never
does: no virtio-net header there).

Layer: tests (host side). Used by: tests/run job `virtio.net-csum-tap`,
and by hand (docs/net-virtio.md). The host has no ping: the guest pings
the tap's address.

  DIR -- QUIRE-ARGV...
      Re-runs itself under `unshare -n`; makes tap qcsum0 (10.0.3.1/24),
      boots QUIRE-ARGV --net --append ip=10.0.3.2/24 with QEMU=tests/qemu-
      tap-wrapper (the user network becomes the tap), and checks: both
      offloads negotiated (the probe line), the guest pings 10.0.3.1, 4 MiB PUT
      and GET by curl through httpd come back the same bytes, then
      `netdev` shows frames sent with NEEDS_CSUM and received partial or
      DATA_VALID ones and no bad csum_start/offset, and `ifconfig` shows
      lwIP's side offloaded; power-off.

Output is flat KTAP; exit 0 when every check passed, 1 otherwise, 2 on a
usage error or when not root / no /dev/net/tun (tests/run declares that
skip itself).
"""
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_test  # noqa: E402  (Guest, check, finish)

TAP, HOST_IP, GUEST_IP = "qcsum0", "10.0.3.1", "10.0.3.2"
WRAPPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qemu-tap-wrapper")


def sh(*argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120)


def counters(lines, rx):
    for l in lines:
        m = re.search(rx, l)
        if m:
            return [int(x) for x in m.groups()]
    return None


def in_netns(d, quire):
    check = http_test.check
    os.makedirs(d, exist_ok=True)
    print("KTAP version 1")
    print("1..7")
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "tuntap", "add", "dev", TAP, "mode", "tap"],
                ["ip", "addr", "add", HOST_IP + "/24", "dev", TAP],
                ["ip", "link", "set", TAP, "up"]):
        r = sh(*cmd)
        if r.returncode:
            check("tap_setup", False, "%s: %s" % (" ".join(cmd), r.stdout.decode()))
            return http_test.finish(7)
    os.environ["QEMU"] = WRAPPER
    os.environ["QUIRE_TAP"] = TAP
    g = http_test.Guest(quire + ["--net", "--append", "ip=%s/24" % GUEST_IP],
                        os.path.join(d, "boot.log"))
    probe = g.wait_for(r"eth0: virtio.*rings", 180)
    up = g.wait_for(r"net: eth0: %s/24" % re.escape(GUEST_IP), 60) is not None and \
        g.wait_for(r"httpd: listening on port 80", 30) is not None
    line = g.lines[probe] if probe is not None else ""
    if not check("offload_negotiated", "tx csum offload" in line and "rx csum offload" in line,
                 "probe line: %r (boot.log)" % line) or \
            not check("guest_up", up, "no address or listener (boot.log)"):
        g.kill()
        return http_test.finish(7)
    try:
        return talk(g, d)
    finally:
        if g.p.poll() is None:
            g.kill()


def talk(g, d):
    check = http_test.check
    out = g.command("ping -c 3 %s" % HOST_IP, 60)
    check("ping_host", any("3 packets transmitted, 3 received" in l for l in out),
          "guest ping: %s" % out[-3:])
    src = random.Random(12).randbytes(4 << 20)
    with tempfile.NamedTemporaryFile(dir=d) as f:
        f.write(src)
        f.flush()
        base = "http://%s/fs/csum" % GUEST_IP
        put = sh("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", f.name,
                 "--max-time", "300", base)
        get = subprocess.run(["curl", "-sS", "--max-time", "300", base],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=320)
    back = get.stdout
    check("put_get_4mib_same_bytes",
          put.stdout.decode().strip() == "201" and back == src,
          "PUT %s, GET %d bytes, sha256 %s want %s" % (
              put.stdout.decode().strip(), len(back), hashlib.sha256(back).hexdigest()[:12],
              hashlib.sha256(src).hexdigest()[:12]))
    out = g.command("netdev; ifconfig", 60)
    dev = counters(out, r"checksum offload: tx on, (\d+) frames completed by the device; "
                        r"rx on, (\d+) valid, (\d+) partial completed, (\d+) bad")
    check("device_counters", dev is not None and dev[0] > 1000 and dev[1] + dev[2] > 1000
          and dev[3] == 0, "netdev: %s" % ([l for l in out if "checksum" in l],))
    lw = counters(out, r"checksum offload: tx on \((\d+) by the device, (\d+) here, "
                       r"(\d+) fragments without\)  rx on \((\d+) trusted\)")
    check("lwip_counters", lw is not None and lw[0] > 1000 and lw[2] == 0,
          "ifconfig: %s" % ([l for l in out if "checksum" in l],))
    rc = g.poweroff(120)
    check("poweroff", rc == 0, "exit %s" % rc)
    return http_test.finish(7)


def main(argv):
    if len(argv) >= 4 and argv[0] == "--in-netns" and argv[2] == "--":
        return in_netns(argv[1], argv[3:])
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        print("net_csum_tap: needs root and /dev/net/tun", file=sys.stderr)
        return 2
    return subprocess.call(["unshare", "-n", "--", sys.executable, os.path.abspath(__file__),
                            "--in-netns", argv[0], "--"] + argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
