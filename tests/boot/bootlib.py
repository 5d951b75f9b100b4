"""Shared pieces of the boot tests: where the guests are, running an emulator on a serial console
with a deadline, and reporting.

The emulator runs with -nographic, so COM1 is its stdin/stdout. Console reads the output as it
comes (select with a deadline, never a fixed sleep), keeps the whole transcript, and types into
stdin. Exit statuses follow meson's convention: 0 pass, 1 fail, 77 skip.
"""
import atexit
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import time

SKIP = 77
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PATHS = os.path.join(REPO, "images", "guests", "default-paths.sh")
QEMU = "qemu-system-i386"


def default_guest() -> dict[str, str]:
    """The default guest's paths, read from images/guests/default-paths.sh (the single source)."""
    names = ["EMU_GUEST_DIR", "EMU_GUEST_KERNEL", "EMU_GUEST_INITRD", "EMU_GUEST_SYSTEM_MAP",
             "EMU_GUEST_INFO"]
    script = '. "$1"; ' + "; ".join(f'printf "%s\\n" "${n}"' for n in names)
    out = subprocess.run(["sh", "-c", script, "sh", DEFAULT_PATHS], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    return dict(zip(names, out))


def skip(reason: str) -> int:
    print(f"SKIP: {reason}")
    return SKIP


def report(problems: list[str], ok: str | None = None) -> int:
    """A test script's ending: each problem on a PROBLEM: line and exit status 1, or the `ok`
    line (when given) and 0."""
    for p in problems:
        print("PROBLEM:", p)
    if not problems and ok:
        print(ok)
    return 1 if problems else 0


def emulator_command(emu: str | None, use_qemu: bool) -> list[str]:
    """The emulator to run: EMU, or qemu-system-i386 with --qemu (the harness's own proof)."""
    if use_qemu:
        return [QEMU]
    if not emu:
        sys.exit("an EMU path is required unless --qemu is given")
    return [emu]


def split_extra(extra: list[str] | None) -> list[str]:
    """--extra-args values ("-d guest_errors", ...) split as a shell would."""
    return [word for chunk in (extra or []) for word in shlex.split(chunk)]


class Timeout(Exception):
    pass


# Emulators started here: killed when this script ends, however it ends (meson's timeout sends
# SIGTERM to the test, not to the emulator it started), so no guest outlives its test.
_running: list["Console"] = []


def _kill_all() -> None:
    for con in _running:
        con.kill()


def _end_emulators(signum, _frame):
    _kill_all()
    sys.exit(128 + signum)


atexit.register(_kill_all)  # also on an uncaught exception
signal.signal(signal.SIGTERM, _end_emulators)
signal.signal(signal.SIGINT, _end_emulators)


class Console:
    """An emulator process whose stdout is the guest's serial console."""

    def __init__(self, argv: list[str], deadline_s: float):
        self.argv = argv
        self.deadline = time.monotonic() + deadline_s
        self.deadline_s = deadline_s
        self.output = bytearray()  # everything the emulator printed on stdout
        self.cursor = 0  # expect() searches from here; it moves past each match
        self.stderr = bytearray()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.returncode: int | None = None
        _running.append(self)

    def command_line(self) -> str:
        return shlex.join(self.argv)

    def _pump(self, until: float) -> bool:
        """Reads what is available before `until`; False once both pipes are closed."""
        streams = [s for s in (self.proc.stdout, self.proc.stderr) if s and not s.closed]
        if not streams:
            return False
        ready, _, _ = select.select(streams, [], [], max(0.0, until - time.monotonic()))
        for s in ready:
            data = os.read(s.fileno(), 65536)
            if not data:
                s.close()
            elif s is self.proc.stdout:
                self.output += data
            else:
                self.stderr += data
        return True

    def find(self, regex: re.Pattern) -> re.Match | None:
        """The first match of `regex` after the cursor in what has arrived so far (the cursor then
        moves past it), or None. With re.MULTILINE, `$` also matches at the end of the text that has
        arrived, so a line still being printed would match cut short: a match ending there whose
        pattern ends in `$` counts only once the line's newline has arrived or the emulator exited."""
        text = self.text_bytes()
        m = regex.search(text, self.cursor)
        if not m:
            return None
        if m.end() == len(text) and regex.pattern.endswith(b"$") and self.proc.poll() is None:
            return None
        self.cursor = m.end()
        return m

    def expect(self, pattern: str, what: str | None = None) -> re.Match:
        """Waits for `pattern` (a regex over the output with CRs removed) after the cursor."""
        regex = re.compile(pattern.encode(), re.MULTILINE)
        while True:
            m = self.find(regex)
            if m:
                return m
            now = time.monotonic()
            if now >= self.deadline:
                raise Timeout(f"no {what or pattern!r} within the {self.deadline_s:g} s deadline")
            if not self._pump(self.deadline):
                if self.proc.poll() is not None:
                    raise Timeout(f"the emulator exited (status {self.proc.returncode}) "
                                  f"before {what or pattern!r}")
                time.sleep(0.01)  # both pipes closed but the process lingers: poll its exit

    def type(self, line: str) -> None:
        """Types `line` and Enter (CR, as a terminal sends it) on the serial console."""
        self.proc.stdin.write(line.encode() + b"\r")
        self.proc.stdin.flush()

    def wait_exit(self) -> int:
        """Reads until the emulator exits; its exit status, or Timeout at the deadline."""
        while self._pump(self.deadline):
            if time.monotonic() >= self.deadline:
                break
        remaining = self.deadline - time.monotonic()
        try:
            self.returncode = self.proc.wait(timeout=max(0.0, remaining))
        except subprocess.TimeoutExpired:
            raise Timeout(f"the emulator did not exit within the {self.deadline_s:g} s deadline")
        return self.returncode

    def text_bytes(self) -> bytes:
        return bytes(self.output).replace(b"\r", b"")

    def text(self) -> str:
        return self.text_bytes().decode(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if s and not s.closed:
                try:
                    s.close()
                except OSError:
                    pass

    def save(self, path: str | None) -> None:
        """Writes the raw console output to `path` (if one is given)."""
        if path:
            with open(path, "wb") as f:
                f.write(self.output)

    def report_failure(self, reason: str, lines: int = 60) -> None:
        tail = self.text().splitlines()[-lines:]
        print(f"FAIL: {reason}")
        print(f"command: {self.command_line()}")
        print(f"--- last {len(tail)} lines of the console ---")
        for line in tail:
            print(line)
        if self.stderr:
            print("--- emulator stderr (last 20 lines) ---")
            for line in bytes(self.stderr).decode(errors="replace").splitlines()[-20:]:
                print(line)
        print("---")


def monitor_command(path: str, command: str, timeout: float = 10) -> str:
    """One command on emu's monitor at the unix socket `path` (-monitor unix:PATH,server,nowait):
    its answer, without the "(emu) " prompt that ends it."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.settimeout(timeout)
        reply = b""
        while not reply.endswith(b"(emu) "):  # the greeting
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("the monitor closed the connection")
            reply += chunk
        s.sendall(command.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"(emu) "):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply.decode(errors="replace").removesuffix("(emu) ")
