#include "images/image.h"

#include <limits.h>
#include <stdlib.h>

#include <cstring>
#include <set>

#include "images/image_file.h"
#include "images/qcow2_image.h"
#include "images/raw_image.h"
#include "images/vmdk_image.h"

namespace emu {

namespace {

std::string canonical(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
}

std::variant<OpenedImage, std::string> open_chain(const ImageOptions& o, unsigned depth, std::set<std::string>& seen) {
  if (depth > kMaxBackingDepth)
    return "backing chain longer than " + std::to_string(kMaxBackingDepth) + " files at '" + o.path + "'";
  const std::string real = canonical(o.path);
  if (!seen.insert(real).second) return "backing file loop: '" + o.path + "' is already in the chain";

  OpenedImage opened;
  std::string error;
  if (o.format) {
    opened.format = *o.format;
  } else {
    opened.format = probe_format(o.path, error);
    if (!error.empty()) return error;
    // Probing is only dangerous where the guest can write (QEMU warns for those alone).
    if (opened.format == "raw" && !o.read_only) {
      opened.probed_raw = true;
      opened.warnings.push_back("WARNING: Image format was not specified for '" + o.path +
                                "' and probing guessed raw.\n"
                                "         Automatically detecting the format is dangerous for raw images, write "
                                "operations on block 0 will be restricted.\n"
                                "         Specify the 'raw' format explicitly to remove the restrictions.");
    }
  }
  const bool writable = !o.read_only && opened.format != "vmdk";
  if (o.read_only == false && opened.format == "vmdk") return "'" + o.path + "': VMDK images are read-only in emu";
  ImageFile file;
  if (std::string e = file.open(o.path, writable); !e.empty()) return e;

  if (opened.format == "raw") {
    std::unique_ptr<BlockDevice> raw = std::make_unique<RawImage>(std::move(file));
    if (opened.probed_raw && writable) raw = std::make_unique<ProbedRawGuard>(std::move(raw));
    opened.device = std::move(raw);
  } else if (opened.format == "qcow2") {
    auto opener = [&](const std::string& path, const std::string& format, std::unique_ptr<BlockDevice>& out) {
      ImageOptions backing;
      backing.path = path;
      backing.format = format;
      backing.read_only = true;
      auto r = open_chain(backing, depth + 1, seen);
      if (auto* e = std::get_if<std::string>(&r)) return *e;
      out = std::move(std::get<OpenedImage>(r).device);
      return std::string();
    };
    auto image = Qcow2Image::open(std::move(file), opener, o.backing_format.value_or(""), error);
    if (!image) return error;
    opened.device = std::move(image);
  } else if (opened.format == "vmdk") {
    auto image = VmdkImage::open(std::move(file), error);
    if (!image) return error;
    opened.device = std::move(image);
  } else {
    return "'" + opened.format + "' is not an image format emu has (raw, qcow2, vmdk)";
  }
  return opened;
}

}  // namespace

std::string probe_format(const std::string& path, std::string& error) {
  ImageFile file;
  if (std::string e = file.open(path, false); !e.empty()) {
    error = e;
    return {};
  }
  u8 head[32] = {};
  const u64 n = std::min<u64>(sizeof head, file.size());
  if (n) file.read(0, head, n);
  const std::span<const u8> bytes(head, n);
  auto starts = [&](const char* magic) { return n >= strlen(magic) && memcmp(head, magic, strlen(magic)) == 0; };
  if (starts("QFI\xfb")) return "qcow2";
  if (starts("KDMV") || starts("# Disk DescriptorFile")) return "vmdk";
  (void)bytes;
  return "raw";
}

std::variant<OpenedImage, std::string> open_image(const ImageOptions& o) {
  std::set<std::string> seen;
  if (!o.snapshot) return open_chain(o, 0, seen);

  // -snapshot: the image opens read-only under a temporary qcow2 overlay, unlinked at once.
  ImageOptions base_options = o;
  base_options.read_only = true;
  base_options.snapshot = false;
  auto base = open_chain(base_options, 0, seen);
  if (auto* e = std::get_if<std::string>(&base)) return *e;
  OpenedImage opened = std::move(std::get<OpenedImage>(base));
  ImageFile overlay;
  if (std::string e = overlay.create_temporary(); !e.empty()) return e;
  Qcow2Image::CreateOptions create;
  create.size = opened.device->size();
  create.backing_file = canonical(o.path);
  create.backing_format = opened.format;
  if (std::string e = Qcow2Image::create(overlay, create); !e.empty()) return "-snapshot overlay: " + e;
  std::unique_ptr<BlockDevice> base_device = std::move(opened.device);
  auto reuse_base = [&](const std::string&, const std::string&, std::unique_ptr<BlockDevice>& out) {
    out = std::move(base_device);
    return std::string();
  };
  std::string error;
  auto image = Qcow2Image::open(std::move(overlay), reuse_base, "", error);
  if (!image) return "-snapshot overlay: " + error;
  opened.device = std::move(image);
  opened.format = "qcow2 (snapshot of " + opened.format + ")";
  return opened;
}

}  // namespace emu
