// The 8254 PIT against the Intel 82C54 datasheet, counted in CLK edges of virtual time.
#include "devices/pit8254/pit8254.h"

#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "core/guest_log.h"
#include "core/serializer.h"

using namespace emu;

namespace {

struct Bench {
  Timeline timeline;
  Pit8254 pit{timeline};
  struct Edge {
    u64 tick;
    bool level;
  };
  std::vector<Edge> irq0;
  Bench() {
    pit.set_irq0([this](bool level) { irq0.push_back({Pit8254::tick_at(timeline.now()), level}); });
  }
  void out(u16 port, u8 v) { pit.port_write(port, 1, v); }
  u8 in(u16 port) { return static_cast<u8>(pit.port_read(port, 1)); }
  // Moves to CLK edge `tick` (time of that edge), running due events.
  void to_tick(u64 tick) { timeline.advance_to(Pit8254::ns_of_tick(tick)); }
  u64 tick() const { return Pit8254::tick_at(timeline.now()); }
  u16 read_latched(unsigned channel) {
    out(0x43, static_cast<u8>(channel << 6));  // counter latch command
    const u8 lo = in(0x40 + channel);
    return static_cast<u16>(lo | in(0x40 + channel) << 8);
  }
  std::vector<u64> rising_edges() const {
    std::vector<u64> r;
    for (const Edge& e : irq0)
      if (e.level) r.push_back(e.tick);
    return r;
  }
};

}  // namespace

TEST_CASE("pit: the CLK edge grid is exact in both directions") {
  for (u64 k : {0ull, 1ull, 2ull, 1193181ull, 1193182ull, 123456789ull}) {
    CHECK(Pit8254::tick_at(Pit8254::ns_of_tick(k)) == k);
    if (k) CHECK(Pit8254::tick_at(Pit8254::ns_of_tick(k) - 1) == k - 1);
  }
  CHECK(Pit8254::tick_at(Timeline::kNsPerSecond) == 1193182);
}

TEST_CASE("pit: mode 2 rate generator drives IRQ 0 with one rising edge per N clocks") {
  Bench b;
  b.to_tick(10);
  b.out(0x43, 0x34);    // channel 0, LSB then MSB, mode 2, binary (Linux's setup_pit_timer)
  CHECK(b.pit.out(0));  // mode 2 OUT is high after the control word
  const u16 n = 1193;   // LATCH for HZ=1000
  b.out(0x40, n & 0xFF);
  b.out(0x40, n >> 8);
  b.timeline.advance_to(Timeline::kNsPerSecond + Pit8254::ns_of_tick(10));
  const std::vector<u64> rising = b.rising_edges();
  // First edge: the control word raised OUT. Then the CE loads at edge 11, counts to 1 at edge
  // 10 + N (OUT low) and reloads at edge 11 + N (OUT high): one rising edge per N edges.
  REQUIRE(rising.size() > 3);
  CHECK(rising[0] == 10);
  CHECK(rising[1] == 10 + n + 1);
  for (std::size_t k = 2; k < rising.size(); ++k) CHECK(rising[k] - rising[k - 1] == n);
  CHECK(rising.size() - 1 == 1193182 / n);  // 1000 interrupts in one second
  // The low pulse lasts exactly one CLK.
  CHECK(b.irq0[1].level == false);
  CHECK(b.irq0[1].tick == 10 + n);
}

TEST_CASE("pit: mode 0 counts down from N and raises OUT at terminal count") {
  Bench b;
  b.out(0x43, 0x30);  // channel 0, LSB/MSB, mode 0
  CHECK_FALSE(b.pit.out(0));
  b.out(0x40, 100);
  b.out(0x40, 0);
  b.to_tick(1);
  CHECK(b.read_latched(0) == 100);
  b.to_tick(50);
  CHECK(b.read_latched(0) == 51);
  b.to_tick(100);
  CHECK(b.read_latched(0) == 1);
  CHECK_FALSE(b.pit.out(0));
  b.to_tick(101);
  CHECK(b.pit.out(0));
  CHECK(b.rising_edges() == std::vector<u64>{101});
  b.to_tick(103);
  CHECK(b.read_latched(0) == 0xFFFE);  // the CE wraps and keeps counting; OUT stays high
  CHECK(b.pit.out(0));
  // Writing the first byte of a new count stops counting and drops OUT.
  b.out(0x40, 5);
  CHECK_FALSE(b.pit.out(0));
  b.out(0x40, 0);
  b.to_tick(103 + 6);
  CHECK(b.pit.out(0));
}

