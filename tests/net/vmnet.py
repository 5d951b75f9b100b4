"""Shared pieces of the tests that put default guests on a private network (guest_socket.py,
guest_tap.py): the guest's script and waiting on several consoles at once."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402,F401  (re-exported for the tests)


def guest_script(address: str, peer: str, serve_kib: int = 0, fetch_url: str = "") -> str:
    """emu_cmd for a default guest: eth0 at ADDRESS/24; then, each step after a line typed on the
    console (so the host can line the guests up): ping PEER, and serve a random file of SERVE_KIB
    KiB with busybox httpd, or fetch FETCH_URL with wget; each step prints a marker with sha256."""
    steps = [
        "ip link set lo up", "ip link set eth0 up", f"ip addr add {address}/24 dev eth0",
        "echo EMU-NET-LINK $(cat /sys/class/net/eth0/address) $(basename $(readlink /sys/class/net/eth0/device/driver))",
    ]
    if serve_kib:
        steps += ["mkdir -p /www", f"dd if=/dev/urandom of=/www/f bs=1024 count={serve_kib} 2>/dev/null",
                  "echo EMU-SERVING $(sha256sum /www/f | cut -d' ' -f1)", "httpd -p 80 -h /www"]
    steps += ["echo EMU-READY", "read go", f"ping -c 3 -W 5 {peer} >/tmp/ping && echo EMU-PING-OK || cat /tmp/ping"]
    if fetch_url:
        steps += [f"wget -q -O /tmp/f {fetch_url} && echo EMU-FETCHED $(wc -c </tmp/f) $(sha256sum /tmp/f | cut -d' ' -f1)"]
    steps += ["echo EMU-WAITING", "read done"]
    return "; ".join(steps)


def argv(emu: str, script: str, nic: list[str]) -> list[str]:
    guest = bootlib.default_guest()
    return [emu, "-nographic", "-m", "128", "-kernel", guest["EMU_GUEST_KERNEL"], "-initrd", guest["EMU_GUEST_INITRD"],
            "-append", f'console=ttyS0 quiet emu_cmd="{script}"'] + nic


def expect_all(consoles: list, pattern: str, what: str) -> list[re.Match]:
    """Waits until every console shows PATTERN after its cursor, reading all of them meanwhile
    (a console left unread would fill its pipe and stall its emulator)."""
    regex = re.compile(pattern.encode(), re.MULTILINE)
    found: list[re.Match | None] = [None] * len(consoles)
    while True:
        for k, con in enumerate(consoles):
            if found[k] is None:
                found[k] = con.find(regex)
        if all(found):
            return found  # type: ignore[return-value]
        for k, con in enumerate(consoles):
            if time.monotonic() >= con.deadline:
                raise bootlib.Timeout(f"VM {k}: no {what} within the {con.deadline_s:g} s deadline")
            if not con._pump(time.monotonic() + 0.05) and con.proc.poll() is not None and found[k] is None:
                raise bootlib.Timeout(f"VM {k}: the emulator exited (status {con.proc.returncode}) before {what}")
