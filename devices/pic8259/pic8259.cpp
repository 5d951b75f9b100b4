#include "devices/pic8259/pic8259.h"

#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

constexpr u8 bit(unsigned line) { return static_cast<u8>(1u << (line & 7)); }

// ICW1 (8259A datasheet, "Initialization Command Words"): written to the command port with D4=1.
namespace icw1 {
constexpr u8 kIc4 = 0x01;   // ICW4 will follow
constexpr u8 kSngl = 0x02;  // single chip, no ICW3
constexpr u8 kLtim = 0x08;  // level-triggered mode (replaced by ELCR on the PIIX3)
constexpr u8 kIsIcw1 = 0x10;
}  // namespace icw1
// ICW4.
namespace icw4 {
constexpr u8 kUpm = 0x01;   // 8086/8088 mode (else MCS-80/85)
constexpr u8 kAeoi = 0x02;  // automatic EOI
constexpr u8 kSfnm = 0x10;  // special fully nested mode
}  // namespace icw4
// OCW3: D4=0, D3=1.
namespace ocw3 {
constexpr u8 kIsOcw3 = 0x08;
constexpr u8 kReadRegister = 0x02;  // RR: the RIS bit is valid
constexpr u8 kRis = 0x01;           // read ISR (else IRR)
constexpr u8 kPoll = 0x04;
constexpr u8 kEsmm = 0x40;  // the SMM bit is valid
constexpr u8 kSmm = 0x20;
}  // namespace ocw3

}  // namespace

Pic8259::Pic8259() { reset(); }

void Pic8259::reset() {
  chip_[kMaster] = Pic8259ChipState{};
  chip_[kSlave] = Pic8259ChipState{};
  update();
}

bool Pic8259::decodes(u16 port) const {
  return port == kMasterCommand || port == kMasterData || port == kSlaveCommand || port == kSlaveData ||
         port == kElcr1 || port == kElcr2;
}

// --- Priority resolution -------------------------------------------------------------------

unsigned Pic8259::highest_priority(unsigned c, u8 mask) const {
  // Priorities rotate (8259A "Rotation"): line highest_priority_line has priority 0, the next
  // line priority 1, and so on around the ring.
  for (unsigned priority = 0; priority < 8; ++priority)
    if (mask & bit(chip_[c].highest_priority_line + priority)) return priority;
  return 8;
}

int Pic8259::requested_line(unsigned c) const {
  const Pic8259ChipState& s = chip_[c];
  const u8 requests = s.irr & ~s.imr;
  if (s.special_mask) {
    // Special mask mode (8259A datasheet, "Special Mask Mode"): a level in service no longer
    // holds off the others; every unmasked level may interrupt except one already in service.
    const unsigned p = highest_priority(c, requests & ~s.isr);
    return p == 8 ? -1 : static_cast<int>((s.highest_priority_line + p) & 7);
  }
  const unsigned request_priority = highest_priority(c, requests);
  if (request_priority == 8) return -1;
  u8 in_service = s.isr;
  // Special fully nested mode on the master: the slave's line in service does not hold off
  // a higher-priority request from the same slave (8259A datasheet, "Special Fully Nested Mode").
  if (c == kMaster && s.special_fully_nested) in_service &= ~bit(kCascadeLine);
  if (request_priority < highest_priority(c, in_service))
    return static_cast<int>((s.highest_priority_line + request_priority) & 7);
  return -1;
}

// --- Inputs ----------------------------------------------------------------------------------

void Pic8259::set_chip_line(unsigned c, unsigned line, bool level) {
  Pic8259ChipState& s = chip_[c];
  const u8 m = bit(line);
  if (s.elcr & m) {
    // Level triggered: IRR follows the line.
    s.irr = level ? (s.irr | m) : (s.irr & ~m);
  } else if (level && !(s.line_levels & m)) {
    // Edge triggered: a rising edge latches the request until INTA. The real 8259A also wants
    // the line still high at INTA (else it answers IR7); like QEMU we keep the latched request,
    // so a device model may signal an edge with a short pulse between two instructions.
    s.irr |= m;
  }
  s.line_levels = level ? (s.line_levels | m) : (s.line_levels & ~m);
}

