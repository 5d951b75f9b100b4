#include "core/timeline.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/serializer.h"

using namespace emu;

TEST_CASE("timeline: events run in time order, ties in scheduling order") {
  Timeline t;
  std::vector<std::string> ran;
  t.schedule(300, [&](u64) { ran.push_back("c300"); });
  t.schedule(100, [&](u64) { ran.push_back("a100"); });
  t.schedule(200, [&](u64) { ran.push_back("b200-first"); });
  t.schedule(200, [&](u64) { ran.push_back("b200-second"); });
  CHECK(t.next_event_ns() == 100);
  t.advance_to(250);
  CHECK(t.now() == 250);
  CHECK(ran == std::vector<std::string>{"a100", "b200-first", "b200-second"});
  CHECK(t.next_event_ns() == 300);
  t.advance_to(300);
  CHECK(ran.back() == "c300");
  CHECK_FALSE(t.next_event_ns().has_value());
}

TEST_CASE("timeline: cancel, time never goes backwards, callbacks get their deadline") {
  Timeline t;
  int runs = 0;
  const auto id = t.schedule(50, [&](u64) { ++runs; });
  CHECK(t.pending(id));
  CHECK(t.cancel(id));
  CHECK_FALSE(t.cancel(id));
  t.advance_to(100);
  CHECK(runs == 0);
  t.advance_to(40);  // ignored: time only moves forwards
  CHECK(t.now() == 100);

  u64 seen = 0;
  t.schedule(120, [&](u64 deadline) { seen = deadline; });
  t.advance_to(1000);  // run late: the callback still learns its own deadline
  CHECK(seen == 120);
}

TEST_CASE("timeline: callbacks may schedule events due within the same advance") {
  Timeline t;
  std::vector<u64> ticks;
  // A drift-free periodic event: each run schedules the next from its own deadline.
  std::function<void(u64)> tick = [&](u64 deadline) {
    ticks.push_back(deadline);
    t.schedule(deadline + 100, tick);
  };
  t.schedule(100, tick);
  t.advance_to(450);
  CHECK(ticks == std::vector<u64>{100, 200, 300, 400});
  CHECK(t.next_event_ns() == 500);
}

