#include "devices/i8042/i8042.h"

#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

// Controller commands written to port 64h (IBM PS/2 Hardware Interface Technical Reference,
// "Commands (I/O Address Hex 64)").
constexpr u8 kReadRamFirst = 0x20, kReadRamLast = 0x3F;    // 20h: read the command byte
constexpr u8 kWriteRamFirst = 0x60, kWriteRamLast = 0x7F;  // 60h: write the command byte
constexpr u8 kPasswordInstalledTest = 0xA4;
constexpr u8 kDisableAux = 0xA7, kEnableAux = 0xA8, kAuxInterfaceTest = 0xA9, kSelfTest = 0xAA,
             kKeyboardInterfaceTest = 0xAB, kDisableKeyboard = 0xAD, kEnableKeyboard = 0xAE;
constexpr u8 kReadInputPort = 0xC0, kReadOutputPort = 0xD0, kWriteOutputPort = 0xD1, kWriteKeyboardOutputBuffer = 0xD2,
             kWriteAuxOutputBuffer = 0xD3, kWriteAux = 0xD4, kReadTestInputs = 0xE0, kPulseFirst = 0xF0;
// Replies.
constexpr u8 kSelfTestPassed = 0x55, kInterfaceTestPassed = 0x00, kNoPasswordInstalled = 0xF1;
// Input port P1: bit 7 = keyboard not inhibited (keylock open); the other pins (display type
// jumper, RAM jumpers, PS/2 data lines) read 0 as on QEMU's controller.
constexpr u8 kInputPort = 0x80;
// Power-on command byte: both interrupts enabled, no translation (QEMU's reset value; a BIOS
// writes its own during POST).
constexpr u8 kPowerOnCommandByte = 0x03;
// Output port after reset: the 8042's port pins come up high — reset line inactive, A20 on,
// keyboard/aux clock and data lines released (IBM: "P2 ... set to FFh at power-on").
constexpr u8 kPowerOnOutputPort = 0xCF;

}  // namespace

I8042Controller::I8042Controller() { reset(); }

void I8042Controller::reset() {
  const bool was_driving = state_.keyboard_irq || state_.mouse_irq;
  state_ = I8042State{};
  state_.ram[0] = kPowerOnCommandByte;
  state_.output_port = kPowerOnOutputPort;
  keyboard_.reset();
  mouse_.reset();
  update_irqs(was_driving);
}

u8 I8042Controller::status() const {
  u8 s = kStatusNotInhibited;
  if (state_.output_full) s |= kStatusOutputFull;
  if (state_.output_full && state_.output_from_aux) s |= kStatusAuxData;
  if (state_.system_flag) s |= kStatusSystem;
  if (state_.last_write_was_command) s |= kStatusCommand;
  // IBF stays 0: a write is processed before the guest can look. TO and PERR stay 0: both
  // devices are always attached and every transfer succeeds.
  return s;
}

u8 I8042Controller::output_port() const {
  // Bits 4 and 5 are wired to the IRQ 1 / IRQ 12 outputs: they show OBF for each source.
  u8 p = state_.output_port & static_cast<u8>(~(kOutKeyboardFull | kOutMouseFull));
  if (state_.output_full && !state_.output_from_aux) p |= kOutKeyboardFull;
  if (state_.output_full && state_.output_from_aux) p |= kOutMouseFull;
  return p;
}

u8 I8042Controller::read_byte(u16 port) {
  if (port == kStatusCommandPort) return status();
  // Port 60h: the output buffer. Reading empties it (a read with OBF clear returns the stale
  // byte, as the hardware latch does) and lets the next byte in.
  const u8 value = state_.output_buffer;
  state_.output_full = false;
  // The IRQ line drops before the next byte raises it again: one edge per byte for the
  // edge-triggered PIC (the next byte takes a ~1 ms transfer on real hardware).
  update_irqs();
  service();
  return value;
}

void I8042Controller::write_byte(u16 port, u8 value) {
  if (port == kStatusCommandPort) {
    state_.last_write_was_command = true;
    write_command(value);
  } else {
    state_.last_write_was_command = false;
    write_data(value);
  }
  service();
}

void I8042Controller::queue_reply(u8 byte, bool from_aux) {
  if (state_.reply_pending)
    GuestLog::instance().log("i8042", "controller reply %02x replaced before the guest read it", state_.reply);
  state_.reply_pending = true;
  state_.reply = byte;
  state_.reply_from_aux = from_aux;
}

