// The i440FX host bridge (82441FX datasheet), the PIIX3 ISA bridge's PCI interrupt steering
// (82371SB datasheet, PIRQRC), port 0x92 and the Reset Control Register at 0xCF9.
#include <doctest/doctest.h>

#include <vector>

#include "core/address_space.h"
#include "core/guest_log.h"
#include "core/serializer.h"
#include "devices/pci/i440fx.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/piix3.h"

using namespace emu;

namespace {

struct Chipset {
  AddressSpace space{1u << 20};
  PciBus bus{space};
  I440fxHostBridge host;
  Piix3IsaBridge isa;
  std::vector<std::pair<unsigned, bool>> irq_events;
  u32 irq_lines = 0;
  Chipset() {
    space.map_ports(0xCF8, 1, &bus);
    space.map_ports(0xCFC, 4, &bus);
    bus.attach(0, 0, &host);
    bus.attach(1, 0, &isa);
    bus.set_pirq_listener([this](unsigned pirq, bool level) { isa.set_pirq_level(pirq, level); });
    isa.set_isa_irq_handler([this](unsigned irq, bool level) {
      irq_events.push_back({irq, level});
      irq_lines = level ? irq_lines | (1u << irq) : irq_lines & ~(1u << irq);
    });
  }
  u32 cfg_read(unsigned dev, unsigned fn, u8 reg, unsigned size) {
    space.port_write(0xCF8, 4, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xFC));
    return space.port_read(static_cast<u16>(0xCFC + (reg & 3)), size);
  }
  void cfg_write(unsigned dev, unsigned fn, u8 reg, unsigned size, u32 value) {
    space.port_write(0xCF8, 4, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xFC));
    space.port_write(static_cast<u16>(0xCFC + (reg & 3)), size, value);
  }
};

}  // namespace

TEST_CASE("i440fx: identity 8086:1237 rev 02 class 0600 at 00:00.0, PCICMD and PCISTS reset values") {
  Chipset c;
  CHECK(c.cfg_read(0, 0, 0x00, 4) == 0x12378086u);
  CHECK(c.cfg_read(0, 0, 0x08, 4) == 0x06000002u);
  CHECK(c.cfg_read(0, 0, 0x0E, 1) == 0x00);
  CHECK(c.cfg_read(0, 0, 0x04, 2) == 0x0006);
  CHECK(c.cfg_read(0, 0, 0x06, 2) == 0x0280);
  c.cfg_write(0, 0, 0x04, 2, 0);  // MAE and BME are hard-wired
  CHECK(c.cfg_read(0, 0, 0x04, 2) == 0x0006);
  c.cfg_write(0, 0, 0x04, 2, 0xFFFF);
  CHECK(c.cfg_read(0, 0, 0x04, 2) == 0x0146);
  c.cfg_write(0, 0, 0x0D, 1, 0xFF);
  CHECK(c.cfg_read(0, 0, 0x0D, 1) == 0xF8);
}

TEST_CASE("i440fx: PAM0-6 keep only their documented bits and report changes") {
  Chipset c;
  std::vector<std::pair<unsigned, u8>> changes;
  c.host.on_pam_changed = [&](unsigned pam, u8 v) { changes.push_back({pam, v}); };
  c.cfg_write(0, 0, 0x58, 4, 0xFFFFFFFFu);  // DRAMT, PAM0, PAM1, PAM2
  c.cfg_write(0, 0, 0x5C, 4, 0xFFFFFFFFu);  // PAM3-6
  CHECK(c.cfg_read(0, 0, 0x58, 4) == 0x33333000u);
  CHECK(c.cfg_read(0, 0, 0x5C, 4) == 0x33333333u);
  CHECK(changes.size() == 7);
  CHECK(changes.front() == std::pair<unsigned, u8>{0, 0x30});
  CHECK(c.host.pam_region(0).base == 0xF0000);
  CHECK(c.host.pam_region(0).access == I440fxHostBridge::PamAccess::ReadWrite);
  c.cfg_write(0, 0, 0x5A, 1, 0x12);  // PAM1: C0000 write-only, C4000 read-only
  CHECK(c.host.pam_region(1).base == 0xC0000);
  CHECK(c.host.pam_region(1).access == I440fxHostBridge::PamAccess::WriteOnly);
  CHECK(c.host.pam_region(2).base == 0xC4000);
  CHECK(c.host.pam_region(2).access == I440fxHostBridge::PamAccess::ReadOnly);
  CHECK(c.host.pam_region(12).base == 0xEC000);
  changes.clear();
  c.cfg_write(0, 0, 0x5A, 1, 0x12);  // same value: nothing to report
  CHECK(changes.empty());
  c.host.reset();
  CHECK(changes.size() == 7);  // the reset returned every PAM to 0 (all accesses to PCI/ROM)
  CHECK(c.host.pam(3) == 0);
}

