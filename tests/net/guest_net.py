#!/usr/bin/env python3
"""The reference guest on emu's PCnet card and user-mode network (issue 5's acceptance items).

usage: guest_net.py EMU [--deadline S] [--large-mib N]

1. DHCP and HTTP: the reference guest (../shared/bench/make-guest.sh --with-modules, booted with
   emu_net=1) loads pcnet32, gets 10.0.2.15 from slirp's DHCP, pings the gateway, and wgets a
   1 MiB and an N MiB file (default 50) from an HTTP server on the host's 127.0.0.1 through
   10.0.2.2; each sha256 must match.
   The 1 MiB run also writes a pcap (-nic user,dump=FILE) that tshark must read, showing DHCP
   Discover and Offer.
2. Port forwarding: the default guest (images/guests) listens with busybox nc on port 23;
   with -nic user,hostfwd=tcp::PORT-:23 a host client connects to 127.0.0.1:PORT, and bytes go
   both ways.
"""
import argparse
import functools
import hashlib
import http.server
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402

MAKE_GUEST = os.path.join(bootlib.REPO, "..", "shared", "bench", "make-guest.sh")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(directory: str) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = functools.partial(QuietHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def wget_case(emu: str, size_mib: int, deadline: float, guest_dir: str, port: int, tmp: str,
              dump: str | None = None) -> list[str]:
    name = f"file{size_mib}"
    data = random.Random(size_mib).randbytes(size_mib << 20)
    open(os.path.join(tmp, name), "wb").write(data)
    want = hashlib.sha256(data).hexdigest()
    argv = [emu, "-nographic", "-m", "256", "-kernel", os.path.join(guest_dir, "vmlinuz"), "-initrd",
            os.path.join(guest_dir, "initrd-modules.img"), "-append",
            f"console=ttyS0 quiet emu_net=1 emu_bench=0 emu_wget=http://10.0.2.2:{port}/{name}", "-nic",
            "user" + (f",dump={dump}" if dump else "")]
    con = bootlib.Console(argv, deadline)
    try:
        lease = con.expect(r"^EMU-DHCP-LEASE ip=(\S+).*$", "the DHCP lease")
        ip = lease.group(1).decode()
        con.expect(r"^EMU-PING-OK.*$", "ping of the gateway")
        got = con.expect(r"^EMU-WGET-(OK|FAIL).*$", "the wget result").group(0).decode()
        status = con.wait_exit()
    except bootlib.Timeout as e:
        con.report_failure(str(e))
        return [f"wget {size_mib} MiB: {e}"]
    finally:
        con.kill()
    problems = []
    if ip != "10.0.2.15":
        problems.append(f"DHCP gave {ip}, want 10.0.2.15")
    if f"sha256={want}" not in got or f"{size_mib << 20} bytes" not in got:
        problems.append(f"wget {size_mib} MiB: {got}")
    if status != 0:
        problems.append(f"wget {size_mib} MiB: emu exited with status {status}")
    if not problems:
        print(f"ok DHCP 10.0.2.15, ping, wget {size_mib} MiB with the right sha256")
    return problems


def pcap_case(dump: str) -> list[str]:
    """The dump option's pcap opens in tshark and shows the DHCP exchange."""
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (tools/setup.sh installs it): the pcap is not checked")
        return []
    r = subprocess.run(["tshark", "-r", dump, "-Y", "dhcp"], capture_output=True, text=True)
    if r.returncode != 0 or "DHCP Discover" not in r.stdout or "DHCP Offer" not in r.stdout:
        return [f"tshark -r {dump}: status {r.returncode}, no DHCP Discover/Offer: {r.stdout[-500:]}{r.stderr[-300:]}"]
    print("ok the pcap dump opens in tshark and shows the DHCP exchange")
    return []


def hostfwd_case(emu: str, deadline: float) -> list[str]:
    guest = bootlib.default_guest()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = ("ip link set lo up; ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; "
           "echo EMU-LISTENING; echo guest-says-hello | nc -l -p 23 > /tmp/got; "
           "echo EMU-GOT $(cat /tmp/got)")
    argv = [emu, "-nographic", "-m", "256", "-kernel", guest["EMU_GUEST_KERNEL"], "-initrd", guest["EMU_GUEST_INITRD"],
            "-append", f'console=ttyS0 emu_cmd="{cmd}"', "-nic", f"user,hostfwd=tcp::{port}-:23"]
    con = bootlib.Console(argv, deadline)
    try:
        con.expect(r"^EMU-LISTENING$", "the guest's listener")
        reply = b""
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
                    s.sendall(b"host-says-hello\n")
                    s.shutdown(socket.SHUT_WR)
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        reply += chunk
                if reply:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        got = con.expect(r"^EMU-GOT (.*)$", "what the guest received").group(1).decode()
        con.wait_exit()
    except bootlib.Timeout as e:
        con.report_failure(str(e))
        return [f"hostfwd: {e}"]
    finally:
        con.kill()
    problems = []
    if b"guest-says-hello" not in reply:
        problems.append(f"hostfwd: the host got {reply!r} from the guest")
    if got.strip() != "host-says-hello":
        problems.append(f"hostfwd: the guest got {got!r} from the host")
    if not problems:
        print("ok hostfwd: a host client and a listener in the guest exchanged data both ways")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("emu")
    ap.add_argument("--deadline", type=float, default=600)
    ap.add_argument("--large-mib", type=int, default=50)
    args = ap.parse_args()
    if not os.path.exists(MAKE_GUEST):
        return bootlib.skip("../shared/bench/make-guest.sh is not beside the checkout")
    if not os.path.exists(bootlib.default_guest()["EMU_GUEST_KERNEL"]):
        return bootlib.skip("the default guest is not built (images/guests/build-default.sh)")
    cache = os.path.normpath(os.path.join(os.path.dirname(bootlib.default_guest()["EMU_GUEST_DIR"]), "..",
                                          "reference-guest"))
    os.makedirs(cache, exist_ok=True)
    build = subprocess.run(["bash", MAKE_GUEST, "--with-modules", "--disk", cache], capture_output=True, text=True)
    if build.returncode != 0:
        print(build.stderr[-2000:])
        return 1
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        server, port = serve(tmp)
        try:
            dump = os.path.join(tmp, "net.pcap")
            problems += wget_case(args.emu, 1, args.deadline, cache, port, tmp, dump)
            problems += pcap_case(dump)
            problems += wget_case(args.emu, args.large_mib, args.deadline, cache, port, tmp)
        finally:
            server.shutdown()
    problems += hostfwd_case(args.emu, args.deadline)
    return bootlib.report(problems)


if __name__ == "__main__":
    sys.exit(main())
