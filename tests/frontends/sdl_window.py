#!/usr/bin/env python3
"""The desktop window under Xvfb (issue 7): emu opens its SDL window on a virtual X display, the
default guest boots with its console on the VGA (tty0) and on COM1; keys typed into the window by
xdotool reach the shell on tty1; the window shows exactly what `screendump` saves; a click grabs
the mouse and motion reaches the guest's psmouse (/dev/input/mice), Ctrl+Alt+G releases it;
`poweroff -f` typed the same way ends emu with status 0.

usage: sdl_window.py EMU [--deadline S] [--keep DIR]

Skips (77) when Xvfb, xdotool or ImageMagick's `import`/`convert` are missing (tools/setup.sh
installs them) or the default guest is not built.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """Xvfb on a display number it picks itself (-displayfd), so parallel runs never collide."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read_end, 16)
        if not chunk:
            raise RuntimeError("Xvfb did not start")
        number += chunk
    os.close(read_end)
    return xvfb, ":" + number.decode().strip()


def rgb_bytes(path: str, env: dict) -> bytes:
    return subprocess.run(["convert", path, "-depth", "8", "rgb:-"], capture_output=True, check=True, env=env).stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("emu")
    ap.add_argument("--deadline", type=float, default=240)
    ap.add_argument("--keep", help="a directory for the screenshots")
    args = ap.parse_args()
    for tool in ("Xvfb", "xdotool", "import", "convert"):
        if not shutil.which(tool):
            return bootlib.skip(f"{tool} is not installed (tools/setup.sh installs it)")
    guest = bootlib.default_guest()
    if not os.path.exists(guest["EMU_GUEST_KERNEL"]):
        return bootlib.skip("the default guest is not built (images/guests/build-default.sh)")
    xvfb, display = start_xvfb()
    env = dict(os.environ, DISPLAY=display)
    env.pop("WAYLAND_DISPLAY", None)
    tmp = tempfile.mkdtemp(prefix="emu-window-")
    out = args.keep or tmp
    sock = os.path.join(tmp, "monitor.sock")
    argv = [args.emu, "-display", "sdl", "-m", "256", "-kernel", guest["EMU_GUEST_KERNEL"], "-initrd",
            guest["EMU_GUEST_INITRD"], "-append", "console=tty0 console=ttyS0", "-monitor", f"unix:{sock},server,nowait"]
    os.environ["DISPLAY"] = display  # bootlib.Console inherits the environment
    con = bootlib.Console(argv, args.deadline)
    problems = []
    try:
        con.expect(r"emu# ", "the shell prompt on COM1")
        window = subprocess.run(["xdotool", "search", "--sync", "--name", "^emu - "], capture_output=True, text=True,
                                env=env, timeout=30).stdout.split()[0]
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True, timeout=30)
        # Shifted symbols too ($, (, *, ), >): the keymap and the 8042's translation in one line.
        subprocess.run(["xdotool", "type", "--delay", "50", "echo WINDOW-$((6*7)) > /dev/ttyS0"], env=env, check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        con.expect(r"WINDOW-42", "the command typed into the window (tty1), echoed to COM1")
        time.sleep(1)  # a frame or two for the window to show the last lines
        dump = os.path.join(out, "screendump.png")
        shot = os.path.join(out, "window.png")
        # The cursor blinks (about 229 ms on, 229 off) and screendump draws it on: a capture may
        # fall in the off phase, so a few tries, each a screendump and a capture ms apart.
        for attempt in range(8):
            reply = bootlib.monitor_command(sock, f"screendump {dump}")
            subprocess.run(["import", "-window", window, shot], env=env, check=True, timeout=30)
            size = subprocess.run(["identify", "-format", "%wx%h", dump], capture_output=True, text=True,
                                  env=env).stdout
            if "error" in reply or size != "720x400":
                problems.append(f"screendump: {reply!r}, size {size!r} (want 720x400)")
                break
            if rgb_bytes(dump, env) == rgb_bytes(shot, env):
                break
            time.sleep(0.1)
        else:
            problems.append(f"the window ({shot}) does not show what screendump saved ({dump})")
        # The mouse: a reader of the guest's /dev/input/mice (psmouse) prints 6 bytes (two PS/2
        # packets) to COM1; a click grabs the pointer (the click is the window's, not the guest's),
        # then relative motion reaches the guest's PS/2 mouse.
        subprocess.run(["xdotool", "type", "--delay", "50", "od -An -tx1 -N 6 /dev/input/mice > /dev/ttyS0 &"],
                       env=env, check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        time.sleep(1)
        subprocess.run(["xdotool", "mousemove", "--window", window, "100", "100", "click", "1"], env=env, check=True)
        for _ in range(50):
            time.sleep(0.1)
            title = subprocess.run(["xdotool", "getwindowname", window], capture_output=True, text=True,
                                   env=env).stdout
            if "Ctrl+Alt+G releases the mouse" in title:
                break
        if "Ctrl+Alt+G releases the mouse" not in title:
            problems.append(f"a click did not grab the mouse (title {title.strip()!r})")
        for _ in range(4):
            subprocess.run(["xdotool", "mousemove_relative", "--", "12", "-6"], env=env, check=True)
            time.sleep(0.2)
        con.expect(r"^ *([0-9a-f]{2} ){5}[0-9a-f]{2} *$", "two PS/2 mouse packets read by the guest")
        subprocess.run(["xdotool", "key", "ctrl+alt+g"], env=env, check=True)
        for _ in range(50):  # the window sees the keys at its next poll: allow a slow (sanitized) build
            time.sleep(0.1)
            title = subprocess.run(["xdotool", "getwindowname", window], capture_output=True, text=True,
                                   env=env).stdout
            if "click to grab the mouse" in title:
                break
        if "click to grab the mouse" not in title:
            problems.append(f"Ctrl+Alt+G did not release the mouse (title {title.strip()!r})")
        subprocess.run(["xdotool", "type", "--delay", "50", "poweroff -f"], env=env, check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        status = con.wait_exit()
        if status != 0:
            problems.append(f"emu exited with status {status} after poweroff -f")
    except (bootlib.Timeout, subprocess.SubprocessError, OSError, IndexError) as e:
        con.report_failure(str(e))
        print("stderr:", bytes(con.stderr).decode(errors="replace")[-1000:])
        problems.append(str(e))
    finally:
        con.kill()
        xvfb.terminate()
        xvfb.wait()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return bootlib.report(problems, "ok the window opened, showed the VGA exactly as screendump saves it, typed keys reached tty1, "
              "the mouse was grabbed, moved the guest's PS/2 mouse and was released")


if __name__ == "__main__":
    sys.exit(main())