TEST_CASE("pit: mode 3 square wave on channel 2, seen at port 0x61 bit 5") {
  Bench b;
  b.out(0x61, 0x01);  // GATE2 on, speaker off
  b.out(0x43, 0xB6);  // channel 2, LSB/MSB, mode 3 (the PC speaker's setting)
  b.out(0x42, 0xE8);
  b.out(0x42, 0x03);  // N = 1000
  unsigned high = 0, low = 0;
  for (u64 t = 1; t <= 1000; ++t) {
    b.to_tick(t);
    (b.in(0x61) & 0x20 ? high : low)++;
    if (t == 1 + 250) CHECK(b.pit.counter(2) == 1000 - 2 * 250);  // the CE counts by two
    if (t == 1 + 750) CHECK(b.pit.counter(2) == 1000 - 2 * 250);  // and again in the low half
  }
  CHECK(high == 500);
  CHECK(low == 500);
  CHECK_FALSE(b.pit.speaker_output());

  // An odd count: N-1 is loaded and counts by two; high for (N+1)/2 edges, low for (N-1)/2.
  b.out(0x43, 0xB6);
  b.out(0x42, 5);
  b.out(0x42, 0);
  const u64 start = b.tick();
  std::vector<std::pair<u16, bool>> seen;
  for (u64 t = 1; t <= 10; ++t) {
    b.to_tick(start + t);
    seen.emplace_back(b.pit.counter(2), b.pit.out(2));
  }
  const std::vector<std::pair<u16, bool>> expected = {{4, true}, {2, true}, {0, true}, {4, false}, {2, false},
                                                      {4, true}, {2, true}, {0, true}, {4, false}, {2, false}};
  CHECK(seen == expected);
  b.out(0x61, 0x03);
  b.to_tick(1 + 10);
  CHECK(b.pit.speaker_output() == b.pit.out(2));
}

TEST_CASE("pit: counter latch holds the count; LSB-only and MSB-only access") {
  Bench b;
  b.out(0x43, 0x74);  // channel 1, LSB/MSB, mode 2
  b.out(0x41, 0x00);
  b.out(0x41, 0x10);  // N = 0x1000
  b.to_tick(1 + 16);
  b.out(0x43, 0x40);  // latch channel 1
  b.to_tick(1 + 100);
  CHECK(b.in(0x41) == 0xF0);  // the latched 0x0FF0, not the live count
  b.out(0x43, 0x40);          // a second latch before the MSB is read is ignored
  CHECK(b.in(0x41) == 0x0F);
  CHECK(b.pit.counter(1) == 0x1000 - 100);

  b.out(0x43, 0x52);  // channel 1, LSB only, mode 1
  b.out(0x41, 0x20);
  CHECK(b.pit.state().channel[1].count_register == 0x0020);
  b.out(0x43, 0x62);  // channel 1, MSB only, mode 1
  b.out(0x41, 0x20);
  CHECK(b.pit.state().channel[1].count_register == 0x2000);
}

