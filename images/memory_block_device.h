// A disk held in host memory: for unit tests of disk controllers and of the image formats.
#pragma once
#include <algorithm>
#include <vector>

#include "images/block_device.h"

namespace emu {

class MemoryBlockDevice final : public BlockDevice {
 public:
  explicit MemoryBlockDevice(u64 bytes, bool read_only = false) : data_(bytes), read_only_(read_only) {}
  explicit MemoryBlockDevice(std::vector<u8> data, bool read_only = false)
      : data_(std::move(data)), read_only_(read_only) {}

  u64 size() const override { return data_.size(); }
  bool read_only() const override { return read_only_; }
  BlockStatus read(u64 offset, std::span<u8> out) override {
    if (offset > data_.size() || out.size() > data_.size() - offset) return BlockStatus::OutOfRange;
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
    return BlockStatus::Ok;
  }
  BlockStatus write(u64 offset, std::span<const u8> in) override {
    if (read_only_) return BlockStatus::ReadOnly;
    if (offset > data_.size() || in.size() > data_.size() - offset) return BlockStatus::OutOfRange;
    std::copy(in.begin(), in.end(), data_.begin() + static_cast<std::ptrdiff_t>(offset));
    return BlockStatus::Ok;
  }
  BlockStatus flush() override {
    ++flushes;
    return BlockStatus::Ok;
  }
  std::string describe() const override { return "memory (" + std::to_string(data_.size()) + " bytes)"; }

  std::vector<u8>& data() { return data_; }
  unsigned flushes = 0;

 private:
  std::vector<u8> data_;
  bool read_only_;
};

}  // namespace emu