void Pic8259::set_irq(unsigned line, bool level) {
  if (line >= kLines || line == kCascadeLine) {
    GuestLog::instance().log("pic", "a device drove IRQ %u, which is not a free 8259 input", line);
    return;
  }
  set_chip_line(line < 8 ? kMaster : kSlave, line & 7, level);
  update();
}

void Pic8259::update() {
  // The slave's INT pin is wired to the master's IR2.
  set_chip_line(kMaster, kCascadeLine, requested_line(kSlave) >= 0);
  const bool intr = requested_line(kMaster) >= 0;
  if (intr != intr_) {
    drive_intr(intr);
    if (intr_listener_) intr_listener_(intr);
  }
}

// --- INTA ------------------------------------------------------------------------------------

void Pic8259::intack(unsigned c, unsigned line) {
  Pic8259ChipState& s = chip_[c];
  if (s.auto_eoi) {
    // AEOI: the EOI happens at the end of INTA, so ISR is never set; with rotation on, the
    // acknowledged line becomes the lowest priority.
    if (s.rotate_on_auto_eoi) s.highest_priority_line = (line + 1) & 7;
  } else {
    s.isr |= bit(line);
  }
  // A level-triggered request stays in IRR while its line is high.
  if (!(s.elcr & bit(line))) s.irr &= ~bit(line);
}

u8 Pic8259::acknowledge() {
  const int line = requested_line(kMaster);
  u8 vector;
  if (line < 0) {
    // The request went away between INTR and INTA: the 8259A answers with IR7's vector and sets
    // no ISR bit (a "spurious interrupt", which an OS recognises by the clear ISR bit 7).
    vector = chip_[kMaster].vector_base | 7;
  } else if (line == static_cast<int>(kCascadeLine)) {
    const int slave_line = requested_line(kSlave);
    if (slave_line >= 0) {
      intack(kSlave, static_cast<unsigned>(slave_line));
      vector = chip_[kSlave].vector_base | static_cast<u8>(slave_line);
    } else {
      // Spurious on the slave: the master still acknowledges IR2 (so the OS must EOI the
      // master), the slave answers IR7's vector: IRQ 15.
      vector = chip_[kSlave].vector_base | 7;
    }
    intack(kMaster, kCascadeLine);
    // The slave's INT output drops during INTA and rises again if it still has a request, so
    // the master (edge-triggered on IR2) sees a fresh edge for the slave's next interrupt.
    chip_[kMaster].line_levels &= ~bit(kCascadeLine);
  } else {
    intack(kMaster, static_cast<unsigned>(line));
    vector = chip_[kMaster].vector_base | static_cast<u8>(line);
  }
  update();
  return vector;
}

u8 Pic8259::poll(unsigned c) {
  // Poll command (OCW3.P): this read is the interrupt acknowledge. The poll word is
  // I------W2W1W0: I=1 when a level was pending, W the highest-priority level.
  chip_[c].poll = false;
  const int line = requested_line(c);
  if (line < 0) return 0;
  intack(c, static_cast<unsigned>(line));
  if (c == kSlave) chip_[kMaster].line_levels &= ~bit(kCascadeLine);  // INT drops, as in acknowledge()
  update();
  return static_cast<u8>(0x80 | line);
}

// --- Registers ---------------------------------------------------------------------------------

