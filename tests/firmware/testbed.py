"""A private PXE network: namespaces, a bridge, tap devices, dnsmasq (DHCP only), a TFTP server and
QEMU virtual machines booting from their network ROM.

    namespace <name>-srv              namespace <name>-net
    +----------------------+          +--------------------------------------------------+
    | TFTP server on :69   |  veth    | br0 10.203.N.1/24, fd53:7461:N::1/64             |
    | vs 10.203.N.2/24     |----------| vb -- br0 -- tap0 .. tapK  (one QEMU per tap)     |
    +----------------------+          | dnsmasq --port=0 (DHCP + router advertisements)  |
                                      | nftables bridge table: optional random loss       |
                                      +--------------------------------------------------+

Nothing leaves the two namespaces: no address outside 10.203.N.0/24 and fd53:7461:N::/64, no
route, no link to the host. Names carry the test's PID, so parallel runs do not collide, and
teardown (close(), also run by the context manager and by signal handlers the caller installs)
kills only the processes it started, by PID, and deletes only its own two namespaces, which takes
the bridge, the taps and the veth pair with them.

dnsmasq settings that each save seconds of every boot with Debian 12's iPXE:
  - router advertisements with router lifetime 0 (`--ra-param=br0,0,0`): without any RA iPXE
    waits ~13 s for IPv6 autoconfiguration;
  - iPXE option 175.176 (no-pxedhcp) = 1: without it iPXE waits ~2 s for a ProxyDHCP offer;
  - `--no-ping`: no ICMP probe (~3 s) before offering an address.
"""

import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

QEMU = "qemu-system-x86_64"
# Debian's pxe-virtio.rom (iPXE) only claims the modern virtio-net device.
ROM = "/usr/lib/ipxe/qemu/pxe-virtio.rom"
VM_MEMORY = "256M"


def sh(cmd, input=None, check=True, timeout=30):
    r = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.decode().strip()}")
    return r


