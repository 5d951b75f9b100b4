#!/usr/bin/env bash
# Builds emu's default guest from Debian i386 packages into the cache outside git
# (paths: images/guests/default-paths.sh; what and why: images/guests/README.md).
#
# usage: build-default.sh [--force] [--no-system-map] [--with-vmlinux]
#   --force          rebuild even if the outputs are up to date
#   --no-system-map  skip the kernel's -dbg package (762 MB download): no System.map
#   --with-vmlinux   also extract the kernel ELF with DWARF (vmlinux-debug) for gdb
#   KERNEL_PKG=linux-image-X-686  pin the kernel instead of following linux-image-686:i386
#
# Outputs: vmlinuz, initrd.img, System.map, guest-info.txt (and vmlinux-debug).
# Packages are fetched with `apt-get download` into $EMU_PACKAGE_CACHE once and reused offline.
# Re-runs compare a stamp of the inputs (package files and this recipe) and exit at once when
# nothing changed. Requires Debian 12 with the i386 architecture added and `apt-get update` done
# (tools/setup.sh does both).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=images/guests/default-paths.sh source-path=SCRIPTDIR
. "$here/default-paths.sh"

force=0
with_system_map=1
with_vmlinux=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --no-system-map) with_system_map=0 ;;
    --with-vmlinux) with_vmlinux=1 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "build-default.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
if [ $with_vmlinux = 1 ] && [ $with_system_map = 0 ]; then
  echo "build-default.sh: --with-vmlinux needs the -dbg package; drop --no-system-map" >&2
  exit 2
fi

