#!/usr/bin/env bash
# Installs every Debian package emu's build, tests and benchmarks need, on a fresh Debian 12
# machine. Idempotent, and silent when everything is already there.
set -euo pipefail

packages=(
  # build
  g++ binutils meson ninja-build pkg-config cmake python3 nasm
  # the BIOS's ACPI DSDT is compiled from ASL at build time
  acpica-tools
  # the BIOS's 8x16 ROM font is built from its Terminus console fonts (devices/vga/make_font.py)
  console-setup-linux
  # libraries (DESIGN: use them, don't rewrite them)
  libcapstone-dev llvm-19-dev zlib1g-dev libsdl2-dev libslirp-dev doctest-dev
  # sanitizers and libFuzzer (the clang that matches LLVM 19)
  clang-19 libclang-rt-19-dev
  # the host-CPU oracle runs instructions natively in a 32-bit process
  gcc-multilib g++-multilib
  # the peer we measure against and cross-check with (never used at run time)
  qemu-system-x86
  # the gdb stub's end-to-end test drives the real gdb
  gdb
  # storage tests: qemu-img cross-checks, ext2 images, bootable ISOs (ISOLINUX, GRUB), SeaBIOS
  qemu-utils e2fsprogs xorriso isolinux syslinux-common grub-pc-bin grub-common mtools seabios
  # network tests read pcap dumps; the window's tests run under Xvfb and type with xdotool
  tshark xvfb xdotool imagemagick
  # rebuilds in several build directories (meson uses ccache when it is installed)
  ccache
  # fetching Debian's i386 packages for guest images and the decoder corpus; kmod resolves the
  # guest's kernel-module dependencies (depmod/modprobe on the package's tree)
  dpkg-dev ca-certificates kmod
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_i386=0
dpkg --print-foreign-architectures | grep -qx i386 || need_i386=1

if [ ${#missing[@]} -eq 0 ] && [ $need_i386 -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]:-(i386 architecture only)}" >&2
if [ $need_i386 -eq 1 ]; then $sudo dpkg --add-architecture i386; fi
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: done" >&2
