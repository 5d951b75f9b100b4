// Fuzz target: random port and memory traffic against the PC's devices (DESIGN §12). The guest
// is hostile: whatever it writes to whichever port or device window, in whatever order and at
// whatever time, the devices must carry on — never a host crash, undefined behaviour or a hang.
//
// The CPU does not run (cpu_fuzz covers it). Each input builds a fresh PcMachine (16 MiB, the
// instruction clock with icount shift 0, our BIOS in ROM, no kernel, an IDE disk and CD-ROM in
// memory, a PCnet card without a cable) and drives its devices
// through the bus the way the CPU's IN/OUT and memory accesses would, one operation after the
// other. An operation is one byte saying what to do, then its arguments:
//
//   port write / read      size 1, 2 or 4; a port picked from the ranges the machine decodes
//                          (kPorts) or, now and then, any port; the value
//   PCI configuration      CF8h := enable | device | function | register of a present or absent
//                          function, then a read or write of CFCh-CFFh (BARs, PAM, PMBA, PIRQRC)
//   memory write / read    size 1, 2 or 4, never crossing a page (the bus's contract: the CPU
//                          splits such accesses): the VGA window A0000-BFFFF, the shadowed ROM
//                          region C0000-FFFFF, RAM, the PCI memory window, or anywhere
//   port burst             up to 64 writes of successive input bytes to one port (a REP OUTSB:
//                          UART FIFOs, the DAC, the VGA index/data pairs)
//   advance time           the virtual clock moves by 2^k ns (or by instructions counted, as
//                          the CPU would): timer, RTC, UART, PM-timer and retrace events run
//   interrupt acknowledge  what the CPU does when the PIC raises INTR
//   firmware hypercall     port 6F0h reads the CPU's registers as arguments (ES:DI, CX, EBX,
//                          ESI): they are set from the input first, sometimes near the values
//                          POST passes, so the address checks are exercised on both sides
//   machine reset          as a reset request would
//
// Total virtual time per input is bounded (kMaxTimeNs) so a PIT programmed for its fastest rate
// cannot turn one input into millions of events. At the end every device's describe() runs: the
// debugger's view must be safe on any state too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "core/guest_log.h"
#include "devices/pc/pc_machine.h"
#include "images/memory_block_device.h"

using namespace emu;

