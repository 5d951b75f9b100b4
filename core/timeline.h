// The virtual clock and the timeline of device events (DESIGN §5).
//
// Virtual time is a count of nanoseconds since the machine was created. It is read from one of
// three sources:
//   - a manual clock (the default): time moves only when advance_to() is called — unit tests;
//   - the instruction clock (`-icount shift=N`, QEMU's spelling): every retired instruction is
//     2^N ns, so time is a function of the guest's own progress and two runs of the same guest
//     see the same times — tests, teaching labs, later record/replay;
//   - the host clock: virtual time follows the host's monotonic clock;
//   - the paced instruction clock (real-time mode, QEMU's `-icount shift=auto` idea): time is
//     retired instructions times a rate, and the rate is re-estimated every few milliseconds of
//     host time so that virtual time keeps up with the host clock on average. Between
//     re-estimates time is a function of the guest's progress, so a slow or descheduled emulator
//     never makes the guest's clocks disagree (Linux calibrates its TSC against the PIT and
//     distrusts clocks that jump) and device events fall on exact instructions.
// Whatever the source, now() never goes backwards: skipping ahead (advance_to() past the
// source's reading, as a halted CPU does to reach its next timer) adds a bias to the source.
//
// Devices schedule callbacks at absolute virtual times. advance_to() runs every event that is
// due, earliest first, events at the same time in the order they were scheduled. A callback
// receives the time it was scheduled for, so a periodic device can schedule its next event
// from its own deadline without drift, even when the machine ran the event a little late.
//
// Events are not saved: each device saves its own deadlines and schedules again after a load.
#pragma once
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/types.h"

namespace emu {

class StateVisitor;

class Timeline {
 public:
  using EventId = u64;  // 0 is never a valid id
  using Callback = std::function<void(u64 deadline_ns)>;
  enum class Source : u8 { Manual, Instructions, Host, Paced };

  static constexpr u64 kNsPerSecond = 1'000'000'000;

  Timeline() = default;
  ~Timeline();
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

  // Deterministic mode: time = 2^shift ns per instruction counted in `*instructions` (the
  // CPU's `counters.instructions`). The counter must outlive the timeline. The current time is
  // kept: switching sources never moves time.
  void use_instruction_clock(const u64* instructions, unsigned shift);
  // Time follows the host's monotonic clock from now on.
  void use_host_clock();
  // Real-time mode for a machine: the paced instruction clock over `*instructions`.
  void use_paced_clock(const u64* instructions);
  // Paced clock: re-estimates the rate when an epoch (kPaceEpochNs of host time) has passed;
  // the machine's run loop calls it between CPU slices. Lag beyond kMaxLagNs is dropped, as if
  // the machine had been paused.
  void pace();
  static constexpr u64 kPaceEpochNs = 10'000'000;
  static constexpr u64 kMaxLagNs = 200'000'000;
  double ns_per_instruction() const { return rate_ns_; }
  Source source() const { return source_; }
  unsigned icount_shift() const { return shift_; }
  // QEMU accepts shift values 0..10 (1 ns .. ~1 µs per instruction).
  static constexpr unsigned kMaxShift = 10;

  // The current virtual time. With the host clock it never passes an event that has not run
  // yet: when the machine falls behind, time waits at the event's deadline until it runs, so a
  // device never skips a tick.
  u64 now() const;

  // Schedules `callback` to run once when virtual time reaches `when_ns` (a time in the past
  // runs at the next advance). Returns the event's id for cancel().
  EventId schedule(u64 when_ns, Callback callback);
  // Schedules `delay_ns` from now.
  EventId schedule_in(u64 delay_ns, Callback callback) { return schedule(now() + delay_ns, std::move(callback)); }
  // Removes a pending event; false if it already ran, was cancelled, or never existed.
  bool cancel(EventId id);
  bool pending(EventId id) const { return when_of_.count(id) != 0; }
  std::size_t pending_count() const { return queue_.size(); }

