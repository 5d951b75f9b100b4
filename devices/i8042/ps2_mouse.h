// A PS/2 mouse on the 8042's auxiliary port, with the Microsoft IntelliMouse wheel extension.
//
// References: IBM PS/2 Keyboard and Auxiliary Device Technical Reference ("Auxiliary device
// commands", "Data report format"), Adam Chapweske's "The PS/2 Mouse Interface" (the
// IntelliMouse sample-rate handshake and 4-byte packet), Linux drivers/input/mouse/psmouse-base.c.
// Compare QEMU hw/input/ps2.c.
//
// Movement accumulates in 9-bit counters between reports, as in the mouse; a report is sent
// when the host moves the mouse (stream mode with reporting enabled) and room is left in the
// output queue, otherwise the counters keep accumulating until the controller drains it.
#pragma once
#include <array>
#include <initializer_list>
#include <string>

#include "devices/i8042/ps2_queue.h"

namespace emu {

class StateVisitor;

struct Ps2MouseState {
  Ps2Queue out;
  u8 pending_command = 0;      // F3 (sample rate) or E8 (resolution) awaiting its argument
  bool reporting = false;      // F4 Enable / F5 Disable data reporting
  bool remote = false;         // F0 remote mode (reports only on EB); EA back to stream
  bool wrap = false;           // EE wrap (echo) mode; EC ends it
  bool scaling_2to1 = false;   // E7 / E6
  u8 sample_rate = 100;        // F3, reports per second
  u8 resolution = 2;           // E8: 0-3 = 1, 2, 4, 8 counts/mm
  u8 device_id = 0;            // F2: 0 = standard PS/2 mouse, 3 = IntelliMouse (wheel)
  std::array<u8, 3> rates{};   // the last three sample rates set, oldest first (IntelliMouse knock)
  u8 buttons = 0;              // bit 0 left, bit 1 right, bit 2 middle
  i32 dx = 0, dy = 0, dz = 0;  // movement since the last report; dy positive = away from the user
  bool buttons_changed = false;
  std::array<u8, 4> last_reply{};  // the last reply or report, for Resend (FE)
  u8 last_reply_length = 0;
};

class Ps2Mouse {
 public:
  // Buttons in mouse_motion() and in Ps2MouseState::buttons (the packet's bit order).
  static constexpr u8 kLeftButton = 0x01, kRightButton = 0x02, kMiddleButton = 0x04;
  // Reports leave this much room in the queue for a command's reply (E9: FA + 3 bytes).
  static constexpr unsigned kReportLimit = Ps2Queue::kCapacity - 4;

  Ps2Mouse() { reset(); }
  void reset();

  void write(u8 byte);
  bool has_output() const { return !state_.out.empty(); }
  u8 read();

  // Host input: relative motion in screen terms (dx right, dy DOWN the screen, dz positive =
  // wheel turned towards the user, i.e. scrolling down) and the buttons now held.
  void motion(int dx, int dy, int dz, u8 buttons);

  // The report a driver would receive now (3 bytes, 4 with the wheel); used by EB and streaming.
  unsigned make_report(u8* packet, bool apply_scaling);

  void serialize(StateVisitor& v);
  std::string describe() const;
  const Ps2MouseState& state() const { return state_; }

 private:
  void set_defaults();
  void reset_counters();
  void command(u8 byte);
  void argument(u8 byte);
  void send(std::initializer_list<u8> bytes);
  void send(const u8* bytes, unsigned length);
  // Streams a report if one is due and fits.
  void stream_report();
  unsigned packet_length() const { return state_.device_id == 3 ? 4 : 3; }

  Ps2MouseState state_;
};

}  // namespace emu
