// PCI bus 0, Configuration Mechanism #1 and the generic function model, against the PCI Local
// Bus Specification 3.0 (§3.2.2.3.2 configuration mechanism, §6.1-6.2 configuration header).
#include "devices/pci/pci_bus.h"

#include <doctest/doctest.h>

#include <vector>

#include "core/address_space.h"
#include "core/guest_log.h"
#include "core/serializer.h"
#include "devices/pci/pci_function.h"

using namespace emu;

namespace {

// A device with one I/O BAR (32 ports), one memory BAR (4 KiB) and a 64 KiB expansion ROM.
struct RecordingPorts : PortHandler {
  std::vector<u16> reads;
  u32 port_read(u16 port, unsigned) override {
    reads.push_back(port);
    return 0x5A;
  }
  void port_write(u16, unsigned, u32) override {}
};
struct RecordingMmio : MmioHandler {
  std::vector<u32> reads;
  u32 mmio_read(u32 offset, unsigned) override {
    reads.push_back(offset);
    return 0xA5;
  }
  void mmio_write(u32, unsigned, u32) override {}
};

PciIdentity test_identity(bool multi_function = false, u8 pin = 1) {
  PciIdentity id;
  id.vendor_id = 0x1234;
  id.device_id = 0x5678;
  id.revision = 0x07;
  id.class_code = 0x020000;
  id.multi_function = multi_function;
  id.interrupt_pin = pin;
  id.subsystem_vendor_id = 0x1AF4;
  id.subsystem_id = 0x1100;
  return id;
}

struct TestFunction : PciFunction {
  RecordingPorts ports;
  RecordingMmio mmio, rom;
  std::vector<std::pair<unsigned, std::optional<u32>>> moves;
  explicit TestFunction(bool multi_function = false, u8 pin = 1)
      : PciFunction("test", test_identity(multi_function, pin)) {
    define_io_bar(0, 32, &ports);
    define_memory_bar(1, 0x1000, &mmio);
    define_rom_bar(0x10000, &rom);
  }
  void bar_moved(unsigned bar, std::optional<u32>, std::optional<u32> now) override { moves.push_back({bar, now}); }
};

struct Board {
  AddressSpace space{1u << 20};
  PciBus bus{space};
  Board() {
    space.map_ports(PciBus::kConfigAddressPort, 1, &bus);
    space.map_ports(PciBus::kConfigDataPort, 4, &bus);
  }
  void select(unsigned dev, unsigned fn, u8 reg, unsigned bus_number = 0) {
    space.port_write(0xCF8, 4, 0x80000000u | bus_number << 16 | dev << 11 | fn << 8 | (reg & 0xFC));
  }
  u32 cfg_read(unsigned dev, unsigned fn, u8 reg, unsigned size) {
    select(dev, fn, reg);
    return space.port_read(static_cast<u16>(0xCFC + (reg & 3)), size);
  }
  void cfg_write(unsigned dev, unsigned fn, u8 reg, unsigned size, u32 value) {
    select(dev, fn, reg);
    space.port_write(static_cast<u16>(0xCFC + (reg & 3)), size, value);
  }
};

}  // namespace

TEST_CASE("pci: configuration mechanism #1 reads the header with dword, word and byte accesses") {
  Board b;
  TestFunction f;
  b.bus.attach(3, 0, &f);
  CHECK(b.cfg_read(3, 0, 0x00, 4) == 0x56781234u);
  CHECK(b.cfg_read(3, 0, 0x00, 2) == 0x1234);
  CHECK(b.cfg_read(3, 0, 0x02, 2) == 0x5678);  // word at 0xCFE: register + 2
  CHECK(b.cfg_read(3, 0, 0x01, 1) == 0x12);    // byte at 0xCFD
  CHECK(b.cfg_read(3, 0, 0x03, 1) == 0x56);
  CHECK(b.cfg_read(3, 0, 0x08, 4) == 0x02000007u);  // class 020000, revision 07
  CHECK(b.cfg_read(3, 0, 0x2C, 4) == 0x11001AF4u);
  CHECK(b.cfg_read(3, 0, 0x3D, 1) == 1);  // INTA#
  // A word at 0xCFF: the upper byte is port 0xD00, where nobody answers.
  b.select(3, 0, 0x00);
  CHECK(b.space.port_read(0xCFF, 2) == 0xFF56);
}

