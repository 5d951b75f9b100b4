// VMware's VMDK, read-only: the hosted sparse extent ("monolithicSparse", grain directory →
// grain tables → grains), its stream-optimized form ("streamOptimized": deflate-compressed
// grains with markers, the grain directory in a footer), and a descriptor file naming one flat
// extent ("monolithicFlat"). Reference: VMware Virtual Disk Format 1.1, "Hosted Sparse Extent
// Header", "Stream-Optimized Compressed Sparse Extents".
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "images/block_device.h"
#include "images/image_file.h"

namespace emu {

class VmdkImage final : public BlockDevice {
 public:
  // Opens a sparse extent or a descriptor file. nullptr and a message naming the problem.
  static std::unique_ptr<VmdkImage> open(ImageFile file, std::string& error);

  u64 size() const override { return capacity_ * 512; }
  bool read_only() const override { return true; }
  BlockStatus read(u64 offset, std::span<u8> out) override;
  BlockStatus write(u64, std::span<const u8>) override { return BlockStatus::ReadOnly; }
  BlockStatus flush() override { return BlockStatus::Ok; }
  std::string last_error() const override { return error_; }
  std::string describe() const override;
  const std::string& subformat() const { return subformat_; }

 private:
  explicit VmdkImage(ImageFile file) : file_(std::move(file)) {}
  std::string load_sparse();
  std::string load_descriptor(const std::string& text);
  bool read_grain(u64 grain, std::vector<u8>& out);

  ImageFile file_;       // the sparse extent or the descriptor
  ImageFile flat_;       // monolithicFlat: the extent
  u64 flat_offset_ = 0;  // bytes into the flat extent
  std::string subformat_;
  u64 capacity_ = 0;  // sectors
  u64 grain_sectors = 0;
  u32 gtes_per_gt_ = 0;
  bool compressed_ = false;
  std::vector<u32> directory_;            // grain table sectors
  std::vector<std::vector<u32>> tables_;  // loaded lazily (empty = not yet)
  u64 cached_grain_ = ~u64{0};
  std::vector<u8> cached_data_;
  std::string error_;
};

}  // namespace emu