TEST_CASE("i440fx: SMRAM resets to 02h; D_LCK clears D_OPEN and locks until reset") {
  Chipset c;
  CHECK(c.cfg_read(0, 0, 0x72, 1) == 0x02);
  c.cfg_write(0, 0, 0x72, 1, 0xFF);
  CHECK(c.cfg_read(0, 0, 0x72, 1) == 0x3A);  // D_LCK set in the same write: D_OPEN reset to 0
  c.cfg_write(0, 0, 0x72, 1, 0x42);          // try to reopen and unlock
  CHECK(c.cfg_read(0, 0, 0x72, 1) == 0x1A);  // D_CLS is the only bit that still changes
  c.bus.reset();
  CHECK(c.cfg_read(0, 0, 0x72, 1) == 0x02);
  c.cfg_write(0, 0, 0x72, 1, 0x48);
  CHECK(c.cfg_read(0, 0, 0x72, 1) == 0x4A);
}

TEST_CASE("i440fx: state round-trips, including the SMRAM lock") {
  Chipset a;
  a.cfg_write(0, 0, 0x59, 1, 0x30);
  a.cfg_write(0, 0, 0x72, 1, 0x1A);
  StateWriter w;
  w.section("i440fx", 1, [&](StateVisitor& v) { a.host.serialize(v); });
  const std::vector<u8> state = w.finish();
  Chipset b;
  StateReader r(state);
  r.section("i440fx", 1, [&](StateVisitor& v, u32) { b.host.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.host.describe() == a.host.describe());
  b.cfg_write(0, 0, 0x72, 1, 0x42);
  CHECK(b.cfg_read(0, 0, 0x72, 1) == 0x1A);  // still locked
}

TEST_CASE("piix3: identity 8086:7000 class 0601, multi-function header, datasheet reset values") {
  Chipset c;
  CHECK(c.cfg_read(1, 0, 0x00, 4) == 0x70008086u);
  CHECK((c.cfg_read(1, 0, 0x08, 4) >> 8) == 0x060100u);
  CHECK(c.cfg_read(1, 0, 0x0E, 1) == 0x80);
  CHECK(c.cfg_read(1, 0, 0x04, 2) == 0x0007);
  CHECK(c.cfg_read(1, 0, 0x06, 2) == 0x0200);
  CHECK(c.cfg_read(1, 0, 0x4C, 1) == 0x4D);
  CHECK(c.cfg_read(1, 0, 0x4E, 2) == 0x0003);
  CHECK(c.cfg_read(1, 0, 0x60, 4) == 0x80808080u);
  CHECK(c.cfg_read(1, 0, 0x69, 1) == 0x02);
  CHECK(c.cfg_read(1, 0, 0x70, 1) == 0x80);
  CHECK(c.cfg_read(1, 0, 0x76, 2) == 0x0C0C);
  CHECK(c.cfg_read(1, 0, 0x78, 2) == 0x0002);
  CHECK(c.cfg_read(1, 0, 0xA0, 1) == 0x08);
  CHECK(c.cfg_read(1, 0, 0xA8, 1) == 0x0F);
  c.cfg_write(1, 0, 0x69, 1, 0xFF);
  CHECK(c.cfg_read(1, 0, 0x69, 1) == 0xFE);  // TOM bit 0 reserved
  c.cfg_write(1, 0, 0x60, 1, 0xFF);
  CHECK(c.cfg_read(1, 0, 0x60, 1) == 0x8F);  // PIRQRC bits 6:4 reserved
}

TEST_CASE("piix3: PIRQRC steers a PIRQ to its IRQ; routing disabled or reserved IRQs drive nothing") {
  Chipset c;
  c.isa.set_pirq_level(0, true);
  CHECK(c.irq_events.empty());       // PIRQA not routed at reset (bit 7 set)
  c.cfg_write(1, 0, 0x60, 1, 0x0B);  // PIRQA -> IRQ 11: the asserted PIRQ appears at once
  CHECK(c.irq_events == std::vector<std::pair<unsigned, bool>>{{11, true}});
  c.isa.set_pirq_level(0, false);
  CHECK(c.irq_lines == 0);
  GuestLog::instance().reset_counts();
  for (u8 reserved : {0, 1, 2, 8, 13}) {
    c.cfg_write(1, 0, 0x61, 1, reserved);
    CHECK_FALSE(c.isa.pirq_route(1));
  }
  CHECK(GuestLog::instance().total() == 5);
  c.isa.set_pirq_level(1, true);
  CHECK(c.irq_lines == 0);
  for (u8 valid : {3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15}) {
    c.cfg_write(1, 0, 0x61, 1, valid);
    CHECK(c.irq_lines == 1u << valid);
  }
}

TEST_CASE("piix3: PIRQs sharing an IRQ are ORed, and re-routing while asserted moves the level") {
  Chipset c;
  c.cfg_write(1, 0, 0x60, 4, 0x0B0B0A0Au);  // A,B -> 10; C,D -> 11 (SeaBIOS's default)
  c.isa.set_pirq_level(0, true);
  c.isa.set_pirq_level(1, true);
  CHECK(c.irq_lines == 1u << 10);
  c.isa.set_pirq_level(0, false);
  CHECK(c.irq_lines == 1u << 10);  // PIRQB still holds IRQ 10
  c.isa.set_pirq_level(1, false);
  CHECK(c.irq_lines == 0);
  c.isa.set_pirq_level(2, true);
  c.irq_events.clear();
  c.cfg_write(1, 0, 0x62, 1, 0x05);  // PIRQC moves from IRQ 11 to IRQ 5 while asserted
  CHECK(c.irq_events == std::vector<std::pair<unsigned, bool>>{{11, false}, {5, true}});
  c.cfg_write(1, 0, 0x63, 1, 0x05);  // PIRQD joins IRQ 5, not asserted: no change
  c.irq_events.clear();
  c.cfg_write(1, 0, 0x62, 1, 0x80);  // PIRQC disabled: IRQ 5 drops
  CHECK(c.irq_events == std::vector<std::pair<unsigned, bool>>{{5, false}});
}

TEST_CASE("piix3: a PCI function's INTx# reaches the PIC line through the bus swizzle and PIRQRC") {
  Chipset c;
  struct Nic : PciFunction {
    Nic()
        : PciFunction("nic", [] {
            PciIdentity id;
            id.vendor_id = 0x1022;
            id.device_id = 0x2000;
            id.interrupt_pin = 1;
            return id;
          }()) {}
  } nic;
  c.bus.attach(3, 0, &nic);  // 00:03.0 INTA# -> PIRQC
  c.cfg_write(1, 0, 0x62, 1, 0x0B);
  nic.set_intx(true);
  CHECK(c.irq_lines == 1u << 11);
  nic.set_intx(false);
  CHECK(c.irq_lines == 0);
}

TEST_CASE("piix3: reset drops routed lines; state round-trips without re-driving IRQs") {
  Chipset a;
  a.cfg_write(1, 0, 0x60, 1, 0x09);
  a.isa.set_pirq_level(0, true);
  CHECK(a.irq_lines == 1u << 9);
  StateWriter w;
  w.section("piix3", 1, [&](StateVisitor& v) { a.isa.serialize(v); });
  const std::vector<u8> state = w.finish();
  Chipset b;
  StateReader r(state);
  r.section("piix3", 1, [&](StateVisitor& v, u32) { b.isa.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.isa.describe() == a.isa.describe());
  CHECK(b.isa.isa_irq_levels() == 1u << 9);
  CHECK(b.irq_events.empty());
  a.isa.reset();
  CHECK(a.irq_lines == 0);
  CHECK(a.cfg_read(1, 0, 0x60, 1) == 0x80);
}

TEST_CASE("piix3: port 0x92 — FAST_A20 follows bit 1, FAST_INIT resets on a 0-to-1 edge only") {
  SystemControlPortA port;
  std::vector<bool> a20;
  std::vector<PcResetKind> resets;
  port.set_a20 = [&](bool on) { a20.push_back(on); };
  port.request_reset = [&](PcResetKind k) { resets.push_back(k); };
  CHECK(port.port_read(0x92, 1) == 0x00);
  port.port_write(0x92, 1, 0x02);
  CHECK(a20 == std::vector<bool>{true});
  CHECK(port.port_read(0x92, 1) == 0x02);
  port.port_write(0x92, 1, 0x02);  // no change, no call
  CHECK(a20.size() == 1);
  CHECK(resets.empty());
  port.port_write(0x92, 1, 0x03);
  CHECK(resets == std::vector<PcResetKind>{PcResetKind::CpuInit});
  port.port_write(0x92, 1, 0x03);  // bit 0 already 1: not an edge
  CHECK(resets.size() == 1);
  port.reset();
  CHECK(port.port_read(0x92, 1) == 0x02);  // FAST_INIT cleared, A20 kept
  port.port_write(0x92, 1, 0x01);
  CHECK(resets.size() == 2);
  CHECK(a20.back() == false);
  port.port_write(0x92, 1, 0xFC);  // reserved bits read 0
  CHECK(port.port_read(0x92, 1) == 0x00);
  CHECK(port.port_read(0x92, 2) == 0xFF00);  // port 0x93 is not ours

  StateWriter w;
  port.port_write(0x92, 1, 0x02);
  w.section("port92", 1, [&](StateVisitor& v) { port.serialize(v); });
  const std::vector<u8> state = w.finish();
  SystemControlPortA loaded;
  StateReader r(state);
  r.section("port92", 1, [&](StateVisitor& v, u32) { loaded.serialize(v); });
  REQUIRE(r.ok());
  CHECK(loaded.describe() == port.describe());
}

TEST_CASE("piix3: 0xCF9 — RCPU starts the reset SRST selects; only SRST is kept") {
  Chipset c;
  Piix3ResetControl rc;
  c.space.map_ports(Piix3ResetControl::kPort, 1, &rc);
  std::vector<PcResetKind> resets;
  rc.request_reset = [&](PcResetKind k) { resets.push_back(k); };
  c.space.port_write(0xCF9, 1, 0x02);  // choose hard reset, do not start it
  CHECK(resets.empty());
  CHECK(c.space.port_read(0xCF9, 1) == 0x02);
  c.space.port_write(0xCF9, 1, 0x06);
  CHECK(resets == std::vector<PcResetKind>{PcResetKind::System});
  CHECK(c.space.port_read(0xCF9, 1) == 0x02);  // RCPU reads 0
  c.space.port_write(0xCF9, 1, 0x04);
  CHECK(resets.back() == PcResetKind::CpuInit);
  CHECK(c.space.port_read(0xCF9, 1) == 0x00);
  // CONFIG_ADDRESS at 0xCF8 still works beside it, and 0xCF9 does not disturb it.
  c.space.port_write(0xCF8, 4, 0x80000800u);
  CHECK(c.space.port_read(0xCFC, 4) == 0x70008086u);
  CHECK(c.space.port_read(0xCF8, 4) == 0x80000800u);

  StateWriter w;
  c.space.port_write(0xCF9, 1, 0x02);
  w.section("rc", 1, [&](StateVisitor& v) { rc.serialize(v); });
  const std::vector<u8> state = w.finish();
  Piix3ResetControl loaded;
  StateReader r(state);
  r.section("rc", 1, [&](StateVisitor& v, u32) { loaded.serialize(v); });
  REQUIRE(r.ok());
  CHECK(loaded.value() == 0x02);
}
