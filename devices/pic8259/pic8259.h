// The PC's two cascaded Intel 8259A Programmable Interrupt Controllers, as in the PIIX3.
//
// Reference: Intel 8259A Programmable Interrupt Controller datasheet (order no. 231468), and the
// Intel 82371SB PIIX3 datasheet §4.3 (ELCR1/ELCR2 at 0x4D0/0x4D1: the per-line edge/level
// selection that replaces ICW1.LTIM). Compare QEMU's hw/intc/i8259.c.
//
// Wiring on the PC: the master (ports 0x20/0x21) drives the CPU's INTR; the slave (0xA0/0xA1)
// drives the master's IR2. Lines 0-7 are the master's IR0-7, lines 8-15 the slave's IR0-7;
// line 2 is the cascade and cannot be driven by a device.
//
// A chip's pipeline, per the datasheet's block diagram: an IR input sets its IRR bit (on a
// rising edge, or while high for a level-triggered line); the priority resolver picks the
// highest-priority IRR bit that is neither masked (IMR) nor outranked by a line in service
// (ISR); INTA moves it from IRR to ISR and returns the vector; an EOI command clears the ISR bit.
#pragma once
#include <functional>
#include <string>

#include "core/cpu.h"
#include "devices/byte_port_device.h"

namespace emu {

class StateVisitor;

// One 8259A's registers and mode bits.
struct Pic8259ChipState {
  u8 irr = 0;                         // IRR, Interrupt Request Register
  u8 isr = 0;                         // ISR, In-Service Register
  u8 imr = 0;                         // IMR, Interrupt Mask Register (OCW1)
  u8 line_levels = 0;                 // the IR0-7 input pins as last driven, for edge detection
  u8 elcr = 0;                        // PIIX3 ELCR1/ELCR2: 1 = the line is level triggered
  u8 vector_base = 0;                 // ICW2 bits T7-T3
  u8 icw3 = 0;                        // ICW3: the master's slave bitmap / the slave's ID
  u8 highest_priority_line = 0;       // rotation: the line that currently has priority 0
  u8 init_step = 0;                   // 0 = operational; 1, 2, 3 = expecting ICW2, ICW3, ICW4
  bool icw4_expected = false;         // ICW1.IC4
  bool single = false;                // ICW1.SNGL: no cascade, so no ICW3
  bool auto_eoi = false;              // ICW4.AEOI
  bool rotate_on_auto_eoi = false;    // OCW2 R=1 SL=0 EOI=0
  bool special_fully_nested = false;  // ICW4.SFNM
  bool special_mask = false;          // OCW3.SMM
  bool poll = false;                  // OCW3.P: the next read is a poll (an INTA by software)
  bool read_isr = false;              // OCW3.RIS: a read of the command port returns ISR, else IRR
};

class Pic8259 final : public BytePortDevice, public InterruptController {
 public:
  static constexpr u16 kMasterCommand = 0x20, kMasterData = 0x21;
  static constexpr u16 kSlaveCommand = 0xA0, kSlaveData = 0xA1;
  static constexpr u16 kElcr1 = 0x4D0, kElcr2 = 0x4D1;
  static constexpr unsigned kCascadeLine = 2;
  static constexpr unsigned kLines = 16;
  // PIIX3 ELCR: IRQ 0, 1, 2 (timer, keyboard, cascade), 8 (RTC) and 13 (FPU) must stay edge
  // triggered; their ELCR bits are reserved and read as 0.
  static constexpr u8 kElcr1Writable = 0xF8, kElcr2Writable = 0xDE;

  Pic8259();

  // Device input: drives IRQ `line` (0-15) to `level`.
  void set_irq(unsigned line, bool level);

  // InterruptController: the master's INT output and the INTA cycle.
  u8 acknowledge() override;

  // Told whenever INTR changes, so a machine can wake a halted CPU.
  void set_intr_listener(std::function<void(bool level)> listener) { intr_listener_ = std::move(listener); }

  // Power-on state: both chips uninitialised, every line edge-triggered.
  void reset();

  void serialize(StateVisitor& v);
  // The debugger's and the monitor's `info pic` view.
  std::string describe() const;

  const Pic8259ChipState& master() const { return chip_[0]; }
  const Pic8259ChipState& slave() const { return chip_[1]; }

 protected:
  bool decodes(u16 port) const override;
  u8 read_byte(u16 port) override;
  void write_byte(u16 port, u8 value) override;

 private:
  static constexpr unsigned kMaster = 0, kSlave = 1;

  // The line (0-7) of chip `c` that should interrupt now, or -1.
  int requested_line(unsigned c) const;
  // The priority (0 = highest) of the highest-priority bit in `mask`, or 8 when it is empty.
  unsigned highest_priority(unsigned c, u8 mask) const;
  void set_chip_line(unsigned c, unsigned line, bool level);
  // The INTA cycle on one chip: IRR -> ISR (unless AEOI).
  void intack(unsigned c, unsigned line);
  void write_command(unsigned c, u8 value);
  void write_data(unsigned c, u8 value);
  void write_elcr(unsigned c, u8 value);
  u8 poll(unsigned c);
  void initialize(unsigned c, u8 icw1);
  // Propagates the slave's INT to the master's IR2 and the master's INT to the CPU.
  void update();

  Pic8259ChipState chip_[2];
  std::function<void(bool)> intr_listener_;
};

}  // namespace emu
