// The PIIX4 power-management function (82371AB datasheet §3.4, §7.2) against the ACPI fixed
// hardware rules (ACPI 1.0b §4.7): PM1 event/control, the PM timer, SCI, SMI_CMD, GPE0.
#include "devices/acpi_pm/acpi_pm.h"

#include <doctest/doctest.h>

#include <vector>

#include "core/address_space.h"
#include "core/guest_log.h"
#include "core/serializer.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/piix3.h"

using namespace emu;

namespace {

constexpr u16 kBase = acpi_pm::kPmBase;

struct Board {
  Timeline timeline;
  AddressSpace space{1u << 20};
  PciBus bus{space};
  Piix3IsaBridge isa;
  AcpiPm pm{timeline};
  std::vector<bool> sci;
  int power_offs = 0;
  explicit Board(bool program = true) {
    space.map_ports(0xCF8, 1, &bus);
    space.map_ports(0xCFC, 4, &bus);
    space.map_ports(acpi_pm::kSmiCommandPort, 2, &pm.apm_ports());
    space.map_ports(acpi_pm::kGpe0Block, acpi_pm::kGpe0Length, &pm.gpe0_ports());
    bus.attach(1, 0, &isa);
    bus.attach(1, 3, &pm);
    pm.set_sci_handler([this](bool level) { sci.push_back(level); });
    pm.set_power_off_handler([this] { ++power_offs; });
    if (program) {
      // What a BIOS does (SeaBIOS piix4_pm_setup): PMBA, then PMREGMISC.PMIOSE.
      cfg_write(0x40, 4, kBase);
      cfg_write(0x80, 1, 1);
    }
  }
  u32 cfg_read(u8 reg, unsigned size) {
    space.port_write(0xCF8, 4, 0x80000B00u | (reg & 0xFC));
    return space.port_read(static_cast<u16>(0xCFC + (reg & 3)), size);
  }
  void cfg_write(u8 reg, unsigned size, u32 value) {
    space.port_write(0xCF8, 4, 0x80000B00u | (reg & 0xFC));
    space.port_write(static_cast<u16>(0xCFC + (reg & 3)), size, value);
  }
  u32 in(u16 port, unsigned size) { return space.port_read(port, size); }
  void out(u16 port, unsigned size, u32 v) { space.port_write(port, size, v); }
  bool sci_level() const { return pm.state().sci_level; }
};

}  // namespace

TEST_CASE("acpi_pm: function 00:01.3 is 8086:7113 rev 03 class 0680 with QEMU's constants") {
  Board b(false);
  CHECK(b.cfg_read(0x00, 4) == 0x71138086u);
  CHECK(b.cfg_read(0x08, 4) == 0x06800003u);
  CHECK(b.cfg_read(0x3D, 1) == 1);
  CHECK(b.cfg_read(0x40, 4) == 0x00000001u);  // PMBA bit 0 reads 1
  CHECK(b.cfg_read(0x58, 4) == 0x02000000u);  // DEVACTB.APMC_EN: "SMM already set up"
  CHECK(b.cfg_read(0x80, 1) == 0);
  CHECK(acpi_pm::kPm1EventBlock == 0x600);
  CHECK(acpi_pm::kPm1ControlBlock == 0x604);
  CHECK(acpi_pm::kPmTimerBlock == 0x608);
  CHECK(acpi_pm::kSmiCommandPort == 0xB2);
  CHECK(acpi_pm::kAcpiEnable == 0xF1);
  CHECK(acpi_pm::kAcpiDisable == 0xF0);
  CHECK(acpi_pm::kSciIrq == 9);
  CHECK(acpi_pm::kSlpTypS5 == 0);
}

