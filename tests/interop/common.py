"""Shared helpers of the interoperability tests: peers, servers, clients, files, checksums.

Every test module is run as `python3 MODULE --stampede PATH --peers DIR` (tests/interop/CMakeLists.txt).
The environment variables STAMPEDE_BIN and STAMPEDE_PEERS_DIR do the same. Two more switch the side
under test so the harness itself can be proven on peer-to-peer pairs:
  INTEROP_SERVER=tftpd-hpa|atftpd  the server the real clients talk to (default: stampede)
  INTEROP_CLIENT=curl|atftp        the client the real servers are asked by (default: stampede)

Rules: a peer program that is missing makes its test FAIL (no silent skip); every file is compared by
SHA-256; every server runs in the foreground and is killed by PID; every subprocess has a timeout.
"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

STAMPEDE = os.environ.get("STAMPEDE_BIN", "")
PEERS = os.environ.get("STAMPEDE_PEERS_DIR", "")
SERVER_UNDER_TEST = os.environ.get("INTEROP_SERVER", "stampede")
CLIENT_UNDER_TEST = os.environ.get("INTEROP_CLIENT", "stampede")

TIMEOUT = 60  # seconds, any single transfer of the normal cases
SLOW_TIMEOUT = 240  # the 40 MiB transfers


def main(slow=(), skip=(), only=None):
    """Parses --stampede/--peers/--slow, then runs unittest with the remaining arguments.

    `slow` names the test classes of the module that run only with --slow (and only those then);
    `skip` names classes this run leaves to another run (`only`: the classes this run is for)."""
    global STAMPEDE, PEERS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--stampede", default=STAMPEDE)
    parser.add_argument("--peers", default=PEERS)
    parser.add_argument("--slow", action="store_true")
    args, rest = parser.parse_known_args()
    STAMPEDE, PEERS = args.stampede, args.peers
    os.environ["STAMPEDE_BIN"], os.environ["STAMPEDE_PEERS_DIR"] = STAMPEDE, PEERS
    module = sys.modules["__main__"]
    if not [a for a in rest if not a.startswith("-")]:
        names = [n for n, v in vars(module).items()
                 if isinstance(v, type) and issubclass(v, unittest.TestCase)
                 and unittest.defaultTestLoader.getTestCaseNames(v)]
        rest += [n for n in names if (n in slow) == args.slow and n not in skip
                 and (only is None or n in only)]
    unittest.main(module=module, argv=[sys.argv[0]] + rest, verbosity=2)


# ---------------------------------------------------------------------------------------------- peers


def peer(name):
    """Absolute path of a peer program; fails the test loudly when it is missing."""
    candidates = {
        "stampede": [STAMPEDE],
        "in.tftpd": [os.path.join(PEERS, "in.tftpd")],
        "atftpd": [os.path.join(PEERS, "atftpd-bin")],
    }.get(name, [shutil.which(name) or "", os.path.join("/usr/sbin", name)])
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise AssertionError(
        f"peer program '{name}' is missing (looked at {candidates}); run scripts/peers as root")


def busybox_has(applet):
    out = run([peer("busybox"), "--list"], timeout=10).stdout
    return applet in out.decode().split()


# ---------------------------------------------------------------------------------------------- files


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def make_file(path, size, seed=None):
    """A file of `size` pseudo-random bytes (deterministic per size and seed); returns its SHA-256."""
    rng = random.Random(size if seed is None else seed)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            chunk = rng.randbytes(n)
            f.write(chunk)
            h.update(chunk)
            left -= n
    os.chmod(path, 0o644)
    return h.hexdigest()


# Text with bare CR, bare LF, CRLF, NUL and a CR at the very end: every netascii case.
NETASCII_TEXT = b"first line\nbare\rCR\r\nCRLF line\n\x00NUL\n\n\rlast\r"


def netascii_encode(data):
    """RFC 1350 / NVT: LF -> CR LF, CR -> CR NUL (applied to a Unix file)."""
    out = bytearray()
    for b in data:
        if b == 0x0A:
            out += b"\r\n"
        elif b == 0x0D:
            out += b"\r\x00"
        else:
            out.append(b)
    return bytes(out)


class TempRoot:
    """A temporary TFTP root (mode 0755, so servers that drop privileges can read it)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="stampede-interop-")
        os.chmod(self.path, 0o777)

    def file(self, name, size, seed=None):
        p = os.path.join(self.path, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return make_file(p, size, seed)

    def write(self, name, data):
        p = os.path.join(self.path, name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o644)
        return hashlib.sha256(data).hexdigest()

    def join(self, name):
        return os.path.join(self.path, name)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------------------------------- processes


def run(cmd, timeout=TIMEOUT, check=False, **kw):
    """Runs a command with a bounded time; a hang is a failure, not a stuck test."""
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"timed out after {timeout}s: {' '.join(map(str, cmd))}\n"
                             f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}") from None
    if check and r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {' '.join(map(str, cmd))}\n"
                             f"stdout: {r.stdout.decode(errors='replace')}\n"
                             f"stderr: {r.stderr.decode(errors='replace')}")
    return r


