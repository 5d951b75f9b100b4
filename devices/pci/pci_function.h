// One PCI function: its 256-byte configuration space (PCI Local Bus Specification 3.0, §6.1,
// "Configuration Space Organization") and the windows its Base Address Registers open in the
// I/O and memory address spaces.
//
// Every configuration byte has three masks, set up once by the device's constructor:
//   - writable: bits a configuration write replaces (everything else is read-only);
//   - write-one-to-clear (RW1C): status bits the hardware sets and software clears by writing 1
//     (Status register errors, §6.2.3);
//   - defined: the byte belongs to a register of the device; a write to an undefined byte in the
//     device-specific area (0x40-0xFF) is a reserved register and goes to the guest log.
//
// BARs (§6.2.5.1) keep their size in their writable mask: the address bits below the size are
// read-only zero, so writing all ones and reading back yields the size mask the guest decodes.
// Bit 0 of an I/O BAR reads 1; bits 3:0 of a memory BAR give its type (32-bit, prefetchable).
// The function maps a BAR's window into the machine's AddressSpace whenever the BAR is both
// programmed and enabled by the Command register's I/O Space / Memory Space bit, and unmaps it
// when it moves or is disabled; a device that needs to know overrides bar_moved().
//
// INTx# is a level the function drives with set_intx(); the bus routes it to a PIRQ line. The
// Command register's Interrupt Disable bit masks it and the Status register's Interrupt Status
// bit shows the function's own level regardless (PCI 3.0 §6.2.2, §6.2.3).
#pragma once
#include <array>
#include <optional>
#include <string>

#include "core/address_space.h"

namespace emu {

class PciBus;
class StateVisitor;

// The read-only identity in a type 0 header.
struct PciIdentity {
  u16 vendor_id = 0xFFFF;
  u16 device_id = 0xFFFF;
  u8 revision = 0;
  u32 class_code = 0;           // base class << 16 | sub-class << 8 | programming interface
  bool multi_function = false;  // Header Type bit 7: the device has functions 1-7
  u8 interrupt_pin = 0;         // 0 = none, 1-4 = INTA#-INTD#
  u16 subsystem_vendor_id = 0;
  u16 subsystem_id = 0;
};

enum class PciBarKind : u8 { Unused, Io, Memory, Rom };

class PciFunction {
 public:
  static constexpr unsigned kConfigSize = 256;
  static constexpr unsigned kBarCount = 6;
  static constexpr unsigned kRomBar = 6;  // the Expansion ROM Base Address, as a seventh window

  // Type 0 header offsets (PCI 3.0 §6.1, Figure 6-1).
  static constexpr u8 kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kStatus = 0x06, kRevision = 0x08,
                      kClassCode = 0x09, kCacheLineSize = 0x0C, kLatencyTimer = 0x0D, kHeaderType = 0x0E, kBist = 0x0F,
                      kBar0 = 0x10, kSubsystemVendorId = 0x2C, kSubsystemId = 0x2E, kExpansionRom = 0x30,
                      kInterruptLine = 0x3C, kInterruptPin = 0x3D;
  static constexpr u8 kDeviceSpecific = 0x40;

  // Command register (§6.2.2).
  static constexpr u16 kCommandIo = 1u << 0, kCommandMemory = 1u << 1, kCommandBusMaster = 1u << 2,
                       kCommandSpecialCycles = 1u << 3, kCommandParity = 1u << 6, kCommandSerr = 1u << 8,
                       kCommandIntxDisable = 1u << 10;
  // Status register (§6.2.3).
  static constexpr u16 kStatusInterrupt = 1u << 3, kStatusFastBackToBack = 1u << 7,
                       kStatusMasterDataParityError = 1u << 8, kStatusDevselMedium = 1u << 9,
                       kStatusSignaledTargetAbort = 1u << 11, kStatusReceivedTargetAbort = 1u << 12,
                       kStatusReceivedMasterAbort = 1u << 13, kStatusSignaledSystemError = 1u << 14,
                       kStatusDetectedParityError = 1u << 15;
  static constexpr u16 kStatusErrorBits = kStatusMasterDataParityError | kStatusSignaledTargetAbort |
                                          kStatusReceivedTargetAbort | kStatusReceivedMasterAbort |
                                          kStatusSignaledSystemError | kStatusDetectedParityError;
  static constexpr u8 kHeaderMultiFunction = 0x80;

  // `name` is the function's name in logs and describe(). The header gets the identity, a
  // Command register whose I/O, Memory, Bus Master, Parity, SERR# and Interrupt Disable bits are
  // writable, and a Status register with the error bits RW1C. A device narrows these with
  // define_register() in its own constructor.
  PciFunction(std::string name, const PciIdentity& identity);
  virtual ~PciFunction();
  PciFunction(const PciFunction&) = delete;
  PciFunction& operator=(const PciFunction&) = delete;

  // Configuration access from the bus: `offset + size` stays inside one dword.
  u32 config_read(u8 offset, unsigned size) const;
  void config_write(u8 offset, unsigned size, u32 value);

  // INTx#: the function's interrupt pin as a level.
  void set_intx(bool level);
  bool intx_level() const { return intx_level_; }
  // What the bus sees: the level unless Command.Interrupt Disable masks it, and only if the
  // function has an interrupt pin.
  bool intx_asserted() const;
  u8 interrupt_pin() const { return config_[kInterruptPin]; }

