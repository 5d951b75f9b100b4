#!/usr/bin/env bash
# Builds two bootable CDs around the default guest (build-default.sh), for the storage tests and
# for anyone who wants to boot emu from -cdrom:
#   isolinux.iso  ISOLINUX from Debian's isolinux/syslinux-common packages: a `boot:` prompt on
#                 COM1 (SERIAL 0), the default guest after 3 s or on Enter.
#   grub.iso      a GRUB rescue CD (grub-mkrescue from Debian's grub-pc-bin, i386-pc only) whose
#                 menu, on COM1 and the screen, boots the default guest.
# Both are El Torito no-emulation CDs (the ISOLINUX one with a boot info table), made by xorriso.
# Output: $EMU_CACHE_ROOT/guests/isos/. Re-runs rebuild only when an input changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/default-paths.sh"
out=$EMU_CACHE_ROOT/guests/isos
log() { printf '[build-isos] %s\n' "$*" >&2; }
die() { printf 'build-isos: %s\n' "$*" >&2; exit 1; }

for tool in xorriso grub-mkrescue; do command -v "$tool" >/dev/null || die "$tool is missing (tools/setup.sh installs it)"; done
isolinux_bin=/usr/lib/ISOLINUX/isolinux.bin
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
grub_dir=/usr/lib/grub/i386-pc
for f in "$isolinux_bin" "$ldlinux" "$grub_dir/boot.img"; do [ -f "$f" ] || die "$f is missing (isolinux, syslinux-common, grub-pc-bin)"; done
[ -f "$EMU_GUEST_KERNEL" ] && [ -f "$EMU_GUEST_INITRD" ] || die "the default guest is not built: run images/guests/build-default.sh"

stamp=$(sha256sum "$0" "$EMU_GUEST_KERNEL" "$EMU_GUEST_INITRD" "$isolinux_bin" "$ldlinux" "$grub_dir/boot.img" | sha256sum)
mkdir -p "$out"
if [ -f "$out/isolinux.iso" ] && [ -f "$out/grub.iso" ] && [ "$stamp" = "$(cat "$out/.stamp" 2>/dev/null)" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- ISOLINUX ----------------------------------------------------------------------------------
mkdir -p "$work/iso/isolinux"
cp "$isolinux_bin" "$ldlinux" "$work/iso/isolinux/"
cp "$EMU_GUEST_KERNEL" "$work/iso/isolinux/vmlinuz"
cp "$EMU_GUEST_INITRD" "$work/iso/isolinux/initrd.img"
cat >"$work/iso/isolinux/isolinux.cfg" <<'CFG'
SERIAL 0 115200
SAY emu ISOLINUX test CD: type 'linux' (or wait 3 s) to boot the default guest
PROMPT 1
TIMEOUT 30
DEFAULT linux
LABEL linux
  KERNEL vmlinuz
  APPEND initrd=initrd.img console=ttyS0
CFG
xorriso -as mkisofs -quiet -o "$work/isolinux.iso" -V EMU_ISOLINUX -J -R \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$work/iso"
log "built isolinux.iso ($(stat -c %s "$work/isolinux.iso") bytes)"

# ---- GRUB --------------------------------------------------------------------------------------
mkdir -p "$work/grub/boot/grub"
cp "$EMU_GUEST_KERNEL" "$work/grub/boot/vmlinuz"
cp "$EMU_GUEST_INITRD" "$work/grub/boot/initrd.img"
cat >"$work/grub/boot/grub/grub.cfg" <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=5
menuentry "emu default guest" {
  linux /boot/vmlinuz console=ttyS0
  initrd /boot/initrd.img
}
menuentry "reboot" {
  reboot
}
CFG
grub-mkrescue --directory="$grub_dir" -o "$work/grub.iso" "$work/grub" -- -quiet 2>/dev/null ||
  grub-mkrescue --directory="$grub_dir" -o "$work/grub.iso" "$work/grub"
log "built grub.iso ($(stat -c %s "$work/grub.iso") bytes)"

mv -f "$work/isolinux.iso" "$work/grub.iso" "$out/"
printf '%s\n' "$stamp" >"$out/.stamp"
