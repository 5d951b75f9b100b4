# The one place that says where the default guest lives. POSIX sh; source it:
#
#   . images/guests/default-paths.sh
#   emu -nographic -m 256 -kernel "$EMU_GUEST_KERNEL" -initrd "$EMU_GUEST_INITRD" -append console=ttyS0
#
# The guest is built by images/guests/build-default.sh into a cache outside git. Nothing here is
# exported: a script that runs children with these paths exports what it needs.
# Python callers: tests/boot/bootlib.py reads these variables by sourcing this file with sh.
# shellcheck shell=sh disable=SC2034  # the variables are for whoever sources this file

# The cache root, shared with the other outside-git caches (Debian packages, fuzz corpora).
EMU_CACHE_ROOT=${EMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/emu}
# Debian .deb files fetched with `apt-get download` (also used by tests/decoder/run_full.sh).
EMU_PACKAGE_CACHE=$EMU_CACHE_ROOT/packages

EMU_GUEST_DIR=$EMU_CACHE_ROOT/guests/default
EMU_GUEST_KERNEL=$EMU_GUEST_DIR/vmlinuz        # bzImage of Debian's linux-image-686 (i386)
EMU_GUEST_INITRD=$EMU_GUEST_DIR/initrd.img     # gzip'd newc cpio: busybox + /init
EMU_GUEST_SYSTEM_MAP=$EMU_GUEST_DIR/System.map # the kernel's symbols (from the -dbg package)
EMU_GUEST_INFO=$EMU_GUEST_DIR/guest-info.txt   # package versions and sha256 of the above
EMU_GUEST_VMLINUX=$EMU_GUEST_DIR/vmlinux-debug # ELF with DWARF; only with --with-vmlinux
