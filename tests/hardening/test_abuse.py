#!/usr/bin/env python3
"""The abuse limits of the running server over a real network (docs/security.md), in two network
namespaces the test makes (abuse_lab.py):

- G62: a request sent to the subnet broadcast (x.x.x.255, SO_BROADCAST), to 255.255.255.255 and to
  the all-hosts multicast group is dropped, while a unicast request is answered; with
  --answer-broadcast the same broadcast request is answered, which proves it reached the server.
- Amplification (PROTOCOL §2): 1,000 option-less and 1,000 option RRQs from a victim that never
  answers; the bytes delivered to it, per request byte, stay within the documented bounds
  (bench/abuse/run.py does 10,000 of each and writes the figures into docs/security.md).
- Under attack: never-acknowledged RRQs from 200 sources plus strays into live transfer ports,
  while a legitimate client downloads a 256 KiB file in a loop: zero failures, median at most twice
  the unloaded median.

Needs root, ip, nft and ss: without them the test FAILS with the reason.
Usage: test_abuse.py --stampede PATH [unittest args]
"""

import argparse
import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import abuse_lab  # noqa: E402
from abuse_lab import Lab, PORT, median, rrq  # noqa: E402

STAMPEDE = ""
RETRIES_UNVERIFIED = 3  # the default of [retransmit] retries_unverified_max
DATA_BYTES = 516        # a full DATA packet at the default 512-byte block
BUCKET_BURST, BUCKET_RATE = 50, 20  # the default per-source bucket
UNVERIFIED_PER_SOURCE = 8


def amplification(lab, count, rate, with_options):
    """Floods `count` RRQs from the victim; returns the figures (dict)."""
    before = lab.counters()["victim"]
    lab.start_server()
    tool = lab.tool("flood", lab.server_addr, lab.victim, str(count), str(rate), "file",
                    "options" if with_options else "plain")
    out, err = tool.communicate(timeout=count / rate + 60)
    if tool.returncode != 0:
        raise AssertionError(f"flood failed: {err.decode()}")
    sent = json.loads(out)
    # Unverified sessions give up after 1 + R sends with backoff (0.2+0.4+0.8+1.6 s at defaults).
    time.sleep(4.5)
    limits = lab.stop_server()
    after = lab.counters()["victim"]
    packets, ip_bytes = after[0] - before[0], after[1] - before[1]
    payload = ip_bytes - abuse_lab.IP_UDP_HEADER_BYTES * packets
    accepted = limits.get("started", 0)
    return {
        "requests": sent["requests"], "request_size": sent["request_size"],
        "request_bytes": sent["request_bytes"], "seconds": round(sent["seconds"], 2),
        "accepted": accepted, "packets_to_victim": packets, "payload_bytes_to_victim": payload,
        "factor": payload / sent["request_bytes"],
        "factor_per_accepted": (payload / accepted / sent["request_size"]) if accepted else 0.0,
        "bound_per_accepted": (1 + RETRIES_UNVERIFIED) * DATA_BYTES / sent["request_size"],
        "bucket_bound": BUCKET_BURST + BUCKET_RATE * sent["seconds"],
        "limits": limits,
    }


def under_attack(lab, rrqs, rate, strays_per_s, baseline_runs, name="big"):
    """Unloaded downloads, then the same while attacked; returns the figures (dict)."""
    lab.start_server()
    unloaded = []
    for _ in range(baseline_runs):
        ok, seconds, err = lab.get(name)
        if not ok:
            raise AssertionError(f"unloaded download failed: {err}")
        unloaded.append(seconds)
    attack_seconds = rrqs / rate
    flood = lab.tool("flood", lab.server_addr, ",".join(lab.attackers), str(rrqs), str(rate),
                     name, "plain")
    strays = lab.tool("strays", lab.server_addr, ",".join(lab.attackers), str(strays_per_s),
                      str(attack_seconds), lab.ns_s)
    loaded, failures, errors = [], 0, []
    start = time.monotonic()
    while time.monotonic() - start < attack_seconds:
        ok, seconds, err = lab.get(name)
        if ok:
            loaded.append(seconds)
        else:
            failures += 1
            errors.append(err)
    flood_out, flood_err = flood.communicate(timeout=attack_seconds + 60)
    strays_out, strays_err = strays.communicate(timeout=attack_seconds + 60)
    if flood.returncode != 0 or strays.returncode != 0:
        raise AssertionError(f"attack tools failed: {flood_err.decode()} {strays_err.decode()}")
    time.sleep(4.5)
    limits = lab.stop_server()
    return {
        "rrqs": json.loads(flood_out)["requests"], "sources": len(lab.attackers),
        "attack_seconds": round(attack_seconds, 1), "strays": json.loads(strays_out)["strays"],
        "unloaded_median_s": median(unloaded), "unloaded_runs": len(unloaded),
        "loaded_median_s": median(loaded), "loaded_max_s": max(loaded) if loaded else None,
        "loaded_runs": len(loaded), "failures": failures, "errors": errors[:3],
        "limits": limits,
    }