def free_udp_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def tftp_probe(host, port, deadline=10.0):
    """Waits until something answers an RRQ on host:port (an ERROR for a missing file will do)."""
    rrq = b"\x00\x01" + b"stampede-interop-probe-missing\x00octet\x00"
    end = time.monotonic() + deadline
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < end:
            s.sendto(rrq, (host, port))
            try:
                data, _ = s.recvfrom(70000)
                if len(data) >= 4:
                    return
            except (socket.timeout, ConnectionRefusedError):
                pass
    raise AssertionError(f"no TFTP server answered on {host}:{port} within {deadline}s")


class Server:
    """A server in the foreground, killed by PID on exit. `cmd` is the full command line."""

    def __init__(self, name, cmd, host, port, log_path=None):
        self.name, self.cmd, self.host, self.port = name, cmd, host, port
        self.log = open(log_path or os.devnull, "wb")
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            tftp_probe(self.host, self.port)
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # The server's own process group: forked children (tftpd-hpa forks per transfer) too.
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log.close()

    def __exit__(self, *exc):
        self.stop()


# -------------------------------------------------------------------------------------------- servers
# Each returns the command line of a server on host:port serving root; `upload` allows new files.

CLIENT_FEATURES = {
    "stampede": {"windowsize": True, "netascii": True, "put": True},
    "curl": {"windowsize": False, "netascii": False, "put": True},
    "atftp": {"windowsize": True, "netascii": True, "put": True},
}

SERVER_FEATURES = {
    # windowsize: RFC 7440; deny_upload: can be told to refuse a WRQ for a new file.
    "stampede": {"windowsize": True, "deny_upload": True, "max_blksize": 65464},
    "tftpd-hpa": {"windowsize": False, "deny_upload": True, "max_blksize": 65464},
    "atftpd": {"windowsize": True, "deny_upload": False, "max_blksize": 65464},
    "dnsmasq": {"windowsize": False, "deny_upload": True, "max_blksize": 65464},
}


def server_cmd(name, root, host, port, upload=False, extra=()):
    if name == "stampede":
        cmd = [peer("stampede"), "serve", "--listen", f"{host}:{port}", "--root", root,
               "--blksize-max", "65464", "--windowsize-max", "64"]
        if upload:
            cmd += ["--create"]
        return cmd + list(extra)
    if name == "tftpd-hpa":
        # -L foreground, -s chroot to root, -u root keeps file access simple in a temp dir,
        # -c allows creating files (uploads of new files).
        cmd = [peer("in.tftpd"), "-L", "-u", "root", "-s", root, "-a", f"{host}:{port}"]
        if upload:
            cmd += ["-c"]
        return cmd + list(extra)
    if name == "atftpd":
        # atftpd has no switch to refuse uploads: a WRQ is accepted whenever the directory is
        # writable by its user.
        return [peer("atftpd"), "--daemon", "--no-fork", "--port", str(port), "--bind-address",
                host, "--user", "root", "--group", "root", "--logfile", "/dev/stderr",
                *extra, root]
    if name == "dnsmasq":
        # TFTP only (--port=0 disables DNS). dnsmasq 2.90 has no TFTP port option: it always
        # listens on 69, so the dnsmasq tests run in a network namespace of their own.
        return [peer("dnsmasq"), "--no-daemon", "--port=0", "--enable-tftp",
                f"--tftp-root={root}", "--user=root", "--group=root", "--pid-file=",
                "--conf-file=/dev/null", "--log-facility=-", *extra]
    raise ValueError(name)


def start_server(name, root, host="127.0.0.1", port=None, upload=False, extra=(), log=None):
    port = port or free_udp_port(host)
    return Server(name, server_cmd(name, root, host, port, upload, extra), host, port, log)


# -------------------------------------------------------------------------------------------- clients


