#!/usr/bin/env python3
"""The real gdb against the gdb stub: gdb_target (a TestMachine under GdbServer) is started on a
free port, gdb attaches in batch mode, and the transcript must show what a student would do in a
lab: real-mode registers and disassembly, a breakpoint at a linear address, stepping, the system
registers, memory read and written through the guest's page tables, and the run to the end.

usage: gdb_end_to_end.py GDB_TARGET GDB
"""
import re
import subprocess
import sys


def main():
    target_exe, gdb = sys.argv[1], sys.argv[2]
    target = subprocess.Popen([target_exe, "tcp:127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        line = target.stdout.readline()
        match = re.search(r"listening on port (\d+)", line)
        if not match:
            print(f"gdb_target did not start: {line!r}")
            return 1
        port = match.group(1)
        commands = [
            "set pagination off",
            "set confirm off",
            f"target remote 127.0.0.1:{port}",
            # Real mode: EIP is the offset in CS; breakpoints are linear addresses.
            "p/x $eip",
            "p/x $cs",
            # gdb attached in real mode, so the stub described the target as i8086: 16-bit code.
            "x/2i $eip",
            "break *0x7c06",
            "continue",
            "p/x $eax",
            "p/x $ebx",
            "stepi",
            "p/x $eax",
            "p/x $cr0",
            "set $edx = 0x4242",
            "p/x $edx",
            # Protected mode with paging: the code runs at linear 0x40000000 (physical 0x20000),
            # 32-bit code, which gdb is told by hand (gdb reads the description once).
            "set architecture i386",
            "delete",
            "hbreak *0x40000005",
            "continue",
            "p/x $ecx",
            "p/x $cr0",
            "p/x $cr3",
            "p/x $cs_base",
            "info registers eip eflags",
            "x/2xw 0x40000000",
            "x/i $eip",
            "continue",
            "p/x $ecx",
            "set {int}0x40000800 = 0x11223344",
            "x/xw 0x40000800",
            "x/xw 0x50000000",
            "delete",
            "continue",
        ]
        args = [gdb, "-nx", "-batch"]
        for c in commands:
            args += ["-ex", c]
        result = subprocess.run(args, capture_output=True, text=True, timeout=60)
        transcript = result.stdout + result.stderr
        print(transcript)
        expected = [
            r"\$1 = 0x7c00",
            r"\$2 = 0x0",
            r"0x7c00:\s+mov\s+\$0x1234,%ax",
            r"Breakpoint 1 at 0x7c06",
            r"\$3 = 0x1234",
            r"\$4 = 0x5678",
            r"\$5 = 0x68ac",
            r"\$6 = 0x60000010",
            r"\$7 = 0x4242",
            r"Hardware assisted breakpoint 2 at 0x40000005",
            r"\$8 = 0x0",
            r"\$9 = 0xe0000011",
            r"\$10 = 0x100000",
            r"\$11 = 0x0",
            r"eip\s+0x40000005",
            r"0x40000000:\s+0x000000b9\s+0xf9834100",
            r"=> 0x40000005:\s+inc\s+%ecx",
            r"\$12 = 0x1",
            r"0x40000800:\s+0x11223344",
            r"Cannot access memory at address 0x50000000",
            r"exited normally",
        ]
        missing = [e for e in expected if not re.search(e, transcript)]
        if missing:
            print("missing from gdb's transcript:")
            for e in missing:
                print("  " + e)
            return 1
        print("gdb end-to-end: all checks passed")
        return 0
    finally:
        try:
            target.wait(timeout=10)
        except subprocess.TimeoutExpired:
            target.kill()


if __name__ == "__main__":
    sys.exit(main())
