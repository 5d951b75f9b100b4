#include "devices/i8042/ps2_keyboard.h"

#include <array>
#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

// Keyboard commands (IBM PS/2 keyboard technical reference, "Commands from the system").
constexpr u8 kSetLeds = 0xED, kEcho = 0xEE, kScanCodeSet = 0xF0, kIdentify = 0xF2, kTypematic = 0xF3, kEnable = 0xF4,
             kDisable = 0xF5, kSetDefaults = 0xF6, kSetAllTypematic = 0xF7, kSetAllMakeBreak = 0xF8, kSetAllMake = 0xF9,
             kSetAllTypematicMakeBreak = 0xFA, kSetKeyTypematic = 0xFB, kSetKeyMakeBreak = 0xFC, kSetKeyMake = 0xFD,
             kResend = 0xFE, kReset = 0xFF;
// Keyboard replies.
constexpr u8 kAck = 0xFA, kBatPassed = 0xAA, kEchoReply = 0xEE, kResendReply = 0xFE;
// MF2 keyboard ID (F2): AB 83. Through the controller's translation it reads AB 41.
constexpr u8 kId1 = 0xAB, kId2 = 0x83;
// The buffer-overrun code (set 2; set 1's is FF).
constexpr u8 kOverrunSet2 = 0x00, kOverrunSet1 = 0xFF;
constexpr u8 kBreakPrefix = 0xF0, kExtendedPrefix = 0xE0;

// The 8042 controller ROM's set 2 -> set 1 table for 00h-7Fh (the same table QEMU, Bochs and
// every AT-compatible controller carry). 80h-FFh map to themselves except 83h and 84h.
constexpr std::array<u8, 128> kSet2ToSet1 = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,  // 00
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,  // 10
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,  // 20
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,  // 30
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,  // 40
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,  // 50
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,  // 60
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,  // 70
};

// Set-2 codes of the modifier keys whose state changes the Pause and Print Screen sequences.
constexpr u8 kShiftLeftCode = 0x12, kShiftRightCode = 0x59, kCtrlCode = 0x14, kAltCode = 0x11;
// SysRq: Print Screen pressed with Alt held sends 84 (set 2) instead.
constexpr u8 kSysRqCode = 0x84;
// Ctrl+Pause is Break: E0 7E.
constexpr u8 kBreakCode = 0x7E;

}  // namespace

u8 translate_set2_to_set1(u8 byte) {
  if (byte < 0x80) return kSet2ToSet1[byte];
  if (byte == 0x83) return 0x41;  // F7 sits outside the 00-7F block in set 2
  if (byte == 0x84) return 0x54;  // SysRq
  return byte;
}

void Ps2Keyboard::reset() { state_ = Ps2KeyboardState{}; }

void Ps2Keyboard::set_defaults() {
  state_.typematic = 0x2B;
  state_.scan_code_set = 2;
  state_.pending_command = 0;
}

u8 Ps2Keyboard::read() {
  state_.last_sent = state_.out.pop();
  if (state_.out.empty()) state_.overrun = false;
  return state_.last_sent;
}

void Ps2Keyboard::reply(u8 byte) {
  // Replies use the headroom above kScanCodeLimit; only a guest that keeps sending commands
  // without reading the answers can fill it.
  if (!state_.out.push(byte)) GuestLog::instance().log("i8042", "keyboard: reply %02x lost, output queue full", byte);
}

void Ps2Keyboard::write(u8 byte) {
  // A byte that is a command (EDh-FFh) while an argument is expected is executed as that command
  // (IBM keyboard reference: "if a command is received in place of an option byte, the keyboard
  // discontinues the previous command and processes the new one").
  if (state_.pending_command != 0 && byte < kSetLeds) {
    argument(byte);
    return;
  }
  state_.pending_command = 0;
  command(byte);
}

