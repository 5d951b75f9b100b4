#!/usr/bin/env python3
"""Two emu VMs joined by the socket backend ping each other and transfer a file (issue 5).

usage: guest_socket.py EMU [--mode stream|mcast] [--deadline S] [--kib N]

VM A (10.0.9.1) and VM B (10.0.9.2) are default guests with different MACs on one private
network: stream mode is `-nic socket,listen=127.0.0.1:PORT` on A and `connect=` on B (A starts
first, as with QEMU); mcast mode puts both in a multicast group on the loopback. Once both are up
each pings the other, then B wgets a random file from busybox httpd on A and the sha256 must match.
"""
import argparse
import os
import random
import socket
import sys

import vmnet
from vmnet import bootlib


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("emu")
    ap.add_argument("--mode", choices=["stream", "mcast"], default="stream")
    ap.add_argument("--deadline", type=float, default=400)
    ap.add_argument("--kib", type=int, default=4096)
    args = ap.parse_args()
    if not os.path.exists(bootlib.default_guest()["EMU_GUEST_KERNEL"]):
        return bootlib.skip("the default guest is not built (images/guests/build-default.sh)")

    if args.mode == "stream":
        port = free_port(socket.SOCK_STREAM)
        nic_a = [f"socket,listen=127.0.0.1:{port}"]
        nic_b = [f"socket,connect=127.0.0.1:{port}"]
    else:
        group = f"239.255.{random.randrange(256)}.{random.randrange(1, 255)}:{free_port(socket.SOCK_DGRAM)}"
        nic_a = nic_b = [f"socket,mcast={group},localaddr=127.0.0.1"]
    script_a = vmnet.guest_script("10.0.9.1", "10.0.9.2", serve_kib=args.kib)
    script_b = vmnet.guest_script("10.0.9.2", "10.0.9.1", fetch_url="http://10.0.9.1/f")
    a = bootlib.Console(vmnet.argv(args.emu, script_a, ["-nic", nic_a[0] + ",mac=52:54:00:12:34:01"]), args.deadline)
    consoles = [a]
    try:
        if args.mode == "stream":
            # A has bound its port before its first instruction; its first console output says it runs.
            a.expect(r"\S", "any output from VM A")
        b = bootlib.Console(vmnet.argv(args.emu, script_b, ["-nic", nic_b[0] + ",mac=52:54:00:12:34:02"]),
                            args.deadline)
        consoles.append(b)
        links = vmnet.expect_all(consoles, r"^EMU-NET-LINK (\S+) (\S+)$", "eth0")
        served = a.expect(r"^EMU-SERVING ([0-9a-f]{64})$", "the served file").group(1).decode()
        vmnet.expect_all(consoles, r"^EMU-READY$", "the READY marker")
        for con in consoles:
            con.type("go")
        vmnet.expect_all(consoles, r"^EMU-PING-OK$", "a ping of the other VM")
        fetched = b.expect(r"^EMU-FETCHED (\d+) ([0-9a-f]{64})$", "the fetched file")
        vmnet.expect_all(consoles, r"^EMU-WAITING$", "the end of the steps")
        for con in consoles:
            con.type("done")
        statuses = [con.wait_exit() for con in consoles]
    except bootlib.Timeout as e:
        for name, con in zip("AB", consoles):
            con.report_failure(f"VM {name}: {e}", lines=30)
            print("stderr:", bytes(con.stderr).decode(errors="replace")[-800:])
        return 1
    finally:
        for con in consoles:
            con.kill()
    problems = []
    drivers = [m.group(2).decode() for m in links]
    if drivers != ["pcnet32", "pcnet32"]:
        problems.append(f"eth0 drivers {drivers}, want pcnet32 on both")
    size, digest = int(fetched.group(1)), fetched.group(2).decode()
    if size != args.kib * 1024 or digest != served:
        problems.append(f"B fetched {size} bytes sha256 {digest}; A served {args.kib * 1024} bytes sha256 {served}")
    if statuses != [0, 0]:
        problems.append(f"exit statuses {statuses}")
    for p in problems:
        print("PROBLEM:", p)
    if not problems:
        print(f"ok {args.mode}: two VMs on pcnet32 pinged each other and moved {args.kib} KiB with the right sha256")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
