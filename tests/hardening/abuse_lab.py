"""A two-namespace network for the abuse tests and bench/abuse: a server namespace and a client
namespace joined by a veth pair on a /24 that exists only inside them.

  server namespace   SERVER (x.x.x.1/24) runs `stampede serve` on PORT
  client namespace   LEGIT  (x.x.x.2/24)   a client that answers
                     ATTACKERS (x.x.x.10 .. x.x.x.209)  and VICTIM (x.x.x.250): addresses that
                     exist (they answer ARP) but whose incoming packets nftables counts and drops,
                     so they never answer, as a spoofed victim would not.

Bytes delivered to the victims are read from nft counters (whole IP packets; the UDP payload is
bytes - 28 x packets). Every process is started by the lab and stopped by its PID; the namespaces
are deleted on close and, at start, any leftover of the same name. Requires root, ip and nft.
Standard library only.
"""

import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

IP_UDP_HEADER_BYTES = 28
PORT = 6969
ATTACKER_COUNT = 200


def _run(cmd, timeout=30, check=True, input_bytes=None):
    r = subprocess.run(cmd, input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.decode().strip()}")
    return r


def rrq(name, options=None, mode="octet"):
    out = b"\0\1" + name.encode() + b"\0" + mode.encode() + b"\0"
    for k, v in (options or {}).items():
        out += k.encode() + b"\0" + str(v).encode() + b"\0"
    return out


class Lab:
    def __init__(self, stampede, tag="abuse"):
        if os.geteuid() != 0:
            raise RuntimeError("the abuse lab needs root (ip netns, nft); CI runs as root")
        for tool in ("ip", "nft", "ss"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} not found")
        if not os.access(stampede, os.X_OK):
            raise RuntimeError(f"stampede binary not executable: {stampede}")
        self.stampede = stampede
        pid = os.getpid()
        n = pid % 200 + 20
        self.prefix = f"10.{n}.{(pid // 200) % 250}"
        self.ns_s, self.ns_c = f"stampede-{tag}-{pid}-s", f"stampede-{tag}-{pid}-c"
        self.veth_s, self.veth_c = f"sta{pid % 100000}s", f"sta{pid % 100000}c"
        self.server_addr = f"{self.prefix}.1"
        self.legit_addr = f"{self.prefix}.2"
        self.attackers = [f"{self.prefix}.{10 + i}" for i in range(ATTACKER_COUNT)]
        self.victim = f"{self.prefix}.250"
        self.broadcast = f"{self.prefix}.255"
        self.tmp = tempfile.mkdtemp(prefix=f"stampede-{tag}-")
        self.root = os.path.join(self.tmp, "root")
        os.mkdir(self.root)
        self.server = None
        self.server_log_path = None
        self._delete_namespaces()
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------------------ network
    def _build(self):
        _run(["ip", "netns", "add", self.ns_s])
        _run(["ip", "netns", "add", self.ns_c])
        _run(["ip", "-n", self.ns_s, "link", "add", self.veth_s, "type", "veth", "peer", "name",
              self.veth_c, "netns", self.ns_c])
        _run(["ip", "-n", self.ns_s, "addr", "add", f"{self.server_addr}/24", "brd", "+", "dev",
              self.veth_s])
        _run(["ip", "-n", self.ns_c, "addr", "add", f"{self.legit_addr}/24", "brd", "+", "dev",
              self.veth_c])
        batch = "".join(f"addr add {a}/24 dev {self.veth_c}\n"
                        for a in self.attackers + [self.victim])
        _run(["ip", "-n", self.ns_c, "-batch", "-"], input_bytes=batch.encode())
        for ns, dev in ((self.ns_s, self.veth_s), (self.ns_c, self.veth_c)):
            _run(["ip", "-n", ns, "link", "set", dev, "up"])
            _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        first, last = self.attackers[0], self.attackers[-1]
        rules = ("table inet stampede_abuse {\n"
                 " chain input { type filter hook input priority 0; policy accept;\n"
                 f"  ip daddr {self.victim} counter drop comment \"victim\"\n"
                 f"  ip daddr {first}-{last} counter drop comment \"attackers\"\n"
                 " }\n}\n")
        _run(["ip", "netns", "exec", self.ns_c, "nft", "-f", "-"], input_bytes=rules.encode())

    def counters(self):
        """{"victim": (packets, bytes), "attackers": (packets, bytes)} since the lab started."""
        r = _run(["ip", "netns", "exec", self.ns_c, "nft", "-j", "list", "table", "inet",
                  "stampede_abuse"])
        out = {}
        for item in json.loads(r.stdout)["nftables"]:
            rule = item.get("rule")
            if not rule:
                continue
            counter = next((e["counter"] for e in rule["expr"] if "counter" in e), None)
            if counter is not None:
                out[rule.get("comment", "")] = (counter["packets"], counter["bytes"])
        return out

    # ------------------------------------------------------------------------------ processes
    def exec_c(self, args):
        return ["ip", "netns", "exec", self.ns_c] + list(args)

    def start_server(self, extra=(), listen=None):
        self.stop_server()
        listen = listen or f"0.0.0.0:{PORT}"
        self.server_log_path = os.path.join(self.tmp, f"server-{time.monotonic_ns()}.log")
        log = open(self.server_log_path, "wb")
        cmd = ["ip", "netns", "exec", self.ns_s, self.stampede, "serve", "--listen", listen,
               *extra, self.root]
        self.server = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"server exited: {self.server_log()}")
            if "listening on" in self.server_log():
                return
            time.sleep(0.05)
        raise RuntimeError(f"server not ready: {self.server_log()}")

    def server_log(self):
        try:
            with open(self.server_log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop_server(self):
        """SIGTERM, wait; returns the counters of the server's 'limits:' line."""
        if self.server is None:
            return {}
        if self.server.poll() is None:
            os.kill(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.server.pid, signal.SIGKILL)
                self.server.wait(timeout=10)
        code, self.server = self.server.returncode, None
        if code != 0:  # a graceful stop exits 0; anything else (a crash, a sanitizer) is a failure
            raise RuntimeError(f"server exited {code}: {self.server_log()[-3000:]}")
        m = re.search(r"limits: (.*)", self.server_log())
        if not m:
            return {}
        return {k: int(v) for k, v in (f.split("=") for f in m.group(1).split())}

    def _delete_namespaces(self):
        for ns in (self.ns_s, self.ns_c):
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=20)

    def close(self):
        try:
            self.stop_server()
        finally:
            self._delete_namespaces()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------------------------ clients
    def tool(self, *args, timeout=120):
        """Runs this file's command-line tools inside the client namespace."""
        cmd = self.exec_c([sys.executable, os.path.abspath(__file__), *args])
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def get(self, name, timeout=60, extra=("--windowsize", "16")):
        """One download by the legitimate client; (ok, seconds)."""
        out = os.path.join(self.tmp, "download")
        cmd = self.exec_c([self.stampede, "get", *extra, "-o", out,
                           f"tftp://{self.server_addr}:{PORT}/{name}"])
        start = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=timeout)
        elapsed = time.monotonic() - start
        ok = r.returncode == 0 and os.path.getsize(out) == os.path.getsize(
            os.path.join(self.root, name))
        if os.path.exists(out):
            os.unlink(out)
        return ok, elapsed, r.stderr.decode(errors="replace").strip()


