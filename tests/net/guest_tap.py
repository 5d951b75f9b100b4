#!/usr/bin/env python3
"""The TAP backend with a real guest, in a network namespace of its own (issue 5).

usage: guest_tap.py EMU [--deadline S] [--kib N]

Creating a TAP needs CAP_NET_ADMIN. The test re-runs itself under `unshare --net` (as root, or
with `--map-root-user` where user namespaces are allowed), so the interface, its address and the
HTTP server live in a private namespace and nothing touches the host's network. There emu starts
the default guest with `-nic tap,ifname=emutap0,script=UP`: the script (run by emu with the
interface name, as QEMU's script= is) gives the host side 10.0.3.1/24 and brings it up. The guest
takes 10.0.3.2, pings 10.0.3.1 and wgets a random file from a Python HTTP server on 10.0.3.1; the
sha256 must match. Without the privilege to make a namespace the test says so and skips.
"""
import argparse
import functools
import hashlib
import http.server
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading

import vmnet
from vmnet import bootlib

INNER = "EMU_GUEST_TAP_IN_NAMESPACE"
IFNAME = "emutap0"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def inside(args: argparse.Namespace) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.urandom(args.kib * 1024)
        with open(os.path.join(tmp, "f"), "wb") as f:
            f.write(data)
        up = os.path.join(tmp, "tap-up.sh")
        with open(up, "w") as f:
            f.write(f"#!/bin/sh\nset -e\nip addr add 10.0.3.1/24 dev \"$1\"\nip link set \"$1\" up\n"
                    f"echo \"$1\" >{tmp}/up-ran\n")
        os.chmod(up, stat.S_IRWXU)
        script = vmnet.guest_script("10.0.3.2", "10.0.3.1", fetch_url="http://10.0.3.1:8080/f")
        con = bootlib.Console(vmnet.argv(args.emu, script, ["-nic", f"tap,ifname={IFNAME},script={up},downscript=no"]),
                              args.deadline)
        server = None
        try:
            con.expect(r"^EMU-NET-LINK (\S+) (\S+)$", "eth0")
            if not os.path.exists(os.path.join(tmp, "up-ran")):
                con.report_failure("emu did not run script= before the guest started")
                return 1
            handler = functools.partial(QuietHandler, directory=tmp)
            server = http.server.ThreadingHTTPServer(("10.0.3.1", 8080), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            con.expect(r"^EMU-READY$", "the READY marker")
            con.type("go")
            con.expect(r"^EMU-PING-OK$", "a ping of the host's side of the TAP")
            fetched = con.expect(r"^EMU-FETCHED (\d+) ([0-9a-f]{64})$", "the fetched file")
            con.expect(r"^EMU-WAITING$", "the end of the steps")
            con.type("done")
            status = con.wait_exit()
        except bootlib.Timeout as e:
            con.report_failure(str(e))
            print("stderr:", bytes(con.stderr).decode(errors="replace")[-800:])
            return 1
        finally:
            con.kill()
            if server:
                server.shutdown()
    problems = []
    if int(fetched.group(1)) != len(data) or fetched.group(2).decode() != hashlib.sha256(data).hexdigest():
        problems.append(f"the guest fetched {fetched.group(0).decode()}; the host served {len(data)} bytes "
                        f"sha256 {hashlib.sha256(data).hexdigest()}")
    if status != 0:
        problems.append(f"emu exited with status {status}")
    if os.path.exists(f"/sys/class/net/{IFNAME}"):
        problems.append(f"{IFNAME} outlived emu")
    for p in problems:
        print("PROBLEM:", p)
    if not problems:
        print(f"ok tap: the guest pinged the host side of {IFNAME} and fetched {args.kib} KiB with the right sha256")
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("emu")
    ap.add_argument("--deadline", type=float, default=300)
    ap.add_argument("--kib", type=int, default=2048)
    args = ap.parse_args()
    if not os.path.exists(bootlib.default_guest()["EMU_GUEST_KERNEL"]):
        return bootlib.skip("the default guest is not built (images/guests/build-default.sh)")
    if os.environ.get(INNER):
        return inside(args)
    if not shutil.which("unshare") or not shutil.which("ip") or not os.path.exists("/dev/net/tun"):
        return bootlib.skip("needs unshare, ip and /dev/net/tun to test TAP in a network namespace")
    # As root a plain network namespace; otherwise a user namespace that maps us to root in it.
    prefix = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--net", "--map-root-user"]
    probe = subprocess.run(prefix + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return bootlib.skip(f"cannot make a network namespace here ({probe.stderr.strip()}): TAP is untested")
    env = dict(os.environ, **{INNER: "1"})
    return subprocess.run(prefix + [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
