"""The boot files a PXE test serves over TFTP: a Linux kernel, a tiny initramfs, an iPXE script
and the pxelinux files.

The kernel and busybox-static come from Debian packages that scripts/firmware-deps fetched with
`apt-get download` and unpacked with `dpkg -x` (never installed) into the firmware directory. The
initramfs is written here as a gzip'd newc cpio archive, so no cpio program is needed: busybox,
/dev/console (the kernel opens it for init's stdout before anything is mounted) and an /init that
prints the run's marker on the serial console and powers the machine off. The marker carries a
token chosen per run, so a marker on the console proves that this run's initramfs came over TFTP
(and its gzip CRC, checked by the kernel, that it came intact).
"""

import glob
import gzip
import io
import os
import shutil

# The kernel command line for both boot paths. panic=-1 with QEMU's -no-reboot ends a failed boot
# at once instead of at the deadline. no_timer_check: a guest starved of CPU (TCG on a busy host)
# can fail the kernel's check of the timer interrupt and panic ("IO-APIC + timer doesn't work").
KERNEL_ARGS = "console=ttyS0 panic=-1 no_timer_check quiet loglevel=1 rdinit=/init"

PXELINUX_FILES = {
    "pxelinux.0": "/usr/lib/PXELINUX/pxelinux.0",
    "ldlinux.c32": "/usr/lib/syslinux/modules/bios/ldlinux.c32",
}


def marker(token):
    return f"STAMPEDE-PXE-BOOTED {token}"


def find_kernel(firmware_dir):
    hits = sorted(glob.glob(os.path.join(firmware_dir, "kernel", "boot", "vmlinuz-*")))
    if not hits:
        raise AssertionError(f"no kernel under {firmware_dir}/kernel/boot; "
                             "run scripts/firmware-deps")
    return hits[-1]


def find_busybox(firmware_dir):
    path = os.path.join(firmware_dir, "busybox-static", "bin", "busybox")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"no busybox-static at {path}; run scripts/firmware-deps")
    return path


def _cpio_entry(out, name, mode, data=b"", rdev=(0, 0), ino=1):
    """One newc (SVR4, no CRC) header + name + data, each padded to 4 bytes."""
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    out.write(b"070701" + b"".join(b"%08X" % f for f in fields))
    out.write(name.encode() + b"\0")
    out.write(b"\0" * (-(110 + len(name) + 1) % 4))
    out.write(data)
    out.write(b"\0" * (-len(data) % 4))


def initramfs(busybox_path, token):
    """The gzip'd initramfs: /bin/busybox, /dev/console, /dev/ttyS0 and /init."""
    with open(busybox_path, "rb") as f:
        busybox = f.read()
    init = ("#!/bin/busybox sh\n"
            "/bin/busybox mount -t proc proc /proc\n"
            f"echo '{marker(token)}' >/dev/ttyS0\n"
            "/bin/busybox poweroff -f\n").encode()
    raw = io.BytesIO()
    entries = [
        ("bin", 0o040755, b"", (0, 0)),
        ("dev", 0o040755, b"", (0, 0)),
        ("proc", 0o040755, b"", (0, 0)),
        ("bin/busybox", 0o100755, busybox, (0, 0)),
        ("bin/sh", 0o120777, b"busybox", (0, 0)),
        ("dev/console", 0o020600, b"", (5, 1)),
        ("dev/ttyS0", 0o020600, b"", (4, 64)),
        ("init", 0o100755, init, (0, 0)),
    ]
    for ino, (name, mode, data, rdev) in enumerate(entries, start=2):
        _cpio_entry(raw, name, mode, data, rdev, ino)
    _cpio_entry(raw, "TRAILER!!!", 0, ino=0)
    raw.write(b"\0" * (-raw.tell() % 512))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def ipxe_script():
    """iPXE fetches these with its own TFTP client (blksize 1432, tsize) from the next-server."""
    return ("#!ipxe\n"
            f"kernel tftp://${{next-server}}/vmlinuz {KERNEL_ARGS} initrd=initrd.gz\n"
            "initrd tftp://${next-server}/initrd.gz\n"
            "boot\n")


def pxelinux_config():
    """pxelinux fetches through the ROM's PXE API (its own blksize 1408, tsize)."""
    return ("DEFAULT linux\n"
            "PROMPT 0\n"
            "TIMEOUT 0\n"
            "LABEL linux\n"
            "  KERNEL vmlinuz\n"
            f"  APPEND initrd=initrd.gz {KERNEL_ARGS}\n")


def populate(root, firmware_dir, token):
    """Writes every boot file into the TFTP root `root`; returns the marker the VMs must print."""
    for name, src in PXELINUX_FILES.items():
        if not os.path.isfile(src):
            raise AssertionError(f"{src} is missing; run scripts/firmware-deps")
        shutil.copyfile(src, os.path.join(root, name))
    shutil.copyfile(find_kernel(firmware_dir), os.path.join(root, "vmlinuz"))
    with open(os.path.join(root, "initrd.gz"), "wb") as f:
        f.write(initramfs(find_busybox(firmware_dir), token))
    with open(os.path.join(root, "boot.ipxe"), "w") as f:
        f.write(ipxe_script())
    os.makedirs(os.path.join(root, "pxelinux.cfg"), exist_ok=True)
    with open(os.path.join(root, "pxelinux.cfg", "default"), "w") as f:
        f.write(pxelinux_config())
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)
    return marker(token)