  // BARs 0-5 and kRomBar.
  PciBarKind bar_kind(unsigned bar) const { return bar < bars_.size() ? bars_[bar].kind : PciBarKind::Unused; }
  u32 bar_size(unsigned bar) const { return bar < bars_.size() ? bars_[bar].size : 0; }
  // The base address programmed into the BAR (flag bits removed), decoded or not.
  u32 bar_address(unsigned bar) const;
  // The base of the window while the BAR is decoded (enabled, placed, mapped), else nullopt.
  std::optional<u32> bar_window(unsigned bar) const;

  bool io_space_enabled() const { return config16(kCommand) & kCommandIo; }
  bool memory_space_enabled() const { return config16(kCommand) & kCommandMemory; }
  bool bus_master_enabled() const { return config16(kCommand) & kCommandBusMaster; }

  // Where the function sits (valid once a bus has attached it).
  PciBus* bus() const { return bus_; }
  unsigned device_number() const { return device_; }
  unsigned function_number() const { return function_; }
  const std::string& name() const { return name_; }

  // Power-on state of the configuration space; windows close, INTx# is released. Devices extend.
  virtual void reset();
  // Saves the configuration bytes and the INTx# level. A loaded image can only change bits a
  // guest could write (the read-only bytes keep their reset values); windows are remapped.
  // Devices with more state override, call this first, then add their own fields.
  virtual void serialize(StateVisitor& v);
  // One line: location, identity, Command/Status, BAR windows, INTx#.
  virtual std::string describe() const;

  // Called by PciBus::attach().
  void attached(PciBus* bus, unsigned device, unsigned function);
  // Called by PciBus: the windows close and the function forgets the bus (no hooks run).
  void detached();
  // Re-evaluates every BAR's window (after the Command register, a BAR, or another function's
  // window changed — a window is only decoded where nothing else answers).
  void update_windows();

 protected:
  // --- for the device's constructor --------------------------------------------------------
  // A device-specific (or header) register of `size` bytes (1, 2 or 4) at `offset`, little-endian.
  void define_register(u8 offset, unsigned size, u32 reset_value, u32 writable, u32 write_one_to_clear = 0);
  // BARs. Sizes are powers of two: I/O 4..256 bytes (§6.2.5.1 limits an I/O BAR to 256), memory
  // at least 16 bytes, the expansion ROM at least 2 KiB. `handler` receives the accesses to the
  // window; nullptr leaves mapping to the device (bar_moved()).
  void define_io_bar(unsigned bar, u32 size, PortHandler* handler);
  void define_memory_bar(unsigned bar, u32 size, MmioHandler* handler, bool prefetchable = false);
  void define_rom_bar(u32 size, MmioHandler* handler);

  // --- for the device's logic ----------------------------------------------------------------
  u8 config8(u8 offset) const { return config_[offset]; }
  u16 config16(u8 offset) const;
  u32 config32(u8 offset) const;
  // Hardware-side updates that ignore the write masks.
  void set_config8(u8 offset, u8 value) { config_[offset] = value; }
  void set_config16(u8 offset, u16 value);
  // Changes a byte's writable mask at run time (lock bits); also for re-deriving after a load.
  void set_writable(u8 offset, u8 mask) { writable_[offset] = mask; }
  u8 reset_value(u8 offset) const { return reset_[offset]; }
  AddressSpace* address_space() const;

  // --- hooks -----------------------------------------------------------------------------------
  // A guest configuration write has been applied to [offset, offset + size).
  virtual void config_written(u8 offset, unsigned size) {
    (void)offset;
    (void)size;
  }
  // A BAR's decoded window opened, moved or closed (after the function mapped its handler).
  virtual void bar_moved(unsigned bar, std::optional<u32> old_base, std::optional<u32> new_base) {
    (void)bar;
    (void)old_base;
    (void)new_base;
  }

  // Whether a guest write to [offset, offset + size) touched `reg` (of `reg_size` bytes).
  static bool touches(u8 offset, unsigned size, u8 reg, unsigned reg_size = 1) {
    return offset < reg + reg_size && reg < offset + size;
  }

 private:
  struct Bar {
    PciBarKind kind = PciBarKind::Unused;
    u32 size = 0;
    PortHandler* io = nullptr;
    MmioHandler* mmio = nullptr;
    std::optional<u32> window;  // where it is mapped now
  };
  void define_bar(unsigned bar, PciBarKind kind, u32 size, u32 flags, PortHandler* io, MmioHandler* mmio);
  u8 bar_offset(unsigned bar) const { return bar == kRomBar ? kExpansionRom : static_cast<u8>(kBar0 + 4 * bar); }
  std::optional<u32> decoded_window(unsigned bar) const;
  void map_window(unsigned bar, u32 base);
  void unmap_window(unsigned bar);

  std::string name_;
  std::array<u8, kConfigSize> config_{};
  std::array<u8, kConfigSize> reset_{};
  std::array<u8, kConfigSize> writable_{};
  std::array<u8, kConfigSize> write_one_to_clear_{};
  std::array<bool, kConfigSize> defined_{};
  std::array<Bar, kBarCount + 1> bars_{};
  bool intx_level_ = false;
  PciBus* bus_ = nullptr;
  unsigned device_ = 0, function_ = 0;
};

}  // namespace emu
