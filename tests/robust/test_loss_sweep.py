#!/usr/bin/env python3
"""Loss sweep: our client against our server across two network namespaces the test creates
(veth pair, addresses that exist only inside them), with nftables dropping a share of incoming UDP
in both namespaces (`numgen random mod 1000 < N drop`, so both directions lose packets) and
optionally duplicating outgoing UDP (`dup to`). No netem on this kernel: delay, reordering and
corruption are covered by test_fault_relay.py (a seeded relay on loopback), the transfer_pair fuzz
target and the simulator instead.

Rule: up to 10 % loss every transfer completes with the right SHA-256; at 30 % a transfer either
completes intact or fails with a clear error message within its retry budget, never hangs.
"Within its retry budget" and "hangs" are judged by progress, not by total time: the client runs
with its packet trace (-v), each new highest block acknowledged (put) or received (get) is
progress, a failure must be reported within FAILURE_AFTER_PROGRESS_S of the last progress, and a
client still running HANG_WITHOUT_PROGRESS_S after it is a hang. A 4 MiB upload at 30 % loss each
way (half of all round trips fail) may keep progressing for minutes; that is slow, not a hang.

  LossSweepFast  (CI): 10 % with windowsize 1 and 16, a 10 % upload, 30 %, and 2 % loss with 1 %
                 duplication.
  LossSweepFull  (--slow; opt-in, see tests/robust/CMakeLists.txt): 1, 5, 10 % x windowsize 1, 16
                 x get, put of 4 MiB; 30 % with a 32 KiB get and a 4 MiB put.
"""

import os
import re
import subprocess
import sys
import threading
import time
import unittest

from robust_common import Namespaces, TempRoot, main, make_file, peer, sha256

TRANSFER_TIMEOUT_S = 600  # bound on any one transfer, progressing or not
# The retry budget: 6 timeouts in a row with the backed-off timeout capped at 4 s (0.4 + 0.8 + 1.6
# + 3.2 + 4 + 4 s from a 200 ms RTO), and 8 s without progress at either end. A failure must be
# reported within this of the last progress (with margin for a loaded machine).
FAILURE_AFTER_PROGRESS_S = 45
HANG_WITHOUT_PROGRESS_S = 90
# Trace lines of progress: "<- ADDR DATA n (...)" for a get, "<- ADDR ACK n" for a put.
PROGRESS = {"get": re.compile(r"^<- \S+ DATA (\d+) "), "put": re.compile(r"^<- \S+ ACK (\d+)$")}
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
        cls.addClassCleanup(cls.net.delete)  # also when the rest of setUpClass fails
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
        cmd += ["--blksize", "1428", "--windowsize", str(windowsize), "-v"]
        start = time.monotonic()
        rc, errors, last_progress, hung, capped = self.run_watched(direction, cmd, start)
        seconds = time.monotonic() - start
        idle = time.monotonic() - last_progress
        said = f": {errors[-1]}" if rc != 0 and errors else ""
        print(f"\n  {name}: exit {rc} in {seconds:.1f}s, {idle:.1f}s after the last progress{said}",
              file=sys.stderr)
        self.assertFalse(hung, f"{name}: hang: still running {idle:.0f}s after the last progress")
        self.assertFalse(capped, f"{name}: still running (slowly progressing) after {seconds:.0f}s")
        if rc == 0:
            got = local if direction == "get" else self.root.join(name)
            want = self.upload_want if direction == "put" else (
                self.want_small if small else self.want)
            self.assertEqual(sha256(got), want, f"{name}: completed but corrupt")
            return True, seconds
        self.assertTrue(errors and errors[-1].startswith("stampede "),
                        f"{name}: exit {rc} without a clear error: {errors[-5:]}")
        self.assertLessEqual(idle, FAILURE_AFTER_PROGRESS_S,
                             f"{name}: failed only {idle:.0f}s after its last progress")
        return False, seconds

    def run_watched(self, direction, cmd, start):
        """Runs the client in the client namespace, reading its packet trace as it comes. Returns
        (exit code, non-trace stderr lines, monotonic time of the last progress, hung, capped)."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.net.ns_c] + cmd,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        state = {"last": start, "highest": -1}
        errors = []
        pattern = PROGRESS[direction]

        def read():
            for raw in proc.stderr:
                line = raw.decode(errors="replace").rstrip("\n")
                m = pattern.match(line)
                if m:
                    block = int(m.group(1))  # < 65536 blocks here: no wrap to account for
                    if block > state["highest"]:
                        state["highest"], state["last"] = block, time.monotonic()
                elif not line.startswith(("->", "<-")):
                    errors.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        hung = capped = False
        while proc.poll() is None:
            now = time.monotonic()
            if now - state["last"] > HANG_WITHOUT_PROGRESS_S or now - start > TRANSFER_TIMEOUT_S:
                hung = now - state["last"] > HANG_WITHOUT_PROGRESS_S
                capped = not hung
                proc.kill()  # by PID: `ip netns exec` execs the client in place
                break
            time.sleep(0.2)
        rc = proc.wait()
        reader.join(timeout=10)
        proc.stderr.close()
        return rc, errors, state["last"], hung, capped

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
