// The cascaded 8259A PICs against the Intel 8259A datasheet and the PIIX3 ELCR registers.
#include "devices/pic8259/pic8259.h"

#include <doctest/doctest.h>

#include <random>

#include "core/guest_log.h"
#include "core/serializer.h"

using namespace emu;

namespace {

// The initialisation Linux's init_8259A() and every PC BIOS perform: edge triggered, cascaded,
// 8086 mode; master vectors 0x20-0x27, slave 0x28-0x2F.
struct Pics {
  Pic8259 pic;
  Pics(u8 master_icw4 = 0x01, u8 slave_icw4 = 0x01) {
    out(0x20, 0x11);  // ICW1: edge, cascade, ICW4 needed
    out(0x21, 0x20);  // ICW2: vector base
    out(0x21, 0x04);  // ICW3: slave on IR2
    out(0x21, master_icw4);
    out(0xA0, 0x11);
    out(0xA1, 0x28);
    out(0xA1, 0x02);  // ICW3: slave ID 2
    out(0xA1, slave_icw4);
  }
  void out(u16 port, u8 v) { pic.port_write(port, 1, v); }
  u8 in(u16 port) { return static_cast<u8>(pic.port_read(port, 1)); }
  void pulse(unsigned line) {
    pic.set_irq(line, true);
    pic.set_irq(line, false);
  }
  void eoi_master() { out(0x20, 0x20); }
  void eoi_slave() { out(0xA0, 0x20); }
};

}  // namespace

TEST_CASE("pic: an edge on IRQ 0 is delivered with ICW2's vector and held in ISR until EOI") {
  Pics p;
  CHECK_FALSE(p.pic.intr_pending());
  p.pulse(0);
  CHECK(p.pic.intr_pending());
  CHECK(p.pic.acknowledge() == 0x20);
  CHECK(p.pic.master().isr == 0x01);
  CHECK(p.pic.master().irr == 0x00);
  CHECK_FALSE(p.pic.intr_pending());
  p.pulse(0);  // a new edge while in service waits in IRR
  CHECK_FALSE(p.pic.intr_pending());
  CHECK(p.pic.master().irr == 0x01);
  p.eoi_master();
  CHECK(p.pic.intr_pending());
}

TEST_CASE("pic: fixed priority, nesting of higher levels, IMR masking") {
  Pics p;
  p.pulse(3);
  p.pulse(1);
  CHECK(p.pic.acknowledge() == 0x21);  // IRQ 1 outranks IRQ 3
  CHECK_FALSE(p.pic.intr_pending());   // IRQ 3 waits for IRQ 1's EOI
  p.pulse(0);
  CHECK(p.pic.intr_pending());  // IRQ 0 may nest inside IRQ 1
  CHECK(p.pic.acknowledge() == 0x20);
  CHECK(p.pic.master().isr == 0x03);
  p.eoi_master();  // non-specific EOI clears the highest-priority ISR bit: IRQ 0
  CHECK(p.pic.master().isr == 0x02);
  p.out(0x20, 0x61);  // specific EOI for level 1
  CHECK(p.pic.master().isr == 0x00);
  CHECK(p.pic.acknowledge() == 0x23);
  p.eoi_master();

  p.out(0x21, 0x10);  // OCW1: mask IRQ 4
  CHECK(p.in(0x21) == 0x10);
  p.pulse(4);
  CHECK_FALSE(p.pic.intr_pending());
  p.out(0x21, 0x00);
  CHECK(p.pic.intr_pending());
  CHECK(p.pic.acknowledge() == 0x24);
}

TEST_CASE("pic: the cascade — slave IRQs arrive through master IR2") {
  Pics p;
  p.pulse(10);
  CHECK(p.pic.intr_pending());
  CHECK(p.pic.acknowledge() == 0x2A);
  CHECK(p.pic.master().isr == 0x04);
  CHECK(p.pic.slave().isr == 0x04);
  // A second slave IRQ of lower priority waits; after both EOIs it is delivered.
  p.pulse(14);
  CHECK_FALSE(p.pic.intr_pending());
  p.eoi_slave();
  CHECK_FALSE(p.pic.intr_pending());  // the master still has IR2 in service
  p.eoi_master();
  CHECK(p.pic.intr_pending());
  CHECK(p.pic.acknowledge() == 0x2E);
  p.eoi_slave();
  p.eoi_master();
  // The slave, on IR2, outranks master IRQ 3 and holds it off while in service.
  p.pulse(3);
  p.pulse(8);
  CHECK(p.pic.acknowledge() == 0x28);
  CHECK_FALSE(p.pic.intr_pending());
}