void Ps2Keyboard::argument(u8 byte) {
  switch (state_.pending_command) {
    case kSetLeds:
      if (byte & ~0x07) GuestLog::instance().log("i8042", "keyboard: LED byte %02x has reserved bits", byte);
      state_.leds = byte & 0x07;
      state_.pending_command = 0;
      reply(kAck);
      return;
    case kTypematic:
      if (byte & 0x80) GuestLog::instance().log("i8042", "keyboard: typematic byte %02x has bit 7 set", byte);
      state_.typematic = byte & 0x7F;
      state_.pending_command = 0;
      reply(kAck);
      return;
    case kScanCodeSet:
      if (byte == 0) {
        // Report the current set. The controller translates this byte like any other when its
        // XLATE bit is on (set 2 then reads as 41h), which drivers expect.
        state_.pending_command = 0;
        reply(kAck);
        reply(state_.scan_code_set);
      } else if (byte == 1 || byte == 2) {
        state_.scan_code_set = byte;
        state_.pending_command = 0;
        reply(kAck);
      } else {
        // Set 3 is not implemented; anything else is not a set. Ask for the byte again, as the
        // keyboard does for an invalid option; a driver then falls back to set 2.
        GuestLog::instance().log("i8042", "keyboard: scan code set %u not supported", byte);
        reply(kResendReply);
      }
      return;
    default:
      // FB-FD: a list of set-3 make codes, each acknowledged, ended by the next command.
      reply(kAck);
      return;
  }
}

void Ps2Keyboard::command(u8 byte) {
  switch (byte) {
    case kSetLeds:
    case kTypematic:
    case kScanCodeSet:
      state_.pending_command = byte;
      reply(kAck);
      return;
    case kEcho: reply(kEchoReply); return;
    case kIdentify:
      reply(kAck);
      reply(kId1);
      reply(kId2);
      return;
    case kEnable:
      // Enable: the keyboard clears its output buffer and starts scanning.
      state_.out.clear();
      state_.overrun = false;
      state_.scanning = true;
      reply(kAck);
      return;
    case kDisable:
      // Default Disable: defaults, clear the buffer, stop scanning.
      set_defaults();
      state_.out.clear();
      state_.overrun = false;
      state_.scanning = false;
      reply(kAck);
      return;
    case kSetDefaults:
      set_defaults();
      state_.out.clear();
      state_.overrun = false;
      reply(kAck);
      return;
    case kSetAllTypematic:
    case kSetAllMakeBreak:
    case kSetAllMake:
    case kSetAllTypematicMakeBreak:
      // Key-type commands change how keys report in set 3 only; in sets 1 and 2 every key is
      // typematic make/break, so the keyboard acknowledges and nothing changes.
      reply(kAck);
      return;
    case kSetKeyTypematic:
    case kSetKeyMakeBreak:
    case kSetKeyMake:
      state_.pending_command = byte;
      reply(kAck);
      return;
    case kResend: reply(state_.last_sent); return;
    case kReset: {
      // Reset: ACK, then the basic assurance test's result. Keys held stay held.
      const u8 modifiers = state_.modifiers;
      state_ = Ps2KeyboardState{};
      state_.modifiers = modifiers;
      reply(kAck);
      reply(kBatPassed);
      return;
    }
    default:
      GuestLog::instance().log("i8042", "keyboard: unknown command %02x", byte);
      reply(kResendReply);
      return;
  }
}

void Ps2Keyboard::track_modifiers(Ps2Key key, bool down) {
  u8 bit = 0;
  if (!key.extended && key.code == kShiftLeftCode) bit = kLeftShift;
  if (!key.extended && key.code == kShiftRightCode) bit = kRightShift;
  if (key.code == kCtrlCode) bit = key.extended ? kRightCtrl : kLeftCtrl;
  if (key.code == kAltCode) bit = key.extended ? kRightAlt : kLeftAlt;
  if (down)
    state_.modifiers |= bit;
  else
    state_.modifiers &= static_cast<u8>(~bit);
}

void Ps2Keyboard::send_scan_codes(const u8* set2, unsigned length) {
  if (!state_.scanning) return;
  if (state_.overrun || state_.out.count + length > kScanCodeLimit) {
    // The buffer is full: the keyboard puts one overrun code in place of the keys that do not
    // fit, then drops keys until the host has read the buffer.
    if (!state_.overrun) {
      state_.out.push(state_.scan_code_set == 1 ? kOverrunSet1 : kOverrunSet2);
      state_.overrun = true;
    }
    return;
  }
  if (state_.scan_code_set == 2) {
    for (unsigned k = 0; k < length; ++k) state_.out.push(set2[k]);
    return;
  }
  // Set 1 is set 2 through the controller's table, break codes with bit 7 instead of F0.
  bool release = false;
  for (unsigned k = 0; k < length; ++k) {
    if (set2[k] == kBreakPrefix) {
      release = true;
      continue;
    }
    state_.out.push(static_cast<u8>(translate_set2_to_set1(set2[k]) | (release ? 0x80 : 0)));
    release = false;
  }
}

