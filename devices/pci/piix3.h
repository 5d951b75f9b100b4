// The Intel 82371SB PIIX3 PCI-to-ISA bridge, function 00:01.0, and the two reset/A20 ports the
// PIIX3 decodes on the ISA side. Reference: Intel 82371FB (PIIX) and 82371SB (PIIX3) PCI ISA IDE
// Xcelerator datasheet (order no. 290550), §2.2 (function 0 configuration registers), §4.1
// (Port 92h), §4.1/Reset Control Register (CF9h). Compare QEMU hw/isa/piix.c.
//
// Function 0 configuration registers (reset values from the datasheet, as QEMU's piix_reset):
//   PCICMD 04h = 0007h (I/O, memory and bus master hard-wired on; Special Cycle Enable RW)
//   PCISTS 06h = 0200h (DEVSEL# medium; bits 13:11 RW1C)
//   IORT 4Ch = 4Dh, XBCS 4Eh = 0003h, PIRQRC[A:D] 60h-63h = 80h, TOM 69h = 02h, MBIRQ0 70h = 80h,
//   MBDMA0/1 76h-77h = 0Ch, PCSC 78h = 0002h, APICBASE 80h = 00h, DLC 82h = 00h,
//   SMICNTL A0h = 08h, SMIEN A2h = 0000h, SEE A4h = 0, FTMR A8h = 0Fh, SMIREQ AAh = 0000h,
//   CTLTMR ACh = 00h, CTHTMR AEh = 00h.
// Only PIRQRC has behaviour here (PCI interrupt steering); the others are stored so firmware
// reads back what it wrote. Header Type is 80h: the PIIX3 is a multi-function device (IDE is
// 01.1, USB 01.2; QEMU puts the PIIX4 power-management function at 01.3).
//
// PIRQRC[A:D] (§2.2.8): bit 7 = IRQROUTEN (1: not routed), bits 6:4 reserved, bits 3:0 = the ISA
// IRQ. Only IRQ 3-7, 9-12, 14 and 15 are valid; 0, 1, 2, 8 and 13 are reserved, and a PIRQ
// programmed with them is not routed (logged). Several PIRQs may share one IRQ: the IRQ line is
// the OR of the PIRQs routed to it, kept correct when the routing changes while a PIRQ is
// asserted (the old IRQ drops, the new one rises).
#pragma once
#include <array>
#include <functional>
#include <optional>
#include <string>

#include "devices/byte_port_device.h"
#include "devices/pci/pci_function.h"

namespace emu {

// What kind of reset a port asks for.
enum class PcResetKind : u8 {
  System,  // hard reset: the whole machine (0xCF9 with SRST = 1)
  CpuInit  // soft reset: INIT# to the CPU only, memory and devices keep their state (0xCF9 with
           // SRST = 0, port 0x92 FAST_INIT)
};

class Piix3IsaBridge final : public PciFunction {
 public:
  static constexpr u16 kVendorIntel = 0x8086, kDeviceId = 0x7000;
  static constexpr u32 kClassIsaBridge = 0x060100;
  static constexpr u8 kPirqrc = 0x60, kTom = 0x69, kXbcs = 0x4E;
  static constexpr u8 kPirqDisable = 0x80;
  static constexpr unsigned kPirqLines = 4;
  // IRQs a PIRQ may be steered to (datasheet PIRQRC bits 3:0): 3-7, 9-12, 14, 15.
  static constexpr u16 kRoutableIrqs = 0xDEF8;

  Piix3IsaBridge();

  // The ISA IRQ lines this bridge drives (the machine forwards to Pic8259::set_irq). Called only
  // when a line's level changes.
  void set_isa_irq_handler(std::function<void(unsigned irq, bool level)> handler) { isa_irq_ = std::move(handler); }
  // PIRQ[A-D]# input (0 = PIRQA): PciBus's pirq listener calls this.
  void set_pirq_level(unsigned pirq, bool level);
  bool pirq_level(unsigned pirq) const { return pirq < kPirqLines && pirq_levels_[pirq]; }
  // The IRQ a PIRQ is steered to, or nullopt when its routing is disabled or reserved.
  std::optional<unsigned> pirq_route(unsigned pirq) const;
  // The ISA IRQ lines as this bridge drives them (bit n = IRQ n).
  u16 isa_irq_levels() const { return irq_levels_; }

  void reset() override;
  void serialize(StateVisitor& v) override;
  std::string describe() const override;

 protected:
  void config_written(u8 offset, unsigned size) override;

 private:
  // Recomputes the driven IRQ levels; tells the handler about changed lines when `notify`.
  void update_irqs(bool notify);

  std::array<bool, kPirqLines> pirq_levels_{};
  u16 irq_levels_ = 0;
  std::function<void(unsigned, bool)> isa_irq_;
};

// Port 0x92, System Control Port A (PIIX3 datasheet, Port 92h): bit 1 FAST_A20 (1 = A20 enabled),
// bit 0 FAST_INIT — a 0-to-1 transition pulses INIT# to the CPU; bits 7:2 are reserved (read 0).
// The A20 gate the CPU sees is FAST_A20 OR the keyboard controller's A20GATE: the machine
// combines this callback with the i8042's.
class SystemControlPortA final : public BytePortDevice {
 public:
  static constexpr u16 kPort = 0x92;
  static constexpr u8 kFastInit = 0x01, kFastA20 = 0x02;

  std::function<void(bool enabled)> set_a20;
  std::function<void(PcResetKind)> request_reset;

  u8 value() const { return value_; }
  bool a20() const { return value_ & kFastA20; }

  // System reset: FAST_INIT returns to 0 so the next 0-to-1 write resets again; FAST_A20 keeps
  // its value, as in QEMU (a BIOS rewrites it anyway).
  void reset() { value_ &= static_cast<u8>(~kFastInit); }
  void serialize(StateVisitor& v);
  std::string describe() const;

 protected:
  bool decodes(u16 port) const override { return port == kPort; }
  u8 read_byte(u16) override { return value_; }
  void write_byte(u16 port, u8 value) override;

 private:
  u8 value_ = 0;
};

// Port 0xCF9, the PIIX3 Reset Control Register: bit 1 SRST (System Reset: 1 = hard reset of the
// whole machine, 0 = soft reset, INIT# only), bit 2 RCPU (Reset CPU: writing 1 starts the reset
// SRST selects). RCPU reads 0, so every write with bit 2 set is the 0-to-1 transition the datasheet
// asks for. Bits 7:3 and 0 are reserved. Byte accesses only; 0xCF8 is the PCI bus's.
class Piix3ResetControl final : public BytePortDevice {
 public:
  static constexpr u16 kPort = 0xCF9;
  static constexpr u8 kSystemReset = 0x02, kResetCpu = 0x04;

  std::function<void(PcResetKind)> request_reset;

  u8 value() const { return value_; }
  void reset() { value_ = 0; }
  void serialize(StateVisitor& v);
  std::string describe() const;

 protected:
  bool decodes(u16 port) const override { return port == kPort; }
  u8 read_byte(u16) override { return value_; }
  void write_byte(u16 port, u8 value) override;

 private:
  u8 value_ = 0;
};

}  // namespace emu
