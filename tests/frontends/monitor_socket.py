#!/usr/bin/env python3
"""The monitor on a socket (-monitor unix:PATH,server,nowait and tcp:HOST:PORT,server,nowait).

usage: monitor_socket.py EMU

emu starts paused (-S without gdb waits for the monitor's `cont`) with an empty CD-ROM drive, so
nothing else is needed. Over each kind of socket the test reads the greeting and prompt, asks
`info registers` (the CPU sits at the reset vector, EIP=0000fff0), sends an unknown command
(a one-line error, the session carries on), puts a disc into the CD-ROM drive (`change`), takes
it out (`eject`), checks both in `info block`, unplugs the network card (`set_link pcnet off`,
seen in `info network`), and `quit`s: emu exits with status 0.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time


def read_until_prompt(s: socket.socket, deadline: float) -> str:
    data = b""
    while not data.endswith(b"(emu) "):
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def session(emu: str, spec: str, address, family) -> list[str]:
    problems = []
    proc = subprocess.Popen([emu, "-display", "none", "-serial", "null", "-S", "-drive", "if=ide,media=cdrom,index=2", "-nic", "user",
                             "-monitor", spec], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        s = None
        while s is None and time.monotonic() < deadline:
            try:
                s = socket.socket(family, socket.SOCK_STREAM)
                s.connect(address)
            except OSError:
                s = None
                time.sleep(0.05)
        if s is None:
            return [f"{spec}: could not connect"]
        greeting = read_until_prompt(s, deadline)
        if "emu monitor" not in greeting:
            problems.append(f"{spec}: no greeting: {greeting!r}")
        s.sendall(b"info registers\n")
        regs = read_until_prompt(s, deadline)
        if "EIP=0000fff0" not in regs:
            problems.append(f"{spec}: info registers does not show the reset vector: {regs!r}")
        s.sendall(b"no-such-command\n")
        reply = read_until_prompt(s, deadline)
        if "unknown command" not in reply:
            problems.append(f"{spec}: an unknown command got {reply!r}")
        # Media: a disc into the empty drive, out again, and the refusals.
        disc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "monitor_socket.py")
        s.sendall(f"change ide1-cd0 {disc}\n".encode())
        reply = read_until_prompt(s, deadline)
        s.sendall(b"info block\n")
        block = read_until_prompt(s, deadline)
        if reply.strip() != "(emu)" or "monitor_socket.py" not in block:
            problems.append(f"{spec}: change did not insert the disc: {reply!r} {block!r}")
        s.sendall(b"eject ide1-cd0\n")
        read_until_prompt(s, deadline)
        s.sendall(b"info block\n")
        if "no medium" not in read_until_prompt(s, deadline):
            problems.append(f"{spec}: eject left the disc in")
        s.sendall(b"set_link pcnet off\n")
        read_until_prompt(s, deadline)
        s.sendall(b"info network\n")
        if "link down" not in read_until_prompt(s, deadline):
            problems.append(f"{spec}: set_link pcnet off did not take the link down")
        for bad in (b"change ide1-cd0 /no/such/file\n", b"eject ide0-hd7\n", b"change ide1-cd0\n",
                    b"set_link nic9 on\n", b"set_link pcnet sideways\n"):
            s.sendall(bad)
            if len(read_until_prompt(s, deadline).strip().splitlines()) != 2:
                problems.append(f"{spec}: {bad!r} did not get a one-line error")
        s.sendall(b"quit\n")
        status = proc.wait(timeout=max(1, deadline - time.monotonic()))
        if status != 0:
            problems.append(f"{spec}: emu exited with status {status} after quit")
    except (OSError, subprocess.TimeoutExpired) as e:
        problems.append(f"{spec}: {e}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not problems:
        print(f"ok {spec}")
    return problems


def main() -> int:
    emu = sys.argv[1]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "monitor.sock")
        problems += session(emu, f"unix:{path},server,nowait", path, socket.AF_UNIX)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    problems += session(emu, f"tcp:127.0.0.1:{port},server,nowait", ("127.0.0.1", port), socket.AF_INET)
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
