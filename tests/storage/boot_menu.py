#!/usr/bin/env python3
"""-boot menu=on, driven the way a person would: emu runs -nographic in a tmux pane, the test
reads the pane, presses ESC at "Press ESC for boot menu.", then the number of the CD-ROM.

usage: boot_menu.py EMU HARD_DISK_PROGRAM CDROM_PROGRAM

The machine has a bootable hard disk and a bootable CD (tests/storage/bios_disk.asm in both
shapes) and the default order boots the disk, so only the menu can make it boot the CD: the
test passes when the menu lists both drives, the CD's program runs (its debug-console log says
"ok boot drive in DL" with the CD's drive) and emu exits with status 1 (no failed checks).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_bios_disk import make_cd, make_disk  # noqa: E402

DEADLINE = 60.0


def pane(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                          text=True).stdout


def wait_for(session: str, text: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if text in pane(session):
            return True
        time.sleep(0.05)
    return False


def main() -> int:
    emu, hd_program, cd_program = (os.path.abspath(a) for a in sys.argv[1:4])
    for tool in ("tmux", "xorriso"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed (tools/setup.sh installs it)")
            return 77
    with tempfile.TemporaryDirectory() as tmp:
        disk, cd = os.path.join(tmp, "disk.img"), os.path.join(tmp, "cd.iso")
        make_disk(disk, open(hd_program, "rb").read())
        make_cd(cd, open(cd_program, "rb").read(), tmp)
        log, status_file = os.path.join(tmp, "debugcon.txt"), os.path.join(tmp, "status")
        session = f"emu-boot-menu-{os.getpid()}"
        command = (f"{emu} -nographic -m 32 -drive file={disk},format=raw -cdrom {cd} "
                   f"-boot menu=on -debugcon file:{log} -no-reboot; echo $? > {status_file}")
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command],
                       check=True)
        problems = []
        try:
            deadline = time.monotonic() + DEADLINE
            if not wait_for(session, "Press ESC for boot menu.", deadline):
                problems.append("no 'Press ESC for boot menu.' on the console")
            else:
                subprocess.run(["tmux", "send-keys", "-t", session, "Escape"], check=True)
                if not wait_for(session, "2. DVD/CD", deadline):
                    problems.append("the boot menu did not list the CD as entry 2")
                else:
                    print(pane(session))
                    subprocess.run(["tmux", "send-keys", "-t", session, "2"], check=True)
            while time.monotonic() < deadline and not os.path.exists(status_file):
                time.sleep(0.1)
            status = open(status_file).read().strip() if os.path.exists(status_file) else "none"
            if status != "1":
                problems.append(f"emu exited with status {status} (want 1: the CD program passed)")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        text = open(log, encoding="latin-1").read() if os.path.exists(log) else ""
        if "Booting from DVD/CD" not in text or "ok boot drive in DL" not in text:
            problems.append("the CD's program did not run with its drive in DL")
    for p in problems:
        print("PROBLEM:", p)
    if not problems:
        print("ok the boot menu booted the CD")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
