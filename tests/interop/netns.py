"""A pair of network namespaces made by a test: a server's and a client's, joined by a veth pair
whose addresses exist only inside them, with nftables rules loaded into either. Used by
test_lossy.py and test_send_eperm.py here and, through robust_common.Namespaces, by the loss
sweep (tests/robust) and the soak run (bench/soak). Needs root, `ip` and `nft`.

Cleanup: building deletes any leftover namespaces of the same names first, and what it made when a
step fails. A test deletes the pair on every exit path; from setUpClass, with
`cls.addClassCleanup(net.delete)` as soon as it is built, since unittest runs class cleanups even
when setUpClass fails (tearDownClass only when it succeeded).
"""

import subprocess

from common import run


class NamespacePair:
    """`name`-s (the server, `subnet`.1/30 on the veth end `devs[0]`) and `name`-c (the client,
    `subnet`.2/30 on `devs[1]`), with loopback up in both. `subnet` is three octets ("10.201.7")."""

    def __init__(self, name, subnet, devs):
        self.ns_s, self.ns_c = f"{name}-s", f"{name}-c"
        self.addr_s, self.addr_c = f"{subnet}.1", f"{subnet}.2"
        self.dev_s, self.dev_c = devs
        self.delete()
        try:
            self._sh(["ip", "netns", "add", self.ns_s])
            self._sh(["ip", "netns", "add", self.ns_c])
            # The veth pair is created inside the server namespace, so nothing touches the host's.
            self._sh(["ip", "-n", self.ns_s, "link", "add", self.dev_s, "type", "veth", "peer",
                      "name", self.dev_c, "netns", self.ns_c])
            for ns, dev, addr in [(self.ns_s, self.dev_s, self.addr_s),
                                  (self.ns_c, self.dev_c, self.addr_c)]:
                self._sh(["ip", "-n", ns, "addr", "add", f"{addr}/30", "brd", "+", "dev", dev])
                self._sh(["ip", "-n", ns, "link", "set", dev, "up"])
                self._sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        except BaseException as e:
            self.delete()
            raise AssertionError(f"could not build the namespace pair {name}: {e}") from None

    @staticmethod
    def _sh(cmd):
        return run(cmd, timeout=20, check=True)

    def load_rules(self, ns, rules):
        """Loads an nftables ruleset (`nft -f` syntax) into namespace `ns`."""
        r = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        if r.returncode != 0:
            raise AssertionError(f"nft in {ns}: {r.stderr.decode()}")

    def set_faults(self, loss_per_mille, dup_per_mille=0):
        """Drops `loss_per_mille` of the UDP arriving on the veth in both namespaces (so both
        directions lose packets) and duplicates `dup_per_mille` of the UDP each sends to the other
        (nftables `dup to`). Replaces the faults set before."""
        for ns, dev, other in [(self.ns_s, self.dev_s, self.addr_c),
                               (self.ns_c, self.dev_c, self.addr_s)]:
            rules = ("table ip stampede_faults\ndelete table ip stampede_faults\n"
                     "table ip stampede_faults {\n"
                     " chain input { type filter hook input priority 0; policy accept;\n"
                     f"  iifname \"{dev}\" meta l4proto udp numgen random mod 1000 < "
                     f"{loss_per_mille} counter drop\n }}\n")
            if dup_per_mille:
                rules += (" chain output { type filter hook output priority 0; policy accept;\n"
                          f"  ip daddr {other} meta l4proto udp numgen random mod 1000 < "
                          f"{dup_per_mille} counter dup to {other} device \"{dev}\"\n }}\n")
            rules += "}\n"
            self.load_rules(ns, rules)

    def delete(self):
        """Deletes both namespaces, and with them the veth pair and the rules; one that is not there
        is no error."""
        for ns in (self.ns_s, self.ns_c):
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=20)