namespace {

constexpr u32 kRamBytes = 16u << 20;
constexpr u64 kMaxTimeNs = 1'500'000'000;  // 1.5 s of virtual time per input: the RTC's 1 s update
                                           // cycle is reachable, a 1.19 MHz PIT is not unbounded
constexpr std::size_t kMaxOperations = 4096;

// The I/O ranges the PC decodes (devices/pc/pc_machine.cpp), plus the PM block's home (600h,
// where the BIOS puts PMBA) and the PCI I/O window's start.
struct PortRange {
  u16 first, count;
};
constexpr PortRange kPorts[] = {
    {0x20, 2},  {0xA0, 2},   {0x4D0, 2},   {0x40, 4},   {0x61, 1},  {0x60, 1},  {0x64, 1},
    {0x70, 2},  {0x92, 1},   {0x3B0, 48},  {0x3F8, 8},  {0x2F8, 8}, {0xCF8, 4}, {0xCFC, 4},
    {0xCF9, 1}, {0x600, 64}, {0xB2, 2},    {0xAFE0, 4}, {0x6F0, 1}, {0xE9, 1},  {0xF4, 1},
    {0x80, 1},  {0xF0, 1},   {0xC000, 64}, {0x3C0, 32}, {0x3D4, 2}, {0x3C4, 2}, {0x3CE, 2},
    {0x1F0, 8}, {0x3F6, 1},  {0x170, 8},   {0x376, 1},  {0xC100, 32},
};
constexpr std::size_t kPortRanges = sizeof kPorts / sizeof kPorts[0];

// Reads the input front to back; past the end it yields zeros, so every input is a valid program.
class InputReader {
 public:
  InputReader(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  u8 u8_() { return pos_ < size_ ? data_[pos_++] : 0; }
  u16 u16_() { return static_cast<u16>(u8_() | u8_() << 8); }
  u32 u32_() { return u16_() | u32{u16_()} << 16; }

 private:
  const uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

unsigned access_size(u8 selector) {
  static constexpr unsigned kSizes[4] = {1, 2, 4, 1};
  return kSizes[selector & 3];
}

u32 truncate(u32 value, unsigned size) { return size == 4 ? value : value & ((1u << (8 * size)) - 1); }

u16 pick_port(InputReader& in) {
  const u8 how = in.u8_();
  if (how >= 0xF0) return in.u16_();  // anywhere, 1 time in 16
  const PortRange& r = kPorts[how % kPortRanges];
  return static_cast<u16>(r.first + in.u8_() % r.count);
}

// A physical address for a `size`-byte access that stays within one page.
u32 pick_address(InputReader& in, unsigned size) {
  const u8 how = in.u8_();
  u32 addr;
  switch (how & 7) {
    case 0:
    case 1:
    case 2: addr = 0xA0000 + in.u32_() % 0x20000; break;          // the VGA window, planes and all
    case 3: addr = 0xC0000 + in.u32_() % 0x40000; break;          // option ROMs, BIOS: PAM-shadowed
    case 4: addr = in.u32_() % kRamBytes; break;                  // RAM (and the table area at its top)
    case 5: addr = 0xE0000000u + in.u32_() % 0x1EC00000u; break;  // the PCI memory window
    case 6: addr = 0xFFFF0000u + in.u16_(); break;                // the BIOS ROM below 4 GiB
    default: addr = in.u32_(); break;
  }
  if ((addr & 0xFFF) + size > 0x1000) addr &= ~u32{size - 1};
  return addr;
}

struct Harness {
  PcMachine machine;
  u64 time_used = 0;

  explicit Harness(const PcConfig& c) : machine(c) {}

  void port_write(InputReader& in) {
    const unsigned size = access_size(in.u8_());
    const u16 port = pick_port(in);
    machine.bus().port_write(port, size, truncate(in.u32_(), size));
  }

  void port_read(InputReader& in) {
    const unsigned size = access_size(in.u8_());
    const u32 v = machine.bus().port_read(pick_port(in), size);
    if (size < 4 && v >> (8 * size)) __builtin_trap();  // a device answered with more bits than the access has
  }

  // CF8h := 8000_0000h | device << 11 | function << 8 | register, then an access to the data
  // window. Devices 0 and 1 exist (the i440FX; the PIIX3 functions 0 and 3), the rest answer FFh.
  void pci_config(InputReader& in) {
    const u8 sel = in.u8_();
    const u32 device = (sel & 0x80) ? (sel & 0x1F) : (sel & 1);
    const u32 function = (sel >> 1) & 7;
    const u8 reg = in.u8_();
    const u32 address = 0x80000000u | device << 11 | function << 8 | (reg & 0xFC);
    machine.bus().port_write(PciBus::kConfigAddressPort, 4, (sel & 0x40) && (in.u8_() & 1) ? in.u32_() : address);
    const u8 how = in.u8_();
    const unsigned size = access_size(how);
    const u16 port = static_cast<u16>(PciBus::kConfigDataPort + (reg & 3 & (size == 4 ? 0 : size == 2 ? 2 : 3)));
    if (how & 0x80)
      machine.bus().port_write(port, size, truncate(in.u32_(), size));
    else
      machine.bus().port_read(port, size);
  }

  void memory_write(InputReader& in) {
    const unsigned size = access_size(in.u8_());
    const u32 addr = pick_address(in, size);
    machine.bus().write(addr, size, truncate(in.u32_(), size));
  }

  void memory_read(InputReader& in) {
    const unsigned size = access_size(in.u8_());
    const u32 v = machine.bus().read(pick_address(in, size), size);
    if (size < 4 && v >> (8 * size)) __builtin_trap();
  }

  void port_burst(InputReader& in) {
    const u16 port = pick_port(in);
    const unsigned count = in.u8_() % 64 + 1;
    for (unsigned k = 0; k < count && !in.done(); ++k) machine.bus().port_write(port, 1, in.u8_());
  }

  void advance_time(InputReader& in) {
    const u8 how = in.u8_();
    u64 delta = u64{1} << (how & 31);
    delta += in.u16_();
    delta = std::min(delta, kMaxTimeNs - time_used);
    time_used += delta;
    Timeline& t = machine.timeline();
    if (how & 0x80) {
      // As if the CPU had retired `delta` instructions (icount shift 0: 1 ns each).
      machine.cpu().counters.instructions += delta;
      t.run_due();
    } else {
      t.advance_to(t.now() + delta);
    }
  }

  void interrupt_acknowledge() {
    Pic8259& pic = machine.pic();
    if (pic.intr_pending()) pic.acknowledge();
  }

  // FW_BUILD_TABLES / FW_LOAD_KERNEL / anything: the registers first.
  void hypercall(InputReader& in) {
    CpuState& s = machine.cpu().s;
    const u8 how = in.u8_();
    if (how & 1) {
      // Near POST's call: the EBDA for the map, the F segment for the anchors.
      s.sreg(Seg::ES).base = 0x9FC00 + (in.u8_() & 0x3F) * 16;
      s.gpr[EDI] = in.u16_() & 0x3FF;
      s.gpr[ECX] = in.u8_() & 0x3F;
      s.gpr[EBX] = 0xE0000 + (in.u32_() % 0x20000);
      s.gpr[ESI] = in.u16_() & 0x7FF;
    } else {
      s.sreg(Seg::ES).base = in.u32_();
      s.gpr[EDI] = in.u32_();
      s.gpr[ECX] = in.u32_();
      s.gpr[EBX] = in.u32_();
      s.gpr[ESI] = in.u32_();
    }
    const u8 service = (how & 2) ? in.u8_() : FirmwareInterface::kBuildTables;
    machine.bus().port_write(FirmwareInterface::kPort, 1, service);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static std::FILE* const null_stream = [] {
    std::FILE* f = std::fopen("/dev/null", "w");
    // Guest-misuse messages are formatted (their arguments are part of what is fuzzed) but
    // not shown.
    GuestLog::instance().set_stream(f ? f : stderr);
    GuestLog::instance().set_enabled(f != nullptr);
    return f;
  }();
  (void)null_stream;

  PcConfig config;
  config.ram_bytes = kRamBytes;
  config.icount_shift = 0;
  // An IDE disk and a CD-ROM, so ATA/ATAPI commands, PRD tables and data-port traffic reach
  // real devices (the IDE CVEs' territory).
  config.drives.push_back({0, 0, false, std::make_shared<MemoryBlockDevice>(1u << 20), "disk"});
  config.drives.push_back({1, 0, true, std::make_shared<MemoryBlockDevice>(2u << 20, true), "cd"});
  config.nic = true;  // the PCnet card, without a cable: its rings and registers are fuzzed
  auto harness = std::make_unique<Harness>(config);
  // What POST does for the PCnet card (BAR0 at C100h) and the IDE function: BAR4 at C000h, I/O and bus master on, IDETIM decode.
  AddressSpace& bus = harness->machine.bus();
  bus.port_write(0xCF8, 4, 0x80000920u), bus.port_write(0xCFC, 4, 0xC000);
  bus.port_write(0xCF8, 4, 0x80000904u), bus.port_write(0xCFC, 2, 0x0005);
  bus.port_write(0xCF8, 4, 0x80000940u), bus.port_write(0xCFC, 4, 0x80008000u);
  bus.port_write(0xCF8, 4, 0x80001810u), bus.port_write(0xCFC, 4, 0xC100);
  bus.port_write(0xCF8, 4, 0x80001804u), bus.port_write(0xCFC, 2, 0x0007);
  InputReader in(data, size);
  for (std::size_t n = 0; n < kMaxOperations && !in.done(); ++n) {
    const u8 op = in.u8_();
    switch (op % 16) {
      case 0:
      case 1:
      case 2: harness->port_write(in); break;
      case 3:
      case 4: harness->port_read(in); break;
      case 5:
      case 6: harness->pci_config(in); break;
      case 7:
      case 8: harness->memory_write(in); break;
      case 9: harness->memory_read(in); break;
      case 10: harness->port_burst(in); break;
      case 11:
      case 12: harness->advance_time(in); break;
      case 13: harness->interrupt_acknowledge(); break;
      case 14: harness->hypercall(in); break;
      case 15:
        if (op == 0xFF)
          harness->machine.reset();  // 1 operation in 256
        else
          harness->interrupt_acknowledge();
        break;
    }
  }
  PcMachine& m = harness->machine;
  std::string view = m.describe_device("pic").value_or("");
  view += m.pci().describe();
  view += m.keyboard_controller().describe();
  view += m.vga().describe();
  view += m.com(0).describe();
  view += m.com(1).describe();
  view += m.describe_device("block").value_or("");
  view += m.describe_device("network").value_or("");
  if (view.empty()) __builtin_trap();
  return 0;
}
