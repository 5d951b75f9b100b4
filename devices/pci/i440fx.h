// The Intel 82441FX PCI and Memory Controller (PMC), function 00:00.0 of the i440FX chipset: the
// host-to-PCI bridge. Reference: Intel 440FX PCIset 82441FX PMC / 82442FX DBX datasheet (order
// no. 290549), §3.2 (configuration registers). Compare QEMU hw/pci-host/i440fx.c.
//
// Modelled registers:
//   PCICMD (04h)   reset 0006h: Memory Access Enable and Bus Master Enable hard-wired to 1, Parity
//                  Error Response (bit 6) and SERR# Enable (bit 8) read/write.
//   PCISTS (06h)   reset 0280h: fast back-to-back capable, DEVSEL# medium; bits 15:11 and 8 RW1C.
//   MLT (0Dh)      Master Latency Timer, bits 7:3 read/write.
//   PAM0-PAM6 (59h-5Fh)  Programmable Attribute Map: for each region, bit 0/4 = read enable
//                  (reads go to DRAM), bit 1/5 = write enable (writes go to DRAM); 00 sends
//                  both to PCI (the BIOS ROM). PAM0 has only its high nibble (F0000-FFFFF);
//                  PAM1-6 cover C0000-EFFFF in 16 KiB halves. Bits 2/6 are reserved on the
//                  82441FX (cacheability comes from the CPU's MTRRs).
//   SMRAM (72h)    reset 02h: D_OPEN (6), D_CLS (5), D_LCK (4), G_SMRAME (3), C_BASE_SEG (2:0,
//                  fixed 010b = A0000h). Setting D_LCK clears D_OPEN and makes D_OPEN, D_LCK and
//                  G_SMRAME read-only until reset.
// The model stores PAM and SMRAM and reports changes through on_pam_changed / on_smram_changed;
// the memory routing they describe (BIOS shadowing, SMRAM) is the machine's to apply.
#pragma once
#include <functional>
#include <string>

#include "devices/pci/pci_function.h"

namespace emu {

class I440fxHostBridge final : public PciFunction {
 public:
  static constexpr u16 kVendorIntel = 0x8086, kDeviceId = 0x1237;
  static constexpr u8 kRevisionId = 0x02;
  static constexpr u32 kClassHostBridge = 0x060000;
  static constexpr u8 kPam0 = 0x59, kPamCount = 7, kSmram = 0x72, kMasterLatencyTimer = 0x0D;
  static constexpr u8 kSmramDOpen = 0x40, kSmramDCls = 0x20, kSmramDLck = 0x10, kSmramGSmrame = 0x08,
                      kSmramCBaseSeg = 0x02;

  // The attribute of one PAM region (datasheet §3.2.18).
  enum class PamAccess : u8 { Pci = 0, ReadOnly = 1, WriteOnly = 2, ReadWrite = 3 };
  struct PamRegion {
    u32 base, size;
    PamAccess access;
  };
  // The 13 regions: 0 = F0000-FFFFF (PAM0 high), then C0000, C4000 ... EC000 (16 KiB each).
  static constexpr unsigned kPamRegions = 13;
  PamRegion pam_region(unsigned region) const;

  I440fxHostBridge();

  // Told after a guest write changed a PAM register: `pam` is 0-6, `value` the new register.
  std::function<void(unsigned pam, u8 value)> on_pam_changed;
  // Told after a guest write changed SMRAM.
  std::function<void(u8 value)> on_smram_changed;

  u8 pam(unsigned index) const { return index < kPamCount ? config8(static_cast<u8>(kPam0 + index)) : 0; }
  u8 smram() const { return config8(kSmram); }

  void reset() override;
  void serialize(StateVisitor& v) override;
  std::string describe() const override;

 protected:
  void config_written(u8 offset, unsigned size) override;

 private:
  void apply_smram_lock();
  u8 pam_before_[kPamCount]{};
  u8 smram_before_ = 0;
};

}  // namespace emu
