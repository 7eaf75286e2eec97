"""Helpers of the robustness tests (tests/robust): the interop helpers (files, servers, clients,
bounded subprocesses) plus what these tests add: a lock-step raw upload client that can stop or
vanish at a chosen block, a look for upload temporaries, a server started inside a private mount
namespace, /proc readings of a running server, and the loss sweep's pair of network namespaces.

Every test module is run as `python3 MODULE --stampede PATH --peers DIR`, like tests/interop.
"""

import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))

from common import (TIMEOUT, TempRoot, Server, describe, free_udp_port, main, make_file,  # noqa: E402,F401
                    peer, run, sha256, tftp_probe)
from netns import NamespacePair  # noqa: E402

TEMP_MARKER = ".stampede-upload."  # src/server/upload_file.h kTemporaryUploadMarker


def temporaries(root):
    """Upload temporaries anywhere beneath root."""
    found = []
    for parent, _, files in os.walk(root):
        found += [os.path.join(parent, f) for f in files if TEMP_MARKER in f]
    return found


def wait_for(predicate, deadline, step=0.1):
    """Polls predicate until it is true or `deadline` seconds passed; returns its last value."""
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value or time.monotonic() >= end:
            return value
        time.sleep(step)


def stampede_server(root, port, extra=(), host="127.0.0.1", log=None, prefix=()):
    """Our server on host:port with uploads that may create files; `prefix` wraps the command."""
    cmd = list(prefix) + [peer("stampede"), "serve", "--listen", f"{host}:{port}", "--root", root,
                          "--create", *extra]
    return Server("stampede", cmd, host, port, log)


def proc_status(pid):
    """/proc/PID/status as a dict of field -> value text."""
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    return int(proc_status(pid)["VmRSS"].split()[0])


class RawUpload:
    """A lock-step WRQ client in Python (blksize 512, no options), so a test can stop sending
    after any block, as a client that vanished or whose packets are all dropped."""

    def __init__(self, host, port, name, timeout=3.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.server = (host, port)
        self.sock.sendto(b"\x00\x02" + name.encode() + b"\x00octet\x00", self.server)
        data, self.peer = self._receive()
        self._expect_ack(data, 0)

    def _receive(self):
        data, addr = self.sock.recvfrom(70000)
        return data, addr

    @staticmethod
    def _expect_ack(data, block):
        op = struct.unpack("!H", data[:2])[0]
        if op == 5:
            raise AssertionError(f"server answered ERROR {data[2:4].hex()} {data[4:-1]!r}")
        got = struct.unpack("!H", data[2:4])[0]
        if op != 4 or got != block:
            raise AssertionError(f"expected ACK {block}, got {data[:8].hex()}")

    def send_blocks(self, payload, first, last):
        """Sends DATA first..last (512-byte slices of payload), each acknowledged in turn."""
        for block in range(first, last + 1):
            chunk = payload[(block - 1) * 512:block * 512]
            packet = struct.pack("!HH", 3, block & 0xFFFF) + chunk
            if not self._send_until_acked(packet, block & 0xFFFF):
                raise AssertionError(f"no ACK for DATA {block}")

    def _send_until_acked(self, packet, block):
        for _attempt in range(5):
            self.sock.sendto(packet, self.peer)
            try:
                while True:
                    data, _ = self._receive()
                    # A late re-ACK of the previous block: wait on, never resend for it (E37).
                    if data[:2] == b"\x00\x04" and data[2:4] == struct.pack("!H", (block - 1) & 0xFFFF):
                        continue
                    self._expect_ack(data, block)
                    return True
            except socket.timeout:
                continue
        return False

    def close(self):
        self.sock.close()


def in_mount_namespace(setup):
    """A command prefix running the rest of the command in a new mount namespace after the shell
    commands `setup` (e.g. mounting a small tmpfs), with mounts kept private to it."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-ec", setup + '\nexec "$@"', "sh"]


def stop_gracefully(proc, timeout=15):
    """SIGTERM (a server then logs its counters and cleans up), SIGKILL if it outlasts `timeout`."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def kill_and_reap(proc):
    """SIGKILL, as a crash or the OOM killer would; waits for the process to be gone."""
    proc.kill()
    proc.wait(timeout=10)


def popen(cmd, log=None):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                            start_new_session=True)


class Namespaces(NamespacePair):
    """The loss sweep's server and client namespaces (netns.NamespacePair, in tests/interop):
    stampede-KIND-PID-TAG-s and -c, 10.204.N.1 and .2, with `set_faults` for loss and
    duplication."""

    def __init__(self, tag, kind="sweep"):
        pid = os.getpid()
        super().__init__(f"stampede-{kind}-{pid}-{tag}", f"10.204.{(pid + tag) % 250 + 1}",
                         (f"sws{pid % 10000}{tag}", f"swc{pid % 10000}{tag}"))