  // Moves virtual time to at least `ns` (never backwards) and runs every event due by then.
  // Callbacks may schedule and cancel events, including ones due in this same advance. With
  // the manual clock, time steps through the events (a callback's now() is its deadline).
  void advance_to(u64 ns);
  // Charges `ns` of virtual time that passes without instructions retiring (a slow bus cycle)
  // to the instruction clocks; the host clock measures such time by itself.
  void stall(u64 ns) {
    if (source_ == Source::Instructions || source_ == Source::Paced) bias_ns_ += ns;
  }
  // Makes now() read `ns` from this moment on, without running events: a paused machine's clock
  // resumes where it stopped instead of jumping over the pause. `ns` must not be in the past.
  void rebase(u64 ns) { set_now(std::max(ns, last_now_)); }
  // Runs the events that are due at the clock's current reading.
  void run_due() { advance_to(now()); }

  // When the earliest pending event is due, if there is one — a halted CPU sleeps until then
  // (real time) or skips straight to it (deterministic time).
  std::optional<u64> next_event_ns() const;

  // How many instructions the CPU may retire before the next event is due, in deterministic
  // mode (at least 1 while an event lies in the future, 0 when one is due); nullopt when no
  // event is pending or time does not come from instructions. The machine uses it as the
  // CPU's run budget so events fire at exactly the instruction where they fall due.
  std::optional<u64> instructions_until_next_event() const;

  // A halted CPU with nothing to do. Deterministic and manual time skip ahead to the next
  // event and run it; real time sleeps the host thread until the next event is due, `max_wait_ns`
  // has passed, or another thread calls wake(), then runs what is due. Returns false when there
  // was nothing to wait for in deterministic/manual time (a halted machine with no timers).
  bool idle(u64 max_wait_ns);
  // Ends a real-time idle() early (thread-safe): host input arrived for a device.
  void wake();
  // Host file descriptors a real-time idle() also wakes for, so a halted guest hears its network
  // at once rather than at its next timer: called on the CPU thread before each wait, `fds`
  // appends what to watch (a network backend's sockets).
  using WaitFds = std::function<void(std::vector<pollfd>& fds)>;
  void set_wait_fds(WaitFds fds);

  // State: the current time. Load it after the CPU (whose instruction counter the clock
  // reads) and before the devices (which schedule their events again from their state).
  void serialize(StateVisitor& v);

 private:
  u64 source_reading() const;  // the source's raw reading, without the bias
  u64 host_virtual(u64 host_ns) const { return host_ns - host_origin_ns_ + host_bias_ns_; }
  void set_now(u64 ns);  // re-bias so that now() == ns

  Source source_ = Source::Manual;
  const u64* instructions_ = nullptr;
  unsigned shift_ = 0;
  u64 host_origin_ns_ = 0;
  u64 bias_ns_ = 0;           // now() = bias_ns_ + source_reading()
  mutable u64 last_now_ = 0;  // guards monotonicity against the host clock's granularity
  // Paced clock: reading = epoch_reading_ + (instructions - epoch_instructions_) * rate_ns_.
  double rate_ns_ = 5.0;  // a first guess: 200 MIPS
  u64 epoch_instructions_ = 0, epoch_reading_ = 0, epoch_host_ns_ = 0;
  u64 idle_host_ns_ = 0;  // host time slept in idle() during this epoch
  u64 host_bias_ns_ = 0;  // where the host clock's virtual counterpart started

  // Pending events ordered by (deadline, sequence number = id): ids increase, so events at the
  // same deadline run in the order they were scheduled.
  std::map<std::pair<u64, EventId>, Callback> queue_;
  std::unordered_map<EventId, u64> when_of_;
  EventId next_id_ = 1;

  void host_wait(u64 wait_ns);  // idle()'s sleep on the host

  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  bool wake_requested_ = false;
  WaitFds wait_fds_;
  std::vector<pollfd> poll_fds_;
  std::atomic<int> wake_fd_ = -1;  // an eventfd wake() writes, while wait_fds_ is set
};

}  // namespace emu