TEST_CASE("acpi_pm: PMBA decodes bits 15:6 and the block appears only while PMIOSE is set") {
  Board b(false);
  b.cfg_write(0x40, 4, 0xFFFFFFFFu);
  CHECK(b.cfg_read(0x40, 4) == 0x0000FFC1u);
  b.cfg_write(0x40, 4, kBase);
  CHECK(b.cfg_read(0x40, 4) == (kBase | 1u));
  CHECK_FALSE(b.pm.pm_block_base());
  CHECK(b.in(kBase + 4, 2) == 0xFFFF);  // nobody there yet
  b.cfg_write(0x80, 1, 0xFF);
  CHECK(b.cfg_read(0x80, 1) == 0x01);
  CHECK(b.pm.pm_block_base() == kBase);
  CHECK(b.in(kBase + 4, 2) == 0);
  b.cfg_write(0x40, 4, 0xB000);  // the block moves (OVMF's address)
  CHECK(b.in(kBase + 4, 2) == 0xFFFF);
  CHECK(b.in(0xB004, 2) == 0);
  b.cfg_write(0x80, 1, 0);
  CHECK(b.in(0xB004, 2) == 0xFFFF);
  // A PM block over the GPE0 ports is refused instead of hiding them.
  b.cfg_write(0x40, 4, 0xAFC0);
  b.cfg_write(0x80, 1, 1);
  CHECK_FALSE(b.pm.pm_block_base());
  CHECK(b.space.port_handler(acpi_pm::kGpe0Block) == &b.pm.gpe0_ports());
}

TEST_CASE("acpi_pm: the PM timer counts 3.579545 MHz of virtual time in 24 bits and is read-only") {
  Board b;
  CHECK(b.in(kBase + 8, 4) == 0);
  b.timeline.advance_to(Timeline::kNsPerSecond);
  CHECK(b.in(kBase + 8, 4) == 3579545u);
  b.timeline.advance_to(10 * Timeline::kNsPerSecond);
  CHECK(b.in(kBase + 8, 4) == (35795450u & 0xFFFFFFu));  // wrapped past 2^24, upper byte 0
  CHECK((b.in(kBase + 8, 4) >> 24) == 0);
  CHECK(b.in(kBase + 9, 1) == ((35795450u >> 8) & 0xFF));
  b.out(kBase + 8, 4, 0);
  CHECK(b.in(kBase + 8, 4) == (35795450u & 0xFFFFFFu));
  // One tick is 279.4 ns: the count steps at ceil(k * 1e9 / 3579545) ns.
  CHECK(AcpiPm::tick_at(279) == 0);
  CHECK(AcpiPm::tick_at(280) == 1);
  CHECK(AcpiPm::ns_of_tick(3579545) == Timeline::kNsPerSecond);
}

TEST_CASE("acpi_pm: TMR_STS is set when bit 23 changes; with TMR_EN a timeline event raises the SCI on time") {
  Board b;
  const u64 first = AcpiPm::ns_of_tick(1u << 23);  // about 2.34 s
  CHECK(b.timeline.pending_count() == 0);          // nobody asked for timer interrupts
  b.timeline.advance_to(first - 1);
  CHECK((b.in(kBase, 2) & AcpiPm::kTimerOverflow) == 0);
  b.timeline.advance_to(first);
  CHECK((b.in(kBase, 2) & AcpiPm::kTimerOverflow) != 0);
  CHECK(b.sci.empty());                         // TMR_EN is clear
  b.out(kBase + 2, 2, AcpiPm::kTimerOverflow);  // TMR_EN
  CHECK(b.sci.empty());                         // SCI_EN is clear
  b.out(acpi_pm::kSmiCommandPort, 1, acpi_pm::kAcpiEnable);
  CHECK((b.in(kBase + 4, 2) & AcpiPm::kSciEnable) != 0);
  CHECK(b.sci == std::vector<bool>{true});
  CHECK(b.timeline.pending_count() == 0);   // TMR_STS is set: no event needed
  b.out(kBase, 2, AcpiPm::kTimerOverflow);  // RW1C
  CHECK(b.sci == std::vector<bool>{true, false});
  // The next change is bit 23 going 1 -> 0 as the count wraps at 2^24; the event is due then.
  CHECK(b.timeline.next_event_ns() == AcpiPm::ns_of_tick(1u << 24));
  b.timeline.advance_to(AcpiPm::ns_of_tick(1u << 24) - 1);
  CHECK_FALSE(b.sci_level());
  b.timeline.advance_to(AcpiPm::ns_of_tick(1u << 24));
  CHECK(b.sci_level());  // raised by the event, before anyone read PM1_STS
  CHECK(b.in(kBase + 8, 4) == 0);
}

