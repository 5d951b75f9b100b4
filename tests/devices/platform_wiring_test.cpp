// The timer devices wired to the PICs as on a PC, driven by the deterministic instruction clock
// the way a machine's run loop drives them: run the CPU for the budget the timeline allows, run
// the due events, take an interrupt if INTR is up.
#include <doctest/doctest.h>

#include <vector>

#include "core/timeline.h"
#include "devices/pic8259/pic8259.h"
#include "devices/pit8254/pit8254.h"
#include "devices/rtc146818/rtc146818.h"
#include "devices/uart16550/uart16550.h"

using namespace emu;

namespace {

struct NullLine : SerialBackend {
  unsigned bytes = 0;
  void transmit(u8) override { ++bytes; }
};

struct Taken {
  u64 instruction;
  u8 vector;
  bool operator==(const Taken&) const = default;
};

// A 100 Hz PIT, the RTC's 1024 Hz periodic interrupt and a UART sending a line on COM1, for
// `instructions` instructions at 2^shift ns each. Returns every interrupt taken.
std::vector<Taken> run_pc_timers(u64 instructions_to_run, unsigned shift, unsigned* uart_bytes) {
  u64 instructions = 0;
  Timeline timeline;
  timeline.use_instruction_clock(&instructions, shift);
  Pic8259 pic;
  Pit8254 pit(timeline);
  Rtc146818 rtc(timeline, kDeterministicRtcBase);
  Uart16550 com1(timeline, Uart16550::kCom1Base, Uart16550::kCom1Irq);
  NullLine line;
  com1.set_backend(&line);
  pit.set_irq0([&](bool level) { pic.set_irq(0, level); });
  rtc.set_irq([&](bool level) { pic.set_irq(8, level); });
  com1.set_irq([&](bool level) { pic.set_irq(Uart16550::kCom1Irq, level); });

  auto out = [](PortHandler& device, u16 port, u8 value) { device.port_write(port, 1, value); };
  auto in = [](PortHandler& device, u16 port) { return static_cast<u8>(device.port_read(port, 1)); };
  // Linux's init_8259A and the BIOS's PIT/RTC setup.
  for (auto [port, value] : {std::pair{0x20, 0x11},
                             {0x21, 0x20},
                             {0x21, 0x04},
                             {0x21, 0x01},
                             {0xA0, 0x11},
                             {0xA1, 0x28},
                             {0xA1, 0x02},
                             {0xA1, 0x01}})
    out(pic, static_cast<u16>(port), static_cast<u8>(value));
  out(pit, 0x43, 0x34);
  out(pit, 0x40, 11932 & 0xFF);
  out(pit, 0x40, 11932 >> 8);  // 100 Hz
  out(rtc, 0x70, 0x0B);
  out(rtc, 0x71, 0x42);  // PIE at the default 1024 Hz
  out(com1, 0x3FB, 0x80);
  out(com1, 0x3F8, 1);
  out(com1, 0x3F9, 0);
  out(com1, 0x3FB, 0x03);
  out(com1, 0x3FA, 0x07);
  out(com1, 0x3FC, 0x0B);
  out(com1, 0x3F9, 0x02);  // THRE interrupts
  unsigned to_send = 64;

  std::vector<Taken> taken;
  while (instructions < instructions_to_run) {
    // "Run the CPU" for the budget, then run what fell due.
    const u64 budget = timeline.instructions_until_next_event().value_or(1000);
    instructions += std::max<u64>(budget, 1);
    timeline.run_due();
    while (pic.intr_pending()) {
      const u8 vector = pic.acknowledge();
      taken.push_back({instructions, vector});
      switch (vector) {
        case 0x20: break;  // timer tick
        case 0x28:         // RTC: read register C, EOI the slave
          out(rtc, 0x70, 0x0C);
          in(rtc, 0x71);
          out(pic, 0xA0, 0x20);
          break;
        case 0x24:  // COM1: refill the FIFO on THRE
          if ((in(com1, 0x3FA) & 0x0F) == 0x02)
            for (unsigned k = 0; k < 16 && to_send; ++k, --to_send) out(com1, 0x3F8, 'x');
          break;
        default: FAIL("unexpected vector ", int(vector));
      }
      out(pic, 0x20, 0x20);
    }
  }
  *uart_bytes = line.bytes;
  return taken;
}

}  // namespace

TEST_CASE("platform: PIT, RTC and UART interrupts through the PICs under the instruction clock") {
  unsigned bytes_a = 0, bytes_b = 0;
  // 0.5 s of virtual time at 4 ns per instruction.
  const std::vector<Taken> a = run_pc_timers(125'000'000, 2, &bytes_a);
  const std::vector<Taken> b = run_pc_timers(125'000'000, 2, &bytes_b);
  CHECK(a == b);  // deterministic: same interrupts at the same instruction counts
  unsigned timer = 0, rtc = 0, uart = 0;
  for (const Taken& t : a) {
    timer += t.vector == 0x20;
    rtc += t.vector == 0x28;
    uart += t.vector == 0x24;
  }
  CHECK(timer == 50);  // the control word's rising OUT, then 100 Hz: edges at 10.0008 ms + k * 10 ms
  CHECK(rtc == 512);   // 1024 Hz
  CHECK(uart == 5);    // the initial THRE and one per drained FIFO of 16
  CHECK(bytes_a == 64);
  // Events fire at exactly the instruction where they fall due: each timer tick after the
  // first is taken within one instruction (4 ns) after its CLK edge.
  bool first = true;
  for (const Taken& t : a) {
    if (t.vector != 0x20) continue;
    const u64 ns = t.instruction << 2;
    if (!first) CHECK(ns - Pit8254::ns_of_tick(Pit8254::tick_at(ns)) < 4);
    first = false;
  }
}
