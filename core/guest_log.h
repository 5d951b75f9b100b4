// One rate-limited log for guest misuse: a device programmed with garbage, an instruction the CPU
// model does not have, a DMA outside RAM. Any part of emu may write to it; it is shown with
// `-d guest_errors` (QEMU's spelling). The guest can trigger these messages at will, so each
// distinct message format is printed at most kBurst times and then counted silently.
#pragma once
#include <cstdarg>
#include <cstdio>

#include "core/types.h"

namespace emu {

class GuestLog {
 public:
  static GuestLog& instance();

  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  void set_stream(std::FILE* f) { stream_ = f; }

  // printf-style. `fmt` must be a string literal: its address identifies the message kind.
  [[gnu::format(printf, 3, 4)]] void log(const char* component, const char* fmt, ...);

  u64 total() const { return total_; }
  u64 suppressed() const { return suppressed_; }
  void reset_counts();

  static constexpr unsigned kBurst = 10;

 private:
  static constexpr unsigned kSlots = 256;
  struct Slot {
    const char* fmt = nullptr;
    u64 count = 0;
  };
  Slot slots_[kSlots];
  bool enabled_ = false;
  std::FILE* stream_ = stderr;
  u64 total_ = 0;
  u64 suppressed_ = 0;
};

}  // namespace emu