log() { printf '[build-default] %s\n' "$*" >&2; }
die() { printf '[build-default] error: %s\n' "$*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb tar python3 sha256sum depmod modprobe; do
  command -v "$tool" >/dev/null || die "$tool not found (run tools/setup.sh)"
done

# ------------------------------------------------------------------------- packages
# The kernel: the package linux-image-686:i386 currently depends on, e.g. linux-image-6.1.0-50-686.
if [ -z "${KERNEL_PKG:-}" ]; then
  KERNEL_PKG=$(apt-cache depends linux-image-686:i386 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ { sub(/:i386$/, "", $2); print $2; exit }')
  [ -n "$KERNEL_PKG" ] || die "cannot resolve linux-image-686:i386 (i386 architecture added? apt-get update done?)"
fi
kver=${KERNEL_PKG#linux-image-} # the kernel release, e.g. 6.1.0-50-686

mkdir -p "$EMU_PACKAGE_CACHE"
# cached_deb PKG: the newest PKG_*_i386.deb in the package cache, or nothing.
cached_deb() {
  local f
  for f in "$EMU_PACKAGE_CACHE/$1"_*_i386.deb; do [ -f "$f" ] && printf '%s\n' "$f"; done | sort -V | tail -n 1
}
# fetch_deb PKG: prints the cached .deb's path, downloading it first if there is none.
fetch_deb() {
  local deb
  deb=$(cached_deb "$1")
  if [ -z "$deb" ]; then
    log "downloading $1:i386"
    (cd "$EMU_PACKAGE_CACHE" && apt-get download -q "$1:i386") >"$EMU_PACKAGE_CACHE/apt-download.log" 2>&1 ||
      { cat "$EMU_PACKAGE_CACHE/apt-download.log" >&2; die "apt-get download $1:i386 failed"; }
    deb=$(cached_deb "$1")
    [ -n "$deb" ] || die "apt-get download $1:i386 left no .deb in $EMU_PACKAGE_CACHE"
  fi
  printf '%s\n' "$deb"
}
kernel_deb=$(fetch_deb "$KERNEL_PKG")
busybox_deb=$(fetch_deb busybox-static)
dbg_deb=
[ $with_system_map = 1 ] && dbg_deb=$(fetch_deb "$KERNEL_PKG-dbg")

# ---------------------------------------------------------------------- up to date?
# The stamp names every input: the package files, the options and the recipe's own files.
recipe_files=("$here/build-default.sh" "$here/default-paths.sh" "$here/mkinitramfs.py")
while IFS= read -r f; do recipe_files+=("$f"); done < <(find "$here/default-rootfs" -type f | sort)
stamp=$(
  for deb in "$kernel_deb" "$busybox_deb" $dbg_deb; do echo "$(basename "$deb") $(stat -c %s "$deb")"; done
  echo "system_map=$with_system_map vmlinux=$with_vmlinux"
  for f in "${recipe_files[@]}"; do
    echo "${f#"$here"/} $(sha256sum <"$f" | cut -d' ' -f1) $(stat -c %a "$f")"
  done
)
outputs=("$EMU_GUEST_KERNEL" "$EMU_GUEST_INITRD" "$EMU_GUEST_INFO")
[ $with_system_map = 1 ] && outputs+=("$EMU_GUEST_SYSTEM_MAP")
[ $with_vmlinux = 1 ] && outputs+=("$EMU_GUEST_VMLINUX")
up_to_date=1
[ -f "$EMU_GUEST_DIR/.stamp" ] && [ "$stamp" = "$(cat "$EMU_GUEST_DIR/.stamp")" ] || up_to_date=0
for f in "${outputs[@]}"; do [ -f "$f" ] || up_to_date=0; done
if [ $force = 0 ] && [ $up_to_date = 1 ]; then
  log "up to date: $EMU_GUEST_DIR"
  exit 0
fi

# ---------------------------------------------------------------------------- build
mkdir -p "$EMU_GUEST_DIR"
work=$EMU_GUEST_DIR/.build
rm -rf "$work"
mkdir -p "$work/kernel" "$work/busybox" "$work/dbg" "$work/out"
trap 'rm -rf "$work"' EXIT

log "kernel $(basename "$kernel_deb"), busybox $(basename "$busybox_deb")"
dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$work/kernel" "./boot/vmlinuz-$kver" "./boot/config-$kver"
dpkg-deb --fsys-tarfile "$busybox_deb" | tar -x -C "$work/busybox" ./bin/busybox
cp "$work/kernel/boot/vmlinuz-$kver" "$work/out/vmlinuz"
cp "$work/kernel/boot/config-$kver" "$work/out/config"

if [ $with_system_map = 1 ]; then
  # The kernel package's /boot/System.map is a placeholder ("The real System.map is in the
  # linux-image-<version>-dbg package"). The real one sits near the start of the -dbg archive:
  # tar stops after the members asked for, so only that part is decompressed (dpkg-deb then
  # sees a broken pipe, which is expected; the members' presence is what counts).
  members=("./usr/lib/debug/boot/System.map-$kver")
  [ $with_vmlinux = 1 ] && members+=("./usr/lib/debug/boot/vmlinux-$kver")
  log "extracting ${members[*]##*/} from $(basename "$dbg_deb")"
  (
    set +o pipefail
    dpkg-deb --fsys-tarfile "$dbg_deb" 2>/dev/null | tar -x -C "$work/dbg" --occurrence=1 "${members[@]}"
  ) || true
  [ -s "$work/dbg/usr/lib/debug/boot/System.map-$kver" ] || die "no System.map-$kver in $dbg_deb"
  cp "$work/dbg/usr/lib/debug/boot/System.map-$kver" "$work/out/System.map"
  if [ $with_vmlinux = 1 ]; then
    [ -s "$work/dbg/usr/lib/debug/boot/vmlinux-$kver" ] || die "no vmlinux-$kver in $dbg_deb"
    mv "$work/dbg/usr/lib/debug/boot/vmlinux-$kver" "$work/out/vmlinux-debug"
  fi
fi

# Kernel modules for the PC's disks, CD-ROMs, network card and PS/2 mouse (Debian builds these drivers as
# modules): each wanted module with its dependencies, in load order, from modprobe's own
# resolution over the package's tree (depmod -b builds the index the package leaves to its
# postinst). /init insmods /etc/modules.list in order. crc32c-intel needs SSE4.2, which emu's
# CPU does not have: crc32c_generic serves instead.
modules_wanted="ata_piix sd_mod sr_mod isofs ext4 pcnet32 psmouse"
modules_skip="crc32c-intel"
log "collecting modules: $modules_wanted"
dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$work/kernel" "./lib/modules/$kver"
depmod -b "$work/kernel" "$kver"
rootfs="$work/rootfs"
cp -a "$here/default-rootfs" "$rootfs"
mkdir -p "$rootfs/etc" "$rootfs/lib/modules/$kver"
: >"$rootfs/etc/modules.list"
for m in $modules_wanted; do
  modprobe -d "$work/kernel" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' |
    while read -r path; do
      rel=${path#"$work/kernel/lib/modules/$kver/"}
      case " $modules_skip " in *" $(basename "$rel" .ko) "*) continue ;; esac
      grep -qxF "$rel" "$rootfs/etc/modules.list" && continue
      mkdir -p "$rootfs/lib/modules/$kver/$(dirname "$rel")"
      cp "$path" "$rootfs/lib/modules/$kver/$rel"
      echo "$rel" >>"$rootfs/etc/modules.list"
    done
done
log "modules: $(wc -l <"$rootfs/etc/modules.list") files"

python3 "$here/mkinitramfs.py" --busybox "$work/busybox/bin/busybox" --rootfs "$rootfs" \
  --output "$work/out/initrd.img" >&2

# guest-info.txt: what went in, and the outputs' checksums.
{
  echo "# emu default guest, built by images/guests/build-default.sh"
  echo "kernel_package=$KERNEL_PKG"
  echo "kernel_version=$(dpkg-deb -f "$kernel_deb" Version)"
  echo "kernel_release=$kver"
  echo "busybox_package=busybox-static"
  echo "busybox_version=$(dpkg-deb -f "$busybox_deb" Version)"
  [ -n "$dbg_deb" ] && echo "dbg_package=$KERNEL_PKG-dbg $(dpkg-deb -f "$dbg_deb" Version)"
  echo "# sha256 of the packages"
  for deb in "$kernel_deb" "$busybox_deb" $dbg_deb; do
    echo "$(sha256sum <"$deb" | cut -d' ' -f1)  $(basename "$deb")"
  done
  echo "# sha256 of the outputs"
  (cd "$work/out" && sha256sum -- *)
} >"$work/guest-info.txt"
mv "$work/guest-info.txt" "$work/out/"

# Move the outputs in place (each rename is atomic); stale optional outputs go.
rm -f "$EMU_GUEST_SYSTEM_MAP" "$EMU_GUEST_VMLINUX"
for f in "$work/out"/*; do mv -f "$f" "$EMU_GUEST_DIR/"; done
printf '%s\n' "$stamp" >"$EMU_GUEST_DIR/.stamp"
log "built $EMU_GUEST_DIR: $(cd "$EMU_GUEST_DIR" && echo *)"
