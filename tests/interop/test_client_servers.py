#!/usr/bin/env python3
"""Our client against real servers: tftpd-hpa, atftpd, dnsmasq (and busybox tftpd, see below).

The client is INTEROP_CLIENT (default stampede). dnsmasq 2.90 has no TFTP port option and always
listens on UDP 69, so with --dnsmasq this module re-runs itself in a network namespace of its own
(`unshare -n`, loopback only) where port 69 is free, and runs only the dnsmasq classes; the
namespace disappears with the process. Without --dnsmasq it runs the other servers in the host's
namespace (tftpd-hpa cannot start in a loopback-only namespace: its getaddrinfo(AI_ADDRCONFIG) of
"127.0.0.1:PORT" finds no configured address there and it exits 66).

Exceptions, where a peer truly cannot do a thing (these cases are not asked):
- tftpd-hpa 5.2 and dnsmasq 2.90 do not know windowsize (RFC 7440): they leave it out of the OACK,
  so windowsize 4/16 is asked of them only to check that the client falls back to lock-step.
- dnsmasq is read-only: a put must be refused.
- atftpd has no switch to refuse uploads: only the accepted put is tested.
- busybox tftpd: Debian's busybox (and busybox-static) is built without the tftpd and udpsvd
  applets. test_busybox_tftpd checks that this is still so and fails once they appear.
"""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import describe, sha256  # noqa: E402

HOST = "127.0.0.1"
CLIENT = common.CLIENT_UNDER_TEST
CAN = common.CLIENT_FEATURES[CLIENT]
SIZES = [("empty", 0), ("one", 1), ("b511", 511), ("b512", 512), ("b513", 513),
         ("mib", 1 << 20), ("b1468x4", 1468 * 4), ("b8192x3", 8192 * 3), ("b65464x2", 65464 * 2)]


def in_own_netns():
    return os.environ.get("INTEROP_NETNS") == "1"


class ClientCase(unittest.TestCase):
    server = None  # tftpd-hpa | atftpd | dnsmasq
    upload = False
    extra = ()
    port = None  # None: a free port; dnsmasq: 69

    @classmethod
    def setUpClass(cls):
        cls.root = common.TempRoot()
        cls.sums = {name: cls.root.file(name, size) for name, size in SIZES}
        cls.root.write("text.txt", common.NETASCII_TEXT)
        cls.out = common.TempRoot()
        cls.srv = common.start_server(cls.server, cls.root.path, HOST, port=cls.port,
                                      upload=cls.upload, extra=cls.extra,
                                      log=os.path.join(cls.out.path, "server.log"))
        cls.srv.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.root.cleanup()
        cls.out.cleanup()

    def get_ok(self, name, **kw):
        local = os.path.join(self.out.path, f"{name}-{kw.get('blksize')}-{kw.get('windowsize')}")
        if os.path.exists(local):
            os.unlink(local)
        r = common.client_get(CLIENT, HOST, self.srv.port, name, local, **kw)
        self.assertEqual(r.returncode, 0, f"{CLIENT} get {name} {kw} from {self.server}: "
                         f"{describe(r)}")
        self.assertEqual(sha256(local), self.sums[name], f"get {name} {kw}: wrong bytes")


class Downloads:
    """Mixed into one class per server."""

    def test_sizes_default(self):
        for name, _ in SIZES:
            if CLIENT == "curl" and name == "empty":
                continue  # curl refuses an OACK with tsize 0 (see test_server_clients)
            with self.subTest(file=name):
                self.get_ok(name)

    def test_blksizes(self):
        # Each get costs our client's 0.5 s end-of-transfer dally: one exact multiple per size.
        for blk, name in [(512, "b512"), (512, "b513"), (1468, "b1468x4"), (8192, "b8192x3"),
                          (65464, "b65464x2"), (65464, "one")]:
            with self.subTest(blksize=blk, file=name):
                self.get_ok(name, blksize=blk)
        for blk in [512, 1468, 8192, 65464]:
            with self.subTest(blksize=blk, file="mib"):
                self.get_ok("mib", blksize=blk)

    def test_windowsizes(self):
        if not CAN["windowsize"]:
            self.skipTest(f"{CLIENT} has no windowsize option")
        for ws in [1, 4, 16]:
            for blk, name in [(512, "empty"), (1468, "b1468x4"), (8192, "b8192x3"), (1468, "mib"),
                              (8192, "mib")]:
                with self.subTest(windowsize=ws, blksize=blk, file=name):
                    self.get_ok(name, blksize=blk, windowsize=ws)

    def test_busy_poll(self):
        """`get --busy-poll` (docs/io.md, "Busy polling"): the spin finds the server's datagrams
        and hands them on as a sleep would, lock-step and windowed."""
        if CLIENT != "stampede":
            self.skipTest(f"{CLIENT} has no busy polling")
        for ws in [None, 16]:
            with self.subTest(windowsize=ws):
                self.get_ok("mib", blksize=1468, windowsize=ws, extra=("--busy-poll", "200us"))

    def test_no_options(self):
        if CLIENT == "atftp":
            self.skipTest("atftp sends no options unless asked: test_sizes_default covers it")
        for name in ["empty", "b512", "mib"]:
            with self.subTest(file=name):
                self.get_ok(name, options=False)

    def test_netascii(self):
        if not CAN["netascii"]:
            self.skipTest(f"{CLIENT} does not decode netascii")
        local = os.path.join(self.out.path, "text-got")
        r = common.client_get(CLIENT, HOST, self.srv.port, "text.txt", local, mode="netascii")
        self.assertEqual(r.returncode, 0, describe(r))
        with open(local, "rb") as f:
            self.assertEqual(f.read(), common.NETASCII_TEXT)

    def test_missing_file(self):
        local = os.path.join(self.out.path, "missing")
        r = common.client_get(CLIENT, HOST, self.srv.port, "no-such-file", local)
        self.assertNotEqual(r.returncode, 0, describe(r))
        self.assertFalse(os.path.exists(local) and os.path.getsize(local), describe(r))
        if CLIENT == "stampede":
            self.assertRegex(r.stderr.decode(errors="replace"),
                             r"(?i)not found|no such file", describe(r))