def make_files(lab):
    with open(os.path.join(lab.root, "file"), "wb") as f:
        f.write(os.urandom(64 << 10))
    with open(os.path.join(lab.root, "big"), "wb") as f:
        f.write(os.urandom(1 << 20))
    with open(os.path.join(lab.root, "mid"), "wb") as f:
        f.write(os.urandom(256 << 10))


class Broadcast(unittest.TestCase):
    """G62 against the running server: needs a real broadcast, hence the namespaces."""

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(STAMPEDE, "g62")
        make_files(cls.lab)

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def ask(self, destination, bind_device=False, multicast=False):
        """Sends an RRQ from the legitimate client to `destination`; True if anything came back."""
        script = (
            "import socket,sys\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_BROADCAST,1)\n"
            f"s.bind(('{self.lab.legit_addr}',0))\n"
            + (f"s.setsockopt(socket.SOL_SOCKET,socket.SO_BINDTODEVICE,b'{self.lab.veth_c}')\n"
               if bind_device else "")
            + (f"s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,"
               f"socket.inet_aton('{self.lab.legit_addr}'))\n" if multicast else "")
            + "s.settimeout(1.0)\n"
            f"s.sendto({rrq('file')!r},('{destination}',{PORT}))\n"
            "try:\n s.recvfrom(2000); print('answered')\n"
            "except socket.timeout:\n print('silent')\n")
        r = abuse_lab._run(self.lab.exec_c([sys.executable, "-c", script]), timeout=30)
        return r.stdout.decode().strip() == "answered"

    def test_g62_broadcast_and_multicast_requests_are_ignored(self):
        self.lab.start_server()
        self.assertFalse(self.ask(self.lab.broadcast), "subnet broadcast answered")
        self.assertFalse(self.ask("255.255.255.255", bind_device=True),
                         "limited broadcast answered")
        self.assertFalse(self.ask("224.0.0.1", multicast=True), "multicast answered")
        self.assertTrue(self.ask(self.lab.server_addr), "unicast not answered")
        limits = self.lab.stop_server()
        self.assertGreaterEqual(limits["dropped_broadcast"], 2, limits)
        # Control: with --answer-broadcast the same datagram is answered, so it did arrive.
        self.lab.start_server(["--answer-broadcast"])
        self.assertTrue(self.ask(self.lab.broadcast), "broadcast did not reach the server")
        self.lab.stop_server()


class Amplification(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(STAMPEDE, "amp")
        make_files(cls.lab)

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def check(self, figures, with_options):
        print(json.dumps(figures), file=sys.stderr)
        self.assertGreater(figures["packets_to_victim"], 0, "nothing reached the victim at all")
        self.assertLessEqual(figures["accepted"], figures["bucket_bound"], figures)
        self.assertLessEqual(figures["factor_per_accepted"], figures["bound_per_accepted"],
                             figures)
        if with_options:
            self.assertLessEqual(figures["factor"], 3.0, figures)
            # Only OACKs went out: no packet as large as a DATA block.
            self.assertLess(figures["payload_bytes_to_victim"] / figures["packets_to_victim"],
                            100, figures)
        else:
            self.assertLessEqual(figures["factor"], figures["bound_per_accepted"], figures)

    def test_plain_rrqs(self):
        self.check(amplification(self.lab, 1000, 500, with_options=False), False)

    def test_option_rrqs(self):
        self.check(amplification(self.lab, 1000, 500, with_options=True), True)


class UnderAttack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(STAMPEDE, "atk")
        make_files(cls.lab)

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def test_legitimate_client_is_served(self):
        figures = under_attack(self.lab, rrqs=4000, rate=500, strays_per_s=1000, baseline_runs=5,
                               name="mid")
        print(json.dumps(figures), file=sys.stderr)
        self.assertGreater(figures["loaded_runs"], 0, figures)
        self.assertEqual(figures["failures"], 0, figures)
        self.assertLessEqual(figures["loaded_median_s"], 2 * figures["unloaded_median_s"], figures)
        limits = figures["limits"]
        self.assertGreater(limits["started"], figures["rrqs"] // 4, limits)  # the attack arrived
        self.assertGreater(limits["strays"], 0, limits)


def main():
    global STAMPEDE
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--stampede", default=os.environ.get("STAMPEDE_BIN", ""))
    args, rest = parser.parse_known_args()
    STAMPEDE = args.stampede
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
