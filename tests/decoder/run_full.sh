#!/bin/sh
# The full decoder differential: the whole .text of busybox-static:i386 plus 16 MiB of seeded
# random bytes per mode. Usage: run_full.sh CAPSTONE_DIFF KNOWN_DISAGREEMENTS
# The Debian package is downloaded once into ${EMU_CACHE:-~/.cache/emu}/packages (never into git).
set -eu
diff_tool=$1
known=$2
cache=${EMU_CACHE:-$HOME/.cache/emu}/packages
binary=$cache/busybox-static/bin/busybox
if [ ! -f "$binary" ]; then
  mkdir -p "$cache"
  (cd "$cache" && apt-get download busybox-static:i386)
  deb=$(ls "$cache"/busybox-static_*_i386.deb | tail -n 1)
  dpkg-deb -x "$deb" "$cache/busybox-static"
fi
exec "$diff_tool" --known "$known" --show 200 \
  --elf "$binary" \
  --seed 1001 --mode 32 --random 16000000 \
  --seed 1002 --mode 16 --random 16000000
