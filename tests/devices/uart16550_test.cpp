// The 16550A UART against the PC16550D datasheet, with transmit paced by virtual time.
#include "devices/uart16550/uart16550.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "core/guest_log.h"
#include "core/serializer.h"

using namespace emu;

namespace {

struct Wire : SerialBackend {
  std::vector<std::pair<u64, u8>> sent;  // (time, byte)
  Timeline* timeline = nullptr;
  void transmit(u8 byte) override { sent.emplace_back(timeline->now(), byte); }
};

struct Bench {
  Timeline timeline;
  Uart16550 uart{timeline, Uart16550::kCom1Base, Uart16550::kCom1Irq};
  Wire wire;
  bool irq = false;
  unsigned irq_rising = 0;
  Bench() {
    wire.timeline = &timeline;
    uart.set_backend(&wire);
    uart.set_irq([this](bool level) {
      if (level && !irq) ++irq_rising;
      irq = level;
    });
  }
  void out(u16 offset, u8 v) { uart.port_write(static_cast<u16>(0x3F8 + offset), 1, v); }
  u8 in(u16 offset) { return static_cast<u8>(uart.port_read(static_cast<u16>(0x3F8 + offset), 1)); }
  // 115200 baud 8N1 with FIFOs, the way Linux's 8250 driver sets up a console.
  void setup_115200(u8 fcr = 0xC7) {
    out(3, 0x80);
    out(0, 0x01);
    out(1, 0x00);
    out(3, 0x03);
    out(2, fcr);
  }
};

constexpr u64 kCharTime115200 = 10 * 16 * 1'000'000'000ull / 1'843'200;  // 86805 ns

}  // namespace

