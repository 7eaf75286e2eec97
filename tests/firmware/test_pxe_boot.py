#!/usr/bin/env python3
"""Real firmware end to end: QEMU virtual machines PXE-boot a Linux kernel and initramfs from
`stampede serve`.

Each case builds a private network (testbed.py: two namespaces, a bridge, one tap per VM), runs
dnsmasq as the DHCP server only (next-server = the Stampede namespace), `stampede serve` on port 69,
and QEMU (TCG, no KVM) with Debian's iPXE ROM. A case passes when every VM prints this run's marker
on its serial console before the deadline, and the server logged every boot file as delivered
(complete, or complete-unconfirmed when only the final ACK was lost). Cases:
  IpxeOne       1 VM, iPXE script (boot.ipxe -> vmlinuz + initrd.gz)            CI
  LossyTwo      2 VMs, iPXE, 2 % random loss each way on the bridge              CI
  PxelinuxOne   1 VM, pxelinux.0 -> ldlinux.c32 -> pxelinux.cfg/default          --slow
  IpxeFour      4 VMs at once, iPXE                                              --slow
  RefusedTwo    2 VMs, iPXE, 2 % of the server's sends refused by nftables in its
                own namespace (EPERM): retransmitted, never an aborted transfer   --slow

Usage: test_pxe_boot.py --stampede BIN [--firmware-dir DIR] [--slow] [Case ...]
Needs root and what scripts/peers and scripts/firmware-deps install; anything missing FAILS.
Everything is torn down on every path: the context manager, SIGINT/SIGTERM turned into an
exception, and PR_SET_PDEATHSIG on every child for a test killed outright.
"""

import argparse
import os
import re
import signal
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootfiles  # noqa: E402
import testbed  # noqa: E402

ARGS = None
LOSS_PER_MILLE = 20  # 2 %


def stampede_cmd(root, addr):
    return [ARGS.stampede, "serve", "--listen", f"{addr}:69", "--root", root]


def transfers(server_log):
    """(client ip, file name, outcome, retransmits) of each per-transfer log line."""
    out = []
    for m in re.finditer(r' (\S+):\d+ read "([^"]*)" .*retransmits=(\d+) outcome=(\S+)',
                         server_log):
        out.append((m.group(1), m.group(2), m.group(4), int(m.group(3))))
    return out


