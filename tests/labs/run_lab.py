#!/usr/bin/env python3
"""A debugger lab replayed: `emu -debug-script SCRIPT -magic-break -icount shift=0` over a lab
program on a raw disk image must print exactly the checked-in transcript (issue 7). The
transcript is what a lab sheet quotes, so any change to the debugger's text shows up here;
EMU_UPDATE_GOLDEN=1 rewrites it (read the diff before committing).

usage: run_lab.py EMU LAB_BIN SCRIPT EXPECTED
"""
import difflib
import os
import subprocess
import sys
import tempfile


def main() -> int:
    emu, lab_bin, script, expected_path = sys.argv[1:5]
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "lab.img")
        with open(lab_bin, "rb") as f:
            program = f.read()
        with open(image, "wb") as f:
            f.write(program)
            f.truncate(1 << 20)
        run = subprocess.run([emu, "-debug-script", script, "-magic-break", "-icount", "shift=0", "-display", "none",
                              "-drive", f"file={image},format=raw"], capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
    got = run.stdout
    if run.returncode != 0:
        print(f"FAIL: emu exited with status {run.returncode}\n{run.stderr[-2000:]}")
        return 1
    if os.environ.get("EMU_UPDATE_GOLDEN"):
        with open(expected_path, "w") as f:
            f.write(got)
    with open(expected_path) as f:
        want = f.read()
    if got != want:
        sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True), expected_path, "emu"))
        print(f"FAIL: the transcript differs from {expected_path}")
        return 1
    print(f"ok {os.path.basename(script)}: {len(got.splitlines())} lines as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
