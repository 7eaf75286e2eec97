#!/usr/bin/env python3
"""Black-box test of `stampede put -` and `stampede get -o -` against a running `stampede serve`.

Starts the server on 127.0.0.1 with a free port, a temporary root and uploads enabled, then:
uploads 300 KB from a pipe with `put - URL` and `put - HOST PATH` and checks the stored bytes;
uploads an empty stdin (a 0-byte file); checks that `put -` without a remote name and with an
unusable $TMPDIR fail with exit 2 and 5; downloads the upload back through `get -o -` and compares;
and checks that no spool file is left in $TMPDIR. Every process has a timeout; the server is
stopped by its PID.

Usage: client_stdio_test.py STAMPEDE_BINARY
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 30


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(exe, args, stdin=b"", env=None):
    return subprocess.run([exe, *args], input=stdin, capture_output=True, timeout=TIMEOUT_S,
                          env=env)


def check(condition, message):
    if not condition:
        print("FAIL: " + message, file=sys.stderr)
        sys.exit(1)


def wait_for_file(path, size):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path) == size:
            return True
        time.sleep(0.02)
    return False


def main():
    exe = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="stampede-stdio-")
    root = os.path.join(work, "root")
    spool = os.path.join(work, "spool")
    os.mkdir(root)
    os.mkdir(spool)
    port = free_udp_port()
    server = subprocess.Popen([exe, "serve", "--listen", f"127.0.0.1:{port}", "--root", root,
                               "--create"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(0.3)
        check(server.poll() is None, "the server did not start")
        env = dict(os.environ, TMPDIR=spool)
        payload = os.urandom(300_000)

        p = run(exe, ["put", "-", f"tftp://127.0.0.1:{port}/piped.bin"], payload, env)
        check(p.returncode == 0, f"put - URL: exit {p.returncode}: {p.stderr!r}")
        check(wait_for_file(os.path.join(root, "piped.bin"), len(payload)), "piped.bin missing")
        check(open(os.path.join(root, "piped.bin"), "rb").read() == payload, "piped.bin differs")

        p = run(exe, ["put", "--blksize", "512", "-", f"127.0.0.1:{port}", "hpa.bin"], payload, env)
        check(p.returncode == 0, f"put - HOST PATH: exit {p.returncode}: {p.stderr!r}")
        check(wait_for_file(os.path.join(root, "hpa.bin"), len(payload)), "hpa.bin missing")
        check(open(os.path.join(root, "hpa.bin"), "rb").read() == payload, "hpa.bin differs")

        p = run(exe, ["put", "-", f"tftp://127.0.0.1:{port}/empty.bin"], b"", env)
        check(p.returncode == 0, f"put - of empty stdin: exit {p.returncode}: {p.stderr!r}")
        check(wait_for_file(os.path.join(root, "empty.bin"), 0), "empty.bin missing")

        for args in (["put", "-", f"tftp://127.0.0.1:{port}/"], ["put", "-", f"127.0.0.1:{port}"]):
            p = run(exe, args, b"x", env)
            check(p.returncode == 2, f"{args}: exit {p.returncode}, want 2")
            check(b"standard input has no name" in p.stderr, f"{args}: {p.stderr!r}")

        bad_env = dict(os.environ, TMPDIR=os.path.join(work, "no-such-dir"))
        p = run(exe, ["put", "-", f"tftp://127.0.0.1:{port}/never.bin"], b"x", bad_env)
        check(p.returncode == 5, f"put - with a missing TMPDIR: exit {p.returncode}, want 5")
        check(not os.path.exists(os.path.join(root, "never.bin")), "never.bin was created")

        p = run(exe, ["get", "-q", "-o", "-", f"tftp://127.0.0.1:{port}/piped.bin"])
        check(p.returncode == 0, f"get -o -: exit {p.returncode}: {p.stderr!r}")
        check(p.stdout == payload, f"get -o - gave {len(p.stdout)} bytes, not the upload")

        check(os.listdir(spool) == [], f"spool files left behind: {os.listdir(spool)}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
