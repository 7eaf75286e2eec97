#!/usr/bin/env python3
"""Our client against our server over a lossy path: 5 % random loss both ways.

Two network namespaces made by the test (stampede-lossy-<pid>-s and -c) joined by a veth pair with
addresses 10.201.<n>.1 (server) and 10.201.<n>.2 (client) that exist only inside them; nftables in
each namespace drops 5 % of incoming UDP (`numgen random mod 1000 < 50`). A 4 MiB file is fetched
with windowsize 1 and 16 and uploaded once; each must complete with the right SHA-256. Requires
root, `ip netns` and `nft`: without them the test FAILS with the reason. The namespaces are deleted
in all cases (a class cleanup, and at start any leftover of the same name).
"""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import describe, run, sha256  # noqa: E402
from netns import NamespacePair  # noqa: E402

LOSS_PER_MILLE = 50  # 5 %
SIZE = 4 << 20
TIMEOUT = 120


def sh(cmd, check=True):
    return run(cmd, timeout=20, check=check)


class Lossy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("test_lossy needs root (ip netns, nft); CI runs as root")
        for tool in ("ip", "nft"):
            common.peer(tool)
        pid = os.getpid()
        cls.net = NamespacePair(f"stampede-lossy-{pid}", f"10.201.{pid % 250 + 1}",
                                (f"stl{pid % 100000}s", f"stl{pid % 100000}c"))
        cls.addClassCleanup(cls.net.delete)  # also when the rest of setUpClass fails
        cls.net.set_faults(LOSS_PER_MILLE)
        cls.root = common.TempRoot()
        cls.want = cls.root.file("four", SIZE)
        cls.out = common.TempRoot()
        cls.port = 6969
        cmd = ["ip", "netns", "exec", cls.net.ns_s] + common.server_cmd(
            "stampede", cls.root.path, cls.net.addr_s, cls.port, upload=True)
        cls.log = open(os.path.join(cls.out.path, "server.log"), "wb")
        cls.srv = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=cls.log,
                                   stderr=subprocess.STDOUT, start_new_session=True)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv.poll() is None:
                cls.srv.terminate()  # by PID: `ip netns exec` execs the server in place
                try:
                    cls.srv.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    cls.srv.kill()
                    cls.srv.wait(timeout=5)
            cls.log.close()
            counters = run(["ip", "netns", "exec", cls.net.ns_s, "nft", "list", "ruleset"],
                           timeout=10)
            print("\nserver-side drops:", counters.stdout.decode().split("counter")[-1].split("\n")[0],
                  file=sys.stderr)
        finally:
            cls.root.cleanup()
            cls.out.cleanup()

    def in_client_ns(self, cmd):
        return run(["ip", "netns", "exec", self.net.ns_c] + cmd, timeout=TIMEOUT)

    def get(self, windowsize, blksize=1468):
        local = os.path.join(self.out.path, f"got-{windowsize}-{blksize}")
        cmd = [common.peer("stampede"), "get", "-q", f"tftp://{self.net.addr_s}:{self.port}/four",
               "-o", local, "--blksize", str(blksize), "--windowsize", str(windowsize)]
        # The server may not be up yet at the first try: the client's retries cover that.
        r = self.in_client_ns(cmd)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(sha256(local), self.want)

    def test_get_windowsize_1(self):
        self.get(1)

    def test_get_windowsize_16(self):
        self.get(16)

    def test_put_windowsize_16(self):
        src = os.path.join(self.out.path, "src")
        want = common.make_file(src, SIZE, seed=99)
        r = self.in_client_ns([common.peer("stampede"), "put", "-q", "--windowsize", "16", src,
                               f"tftp://{self.net.addr_s}:{self.port}/uploaded"])
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(sha256(self.root.join("uploaded")), want)


class NoBroadcastAddress(unittest.TestCase):
    """An interface address configured without a broadcast address (`ip addr add A/N dev D`, no
    `brd +`): glibc's getifaddrs() then reports the address itself as ifa_broadaddr. The server's
    broadcast filter (RFC 1123 4.2.3.5) must not take that for a broadcast and drop every
    request sent to the server's own address."""

    def test_serves_address_without_brd(self):
        ns = f"stampede-nobrd-{os.getpid()}"
        root = common.TempRoot()
        srv = None
        try:
            sh(["ip", "netns", "add", ns])
            sh(["ip", "-n", ns, "link", "add", "nb0", "type", "veth", "peer", "name", "nb1"])
            sh(["ip", "-n", ns, "addr", "add", "10.202.0.1/30", "dev", "nb0"])
            sh(["ip", "-n", ns, "addr", "add", "10.202.0.2/30", "dev", "nb1"])
            for dev in ("lo", "nb0", "nb1"):
                sh(["ip", "-n", ns, "link", "set", dev, "up"])
            want = root.file("f", 1000)
            srv = subprocess.Popen(["ip", "netns", "exec", ns] + common.server_cmd(
                "stampede", root.path, "10.202.0.1", 6969), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            local = root.join("got")
            r = run(["ip", "netns", "exec", ns, common.peer("stampede"), "get", "-q", "--retries",
                     "2", "--idle", "2", "tftp://10.202.0.1:6969/f", "-o", local], timeout=30)
            self.assertEqual(r.returncode, 0, describe(r))
            self.assertEqual(sha256(local), want)
        finally:
            if srv and srv.poll() is None:
                srv.terminate()
                srv.wait(timeout=5)
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=20)
            root.cleanup()


if __name__ == "__main__":
    common.main()
