#!/usr/bin/env python3
"""Runs bios_services (a real-mode program in the shape of a bzImage) on emu's PC and checks it.

usage: run_bios_services.py EMU PROGRAM [deadline-seconds]

The program reports each check as "ok NAME" or "FAIL NAME got=... want=..." on emu's debug
console and writes its failure count to port F4h. It passes when:
  - emu exits with status 1 (0 failures: (0 << 1) | 1),
  - no line says FAIL,
  - every check named in bios_services.asm (the first argument of each EXPECT* macro, and the
    names of the int 10h scroll cases) printed its "ok" line: a check that never ran fails too,
  - the number of ok lines is the number of checks the program says it made.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "bios_services.asm")


def expected_names() -> set[str]:
    text = open(SOURCE, encoding="utf-8").read()
    names = set(re.findall(r'^\s*EXPECT\w*\s+"([^"]+)"', text, re.MULTILINE))
    # The scroll cases' names live in a table: `.label: db "int10/...", 0`.
    names |= set(re.findall(r'^\.\w+:\s+db\s+"(int10/[^"]+)", 0', text, re.MULTILINE))
    return names


def main() -> int:
    emu, program = sys.argv[1], sys.argv[2]
    deadline = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    with tempfile.TemporaryDirectory() as tmp:
        console = os.path.join(tmp, "debugcon.txt")
        command = [emu, "-nographic", "-m", "64", "-icount", "shift=0", "-kernel", program,
                   "-debugcon", "file:" + console, "-serial", "null", "-no-reboot"]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=deadline,
                                 stdin=subprocess.DEVNULL)
            status = run.returncode
            sys.stderr.write(run.stderr)
        except subprocess.TimeoutExpired:
            status = None
        log = open(console, encoding="latin-1").read() if os.path.exists(console) else ""
    sys.stdout.write(log)

    lines = log.splitlines()
    ok = {line[3:] for line in lines if line.startswith("ok ")}
    ok_lines = sum(1 for line in lines if line.startswith("ok "))
    failed = [line for line in lines if line.startswith("FAIL")]
    problems = []
    if status is None:
        problems.append(f"no result within {deadline} s")
    elif status != 1:
        problems.append(f"emu exited with status {status} (want 1: no failures)")
    if failed:
        problems.append(f"{len(failed)} check(s) failed")
    missing = sorted(expected_names() - ok)
    if missing:
        problems.append("no ok line for: " + "; ".join(missing))
    done = re.search(r"^info done: checks=([0-9A-F]+) failures=([0-9A-F]+)$", log, re.MULTILINE)
    if not done:
        problems.append("the program did not finish")
    elif int(done.group(1), 16) != ok_lines + len(failed):
        problems.append(f"the program counted {int(done.group(1), 16)} checks, the console shows "
                        f"{ok_lines + len(failed)}")
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print(f"PASS: {len(ok)} distinct checks ({ok_lines} ok lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