void I8042Controller::write_command_byte(u8 value) {
  if (value & 0x80) GuestLog::instance().log("i8042", "command byte %02x sets reserved bit 7", value);
  state_.ram[0] = value & 0x7F;
  // The command byte's SYS bit is copied to the status register (IBM: "System Flag ... may be
  // set by writing the command byte").
  state_.system_flag = (value & kCmdSystemFlag) != 0;
  if (!(value & kCmdTranslate)) state_.translate_break = false;
}

void I8042Controller::write_output_port(u8 value) {
  state_.output_port = value;
  if (a20_out_) a20_out_((value & kOutA20) != 0);
  if (!(value & kOutResetLine) && reset_out_) reset_out_();
}

void I8042Controller::write_command(u8 command) {
  // A new command abandons one still waiting for its data byte.
  if (state_.pending_command)
    GuestLog::instance().log("i8042", "command %02x abandons command %02x awaiting data", command,
                             state_.pending_command);
  state_.pending_command = 0;
  if (command >= kReadRamFirst && command <= kReadRamLast) {
    queue_reply(state_.ram[command - kReadRamFirst], false);
    return;
  }
  if (command >= kWriteRamFirst && command <= kWriteRamLast) {
    state_.pending_command = command;
    return;
  }
  if (command >= kPulseFirst) {
    // Pulse output port bits 3-0 low for ~6 us where the command's bit is 0. Only bit 0 has a
    // lasting effect: a pulse on the reset line resets the CPU (FEh). A pulse on A20 returns
    // it to its level at once.
    if (!(command & kOutResetLine) && reset_out_) reset_out_();
    return;
  }
  switch (command) {
    case kPasswordInstalledTest: queue_reply(kNoPasswordInstalled, false); return;
    case kDisableAux: state_.ram[0] |= kCmdDisableMouse; return;
    case kEnableAux: state_.ram[0] &= static_cast<u8>(~kCmdDisableMouse); return;
    case kAuxInterfaceTest: queue_reply(kInterfaceTestPassed, false); return;
    case kSelfTest:
      state_.system_flag = true;
      queue_reply(kSelfTestPassed, false);
      return;
    case kKeyboardInterfaceTest: queue_reply(kInterfaceTestPassed, false); return;
    case kDisableKeyboard: state_.ram[0] |= kCmdDisableKeyboard; return;
    case kEnableKeyboard: state_.ram[0] &= static_cast<u8>(~kCmdDisableKeyboard); return;
    case kReadInputPort: queue_reply(kInputPort, false); return;
    case kReadOutputPort: queue_reply(output_port(), false); return;
    case kWriteOutputPort:
    case kWriteKeyboardOutputBuffer:
    case kWriteAuxOutputBuffer:
    case kWriteAux: state_.pending_command = command; return;
    case kReadTestInputs:
      // T0/T1 (keyboard clock and data as the controller samples them): the lines are not
      // modelled; 0 as on QEMU's controller.
      queue_reply(0x00, false);
      return;
    default: GuestLog::instance().log("i8042", "unknown controller command %02x ignored", command); return;
  }
}

void I8042Controller::write_data(u8 value) {
  const u8 command = state_.pending_command;
  state_.pending_command = 0;
  if (command >= kWriteRamFirst && command <= kWriteRamLast) {
    if (command == kWriteRamFirst)
      write_command_byte(value);
    else
      state_.ram[command - kWriteRamFirst] = value;
    return;
  }
  switch (command) {
    case kWriteOutputPort: write_output_port(value); return;
    case kWriteKeyboardOutputBuffer: queue_reply(value, false); return;  // as if from the keyboard
    case kWriteAuxOutputBuffer: queue_reply(value, true); return;        // as if from the mouse
    case kWriteAux:
      // Transmitting to a device enables its interface, as the 8042 firmware releases the
      // clock line to send (QEMU pckbd.c does the same).
      state_.ram[0] &= static_cast<u8>(~kCmdDisableMouse);
      mouse_.write(value);
      return;
    default:
      state_.ram[0] &= static_cast<u8>(~kCmdDisableKeyboard);
      keyboard_.write(value);
      return;
  }
}