# ---------------------------------------------------------------------------------- tools
# Run inside the client namespace: python3 abuse_lab.py flood|strays ...

def _flood(server, sources, count, rate, name, with_options):
    """`count` RRQs spread over `sources`, each from a fresh socket (a fresh source port), at
    `rate` per second. Prints the request bytes sent."""
    request = rrq(name, {"blksize": 1468, "tsize": 0} if with_options else None)
    socks = []
    for s in sources:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((s, 0))
        socks.append(sock)
    start = time.monotonic()
    sent = 0
    for i in range(count):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        sock = socks[i % len(socks)]
        if i >= len(socks):  # a new source port for every request after the first round
            sock.close()
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((sources[i % len(sources)], 0))
            socks[i % len(socks)] = sock
        sock.sendto(request, (server, PORT))
        sent += len(request)
    print(json.dumps({"requests": count, "request_bytes": sent, "request_size": len(request),
                      "seconds": time.monotonic() - start}))


def server_ports(ns_s):
    """The server's transfer ports: every UDP socket in its namespace but the listening one (the
    server is the only process there). Empty when ss is too slow to answer."""
    try:
        r = subprocess.run(["ip", "netns", "exec", ns_s, "ss", "-Hnua"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=5)
    except subprocess.TimeoutExpired:
        return []
    ports = []
    for line in r.stdout.decode().splitlines():
        m = re.search(r"\S+:(\d+)\s+\S+:\S+\s*$", line)
        if m and int(m.group(1)) != PORT:
            ports.append(int(m.group(1)))
    return ports


def _strays(server, sources, rate, seconds, ns_s):
    """Datagrams from foreign addresses into the server's live transfer ports (PROTOCOL E39)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
    for i, sock in enumerate(socks):
        sock.bind((sources[i % len(sources)], 0))
    payloads = [b"\0\4\0\1", b"\0\3\0\1junk", b"\0\5\0\0x\0", b"\0\1evil\0octet\0", b"\xff" * 12]
    start = time.monotonic()
    ports, ports_at = [], 0.0
    sent = 0
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now - ports_at > 0.25:
            ports = server_ports(ns_s) or ports
            ports_at = time.monotonic()
        if ports:
            sock = random.choice(socks)
            sock.sendto(random.choice(payloads), (server, random.choice(ports)))
            sent += 1
        due = start + sent / rate
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
    print(json.dumps({"strays": sent, "seconds": time.monotonic() - start}))


def _main():
    cmd = sys.argv[1]
    if cmd == "flood":
        server, sources, count, rate, name, opts = sys.argv[2:8]
        _flood(server, sources.split(","), int(count), float(rate), name, opts == "options")
    elif cmd == "strays":
        server, sources, rate, seconds, ns_s = sys.argv[2:7]
        _strays(server, sources.split(","), float(rate), float(seconds), ns_s)
    else:
        raise SystemExit(f"unknown tool {cmd}")


def median(values):
    return statistics.median(values) if values else float("nan")


if __name__ == "__main__":
    _main()