void Ps2Keyboard::key_down(Ps2Key key) {
  const u8 mods = state_.modifiers;
  if (key == kPs2Pause) {
    // Pause sends make only; with Ctrl held the key is Break (E0 7E, make and break at once).
    if (mods & (kLeftCtrl | kRightCtrl)) {
      static constexpr u8 kCtrlBreak[] = {kExtendedPrefix, kBreakCode, kExtendedPrefix, kBreakPrefix, kBreakCode};
      send_scan_codes(kCtrlBreak, sizeof kCtrlBreak);
    } else {
      static constexpr u8 kPause[] = {0xE1, 0x14, 0x77, 0xE1, kBreakPrefix, 0x14, kBreakPrefix, 0x77};
      send_scan_codes(kPause, sizeof kPause);
    }
    return;
  }
  if (key == kPs2PrintScreen) {
    if (mods & (kLeftAlt | kRightAlt)) {
      const u8 sysrq[] = {kSysRqCode};
      send_scan_codes(sysrq, 1);
    } else if (mods & (kLeftShift | kRightShift | kLeftCtrl | kRightCtrl)) {
      const u8 alone[] = {kExtendedPrefix, 0x7C};
      send_scan_codes(alone, 2);
    } else {
      const u8 full[] = {kExtendedPrefix, kShiftLeftCode, kExtendedPrefix, 0x7C};
      send_scan_codes(full, 4);
    }
    return;
  }
  track_modifiers(key, true);
  const u8 seq[] = {kExtendedPrefix, key.code};
  send_scan_codes(key.extended ? seq : seq + 1, key.extended ? 2 : 1);
}

void Ps2Keyboard::key_up(Ps2Key key) {
  const u8 mods = state_.modifiers;
  if (key == kPs2Pause) return;  // no break code
  if (key == kPs2PrintScreen) {
    if (mods & (kLeftAlt | kRightAlt)) {
      const u8 sysrq[] = {kBreakPrefix, kSysRqCode};
      send_scan_codes(sysrq, 2);
    } else if (mods & (kLeftShift | kRightShift | kLeftCtrl | kRightCtrl)) {
      const u8 alone[] = {kExtendedPrefix, kBreakPrefix, 0x7C};
      send_scan_codes(alone, 3);
    } else {
      const u8 full[] = {kExtendedPrefix, kBreakPrefix, 0x7C, kExtendedPrefix, kBreakPrefix, kShiftLeftCode};
      send_scan_codes(full, 6);
    }
    return;
  }
  track_modifiers(key, false);
  const u8 seq[] = {kExtendedPrefix, kBreakPrefix, key.code};
  send_scan_codes(key.extended ? seq : seq + 1, key.extended ? 3 : 2);
}

void Ps2Keyboard::serialize(StateVisitor& v) {
  v.field("kbd_queue", state_.out.bytes);
  v.field("kbd_queue_head", state_.out.head);
  v.field("kbd_queue_count", state_.out.count);
  v.field("kbd_pending_command", state_.pending_command);
  v.field("kbd_last_sent", state_.last_sent);
  v.field("kbd_scanning", state_.scanning);
  v.field("kbd_scan_code_set", state_.scan_code_set);
  v.field("kbd_leds", state_.leds);
  v.field("kbd_typematic", state_.typematic);
  v.field("kbd_overrun", state_.overrun);
  v.field("kbd_modifiers", state_.modifiers);
  if (!v.loading()) return;
  const u8 p = state_.pending_command;
  if (!state_.out.valid()) v.reject("i8042: keyboard queue position out of range");
  if (p != 0 && p != kSetLeds && p != kTypematic && p != kScanCodeSet && (p < kSetKeyTypematic || p > kSetKeyMake))
    v.reject("i8042: keyboard pending command is not one that takes arguments");
  if (state_.scan_code_set != 1 && state_.scan_code_set != 2) v.reject("i8042: keyboard scan code set not 1 or 2");
  if ((state_.leds & ~0x07) || (state_.typematic & 0x80) || (state_.modifiers & 0xC0))
    v.reject("i8042: keyboard LED/typematic/modifier state has impossible bits");
}

std::string Ps2Keyboard::describe() const {
  char text[160];
  std::snprintf(text, sizeof text, "keyboard: set %u, scanning %s, leds=%x, typematic=%02x, queued=%u%s%s\n",
                state_.scan_code_set, state_.scanning ? "on" : "off", state_.leds, state_.typematic, state_.out.count,
                state_.overrun ? " (overrun)" : "", state_.pending_command ? ", awaiting argument" : "");
  return text;
}

}  // namespace emu
