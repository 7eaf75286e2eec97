#!/usr/bin/env python3
"""The tail of one loss-sweep cell: the same upload repeated in the sweep's namespaces.

usage (root): python3 bench/loss/put_tail.py STAMPEDE [RUNS] [TRACE_DIR]
  RUNS (default 30, at most 100) puts of a 256 KiB file, 10 % loss each way (nftables random loss
  in both namespaces, tests/robust/robust_common.py), --blksize 1428 --windowsize 16, against
  `stampede serve --windowsize-max 64`. Each put is bounded by `timeout 150`. Prints the seconds of
  every run, then the median, the slowest and the failures. With TRACE_DIR each run's client
  packet trace (`put -v`, stderr, one timestamp per line) is kept there as run-N.trace, and the
  server's log as server.log.
Set STAMPEDE_TAIL_LOSS (per mille, default 100), STAMPEDE_TAIL_WINDOW (default 16) to vary the cell.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/robust"))
from robust_common import Namespaces, TempRoot, make_file, sha256  # noqa: E402

PUT_TIMEOUT_S = 150
SIZE = 256 << 10


def main():
    binary = os.path.abspath(sys.argv[1])
    runs = min(int(sys.argv[2]) if len(sys.argv) > 2 else 30, 100)
    trace_dir = sys.argv[3] if len(sys.argv) > 3 else None
    loss = int(os.environ.get("STAMPEDE_TAIL_LOSS", "100"))
    window = os.environ.get("STAMPEDE_TAIL_WINDOW", "16")
    if trace_dir:
        os.makedirs(trace_dir, exist_ok=True)
    net = Namespaces(7, kind="tail")
    root, work = TempRoot(), TempRoot()
    upload = os.path.join(work.path, "upload")
    want = make_file(upload, SIZE, seed=99)
    port = 6969
    log = open(os.path.join(work.path, "server.log"), "wb")
    srv = subprocess.Popen(
        ["ip", "netns", "exec", net.ns_s, binary, "serve", "--listen", f"{net.addr_s}:{port}",
         "--root", root.path, "--create", "--windowsize-max", "64"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    times, failures = [], []
    try:
        time.sleep(0.5)
        net.set_faults(loss)
        for i in range(1, runs + 1):
            name = f"put-{i}"
            cmd = ["ip", "netns", "exec", net.ns_c, "timeout", str(PUT_TIMEOUT_S), binary, "put",
                   "-q", upload, f"tftp://{net.addr_s}:{port}/{name}", "--blksize", "1428",
                   "--windowsize", window, "-v"]
            trace = open(os.path.join(trace_dir, f"run-{i}.trace"), "w") if trace_dir else None
            start = time.monotonic()
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, start_new_session=True)
            last = ""
            for raw in proc.stderr:
                line = raw.decode(errors="replace").rstrip("\n")
                if trace:
                    trace.write(f"{time.monotonic() - start:.6f} {line}\n")
                if not line.startswith(("->", "<-")):
                    last = line
            rc = proc.wait()
            seconds = time.monotonic() - start
            if trace:
                trace.close()
            ok = rc == 0 and sha256(root.join(name)) == want
            times.append(seconds)
            if not ok:
                failures.append((i, rc, last))
            outcome = "ok" if ok else f"FAILED exit {rc}: {last}"
            print(f"run {i:3d}: {seconds:7.2f} s {outcome}", flush=True)
    finally:
        if srv.poll() is None:
            srv.terminate()
            try:
                srv.wait(timeout=10)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait(timeout=5)
        log.close()
        if trace_dir:
            shutil.copy(os.path.join(work.path, "server.log"),
                        os.path.join(trace_dir, "server.log"))
        net.delete()
        root.cleanup()
        work.cleanup()
    if times:
        print(f"runs {len(times)}: median {statistics.median(times):.2f} s, slowest "
              f"{max(times):.2f} s, failures {len(failures)}")


if __name__ == "__main__":
    main()
