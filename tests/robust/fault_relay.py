#!/usr/bin/env python3
"""A seeded UDP fault relay for TFTP on loopback: delay, jitter, reordering, duplication, loss and
corruption between a client and a server, which the kernel here cannot do (no netem).

    client --> LISTEN --> [relay] --> SERVER             (the request)
    client <-- per-TID socket <-- [relay] <-- server TID   (every later datagram)

TFTP answers a request from a new port (RFC 1350 §4, the server's TID). So that each end keeps
seeing one consistent peer, the relay gives every client a socket of its own towards the server
(the server's view of that client), and every server TID of that client a socket of its own
towards the client (the client's view of that TID). A second TID (a duplicated request that made
the server start two transfers) gets a second socket, so the client sees two TIDs as it would
without the relay.

Faults are decided per flow (one direction of one client session) by a `random.Random` seeded from
the seed, the session's number and the direction: the n-th datagram of a flow always meets the same
decisions for a given seed, whatever the timing of other flows. What the datagram meets, in order:

  drop       it is not forwarded;
  corrupt    one byte is XORed with a random non-zero value, or (a `truncate` share of the
             corruptions) the datagram is cut short (see "Corruption scope" below);
  duplicate  it is forwarded twice (each copy gets its own delay);
  delay      each copy waits delay_ms + uniform(0, jitter_ms); jitter larger than the gap between
             datagrams reorders them by itself;
  reorder    a copy is held back and released after the next `reorder_after` datagrams of its
             flow went out, or after `reorder_hold_ms` when nothing follows (lock-step transfers).

Corruption scope. TFTP has no checksum of its own; a changed byte of DATA payload is delivered as
data and no TFTP implementation can notice it. The default scope `header` therefore touches only
what the protocol parses and can refuse: the opcode, the high byte of a DATA/ACK block number
(moved by at least 16384 blocks, far outside any window: the receiver discards it as out of window,
a loss), the error code, the mode and option strings of a request (never its file name: a
changed name is just another valid name), any byte of an OACK; and `truncate` cuts a DATA/ACK
inside its 4-byte header (a malformed packet, not an early final block) and a request or an OACK
anywhere. One such change stays invisible to the receiving end on its own: an OACK whose blksize
was lowered makes an upload's full blocks look like an early final block to the server, which only
an announced tsize catches (`stampede put` sends it; a server then refuses the short file), and
nothing catches it when an earlier corruption removed tsize from the request. Scope `payload`
flips any byte and cuts anywhere, DATA payload included: it can deliver wrong bytes that TFTP
cannot detect (an early cut is noticed only when tsize is in force), so it is for "no crash, no
hang" tests only, never for integrity claims.

The relay runs only on loopback addresses and stops by itself after `duration` seconds or
`max_datagrams` datagrams. Standard library only.

    python3 tests/robust/fault_relay.py --listen 127.0.0.1:7000 --server 127.0.0.1:6969 \\
        --seed 7 --delay-ms 20 --jitter-ms 10 --reorder 0.05 --corrupt 0.01 --duration 60

Counters (per direction: seen, dropped, duplicated, delayed, reordered, out_of_order, corrupted,
truncated, sent) are printed as JSON on stderr when the CLI stops; `FaultRelay.counters()` returns
them to tests.
"""

import argparse
import dataclasses
import heapq
import ipaddress
import json
import random
import selectors
import socket
import sys
import threading
import time

TO_SERVER, TO_CLIENT = "to_server", "to_client"
COUNTERS = ("seen", "dropped", "duplicated", "delayed", "reordered", "out_of_order", "corrupted",
            "truncated", "sent")
MAX_DATAGRAM = 65535


@dataclasses.dataclass
class Faults:
    """The faults of one direction; probabilities are per datagram (0..1)."""
    drop: float = 0.0
    duplicate: float = 0.0
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    reorder: float = 0.0
    reorder_after: int = 1
    reorder_hold_ms: float = 50.0
    corrupt: float = 0.0
    truncate: float = 0.0  # share of the corruptions that cut instead of flipping a byte
    corrupt_scope: str = "header"  # or "payload": see the module's docstring

    def __post_init__(self):
        if self.corrupt_scope not in ("header", "payload"):
            raise ValueError(f"corrupt_scope must be header or payload, not {self.corrupt_scope!r}")


@dataclasses.dataclass
class Copy:
    """One datagram to send: its bytes, its delay in seconds and whether it is held back."""
    data: bytes
    delay_s: float
    hold: bool


# ----------------------------------------------------------------------------------- corruption


