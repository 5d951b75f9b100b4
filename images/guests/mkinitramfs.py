#!/usr/bin/env python3
"""Packs a byte-reproducible initramfs: a gzip'd "newc" cpio archive, as the kernel unpacks it.

usage: mkinitramfs.py --busybox BUSYBOX --rootfs DIR --output FILE

The archive holds a fixed skeleton of directories, /dev/console, BUSYBOX as /bin/busybox with a
symlink per applet (from `busybox --list-full`, when the host can run it; otherwise /init makes
them at boot), and every file under DIR at the same path. Nothing of the build host leaks in:
names are sorted, mtimes are 0, owners are root, inode numbers count up from 1, permissions are
0755 or 0644 by the executable bit, and the gzip header carries no name or time. Writing the
archive here (rather than with cpio(1)) also makes the device node without root.

The format is the "new ASCII" cpio of the kernel's Documentation/driver-api/early-userspace/
buffer-format.rst: a 110-byte header of "070701" and thirteen 8-digit hex fields, the NUL-ended
name padded to a multiple of 4 bytes, the data padded likewise, and a "TRAILER!!!" entry last.
"""
import argparse
import gzip
import os
import stat
import subprocess
import sys

# Directories every guest has; /dev, /proc, /sys are mount points, /tmp is world-writable.
SKELETON_DIRS = {
    "bin": 0o755, "dev": 0o755, "etc": 0o755, "mnt": 0o755, "proc": 0o755, "root": 0o700,
    "run": 0o755, "sbin": 0o755, "sys": 0o755, "tmp": 0o1777, "usr": 0o755, "usr/bin": 0o755,
    "usr/sbin": 0o755, "var": 0o755,
}
# The console must exist before devtmpfs is mounted: the kernel opens it as init's stdio.
CONSOLE = ("dev/console", stat.S_IFCHR | 0o600, (5, 1))


class Entry:
    def __init__(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)):
        self.name, self.mode, self.data, self.rdev = name, mode, data, rdev


def applet_links(busybox: str) -> list[str]:
    """The applets' paths ("sbin/poweroff", ...), or [] if the host cannot run busybox."""
    try:
        listing = subprocess.run([busybox, "--list-full"], capture_output=True, text=True,
                                 check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in listing.splitlines() if line.strip()]


def collect(busybox: str, rootfs: str) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}

    def add_dirs(path: str) -> None:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            entries.setdefault(d, Entry(d, stat.S_IFDIR | 0o755))

    for d, perm in SKELETON_DIRS.items():
        entries[d] = Entry(d, stat.S_IFDIR | perm)
    name, mode, rdev = CONSOLE
    entries[name] = Entry(name, mode, rdev=rdev)
    with open(busybox, "rb") as f:
        entries["bin/busybox"] = Entry("bin/busybox", stat.S_IFREG | 0o755, f.read())
    for applet in applet_links(busybox):
        applet = applet.lstrip("/")
        if applet and applet not in entries:
            add_dirs(applet)
            entries[applet] = Entry(applet, stat.S_IFLNK | 0o777, b"/bin/busybox")

    for top, dirs, files in os.walk(rootfs):
        for item in dirs + files:  # the order does not matter: pack() sorts
            path = os.path.join(top, item)
            name = os.path.relpath(path, rootfs).replace(os.sep, "/")
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                if name not in entries:
                    entries[name] = Entry(name, stat.S_IFDIR | 0o755)
            elif stat.S_ISLNK(st.st_mode):
                add_dirs(name)
                entries[name] = Entry(name, stat.S_IFLNK | 0o777, os.readlink(path).encode())
            elif stat.S_ISREG(st.st_mode):
                add_dirs(name)
                perm = 0o755 if st.st_mode & 0o111 else 0o644
                with open(path, "rb") as f:
                    entries[name] = Entry(name, stat.S_IFREG | perm, f.read())
            else:
                sys.exit(f"mkinitramfs: {path}: only directories, files and symlinks are packed")
    return entries


def pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def newc_record(ino: int, entry: Entry, nlink: int) -> bytes:
    name = entry.name.encode() + b"\0"
    fields = (ino, entry.mode, 0, 0, nlink, 0, len(entry.data), 0, 0, entry.rdev[0], entry.rdev[1],
              len(name), 0)
    header = b"070701" + b"".join(b"%08X" % v for v in fields)
    return header + name + pad4(len(header) + len(name)) + entry.data + pad4(len(entry.data))


def pack(entries: dict[str, Entry]) -> bytes:
    names = sorted(entries, key=lambda n: n.encode())  # a parent sorts before its children
    subdirs = {n: 0 for n in names}
    for n in names:
        parent = n.rpartition("/")[0]
        if parent and stat.S_ISDIR(entries[n].mode):
            subdirs[parent] += 1
    out = bytearray()
    for ino, n in enumerate(names, start=1):
        e = entries[n]
        nlink = 2 + subdirs[n] if stat.S_ISDIR(e.mode) else 1
        out += newc_record(ino, e, nlink)
    out += newc_record(0, Entry("TRAILER!!!", 0), 1)
    return bytes(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--rootfs", required=True)
    ap.add_argument("--output", required=True)
    args = ap.parse_args()
    entries = collect(args.busybox, args.rootfs)
    if "init" not in entries or not entries["init"].mode & 0o111:
        sys.exit(f"mkinitramfs: {args.rootfs}/init missing or not executable")
    archive = pack(entries)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write(archive)
    os.replace(tmp, args.output)
    links = sum(1 for e in entries.values() if stat.S_ISLNK(e.mode))
    print(f"mkinitramfs: {args.output}: {len(entries)} entries ({links} applet links), "
          f"{os.path.getsize(args.output)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
