// The raw format: the file is the disk, byte for byte.
#pragma once
#include <memory>

#include "images/block_device.h"
#include "images/image_file.h"

namespace emu {

class RawImage final : public BlockDevice {
 public:
  explicit RawImage(ImageFile file) : file_(std::move(file)), size_(file_.size()) {}

  u64 size() const override { return size_; }
  bool read_only() const override { return !file_.writable(); }
  BlockStatus read(u64 offset, std::span<u8> out) override;
  BlockStatus write(u64 offset, std::span<const u8> in) override;
  BlockStatus flush() override;
  std::string last_error() const override { return error_; }
  std::string describe() const override;

  // For emu-img resize: grows or shrinks the file.
  bool resize(u64 bytes);

 private:
  ImageFile file_;
  u64 size_;
  std::string error_;
};

// A guest-written raw image whose format was guessed: writes to sector 0 that would make it
// look like a qcow2 or VMDK image are refused (QEMU's rule — a guest must not be able to turn
// its disk into an image that names host files as its backing file).
class ProbedRawGuard final : public BlockDevice {
 public:
  explicit ProbedRawGuard(std::unique_ptr<BlockDevice> raw) : raw_(std::move(raw)) {}
  u64 size() const override { return raw_->size(); }
  bool read_only() const override { return raw_->read_only(); }
  BlockStatus read(u64 offset, std::span<u8> out) override { return raw_->read(offset, out); }
  BlockStatus write(u64 offset, std::span<const u8> in) override;
  BlockStatus flush() override { return raw_->flush(); }
  std::string last_error() const override { return error_.empty() ? raw_->last_error() : error_; }
  std::string describe() const override { return raw_->describe() + " (format probed)"; }

 private:
  std::unique_ptr<BlockDevice> raw_;
  std::string error_;
};

// Whether the first bytes of an image are a format's magic (qcow2, VMDK sparse or descriptor).
bool looks_like_image_header(std::span<const u8> first_bytes);

}  // namespace emu
