#!/usr/bin/env python3
"""Runs one bare-machine test program under emu and checks it passed.

usage: run_bare.py EMU PROGRAM.bin [deadline-seconds] [emu options...]

A program passes by printing "PASS" on a line of its own and then writing 0 to port 0xF4 (emu
exits with status 1), without printing "FAIL".
"""
import subprocess
import sys


def main() -> int:
    emu, program = sys.argv[1], sys.argv[2]
    deadline = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
    extra = sys.argv[4:]
    try:
        run = subprocess.run([emu, "-machine", "bare", "-no-reboot", *extra, program],
                             capture_output=True, text=True, timeout=deadline)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        print(out)
        print(f"FAIL: no result within {deadline} s")
        return 1
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    if run.returncode == 1 and "PASS" in run.stdout.splitlines() and "FAIL" not in run.stdout:
        return 0
    print(f"FAIL: emu exited with status {run.returncode}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