TEST_CASE("pic: special fully nested mode lets a higher slave level nest inside a slave level") {
  Pics p(0x11);  // master ICW4: SFNM
  p.pulse(12);
  CHECK(p.pic.acknowledge() == 0x2C);
  p.pulse(9);
  CHECK(p.pic.intr_pending());
  CHECK(p.pic.acknowledge() == 0x29);
  Pics normal;
  normal.pulse(12);
  normal.pic.acknowledge();
  normal.pulse(9);
  CHECK_FALSE(normal.pic.intr_pending());
}

TEST_CASE("pic: ELCR makes a line level triggered; reserved ELCR bits stay clear") {
  Pics p;
  p.out(0x4D0, 0xFF);
  CHECK(p.in(0x4D0) == 0xF8);  // IRQ 0, 1, 2 are edge only
  p.out(0x4D1, 0xFF);
  CHECK(p.in(0x4D1) == 0xDE);  // IRQ 8 and 13 are edge only
  p.out(0x4D0, 0x00);
  p.out(0x4D1, 0x08);  // IRQ 11 level triggered

  p.pic.set_irq(11, true);
  CHECK(p.pic.acknowledge() == 0x2B);
  p.eoi_slave();
  p.eoi_master();
  CHECK(p.pic.intr_pending());  // still high: requests again
  CHECK(p.pic.acknowledge() == 0x2B);
  p.eoi_slave();
  p.eoi_master();
  // The slave re-raised INT after its EOI, so the master latched another IR2 edge; the line
  // then drops before INTA and the slave answers with IRQ 15's spurious vector.
  p.pic.set_irq(11, false);
  CHECK(p.pic.acknowledge() == 0x2F);
  p.eoi_master();
  CHECK_FALSE(p.pic.intr_pending());

  // An edge-triggered line held high requests once.
  p.pic.set_irq(5, true);
  CHECK(p.pic.acknowledge() == 0x25);
  p.eoi_master();
  CHECK_FALSE(p.pic.intr_pending());
}

TEST_CASE("pic: OCW3 reads IRR or ISR; poll mode acknowledges by a read") {
  Pics p;
  p.out(0x21, 0xFF);  // all masked: IRR still records
  p.pulse(6);
  p.out(0x20, 0x0A);  // OCW3: read IRR
  CHECK(p.in(0x20) == 0x40);
  p.out(0x21, 0x00);
  p.pic.acknowledge();
  p.out(0x20, 0x0B);  // OCW3: read ISR
  CHECK(p.in(0x20) == 0x40);
  p.eoi_master();

  p.pulse(5);
  p.out(0x20, 0x0C);  // OCW3: poll
  CHECK(p.in(0x20) == 0x85);
  CHECK(p.pic.master().isr == 0x20);
  p.out(0x20, 0x0C);
  CHECK(p.in(0x21) == 0x00);  // nothing pending: I bit clear
  p.eoi_master();
  // After the poll the data port reads IMR again.
  CHECK(p.in(0x21) == 0x00);
}

TEST_CASE("pic: spurious interrupts answer IR7 without setting ISR") {
  Pics p;
  // Level line drops between INTR and INTA.
  p.out(0x4D0, 0x20);  // IRQ 5 level
  p.pic.set_irq(5, true);
  CHECK(p.pic.intr_pending());
  p.pic.set_irq(5, false);
  CHECK(p.pic.acknowledge() == 0x27);
  CHECK(p.pic.master().isr == 0x00);

  // Spurious on the slave: IRQ 15's vector, master IR2 in service.
  p.out(0x4D1, 0x02);  // IRQ 9 level
  p.pic.set_irq(9, true);
  CHECK(p.pic.intr_pending());
  p.pic.set_irq(9, false);  // master IRR2 latched the edge, the slave has nothing
  CHECK(p.pic.acknowledge() == 0x2F);
  CHECK(p.pic.master().isr == 0x04);
  CHECK(p.pic.slave().isr == 0x00);
}

