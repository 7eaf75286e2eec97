"""Uploads land atomically (PROTOCOL F55-F58): whatever goes wrong, the old target stays
byte-identical and no upload temporary remains. Cases, each against the running server:
  - a client killed (SIGKILL) mid-upload;
  - a client whose packets all stop after block 100 (it vanished, or the path dropped them);
  - the size cap exceeded mid-transfer (no tsize) and up front (tsize);
  - the disk full mid-transfer: the root is a 1 MiB tmpfs mounted in the server's own mount
    namespace (unshare -m), so only the server sees it;
  - two concurrent uploads to one name: the target is the old file or one whole upload;
  - the server itself killed (SIGKILL) mid-upload, then restarted: the target is intact and the
    start-up sweep removes the temporary it left.
"""

import os
import unittest
import zlib

from robust_common import (TIMEOUT, TempRoot, describe, free_udp_port, in_mount_namespace,
                           kill_and_reap, main, make_file, peer, popen, run, sha256,
                           stampede_server, temporaries, wait_for, RawUpload)

# The server gives up on a silent client after its retry budget and at least
# RetransmitPolicy::receiver_idle_min (8 s); allow for a loaded machine.
GIVE_UP_S = 40


def put(port, local, remote, *extra):
    return run([peer("stampede"), "put", "-q", local, f"tftp://127.0.0.1:{port}/{remote}", *extra])