def header_ranges(data):
    """The byte ranges scope `header` may flip: what a TFTP end parses and can refuse."""
    op = data[1] if len(data) >= 2 and data[0] == 0 else None
    if op in (1, 2):  # RRQ, WRQ: the opcode, then mode and options; the file name is spared
        name_end = data.find(b"\0", 2)
        return [(0, 2)] if name_end < 0 else [(0, 2), (name_end + 1, len(data))]
    if op in (3, 4):  # DATA, ACK: the opcode and the block number's high byte
        return [(0, min(3, len(data)))]
    if op == 5:  # ERROR: opcode and code
        return [(0, min(4, len(data)))]
    return [(0, len(data))]  # OACK (all of it is option text) or not TFTP at all


def truncation_limit(data, scope):
    """The longest prefix a cut may leave: DATA/ACK keep less than their 4-byte header under
    scope `header`, so a cut is a malformed packet and never an early final block."""
    if scope == "header" and len(data) >= 2 and data[0] == 0 and data[1] in (3, 4):
        return min(3, len(data) - 1)
    return len(data) - 1


def corrupt(data, rng, faults):
    """Returns (corrupted bytes, True if cut short) for one datagram."""
    if not data:
        return data, False
    if rng.random() < faults.truncate:
        return data[:rng.randint(0, truncation_limit(data, faults.corrupt_scope))], True
    header = faults.corrupt_scope == "header"
    ranges = header_ranges(data) if header else [(0, len(data))]
    offsets = [i for start, end in ranges for i in range(start, end)]
    i = offsets[rng.randrange(len(offsets))]
    out = bytearray(data)
    if header and i == 2 and data[1] in (3, 4):
        # A block number's high byte: move the number by at least 16384 (a quarter of the 16-bit
        # space), so it can never land on a block the receiver expects, however late it arrives.
        out[i] ^= rng.choice((0x40, 0x80, 0xC0))
    else:
        out[i] ^= rng.randrange(1, 256)
    return bytes(out), False


# ------------------------------------------------------------------------------------ decisions


class FaultPlan:
    """Decides the fate of each datagram of one flow. Pure: no sockets, no clock, so a test can
    check that a seed always gives the same sequence of decisions."""

    def __init__(self, faults, seed, session=0, direction=TO_SERVER):
        self.faults = faults
        # A string seed is hashed deterministically (not with PYTHONHASHSEED).
        self.rng = random.Random(f"{seed}/{session}/{direction}")

    def decide(self, data):
        """Returns (copies, events): the copies to send (none when dropped) and the counter names
        this datagram adds to."""
        f, rng = self.faults, self.rng
        events = ["seen"]
        if rng.random() < f.drop:
            return [], events + ["dropped"]
        if rng.random() < f.corrupt:
            data, cut = corrupt(data, rng, f)
            events.append("truncated" if cut else "corrupted")
        copies = 1
        if rng.random() < f.duplicate:
            copies = 2
            events.append("duplicated")
        out = []
        for _ in range(copies):
            delay_ms = f.delay_ms + (rng.uniform(0, f.jitter_ms) if f.jitter_ms else 0.0)
            out.append(Copy(data, delay_ms / 1000, rng.random() < f.reorder))
        return out, events


# ---------------------------------------------------------------------------------------- relay


class Flow:
    """One direction of one session: its plan, the datagrams held back for reordering, and the
    order in which its datagrams went out (to count real inversions)."""

    def __init__(self, plan, counters):
        self.plan = plan
        self.counters = counters
        self.next_seq = 0  # number of the next datagram received
        self.max_sent_seq = -1
        self.held = []  # [datagrams still to pass, Pending]


class Pending:
    """A copy on its way: where it goes and whether it already left."""

    def __init__(self, flow, seq, sock, dest, data, hold):
        self.flow, self.seq, self.sock, self.dest, self.data = flow, seq, sock, dest, data
        self.hold = hold  # still to be held back once its delay is over
        self.sent = False


class Session:
    """One client address: the socket the server sees as that client (`upstream`) and, per server
    TID, the socket the client sees as that TID (`downstream`)."""

    def __init__(self, client, upstream, to_server, to_client):
        self.client = client
        self.upstream = upstream
        self.downstream = {}  # server TID address -> socket
        self.to_server, self.to_client = to_server, to_client
        self.last_active = time.monotonic()


def loopback_address(addr):
    """'HOST:PORT' or (host, port) -> (host, port); refuses anything but a loopback address, so
    the relay can never forward traffic anywhere else."""
    if isinstance(addr, str):
        host, _, port = addr.rpartition(":")
        addr = (host.strip("[]"), int(port))
    if not ipaddress.ip_address(addr[0]).is_loopback:
        raise ValueError(f"{addr[0]}: the fault relay runs on loopback addresses only")
    return addr[0], int(addr[1])