TEST_CASE("pit: read-back command latches status (OUT, null count, mode) and count") {
  Bench b;
  b.out(0x43, 0x34);
  b.out(0x43, 0xE2);                          // read-back: status of channel 0 (COUNT# = 1)
  CHECK(b.in(0x40) == (0x80 | 0x40 | 0x34));  // OUT high, null count (no count yet), mode 2
  b.out(0x40, 0x00);
  b.out(0x40, 0x01);  // N = 256
  b.out(0x43, 0xE2);
  CHECK(b.in(0x40) == (0x80 | 0x40 | 0x34));  // not loaded until the next CLK edge
  b.to_tick(1 + 6);
  b.out(0x43, 0xC2);                   // read-back: status and count
  CHECK(b.in(0x40) == (0x80 | 0x34));  // loaded: null count clear
  CHECK(b.in(0x40) == 250);
  CHECK(b.in(0x40) == 0);
  // Status only (COUNT# = 1), channels 0 and 2 at once.
  b.out(0x43, 0xB6);
  b.out(0x43, 0xEA);
  CHECK(b.in(0x40) == (0x80 | 0x34));
  CHECK(b.in(0x42) == (0x80 | 0x40 | 0x36));
}

TEST_CASE("pit: BCD counting") {
  Bench b;
  b.out(0x43, 0x31);  // channel 0, LSB/MSB, mode 0, BCD
  b.out(0x40, 0x00);
  b.out(0x40, 0x01);  // 100 in BCD
  b.to_tick(1 + 11);
  CHECK(b.read_latched(0) == 0x0089);
  b.to_tick(1 + 100);
  CHECK(b.read_latched(0) == 0x0000);
  b.to_tick(1 + 101);
  CHECK(b.read_latched(0) == 0x9999);  // wraps modulo 10^4
}

TEST_CASE("pit: GATE — mode 0 pauses, mode 1 retriggers, mode 2 reloads") {
  Bench b;
  b.out(0x61, 0x00);  // GATE2 low
  b.out(0x43, 0xB0);  // channel 2, mode 0
  b.out(0x42, 100);
  b.out(0x42, 0);
  b.to_tick(50);
  CHECK(b.pit.counter(2) == 100);  // loaded, but held while GATE is low
  b.out(0x61, 0x01);
  b.to_tick(60);
  CHECK(b.pit.counter(2) == 90);
  b.out(0x61, 0x00);
  b.to_tick(80);
  CHECK(b.pit.counter(2) == 90);
  CHECK((b.in(0x61) & 0x01) == 0);

  // Mode 1: OUT high until a GATE rising edge; low from the next CLK until terminal count.
  b.out(0x43, 0xB2);
  b.out(0x42, 10);
  b.out(0x42, 0);
  b.to_tick(100);
  CHECK(b.pit.out(2));
  b.out(0x61, 0x01);  // trigger at edge 100
  CHECK(b.pit.out(2));
  b.to_tick(101);
  CHECK_FALSE(b.pit.out(2));
  CHECK(b.pit.counter(2) == 10);
  b.to_tick(110);
  CHECK_FALSE(b.pit.out(2));
  b.to_tick(111);
  CHECK(b.pit.out(2));
  b.out(0x61, 0x00);
  b.out(0x61, 0x01);  // retrigger
  b.to_tick(112);
  CHECK_FALSE(b.pit.out(2));

  // Mode 2: GATE low forces OUT high and stops; the rising edge starts a full period.
  b.out(0x43, 0xB4);
  b.out(0x42, 4);
  b.out(0x42, 0);
  b.to_tick(112 + 4);  // e = 3: count 1, OUT low
  CHECK_FALSE(b.pit.out(2));
  b.out(0x61, 0x00);
  CHECK(b.pit.out(2));
  b.to_tick(130);
  b.out(0x61, 0x01);
  b.to_tick(131);
  CHECK(b.pit.counter(2) == 4);
}

TEST_CASE("pit: mode 4 strobes OUT low for one clock; mode 2 takes a new count at the cycle's end") {
  Bench b;
  b.out(0x43, 0x38);  // channel 0, mode 4
  b.out(0x40, 20);
  b.out(0x40, 0);
  b.to_tick(100);
  REQUIRE(b.irq0.size() == 3);  // high (control word), low at edge 21, high at edge 22
  CHECK(b.irq0[1].tick == 21);
  CHECK_FALSE(b.irq0[1].level);
  CHECK(b.irq0[2].tick == 22);

  Bench c;
  c.out(0x43, 0x34);
  c.out(0x40, 100);
  c.out(0x40, 0);
  c.to_tick(50);
  c.out(0x40, 10);
  c.out(0x40, 0);  // new count while counting: the current cycle of 100 completes first
  c.to_tick(99);
  CHECK(c.pit.counter(0) == 2);
  c.to_tick(101);
  CHECK(c.pit.counter(0) == 10);
  c.irq0.clear();
  c.to_tick(131);
  CHECK(c.rising_edges() == std::vector<u64>{111, 121, 131});
}

