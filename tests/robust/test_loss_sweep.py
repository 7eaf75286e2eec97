#!/usr/bin/env python3
"""Loss sweep: our client against our server across two network namespaces the test creates
(veth pair, addresses that exist only inside them), with nftables dropping a share of incoming UDP
in both namespaces (`numgen random mod 1000 < N drop`, so both directions lose packets) and
optionally duplicating outgoing UDP (`dup to`). No netem on this kernel: delay, reordering and
corruption are covered by test_fault_relay.py (a seeded relay on loopback), the transfer_pair fuzz
target and the simulator instead.

Rule: up to 10 % loss every transfer completes with the right SHA-256; at 30 % a transfer either
completes intact or fails with a clear error message within its retry budget, never hangs.

  LossSweepFast  (CI): 10 % with windowsize 1 and 16, a 10 % upload, 30 %, and 2 % loss with 1 %
                 duplication.
  LossSweepFull  (--slow; opt-in, see tests/robust/CMakeLists.txt): 1, 5, 10 % x windowsize 1, 16
                 x get, put of 4 MiB; 30 % with a 32 KiB get and a 4 MiB put.
"""

import os
import subprocess
import sys
import time
import unittest

from robust_common import Namespaces, TempRoot, describe, main, make_file, peer, run, sha256

TRANSFER_TIMEOUT_S = 240  # a hang is reported as a failure well before ctest's limit
# The client's retry budget: 6 timeouts in a row with the backed-off timeout capped at 4 s, and the
# Receiver's 8 s idle floor. A failure must be reported within this (with margin for load).
FAILURE_WITHIN_S = 90
SMALL_SIZE = 32 << 10


class Sweep(unittest.TestCase):
    SIZE = 1 << 20
    TAG = 0

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("the loss sweep needs root (ip netns, nft); CI runs as root")
        peer("ip")
        peer("nft")
        cls.net = Namespaces(cls.TAG)
        cls.root = TempRoot()
        cls.work = TempRoot()
        cls.want = cls.root.file("image", cls.SIZE)
        cls.want_small = cls.root.file("small", SMALL_SIZE)
        cls.upload = os.path.join(cls.work.path, "upload")
        cls.upload_want = make_file(cls.upload, cls.SIZE, seed=99)
        cls.port = 6969
        cls.log = open(os.path.join(cls.work.path, "server.log"), "wb")
        cls.srv = subprocess.Popen(
            ["ip", "netns", "exec", cls.net.ns_s, peer("stampede"), "serve", "--listen",
             f"{cls.net.addr_s}:{cls.port}", "--root", cls.root.path, "--create",
             "--windowsize-max", "64"],
            stdin=subprocess.DEVNULL, stdout=cls.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv.poll() is None:
                cls.srv.terminate()  # by PID: `ip netns exec` execs the server in place
                try:
                    cls.srv.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    cls.srv.kill()
                    cls.srv.wait(timeout=5)
            cls.log.close()
        finally:
            cls.net.delete()
            cls.root.cleanup()
            cls.work.cleanup()

    def transfer(self, direction, loss_pct, windowsize, dup_per_mille=0, small=False):
        """Runs one transfer under the faults; returns (completed, seconds). `small`: a get of
        SMALL_SIZE bytes instead of SIZE."""
        self.net.set_faults(loss_pct * 10, dup_per_mille)
        url = f"tftp://{self.net.addr_s}:{self.port}/"
        name = f"{direction}-{loss_pct}-{windowsize}-{dup_per_mille}"
        if direction == "get":
            local = os.path.join(self.work.path, name)
            cmd = [peer("stampede"), "get", "-q", url + ("small" if small else "image"), "-o", local]
        else:
            cmd = [peer("stampede"), "put", "-q", self.upload, url + name]
        cmd += ["--blksize", "1428", "--windowsize", str(windowsize)]
        start = time.monotonic()
        r = run(["ip", "netns", "exec", self.net.ns_c] + cmd, timeout=TRANSFER_TIMEOUT_S)
        seconds = time.monotonic() - start
        print(f"\n  {name}: exit {r.returncode} in {seconds:.1f}s", file=sys.stderr)
        if r.returncode == 0:
            got = local if direction == "get" else self.root.join(name)
            want = self.upload_want if direction == "put" else (
                self.want_small if small else self.want)
            self.assertEqual(sha256(got), want, f"{name}: completed but corrupt")
            return True, seconds
        message = r.stderr.decode(errors="replace").strip()
        self.assertTrue(message.startswith("stampede "), f"{name}: no clear error\n{describe(r)}")
        self.assertLessEqual(seconds, FAILURE_WITHIN_S, f"{name}: failed only after {seconds:.0f}s")
        return False, seconds

    def must_complete(self, direction, loss_pct, windowsize, dup_per_mille=0):
        completed, _ = self.transfer(direction, loss_pct, windowsize, dup_per_mille)
        self.assertTrue(completed, f"{direction} at {loss_pct} % loss, windowsize {windowsize}")


class LossSweepFast(Sweep):
    SIZE = 256 << 10
    TAG = 1

    def test_get_10_percent_windowsize_1(self):
        self.must_complete("get", 10, 1)

    def test_get_10_percent_windowsize_16(self):
        self.must_complete("get", 10, 16)

    def test_put_10_percent_windowsize_16(self):
        self.must_complete("put", 10, 16)

    def test_get_30_percent_completes_or_fails_clearly(self):
        # Small: a windowed transfer at 30 % loss both ways may complete, slowly (256 KiB took
        # 129 s once); what matters here is the outcome rule, not the speed.
        self.transfer("get", 30, 16, small=True)

    def test_get_2_percent_loss_1_percent_duplication(self):
        self.must_complete("get", 2, 16, dup_per_mille=10)


class LossSweepFull(Sweep):
    SIZE = 4 << 20
    TAG = 2

    def test_sweep(self):
        for direction in ("get", "put"):
            for windowsize in (1, 16):
                for loss_pct in (1, 5, 10):
                    with self.subTest(direction=direction, windowsize=windowsize, loss=loss_pct):
                        self.must_complete(direction, loss_pct, windowsize)
                with self.subTest(direction=direction, windowsize=windowsize, loss=30):
                    self.transfer(direction, 30, windowsize, small=direction == "get")


if __name__ == "__main__":
    main(slow=("LossSweepFull",))