void Pic8259::initialize(unsigned c, u8 value) {
  // ICW1 (8259A datasheet, "Initialization Sequence"): the edge sense circuit is reset (an input
  // must make a new low-to-high transition), IMR is cleared, IR7 gets the lowest priority,
  // special mask mode is cleared and reads return IRR; without IC4 every ICW4 bit is zero.
  Pic8259ChipState& s = chip_[c];
  const u8 elcr = s.elcr, lines = s.line_levels;
  s = Pic8259ChipState{};
  s.elcr = elcr;
  s.line_levels = lines;
  s.irr = lines & elcr;  // only level-triggered requests survive
  s.icw4_expected = value & icw1::kIc4;
  s.single = value & icw1::kSngl;
  s.init_step = 1;
  if (value & icw1::kLtim)
    GuestLog::instance().log("pic", "ICW1.LTIM set; the PIIX3 ignores it (trigger mode comes from ELCR)");
  if (s.single) GuestLog::instance().log("pic", "ICW1.SNGL set, but the PC's 8259s are always cascaded");
}

void Pic8259::write_command(unsigned c, u8 value) {
  Pic8259ChipState& s = chip_[c];
  if (value & icw1::kIsIcw1) {
    initialize(c, value);
  } else if (value & ocw3::kIsOcw3) {
    // OCW3.
    if (value & 0x80) GuestLog::instance().log("pic", "OCW3 with reserved bit 7 set: %02x", value);
    if (value & ocw3::kPoll) s.poll = true;
    if (value & ocw3::kReadRegister) s.read_isr = value & ocw3::kRis;
    if (value & ocw3::kEsmm) s.special_mask = value & ocw3::kSmm;
  } else {
    // OCW2: R SL EOI in bits 7-5, the level L2-L0 in bits 2-0.
    const unsigned level = value & 7;
    switch (value >> 5) {
      case 0b000: s.rotate_on_auto_eoi = false; break;  // clear rotate in AEOI mode
      case 0b100: s.rotate_on_auto_eoi = true; break;   // set rotate in AEOI mode
      case 0b001:                                       // non-specific EOI
      case 0b101: {                                     // rotate on non-specific EOI
        const unsigned p = highest_priority(c, s.isr);
        if (p == 8) {
          GuestLog::instance().log("pic", "non-specific EOI with no level in service");
          break;
        }
        const unsigned line = (s.highest_priority_line + p) & 7;
        s.isr &= ~bit(line);
        if (value >> 5 == 0b101) s.highest_priority_line = (line + 1) & 7;
        break;
      }
      case 0b011: s.isr &= ~bit(level); break;  // specific EOI
      case 0b111:                               // rotate on specific EOI
        s.isr &= ~bit(level);
        s.highest_priority_line = (level + 1) & 7;
        break;
      case 0b110: s.highest_priority_line = (level + 1) & 7; break;  // set priority: L is lowest
      case 0b010: break;                                             // no operation
    }
  }
  update();
}

void Pic8259::write_data(unsigned c, u8 value) {
  Pic8259ChipState& s = chip_[c];
  switch (s.init_step) {
    case 0:  // OCW1: the interrupt mask
      s.imr = value;
      break;
    case 1:  // ICW2: T7-T3 of the vectors (the low three bits are the line number)
      s.vector_base = value & 0xF8;
      s.init_step = s.single ? (s.icw4_expected ? 3 : 0) : 2;
      break;
    case 2: {  // ICW3: the master's slave bitmap, the slave's ID
      s.icw3 = value;
      const u8 expected = c == kMaster ? bit(kCascadeLine) : kCascadeLine;
      if (value != expected)
        GuestLog::instance().log("pic", "ICW3 %02x on the %s; the PC wires the slave to IR2 regardless", value,
                                 c == kMaster ? "master" : "slave");
      s.init_step = s.icw4_expected ? 3 : 0;
      break;
    }
    case 3:  // ICW4
      if (!(value & icw4::kUpm))
        GuestLog::instance().log("pic", "ICW4 selects MCS-80/85 mode; vectors are still delivered 8086-style");
      s.auto_eoi = value & icw4::kAeoi;
      s.special_fully_nested = value & icw4::kSfnm;
      s.init_step = 0;
      break;
  }
  update();
}

