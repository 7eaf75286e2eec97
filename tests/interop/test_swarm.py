#!/usr/bin/env python3
"""`stampede swarm` against real servers on loopback: our own server and tftpd-hpa.

Many clients in one process fetch the same files; every byte is compared with the reference copy.
The positive cases check the JSON summary and the per-client CSV (all clients completed, byte
totals exact); the negative ones check that a corrupted reference copy and a missing remote file
each fail every client with a clear reason and exit status 1, and that usage errors exit 2.
"""

import csv
import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import run, start_server  # noqa: E402

TIMEOUT = 120
SIZES = {"boot/pxelinux.0": 45_000, "boot/initrd.img": 1_500_000}


def swarm(args, timeout=TIMEOUT):
    return run([common.peer("stampede"), "swarm", *args], timeout=timeout)


class SwarmLoopback(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = common.TempRoot()
        for name, size in SIZES.items():
            cls.root.file(name, size)
        cls.bad = common.TempRoot()  # reference copies with one byte changed
        for name in SIZES:
            dst = cls.bad.join(name)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(cls.root.join(name), dst)
        with open(cls.bad.join("boot/initrd.img"), "r+b") as f:
            f.seek(1_000_000)
            byte = f.read(1)
            f.seek(1_000_000)
            f.write(bytes([byte[0] ^ 0xFF]))

    @classmethod
    def tearDownClass(cls):
        cls.root.cleanup()
        cls.bad.cleanup()

    def fetch_all(self, server_name, clients, extra=()):
        csv_path = self.root.join("clients.csv")
        with start_server(server_name, self.root.path) as srv:
            r = swarm(["--clients", str(clients), "--spread", "200ms", "--json",
                       "--verify-dir", self.root.path, "--clients-csv", csv_path, *extra,
                       f"127.0.0.1:{srv.port}", *SIZES])
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, f"{out}\n{r.stderr.decode()}")
        summary = json.loads(out)
        self.assertEqual(summary["clients"], clients)
        self.assertEqual(summary["completed"], clients, summary["failures"])
        self.assertEqual(summary["failed"], 0)
        self.assertEqual(summary["bytes"], clients * sum(SIZES.values()))
        self.assertGreater(summary["makespan_s"], 0)
        self.assertLessEqual(summary["p50_s"], summary["p99_s"])
        self.assertLessEqual(summary["p99_s"], summary["max_s"])
        self.assertGreater(summary["jain"], 0)
        self.assertLessEqual(summary["jain"], 1.0)
        with open(csv_path) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), clients)
        self.assertTrue(all(row["completed"] == "1" for row in rows))
        self.assertTrue(all(int(row["bytes"]) == sum(SIZES.values()) for row in rows))
        return summary

    def test_fifty_clients_against_stampede(self):
        self.fetch_all("stampede", 50)

    def test_windowed_clients_against_stampede(self):
        summary = self.fetch_all("stampede", 20, extra=["--windowsize", "16"])
        self.assertEqual(summary["windowsize"], 16)

    def test_twenty_clients_against_tftpd_hpa(self):
        self.fetch_all("tftpd-hpa", 20)

    def test_corrupted_reference_fails_every_client(self):
        with start_server("stampede", self.root.path) as srv:
            r = swarm(["--clients", "10", "--json", "--verify-dir", self.bad.path,
                       f"127.0.0.1:{srv.port}", *SIZES])
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        summary = json.loads(r.stdout)
        self.assertEqual(summary["completed"], 0)
        self.assertEqual(summary["failed"], 10)
        self.assertIn("boot/initrd.img: verification failed: content differs at byte 1000000",
                      summary["failures"][0])

    def test_missing_remote_file_fails(self):
        with start_server("stampede", self.root.path) as srv:
            r = swarm(["--clients", "5", "--json", "--no-verify", f"127.0.0.1:{srv.port}",
                       "boot/pxelinux.0", "boot/missing.img"])
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        summary = json.loads(r.stdout)
        self.assertEqual(summary["failed"], 5)
        self.assertEqual(summary["bytes"], 5 * SIZES["boot/pxelinux.0"])
        self.assertIn("boot/missing.img: server error 1", summary["failures"][0])

    def test_usage_and_setup_errors(self):
        self.assertEqual(swarm(["127.0.0.1:1", "x"]).returncode, 2)  # neither verify flag
        self.assertEqual(swarm(["--no-verify", "--clients", "0", "127.0.0.1:1", "x"]).returncode, 2)
        self.assertEqual(swarm(["--no-verify", "--spread", "soon", "127.0.0.1:1", "x"]).returncode, 2)
        r = swarm(["--verify-dir", self.root.path, "127.0.0.1:1", "no/such/file"])
        self.assertEqual(r.returncode, 3)
        self.assertIn("No such file", r.stderr.decode())

    def test_read_delay_slows_every_client(self):
        # Each client reads its socket 100 ms after it became readable: at least one delay (the
        # OACK) per transfer, where the same fetch takes milliseconds on loopback otherwise.
        with start_server("stampede", self.root.path) as srv:
            r = swarm(["--clients", "5", "--json", "--read-delay", "100ms", "--verify-dir",
                       self.root.path, f"127.0.0.1:{srv.port}", "boot/pxelinux.0"])
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        summary = json.loads(r.stdout)
        self.assertEqual(summary["completed"], 5)
        self.assertGreaterEqual(summary["p50_s"], 0.1)
        self.assertEqual(summary["peak_active"], 5)

    def test_duration_bounds_the_run(self):
        # Nobody answers on this port: without the bound each client would retry for ~10 s.
        port = common.free_udp_port()
        r = swarm(["--clients", "20", "--json", "--no-verify", "--duration", "1s",
                   f"127.0.0.1:{port}", "x"], timeout=10)
        self.assertEqual(r.returncode, 1)
        summary = json.loads(r.stdout)
        self.assertEqual(summary["failed"], 20)
        self.assertIn("run duration reached", summary["failures"][0])


if __name__ == "__main__":
    common.main()
