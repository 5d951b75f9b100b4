// The PC keyboard controller (Intel 8042 / 8742 running the IBM PC/AT and PS/2 firmware, as
// built into the PIIX3-era Super I/O chips) with a PS/2 keyboard on its first port and a PS/2
// mouse on its auxiliary port.
//
// References: IBM Personal System/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary
// Device Controller" (status register, command byte, controller commands, output port); IBM PC
// AT Technical Reference, "Keyboard Controller"; Linux drivers/input/serio/i8042.c (what a
// driver checks: the command-byte round trip, AA -> 55, the D3 AUX loopback test, A9).
// Compare QEMU hw/input/pckbd.c.
//
// Data flow: each PS/2 device queues its bytes; whenever the controller's one-byte output
// buffer is empty it takes the next byte — a pending controller reply first, then the
// keyboard, then the mouse — translating keyboard bytes to set 1 when the command byte's XLATE
// bit is set. OBF raises IRQ 1 (keyboard byte, command byte INT bit) or IRQ 12 (mouse byte,
// INT2 bit); the level drops when the guest reads port 60h and rises again for the next byte,
// so an edge-triggered PIC sees one edge per byte.
#pragma once
#include <array>
#include <functional>
#include <string>

#include "devices/byte_port_device.h"
#include "devices/i8042/ps2_keyboard.h"
#include "devices/i8042/ps2_mouse.h"

namespace emu {

class StateVisitor;

struct I8042State {
  // Controller RAM, 32 bytes addressable by commands 20h-3Fh (read) and 60h-7Fh (write);
  // byte 0 is the command byte.
  std::array<u8, 32> ram{};
  bool system_flag = false;            // status SYS: 0 after power-on, set by the self test (AA)
  bool last_write_was_command = true;  // status A2: the last write went to port 64h
  u8 output_port = 0xCF;               // P2 as last written (D1); bits 4-5 are driven by OBF lines
  u8 output_buffer = 0;                // port 60h
  bool output_full = false;            // status OBF
  bool output_from_aux = false;        // status AUXB/MOBF: the byte came from the mouse
  bool reply_pending = false;          // a controller reply (or D2/D3 byte) waiting for the buffer
  u8 reply = 0;
  bool reply_from_aux = false;
  u8 pending_command = 0;        // a command (60h-7Fh, D1-D4) waiting for its data byte at 60h
  bool translate_break = false;  // XLATE: an F0 came from the keyboard; OR 80h into the next byte
  bool keyboard_irq = false;     // IRQ 1 level
  bool mouse_irq = false;        // IRQ 12 level
};

class I8042Controller final : public BytePortDevice {
 public:
  static constexpr u16 kDataPort = 0x60, kStatusCommandPort = 0x64;
  static constexpr unsigned kKeyboardIrq = 1, kMouseIrq = 12;

  // Status register bits (port 64h read).
  static constexpr u8 kStatusOutputFull = 0x01;    // OBF
  static constexpr u8 kStatusInputFull = 0x02;     // IBF (always 0: input is processed at once)
  static constexpr u8 kStatusSystem = 0x04;        // SYS
  static constexpr u8 kStatusCommand = 0x08;       // A2: last write was to 64h
  static constexpr u8 kStatusNotInhibited = 0x10;  // INH: keylock switch open (keyboard enabled)
  static constexpr u8 kStatusAuxData = 0x20;       // AUXB / MOBF
  static constexpr u8 kStatusTimeout = 0x40;       // TO
  static constexpr u8 kStatusParityError = 0x80;   // PERR
  // Command byte bits.
  static constexpr u8 kCmdKeyboardInterrupt = 0x01, kCmdMouseInterrupt = 0x02, kCmdSystemFlag = 0x04,
                      kCmdIgnoreKeylock = 0x08, kCmdDisableKeyboard = 0x10, kCmdDisableMouse = 0x20,
                      kCmdTranslate = 0x40;
  // Output port bits.
  static constexpr u8 kOutResetLine = 0x01, kOutA20 = 0x02, kOutKeyboardFull = 0x10, kOutMouseFull = 0x20;

  I8042Controller();

  // IRQ 1 and IRQ 12 levels.
  void set_keyboard_irq(std::function<void(bool level)> irq) { keyboard_irq_out_ = std::move(irq); }
  void set_mouse_irq(std::function<void(bool level)> irq) { mouse_irq_out_ = std::move(irq); }
  // The A20 line (output port bit 1), told on every output-port write (D1).
  void set_a20_callback(std::function<void(bool enabled)> a20) { a20_out_ = std::move(a20); }
  // The CPU reset line pulsed (output port bit 0 low: command FEh, or D1 with bit 0 clear). The
  // callback must only request the reset; the machine performs it after the I/O instruction.
  void set_reset_callback(std::function<void()> reset) { reset_out_ = std::move(reset); }

  // Host input.
  void key_down(Ps2Key key);
  void key_up(Ps2Key key);
  // dx right, dy down the screen, dz positive = wheel towards the user; buttons: Ps2Mouse::k*Button.
  void mouse_motion(int dx, int dy, int dz, u8 buttons);

  // Power-on state of the controller and both devices.
  void reset();

  void serialize(StateVisitor& v);
  std::string describe() const;
  const I8042State& state() const { return state_; }
  const Ps2Keyboard& keyboard() const { return keyboard_; }
  const Ps2Mouse& mouse() const { return mouse_; }
  u8 command_byte() const { return state_.ram[0]; }
  u8 status() const;

 protected:
  bool decodes(u16 port) const override { return port == kDataPort || port == kStatusCommandPort; }
  u8 read_byte(u16 port) override;
  void write_byte(u16 port, u8 value) override;

 private:
  void write_command(u8 command);
  void write_data(u8 value);
  void queue_reply(u8 byte, bool from_aux);
  void write_command_byte(u8 value);
  void write_output_port(u8 value);
  u8 output_port() const;
  // Moves the next byte into the output buffer if it is empty, then updates the IRQ lines.
  void service();
  // Drives IRQ 1/12 from OBF and the command byte; only changes unless `drive_unchanged`.
  void update_irqs(bool drive_unchanged = false);

  I8042State state_;
  Ps2Keyboard keyboard_;
  Ps2Mouse mouse_;
  std::function<void(bool)> keyboard_irq_out_, mouse_irq_out_, a20_out_;
  std::function<void()> reset_out_;
};

}  // namespace emu
