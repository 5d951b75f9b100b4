// The Motorola MC146818A real-time clock with its 128 bytes of battery-backed CMOS RAM, at
// ports 0x70 (index; bit 7 masks NMI on the PC) and 0x71 (data), interrupting on IRQ 8.
//
// Reference: Motorola MC146818A datasheet ("Real-Time Clock Plus RAM (RTC)"), the IBM PC/AT
// Technical Reference (CMOS RAM map), and the PIIX3 datasheet §4.8 (RTC, NMI enable at 0x70).
// Compare QEMU's hw/rtc/mc146818rtc.c.
//
// Time is not stepped once a second. The divider chain (32.768 kHz) started at a virtual time,
// the divider origin; update cycles happen half a second after it and every second from then
// on, and periodic interrupts at multiples of the selected rate. The calendar time shown is
// "seconds at the origin" plus the updates done so far, converted to the register format
// when the guest reads it. While SET is 1 or the divider is held in reset the time does not
// advance and the time registers are plain bytes the guest writes.
//
// Flags in register C are brought up to date lazily (whenever the guest looks, or an enabled
// interrupt is due), so a clock nobody reads costs nothing; events go on the timeline only for
// the next enabled interrupt, and none while IRQ 8 is already asserted.
#pragma once
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/timeline.h"
#include "devices/byte_port_device.h"

namespace emu {

class StateVisitor;

// Register indexes (MC146818A datasheet, "Address Map"; PC/AT CMOS map for 0x0E and up).
namespace rtc_reg {
constexpr u8 kSeconds = 0x00, kSecondsAlarm = 0x01, kMinutes = 0x02, kMinutesAlarm = 0x03;
constexpr u8 kHours = 0x04, kHoursAlarm = 0x05, kDayOfWeek = 0x06, kDayOfMonth = 0x07;
constexpr u8 kMonth = 0x08, kYear = 0x09;
constexpr u8 kA = 0x0A, kB = 0x0B, kC = 0x0C, kD = 0x0D;
constexpr u8 kShutdownStatus = 0x0F, kFloppyTypes = 0x10, kDiskTypes = 0x12, kEquipment = 0x14;
constexpr u8 kBaseMemoryLow = 0x15, kBaseMemoryHigh = 0x16;
constexpr u8 kExtendedMemoryLow = 0x17, kExtendedMemoryHigh = 0x18;
constexpr u8 kChecksumHigh = 0x2E, kChecksumLow = 0x2F;
constexpr u8 kExtendedMemoryLow2 = 0x30, kExtendedMemoryHigh2 = 0x31;
constexpr u8 kCentury = 0x32;
constexpr u8 kMemoryAbove16MLow = 0x34, kMemoryAbove16MHigh = 0x35;  // 64 KiB units (QEMU/SeaBIOS)
constexpr u8 kBootOrder3 = 0x38, kBootOrder12 = 0x3D;                // SeaBIOS boot order
constexpr u8 kMemoryAbove4G = 0x5B;                                  // 3 bytes, 64 KiB units
constexpr u8 kCpuCountMinus1 = 0x5F;
}  // namespace rtc_reg

struct Rtc146818State {
  std::array<u8, 128> cmos{};  // the RAM, registers A-D and, while frozen, the time registers
  u8 index = 0;                // port 0x70 bits 6-0
  bool nmi_disabled = false;   // port 0x70 bit 7
  i64 divider_origin_ns = 0;   // when the divider chain last left reset
  i64 seconds_at_origin = 0;   // the calendar time (seconds since 1970-01-01) before update 0
  i64 flags_checked_ns = 0;    // register C's flags account for everything up to here
  bool irq_level = false;      // IRQ 8 as last driven (IRQF)
};

class Rtc146818 final : public BytePortDevice {
 public:
  static constexpr u16 kIndexPort = 0x70, kDataPort = 0x71;

  // `base_seconds`: the calendar time (seconds since 1970-01-01 00:00:00, in whatever zone the
  // guest's clock keeps) shown from the moment the RTC is created (normally virtual time 0),
  // with update cycles on whole seconds from then. See resolve_rtc_base().
  Rtc146818(Timeline& timeline, i64 base_seconds);
  ~Rtc146818() override;

  void set_irq(std::function<void(bool level)> irq8) { irq8_ = std::move(irq8); }
  bool nmi_enabled() const { return !state_.nmi_disabled; }

  // CMOS RAM as the board and the BIOS helpers see it (no side effects, any index 0-127).
  u8 cmos(u8 index) const { return state_.cmos[index & 0x7F]; }
  void set_cmos(u8 index, u8 value);

  // The calendar time the clock shows now (seconds since 1970), for the monitor and tests.
  i64 current_seconds() const;

  void serialize(StateVisitor& v);
  std::string describe() const;
  const Rtc146818State& state() const { return state_; }

 protected:
  bool decodes(u16 port) const override { return port == kIndexPort || port == kDataPort; }
  u8 read_byte(u16 port) override;
  void write_byte(u16 port, u8 value) override;

 private:
  i64 now() const { return static_cast<i64>(timeline_.now()); }
  bool divider_running() const;
  bool clock_running() const;  // the time advances: divider running and SET clear
  // Update cycles completed in [divider origin, t].
  i64 updates_done(i64 t) const;
  i64 next_update_ns(i64 t) const;
  u32 periodic_cycles() const;  // the periodic interrupt's period in 32.768 kHz cycles, 0 = off
  i64 periodic_ticks(i64 t) const;
  bool update_in_progress() const;
  // Writes the running clock's time into the time registers (the guest reads them there).
  void materialize_time();
  // Reads the calendar time from the time registers in the current data mode.
  i64 parse_time() const;
  void set_running_time(i64 seconds);
  bool alarm_matches(i64 seconds) const;
  // Brings PF, UF and AF in register C up to date with virtual time.
  void refresh_flags();
  void update_irq();
  void rearm();
  void write_register(u8 index, u8 value);
  u8 read_register(u8 index);

  Timeline& timeline_;
  Rtc146818State state_;
  Timeline::EventId event_ = 0;
  std::function<void(bool)> irq8_;
};

// The `-rtc base=` option: "" (default), "utc", "localtime", "YYYY-MM-DD" or
// "YYYY-MM-DDTHH:MM:SS". By default the clock starts from the host's UTC time, or under
// -icount (deterministic time) from kDeterministicRtcBase so runs repeat. nullopt: malformed.
std::optional<i64> resolve_rtc_base(std::string_view option, bool deterministic);
// 2000-01-01 00:00:00.
constexpr i64 kDeterministicRtcBase = 946684800;

// The CMOS contents a PC BIOS (ours, SeaBIOS) and Linux expect from the firmware setup.
struct PcCmosConfig {
  u64 ram_bytes = 0;  // RAM below 4 GiB
  unsigned cpus = 1;
  bool fpu = true;
  bool ps2_mouse = true;
  u8 floppy_a_type = 0;          // 0 none, 4 = 1.44 MB (PC/AT CMOS 0x10 high nibble)
  std::string boot_order = "c";  // QEMU -boot letters: a floppy, c disk, d CD-ROM, n network
};
void fill_pc_cmos(Rtc146818& rtc, const PcCmosConfig& config);

}  // namespace emu
