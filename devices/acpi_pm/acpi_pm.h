// The power-management function of the Intel 82371AB PIIX4 (function 3), as QEMU's `pc` machine
// places it beside the PIIX3 at 00:01.3: 8086:7113 rev 03, class 0680 (other bridge).
// References: Intel 82371AB PIIX4 datasheet (order no. 290562), §3.4 (function 3 configuration
// registers), §7 (power management I/O registers); ACPI 1.0b §4.7 (fixed hardware: PM1 event,
// PM1 control, PM timer, SCI). Compare QEMU hw/acpi/piix4.c and hw/acpi/core.c.
//
// Configuration registers:
//   PMBA 40h       I/O base of the 64-byte PM register block: bits 15:6 read/write, bit 0 reads 1.
//   DEVACTB 58h    reset 0200_0000h: bit 25 (APMC_EN) set, as QEMU does without SMM, so a BIOS
//                  (SeaBIOS's smm_setup) sees "SMM already initialised" and leaves SMM alone.
//   PMREGMISC 80h  bit 0 PMIOSE: the PM block is decoded only while it is set.
//   SMBBA 90h, SMBHSTCFG D2h  stored only: the SMBus controller is not modelled.
// PM I/O block at PMBA (PIIX4 §7.2, ACPI names in brackets):
//   +0 PMSTS [PM1_STS]   RW1C: TMROF_STS 0, BM_STS 4, GBL_STS 5, PWRBTN_STS 8, RTC_STS 10,
//                        PWRBTNOR_STS 11, WAK_STS 15
//   +2 PMEN  [PM1_EN]    TMROF_EN 0, GBL_EN 5, PWRBTN_EN 8, RTC_EN 10
//   +4 PMCNTRL [PM1_CNT] SCI_EN 0, BRLD_EN_BM 1, GBL_RLS 2 (write-only), SUS_TYP 12:10,
//                        SUS_EN 13 (write-only: starts the sleep SUS_TYP names)
//   +8 PMTMR [PM_TMR]    24-bit count of a 3.579545 MHz clock, read-only; TMROF_STS is set each
//                        time bit 23 changes (every 2^23 ticks, about 2.34 s). The status bit is
//                        latched when read; a timeline event at the change exists only while
//                        TMROF_EN is set and TMROF_STS clear (the SCI needs it then).
//   +0Ch.. GPSTS, GPEN, PCNTRL, P_LVL2/3, GLBSTS, DEVSTS, GLBEN, GLBCTL, DEVCTL, GPIREG, GPOREG:
//                        read 0, writes are logged and dropped (QEMU has none of them either).
// Fixed ports: APMC 0xB2 (SMI_CMD: ACPI_ENABLE 0xF1 sets SCI_EN, ACPI_DISABLE 0xF0 clears it;
// other values would raise SMI#, which is not modelled) and APMS 0xB3 (scratch); GPE0 block at
// 0xAFE0 as QEMU has it: GPE0_STS (2 bytes, RW1C), GPE0_EN (2 bytes).
//
// SCI (IRQ 9, level): asserted while SCI_EN is set and an enabled event is pending:
//   (PM1_STS & PM1_EN & {TMR, GBL, PWRBTN, RTC}) != 0  or  (GPE0_STS & GPE0_EN) != 0.
#pragma once
#include <functional>
#include <string>

#include "core/timeline.h"
#include "devices/acpi_pm/acpi_pm_constants.h"
#include "devices/byte_port_device.h"
#include "devices/pci/pci_function.h"

namespace emu {

struct AcpiPmState {
  u16 pm1_status = 0;   // PMSTS / PM1_STS
  u16 pm1_enable = 0;   // PMEN / PM1_EN
  u16 pm1_control = 0;  // PMCNTRL / PM1_CNT without the write-only bits
  u16 gpe0_status = 0;  // GPE0_STS
  u16 gpe0_enable = 0;  // GPE0_EN
  u8 apm_control = 0;   // APMC, port 0xB2: the last SMI command
  u8 apm_status = 0;    // APMS, port 0xB3: scratch
  bool sci_level = false;
  // The PM-timer tick of the next bit-23 change that has not been latched into TMROF_STS yet (a
  // multiple of 2^23). TMROF_STS is latched lazily, when software looks or the SCI needs it.
  u64 next_overflow_tick = u64{1} << 23;
};

class AcpiPm final : public PciFunction {
 public:
  static constexpr u16 kVendorIntel = 0x8086, kDeviceId = 0x7113;
  static constexpr u8 kRevisionId = 0x03;
  static constexpr u32 kClassOtherBridge = 0x068000;
  // Configuration registers.
  static constexpr u8 kPmba = 0x40, kDevactb = 0x58, kPmregmisc = 0x80, kSmbba = 0x90, kSmbhstcfg = 0xD2;
  static constexpr u8 kPmiose = 0x01;
  // PM register offsets within the block.
  static constexpr u16 kPm1Status = 0x00, kPm1Enable = 0x02, kPm1Control = 0x04, kPmTimer = 0x08;
  // PM1_STS / PM1_EN bits.
  static constexpr u16 kTimerOverflow = 1u << 0, kBusMaster = 1u << 4, kGlobal = 1u << 5, kPowerButton = 1u << 8,
                       kRtc = 1u << 10, kPowerButtonOverride = 1u << 11, kWake = 1u << 15;
  static constexpr u16 kPm1StatusBits =
      kTimerOverflow | kBusMaster | kGlobal | kPowerButton | kRtc | kPowerButtonOverride | kWake;
  static constexpr u16 kPm1EnableBits = kTimerOverflow | kGlobal | kPowerButton | kRtc;
  // PM1_CNT bits.
  static constexpr u16 kSciEnable = 1u << 0, kBusMasterReload = 1u << 1, kGlobalRelease = 1u << 2, kSleepTypeShift = 10,
                       kSleepTypeMask = 7u << 10, kSleepEnable = 1u << 13;
  static constexpr u16 kPm1ControlStored = kSciEnable | kBusMasterReload | kSleepTypeMask;

