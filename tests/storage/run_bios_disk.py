#!/usr/bin/env python3
"""Boots bios_disk (tests/storage/bios_disk.asm) from a hard disk and from a CD and checks it.

usage: run_bios_disk.py EMU HARD_DISK_PROGRAM CDROM_PROGRAM FLOPPY_PROGRAM [deadline-seconds]

Each run passes when emu exits with status 1 ((0 failures << 1) | 1), no line says FAIL, and
every check named in bios_disk.asm for that variant printed "ok". The hard-disk run also checks
on the host image what the program wrote through int 13h (LBA 200 by AH=43h, LBA 63 by AH=03h)
and that nothing else changed; the same run with -snapshot leaves the image untouched. Then the
boot order: with both a disk and a CD, -boot c boots the disk and -boot order=dc the CD. The CD
is made with xorriso (El Torito, no emulation). SeaBIOS (Debian's) boots the same disk, and its
int 13h reads and writes the same sectors. Last, a CD whose boot image is a 1.44 MB floppy
(El Torito floppy emulation) boots eltorito_floppy.asm, which checks drive 00h from inside.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "bios_disk.asm")
SECTORS = 16384
PROGRAM_SECTORS = 16


def expected_names(variant: str) -> set[str]:
    """The EXPECT names in the source, minus those in the other variant's %ifdef block."""
    names = set()
    block = None
    for line in open(SOURCE, encoding="utf-8"):
        m = re.match(r"^%ifdef\s+(\w+)", line)
        if m:
            block = m.group(1)
            continue
        if line.startswith("%endif"):
            block = None
            continue
        m = re.match(r'^\s*EXPECT\w*\s+"([^"]+)"', line)
        if m and block in (None, variant):
            names.add(m.group(1))
    return names


def make_disk(path: str, program: bytes) -> bytes:
    image = bytearray(SECTORS * 512)
    image[: len(program)] = program
    for k in range(PROGRAM_SECTORS, SECTORS):
        image[k * 512 : k * 512 + 8] = struct.pack("<I", k) + b"EMU!"
    with open(path, "wb") as f:
        f.write(image)
    return bytes(image)


def make_cd(path: str, program: bytes, tmp: str) -> None:
    root = os.path.join(tmp, "cdroot")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "boot.bin"), "wb") as f:
        f.write(program)
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", path, "-b", "boot.bin",
                    "-no-emul-boot", "-boot-load-size", str(PROGRAM_SECTORS), root],
                   check=True, capture_output=True)


def run(emu: str, args: list[str], tmp: str, deadline: float) -> tuple[int | None, str]:
    console = os.path.join(tmp, "debugcon.txt")
    if os.path.exists(console):
        os.remove(console)
    command = [emu, "-display", "none", "-m", "32", "-icount", "shift=0", "-debugcon",
               "file:" + console, "-serial", "null", "-no-reboot"] + args
    try:
        r = subprocess.run(command, capture_output=True, text=True, timeout=deadline,
                           stdin=subprocess.DEVNULL)
        status = r.returncode
        sys.stderr.write(r.stderr)
    except subprocess.TimeoutExpired:
        status = None
    log = open(console, encoding="latin-1").read() if os.path.exists(console) else ""
    return status, log


def judge(name: str, status: int | None, log: str, variant: str) -> list[str]:
    lines = log.splitlines()
    ok = {line[3:] for line in lines if line.startswith("ok ")}
    problems = []
    if status != 1:
        problems.append(f"{name}: emu exited with status {status} (want 1: no failures)")
    problems += [f"{name}: {line}" for line in lines if line.startswith("FAIL")]
    missing = sorted(expected_names(variant) - ok)
    if missing:
        problems.append(f"{name}: checks that never reported: {', '.join(missing)}")
    return problems