def _die_with_parent():
    """Runs in the child before exec: SIGKILL when the test process dies, even by SIGKILL (a ctest
    timeout), so no VM or server outlives it. `ip netns exec` execs the program in the same
    process, which keeps the setting."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def sweep_stale_namespaces():
    """Deletes the namespaces of earlier runs whose process is gone (killed before teardown)."""
    r = sh(["ip", "netns", "list"], check=False)
    for line in r.stdout.decode().splitlines():
        m = re.match(r"^(stfw(\d+)-(net|srv))\b", line)
        if m and not os.path.exists(f"/proc/{m.group(2)}"):
            sh(["ip", "netns", "del", m.group(1)], check=False)


def require(program):
    path = shutil.which(program) or (f"/usr/sbin/{program}" if os.access(
        f"/usr/sbin/{program}", os.X_OK) else None)
    if not path:
        raise AssertionError(f"'{program}' is missing; run scripts/peers and scripts/firmware-deps")
    return path


class VM:
    def __init__(self, index, proc, console_path, started):
        self.index, self.proc, self.console_path, self.started = index, proc, console_path, started
        self.booted_at = None  # seconds from start to marker
        self.gave_up_at = None  # seconds from start to the firmware giving up
        self.exited_at = None  # seconds from start to QEMU exiting without the marker

    def console(self):
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""


class Testbed:
    def __init__(self, tftp_root, boot_file, workdir=None):
        pid = os.getpid()
        self.ns_net, self.ns_srv = f"stfw{pid}-net", f"stfw{pid}-srv"
        # The addresses exist only inside the two namespaces; N varies only to ease reading logs.
        n = pid % 250 + 1
        self.prefix = f"10.203.{n}"
        self.bridge_addr, self.server_addr = f"{self.prefix}.1", f"{self.prefix}.2"
        self.ip6_prefix = f"fd53:7461:{n:x}::"
        self.tftp_root, self.boot_file = tftp_root, boot_file
        self.work = workdir or tempfile.mkdtemp(prefix="stampede-firmware-")
        self.own_work = workdir is None
        self.procs = []  # (label, Popen), killed in reverse order by close()
        self.server = None
        self.vms = []
        self.closed = False

    # ----------------------------------------------------------------------------------- network

    def __enter__(self):
        try:
            self.build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def build(self):
        if os.geteuid() != 0:
            raise AssertionError("the firmware tests need root (ip netns, tap devices, port 69)")
        for tool in ("ip", "nft", "dnsmasq", QEMU):
            require(tool)
        if not os.path.isfile(ROM):
            raise AssertionError(f"{ROM} is missing; run scripts/firmware-deps")
        sweep_stale_namespaces()
        self.delete_namespaces()
        sh(["ip", "netns", "add", self.ns_net])
        sh(["ip", "netns", "add", self.ns_srv])
        net = ["ip", "-n", self.ns_net]
        srv = ["ip", "-n", self.ns_srv]
        sh(net + ["link", "set", "lo", "up"])
        sh(srv + ["link", "set", "lo", "up"])
        sh(net + ["link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"])
        sh(net + ["addr", "add", f"{self.bridge_addr}/24", "dev", "br0"])
        sh(net + ["-6", "addr", "add", f"{self.ip6_prefix}1/64", "dev", "br0", "nodad"])
        sh(net + ["link", "set", "br0", "up"])
        sh(srv + ["link", "add", "vs", "type", "veth", "peer", "name", "vb", "netns", self.ns_net])
        sh(srv + ["addr", "add", f"{self.server_addr}/24", "dev", "vs"])
        sh(srv + ["link", "set", "vs", "up"])
        sh(net + ["link", "set", "vb", "master", "br0", "up"])

    def add_taps(self, count):
        for i in range(count):
            tap = f"tap{i}"
            sh(["ip", "-n", self.ns_net, "tuntap", "add", "dev", tap, "mode", "tap"])
            sh(["ip", "-n", self.ns_net, "link", "set", tap, "master", "br0", "up"])

    def set_loss(self, per_mille):
        """Random loss on the bridge, each way, of the UDP traffic to and from the TFTP server (DHCP
        stays lossless: it is not what is measured). Dropped in the bridge, so the server's own
        sends succeed and the loss is a true loss on the wire."""
        rules = ("table bridge stampede_fw_loss {\n"
                 " chain forward { type filter hook forward priority 0; policy accept;\n"
                 f"  ip saddr {self.server_addr} meta l4proto udp "
                 f"numgen random mod 1000 < {per_mille} counter drop\n"
                 f"  ip daddr {self.server_addr} meta l4proto udp "
                 f"numgen random mod 1000 < {per_mille} counter drop\n"
                 " }\n}\n")
        sh(["ip", "netns", "exec", self.ns_net, "nft", "-f", "-"], input=rules.encode())

    def refuse_server_sends(self, per_mille):
        """nftables in the server's own namespace drops a share of what the server sends: its
        sendto()/sendmmsg() then fail with EPERM, which a server must take for a lost packet."""
        rules = ("table inet stampede_fw_refuse {\n"
                 " chain output { type filter hook output priority 0; policy accept;\n"
                 "  oifname \"vs\" meta l4proto udp "
                 f"numgen random mod 1000 < {per_mille} counter drop\n"
                 " }\n}\n")
        sh(["ip", "netns", "exec", self.ns_srv, "nft", "-f", "-"], input=rules.encode())

    def refused_count(self):
        out = sh(["ip", "netns", "exec", self.ns_srv, "nft", "list", "table", "inet",
                  "stampede_fw_refuse"]).stdout.decode()
        return int(out.split("counter packets")[1].split()[0])

    def loss_counters(self):
        """Packets dropped by set_loss's two rules: [to-VMs, to-server]."""
        out = sh(["ip", "netns", "exec", self.ns_net, "nft", "list", "table", "bridge",
                  "stampede_fw_loss"]).stdout.decode()
        return [int(line.split("packets")[1].split()[0])
                for line in out.splitlines() if "counter packets" in line]

    # ---------------------------------------------------------------------------------- processes

    def spawn(self, label, ns, cmd, log_name):
        log = open(os.path.join(self.work, log_name), "wb")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, stdin=subprocess.DEVNULL,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                             preexec_fn=_die_with_parent)
        log.close()
        self.procs.append((label, p))
        return p

    def start_dnsmasq(self):
        cmd = [require("dnsmasq"), "--no-daemon", "--port=0", "--conf-file=/dev/null",
               "--pid-file=", "--user=root", "--group=root", "--log-facility=-", "--log-dhcp",
               "--interface=br0", "--bind-interfaces", "--no-ping",
               f"--dhcp-leasefile={self.work}/leases",
               f"--dhcp-range={self.prefix}.100,{self.prefix}.199,255.255.255.0,1h",
               f"--dhcp-boot={self.boot_file},,{self.server_addr}",
               # iPXE's encapsulated option 175, suboption 176 (0xb0) no-pxedhcp = 1
               "--dhcp-option-force=175,b0:01:01",
               "--enable-ra", f"--dhcp-range={self.ip6_prefix},ra-only", "--ra-param=br0,0,0"]
        self.spawn("dnsmasq", self.ns_net, cmd, "dnsmasq.log")

    def start_server(self, cmd):
        """`cmd` is the server's command line, listening on self.server_addr port 69."""
        self.server = self.spawn("server", self.ns_srv, cmd, "server.log")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise AssertionError(f"the TFTP server exited {self.server.returncode}:\n"
                                     + self.read_log("server.log"))
            r = sh(["ip", "netns", "exec", self.ns_srv, "ss", "-Hlun", "sport", "= :69"],
                   check=False)
            if r.stdout.strip():
                return
            time.sleep(0.05)
        raise AssertionError("the TFTP server did not bind port 69 within 10 s")

    def start_vms(self, count):
        self.add_taps(count)
        for i in range(count):
            console = os.path.join(self.work, f"vm{i}.console")
            mac = f"52:54:00:53:{os.getpid() % 256:02x}:{i:02x}"
            cmd = [require(QEMU), "-machine", "pc,accel=tcg", "-m", VM_MEMORY, "-nographic",
                   "-no-reboot", "-monitor", "none", "-serial", f"file:{console}",
                   "-boot", "n",
                   "-netdev", f"tap,id=n0,ifname=tap{i},script=no,downscript=no",
                   "-device", f"virtio-net-pci,netdev=n0,mac={mac},disable-legacy=on,romfile={ROM}"]
            p = self.spawn(f"vm{i}", self.ns_net, cmd, f"vm{i}.qemu.log")
            self.vms.append(VM(i, p, console, time.monotonic()))

    # SeaBIOS's words once every boot device failed (iPXE gave up): the VM will not boot any more.
    GAVE_UP = "No bootable device"

    def wait_markers(self, marker, deadline_s):
        """Waits until every VM printed `marker` (recording each one's time), gave up, or the
        deadline. A VM is stopped as soon as its marker is seen or it gave up. Returns the VMs
        that did not boot."""
        end = time.monotonic() + deadline_s
        pending = list(self.vms)
        while pending and time.monotonic() < end:
            for vm in list(pending):
                console = vm.console()
                if marker in console:
                    vm.booted_at = time.monotonic() - vm.started
                    self.stop(vm.proc)
                    pending.remove(vm)
                elif self.GAVE_UP in console:
                    vm.gave_up_at = time.monotonic() - vm.started
                    self.stop(vm.proc)
                    pending.remove(vm)
                elif vm.proc.poll() is not None:
                    vm.exited_at = time.monotonic() - vm.started  # off or crashed, no marker
                    pending.remove(vm)
            time.sleep(0.05)
        return [vm for vm in self.vms if vm.booted_at is None]

    def read_log(self, name):
        try:
            with open(os.path.join(self.work, name), "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def stop_server(self, grace_s=30):
        """SIGTERM, so the server drains and logs its closing line; returns its log. The grace
        covers a transfer whose final ACK was lost: the server retransmits the last block until
        its retries run out, then logs it as complete-unconfirmed."""
        if self.server is not None:
            self.stop(self.server, grace_s)
        return self.read_log("server.log")

    @staticmethod
    def stop(p, grace_s=5):
        if p.poll() is not None:
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)  # its own session: `ip netns exec` and the program
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=grace_s)

    # ----------------------------------------------------------------------------------- teardown

    def delete_namespaces(self):
        for ns in (self.ns_net, self.ns_srv):
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)

    def close(self, keep_work=False):
        if self.closed:
            return
        self.closed = True
        for _, p in reversed(self.procs):
            self.stop(p)
        self.delete_namespaces()
        if self.own_work and not keep_work:
            shutil.rmtree(self.work, ignore_errors=True)

    def diagnostics(self):
        """Everything a failed boot leaves behind, for the failure message."""
        parts = []
        for vm in self.vms:
            parts.append(f"--- vm{vm.index} console (last 1500 chars):\n{vm.console()[-1500:]}")
        parts.append(f"--- dnsmasq (last 1500 chars):\n{self.read_log('dnsmasq.log')[-1500:]}")
        parts.append(f"--- server (last 3000 chars):\n{self.read_log('server.log')[-3000:]}")
        return "\n".join(parts)
