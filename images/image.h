// Opening disk images: the format named or recognised, backing chains, -snapshot overlays.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "images/block_device.h"

namespace emu {

struct ImageOptions {
  std::string path;
  std::optional<std::string> format;  // raw, qcow2, vmdk; unset: recognise by magic
  bool read_only = false;
  bool snapshot = false;                      // writes go to a temporary qcow2 overlay
  std::optional<std::string> backing_format;  // qemu-img's -F: the backing file's format
};

struct OpenedImage {
  std::unique_ptr<BlockDevice> device;
  std::string format;
  bool probed_raw = false;  // the format was guessed as raw (sector 0 is then guarded)
  std::vector<std::string> warnings;
};

// Without a format, qcow2 ("QFI\xfb") and VMDK ("KDMV", "# Disk DescriptorFile") are recognised
// by their magic and anything else opens raw, with QEMU's warning, and the guest may not write
// an image magic into sector 0 (a probed raw image must never turn into a qcow2 that names host
// files). Backing files are followed only when their format is recorded or given, relative
// names resolve from the overlay's folder, and a chain is at most kMaxBackingDepth long with
// no file twice. Writable images are locked (emu_image_file.h).
std::variant<OpenedImage, std::string> open_image(const ImageOptions& options);

// The format a file's first bytes say it has: "qcow2", "vmdk", or "raw".
std::string probe_format(const std::string& path, std::string& error);

inline constexpr unsigned kMaxBackingDepth = 16;

}  // namespace emu
