#!/usr/bin/env python3
"""Black-box test of a running `stampede serve` on loopback.

Starts the server on 127.0.0.1 with a free port and a temporary root, waits for READY=1 on a test
NOTIFY_SOCKET, fetches files with a raw TFTP client (plain RFC 1350 and with blksize/tsize) and
checks their bytes, sends SIGHUP with a good and a bad config file (RELOADING=1 then READY=1; the
bad one is logged and the old configuration kept), then SIGTERM (STOPPING=1, exit 0). When run as
root, a second run with --user nobody checks that the uid and gid changed (/proc/PID/status).

Usage: serve_run_test.py STAMPEDE_BINARY
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

OP_RRQ, OP_DATA, OP_ACK, OP_ERROR, OP_OACK = 1, 3, 4, 5, 6
TIMEOUT_S = 10.0


def fail(message, log_path=None):
    print("FAIL: " + message, file=sys.stderr)
    if log_path and os.path.exists(log_path):
        print("--- server log ---\n" + open(log_path, errors="replace").read(), file=sys.stderr)
    sys.exit(1)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, name, options=None):
    """Downloads `name` from 127.0.0.1:port; returns the bytes or raises RuntimeError."""
    request = struct.pack("!H", OP_RRQ) + name.encode() + b"\0octet\0"
    for key, value in (options or {}).items():
        request += key.encode() + b"\0" + str(value).encode() + b"\0"
    blksize = 512
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2.0)
        s.bind(("127.0.0.1", 0))
        s.sendto(request, ("127.0.0.1", port))
        data, expected, peer = b"", 1, None
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            packet, source = s.recvfrom(70000)
            if source[0] != "127.0.0.1":
                continue
            if peer is None:
                peer = source
            elif source != peer:
                continue  # another TID: not ours (RFC 1350 §4 answers ERROR 5; not needed here)
            opcode = struct.unpack("!H", packet[:2])[0]
            if opcode == OP_ERROR:
                code = struct.unpack("!H", packet[2:4])[0]
                raise RuntimeError("ERROR %d %r" % (code, packet[4:-1]))
            if opcode == OP_OACK:
                fields = packet[2:].split(b"\0")[:-1]
                agreed = dict(zip(fields[0::2], fields[1::2]))
                blksize = int(agreed.get(b"blksize", 512))
                s.sendto(struct.pack("!HH", OP_ACK, 0), peer)
                continue
            if opcode != OP_DATA:
                raise RuntimeError("unexpected opcode %d" % opcode)
            block = struct.unpack("!H", packet[2:4])[0]
            if block == expected % 65536:
                data += packet[4:]
                expected += 1
            s.sendto(struct.pack("!HH", OP_ACK, block), peer)
            if block == (expected - 1) % 65536 and len(packet) - 4 < blksize:
                return data
        raise RuntimeError("transfer did not finish")


class Notifications:
    """A NOTIFY_SOCKET for the server: collects sd_notify datagrams."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)  # like /run/systemd/notify: writable after --user
        self.seen = []

    def wait_for(self, line, log_path):
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                message = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.seen.append(message)
            if line in message.split("\n"):
                return
        fail("no %s from the server (saw %r)" % (line, self.seen), log_path)


def wait_for_log(log_path, text):
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if text in open(log_path, errors="replace").read():
            return
        time.sleep(0.05)
    fail("log line %r never appeared" % text, log_path)


def start(binary, directory, args, notify, journal=False):
    log_path = os.path.join(directory, "server-%d.log" % len(os.listdir(directory)))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    env.pop("JOURNAL_STREAM", None)
    with open(log_path, "wb") as log:
        if journal:  # stderr is "the journal": JOURNAL_STREAM names its device and inode
            status = os.fstat(log.fileno())
            env["JOURNAL_STREAM"] = "%d:%d" % (status.st_dev, status.st_ino)
        process = subprocess.Popen([binary, "serve"] + args, stdout=log, stderr=log, env=env)
    return process, log_path