class UploadFailures(unittest.TestCase):
    def setUp(self):
        self.root = TempRoot()
        self.work = TempRoot()
        self.port = free_udp_port()
        self.log = os.path.join(self.work.path, "server.log")

    def tearDown(self):
        self.root.cleanup()
        self.work.cleanup()

    def old_target(self, name, size=100_000):
        return self.root.file(name, size, seed=zlib.crc32(name.encode()))

    def local(self, name, size, seed):
        path = os.path.join(self.work.path, name)
        return path, make_file(path, size, seed=seed)

    def assert_no_temporaries(self, root=None):
        root = root or self.root.path
        left = wait_for(lambda: not temporaries(root), GIVE_UP_S)
        self.assertTrue(left, f"temporaries remain: {temporaries(root)}")

    def test_client_killed_and_client_vanished_after_block_100(self):
        killed_old = self.old_target("killed.bin")
        vanished_old = self.old_target("vanished.bin")
        big, _ = self.local("big.bin", 30_000_000, seed=1)
        with stampede_server(self.root.path, self.port, log=self.log):
            # Vanished: DATA 1..100 acknowledged, then silence.
            upload = RawUpload("127.0.0.1", self.port, "vanished.bin")
            upload.send_blocks(os.urandom(512 * 200), 1, 100)
            upload.close()
            # Killed: SIGKILL once the temporary holds data.
            client = popen([peer("stampede"), "put", "-q", big,
                            f"tftp://127.0.0.1:{self.port}/killed.bin"])
            started = wait_for(lambda: any(os.path.getsize(t) > 0 for t in temporaries(
                self.root.path) if "killed" in t), 20, step=0.01)
            kill_and_reap(client)
            self.assertTrue(started, "the upload never started")
            self.assertEqual(sha256(self.root.join("killed.bin")), killed_old)
            self.assert_no_temporaries()
        self.assertEqual(sha256(self.root.join("killed.bin")), killed_old)
        self.assertEqual(sha256(self.root.join("vanished.bin")), vanished_old)

    def test_size_cap_exceeded(self):
        old = self.old_target("capped.bin")
        with stampede_server(self.root.path, self.port, log=self.log,
                             extra=["--max-upload-size", "256KiB"]):
            # Without tsize the cap is hit mid-transfer, at block 513.
            upload = RawUpload("127.0.0.1", self.port, "capped.bin")
            with self.assertRaisesRegex(AssertionError, "ERROR 0003"):
                upload.send_blocks(os.urandom(512 * 600), 1, 600)
            upload.close()
            # With tsize it is refused before anything is acknowledged.
            big, _ = self.local("big.bin", 400_000, seed=2)
            r = put(self.port, big, "capped.bin")
            self.assertNotEqual(r.returncode, 0, describe(r))
            self.assertIn("Disk full", r.stderr.decode(errors="replace"))
            self.assert_no_temporaries()
        self.assertEqual(sha256(self.root.join("capped.bin")), old)

    def test_disk_full(self):
        mount_point = os.path.join(self.work.path, "tmpfs-root")
        os.mkdir(mount_point)
        old_path, old = self.local("old.bin", 100_000, seed=3)
        setup = (f"mount -t tmpfs -o size=1m,mode=0777 stampede-test {mount_point}\n"
                 f"cp {old_path} {mount_point}/full.bin\n")
        server = stampede_server(mount_point, self.port, log=self.log,
                                 prefix=in_mount_namespace(setup))
        with server:
            # The server's view of its root, through its own mount namespace.
            seen = f"/proc/{server.proc.pid}/root{mount_point}"
            self.assertEqual(sha256(os.path.join(seen, "full.bin")), old)
            upload = RawUpload("127.0.0.1", self.port, "full.bin")
            with self.assertRaisesRegex(AssertionError, "ERROR 0003"):
                upload.send_blocks(os.urandom(512 * 4000), 1, 4000)
            upload.close()
            big, _ = self.local("big.bin", 3_000_000, seed=4)
            r = put(self.port, big, "full.bin")  # tsize beyond the free space
            self.assertNotEqual(r.returncode, 0, describe(r))
            self.assertEqual(sha256(os.path.join(seen, "full.bin")), old)
            self.assert_no_temporaries(seen)
            # The space is free again: a small upload still works.
            small, small_digest = self.local("small.bin", 50_000, seed=5)
            r = put(self.port, small, "full.bin")
            self.assertEqual(r.returncode, 0, describe(r))
            self.assertEqual(sha256(os.path.join(seen, "full.bin")), small_digest)
        self.assertEqual(os.listdir(mount_point), [], "the tmpfs leaked out of the namespace")

    def test_two_concurrent_uploads_to_one_name(self):
        old = self.old_target("shared.bin")
        a, digest_a = self.local("a.bin", 3_000_000, seed=6)
        b, digest_b = self.local("b.bin", 3_000_000, seed=7)
        with stampede_server(self.root.path, self.port, log=self.log):
            url = f"tftp://127.0.0.1:{self.port}/shared.bin"
            clients = [popen([peer("stampede"), "put", "-q", path, url]) for path in (a, b)]
            codes = [c.wait(timeout=TIMEOUT) for c in clients]
            self.assertIn(0, codes, "neither upload succeeded")
            self.assert_no_temporaries()
        final = sha256(self.root.join("shared.bin"))
        winners = {digest_a: 0, digest_b: 1}
        self.assertIn(final, winners, "the target is neither upload whole")
        self.assertEqual(codes[winners[final]], 0, "the file on disk is from a failed upload")
        self.assertNotEqual(final, old)

    def test_server_killed_mid_upload_then_restarted(self):
        old = self.old_target("crash.bin")
        big, _ = self.local("big.bin", 30_000_000, seed=8)
        server = stampede_server(self.root.path, self.port, log=self.log)
        with server:
            client = popen([peer("stampede"), "put", "-q", big,
                            f"tftp://127.0.0.1:{self.port}/crash.bin", "--retries", "1"])
            started = wait_for(lambda: any(os.path.getsize(t) > 0
                                           for t in temporaries(self.root.path)), 20, step=0.01)
            kill_and_reap(server.proc)
            self.assertTrue(started, "the upload never started")
            client.wait(timeout=TIMEOUT)
        self.assertEqual(sha256(self.root.join("crash.bin")), old)
        self.assertTrue(temporaries(self.root.path), "SIGKILL left no temporary: nothing tested")
        with stampede_server(self.root.path, self.port, log=self.log):
            self.assertEqual(temporaries(self.root.path), [], "start-up sweep missed it")
            out = os.path.join(self.work.path, "back")
            r = run([peer("stampede"), "get", "-q", f"tftp://127.0.0.1:{self.port}/crash.bin",
                     "-o", out])
            self.assertEqual(r.returncode, 0, describe(r))
            self.assertEqual(sha256(out), old)


if __name__ == "__main__":
    main()
