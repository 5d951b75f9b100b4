// The MC146818A RTC/CMOS against the Motorola datasheet and the PC/AT CMOS map.
#include "devices/rtc146818/rtc146818.h"

#include <doctest/doctest.h>

#include <random>

#include "core/guest_log.h"
#include "core/serializer.h"

using namespace emu;

namespace {

constexpr u64 kMs = 1'000'000;
constexpr u64 kSec = 1'000'000'000;

struct Bench {
  Timeline timeline;
  Rtc146818 rtc{timeline, kDeterministicRtcBase};  // 2000-01-01 00:00:00, a Saturday
  unsigned irq_rising = 0;
  bool irq = false;
  Bench() {
    rtc.set_irq([this](bool level) {
      if (level && !irq) ++irq_rising;
      irq = level;
    });
  }
  u8 read(u8 index) {
    rtc.port_write(0x70, 1, index);
    return static_cast<u8>(rtc.port_read(0x71, 1));
  }
  void write(u8 index, u8 value) {
    rtc.port_write(0x70, 1, index);
    rtc.port_write(0x71, 1, value);
  }
  void at(u64 ns) { timeline.advance_to(ns); }
};

}  // namespace

TEST_CASE("rtc: the base date in BCD, 24-hour mode, advancing with virtual time") {
  Bench b;
  CHECK(b.read(0x00) == 0x00);
  CHECK(b.read(0x04) == 0x00);
  CHECK(b.read(0x06) == 7);  // Saturday (1 = Sunday)
  CHECK(b.read(0x07) == 0x01);
  CHECK(b.read(0x08) == 0x01);
  CHECK(b.read(0x09) == 0x00);
  CHECK(b.read(0x32) == 0x20);  // IBM century byte
  CHECK(b.read(0x0D) == 0x80);  // VRT
  b.at(kSec * (13 * 3600 + 59 * 60 + 58) + 999 * kMs);
  CHECK(b.read(0x04) == 0x13);
  CHECK(b.read(0x02) == 0x59);
  CHECK(b.read(0x00) == 0x58);  // the update at :59 has not happened yet
  b.at(kSec * (13 * 3600 + 59 * 60 + 59));
  CHECK(b.read(0x00) == 0x59);
  // Carries through days, months and years: 2000 is a leap year.
  b.at(kSec * 86400 * 60);
  CHECK(b.read(0x07) == 0x01);
  CHECK(b.read(0x08) == 0x03);  // 1 March 2000
  CHECK(b.read(0x06) == 4);     // a Wednesday
}

TEST_CASE("rtc: binary data mode and 12-hour mode") {
  Bench b;
  b.at(kSec * (13 * 3600 + 5 * 60 + 9));
  b.write(0x0B, 0x06);  // DM=1 binary, 24-hour
  CHECK(b.read(0x04) == 13);
  CHECK(b.read(0x02) == 5);
  CHECK(b.read(0x00) == 9);
  CHECK(b.read(0x32) == 20);
  b.write(0x0B, 0x04);                // binary, 12-hour
  CHECK(b.read(0x04) == (0x80 | 1));  // 1 PM
  b.write(0x0B, 0x00);                // BCD, 12-hour
  CHECK(b.read(0x04) == 0x81);
  Bench midnight;
  midnight.write(0x0B, 0x00);
  CHECK(midnight.read(0x04) == 0x12);  // 12 AM
}

TEST_CASE("rtc: setting the time with SET, in BCD and in 12-hour binary") {
  Bench b;
  b.at(300 * kMs);
  b.write(0x0B, 0x82);  // SET, 24h BCD: the clock stops
  b.write(0x00, 0x30);
  b.write(0x02, 0x45);
  b.write(0x04, 0x21);
  b.write(0x07, 0x24);
  b.write(0x08, 0x12);
  b.write(0x09, 0x99);
  b.write(0x32, 0x19);
  b.at(5 * kSec);
  CHECK(b.read(0x00) == 0x30);  // frozen while SET
  b.write(0x0B, 0x02);          // release at 5 s: the divider never stopped
  b.at(6 * kSec);
  CHECK(b.read(0x00) == 0x31);
  b.at(35 * kSec);
  CHECK(b.read(0x04) == 0x21);  // 1999-12-24 21:45:30 + 30 s = 21:46:00
  CHECK(b.read(0x02) == 0x46);
  CHECK(b.read(0x00) == 0x00);
  CHECK(b.read(0x09) == 0x99);

  // A single field written while the clock runs: the rest keep counting.
  b.write(0x02, 0x10);
  CHECK(b.read(0x02) == 0x10);
  CHECK(b.read(0x04) == 0x21);
  b.at(36 * kSec);
  CHECK(b.read(0x00) == 0x01);

  Bench h;
  h.write(0x0B, 0x84);       // SET, binary, 12-hour: the registers are not converted, so the
  h.write(0x04, 0x80 | 11);  // whole time is written again in the new mode: 11 PM
  h.write(0x02, 59);
  h.write(0x00, 59);
  h.write(0x07, 1);
  h.write(0x08, 1);
  h.write(0x09, 0);
  h.write(0x32, 20);
  h.write(0x0B, 0x04);
  h.at(1 * kSec);
  CHECK(h.read(0x04) == 12);  // midnight is 12 AM
  CHECK(h.read(0x07) == 2);   // and the next day
}

