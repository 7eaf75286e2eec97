#!/usr/bin/env python3
"""Sorts the samples of a `perf record -g` profile of one server by what each call chain was
doing: the tbf shaper, the receive path of the packet in the other namespace (run in softirq
inside the sender's system call), send and receive system calls, poll/epoll, user space, the
rest of the kernel. The table in docs/io.md ("Where the server's CPU goes in the storm network")
comes from `bench/storm/run --profile-server SECONDS`, which calls this on each server.

Usage: bench/storm/perf_classes.py perf.data   (prints the shares, largest first)
"""

import collections
import subprocess
import sys

# First match wins, in this order: a chain through the receive path inside a send is receive path.
CLASSES = [
    ("receive path of the packet (peer's stack, softirq)",
     ("process_backlog", "__netif_receive_skb", "net_rx_action")),
    ("tbf shaper (dequeue, watchdog timer)", ("tbf_dequeue", "qdisc_watchdog", "hrtimer")),
    ("send system calls (UDP, IP, veth)", ("sendmmsg", "sendmsg", "sendto")),
    ("receive system calls", ("recvmmsg", "recvmsg", "recvfrom")),
    ("poll / epoll", ("poll", "epoll")),
]
USER = "user space (server + libc)"
OTHER = "other kernel"


def classify(perf_data):
    """{class: share in percent} and the number of samples."""
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "ip,sym,dso"],
                         capture_output=True, text=True, timeout=600).stdout
    counts = collections.Counter()
    total = 0
    for block in out.split("\n\n"):
        frames = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if not frames:
            continue
        total += 1
        if "[kernel" not in frames[0]:
            counts[USER] += 1
            continue
        chain = " ".join(frames)
        counts[next((name for name, marks in CLASSES if any(m in chain for m in marks)), OTHER)] += 1
    shares = {name: round(100.0 * n / total, 1) for name, n in counts.most_common()} if total else {}
    return shares, total


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    shares, total = classify(sys.argv[1])
    for name, share in shares.items():
        print(f"{share:5.1f} %  {name}")
    print(f"{total} samples")


if __name__ == "__main__":
    main()
