#include "images/block_device.h"

namespace emu {

const char* to_string(BlockStatus s) {
  switch (s) {
    case BlockStatus::Ok: return "ok";
    case BlockStatus::OutOfRange: return "out of range";
    case BlockStatus::ReadOnly: return "read-only";
    case BlockStatus::IoError: return "I/O error";
  }
  return "?";
}

}  // namespace emu