TEST_CASE("pit: Linux's quick TSC calibration reads channel 2's MSB as it counts down") {
  Bench b;
  b.out(0x61, (b.in(0x61) & ~0x02) | 0x01);  // GATE2 on, speaker off
  b.out(0x43, 0xB0);                         // channel 2, mode 0, LSB/MSB
  b.out(0x42, 0xFF);
  b.out(0x42, 0xFF);
  for (unsigned k = 1; k < 20; ++k) {
    b.to_tick(1 + 256 * k + 10);
    b.in(0x42);  // LSB
    CHECK(b.in(0x42) == 0xFF - k);
  }
}

TEST_CASE("pit: the refresh toggle at port 0x61 bit 4 flips every 15 microseconds") {
  Bench b;
  const u8 first = b.in(0x61) & 0x10;
  b.to_tick(18);
  CHECK((b.in(0x61) & 0x10) != first);
  b.to_tick(36);
  CHECK((b.in(0x61) & 0x10) == first);
}

TEST_CASE("pit: state round-trips and IRQ 0 continues on schedule") {
  Bench a;
  a.out(0x43, 0x34);
  a.out(0x40, 0xA9);
  a.out(0x40, 0x04);
  a.out(0x43, 0xB6);
  a.out(0x42, 0x33);  // half-written count on channel 2
  a.to_tick(5000);
  a.out(0x43, 0x00);  // latched count survives
  StateWriter w;
  w.section("timeline", 1, [&](StateVisitor& v) { a.timeline.serialize(v); });
  w.section("pit", 1, [&](StateVisitor& v) { a.pit.serialize(v); });
  const std::vector<u8> state = w.finish();

  Bench b;
  StateReader r(state);
  r.section("timeline", 1, [&](StateVisitor& v, u32) { b.timeline.serialize(v); });
  r.section("pit", 1, [&](StateVisitor& v, u32) { b.pit.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.pit.describe() == a.pit.describe());
  CHECK(b.in(0x40) == a.in(0x40));
  CHECK(b.in(0x40) == a.in(0x40));
  a.irq0.clear();
  b.irq0.clear();
  a.to_tick(20000);
  b.to_tick(20000);
  CHECK(a.rising_edges() == b.rising_edges());
  CHECK(a.rising_edges().size() == 12);  // edges 1194 + 1193k in (5000, 20000]

  Bench bad;
  StateWriter w2;
  w2.section("pit", 1, [&](StateVisitor& v) {
    u8 mode = 6;
    v.field("ch1.mode", mode);
  });
  const std::vector<u8> bad_state = w2.finish();
  StateReader r2(bad_state);
  r2.section("pit", 1, [&](StateVisitor& v, u32) { bad.pit.serialize(v); });
  CHECK_FALSE(r2.ok());
}

TEST_CASE("pit: hostile port traffic never breaks it") {
  GuestLog::instance().reset_counts();
  Bench b;
  std::mt19937 rng(8254);
  for (int k = 0; k < 100000; ++k) {
    const u16 port = (rng() % 5 == 4) ? 0x61 : static_cast<u16>(0x40 + rng() % 4);
    if (rng() & 1)
      b.pit.port_write(port, 1 + rng() % 2, rng());
    else
      b.pit.port_read(port, 1 + rng() % 4);
    if (k % 16 == 0) b.timeline.advance_to(b.timeline.now() + rng() % 100000);
  }
  CHECK(b.timeline.pending_count() <= 1);  // at most channel 0's next OUT change
  GuestLog::instance().reset_counts();
}