TEST_CASE("rtc: UIP rises 244 microseconds before each update") {
  Bench b;
  b.at(kSec - 300'000);
  CHECK((b.read(0x0A) & 0x80) == 0);
  b.at(kSec - 200'000);
  CHECK((b.read(0x0A) & 0x80) != 0);
  b.at(kSec);
  CHECK((b.read(0x0A) & 0x80) == 0);
  CHECK(b.read(0x00) == 0x01);
  b.write(0x0A, 0xA6);  // UIP is read-only
  CHECK((b.read(0x0A) & 0x7F) == 0x26);
}

TEST_CASE("rtc: periodic interrupt at the rate selected by RS") {
  for (const auto& [rs, hz] : {std::pair{6u, 1024u}, std::pair{3u, 8192u}, std::pair{15u, 2u}, std::pair{1u, 256u}}) {
    Bench b;
    b.write(0x0A, static_cast<u8>(0x20 | rs));
    b.read(0x0C);
    b.write(0x0B, 0x42);  // PIE
    unsigned acknowledged = 0;
    for (u64 t = 0; t <= kSec; t += 20'000) {  // the handler runs every 20 µs
      b.at(t);
      if (b.irq) {
        CHECK((b.read(0x0C) & 0xC0) == 0xC0);  // IRQF and PF
        ++acknowledged;
      }
    }
    CHECK(b.irq_rising == acknowledged);
    CHECK(acknowledged == std::min(hz, 1000000u / 20));
  }
  // PF is set even when PIE is off; only IRQF stays clear.
  Bench quiet;
  quiet.at(2 * kMs);
  CHECK(quiet.read(0x0C) == 0x40);
  CHECK(quiet.read(0x0C) == 0x00);
  CHECK(quiet.irq_rising == 0);
}

TEST_CASE("rtc: update-ended and alarm interrupts") {
  Bench b;
  b.write(0x0A, 0x20);  // no periodic rate
  b.write(0x0B, 0x12);  // UIE
  b.at(500 * kMs);
  CHECK_FALSE(b.irq);
  b.at(kSec);
  CHECK(b.irq);
  CHECK(b.read(0x0C) == 0x90);  // IRQF, UF
  CHECK_FALSE(b.irq);
  b.write(0x0B, 0x92);  // SET clears UIE
  CHECK(b.read(0x0B) == 0x82);
  b.write(0x0B, 0x02);

  // Alarm at 00:00:05.
  b.write(0x01, 0x05);
  b.write(0x03, 0x00);
  b.write(0x05, 0x00);
  b.write(0x0B, 0x22);  // AIE
  b.at(4 * kSec + 500 * kMs);
  CHECK_FALSE(b.irq);
  b.at(5 * kSec);
  CHECK(b.irq);
  CHECK((b.read(0x0C) & 0xA0) == 0xA0);  // IRQF, AF
  b.at(6 * kSec);
  CHECK_FALSE(b.irq);
  // "Don't care" bytes (11xxxxxx) match every second.
  b.write(0x01, 0xFF);
  b.write(0x03, 0xC0);
  b.write(0x05, 0xC0);
  b.at(7 * kSec);
  CHECK(b.irq);
  b.read(0x0C);
  // AF is found lazily even with AIE off, across a long gap.
  b.write(0x0B, 0x02);
  b.write(0x01, 0x00);
  b.write(0x03, 0x00);
  b.write(0x05, 0x12);  // 12:00:00
  b.at(13 * 3600 * kSec);
  CHECK((b.read(0x0C) & 0x30) == 0x30);
}

TEST_CASE("rtc: divider reset stops the clock; the first update comes 500 ms after release") {
  Bench b;
  b.at(2 * kSec + 100 * kMs);
  b.write(0x0A, 0x70);  // DV = 111: divider reset
  b.at(10 * kSec);
  CHECK(b.read(0x00) == 0x02);
  b.write(0x0A, 0x26);
  b.at(10 * kSec + 499 * kMs);
  CHECK(b.read(0x00) == 0x02);
  b.at(10 * kSec + 500 * kMs);
  CHECK(b.read(0x00) == 0x03);
}

TEST_CASE("rtc: port 0x70 bit 7 is the NMI mask; the index is 7 bits; CMOS RAM holds bytes") {
  Bench b;
  CHECK(b.rtc.nmi_enabled());
  b.rtc.port_write(0x70, 1, 0x8F);
  CHECK_FALSE(b.rtc.nmi_enabled());
  CHECK(b.rtc.state().index == 0x0F);
  b.rtc.port_write(0x71, 1, 0x5A);
  CHECK(b.rtc.cmos(0x0F) == 0x5A);
  b.rtc.port_write(0x70, 1, 0x0F);
  CHECK(b.rtc.nmi_enabled());
  CHECK(b.rtc.port_read(0x70, 1) == 0xFF);  // the index port is write-only
  b.write(0x7F, 0x11);
  CHECK(b.read(0x7F) == 0x11);
  b.write(0x0C, 0xFF);  // read-only: logged and ignored
  b.write(0x0D, 0x00);
  CHECK(b.read(0x0D) == 0x80);
}

TEST_CASE("rtc: the CMOS bytes a BIOS and Linux read") {
  Bench b;
  PcCmosConfig config{.ram_bytes = 256u << 20, .cpus = 1, .boot_order = "dc"};
  fill_pc_cmos(b.rtc, config);
  CHECK((b.read(0x15) | b.read(0x16) << 8) == 640);
  CHECK((b.read(0x17) | b.read(0x18) << 8) == 0xFFFF);  // saturates at 64 MiB
  CHECK((b.read(0x30) | b.read(0x31) << 8) == 0xFFFF);
  CHECK((b.read(0x34) | b.read(0x35) << 8) == (240u << 20) / 65536);
  CHECK(b.read(0x14) == 0x06);  // FPU, PS/2 mouse, VGA, no floppy
  CHECK(b.read(0x3D) == 0x23);  // CD-ROM first, then hard disk
  CHECK(b.read(0x5F) == 0);
  u16 sum = 0;
  for (u8 k = 0x10; k <= 0x2D; ++k) sum = static_cast<u16>(sum + b.read(k));
  CHECK((b.read(0x2E) << 8 | b.read(0x2F)) == sum);

  Bench small;
  config.ram_bytes = 32u << 20;
  fill_pc_cmos(small.rtc, config);
  CHECK((small.read(0x17) | small.read(0x18) << 8) == 31 * 1024);
  CHECK((small.read(0x34) | small.read(0x35) << 8) == 256);
}

TEST_CASE("rtc: -rtc base= values") {
  CHECK(resolve_rtc_base("", true) == kDeterministicRtcBase);
  CHECK(resolve_rtc_base("2006-06-17", false) == 1150502400);
  CHECK(resolve_rtc_base("2006-06-17T16:01:21", true) == 1150502400 + 16 * 3600 + 60 + 21);
  CHECK_FALSE(resolve_rtc_base("2006-13-01", false).has_value());
  CHECK_FALSE(resolve_rtc_base("yesterday", false).has_value());
  CHECK_FALSE(resolve_rtc_base("2006-06-17T16:01", false).has_value());
  CHECK(resolve_rtc_base("utc", true).value() > kDeterministicRtcBase);
}

TEST_CASE("rtc: state round-trips; interrupts continue after a load") {
  Bench a;
  a.write(0x0B, 0x52);  // PIE, UIE
  a.write(0x40, 0x77);
  a.at(1234 * kMs);
  a.rtc.port_write(0x70, 1, 0x85);
  StateWriter w;
  w.section("timeline", 1, [&](StateVisitor& v) { a.timeline.serialize(v); });
  w.section("rtc", 1, [&](StateVisitor& v) { a.rtc.serialize(v); });
  const std::vector<u8> state = w.finish();

  Bench b;
  StateReader r(state);
  r.section("timeline", 1, [&](StateVisitor& v, u32) { b.timeline.serialize(v); });
  r.section("rtc", 1, [&](StateVisitor& v, u32) { b.rtc.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.rtc.describe() == a.rtc.describe());
  CHECK(b.rtc.cmos(0x40) == 0x77);
  CHECK_FALSE(b.rtc.nmi_enabled());
  CHECK(b.read(0x0C) == a.read(0x0C));
  a.at(5 * kSec);
  b.at(5 * kSec);
  CHECK(a.irq == b.irq);
  CHECK(b.read(0x0C) == a.read(0x0C));
  CHECK(b.read(0x00) == a.read(0x00));

  Bench bad;
  StateWriter w2;
  w2.section("rtc", 1, [&](StateVisitor& v) {
    u8 index = 0xC0;
    v.field("index", index);
  });
  const std::vector<u8> bad_state = w2.finish();
  StateReader r2(bad_state);
  r2.section("rtc", 1, [&](StateVisitor& v, u32) { bad.rtc.serialize(v); });
  CHECK_FALSE(r2.ok());
}

TEST_CASE("rtc: hostile port traffic never breaks it") {
  GuestLog::instance().reset_counts();
  Bench b;
  std::mt19937 rng(146818);
  for (int k = 0; k < 100000; ++k) {
    const u16 port = 0x70 + (rng() & 1);
    if (rng() & 1)
      b.rtc.port_write(port, 1 + rng() % 2, rng());
    else
      b.rtc.port_read(port, 1 + rng() % 4);
    if (k % 8 == 0) b.at(b.timeline.now() + rng() % (50 * kMs));
  }
  CHECK(b.timeline.pending_count() <= 1);
  GuestLog::instance().reset_counts();
}