TEST_CASE("acpi_pm: clearing TMR_STS acknowledges the changes so far; only a later change sets it again") {
  Board b;
  b.timeline.advance_to(AcpiPm::ns_of_tick(3u << 23) + 5);  // three changes, nobody looked
  b.out(kBase, 2, AcpiPm::kTimerOverflow);
  CHECK((b.in(kBase, 2) & AcpiPm::kTimerOverflow) == 0);
  b.timeline.advance_to(AcpiPm::ns_of_tick(4u << 23) - 1);
  CHECK((b.in(kBase, 2) & AcpiPm::kTimerOverflow) == 0);
  b.timeline.advance_to(AcpiPm::ns_of_tick(4u << 23));
  CHECK((b.in(kBase, 2) & AcpiPm::kTimerOverflow) != 0);
}

TEST_CASE("acpi_pm: PM1_STS is write-one-to-clear, byte by byte; PM1_EN keeps its defined bits") {
  Board b;
  b.pm.press_power_button();
  b.timeline.advance_to(AcpiPm::ns_of_tick(1u << 23));
  CHECK(b.in(kBase, 2) == (AcpiPm::kPowerButton | AcpiPm::kTimerOverflow));
  b.out(kBase, 2, 0);  // writing 0 changes nothing
  CHECK(b.in(kBase, 2) == (AcpiPm::kPowerButton | AcpiPm::kTimerOverflow));
  b.out(kBase + 1, 1, 0x01);  // the high byte: PWRBTN_STS
  CHECK(b.in(kBase, 2) == AcpiPm::kTimerOverflow);
  b.out(kBase, 4, 0xFFFF0001u);  // a dword write: clears TMR_STS, sets every PM1_EN bit it can
  CHECK(b.in(kBase, 2) == 0);
  CHECK(b.in(kBase + 2, 2) == AcpiPm::kPm1EnableBits);
  b.out(kBase + 3, 1, 0);  // byte write to PM1_EN's high byte keeps the low byte
  CHECK(b.in(kBase + 2, 2) == (AcpiPm::kPm1EnableBits & 0xFF));
}

TEST_CASE("acpi_pm: SLP_EN with SLP_TYP = S5 powers off; other types are logged; SLP_EN reads 0") {
  Board b;
  GuestLog::instance().reset_counts();
  b.out(kBase + 4, 2, (5u << 10) | AcpiPm::kSleepEnable);  // S3-ish type 5
  CHECK(b.power_offs == 0);
  CHECK(GuestLog::instance().total() == 1);
  CHECK(b.in(kBase + 4, 2) == (5u << 10));  // SLP_TYP stored, SLP_EN write-only
  b.out(kBase + 4, 2, (acpi_pm::kSlpTypS5 << 10) | AcpiPm::kSleepEnable | AcpiPm::kSciEnable);
  CHECK(b.power_offs == 1);
  CHECK(b.in(kBase + 4, 2) == AcpiPm::kSciEnable);
  // Linux writes SLP_TYP first, then SLP_TYP | SLP_EN; a byte write to the high byte works too.
  b.out(kBase + 5, 1, (acpi_pm::kSlpTypS5 << 2) | 0x20);
  CHECK(b.power_offs == 2);
}

TEST_CASE("acpi_pm: SCI follows (PM1_STS & PM1_EN) or GPE while SCI_EN; the power button") {
  Board b;
  CHECK_FALSE(b.pm.press_power_button());  // no ACPI OS listening yet
  CHECK(b.sci.empty());
  b.out(kBase, 2, AcpiPm::kPowerButton);
  b.out(acpi_pm::kSmiCommandPort, 1, acpi_pm::kAcpiEnable);
  b.out(kBase + 2, 2, AcpiPm::kPowerButton);
  CHECK(b.in(acpi_pm::kSmiCommandPort, 1) == acpi_pm::kAcpiEnable);
  CHECK(b.pm.press_power_button());
  CHECK(b.sci == std::vector<bool>{true});
  b.out(acpi_pm::kSmiCommandPort, 1, acpi_pm::kAcpiDisable);  // back to legacy mode: no SCI
  CHECK(b.sci == std::vector<bool>{true, false});
  b.out(acpi_pm::kSmiCommandPort, 1, acpi_pm::kAcpiEnable);
  CHECK(b.sci_level());
  b.out(kBase, 2, AcpiPm::kPowerButton);
  CHECK_FALSE(b.sci_level());
  // GPE0: a raised, enabled event asserts SCI; GPE0_STS is RW1C.
  b.pm.raise_gpe(1);
  CHECK(b.in(acpi_pm::kGpe0Block, 2) == 0x0002);
  CHECK_FALSE(b.sci_level());
  b.out(acpi_pm::kGpe0Block + 2, 2, 0x0002);
  CHECK(b.in(acpi_pm::kGpe0Block, 4) == 0x00020002u);
  CHECK(b.sci_level());
  b.out(acpi_pm::kGpe0Block, 1, 0x02);
  CHECK_FALSE(b.sci_level());
  // APMS is a scratch byte.
  b.out(acpi_pm::kSmiCommandPort + 1, 1, 0x5A);
  CHECK(b.in(acpi_pm::kSmiCommandPort + 1, 1) == 0x5A);
}