TEST_CASE("pci: CONFIG_ADDRESS is dword-only, keeps enable/bus/device/function/register, reads 0 in 30:24 and 1:0") {
  Board b;
  b.space.port_write(0xCF8, 4, 0xFFFFFFFFu);
  CHECK(b.space.port_read(0xCF8, 4) == 0x80FFFFFCu);
  b.space.port_write(0xCF8, 4, 0);
  // Byte and word accesses at 0xCF8 are ordinary I/O: they do not touch CONFIG_ADDRESS.
  b.space.port_write(0xCF8, 1, 0x80);
  b.space.port_write(0xCF8, 2, 0x8000);
  CHECK(b.space.port_read(0xCF8, 4) == 0);
  CHECK(b.space.port_read(0xCF8, 1) == 0xFF);
  CHECK(b.space.port_read(0xCF8, 2) == 0xFFFF);
}

TEST_CASE("pci: with the enable bit clear CONFIG_DATA is not a configuration cycle") {
  Board b;
  TestFunction f;
  b.bus.attach(0, 0, &f);
  b.space.port_write(0xCF8, 4, 0x00000000u);  // device 0, register 0, but bit 31 clear
  CHECK(b.space.port_read(0xCFC, 4) == 0xFFFFFFFFu);
  b.space.port_write(0xCFC, 1, 0x55);  // Interrupt Line would change if this were a cycle
  b.space.port_write(0xCF8, 4, 0x0000003Cu);
  b.space.port_write(0xCFC, 1, 0x55);
  CHECK(b.cfg_read(0, 0, 0x3C, 1) == 0x00);
}

TEST_CASE("pci: absent devices, other buses and single-function devices' functions 1-7 read all ones") {
  Board b;
  TestFunction single;
  TestFunction lonely_fn2;  // attached at 04.2 behind a single-function 04.0
  b.bus.attach(4, 0, &single);
  b.bus.attach(4, 2, &lonely_fn2);
  CHECK(b.cfg_read(5, 0, 0x00, 4) == 0xFFFFFFFFu);
  CHECK(b.cfg_read(5, 0, 0x00, 2) == 0xFFFF);
  CHECK(b.cfg_read(5, 0, 0x02, 1) == 0xFF);
  CHECK(b.cfg_read(4, 2, 0x00, 4) == 0xFFFFFFFFu);  // function 0 does not say multi-function
  b.select(4, 0, 0x00, 1);                          // bus 1: no bridge claims it
  CHECK(b.space.port_read(0xCFC, 4) == 0xFFFFFFFFu);
  // Writes to absent functions are dropped.
  b.cfg_write(4, 2, 0x3C, 1, 0x0B);
  CHECK(lonely_fn2.config_read(0x3C, 1) == 0);
}

TEST_CASE("pci: a multi-function device decodes functions 1-7; a missing function 0 hides them") {
  Board b;
  TestFunction f0(true), f3(false);
  b.bus.attach(1, 0, &f0);
  b.bus.attach(1, 3, &f3);
  CHECK(b.cfg_read(1, 0, 0x0E, 1) == 0x80);
  CHECK(b.cfg_read(1, 3, 0x00, 4) == 0x56781234u);
  CHECK(b.cfg_read(1, 1, 0x00, 4) == 0xFFFFFFFFu);
  Board c;
  TestFunction only_f1(true);
  c.bus.attach(2, 1, &only_f1);
  CHECK(c.cfg_read(2, 1, 0x00, 4) == 0xFFFFFFFFu);
}