TEST_CASE("uart: reset values and the divisor latch") {
  Bench b;
  CHECK(b.in(5) == 0x60);  // LSR: THRE, TEMT
  CHECK(b.in(2) == 0x01);  // IIR: no interrupt, FIFOs off
  CHECK(b.in(1) == 0x00);
  b.out(3, 0x80);  // DLAB
  b.out(0, 0x34);
  b.out(1, 0x12);
  CHECK(b.in(0) == 0x34);
  CHECK(b.in(1) == 0x12);
  b.out(3, 0x03);
  CHECK(b.uart.state().divisor == 0x1234);
  CHECK(b.in(3) == 0x03);
  b.out(7, 0xA5);  // SCR
  CHECK(b.in(7) == 0xA5);
  b.setup_115200();
  CHECK(b.uart.character_time_ns() == kCharTime115200);
  b.out(3, 0x1F);  // 8 data, even parity, 2 stop bits: 12 bits
  CHECK(b.uart.character_time_ns() == 12 * 16 * 1'000'000'000ull / 1'843'200);
  b.out(3, 0x04);  // 5 data, 1.5 stop bits: 7.5 bits
  CHECK(b.uart.character_time_ns() == 15 * 16 * 1'000'000'000ull / (2 * 1'843'200));
}

TEST_CASE("uart: transmit is paced; THRE interrupts when the FIFO drains, TEMT when the TSR is done") {
  Bench b;
  b.setup_115200();
  b.out(4, 0x0B);  // DTR, RTS, OUT2 (the IRQ gate)
  b.out(1, 0x02);  // ETBEI
  CHECK(b.irq);    // THR is empty: THRE interrupt at once
  CHECK(b.in(2) == 0xC2);
  CHECK_FALSE(b.irq);  // reading IIR cleared it
  const std::string text = "0123456789ABCDEF";
  for (char c : text) b.out(0, static_cast<u8>(c));
  CHECK((b.in(5) & 0x60) == 0);  // FIFO holds 15, TSR one
  b.timeline.advance_to(15 * kCharTime115200 - 1);
  CHECK(b.wire.sent.size() == 14);
  CHECK_FALSE(b.irq);
  b.timeline.advance_to(15 * kCharTime115200);  // the last byte moves into the TSR
  CHECK(b.irq);
  CHECK((b.in(5) & 0x60) == 0x20);  // THRE, not TEMT
  CHECK(b.in(2) == 0xC2);
  b.timeline.advance_to(16 * kCharTime115200);
  CHECK((b.in(5) & 0x60) == 0x60);
  REQUIRE(b.wire.sent.size() == 16);
  for (std::size_t k = 0; k < 16; ++k) {
    CHECK(b.wire.sent[k].second == static_cast<u8>(text[k]));
    CHECK(b.wire.sent[k].first == (k + 1) * kCharTime115200);
  }
  // A 17th byte in a full FIFO is lost and logged.
  for (int k = 0; k < 18; ++k) b.out(0, 'x');
  b.timeline.advance_to(b.timeline.now() + 40 * kCharTime115200);
  CHECK(b.wire.sent.size() == 16 + 17);
}

TEST_CASE("uart: a lone byte in FIFO mode delays THRE by a character time minus a stop bit") {
  // PC16550D, "FIFO Interrupt Mode Operation" B: without two bytes in the FIFO since THRE was
  // last 1, the empty indication is delayed — so a driver refilling one byte at a time does not
  // see a THRE interrupt between each of its writes.
  Bench b;
  b.setup_115200();
  b.out(4, 0x08);
  b.out(1, 0x02);
  CHECK(b.in(2) == 0xC2);
  b.out(0, 'a');
  const u64 bit = 16 * 1'000'000'000ull / 1'843'200;
  CHECK((b.in(5) & 0x20) == 0);
  CHECK_FALSE(b.irq);
  b.timeline.advance_to(kCharTime115200 - bit - 1);
  CHECK((b.in(5) & 0x20) == 0);
  b.timeline.advance_to(kCharTime115200 - bit);
  CHECK((b.in(5) & 0x60) == 0x20);
  CHECK(b.irq);
  CHECK(b.irq_rising == 2);  // ETBEI's immediate THRE, then this one: no glitch in between

  Bench plain;  // 16450 mode: THRE as soon as the byte moves into the TSR
  plain.out(4, 0x08);
  plain.out(1, 0x02);
  plain.in(2);
  plain.out(0, 'a');
  CHECK((plain.in(5) & 0x60) == 0x20);
  CHECK(plain.irq);
}

TEST_CASE("uart: polling LSR sees characters complete without the timeline running events") {
  Bench b;
  b.setup_115200();
  b.out(0, 'a');
  b.out(0, 'b');
  // Time moves (as the instruction clock would) but no event runs: LSR reads catch up.
  u64 instructions = 0;
  b.timeline.use_instruction_clock(&instructions, 0);
  instructions = 2 * kCharTime115200;
  CHECK((b.in(5) & 0x40) == 0x40);
  CHECK(b.wire.sent.size() == 2);
}

TEST_CASE("uart: loopback returns transmitted bytes and maps MCR onto MSR") {
  Bench b;
  b.setup_115200(0x07);
  b.out(4, 0x1A);  // LOOP | OUT2 | RTS: Linux's autoconfig check expects MSR & 0xF0 == 0x90
  CHECK((b.in(6) & 0xF0) == 0x90);
  b.out(4, 0x1F);
  CHECK((b.in(6) & 0xF0) == 0xF0);
  b.out(0, 'L');
  CHECK((b.in(5) & 0x01) == 0);
  b.timeline.advance_to(kCharTime115200);
  CHECK((b.in(5) & 0x01) == 0x01);
  CHECK(b.in(0) == 'L');
  CHECK(b.wire.sent.empty());     // nothing on the TX pin
  CHECK(b.uart.rx_space() == 0);  // the RX pin is disconnected
  CHECK_FALSE(b.uart.receive('z'));
  b.out(1, 0x0F);
  CHECK_FALSE(b.irq);  // OUT2 is forced inactive in loopback: no IRQ on a PC
  b.out(4, 0x0B);
  CHECK(b.irq);  // out of loopback, with OUT2: the pending THRE interrupt reaches the PIC
}

TEST_CASE("uart: RX FIFO trigger levels") {
  for (const auto& [fcr, level] :
       {std::pair{0x01, 1u}, std::pair{0x41, 4u}, std::pair{0x81, 8u}, std::pair{0xC1, 14u}}) {
    Bench b;
    b.setup_115200(static_cast<u8>(fcr));
    b.out(4, 0x08);
    b.out(1, 0x01);  // ERBFI
    for (unsigned k = 1; k < level; ++k) b.uart.receive(static_cast<u8>(k));
    CHECK((b.in(2) & 0x0F) == 0x01);
    b.uart.receive(0xEE);
    CHECK((b.in(2) & 0x0F) == 0x04);
    CHECK(b.irq);
    b.in(0);  // one below the trigger again
    CHECK((b.in(2) & 0x0F) == 0x01);
  }
}

TEST_CASE("uart: character timeout after four character times in FIFO mode") {
  Bench b;
  b.setup_115200(0xC1);  // trigger 14
  b.out(4, 0x08);
  b.out(1, 0x01);
  b.uart.receive('a');
  b.uart.receive('b');
  b.timeline.advance_to(4 * kCharTime115200 - 1);
  CHECK_FALSE(b.irq);
  b.timeline.advance_to(4 * kCharTime115200);
  CHECK(b.irq);
  CHECK(b.in(2) == 0xCC);
  CHECK(b.in(0) == 'a');  // reading a character restarts the timer
  CHECK_FALSE(b.irq);
  b.timeline.advance_to(8 * kCharTime115200);
  CHECK(b.in(2) == 0xCC);
  CHECK(b.in(0) == 'b');
  CHECK(b.in(2) == 0xC1);
}

TEST_CASE("uart: interrupt priority — line status, RX data, THRE, modem status") {
  Bench b;
  b.setup_115200(0x01);  // FIFO, trigger 1
  b.out(4, 0x08);
  for (int k = 0; k < 17; ++k) b.uart.receive(static_cast<u8>('A' + k));  // overrun
  b.uart.set_modem_inputs(false, true, false, true);                      // CTS dropped
  b.out(1, 0x0F);                                                         // every source
  CHECK(b.in(2) == 0xC6);                                                 // line status first
  const u8 lsr = b.in(5);
  CHECK((lsr & 0x03) == 0x03);                             // OE, DR
  CHECK(b.in(2) == 0xC4);                                  // then RX data
  for (int k = 0; k < 16; ++k) CHECK(b.in(0) == 'A' + k);  // the 17th was lost
  CHECK(b.in(2) == 0xC2);                                  // then THRE (pending since ETBEI was enabled)
  CHECK(b.in(2) == 0xC0);                                  // reading IIR cleared THRE: modem status
  CHECK((b.in(6) & 0x01) == 0x01);                         // DCTS
  CHECK(b.in(2) == 0xC1);
  CHECK_FALSE(b.irq);
}

TEST_CASE("uart: 16450 mode overruns overwrite RBR; a break arrives with BI") {
  Bench b;
  b.out(4, 0x08);
  b.out(1, 0x05);  // ERBFI, ELSI
  b.uart.receive('1');
  b.uart.receive('2');
  CHECK(b.in(2) == 0x06);
  CHECK(b.in(5) == 0x63);  // OE, DR
  CHECK(b.in(0) == '2');
  CHECK(b.in(0) == '2');  // an empty RBR repeats its last character
  CHECK((b.in(5) & 0x01) == 0);
  b.out(2, 0x01);
  b.uart.receive_break();
  CHECK(b.in(2) == 0xC6);
  CHECK((b.in(5) & 0x91) == 0x91);  // BI, FIFO error, DR
  CHECK((b.in(5) & 0x90) == 0x00);  // reported once
  CHECK(b.in(0) == 0x00);
}

TEST_CASE("uart: the IRQ pin needs MCR.OUT2 on a PC") {
  Bench b;
  b.out(1, 0x02);
  CHECK_FALSE(b.irq);
  CHECK((b.in(2) & 0x0F) == 0x02);  // pending, just not wired through
  b.out(1, 0x00);
  b.out(1, 0x02);
  b.out(4, 0x08);
  CHECK(b.irq);
  CHECK(b.irq_rising == 1);
}

TEST_CASE("uart: state round-trips mid-transmission") {
  Bench a;
  a.setup_115200();
  a.out(4, 0x0B);
  a.out(1, 0x03);
  for (char c : std::string("hello")) a.out(0, static_cast<u8>(c));
  a.uart.receive('r');
  a.timeline.advance_to(2 * kCharTime115200 + 5);
  StateWriter w;
  w.section("timeline", 1, [&](StateVisitor& v) { a.timeline.serialize(v); });
  w.section("uart", 1, [&](StateVisitor& v) { a.uart.serialize(v); });
  const std::vector<u8> state = w.finish();

  Bench b;
  StateReader r(state);
  r.section("timeline", 1, [&](StateVisitor& v, u32) { b.timeline.serialize(v); });
  r.section("uart", 1, [&](StateVisitor& v, u32) { b.uart.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.uart.describe() == a.uart.describe());
  a.timeline.advance_to(10 * kCharTime115200);
  b.timeline.advance_to(10 * kCharTime115200);
  REQUIRE(b.wire.sent.size() == 3);
  for (std::size_t k = 0; k < 3; ++k) CHECK(b.wire.sent[k] == a.wire.sent[k + 2]);
  CHECK(b.in(0) == 'r');

  Bench bad;
  StateWriter w2;
  w2.section("uart", 1, [&](StateVisitor& v) {
    u8 count = 200;
    v.field("rx_count", count);
  });
  const std::vector<u8> bad_state = w2.finish();
  StateReader r2(bad_state);
  r2.section("uart", 1, [&](StateVisitor& v, u32) { bad.uart.serialize(v); });
  CHECK_FALSE(r2.ok());
}

TEST_CASE("uart: hostile port traffic never breaks it") {
  GuestLog::instance().reset_counts();
  Bench b;
  std::mt19937 rng(16550);
  for (int k = 0; k < 100000; ++k) {
    const u16 port = static_cast<u16>(0x3F8 + rng() % 8);
    switch (rng() % 4) {
      case 0: b.uart.port_read(port, 1 + rng() % 4); break;
      case 1:
        if (b.uart.rx_space()) b.uart.receive(static_cast<u8>(rng()));
        break;
      default: b.uart.port_write(port, 1 + rng() % 2, rng()); break;
    }
    if (k % 8 == 0) b.timeline.advance_to(b.timeline.now() + rng() % 1'000'000);
  }
  CHECK(b.timeline.pending_count() <= 1);
  CHECK(b.uart.state().rx_count <= 16);
  CHECK(b.uart.state().tx_count <= 16);
  GuestLog::instance().reset_counts();
}
