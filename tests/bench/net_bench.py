#!/usr/bin/env python3
"""Guest TCP throughput over the PCnet card and user-mode NAT, emu against QEMU TCG, side by side
in one run (a benchmark, not a test).

usage: tests/bench/net_bench.py [--emu build/emu] [--qemu qemu-system-i386] [--mib 32]

Both boot the default guest (images/guests/build-default.sh) with a PCnet card on slirp
(`-nic user,model=pcnet,hostfwd=tcp::PORT-:5001`) and the same guest commands:
  host→guest: busybox `nc -l -p 5001 >/dev/null` in the guest; the host connects through the
              forwarded port, sends MIB MiB, half-closes, and times until the guest hangs up;
  guest→host: `dd if=/dev/zero bs=64k | nc 10.0.2.2 PORT` in the guest; the host times from the
              first byte to the last of MIB MiB.
The host measures both (wall-clock MB/s, 10^6 bytes); the ratio column is emu/QEMU (above 1: emu
is faster). Machines here are shared: run it when the host is quiet and read the ratios.
"""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_to_guest(port: int, nbytes: int, give_up: float) -> float | None:
    """Connects to the guest's listener (retrying while it starts), sends, waits for its close."""
    chunk = b"\0" * 65536
    while time.monotonic() < give_up:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
        except OSError:
            time.sleep(0.2)
            continue
        with s:
            start = time.monotonic()
            try:
                sent = 0
                while sent < nbytes:
                    sent += s.send(chunk[: min(len(chunk), nbytes - sent)])
                s.shutdown(socket.SHUT_WR)
                if s.recv(1) == b"":  # the guest's nc exits at EOF and closes
                    return nbytes / (time.monotonic() - start) / 1e6
            except OSError:
                pass  # slirp accepts before the guest listens: connection reset, try again
        time.sleep(0.2)
    return None


class GuestToHost:
    """A listener on 127.0.0.1 (the guest's 10.0.2.2) that times MIB MiB from the guest."""

    def __init__(self, nbytes: int):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.nbytes = nbytes
        self.rate: float | None = None
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        self.server.settimeout(900)
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            got, start = 0, None
            while got < self.nbytes:
                data = conn.recv(1 << 20)
                if not data:
                    break
                if start is None:
                    start = time.monotonic()
                got += len(data)
            if got >= self.nbytes and start is not None:
                self.rate = got / (time.monotonic() - start) / 1e6


def run(base: list[str], mib: int, deadline: float) -> dict[str, float | None]:
    nbytes = mib << 20
    forward = free_port()
    sink = GuestToHost(nbytes)
    cmd = ("ip link set lo up; ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; echo BENCH-LISTEN; "
           "nc -l -p 5001 </dev/null >/dev/null; echo BENCH-RECEIVED; "
           f"dd if=/dev/zero bs=64k count={mib * 16} 2>/dev/null | nc 10.0.2.2 {sink.port}; echo BENCH-SENT")
    argv = base + ["-append", f'console=ttyS0 quiet emu_cmd="{cmd}"', "-nic",
                   f"user,model=pcnet,hostfwd=tcp:127.0.0.1:{forward}-:5001"]
    con = bootlib.Console(argv, deadline)
    rates: dict[str, float | None] = {"host→guest": None, "guest→host": None}
    try:
        con.expect(r"^BENCH-LISTEN$", "the guest's listener")
        rates["host→guest"] = host_to_guest(forward, nbytes, time.monotonic() + deadline / 2)
        con.expect(r"^BENCH-RECEIVED$", "the end of host→guest")
        con.expect(r"^BENCH-SENT$", "the end of guest→host")
        rates["guest→host"] = sink.rate
    except bootlib.Timeout as e:
        con.report_failure(str(e), lines=20)
    finally:
        con.kill()
        sink.server.close()
    return rates


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", default=os.path.join(bootlib.REPO, "build", "emu"))
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--mib", type=int, default=32)
    ap.add_argument("--deadline", type=float, default=900)
    args = ap.parse_args()
    guest = bootlib.default_guest()
    if not os.path.exists(guest["EMU_GUEST_KERNEL"]):
        print("the default guest is not built: images/guests/build-default.sh")
        return 1
    common = ["-nographic", "-m", "256", "-kernel", guest["EMU_GUEST_KERNEL"], "-initrd", guest["EMU_GUEST_INITRD"]]
    emu = run([args.emu] + common, args.mib, args.deadline)
    qemu = run([args.qemu, "-accel", "tcg", "-cpu", "pentium3"] + common, args.mib, args.deadline)
    print(f"{f'TCP, {args.mib} MiB, MB/s':<22} {'emu':>10} {'QEMU TCG':>10} {'emu/QEMU':>10}")
    for name in ("host→guest", "guest→host"):
        e, q = emu[name], qemu[name]
        ratio = f"{e / q:.2f}" if e and q else "-"
        print(f"{name:<22} {e or 0:>10.1f} {q or 0:>10.1f} {ratio:>10}")
    return 0 if all(emu.values()) and all(qemu.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