void I8042Controller::service() {
  while (!state_.output_full) {
    if (state_.reply_pending) {
      state_.reply_pending = false;
      state_.output_buffer = state_.reply;
      state_.output_from_aux = state_.reply_from_aux;
      state_.output_full = true;
      break;
    }
    if (!(state_.ram[0] & kCmdDisableKeyboard) && keyboard_.has_output()) {
      u8 byte = keyboard_.read();
      if (state_.ram[0] & kCmdTranslate) {
        // Translation (IBM: "the controller translates ... set 2 to set 1"): F0 is absorbed and
        // sets bit 7 of the next translated byte. Every byte is translated, replies included
        // (so F2's AB 83 reads AB 41).
        if (byte == 0xF0) {
          state_.translate_break = true;
          continue;
        }
        byte = static_cast<u8>(translate_set2_to_set1(byte) | (state_.translate_break ? 0x80 : 0));
        state_.translate_break = false;
      }
      state_.output_buffer = byte;
      state_.output_from_aux = false;
      state_.output_full = true;
      break;
    }
    if (!(state_.ram[0] & kCmdDisableMouse) && mouse_.has_output()) {
      state_.output_buffer = mouse_.read();
      state_.output_from_aux = true;
      state_.output_full = true;
      break;
    }
    break;
  }
  update_irqs();
}

void I8042Controller::update_irqs(bool drive_unchanged) {
  const bool kbd = state_.output_full && !state_.output_from_aux && (state_.ram[0] & kCmdKeyboardInterrupt);
  const bool aux = state_.output_full && state_.output_from_aux && (state_.ram[0] & kCmdMouseInterrupt);
  if (kbd != state_.keyboard_irq || drive_unchanged) {
    state_.keyboard_irq = kbd;
    if (keyboard_irq_out_) keyboard_irq_out_(kbd);
  }
  if (aux != state_.mouse_irq || drive_unchanged) {
    state_.mouse_irq = aux;
    if (mouse_irq_out_) mouse_irq_out_(aux);
  }
}

void I8042Controller::key_down(Ps2Key key) {
  keyboard_.key_down(key);
  service();
}

void I8042Controller::key_up(Ps2Key key) {
  keyboard_.key_up(key);
  service();
}

void I8042Controller::mouse_motion(int dx, int dy, int dz, u8 buttons) {
  mouse_.motion(dx, dy, dz, buttons);
  service();
}

void I8042Controller::serialize(StateVisitor& v) {
  v.field("ram", state_.ram);
  v.field("system_flag", state_.system_flag);
  v.field("last_write_was_command", state_.last_write_was_command);
  v.field("output_port", state_.output_port);
  v.field("output_buffer", state_.output_buffer);
  v.field("output_full", state_.output_full);
  v.field("output_from_aux", state_.output_from_aux);
  v.field("reply_pending", state_.reply_pending);
  v.field("reply", state_.reply);
  v.field("reply_from_aux", state_.reply_from_aux);
  v.field("pending_command", state_.pending_command);
  v.field("translate_break", state_.translate_break);
  v.field("keyboard_irq", state_.keyboard_irq);
  v.field("mouse_irq", state_.mouse_irq);
  keyboard_.serialize(v);
  mouse_.serialize(v);
  if (!v.loading()) return;
  const u8 p = state_.pending_command;
  if (p != 0 && !(p >= kWriteRamFirst && p <= kWriteRamLast) && !(p >= kWriteOutputPort && p <= kWriteAux))
    v.reject("i8042: pending command is not one that takes data");
  if (state_.ram[0] & 0x80) v.reject("i8042: command byte has reserved bit 7");
  if (!v.ok()) {
    reset();
    return;
  }
  // The IRQ lines are outputs: drive both from the loaded state.
  update_irqs(true);
}

std::string I8042Controller::describe() const {
  char text[200];
  std::snprintf(text, sizeof text,
                "i8042: status=%02x command=%02x output_port=%02x obuf=%02x%s%s%s irq1=%d irq12=%d\n", status(),
                state_.ram[0], output_port(), state_.output_buffer,
                state_.output_full ? (state_.output_from_aux ? " (full, aux)" : " (full, kbd)") : " (empty)",
                state_.reply_pending ? " reply-pending" : "", state_.pending_command ? " awaiting-data" : "",
                state_.keyboard_irq ? 1 : 0, state_.mouse_irq ? 1 : 0);
  return text + keyboard_.describe() + mouse_.describe();
}

}  // namespace emu