class PutRefused:
    def test_put_refused(self):
        src = os.path.join(self.out.path, "put-src")
        common.make_file(src, 5000)
        r = common.client_put(CLIENT, HOST, self.srv.port, src, "new-upload")
        self.assertNotEqual(r.returncode, 0, describe(r))
        self.assertFalse(os.path.exists(self.root.join("new-upload")))
        if CLIENT == "stampede":
            self.assertRegex(r.stderr.decode(errors="replace"),
                             r"(?i)access|violation|denied|not found|no such|refused|illegal",
                             describe(r))


class PutAccepted:
    def test_put_accepted(self):
        for size, kw in [(0, {}), (1, {}), (512, {}), (513, {}), (1 << 20, {}),
                         (1 << 20, {"blksize": 1468}), (1 << 20, {"blksize": 65464})] + (
                [(1 << 20, {"blksize": 1468, "windowsize": 16})] if CAN["windowsize"] else []):
            with self.subTest(size=size, **kw):
                src = os.path.join(self.out.path, f"put-{size}")
                want = common.make_file(src, size, seed=size + 7)
                remote = f"up-{size}-{kw.get('blksize')}-{kw.get('windowsize')}"
                r = common.client_put(CLIENT, HOST, self.srv.port, src, remote, **kw)
                self.assertEqual(r.returncode, 0, describe(r))
                got = sha256(self.root.join(remote))
                if got != want and self.server == "atftpd":
                    # atftpd sends the final ACK before its writer thread has flushed and closed
                    # the file: give it up to 5 s (an atftpd quirk, docs/interop.md).
                    end = time.monotonic() + 5
                    while got != want and time.monotonic() < end:
                        time.sleep(0.1)
                        got = sha256(self.root.join(remote))
                self.assertEqual(got, want)


class Wrap:
    """40 MiB at 512-byte blocks: 81920 blocks, past the 65535-block wrap."""

    def test_40mib_blksize_512(self):
        self.root.file("big40", 40 << 20)
        self.sums["big40"] = common.sha256(self.root.join("big40"))
        self.get_ok("big40", blksize=512, timeout=common.SLOW_TIMEOUT)
        if self.server == "atftpd" and CAN["windowsize"]:
            self.get_ok("big40", blksize=512, windowsize=16, timeout=common.SLOW_TIMEOUT)


# ----------------------------------------------------------------------------------------- tftpd-hpa


class TftpdHpa(ClientCase, Downloads, PutRefused):
    server = "tftpd-hpa"


class TftpdHpaUpload(ClientCase, PutAccepted):
    server = "tftpd-hpa"
    upload = True


class TftpdHpaWrap(ClientCase, Wrap):
    server = "tftpd-hpa"


# -------------------------------------------------------------------------------------------- atftpd


class Atftpd(ClientCase, Downloads, PutAccepted):
    server = "atftpd"


class AtftpdWrap(ClientCase, Wrap):
    server = "atftpd"


# ------------------------------------------------------------------------------------------- dnsmasq
# Only in the module's own network namespace (port 69); see main below.


class Dnsmasq(ClientCase, Downloads, PutRefused):
    server = "dnsmasq"
    port = 69


class DnsmasqSinglePort(ClientCase, Downloads):
    server = "dnsmasq"
    port = 69
    extra = ("--tftp-single-port",)


class DnsmasqWrap(ClientCase, Wrap):
    server = "dnsmasq"
    port = 69


# ------------------------------------------------------------------------------------------- busybox


class Busybox(unittest.TestCase):
    def test_busybox_tftpd(self):
        """Debian's busybox has no tftpd/udpsvd: there is no busybox server to test against."""
        missing = [a for a in ("tftpd", "udpsvd") if not common.busybox_has(a)]
        self.assertEqual(missing, ["tftpd", "udpsvd"],
                         "busybox now has tftpd/udpsvd: write the busybox server tests")


SLOW = ["TftpdHpaWrap", "AtftpdWrap", "DnsmasqWrap"]
DNSMASQ = ["Dnsmasq", "DnsmasqSinglePort", "DnsmasqWrap"]

if __name__ == "__main__":
    if "--dnsmasq" not in sys.argv:
        common.main(slow=SLOW, skip=DNSMASQ)
    elif not in_own_netns():
        # Re-run in a fresh network namespace (root needed): dnsmasq must have port 69.
        env = dict(os.environ, INTEROP_NETNS="1")
        try:
            r = subprocess.run(["unshare", "--net", "--", sys.executable] + sys.argv, env=env,
                               timeout=900)
        except FileNotFoundError:
            sys.exit("unshare (util-linux) is missing: cannot make a network namespace")
        sys.exit(r.returncode)
    else:
        sys.argv.remove("--dnsmasq")
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
        common.main(slow=SLOW, only=DNSMASQ)