def stop(process, notify, log_path):
    process.send_signal(signal.SIGTERM)
    notify.wait_for("STOPPING=1", log_path)
    try:
        status = process.wait(TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        fail("did not exit after SIGTERM", log_path)
    if status != 0:
        fail("exit status %d after SIGTERM" % status, log_path)


def make_root(directory):
    root = os.path.join(directory, "root")
    os.makedirs(os.path.join(root, "pxelinux.cfg"))
    payload = os.urandom(200_000)
    files = {"hello.txt": b"Hello from Stampede.\n", "image.bin": payload,
             "pxelinux.cfg/default": b"DEFAULT local\n", "exact512.bin": payload[:1024]}
    for name, content in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(content)
        os.chmod(os.path.join(root, name), 0o644)
    for path in (directory, root, os.path.join(root, "pxelinux.cfg")):
        os.chmod(path, 0o755)
    return root, files


def check_fetches(port, files, log_path):
    for name, content in files.items():
        for options in (None, {"blksize": 1024, "tsize": 0}):
            try:
                got = fetch(port, name, options)
            except (RuntimeError, socket.timeout) as error:
                fail("fetching %s with %r: %s" % (name, options, error), log_path)
            if got != content:
                fail("%s with %r: %d bytes differ from the %d expected" %
                     (name, options, len(got), len(content)), log_path)


def check_socket_activation(activate, binary, directory, root, files, notify):
    """systemd-socket-activate binds the port and passes it (LISTEN_FDS); the configured listen
    address must not be bound. It execs the server on the first datagram, which must be served."""
    port = free_udp_port()
    log_path = os.path.join(directory, "activated.log")
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    env.pop("JOURNAL_STREAM", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [activate, "--datagram", "--listen=127.0.0.1:%d" % port, "-E", "NOTIFY_SOCKET",
             binary, "serve",
             "--listen", "127.0.0.1:1", root], stdout=log, stderr=log, env=env)
    deadline = time.monotonic() + TIMEOUT_S
    while "Listening on" not in open(log_path, errors="replace").read():
        if time.monotonic() > deadline:
            fail("systemd-socket-activate did not start", log_path)
        time.sleep(0.05)
    check_fetches(port, {"hello.txt": files["hello.txt"]}, log_path)
    notify.wait_for("READY=1", log_path)
    wait_for_log(log_path, "adopting 1 socket")
    stop(process, notify, log_path)


def main():
    binary = os.path.abspath(sys.argv[1])
    directory = tempfile.mkdtemp(prefix="stampede-serve-test.")
    try:
        root, files = make_root(directory)
        config = os.path.join(directory, "stampede.toml")
        with open(config, "w") as f:
            f.write('[options]\nblksize_max = 1428\n')
        port = free_udp_port()
        notify = Notifications(directory)
        process, log_path = start(binary, directory, [
            "--config", config, "--listen", "127.0.0.1:%d" % port, root], notify)
        notify.wait_for("READY=1", log_path)
        wait_for_log(log_path, "127.0.0.1:%d" % port)
        check_fetches(port, files, log_path)

        process.send_signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1", log_path)
        notify.wait_for("READY=1", log_path)
        wait_for_log(log_path, "reloaded")

        with open(config, "w") as f:
            f.write('[options]\nblksize_mx = 1428\n')
        process.send_signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1", log_path)
        notify.wait_for("READY=1", log_path)
        wait_for_log(log_path, "unknown key 'options.blksize_mx'")
        check_fetches(port, {"hello.txt": files["hello.txt"]}, log_path)
        stop(process, notify, log_path)
        log = open(log_path, errors="replace").read()
        if "\x1b[" in log:
            fail("colour codes in a non-tty log", log_path)

        port = free_udp_port()
        process, log_path = start(binary, directory, [
            "--listen", "127.0.0.1:%d" % port, root], notify, journal=True)
        notify.wait_for("READY=1", log_path)
        wait_for_log(log_path, "<5>listening on 127.0.0.1:%d" % port)
        stop(process, notify, log_path)
        for line in open(log_path, errors="replace").read().splitlines():
            if not (line.startswith("<") and line[1] in "34567" and line[2] == ">"):
                fail("journal line without a priority prefix: %r" % line, log_path)

        # scripts/deps installs systemd, which ships systemd-socket-activate: a missing tool is a
        # broken setup, not a reason to skip the socket-activation check.
        activate = shutil.which("systemd-socket-activate")
        if not activate:
            fail("systemd-socket-activate missing: install the systemd package", log_path)
        check_socket_activation(activate, binary, directory, root, files, notify)

        if os.geteuid() == 0:
            port = free_udp_port()
            process, log_path = start(binary, directory, [
                "--user", "nobody", "--listen", "127.0.0.1:%d" % port, root], notify)
            notify.wait_for("READY=1", log_path)
            status = open("/proc/%d/status" % process.pid).read()
            uid_line = [l for l in status.splitlines() if l.startswith("Uid:")][0]
            gid_line = [l for l in status.splitlines() if l.startswith("Gid:")][0]
            nobody = subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True)
            uid = nobody.stdout.strip()
            if uid_line.split()[1:] != [uid] * 4:
                fail("uids after --user nobody: %s" % uid_line, log_path)
            if "0" in gid_line.split()[1:]:
                fail("gids after --user nobody: %s" % gid_line, log_path)
            check_fetches(port, {"hello.txt": files["hello.txt"]}, log_path)
            stop(process, notify, log_path)
        else:
            print("not root: --user drop not tested")
        print("ok")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