def client_get(client, host, port, remote, local, blksize=None, windowsize=None, mode="octet",
               options=True, timeout=TIMEOUT, tsize=False, extra=()):
    """Downloads remote to local with the named client; returns the CompletedProcess."""
    url = f"tftp://{host}:{port}/{remote}"
    if client == "stampede":
        cmd = [peer("stampede"), "get", "-q", url, "-o", local]
        if blksize:
            cmd += ["--blksize", str(blksize)]
        if windowsize:
            cmd += ["--windowsize", str(windowsize)]
        if mode != "octet":
            cmd += ["--mode", mode]
        if not options:
            cmd += ["--no-options"]
    elif client == "curl":
        cmd = [peer("curl"), "-sS", "--max-time", str(timeout), "-o", local]
        if blksize:
            cmd += ["--tftp-blksize", str(blksize)]
        if not options:
            cmd += ["--tftp-no-options"]
        cmd += [url + (f";mode={mode}" if mode != "octet" else "")]
    elif client == "tftp-hpa":
        cmd = [peer("tftp"), "-m", mode, host, str(port), "-c", "get", remote, local]
    elif client == "atftp":
        cmd = [peer("atftp")]
        if blksize:
            cmd += ["--option", f"blksize {blksize}"]
        if windowsize:
            cmd += ["--option", f"windowsize {windowsize}"]
        if tsize:
            cmd += ["--option", "tsize 0"]
        if mode != "octet":
            cmd += ["--option", f"mode {mode}"]
        cmd += ["-g", "-r", remote, "-l", local, host, str(port)]
    elif client == "busybox":
        cmd = [peer("busybox"), "tftp", "-g", "-r", remote, "-l", local]
        if blksize:
            cmd += ["-b", str(blksize)]
        cmd += [host, str(port)]
    else:
        raise ValueError(client)
    return run(cmd + list(extra), timeout=timeout)


def client_put(client, host, port, local, remote, blksize=None, windowsize=None, mode="octet",
               timeout=TIMEOUT, extra=()):
    url = f"tftp://{host}:{port}/{remote}"
    if client == "stampede":
        cmd = [peer("stampede"), "put", "-q", local, url]
        if blksize:
            cmd += ["--blksize", str(blksize)]
        if windowsize:
            cmd += ["--windowsize", str(windowsize)]
        if mode != "octet":
            cmd += ["--mode", mode]
    elif client == "curl":
        cmd = [peer("curl"), "-sS", "--max-time", str(timeout), "-T", local]
        if blksize:
            cmd += ["--tftp-blksize", str(blksize)]
        cmd += [url]
    elif client == "tftp-hpa":
        cmd = [peer("tftp"), "-m", mode, host, str(port), "-c", "put", local, remote]
    elif client == "atftp":
        cmd = [peer("atftp")]
        if blksize:
            cmd += ["--option", f"blksize {blksize}"]
        if windowsize:
            cmd += ["--option", f"windowsize {windowsize}"]
        if mode != "octet":
            cmd += ["--option", f"mode {mode}"]
        cmd += ["-p", "-r", remote, "-l", local, host, str(port)]
    elif client == "busybox":
        cmd = [peer("busybox"), "tftp", "-p", "-r", remote, "-l", local]
        if blksize:
            cmd += ["-b", str(blksize)]
        cmd += [host, str(port)]
    else:
        raise ValueError(client)
    return run(cmd + list(extra), timeout=timeout)


def describe(r):
    return (f"exit {r.returncode}\nstdout: {r.stdout.decode(errors='replace')[-2000:]}\n"
            f"stderr: {r.stderr.decode(errors='replace')[-2000:]}")


# ------------------------------------------------------------------------------------- raw TFTP client


def raw_rrq(host, port, name, mode="octet", options=None, timeout=5.0):
    """A minimal lock-step RRQ in Python: returns ('data', bytes, oack) or ('error', code, msg).

    Used to see the bytes on the wire (netascii) and the exact ERROR a server answers."""
    req = b"\x00\x01" + name.encode() + b"\x00" + mode.encode() + b"\x00"
    for k, v in (options or {}).items():
        req += k.encode() + b"\x00" + str(v).encode() + b"\x00"
    blksize = int((options or {}).get("blksize", 512))
    out = bytearray()
    oack = None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(req, (host, port))
        expect = 1
        peer_addr = None
        while True:
            data, addr = s.recvfrom(70000)
            if peer_addr is None:
                peer_addr = addr
            op = struct.unpack("!H", data[:2])[0]
            if op == 5:
                code = struct.unpack("!H", data[2:4])[0]
                return ("error", code, data[4:].split(b"\x00")[0].decode(errors="replace"))
            if op == 6:
                fields = data[2:].split(b"\x00")[:-1]
                oack = {fields[i].decode().lower(): fields[i + 1].decode()
                        for i in range(0, len(fields) - 1, 2)}
                blksize = int(oack.get("blksize", 512))
                s.sendto(b"\x00\x04\x00\x00", peer_addr)
                continue
            if op == 3:
                block = struct.unpack("!H", data[2:4])[0]
                if block == expect & 0xFFFF:
                    out += data[4:]
                    expect += 1
                s.sendto(b"\x00\x04" + data[2:4], peer_addr)
                if block == (expect - 1) & 0xFFFF and len(data) - 4 < blksize:
                    return ("data", bytes(out), oack)
