#include "images/raw_image.h"

#include <cstring>

#include "core/guest_log.h"

namespace emu {

BlockStatus RawImage::read(u64 offset, std::span<u8> out) {
  if (offset > size_ || out.size() > size_ - offset) return BlockStatus::OutOfRange;
  if (file_.read(offset, out.data(), out.size())) return BlockStatus::Ok;
  error_ = file_.path() + ": " + file_.error();
  return BlockStatus::IoError;
}

BlockStatus RawImage::write(u64 offset, std::span<const u8> in) {
  if (!file_.writable()) return BlockStatus::ReadOnly;
  if (offset > size_ || in.size() > size_ - offset) return BlockStatus::OutOfRange;
  if (file_.write(offset, in.data(), in.size())) return BlockStatus::Ok;
  error_ = file_.path() + ": " + file_.error();
  return BlockStatus::IoError;
}

BlockStatus RawImage::flush() {
  if (!file_.writable() || file_.flush()) return BlockStatus::Ok;
  error_ = file_.path() + ": " + file_.error();
  return BlockStatus::IoError;
}

bool RawImage::resize(u64 bytes) {
  if (!file_.truncate(bytes)) {
    error_ = file_.path() + ": " + file_.error();
    return false;
  }
  size_ = bytes;
  return true;
}

std::string RawImage::describe() const {
  return file_.path() + " (raw, " + std::to_string(size_) + " bytes" + (file_.writable() ? ")" : ", read-only)");
}

bool looks_like_image_header(std::span<const u8> b) {
  auto starts = [&](const char* magic) {
    const size_t n = std::strlen(magic);
    return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
  };
  return starts("QFI\xfb") || starts("KDMV") || starts("# Disk DescriptorFile") || starts("COWD");
}

BlockStatus ProbedRawGuard::write(u64 offset, std::span<const u8> in) {
  if (offset == 0 && looks_like_image_header(in)) {
    error_ = "a write of an image format's header to sector 0 of a raw image whose format was probed";
    GuestLog::instance().log("block", "refused: the guest wrote an image header into sector 0 of a probed raw image");
    return BlockStatus::IoError;
  }
  error_.clear();
  return raw_->write(offset, in);
}

}  // namespace emu