  explicit AcpiPm(Timeline& timeline);
  ~AcpiPm() override;

  // SCI, the ACPI interrupt: the machine drives ISA IRQ acpi_pm::kSciIrq (9) with it.
  void set_sci_handler(std::function<void(bool level)> handler) { sci_ = std::move(handler); }
  // SUS_EN written with SUS_TYP = acpi_pm::kSlpTypS5: the guest turned the machine off.
  void set_power_off_handler(std::function<void()> handler) { power_off_ = std::move(handler); }

  // The power button was pressed (the window's close button): PWRBTN_STS is set and, if the OS
  // enabled it, an SCI follows. Returns whether an ACPI OS is listening (SCI_EN and PWRBTN_EN),
  // so a frontend can fall back to a hard power-off when nobody is.
  bool press_power_button();
  // A general-purpose event (0-15) for future hot-plug sources: sets its GPE0_STS bit.
  void raise_gpe(unsigned gpe);

  // The fixed-address port handlers the machine maps:
  //   space.map_ports(acpi_pm::kSmiCommandPort, 2, &pm.apm_ports());
  //   space.map_ports(acpi_pm::kGpe0Block, acpi_pm::kGpe0Length, &pm.gpe0_ports());
  // The PM block itself is mapped by the function at PMBA while PMIOSE is set.
  PortHandler& apm_ports() { return apm_; }
  PortHandler& gpe0_ports() { return gpe0_; }

  // The PM timer's count (24 bits) at the current virtual time, and its tick at a time.
  u32 pm_timer() const;
  static u64 tick_at(u64 ns);
  static u64 ns_of_tick(u64 tick);
  // Where the PM block is decoded now, if it is.
  std::optional<u16> pm_block_base() const { return pm_block_base_; }
  const AcpiPmState& state() const { return state_; }

  void reset() override;
  void serialize(StateVisitor& v) override;
  std::string describe() const override;

 protected:
  void config_written(u8 offset, unsigned size) override;

 private:
  // Each block is its own PortHandler so the address space can tell them apart (a guest could
  // place PMBA over the GPE0 ports; the overlap check then refuses the PM block).
  class PmBlock final : public PortHandler {
   public:
    explicit PmBlock(AcpiPm& pm) : pm_(pm) {}
    u32 port_read(u16 port, unsigned size) override;
    void port_write(u16 port, unsigned size, u32 value) override;

   private:
    AcpiPm& pm_;
  };
  // APMC/APMS and GPE0 are byte registers: wide accesses split into byte cycles.
  class ApmPorts final : public BytePortDevice {
   public:
    explicit ApmPorts(AcpiPm& pm) : pm_(pm) {}

   protected:
    bool decodes(u16 port) const override {
      return port == acpi_pm::kSmiCommandPort || port == acpi_pm::kSmiCommandPort + 1;
    }
    u8 read_byte(u16 port) override;
    void write_byte(u16 port, u8 value) override;

   private:
    AcpiPm& pm_;
  };
  class Gpe0Ports final : public BytePortDevice {
   public:
    explicit Gpe0Ports(AcpiPm& pm) : pm_(pm) {}

   protected:
    bool decodes(u16 port) const override { return port - acpi_pm::kGpe0Block < acpi_pm::kGpe0Length; }
    u8 read_byte(u16 port) override;
    void write_byte(u16 port, u8 value) override;

   private:
    AcpiPm& pm_;
  };

  u8 read_pm_byte(unsigned offset, u32 timer) const;
  // Writes of one access, by register: `mask` says which bytes of the 16-bit register the access
  // covered (byte accesses change only their byte).
  void write_pm1_status(u16 value, u16 mask);
  void write_pm1_enable(u16 value, u16 mask);
  void write_pm1_control(u16 value, u16 mask);
  void apm_command(u8 value);
  void update_pm_block();
  void update_sci(bool notify = true);
  // Sets TMROF_STS if the count's bit 23 changed since the last look (PM timer "overflow").
  void latch_timer_overflow();
  // An SCI from the timer needs an event at the next bit-23 change: kept only while TMROF_EN is
  // set and TMROF_STS is clear, so an idle guest that does not use it sees no timer wake-ups.
  void update_overflow_event();
  void timer_overflow();

  Timeline& timeline_;
  AcpiPmState state_;
  Timeline::EventId overflow_event_ = 0;
  std::optional<u16> pm_block_base_;
  PmBlock pm_block_{*this};
  ApmPorts apm_{*this};
  Gpe0Ports gpe0_{*this};
  std::function<void(bool)> sci_;
  std::function<void()> power_off_;
};

}  // namespace emu
