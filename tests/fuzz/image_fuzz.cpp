// image_fuzz: disk images as hostile input (DESIGN §8). The first byte picks how the rest — the
// image file — is opened: as qcow2, as VMDK, or with the format probed; the image is then read
// at a spread of offsets, and a qcow2 one is also written to, checked and repaired. Truncated
// files, absurd table sizes, offsets past the end, refcount and backing-file loops must give an
// error message, never a crash, a hang or an unbounded allocation.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "images/image.h"
#include "images/qcow2_image.h"

namespace {

// The image lives in an anonymous memory file, opened through its /proc/self/fd path.
struct MemoryFile {
  int fd;
  std::string path;
  explicit MemoryFile(const uint8_t* data, size_t size) {
    fd = static_cast<int>(::memfd_create("image_fuzz", 0));
    if (fd >= 0 && size) (void)!::write(fd, data, size);
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  ~MemoryFile() {
    if (fd >= 0) ::close(fd);
  }
};

void exercise(emu::BlockDevice& dev, bool write) {
  std::vector<emu::u8> buffer(4096);
  const emu::u64 size = dev.size();
  // Reads at the start, the end and a spread in between (the size may be huge and sparse).
  for (unsigned k = 0; k < 64 && size; ++k) {
    const emu::u64 at = (size / 64) * k;
    const emu::u64 n = std::min<emu::u64>(buffer.size(), size - at);
    dev.read(at, std::span(buffer).first(n));
  }
  if (!write || dev.read_only()) return;
  for (unsigned k = 0; k < 8 && size; ++k) {
    const emu::u64 at = (size / 8) * k;
    std::fill(buffer.begin(), buffer.end(), static_cast<emu::u8>(k));
    dev.write(at, std::span(buffer).first(std::min<emu::u64>(buffer.size(), size - at)));
  }
  dev.flush();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* const kFormats[] = {"qcow2", "vmdk", nullptr};
  const char* format = kFormats[data[0] % 3];
  MemoryFile file(data + 1, size - 1);
  if (file.fd < 0) return 0;
  for (const bool writable : {false, true}) {
    emu::ImageOptions o;
    o.path = file.path;
    if (format) o.format = format;
    o.read_only = !writable;
    auto opened = emu::open_image(o);
    if (auto* e = std::get_if<std::string>(&opened)) {
      if (e->empty()) std::abort();  // every refusal says why
      continue;
    }
    emu::BlockDevice& dev = *std::get<emu::OpenedImage>(opened).device;
    exercise(dev, writable);
    if (auto* q = dynamic_cast<emu::Qcow2Image*>(&dev)) {
      q->check(false, false);
      if (writable) q->check(true, true);
    }
  }
  return 0;
}