TEST_CASE("pic: rotation — rotate on EOI, set priority, rotate in automatic EOI mode") {
  Pics p;
  p.pulse(0);
  p.pic.acknowledge();
  p.out(0x20, 0xA0);  // rotate on non-specific EOI: IRQ 0 becomes lowest
  CHECK(p.pic.master().highest_priority_line == 1);
  p.pulse(0);
  p.pulse(3);
  CHECK(p.pic.acknowledge() == 0x23);
  p.out(0x20, 0xE3);  // rotate on specific EOI of level 3: IRQ 4 highest
  p.pulse(4);
  CHECK(p.pic.acknowledge() == 0x24);  // outranks the pending IRQ 0
  p.out(0x20, 0x64);
  p.out(0x20, 0xC7);  // set priority: IRQ 7 lowest, IRQ 0 highest again
  CHECK(p.pic.master().highest_priority_line == 0);
  CHECK(p.pic.acknowledge() == 0x20);
  p.eoi_master();

  Pics a(0x03);  // AEOI
  a.pulse(3);
  CHECK(a.pic.acknowledge() == 0x23);
  CHECK(a.pic.master().isr == 0x00);  // no ISR bit in AEOI mode
  a.out(0x20, 0x80);                  // set rotate in AEOI mode
  a.pulse(1);
  CHECK(a.pic.acknowledge() == 0x21);
  CHECK(a.pic.master().highest_priority_line == 2);
}

TEST_CASE("pic: special mask mode lets lower levels in while the current level is masked") {
  Pics p;
  p.pulse(1);
  p.pic.acknowledge();
  p.pulse(4);
  CHECK_FALSE(p.pic.intr_pending());
  p.out(0x21, 0x02);  // the IRQ 1 handler masks its own level
  p.out(0x20, 0x68);  // OCW3: set special mask mode
  CHECK(p.pic.intr_pending());
  CHECK(p.pic.acknowledge() == 0x24);
  p.out(0x20, 0x48);  // reset special mask mode
  CHECK_FALSE(p.pic.master().special_mask);
}

TEST_CASE("pic: ICW1 resets the edge detector, IMR and priority") {
  Pics p;
  p.out(0x21, 0x55);
  p.pic.set_irq(3, true);
  p.out(0x20, 0x11);
  p.out(0x21, 0x08);
  p.out(0x21, 0x04);
  p.out(0x21, 0x01);
  CHECK(p.in(0x21) == 0x00);
  CHECK_FALSE(p.pic.intr_pending());  // IRQ 3 is still high but made no new edge
  p.pic.set_irq(3, false);
  p.pic.set_irq(3, true);
  CHECK(p.pic.acknowledge() == 0x0B);
}

TEST_CASE("pic: state round-trips and bad state is refused") {
  Pics a;
  a.out(0x4D1, 0x08);
  a.out(0x21, 0x10);
  a.pulse(3);
  a.pulse(10);
  a.pic.acknowledge();
  StateWriter w;
  w.section("pic", 1, [&](StateVisitor& v) { a.pic.serialize(v); });
  const std::vector<u8> state = w.finish();

  Pic8259 b;
  StateReader r(state);
  r.section("pic", 1, [&](StateVisitor& v, u32) { b.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.describe() == a.pic.describe());
  CHECK(b.intr_pending() == a.pic.intr_pending());
  CHECK(b.acknowledge() == a.pic.acknowledge());

  Pic8259 bad;
  StateWriter w2;
  w2.section("pic", 1, [&](StateVisitor& v) {
    u8 step = 9;
    v.field("master.init_step", step);
  });
  const std::vector<u8> bad_state = w2.finish();
  StateReader r2(bad_state);
  r2.section("pic", 1, [&](StateVisitor& v, u32) { bad.serialize(v); });
  CHECK_FALSE(r2.ok());
}

TEST_CASE("pic: hostile port writes and device inputs never break it") {
  GuestLog::instance().reset_counts();
  Pic8259 pic;
  std::mt19937 rng(8259);
  const u16 ports[] = {0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1};
  for (int k = 0; k < 200000; ++k) {
    const u16 port = ports[rng() % 6];
    switch (rng() % 4) {
      case 0: pic.port_read(port, 1 + rng() % 4); break;
      case 1: pic.set_irq(rng() % 20, rng() & 1); break;
      case 2:
        if (pic.intr_pending()) {
          const u8 vector = pic.acknowledge();
          (void)vector;
        }
        break;
      default: pic.port_write(port, 1 + rng() % 2, rng()); break;
    }
  }
  CHECK(GuestLog::instance().total() > 0);  // the misuse was noticed
  GuestLog::instance().reset_counts();
}