void Pic8259::write_elcr(unsigned c, u8 value) {
  Pic8259ChipState& s = chip_[c];
  const u8 writable = c == kMaster ? kElcr1Writable : kElcr2Writable;
  if (value & ~writable)
    GuestLog::instance().log("pic", "ELCR%u write %02x sets reserved bits (IRQ 0/1/2/8/13 are edge only)", c + 1,
                             value);
  s.elcr = value & writable;
  // A line that became level triggered requests exactly while it is high.
  s.irr = (s.irr & ~s.elcr) | (s.line_levels & s.elcr);
  update();
}

u8 Pic8259::read_byte(u16 port) {
  switch (port) {
    case kElcr1: return chip_[kMaster].elcr;  // ELCR1
    case kElcr2: return chip_[kSlave].elcr;   // ELCR2
    default: break;
  }
  const unsigned c = (port & 0x80) ? kSlave : kMaster;
  const Pic8259ChipState& s = chip_[c];
  if (s.poll) return poll(c);         // either port: the poll word
  if (port & 1) return s.imr;         // OCW1: IMR
  return s.read_isr ? s.isr : s.irr;  // OCW3-selected ISR or IRR
}

void Pic8259::write_byte(u16 port, u8 value) {
  switch (port) {
    case kElcr1: write_elcr(kMaster, value); return;
    case kElcr2: write_elcr(kSlave, value); return;
    default: break;
  }
  const unsigned c = (port & 0x80) ? kSlave : kMaster;
  if (port & 1)
    write_data(c, value);
  else
    write_command(c, value);
}

// --- State -------------------------------------------------------------------------------------

void Pic8259::serialize(StateVisitor& v) {
  static constexpr const char* kNames[2] = {"master.", "slave."};
  for (unsigned c = 0; c < 2; ++c) {
    Pic8259ChipState& s = chip_[c];
    const std::string p = kNames[c];
    v.field(p + "irr", s.irr);
    v.field(p + "isr", s.isr);
    v.field(p + "imr", s.imr);
    v.field(p + "line_levels", s.line_levels);
    v.field(p + "elcr", s.elcr);
    v.field(p + "vector_base", s.vector_base);
    v.field(p + "icw3", s.icw3);
    v.field(p + "highest_priority_line", s.highest_priority_line);
    v.field(p + "init_step", s.init_step);
    v.field(p + "icw4_expected", s.icw4_expected);
    v.field(p + "single", s.single);
    v.field(p + "auto_eoi", s.auto_eoi);
    v.field(p + "rotate_on_auto_eoi", s.rotate_on_auto_eoi);
    v.field(p + "special_fully_nested", s.special_fully_nested);
    v.field(p + "special_mask", s.special_mask);
    v.field(p + "poll", s.poll);
    v.field(p + "read_isr", s.read_isr);
  }
  if (!v.loading()) return;
  for (unsigned c = 0; c < 2; ++c) {
    const Pic8259ChipState& s = chip_[c];
    if (s.init_step > 3) v.reject("pic: initialization step out of range");
    if (s.highest_priority_line > 7) v.reject("pic: priority rotation out of range");
    if (s.vector_base & 7) v.reject("pic: vector base has low bits set");
    if (s.elcr & ~(c == kMaster ? kElcr1Writable : kElcr2Writable)) v.reject("pic: ELCR has reserved bits set");
  }
  if (!v.ok()) {
    reset();
    return;
  }
  intr_ = false;
  update();
}

std::string Pic8259::describe() const {
  std::string out;
  char line[160];
  for (unsigned c = 0; c < 2; ++c) {
    const Pic8259ChipState& s = chip_[c];
    std::snprintf(line, sizeof line, "pic%u: irr=%02x imr=%02x isr=%02x elcr=%02x base=%02x hprio=%u%s%s%s%s%s\n", c,
                  s.irr, s.imr, s.isr, s.elcr, s.vector_base, s.highest_priority_line, s.auto_eoi ? " aeoi" : "",
                  s.special_mask ? " smm" : "", s.special_fully_nested ? " sfnm" : "", s.poll ? " poll" : "",
                  s.init_step ? " (initialising)" : "");
    out += line;
  }
  return out;
}

}  // namespace emu