TEST_CASE("acpi_pm: reset clears the registers and closes the block; the timer runs on") {
  Board b;
  b.out(acpi_pm::kSmiCommandPort, 1, acpi_pm::kAcpiEnable);
  b.out(kBase + 2, 2, AcpiPm::kPowerButton);
  b.pm.press_power_button();
  CHECK(b.sci_level());
  b.timeline.advance_to(Timeline::kNsPerSecond);
  b.bus.reset();
  CHECK_FALSE(b.sci_level());
  CHECK(b.sci.back() == false);
  CHECK_FALSE(b.pm.pm_block_base());
  CHECK(b.pm.state().pm1_control == 0);
  CHECK(b.pm.pm_timer() == 3579545u);
  CHECK(b.timeline.pending_count() == 0);  // TMR_EN cleared: no overflow event
}

TEST_CASE("acpi_pm: state round-trips; the overflow event is scheduled again; bad state is refused") {
  Board a;
  a.out(acpi_pm::kSmiCommandPort, 1, acpi_pm::kAcpiEnable);
  a.out(kBase + 2, 2, AcpiPm::kTimerOverflow | AcpiPm::kPowerButton);
  a.out(acpi_pm::kGpe0Block + 2, 1, 0x04);
  a.out(acpi_pm::kSmiCommandPort + 1, 1, 0x33);
  a.timeline.advance_to(Timeline::kNsPerSecond);
  StateWriter w;
  w.section("timeline", 1, [&](StateVisitor& v) { a.timeline.serialize(v); });
  w.section("acpi_pm", 1, [&](StateVisitor& v) { a.pm.serialize(v); });
  const std::vector<u8> state = w.finish();

  Board b(false);
  StateReader r(state);
  r.section("timeline", 1, [&](StateVisitor& v, u32) { b.timeline.serialize(v); });
  r.section("acpi_pm", 1, [&](StateVisitor& v, u32) { b.pm.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.pm.describe() == a.pm.describe());
  CHECK(b.pm.pm_block_base() == kBase);
  CHECK(b.in(kBase + 8, 4) == a.in(kBase + 8, 4));
  CHECK(b.timeline.pending_count() == 1);
  b.timeline.advance_to(AcpiPm::ns_of_tick(1u << 23));
  CHECK(b.sci_level());
  CHECK(b.sci == std::vector<bool>{true});

  StateWriter w2;
  w2.section("acpi_pm", 1, [&](StateVisitor& v) {
    u16 bad = 0x0040;  // a PM1_STS bit the PIIX4 does not have
    v.field("pm1_status", bad);
  });
  const std::vector<u8> bad_state = w2.finish();
  Board c(false);
  StateReader r2(bad_state);
  r2.section("acpi_pm", 1, [&](StateVisitor& v, u32) { c.pm.serialize(v); });
  CHECK_FALSE(r2.ok());
  CHECK(c.pm.state().pm1_status == 0);
}

TEST_CASE("acpi_pm: hostile port traffic never breaks the function") {
  Board b;
  u32 x = 4;
  auto next = [&] { return x = x * 1664525u + 1013904223u; };
  for (int k = 0; k < 20000; ++k) {
    const unsigned size = 1u << (next() % 3);
    const u16 port = static_cast<u16>(next() & 1 ? kBase + next() % 70 : 0xAFDE + next() % 8);
    if (next() & 1)
      b.out(port, size, next() & ~(u32{AcpiPm::kSleepEnable} << 16) & ~u32{AcpiPm::kSleepEnable});
    else
      b.in(port, size);
    if (k % 500 == 0) b.timeline.advance_to(b.timeline.now() + 100'000'000);
  }
  CHECK(b.timeline.pending_count() <= 1);
}
