#!/usr/bin/env python3
"""Amplification and under-attack figures for docs/security.md (the full-size runs; the automated
test tests/hardening/test_abuse.py runs smaller ones with the same code).

  1. From a victim address that never answers: 10,000 option-less RRQs, then 10,000 RRQs with
     options (blksize, tsize); bytes delivered to the victim / request bytes.
  2. 20,000 never-acknowledged RRQs from 200 sources plus 1,000 strays/s into live transfer ports,
     while a legitimate client downloads a 1 MiB file (windowsize 16) in a loop; failures and times against its
     unloaded median.

Runs in two network namespaces it creates (tests/hardening/abuse_lab.py); needs root, ip, nft, ss.
Bounded: about 90 s in all. Writes the figures between the bench/abuse markers of
docs/security.md (--no-write: print only).

Usage: bench/abuse/run.py [--stampede build/release/src/cli/stampede] [--no-write]
"""

import argparse
import datetime
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "hardening"))
import test_abuse  # noqa: E402
from abuse_lab import Lab  # noqa: E402

BEGIN, END = "<!-- bench/abuse:begin -->", "<!-- bench/abuse:end -->"


def table(plain, options, attack, load):
    def amp_row(label, f, bound):
        return (f"| {label} | {f['requests']:,} | {f['request_size']} | {f['seconds']} | "
                f"{f['accepted']} (bucket bound {f['bucket_bound']:.0f}) | "
                f"{f['packets_to_victim']} | {f['payload_bytes_to_victim']:,} | "
                f"{f['factor']:.3f} | {f['factor_per_accepted']:.1f} (bound {bound:.1f}) |")
    lim = attack["limits"]
    lines = [
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC with "
        f"`bench/abuse/run.py` (release build, default limits; load average {load} on a "
        "2-core machine shared with other builds).",
        "",
        "| requests from one victim | count | request bytes | sent over s | sessions started "
        "| packets to victim | payload bytes to victim | factor (all requests) "
        "| factor per started session |",
        "|---|---|---|---|---|---|---|---|---|",
        amp_row("option-less RRQ", plain, plain["bound_per_accepted"]),
        amp_row("RRQ blksize+tsize", options, 3.0),
        "",
        f"Under attack: {attack['rrqs']:,} never-acknowledged RRQs from {attack['sources']} "
        f"sources over {attack['attack_seconds']} s plus {attack['strays']:,} strays into live "
        f"transfer ports; a legitimate client fetched a 1 MiB file (windowsize 16) in a loop.",
        "",
        "| | downloads | failures | median s | max s |",
        "|---|---|---|---|---|",
        f"| unloaded | {attack['unloaded_runs']} | 0 | {attack['unloaded_median_s']:.3f} | |",
        f"| under attack | {attack['loaded_runs']} | {attack['failures']} | "
        f"{attack['loaded_median_s']:.3f} | {attack['loaded_max_s']:.3f} |",
        "",
        "Server counters during the attack: " + ", ".join(
            f"{k} {v:,}" for k, v in lim.items()) + ".",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stampede", default=os.path.join(REPO, "build/release/src/cli/stampede"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    lab = Lab(args.stampede, "bench")
    try:
        test_abuse.make_files(lab)
        plain = test_abuse.amplification(lab, 10_000, 2_000, with_options=False)
        options = test_abuse.amplification(lab, 10_000, 2_000, with_options=True)
        attack = test_abuse.under_attack(lab, rrqs=20_000, rate=2_000, strays_per_s=1_000,
                                         baseline_runs=10)
    finally:
        lab.close()
    load = f"{load:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    text = table(plain, options, attack, load)
    print(json.dumps({"plain": plain, "options": options, "attack": attack}, indent=1))
    print(text)
    if not args.no_write:
        path = os.path.join(REPO, "docs", "security.md")
        doc = open(path).read()
        doc = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), BEGIN + "\n" + text + "\n" + END,
                     doc, flags=re.S)
        open(path, "w").write(doc)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
