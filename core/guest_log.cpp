#include "core/guest_log.h"

namespace emu {

GuestLog& GuestLog::instance() {
  static GuestLog log;
  return log;
}

void GuestLog::log(const char* component, const char* fmt, ...) {
  ++total_;
  // Find this message kind's slot by the format string's address (open addressing).
  const auto key = reinterpret_cast<uintptr_t>(fmt);
  unsigned i = static_cast<unsigned>((key >> 3) % kSlots);
  for (unsigned probe = 0; probe < kSlots; ++probe, i = (i + 1) % kSlots) {
    if (slots_[i].fmt == fmt || slots_[i].fmt == nullptr) break;
  }
  Slot& slot = slots_[i];
  if (slot.fmt == nullptr) slot.fmt = fmt;
  const u64 n = ++slot.count;
  if (n > kBurst) {
    ++suppressed_;
    return;
  }
  if (!enabled_ || !stream_) return;
  std::fprintf(stream_, "guest error [%s]: ", component);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stream_, fmt, ap);
  va_end(ap);
  if (n == kBurst) std::fprintf(stream_, " (further messages of this kind suppressed)");
  std::fputc('\n', stream_);
}

void GuestLog::reset_counts() {
  for (Slot& s : slots_) s = Slot{};
  total_ = suppressed_ = 0;
}

}  // namespace emu