TEST_CASE("pci: read-only identity, writable Interrupt Line, RW1C status bits") {
  Board b;
  TestFunction f;
  b.bus.attach(2, 0, &f);
  b.cfg_write(2, 0, 0x00, 4, 0);
  CHECK(b.cfg_read(2, 0, 0x00, 4) == 0x56781234u);
  b.cfg_write(2, 0, 0x3C, 2, 0xFF0B);  // Interrupt Pin is read-only
  CHECK(b.cfg_read(2, 0, 0x3C, 2) == 0x010B);
  // Status error bits: hardware sets them, writing 1 clears, writing 0 keeps.
  struct Poke : TestFunction {
    void set_status(u16 v) { set_config16(kStatus, v); }
  };
  Poke p;
  b.bus.attach(3, 0, &p);
  p.set_status(PciFunction::kStatusReceivedMasterAbort | PciFunction::kStatusDetectedParityError);
  b.cfg_write(3, 0, 0x06, 2, 0);
  CHECK(b.cfg_read(3, 0, 0x06, 2) == 0xA000);
  b.cfg_write(3, 0, 0x06, 2, PciFunction::kStatusReceivedMasterAbort);
  CHECK(b.cfg_read(3, 0, 0x06, 2) == 0x8000);
  // A dword write to Command clears status bits in the upper half at the same time.
  b.cfg_write(3, 0, 0x04, 4, 0x80000000u);
  CHECK(b.cfg_read(3, 0, 0x06, 2) == 0);
}

TEST_CASE("pci: BAR sizing — all ones reads back the size mask with the type bits") {
  Board b;
  TestFunction f;
  b.bus.attach(5, 0, &f);
  CHECK(b.cfg_read(5, 0, 0x10, 4) == 0x00000001u);  // I/O BAR, unassigned
  b.cfg_write(5, 0, 0x10, 4, 0xFFFFFFFFu);
  CHECK(b.cfg_read(5, 0, 0x10, 4) == 0xFFFFFFE1u);  // 32 ports
  b.cfg_write(5, 0, 0x14, 4, 0xFFFFFFFFu);
  CHECK(b.cfg_read(5, 0, 0x14, 4) == 0xFFFFF000u);  // 4 KiB, 32-bit, not prefetchable
  b.cfg_write(5, 0, 0x18, 4, 0xFFFFFFFFu);
  CHECK(b.cfg_read(5, 0, 0x18, 4) == 0);  // unimplemented BARs read 0
  b.cfg_write(5, 0, 0x30, 4, 0xFFFFF800u);
  CHECK(b.cfg_read(5, 0, 0x30, 4) == 0xFFFF0000u);  // 64 KiB ROM, decode still off
  // A byte write to a BAR's high byte changes only that byte.
  b.cfg_write(5, 0, 0x10, 4, 0xC000);
  b.cfg_write(5, 0, 0x11, 1, 0xC1);
  CHECK(b.cfg_read(5, 0, 0x10, 4) == 0x0000C101u);
  CHECK(f.bar_address(0) == 0xC100);
}

