"""The server confined (docs/sandbox.md): started as root with --user nobody and --seccomp, it
serves downloads in both modes, accepts uploads (and refuses one over the size cap), reloads on
SIGHUP and stops cleanly on SIGTERM, all under the system-call allow-list; /proc shows the
filter, no capability, NO_NEW_PRIVS and the unprivileged user while it runs. Runs in the release
and the sanitizer builds (docs/sandbox.md says which extra calls the sanitizers need).
"""

import os
import pwd
import signal
import subprocess
import unittest

from robust_common import (TIMEOUT, TempRoot, describe, free_udp_port, main, make_file, peer,
                           proc_status, run, sha256, stampede_server, temporaries)


def get(port, remote, local, *extra):
    return run([peer("stampede"), "get", "-q", f"tftp://127.0.0.1:{port}/{remote}", "-o", local,
                *extra])


def put(port, local, remote, *extra):
    return run([peer("stampede"), "put", "-q", local, f"tftp://127.0.0.1:{port}/{remote}", *extra])


class ConfinedServer(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.fail("this test starts the server as root to see it drop to 'nobody'")
        self.root = TempRoot()
        self.work = TempRoot()
        self.port = free_udp_port()
        self.log = os.path.join(self.work.path, "server.log")

    def tearDown(self):
        self.root.cleanup()
        self.work.cleanup()

    def server_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def test_serves_and_accepts_uploads_under_seccomp(self):
        digest = self.root.file("boot/vmlinuz", 700_000)
        self.root.write("text.cfg", b"line one\nline two\r\n")
        os.chmod(os.path.join(self.root.path, "boot"), 0o777)
        upload = os.path.join(self.work.path, "upload.bin")
        upload_digest = make_file(upload, 300_000, seed=7)
        too_big = os.path.join(self.work.path, "too-big.bin")
        make_file(too_big, 2_000_000, seed=8)

        server = stampede_server(self.root.path, self.port, log=self.log,
                                 extra=["--user", "nobody", "--seccomp",
                                        "--max-upload-size", "1MiB"])
        with server:
            pid = server.proc.pid
            status = proc_status(pid)
            self.assertEqual(status["Seccomp"], "2", "filter mode")
            self.assertEqual(status["NoNewPrivs"], "1")
            for field in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
                self.assertEqual(int(status[field], 16), 0, field)
            nobody = pwd.getpwnam("nobody").pw_uid
            self.assertEqual([int(u) for u in status["Uid"].split()], [nobody] * 4)

            out = os.path.join(self.work.path, "got")
            r = get(self.port, "boot/vmlinuz", out, "--blksize", "1428", "--windowsize", "16")
            self.assertEqual(r.returncode, 0, describe(r))
            self.assertEqual(sha256(out), digest)
            r = get(self.port, "text.cfg", out, "--mode", "netascii")
            self.assertEqual(r.returncode, 0, describe(r))
            r = get(self.port, "missing", out)
            self.assertNotEqual(r.returncode, 0)

            r = put(self.port, upload, "boot/new.bin", "--windowsize", "8")
            self.assertEqual(r.returncode, 0, describe(r))
            self.assertEqual(sha256(self.root.join("boot/new.bin")), upload_digest)
            r = put(self.port, too_big, "boot/big.bin")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("Disk full", r.stderr.decode(errors="replace"))
            self.assertFalse(os.path.exists(self.root.join("boot/big.bin")))

            os.kill(pid, signal.SIGHUP)
            r = get(self.port, "boot/vmlinuz", out)  # served after the reload
            self.assertEqual(r.returncode, 0, describe(r))
            self.assertEqual(sha256(out), digest)
            self.assertIsNone(server.proc.poll(), "server died:\n" + self.server_log())

            os.kill(pid, signal.SIGTERM)
            try:
                code = server.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.fail("server did not stop on SIGTERM")
        self.assertEqual(code, 0, "exit status (-31 is SIGSYS)\n" + self.server_log())
        self.assertIn("configuration reloaded", self.server_log())
        self.assertEqual(temporaries(self.root.path), [])

    def test_unknown_seccomp_value_in_config_is_an_error(self):
        config = os.path.join(self.work.path, "bad.toml")
        with open(config, "w") as f:
            f.write('seccomp = "yes"\n')
        r = run([peer("stampede"), "serve", "--config", config, "--check-config",
                 "--root", self.root.path])
        self.assertEqual(r.returncode, 1, describe(r))
        self.assertIn("seccomp", r.stderr.decode(errors="replace"))


if __name__ == "__main__":
    main()