def main() -> int:
    emu, hd_program, cd_program, floppy_program = sys.argv[1:5]
    deadline = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
    if not shutil.which("xorriso"):
        print("SKIP: xorriso is not installed (tools/setup.sh installs it)")
        return 77
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        before = make_disk(disk, open(hd_program, "rb").read())
        status, log = run(emu, ["-drive", f"file={disk},format=raw", "-boot", "c"], tmp, deadline)
        sys.stdout.write(log)
        problems += judge("hard disk", status, log, "HARD_DISK")
        after = open(disk, "rb").read()
        want = bytearray(before)
        want[200 * 512 : 201 * 512] = struct.pack("<I", 0xC0FFEE00) * 128
        want[63 * 512 : 64 * 512] = struct.pack("<I", 0xBEEF0063) * 128
        if after != bytes(want):
            changed = [k for k in range(SECTORS) if after[k * 512 : (k + 1) * 512] != want[k * 512 : (k + 1) * 512]]
            problems.append(f"hard disk: the host image differs from what the program wrote in sectors {changed[:8]}")

        # -snapshot: the program's writes go to a temporary overlay, and it reads them back.
        make_disk(disk, open(hd_program, "rb").read())
        status, log = run(emu, ["-drive", f"file={disk},format=raw", "-snapshot", "-boot", "c"], tmp, deadline)
        problems += judge("hard disk with -snapshot", status, log, "HARD_DISK")
        if open(disk, "rb").read() != before:
            problems.append("-snapshot: the host image changed")
        else:
            print("ok -snapshot leaves the image untouched")

        cd = os.path.join(tmp, "cd.iso")
        make_cd(cd, open(cd_program, "rb").read(), tmp)
        status, log = run(emu, ["-cdrom", cd, "-boot", "d"], tmp, deadline)
        sys.stdout.write(log)
        problems += judge("CD-ROM", status, log, "CDROM")

        # The boot order picks between a bootable disk and a bootable CD.
        make_disk(disk, open(hd_program, "rb").read())
        for boot, drive in (("c", "80"), ("order=dc", "E0")):
            status, log = run(emu, ["-drive", f"file={disk},format=raw", "-cdrom", cd, "-boot", boot],
                              tmp, deadline)
            got = re.search(r"(ok|FAIL) boot drive in DL(?: got=0*([0-9A-F]+))?", log)
            if status != 1 or not got or got.group(1) != "ok" or (drive == "E0") != ("CD-ROM" in log or "DVD/CD" in log):
                problems.append(f"-boot {boot}: did not boot drive {drive}h (status {status})")
            else:
                print(f"ok -boot {boot} boots drive {drive}h")
        # SeaBIOS boots the same hard disk through its own ATA driver on our IDE controller. Its
        # int 13h differs from ours where BIOSes differ (it hides the last cylinder, has an EDD
        # DPTE, other error codes), so only the transfers are required to agree.
        seabios = "/usr/share/seabios/bios.bin"
        if os.path.exists(seabios):
            make_disk(disk, open(hd_program, "rb").read())
            status, log = run(emu, ["-bios", seabios, "-drive", f"file={disk},format=raw"], tmp, deadline)
            needed = ["boot drive in DL", "int13/42 read: sector 100", "int13/42 read: sector 101",
                      "int13/43 write: read back first", "int13/02 CHS read: LBA 1136",
                      "int13/03 CHS write: LBA 63 read back"]
            missing = [n for n in needed if f"ok {n}\n" not in log]
            if missing:
                problems.append(f"SeaBIOS hard disk boot: {', '.join(missing)} did not pass")
            else:
                print("ok SeaBIOS boots the hard disk and its int 13h moves the same sectors")

        # El Torito floppy emulation: the boot image is a whole 1.44 MB diskette.
        floppy_root = os.path.join(tmp, "floppyroot")
        os.makedirs(floppy_root)
        image = bytearray(1474560)
        program = open(floppy_program, "rb").read()
        image[: len(program)] = program
        image[512:520] = b"FLOPPY-2"
        with open(os.path.join(floppy_root, "floppy.img"), "wb") as f:
            f.write(image)
        floppy_cd = os.path.join(tmp, "floppy.iso")
        subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", floppy_cd, "-b", "floppy.img", floppy_root],
                       check=True, capture_output=True)
        status, log = run(emu, ["-cdrom", floppy_cd, "-boot", "d"], tmp, deadline)
        if status == 1:
            print("ok El Torito floppy emulation: the diskette image boots as drive 00h")
        else:
            problems.append(f"El Torito floppy emulation: status {status} ((failed checks << 1) | 1)")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
