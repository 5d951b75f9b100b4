#!/usr/bin/env python3
"""What the JIT costs and where its time goes on the reference guest (a benchmark, not a test).

usage: tests/bench/jit_bench.py [--emu build/emu] [--guest ../shared/bench/out/guest] [--jit on]

Boots the reference guest (../shared/bench/make-guest.sh) with a monitor on a Unix socket and
reads `info jit` at three points of the serial console: EMU-BOOT-OK, BENCH-START and BENCH-END.
Prints, for the boot and for the CPU benchmark: wall time, the compile thread's CPU time as a
share of that wall time (DESIGN goal: <= 10 % during boot, <= 2 % in the benchmark), blocks
compiled, compile CPU per guest instruction compiled, the share of guest instructions that
compiled code retired, and where block-to-block steps happened (inside a region's function,
chained between compiled functions, or through the dispatcher). Side-by-side ratios against
QEMU TCG come from ../shared/bench/compare.sh; this script explains them.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def monitor(path: str, command: str) -> str:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.settimeout(10)
        s.sendall(command.encode() + b"\n")
        data = b""
        while not data.endswith(b"(emu) ") or b"JIT" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


def parse(info: str) -> dict[str, float]:
    values = {}
    for key, pattern in {
        "blocks": r"blocks compiled\s+(\d+)",
        "insns": r"\((\d+) guest instructions\)",
        "compile_ms": r"compile time\s+([\d.]+) ms",
        "compiled_insns": r"guest instructions\s+(\d+) retired by compiled code",
        "interpreted_insns": r"compiled code, (\d+) interpreted",
        "queued": r"queue\s+(\d+) waiting",
        "in_regions": r"transitions\s+(\d+) inside regions",
        "chained": r"regions, (\d+) chained",
        "dispatcher": r"functions, (\d+)\s+through the dispatcher",
    }.items():
        m = re.search(pattern, info)
        values[key] = float(m.group(1)) if m else 0.0
    return values


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", default=os.path.join(REPO, "build", "emu"))
    ap.add_argument("--guest", default=os.path.join(REPO, "..", "shared", "bench", "out", "guest"))
    ap.add_argument("--jit", default="on", help="the -jit option (on, on,threshold=N, ...)")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.guest, "vmlinuz")):
        print(f"no reference guest in {args.guest}: run ../shared/bench/make-guest.sh")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "monitor.sock")
        argv = [args.emu, "-nographic", "-m", "256", "-kernel", os.path.join(args.guest, "vmlinuz"), "-initrd",
                os.path.join(args.guest, "initrd.img"), "-append", "console=ttyS0 quiet", "-jit", args.jit,
                "-monitor", f"unix:{sock},server,nowait"]
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        marks: dict[str, tuple[float, dict[str, float]]] = {}
        checksum = ""
        for raw in proc.stdout:
            line = raw.decode(errors="replace").strip()
            for mark in ("EMU-BOOT-OK", "BENCH-START", "BENCH-END"):
                if line.startswith(mark):
                    marks[mark] = (time.monotonic() - start, parse(monitor(sock, "info jit")))
            if line.startswith("BENCH-END"):
                checksum = line
        proc.wait()
    if len(marks) < 3:
        print(f"the guest did not print all three markers (got {sorted(marks)})")
        return 1
    phases = [("boot", (0.0, parse("")), marks["EMU-BOOT-OK"]), ("benchmark", marks["BENCH-START"], marks["BENCH-END"])]
    print(f"JIT on the reference guest (-jit {args.jit}); {checksum}")
    print(f"{'phase':10} {'wall s':>8} {'compile s':>10} {'share':>7} {'blocks':>7} {'us/insn':>8} "
          f"{'compiled insns':>15} {'queue at end':>13}   block-to-block steps: in regions / chained / dispatcher")
    for name, (t0, a), (t1, b) in phases:
        wall = t1 - t0
        compile_s = (b["compile_ms"] - a["compile_ms"]) / 1000
        insns = b["insns"] - a["insns"]
        compiled = b["compiled_insns"] - a["compiled_insns"]
        retired = compiled + (b["interpreted_insns"] - a["interpreted_insns"])
        hit = compiled / retired if retired else 0.0
        steps = [b[k] - a[k] for k in ("in_regions", "chained", "dispatcher")]
        shares = " / ".join(f"{x / sum(steps):.0%}" if sum(steps) else "-" for x in steps)
        print(f"{name:10} {wall:8.1f} {compile_s:10.1f} {compile_s / wall:7.1%} {b['blocks'] - a['blocks']:7.0f} "
              f"{(compile_s * 1e6 / insns) if insns else 0:8.0f} {hit:15.1%} {b['queued']:13.0f}   {shares}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
