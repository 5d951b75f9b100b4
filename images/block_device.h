// What a disk controller sees of a disk image: a flat array of bytes of a fixed size, read and
// written in whole ranges, flushed on the guest's FLUSH CACHE. The image formats (raw, qcow2,
// VMDK) implement it; the IDE disks and CD-ROMs only ever talk to this interface, so a device
// model never parses an image format and an image driver never knows about ATA.
#pragma once
#include <span>
#include <string>

#include "core/types.h"

namespace emu {

enum class BlockStatus : u8 {
  Ok,
  OutOfRange,  // [offset, offset + length) is not inside the device
  ReadOnly,    // a write to a read-only device (a CD-ROM, readonly=on)
  IoError,     // the host file failed, or the image is corrupt at that place; see last_error()
};

const char* to_string(BlockStatus s);

class BlockDevice {
 public:
  virtual ~BlockDevice() = default;

  // The guest-visible size in bytes.
  virtual u64 size() const = 0;
  virtual bool read_only() const = 0;

  // Whole-range transfers; a failed transfer may have moved part of the data.
  virtual BlockStatus read(u64 offset, std::span<u8> out) = 0;
  virtual BlockStatus write(u64 offset, std::span<const u8> in) = 0;
  // Makes every completed write durable (fsync of the image file and its metadata).
  virtual BlockStatus flush() = 0;

  // The reason for the last IoError, for the log and the monitor.
  virtual std::string last_error() const { return {}; }
  // One line for `info block`: format, file name, size, backing chain.
  virtual std::string describe() const = 0;
};

}  // namespace emu