class FaultRelay:
    """The relay. `with FaultRelay(...) as relay:` runs it in a thread until the block ends (or
    `duration`/`max_datagrams` is reached); `run()` runs it in the caller's thread."""

    SESSIONS_MAX = 256
    SESSION_IDLE_S = 120.0

    def __init__(self, listen, server, seed=0, to_server=None, to_client=None, duration=60.0,
                 max_datagrams=1_000_000, plan=None):
        self.listen_addr, self.server = loopback_address(listen), loopback_address(server)
        self.seed = seed
        self.plan = plan or FaultPlan  # a test may pass a FaultPlan subclass scripting one fault
        self.faults = {TO_SERVER: to_server or Faults(), TO_CLIENT: to_client or Faults()}
        self.duration, self.max_datagrams = duration, max_datagrams
        self._counters = {d: dict.fromkeys(COUNTERS, 0) for d in (TO_SERVER, TO_CLIENT)}
        self._counters["sessions"] = 0
        self._counters["strays"] = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._timers = []  # heap of (due, tiebreak, Pending)
        self._tiebreak = 0
        self.sessions = {}
        self.selector = selectors.DefaultSelector()
        self.listener = self._bind(self.listen_addr)
        self.listen_addr = self.listener.getsockname()[:2]  # port 0 means: any free port
        self.selector.register(self.listener, selectors.EVENT_READ, self._from_new_client)

    # -- public

    def counters(self):
        """A copy of the counters: per direction, plus sessions and strays."""
        with self._lock:
            return json.loads(json.dumps(self._counters))

    def start(self):
        self._thread = threading.Thread(target=self.run, name="fault-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def run(self):
        """The event loop: bounded by `duration` and `max_datagrams`, or until stop()."""
        end = time.monotonic() + self.duration
        next_sweep = time.monotonic() + 1.0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= end or self._total_seen() >= self.max_datagrams:
                    break
                self._fire_timers(now)
                if now >= next_sweep:
                    self._forget_idle_sessions(now)
                    next_sweep = now + 1.0
                wait = min(end - now, 0.05)
                if self._timers:
                    wait = max(0.0, min(wait, self._timers[0][0] - now))
                for key, _ in self.selector.select(wait):
                    self._receive(key.fileobj, key.data)
        finally:
            self._close()

    # -- sockets

    def _bind(self, addr):
        sock = socket.socket(socket.AF_INET6 if ":" in addr[0] else socket.AF_INET,
                             socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.bind(addr)
        sock.setblocking(False)
        return sock

    def _receive(self, sock, handler):
        # Drain what is there (bounded), so one busy socket cannot starve the timers for long.
        for _ in range(64):
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ECONNREFUSED reported for an earlier send: not ours to fix
                continue
            handler(sock, data, addr[:2])

    def _from_new_client(self, _sock, data, client):
        """A datagram to the listening port: a request (or its retransmission) from `client`."""
        session = self.sessions.get(client)
        if session is None:
            if len(self.sessions) >= self.SESSIONS_MAX:
                return
            session = self._new_session(client)
        session.last_active = time.monotonic()
        self._forward(session.to_server, data, session.upstream, self.server)

    def _new_session(self, client):
        index = self._counters["sessions"]  # numbered in order of arrival, for the seeds
        upstream = self._bind((self.listen_addr[0], 0))
        flows = [Flow(self.plan(self.faults[d], self.seed, index, d), self._counters[d])
                 for d in (TO_SERVER, TO_CLIENT)]
        session = Session(client, upstream, *flows)
        self.sessions[client] = session
        with self._lock:
            self._counters["sessions"] += 1
        self.selector.register(upstream, selectors.EVENT_READ,
                               lambda s, d, a: self._from_server(session, d, a))
        return session

    def _from_server(self, session, data, tid):
        """A datagram from the server to the session's upstream socket: from TID `tid`."""
        session.last_active = time.monotonic()
        down = session.downstream.get(tid)
        if down is None:
            down = self._bind((self.listen_addr[0], 0))
            session.downstream[tid] = down
            self.selector.register(down, selectors.EVENT_READ,
                                   lambda s, d, a: self._from_client(session, tid, d, a))
        self._forward(session.to_client, data, down, session.client)

    def _from_client(self, session, tid, data, addr):
        """A datagram from the client to the socket that stands for server TID `tid`."""
        if addr != session.client:
            with self._lock:
                self._counters["strays"] += 1  # not our client: the relay only joins two ends
            return
        session.last_active = time.monotonic()
        self._forward(session.to_server, data, session.upstream, tid)

    def _forget_idle_sessions(self, now):
        for client, session in list(self.sessions.items()):
            if now - session.last_active > self.SESSION_IDLE_S:
                del self.sessions[client]
                for sock in [session.upstream, *session.downstream.values()]:
                    self.selector.unregister(sock)
                    sock.close()

    def _close(self):
        for session in self.sessions.values():
            for sock in [session.upstream, *session.downstream.values()]:
                sock.close()
        self.listener.close()
        self.selector.close()

    # -- faults and delivery

    def _total_seen(self):
        return self._counters[TO_SERVER]["seen"] + self._counters[TO_CLIENT]["seen"]

    def _forward(self, flow, data, sock, dest):
        copies, events = flow.plan.decide(data)
        seq = flow.next_seq
        flow.next_seq += 1
        with self._lock:
            for e in events:
                flow.counters[e] += 1
            flow.counters["delayed"] += sum(1 for c in copies if c.delay_s > 0)
        now = time.monotonic()
        for c in copies:
            self._schedule(now + c.delay_s, Pending(flow, seq, sock, dest, c.data, c.hold))

    def _schedule(self, due, pending):
        self._tiebreak += 1
        heapq.heappush(self._timers, (due, self._tiebreak, pending))

    def _fire_timers(self, now):
        while self._timers and self._timers[0][0] <= now:
            _, _, pending = heapq.heappop(self._timers)
            if pending.sent:
                continue
            if pending.hold:
                # Its delay is over: now it waits for the next datagrams of its flow, or for the
                # hold limit when none follows.
                pending.hold = False
                pending.flow.held.append([pending.flow.plan.faults.reorder_after, pending])
                with self._lock:
                    pending.flow.counters["reordered"] += 1
                limit = pending.flow.plan.faults.reorder_hold_ms / 1000
                self._schedule(now + limit, pending)
                continue
            self._emit(pending)

    def _emit(self, pending):
        """Sends one copy; held copies of its flow that have now seen enough datagrams pass go out
        right after it."""
        self._send(pending)
        still_held = []
        for entry in pending.flow.held:
            if entry[1].sent:  # this very copy, or one released by its hold limit
                continue
            entry[0] -= 1
            if entry[0] <= 0:
                self._send(entry[1])
            else:
                still_held.append(entry)
        pending.flow.held = still_held

    def _send(self, pending):
        pending.sent = True
        flow = pending.flow
        with self._lock:
            flow.counters["sent"] += 1
            if pending.seq < flow.max_sent_seq:
                flow.counters["out_of_order"] += 1
        flow.max_sent_seq = max(flow.max_sent_seq, pending.seq)
        try:
            pending.sock.sendto(pending.data, pending.dest)
        except OSError:
            pass  # a full buffer or a closed peer port is a loss, as on a real network


# ------------------------------------------------------------------------------------------ CLI


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--listen", required=True, help="HOST:PORT the client sends its request to")
    p.add_argument("--server", required=True, help="HOST:PORT of the TFTP server")
    p.add_argument("--seed", type=int, default=0, help="the same seed, the same faults")
    p.add_argument("--duration", type=float, default=60.0, help="stop after this many seconds")
    p.add_argument("--max-datagrams", type=int, default=1_000_000, help="stop after this many")
    p.add_argument("--only", choices=(TO_SERVER, TO_CLIENT),
                   help="apply the faults to one direction only (default: both)")
    p.add_argument("--drop", type=float, default=0.0, help="probability of a loss")
    p.add_argument("--duplicate", type=float, default=0.0, help="probability of a second copy")
    p.add_argument("--delay-ms", type=float, default=0.0, help="fixed delay of every datagram")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="plus uniform(0, this)")
    p.add_argument("--reorder", type=float, default=0.0, help="probability of holding one back")
    p.add_argument("--reorder-after", type=int, default=1,
                   help="a held datagram goes out after this many of its flow")
    p.add_argument("--reorder-hold-ms", type=float, default=50.0,
                   help="or after this long when nothing follows")
    p.add_argument("--corrupt", type=float, default=0.0, help="probability of a corruption")
    p.add_argument("--truncate", type=float, default=0.0,
                   help="share of the corruptions that cut the datagram short")
    p.add_argument("--corrupt-scope", choices=("header", "payload"), default="header",
                   help="payload: also DATA payload, which TFTP cannot detect (no integrity tests)")
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    faults = Faults(a.drop, a.duplicate, a.delay_ms, a.jitter_ms, a.reorder, a.reorder_after,
                    a.reorder_hold_ms, a.corrupt, a.truncate, a.corrupt_scope)
    relay = FaultRelay(a.listen, a.server, a.seed,
                       to_server=faults if a.only in (None, TO_SERVER) else None,
                       to_client=faults if a.only in (None, TO_CLIENT) else None,
                       duration=a.duration, max_datagrams=a.max_datagrams)
    print(f"fault relay on {relay.listen_addr[0]}:{relay.listen_addr[1]} -> "
          f"{relay.server[0]}:{relay.server[1]}, seed {a.seed}, {a.duration:g} s", file=sys.stderr)
    try:
        relay.run()
    except KeyboardInterrupt:
        pass
    print(json.dumps(relay.counters()), file=sys.stderr)


if __name__ == "__main__":
    main()