TEST_CASE("timeline: deterministic mode derives time from retired instructions") {
  Timeline t;
  u64 instructions = 0;
  t.use_instruction_clock(&instructions, 3);  // 8 ns per instruction
  CHECK(t.now() == 0);
  instructions = 10;
  CHECK(t.now() == 80);
  int fired = 0;
  t.schedule(100, [&](u64) { ++fired; });
  // 20 ns to go = 2.5 instructions: the budget rounds up so the event is due after the third.
  CHECK(t.instructions_until_next_event() == 3);
  instructions += 3;
  t.run_due();
  CHECK(fired == 1);

  // A halted CPU skips to the next event; later instructions count on from there.
  t.schedule(10'000, [&](u64) { ++fired; });
  CHECK(t.idle(1'000'000));
  CHECK(fired == 2);
  CHECK(t.now() == 10'000);
  instructions += 1;
  CHECK(t.now() == 10'008);
  CHECK_FALSE(t.idle(1'000'000));  // nothing left to wait for
}

TEST_CASE("timeline: two deterministic runs see identical times") {
  auto run = [] {
    Timeline t;
    u64 instructions = 0;
    t.use_instruction_clock(&instructions, 0);
    std::vector<u64> seen;
    std::function<void(u64)> tick = [&](u64 deadline) {
      seen.push_back(t.now());
      t.schedule(deadline + 1000, tick);
    };
    t.schedule(1000, tick);
    for (int step = 0; step < 50; ++step) {
      instructions += *t.instructions_until_next_event();
      t.run_due();
    }
    return seen;
  };
  const std::vector<u64> a = run(), b = run();
  CHECK(a == b);
  CHECK(a.size() == 50);
  CHECK(a[49] == 50'000);
}

TEST_CASE("timeline: real-time mode follows the host clock and idle sleeps until the event") {
  Timeline t;
  t.use_host_clock();
  const u64 start = t.now();
  bool fired = false;
  t.schedule(start + 2'000'000, [&](u64) { fired = true; });  // 2 ms
  while (!fired) CHECK(t.idle(Timeline::kNsPerSecond));
  CHECK(t.now() >= start + 2'000'000);
}

TEST_CASE("timeline: a real-time idle wakes for a watched host descriptor, and for wake()") {
  Timeline t;
  t.use_host_clock();
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  unsigned asked = 0;
  t.set_wait_fds([&](std::vector<pollfd>& fds) {
    ++asked;
    fds.push_back({pipe_fds[0], POLLIN, 0});
  });
  // Nothing scheduled: without the descriptor this idle would sleep its full minute.
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(write(pipe_fds[1], "x", 1) == 1);
  });
  const auto before = std::chrono::steady_clock::now();
  CHECK(t.idle(60 * Timeline::kNsPerSecond));
  writer.join();
  CHECK(asked == 1);
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    t.wake();
  });
  char byte;
  CHECK(read(pipe_fds[0], &byte, 1) == 1);  // the descriptor is quiet again: only wake() can end this one
  CHECK(t.idle(60 * Timeline::kNsPerSecond));
  waker.join();
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(30));
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_CASE("timeline: the current time round-trips through the serializer") {
  Timeline a;
  a.advance_to(123'456'789);
  StateWriter w;
  w.section("timeline", 1, [&](StateVisitor& v) { a.serialize(v); });
  const std::vector<u8> state = w.finish();

  Timeline b;
  u64 instructions = 1000;
  b.use_instruction_clock(&instructions, 2);
  StateReader r(state);
  r.section("timeline", 1, [&](StateVisitor& v, u32) { b.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.now() == 123'456'789);
  instructions += 1;
  CHECK(b.now() == 123'456'793);
}

TEST_CASE("timeline: the host clock waits at an event that has not run") {
  Timeline t;
  t.use_host_clock();
  const u64 start = t.now();
  int fired = 0;
  t.schedule(start + 1'000'000, [&](u64) { ++fired; });  // 1 ms
  t.schedule(start + 2'000'000, [&](u64) { ++fired; });  // 2 ms
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // The host is 5 ms on; the clock stops at the first deadline until it runs.
  CHECK(t.now() == start + 1'000'000);
  t.run_due();
  CHECK(fired == 1);
  CHECK(t.now() == start + 2'000'000);
  t.run_due();
  CHECK(fired == 2);
  CHECK(t.now() >= start + 5'000'000);
}

TEST_CASE("timeline: the paced clock counts instructions at a rate that tracks the host") {
  u64 instructions = 0;
  Timeline t;
  t.use_paced_clock(&instructions);
  const u64 start = t.now();
  const double initial = t.ns_per_instruction();
  instructions += 1000;
  CHECK(t.now() == start + static_cast<u64>(1000 * initial));
  // Between re-estimates, time is a function of the instructions alone, and events fall on them.
  bool fired = false;
  t.schedule(t.now() + 100 * static_cast<u64>(initial), [&](u64) { fired = true; });
  const u64 budget = *t.instructions_until_next_event();
  CHECK(budget >= 100);
  CHECK(budget <= 101);
  instructions += budget;
  t.run_due();
  CHECK(fired);
  // 20 ms of host time for 20,000 instructions: about 1000 ns each once re-estimated.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  instructions += 20'000;
  const u64 before = t.now();
  t.pace();
  CHECK(t.now() == before);  // continuous across the re-estimate
  CHECK(t.ns_per_instruction() > 200.0);
  CHECK(t.ns_per_instruction() < 10'000.0);
}

TEST_CASE("timeline: a halted guest on the paced clock keeps to the host's pace") {
  // A halted CPU calls idle() in a loop, each call waiting at most its argument; the event 40 ms
  // ahead must not run before 40 ms of host time have passed (a guest's timer ticks, counted
  // while it waits in HLT, would run fast otherwise).
  u64 instructions = 0;
  Timeline t;
  t.use_paced_clock(&instructions);
  const auto host_start = std::chrono::steady_clock::now();
  int fired = 0;
  for (int k = 1; k <= 4; ++k) t.schedule(t.now() + k * 10'000'000ull, [&](u64) { ++fired; });
  while (fired < 4) CHECK(t.idle(2'000'000));
  CHECK(std::chrono::steady_clock::now() - host_start >= std::chrono::milliseconds(39));
}

TEST_CASE("timeline: a stall adds time to the instruction clock and survives later instructions") {
  u64 instructions = 10;
  Timeline t;
  t.use_instruction_clock(&instructions, 0);
  const u64 start = t.now();
  t.stall(1000);  // an ISA bus cycle
  CHECK(t.now() == start + 1000);
  instructions += 5;
  CHECK(t.now() == start + 1005);
}
