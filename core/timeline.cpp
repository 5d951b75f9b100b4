#include "core/timeline.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "core/serializer.h"

namespace emu {

namespace {

u64 host_monotonic_ns() {
  return static_cast<u64>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace

u64 Timeline::source_reading() const {
  switch (source_) {
    case Source::Manual: return 0;
    case Source::Instructions: return *instructions_ << shift_;
    case Source::Host: return host_monotonic_ns() - host_origin_ns_;
    case Source::Paced:
      return epoch_reading_ + static_cast<u64>(static_cast<double>(*instructions_ - epoch_instructions_) * rate_ns_);
  }
  return 0;
}

u64 Timeline::now() const {
  // The bias is chosen with wrap-around arithmetic, so the sum is exact even when a source's
  // reading was larger than the time it was attached at.
  u64 t = bias_ns_ + source_reading();
  if (source_ == Source::Host && !queue_.empty()) t = std::min(t, queue_.begin()->first.first);
  last_now_ = std::max(last_now_, t);
  return last_now_;
}

void Timeline::set_now(u64 ns) {
  bias_ns_ = ns - source_reading();
  last_now_ = ns;
}

void Timeline::use_instruction_clock(const u64* instructions, unsigned shift) {
  const u64 t = now();
  source_ = Source::Instructions;
  instructions_ = instructions;
  shift_ = std::min(shift, kMaxShift);
  set_now(t);
}

void Timeline::use_host_clock() {
  const u64 t = now();
  source_ = Source::Host;
  instructions_ = nullptr;
  host_origin_ns_ = host_monotonic_ns();
  set_now(t);
}

void Timeline::use_paced_clock(const u64* instructions) {
  const u64 t = now();
  source_ = Source::Paced;
  instructions_ = instructions;
  epoch_instructions_ = *instructions;
  epoch_reading_ = 0;
  host_origin_ns_ = epoch_host_ns_ = host_monotonic_ns();
  host_bias_ns_ = t;
  idle_host_ns_ = 0;
  set_now(t);
}

void Timeline::pace() {
  if (source_ != Source::Paced) return;
  const u64 host = host_monotonic_ns();
  const u64 host_elapsed = host - epoch_host_ns_;
  if (host_elapsed < kPaceEpochNs) return;
  const u64 instructions = *instructions_ - epoch_instructions_;
  const u64 t = now();
  i64 behind = static_cast<i64>(host_virtual(host) - t);
  if (behind > static_cast<i64>(kMaxLagNs)) {
    host_bias_ns_ -= static_cast<u64>(behind) - kMaxLagNs;
    behind = static_cast<i64>(kMaxLagNs);
  }
  // The rate that would have matched the host while the CPU ran (sleeping in idle() moved both
  // clocks together), corrected by a quarter of the gap per epoch, never below a quarter of it.
  const double running = static_cast<double>(host_elapsed - std::min(idle_host_ns_, host_elapsed));
  // A new epoch starts at the current reading (taken at the old rate), so the clock stays
  // continuous.
  epoch_reading_ = source_reading();
  epoch_instructions_ = *instructions_;
  epoch_host_ns_ = host;
  idle_host_ns_ = 0;
  if (instructions >= 10'000 && running > 0) {
    const double target = std::max(running + static_cast<double>(behind) / 4, running / 4);
    rate_ns_ = std::clamp(target / static_cast<double>(instructions), 0.05, 10'000.0);
  }
}

Timeline::EventId Timeline::schedule(u64 when_ns, Callback callback) {
  const EventId id = next_id_++;
  queue_.emplace(std::make_pair(when_ns, id), std::move(callback));
  when_of_.emplace(id, when_ns);
  return id;
}

bool Timeline::cancel(EventId id) {
  const auto it = when_of_.find(id);
  if (it == when_of_.end()) return false;
  queue_.erase(std::make_pair(it->second, id));
  when_of_.erase(it);
  return true;
}

void Timeline::advance_to(u64 ns) {
  // Events due by the time this advance started; an event a callback schedules for later than
  // that waits for the next advance even if the host clock has moved on meanwhile.
  const u64 target = std::max(ns, now());
  while (!queue_.empty()) {
    const auto first = queue_.begin();
    const auto [when, id] = first->first;
    if (when > target) break;
    // A callback sees at least its own time as now(). The manual clock, and any clock skipping
    // ahead (a halted CPU's advance to its next event under -icount), walk through the events;
    // otherwise the clock has already passed the event (it runs as late as the CPU let it). A
    // device that re-arms from now() would otherwise schedule the same past deadline forever.
    if (when > now()) set_now(when);
    // Remove before running: the callback may schedule (even at this same time) or cancel.
    Callback callback = std::move(first->second);
    queue_.erase(first);
    when_of_.erase(id);
    callback(when);
  }
  if (target > now()) set_now(target);
}

std::optional<u64> Timeline::next_event_ns() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first.first;
}

std::optional<u64> Timeline::instructions_until_next_event() const {
  if ((source_ != Source::Instructions && source_ != Source::Paced) || queue_.empty()) return std::nullopt;
  const u64 when = queue_.begin()->first.first;
  const u64 t = now();
  if (when <= t) return 0;
  if (source_ == Source::Paced) return static_cast<u64>(static_cast<double>(when - t) / rate_ns_) + 1;
  // Round up: the event is due after the instruction that reaches or passes its deadline.
  const u64 per_insn = u64{1} << shift_;
  return (when - t + per_insn - 1) >> shift_;
}

bool Timeline::idle(u64 max_wait_ns) {
  const std::optional<u64> next = next_event_ns();
  if (source_ == Source::Paced) {
    // A halted guest runs in real time: the clock jumps to the next event once the host has
    // reached it (or at once if the clock lags the host), and until then the thread sleeps —
    // at most `max_wait_ns`, or until input arrives.
    const u64 host = host_monotonic_ns();
    const u64 reached = std::max(now(), host_virtual(host));
    if (next && *next <= reached) {
      advance_to(*next);
      return true;
    }
    const u64 wait_ns = next ? std::min(*next - reached, max_wait_ns) : max_wait_ns;
    host_wait(wait_ns);
    idle_host_ns_ += host_monotonic_ns() - host;
    return true;
  }
  if (source_ != Source::Host) {
    // Deterministic: nothing runs on host time, so a halted CPU skips straight to its next
    // event (QEMU's icount warp). Without an event the machine would halt forever.
    if (!next) return false;
    advance_to(*next);
    return true;
  }
  const u64 t = now();
  u64 wait_ns = max_wait_ns;
  if (next) wait_ns = *next > t ? std::min(*next - t, max_wait_ns) : 0;
  host_wait(wait_ns);
  run_due();
  return true;
}

void Timeline::wake() {
  {
    std::lock_guard lock(wake_mutex_);
    wake_requested_ = true;
  }
  wake_cv_.notify_one();
  if (const int fd = wake_fd_; fd >= 0) {
    const uint64_t one = 1;
    (void)!write(fd, &one, sizeof one);
  }
}

Timeline::~Timeline() {
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Timeline::set_wait_fds(WaitFds fds) {
  if (wake_fd_ < 0) wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  wait_fds_ = std::move(fds);
}

// Sleeps up to `wait_ns` or until wake(): on the condition variable, or — with host descriptors
// to watch — in ppoll() on them and the wake eventfd.
void Timeline::host_wait(u64 wait_ns) {
  std::unique_lock lock(wake_mutex_);
  if (!wait_fds_ || wake_fd_ < 0) {
    wake_cv_.wait_for(lock, std::chrono::nanoseconds(wait_ns), [this] { return wake_requested_; });
    wake_requested_ = false;
    return;
  }
  if (wake_requested_) {
    wake_requested_ = false;
    return;
  }
  lock.unlock();
  poll_fds_.clear();
  poll_fds_.push_back({wake_fd_, POLLIN, 0});
  wait_fds_(poll_fds_);
  const timespec timeout = {static_cast<time_t>(wait_ns / kNsPerSecond), static_cast<long>(wait_ns % kNsPerSecond)};
  if (ppoll(poll_fds_.data(), poll_fds_.size(), &timeout, nullptr) > 0 && (poll_fds_[0].revents & POLLIN)) {
    uint64_t count;
    (void)!read(wake_fd_, &count, sizeof count);
  }
  lock.lock();
  wake_requested_ = false;
}

void Timeline::serialize(StateVisitor& v) {
  u64 t = now();
  v.field("now_ns", t);
  // Any time is acceptable; a load may move time backwards (restoring an earlier state).
  if (v.loading() && v.ok()) set_now(t);
}

}  // namespace emu