TEST_CASE("pci: BAR windows open with the Command enables, move, and close") {
  Board b;
  TestFunction f;
  b.bus.attach(5, 0, &f);
  int map_changes = 0;
  b.bus.set_address_map_listener([&] { ++map_changes; });
  b.cfg_write(5, 0, 0x10, 4, 0xC000);
  b.cfg_write(5, 0, 0x14, 4, 0xFEB00000u);
  CHECK_FALSE(f.bar_window(0));
  CHECK(b.space.port_read(0xC004, 1) == 0xFF);  // not decoded while Command.IO is 0
  b.cfg_write(5, 0, 0x04, 2, PciFunction::kCommandIo);
  CHECK(f.bar_window(0) == 0xC000u);
  CHECK_FALSE(f.bar_window(1));
  CHECK(b.space.port_read(0xC004, 1) == 0x5A);
  CHECK(b.space.read(0xFEB00010, 4) == 0xFFFFFFFFu);
  b.cfg_write(5, 0, 0x04, 2, PciFunction::kCommandIo | PciFunction::kCommandMemory);
  CHECK(b.space.read(0xFEB00010, 4) == 0xA5);
  CHECK(f.mmio.reads.back() == 0x10);  // the handler sees offsets into its window
  // Move the I/O window: the old ports are free again.
  b.cfg_write(5, 0, 0x10, 4, 0xD000);
  CHECK(b.space.port_read(0xC004, 1) == 0xFF);
  CHECK(b.space.port_read(0xD01F, 1) == 0x5A);
  CHECK(f.moves.back() == std::pair<unsigned, std::optional<u32>>{0, 0xD000u});
  // ROM: needs both Memory Space and its own enable bit.
  b.cfg_write(5, 0, 0x30, 4, 0xFEA00000u);
  CHECK_FALSE(f.bar_window(PciFunction::kRomBar));
  b.cfg_write(5, 0, 0x30, 4, 0xFEA00001u);
  CHECK(f.bar_window(PciFunction::kRomBar) == 0xFEA00000u);
  CHECK(b.space.read(0xFEA0FFFC, 4) == 0xA5);
  // Sizing with decode on puts the BAR at the top of the 4 GiB space: not decoded.
  b.cfg_write(5, 0, 0x14, 4, 0xFFFFFFFFu);
  CHECK_FALSE(f.bar_window(1));
  b.cfg_write(5, 0, 0x04, 2, 0);
  CHECK_FALSE(f.bar_window(0));
  CHECK_FALSE(f.bar_window(PciFunction::kRomBar));
  CHECK(b.space.port_read(0xD000, 1) == 0xFF);
  CHECK(map_changes >= 5);
}

TEST_CASE("pci: a window over RAM or another device's ports is not decoded") {
  GuestLog::instance().reset_counts();
  Board b;
  TestFunction f, g;
  RecordingPorts uart;
  b.space.map_ports(0x3F8, 8, &uart);
  b.bus.attach(5, 0, &f);
  b.bus.attach(6, 0, &g);
  b.cfg_write(5, 0, 0x10, 4, 0x3E0);    // 0x3E0-0x3FF covers the UART
  b.cfg_write(5, 0, 0x14, 4, 0x80000);  // inside the 1 MiB of RAM
  b.cfg_write(5, 0, 0x04, 2, PciFunction::kCommandIo | PciFunction::kCommandMemory);
  CHECK_FALSE(f.bar_window(0));
  CHECK_FALSE(f.bar_window(1));
  CHECK(b.space.port_handler(0x3F8) == &uart);
  CHECK(GuestLog::instance().total() >= 2);
  // Two functions claiming the same ports: the second waits until the first moves away.
  b.cfg_write(5, 0, 0x10, 4, 0xC000);
  b.cfg_write(6, 0, 0x10, 4, 0xC000);
  b.cfg_write(6, 0, 0x04, 2, PciFunction::kCommandIo);
  CHECK(f.bar_window(0) == 0xC000u);
  CHECK_FALSE(g.bar_window(0));
  b.cfg_write(5, 0, 0x10, 4, 0xC100);
  CHECK(g.bar_window(0) == 0xC000u);
  CHECK(b.space.port_handler(0xC000) == &g.ports);
}

