#!/usr/bin/env python3
"""Boot loaders we did not write, from CDs made of Debian's packages (images/guests/build-isos.sh),
on emu's BIOS and on SeaBIOS (issue 4's boot acceptance items).

usage: boot_cd.py EMU [--deadline S]

1. ISOLINUX (-cdrom isolinux.iso -boot d): its `boot:` prompt appears on COM1; the test types a
   kernel command line there and the default guest boots from the CD and runs it (it sees the
   CD-ROM as /dev/sr0 through ata_piix and sr_mod), then powers off: exit status 0.
2. GRUB (-cdrom grub.iso): the menu lists "emu default guest"; Enter boots it to its shell.
3. SeaBIOS (-bios /usr/share/seabios/bios.bin, Debian's seabios package): the same ISOLINUX CD
   boots, and the guest mounts the ext2 hard disk beside it and reads hello.txt.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402

SEABIOS = "/usr/share/seabios/bios.bin"
HELLO = "EMU-DISK-FILE hello from an ext2 filesystem on the IDE disk"


def isos_dir() -> str:
    return os.path.join(os.path.dirname(bootlib.default_guest()["EMU_GUEST_DIR"]), "isos")


def run_case(name: str, argv: list[str], deadline: float, steps) -> list[str]:
    con = bootlib.Console(argv, deadline)
    try:
        steps(con)
        status = con.wait_exit()
        if status != 0:
            return [f"{name}: emu exited with status {status}"]
        print(f"ok {name}")
        return []
    except bootlib.Timeout as e:
        con.report_failure(f"{name}: {e}")
        return [f"{name}: {e}"]
    finally:
        con.kill()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("emu")
    ap.add_argument("--deadline", type=float, default=400)
    args = ap.parse_args()
    isolinux, grub = os.path.join(isos_dir(), "isolinux.iso"), os.path.join(isos_dir(), "grub.iso")
    if not os.path.exists(isolinux) or not os.path.exists(grub):
        return bootlib.skip("the CDs are not built (images/guests/build-isos.sh)")
    problems = []
    base = [args.emu, "-nographic", "-m", "256", "-no-reboot"]

    def isolinux_steps(con):
        con.expect(r"boot: ", "the ISOLINUX boot: prompt")
        con.type('linux emu_cmd="ls /dev/sr0 && echo EMU-CD-SEEN"')
        con.expect(r"^EMU-CD-SEEN$", "the guest seeing its CD-ROM")

    problems += run_case("ISOLINUX CD on emu's BIOS", base + ["-cdrom", isolinux, "-boot", "d"], args.deadline,
                         isolinux_steps)

    def grub_steps(con):
        con.expect(r"emu default guest", "the GRUB menu entry")
        con.expect(r"executed automatically", "the GRUB menu's countdown")
        con.proc.stdin.write(b"\r")
        con.proc.stdin.flush()
        con.expect(r"^EMU-GUEST-READY$", "the guest booted by GRUB")
        con.expect(r"emu# ", "the guest's shell")
        con.type("poweroff -f")

    problems += run_case("GRUB CD menu on emu's BIOS", base + ["-cdrom", grub, "-boot", "d"], args.deadline, grub_steps)

    if not os.path.exists(SEABIOS) or not shutil.which("mke2fs"):
        print("SKIP: SeaBIOS (Debian's seabios package) or mke2fs is not installed")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "root")
            os.makedirs(root)
            open(os.path.join(root, "hello.txt"), "w").write(HELLO + "\n")
            disk = os.path.join(tmp, "disk.img")
            subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", root, disk, "16M"], check=True)

            def seabios_steps(con):
                con.expect(r"boot: ", "the ISOLINUX boot: prompt under SeaBIOS")
                con.type('linux emu_cmd="i=0; while [ ! -b /dev/sda ] && [ $i -lt 100 ]; do sleep 0.1; '
                         'i=$((i+1)); done; mount -t ext2 /dev/sda /mnt && cat /mnt/hello.txt"')
                con.expect("^" + HELLO + "$", "hello.txt from the IDE disk")

            problems += run_case("ISOLINUX CD and an IDE disk on SeaBIOS",
                                 base + ["-bios", SEABIOS, "-cdrom", isolinux, "-drive", f"file={disk},format=raw",
                                         "-boot", "d"], args.deadline, seabios_steps)
    return bootlib.report(problems)


if __name__ == "__main__":
    sys.exit(main())