class Boot(unittest.TestCase):
    boot_file = "boot.ipxe"
    vms = 1
    loss_per_mille = 0
    refuse_per_mille = 0
    deadline_s = 150
    # Files every VM must have read completely (the pxelinux path adds its own).
    files = ("boot.ipxe", "vmlinuz", "initrd.gz")

    def test_boot(self):
        root = tempfile.mkdtemp(prefix="stampede-firmware-root-")
        os.chmod(root, 0o755)
        try:
            self.boot(root)
        finally:
            for dirpath, dirnames, filenames in os.walk(root, topdown=False):
                for n in filenames:
                    os.unlink(os.path.join(dirpath, n))
                os.rmdir(dirpath)

    def boot(self, root):
        marker = bootfiles.populate(root, ARGS.firmware_dir, os.urandom(6).hex())
        with testbed.Testbed(root, self.boot_file) as tb:
            if self.loss_per_mille:
                tb.set_loss(self.loss_per_mille)
            if self.refuse_per_mille:
                tb.refuse_server_sends(self.refuse_per_mille)
            tb.start_dnsmasq()
            tb.start_server(stampede_cmd(root, tb.server_addr))
            tb.start_vms(self.vms)
            failed = tb.wait_markers(marker, self.deadline_s)
            self.wait_logged(tb)
            log = tb.stop_server()
            for vm in tb.vms:
                print(f"  vm{vm.index}: marker after "
                      + (f"{vm.booted_at:.1f} s" if vm.booted_at else "never"), file=sys.stderr)
            if failed:
                self.fail(f"{len(failed)} of {self.vms} VMs printed no marker within "
                          f"{self.deadline_s} s\n{tb.diagnostics()}")
            self.check_transfers(log)
            if self.loss_per_mille:
                self.check_loss(tb, log)
            if self.refuse_per_mille:
                self.check_refused(tb, log)

    def wait_logged(self, tb, limit_s=40):
        """A transfer whose final ACK was lost ends only when the server's retries run out, after
        the VM booted: wait (bounded) for every boot file's log line before stopping the server."""
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            done = transfers(tb.read_log("server.log"))
            clients = {t[0] for t in done}
            if len(clients) >= self.vms and all(
                    {t[1] for t in done if t[0] == c} >= set(self.files) for c in clients):
                return
            time.sleep(0.2)

    def check_transfers(self, log):
        """Every VM read every boot file to the end. complete-unconfirmed counts: the final ACK
        was lost (RFC 1350 section 6), which a loss rule does to some transfers, while the
        client, as its marker shows, had every block."""
        self.assertIn("notice stopped:", log, f"the server did not drain and stop:\n{log}")
        done = transfers(log)
        delivered = ("complete", "complete-unconfirmed")
        bad = [t for t in done if t[2] not in delivered and t[1] in self.files]
        self.assertFalse(bad, f"boot file transfers that did not complete: {bad}\n{log}")
        clients = {t[0] for t in done}
        self.assertEqual(len(clients), self.vms, f"clients seen by the server:\n{log}")
        for client in clients:
            got = {t[1] for t in done if t[0] == client and t[2] in delivered}
            for name in self.files:
                self.assertIn(name, got, f"{client} never completed {name}:\n{log}")

    def check_loss(self, tb, log):
        to_vms, to_server = tb.loss_counters()
        print(f"  dropped on the bridge: {to_vms} to the VMs, {to_server} to the server",
              file=sys.stderr)
        self.assertGreater(to_vms, 0, "the loss rule dropped nothing towards the VMs")
        self.assertGreater(to_server, 0, "the loss rule dropped nothing towards the server")
        retransmits = sum(t[3] for t in transfers(log))
        self.assertGreater(retransmits, 0, f"loss but no retransmission logged:\n{log}")


    def check_refused(self, tb, log):
        refused = tb.refused_count()
        print(f"  sends refused in the server's namespace: {refused}", file=sys.stderr)
        self.assertGreater(refused, 0, "the output rule refused no send")
        retransmits = sum(t[3] for t in transfers(log))
        self.assertGreater(retransmits, 0, f"sends refused but no retransmission logged:\n{log}")


class IpxeOne(Boot):
    pass


class LossyTwo(Boot):
    vms = 2
    loss_per_mille = LOSS_PER_MILLE
    deadline_s = 240


class PxelinuxOne(Boot):
    boot_file = "pxelinux.0"
    files = ("pxelinux.0", "ldlinux.c32", "pxelinux.cfg/default", "vmlinuz", "initrd.gz")


class IpxeFour(Boot):
    vms = 4
    deadline_s = 300


class RefusedTwo(Boot):
    vms = 2
    refuse_per_mille = LOSS_PER_MILLE
    deadline_s = 240


FAST = ["IpxeOne", "LossyTwo"]
SLOW = ["PxelinuxOne", "IpxeFour", "RefusedTwo"]


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    global ARGS
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--stampede", required=True)
    parser.add_argument("--firmware-dir",
                        default=os.environ.get("STAMPEDE_FIRMWARE_DIR",
                                               os.path.join(here, "..", "..", "build", "firmware")))
    parser.add_argument("--slow", action="store_true")
    ARGS, rest = parser.parse_known_args()
    ARGS.firmware_dir = os.path.abspath(ARGS.firmware_dir)
    if not [a for a in rest if not a.startswith("-")]:
        rest += SLOW if ARGS.slow else FAST
    # SIGTERM (ctest, a CI runner) unwinds like Ctrl-C, through every teardown.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    started = time.monotonic()
    try:
        unittest.main(module=sys.modules[__name__], argv=[sys.argv[0]] + rest, verbosity=2)
    finally:
        print(f"firmware tests: {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