TEST_CASE("pci: INTx# goes to PIRQ (device + pin - 2) mod 4, wired-OR, masked by Interrupt Disable") {
  CHECK(PciBus::pirq_of(1, 1) == 0);  // 00:01 INTA# -> PIRQA
  CHECK(PciBus::pirq_of(2, 1) == 1);
  CHECK(PciBus::pirq_of(3, 1) == 2);  // QEMU's first NIC slot -> PIRQC (LNKC)
  CHECK(PciBus::pirq_of(4, 1) == 3);
  CHECK(PciBus::pirq_of(5, 1) == 0);
  CHECK(PciBus::pirq_of(3, 2) == 3);  // INTB# is one line further
  CHECK(PciBus::pirq_of(0, 1) == 3);
  Board b;
  std::vector<std::pair<unsigned, bool>> events;
  b.bus.set_pirq_listener([&](unsigned pirq, bool level) { events.push_back({pirq, level}); });
  TestFunction a, c;  // devices 3 and 7 both reach PIRQC with INTA#
  b.bus.attach(3, 0, &a);
  b.bus.attach(7, 0, &c);
  a.set_intx(true);
  c.set_intx(true);
  CHECK(events == std::vector<std::pair<unsigned, bool>>{{2, true}});
  a.set_intx(false);
  CHECK(b.bus.pirq_level(2));  // still held by device 7
  c.set_intx(false);
  CHECK(events.back() == std::pair<unsigned, bool>{2, false});
  // Interrupt Disable masks the pin; Interrupt Status still shows the level.
  a.set_intx(true);
  b.cfg_write(3, 0, 0x04, 2, PciFunction::kCommandIntxDisable);
  CHECK_FALSE(b.bus.pirq_level(2));
  CHECK((b.cfg_read(3, 0, 0x06, 2) & PciFunction::kStatusInterrupt) != 0);
  b.cfg_write(3, 0, 0x04, 2, 0);
  CHECK(b.bus.pirq_level(2));
  a.set_intx(false);
  CHECK((b.cfg_read(3, 0, 0x06, 2) & PciFunction::kStatusInterrupt) == 0);
}

TEST_CASE("pci: a function without an interrupt pin never drives a PIRQ") {
  Board b;
  TestFunction f(false, 0);
  b.bus.attach(1, 0, &f);
  f.set_intx(true);
  for (unsigned p = 0; p < 4; ++p) CHECK_FALSE(b.bus.pirq_level(p));
}

TEST_CASE("pci: function state round-trips; a state file cannot change read-only bytes") {
  Board b;
  TestFunction f;
  b.bus.attach(5, 0, &f);
  b.cfg_write(5, 0, 0x10, 4, 0xC000);
  b.cfg_write(5, 0, 0x14, 4, 0xFEB00000u);
  b.cfg_write(5, 0, 0x3C, 1, 11);
  b.cfg_write(5, 0, 0x04, 2, 3);
  f.set_intx(true);
  b.select(5, 0, 0x3C);
  StateWriter w;
  w.section("pci", 1, [&](StateVisitor& v) { b.bus.serialize(v); });
  w.section("fn", 1, [&](StateVisitor& v) { f.serialize(v); });
  const std::vector<u8> state = w.finish();

  Board b2;
  TestFunction f2;
  b2.bus.attach(5, 0, &f2);
  StateReader r(state);
  r.section("pci", 1, [&](StateVisitor& v, u32) { b2.bus.serialize(v); });
  r.section("fn", 1, [&](StateVisitor& v, u32) { f2.serialize(v); });
  REQUIRE(r.ok());
  CHECK(f2.describe() == f.describe());
  CHECK(b2.bus.describe() == b.bus.describe());
  CHECK(b2.space.port_read(0xC000, 1) == 0x5A);  // the windows were mapped again
  CHECK(b2.space.read(0xFEB00000, 4) == 0xA5);
  CHECK(b2.bus.pirq_level(PciBus::pirq_of(5, 1)));
  CHECK(b2.space.port_read(0xCFC, 1) == 11);  // CONFIG_ADDRESS came back too

  // A hostile image with a different vendor ID and BAR low bits: they are not taken.
  StateWriter w2;
  w2.section("fn", 1, [&](StateVisitor& v) {
    std::array<u8, 256> image{};
    image.fill(0xFF);
    v.bytes("config", image);
  });
  const std::vector<u8> bad = w2.finish();
  TestFunction f3;
  StateReader r2(bad);
  r2.section("fn", 1, [&](StateVisitor& v, u32) { f3.serialize(v); });
  CHECK(f3.config_read(0x00, 4) == 0x56781234u);
  CHECK(f3.config_read(0x10, 4) == 0xFFFFFFE1u);
  CHECK(f3.config_read(0x3D, 1) == 1);
}

