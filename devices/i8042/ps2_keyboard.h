// A PS/2 (IBM MF2) keyboard on the 8042's keyboard port.
//
// References: IBM Personal System/2 Keyboard and Auxiliary Device Technical Reference
// ("Keyboard commands", "Scan code sets"), Adam Chapweske's "The PS/2 Keyboard Interface",
// Linux drivers/input/keyboard/atkbd.c (what a driver sends). Compare QEMU hw/input/ps2.c.
//
// The keyboard speaks scan code set 2 (set 1 on request, F0 01). Host input arrives as set-2
// make codes (`Ps2Key`); the keyboard produces the make/break sequences, including the two
// keys with irregular sequences (Pause and Print Screen) and their modifier-dependent forms.
// Replies and scan codes go into one output queue the controller drains byte by byte.
#pragma once
#include <string>

#include "devices/i8042/ps2_queue.h"

namespace emu {

class StateVisitor;

// A key as a set-2 make code: the code's last byte and whether an E0 prefix precedes it.
// Pause, the one key whose make sequence starts with E1, is named by the code 0xE1 (`kPs2Pause`).
// Print Screen is {0x7C, true}: its E0 12 "fake shift" prefix is the keyboard's business.
struct Ps2Key {
  u8 code = 0;
  bool extended = false;
  bool operator==(const Ps2Key&) const = default;
};
inline constexpr Ps2Key kPs2Pause{0xE1, false};
inline constexpr Ps2Key kPs2PrintScreen{0x7C, true};

struct Ps2KeyboardState {
  Ps2Queue out;            // bytes not yet taken by the controller
  u8 pending_command = 0;  // ED, F0, F3 (awaiting their argument) or FB-FD (key list); 0 = none
  u8 last_sent = 0;        // the last byte the controller took, for Resend (FE)
  bool scanning = true;    // F4 Enable / F5 Disable
  u8 scan_code_set = 2;    // 1 or 2 (F0)
  u8 leds = 0;             // ED: bit 0 Scroll Lock, 1 Num Lock, 2 Caps Lock
  u8 typematic = 0x2B;     // F3: bits 0-4 rate, 5-6 delay; default 10.9 cps, 500 ms
  bool overrun = false;    // an overrun code is queued; key codes wait until the queue drains
  u8 modifiers = 0;        // keys held: kLeftShift... (for Pause/Print Screen's forms)
};

class Ps2Keyboard {
 public:
  // Modifier bits in Ps2KeyboardState::modifiers.
  static constexpr u8 kLeftShift = 0x01, kRightShift = 0x02, kLeftCtrl = 0x04, kRightCtrl = 0x08, kLeftAlt = 0x10,
                      kRightAlt = 0x20;
  // Scan codes may fill the queue up to this many bytes; the rest is kept for command replies
  // (the longest is F2's three bytes) and the overrun code.
  static constexpr unsigned kScanCodeLimit = Ps2Queue::kCapacity - 4;

  Ps2Keyboard() { reset(); }

  // Power-on state (the keyboard's BAT has passed; nothing is queued).
  void reset();

  // A byte from the host (through the controller).
  void write(u8 byte);
  bool has_output() const { return !state_.out.empty(); }
  // The controller takes the oldest byte; the keyboard must have output.
  u8 read();

  // Host input. Keys are dropped while scanning is disabled (F5), as the real keyboard does.
  void key_down(Ps2Key key);
  void key_up(Ps2Key key);

  void serialize(StateVisitor& v);
  std::string describe() const;
  const Ps2KeyboardState& state() const { return state_; }

 private:
  void set_defaults();  // F6: typematic, scan code set; scanning state kept
  void reply(u8 byte);
  void command(u8 byte);
  void argument(u8 byte);
  void track_modifiers(Ps2Key key, bool down);
  // Queues a set-2 sequence in the current scan code set, or the overrun code if it cannot fit.
  void send_scan_codes(const u8* set2, unsigned length);

  Ps2KeyboardState state_;
};

// The 8042's set-2 to set-1 translation (IBM PS/2 Hardware Interface Technical Reference,
// "Scan code translation"): the controller's ROM table. Bytes 80h-FFh pass unchanged except 83h
// (F7) and 84h (SysRq); F0 is a prefix the caller handles (it ORs 80h into the next byte).
u8 translate_set2_to_set1(u8 byte);

}  // namespace emu