TEST_CASE("pci: reset restores the header and closes windows; destroying a function detaches it") {
  Board b;
  {
    TestFunction f;
    b.bus.attach(5, 0, &f);
    b.cfg_write(5, 0, 0x10, 4, 0xC000);
    b.cfg_write(5, 0, 0x04, 2, 1);
    CHECK(b.space.port_handler(0xC000) == &f.ports);
    b.select(5, 0, 0);
    b.bus.reset();
    CHECK(b.bus.config_address() == 0);
    CHECK(f.config_read(0x04, 2) == 0);
    CHECK(f.config_read(0x10, 4) == 1);
    CHECK(b.space.port_handler(0xC000) == nullptr);
    b.cfg_write(5, 0, 0x10, 4, 0xC000);
    b.cfg_write(5, 0, 0x04, 2, 1);
  }
  CHECK(b.bus.function(5, 0) == nullptr);
  CHECK(b.space.port_handler(0xC000) == nullptr);
  CHECK(b.cfg_read(5, 0, 0, 4) == 0xFFFFFFFFu);
}

TEST_CASE("pci: address space unmap_ports/unmap_mmio undo exactly one device's mapping") {
  AddressSpace space(1u << 20);
  RecordingPorts a, c;
  RecordingMmio m1, m2;
  space.map_ports(0x100, 8, &a);
  space.map_ports(0x104, 2, &c);
  space.unmap_ports(0x100, 8, &a);  // leaves c's ports
  CHECK(space.port_handler(0x100) == nullptr);
  CHECK(space.port_handler(0x104) == &c);
  space.map_mmio(0xE0000000u, 0x1000, &m1);
  space.map_mmio(0xE0000000u, 0x1000, &m2);
  CHECK(space.read(0xE0000000u, 4) == 0xA5);
  CHECK(m2.reads.size() == 1);
  space.unmap_mmio(0xE0000000u, 0x1000, &m2);  // m1 shows again
  space.read(0xE0000000u, 4);
  CHECK(m1.reads.size() == 1);
  space.unmap_mmio(0xE0000000u, 0x1000, &m1);
  CHECK(space.read(0xE0000000u, 4) == 0xFFFFFFFFu);
  CHECK(space.memory_range_free(0xE0000000u, 0x1000));
  CHECK_FALSE(space.memory_range_free(0xFF000, 0x2000));  // RAM
  space.map_rom(0xFFFF0000u, std::vector<u8>(0x10000, 0));
  CHECK_FALSE(space.memory_range_free(0xFFFE8000u, 0x10000));
  space.unmap_mmio(0xFFFF0000u, 0x10000, nullptr);  // ROM regions are never removed
  CHECK(space.read(0xFFFF0000u, 1) == 0);
}

TEST_CASE("pci: hostile configuration traffic never breaks the bus") {
  Board b;
  TestFunction f(true), g;
  b.bus.attach(0, 0, &f);
  b.bus.attach(0, 1, &g);
  u32 x = 12345;
  auto next = [&] { return x = x * 1103515245u + 12345u; };
  for (int k = 0; k < 20000; ++k) {
    const unsigned size = 1u << (next() % 3);
    const u16 port = static_cast<u16>(0xCF8 + next() % 8);
    if (next() & 1)
      b.space.port_write(port, size, next());
    else
      b.space.port_read(port, size);
    if (k % 7 == 0) b.space.port_write(0xCF8, 4, 0x80000000u | (next() & 0x7FC) | (next() & 1) << 8);
  }
  CHECK(b.cfg_read(0, 0, 0, 4) == 0x56781234u);
}
