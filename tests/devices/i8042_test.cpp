// The 8042 keyboard controller with its PS/2 keyboard and mouse, against the IBM PS/2
// technical reference and what Linux's i8042/atkbd/psmouse drivers expect.
#include "devices/i8042/i8042.h"

#include <doctest/doctest.h>

#include <vector>

#include "core/serializer.h"

using namespace emu;

namespace {

struct Bench {
  I8042Controller kbc;
  bool irq1 = false, irq12 = false;
  unsigned irq1_edges = 0;
  std::vector<bool> a20;
  unsigned resets = 0;
  Bench() {
    kbc.set_keyboard_irq([this](bool level) {
      if (level && !irq1) ++irq1_edges;
      irq1 = level;
    });
    kbc.set_mouse_irq([this](bool level) { irq12 = level; });
    kbc.set_a20_callback([this](bool on) { a20.push_back(on); });
    kbc.set_reset_callback([this] { ++resets; });
  }
  u8 status() { return static_cast<u8>(kbc.port_read(0x64, 1)); }
  void command(u8 c) { kbc.port_write(0x64, 1, c); }
  void data(u8 d) { kbc.port_write(0x60, 1, d); }
  u8 read() { return static_cast<u8>(kbc.port_read(0x60, 1)); }
  // Everything waiting, as a driver's flush loop reads it.
  std::vector<u8> drain() {
    std::vector<u8> bytes;
    for (int guard = 0; guard < 64 && (status() & 0x01); ++guard) bytes.push_back(read());
    return bytes;
  }
  void set_command_byte(u8 value) {
    command(0x60);
    data(value);
  }
};

using Bytes = std::vector<u8>;

}  // namespace

TEST_CASE("i8042: controller self test, interface tests and the status register") {
  Bench b;
  CHECK((b.status() & 0x04) == 0);  // SYS clear after power-on
  b.command(0xAA);
  CHECK((b.status() & 0x01) == 0x01);  // OBF
  CHECK((b.status() & 0x08) == 0x08);  // A2: last write was a command
  CHECK(b.read() == 0x55);
  CHECK((b.status() & 0x04) == 0x04);  // SYS set by the self test
  CHECK((b.status() & 0x01) == 0);
  b.command(0xAB);
  CHECK(b.read() == 0x00);
  b.command(0xA9);
  CHECK(b.read() == 0x00);
  b.command(0xA4);
  CHECK(b.read() == 0xF1);             // no password installed
  CHECK((b.status() & 0x10) == 0x10);  // keyboard not inhibited
  b.data(0xEE);                        // echo through the keyboard
  CHECK((b.status() & 0x08) == 0);     // A2 clear: last write went to 60h
  CHECK(b.read() == 0xEE);
}

TEST_CASE("i8042: command byte read/write, disable bits, AUX enable/disable") {
  Bench b;
  b.set_command_byte(0x47);
  b.command(0x20);
  CHECK(b.read() == 0x47);
  CHECK((b.status() & 0x04) == 0x04);  // SYS follows the command byte's bit 2
  b.command(0xA7);                     // disable AUX: bit 5
  b.command(0x20);
  CHECK(b.read() == 0x67);
  b.command(0xA8);
  b.command(0xAD);  // disable keyboard: bit 4
  b.command(0x20);
  CHECK(b.read() == 0x57);
  b.command(0xAE);
  b.command(0x20);
  CHECK(b.read() == 0x47);
  // Controller RAM beyond the command byte.
  b.command(0x65);
  b.data(0x5A);
  b.command(0x25);
  CHECK(b.read() == 0x5A);
  // A disabled keyboard's bytes stay in the keyboard until it is enabled again.
  b.set_command_byte(0x11);
  b.kbc.key_down({0x1C, false});  // A
  CHECK((b.status() & 0x01) == 0);
  b.command(0xAE);
  CHECK(b.drain() == Bytes{0x1C});
}

TEST_CASE("i8042: set 2 to set 1 translation of make and break codes") {
  Bench b;
  b.set_command_byte(0x41);       // XLATE, keyboard interrupt
  b.kbc.key_down({0x1C, false});  // A: set 2 1C -> set 1 1E
  b.kbc.key_up({0x1C, false});    // F0 1C -> 9E
  CHECK(b.drain() == Bytes{0x1E, 0x9E});
  b.kbc.key_down({0x5A, false});  // Enter: 5A -> 1C
  b.kbc.key_up({0x5A, false});
  CHECK(b.drain() == Bytes{0x1C, 0x9C});
  b.kbc.key_down({0x75, true});  // Up arrow: E0 75 -> E0 48
  b.kbc.key_up({0x75, true});    // E0 F0 75 -> E0 C8
  CHECK(b.drain() == Bytes{0xE0, 0x48, 0xE0, 0xC8});
  b.kbc.key_down({0x83, false});  // F7: 83 -> 41
  CHECK(b.drain() == Bytes{0x41});
  b.kbc.key_down(kPs2Pause);  // E1 14 77 E1 F0 14 F0 77 -> E1 1D 45 E1 9D C5
  CHECK(b.drain() == Bytes{0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5});
  b.kbc.key_up(kPs2Pause);  // no break code
  CHECK(b.drain().empty());
  b.kbc.key_down(kPs2PrintScreen);  // E0 12 E0 7C -> E0 2A E0 37
  b.kbc.key_up(kPs2PrintScreen);    // E0 F0 7C E0 F0 12 -> E0 B7 E0 AA
  CHECK(b.drain() == Bytes{0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA});
  // Ctrl+Pause is Break.
  b.kbc.key_down({0x14, false});
  b.kbc.key_down(kPs2Pause);
  CHECK(b.drain() == Bytes{0x1D, 0xE0, 0x46, 0xE0, 0xC6});

  // Without XLATE the guest sees set 2.
  Bench raw;
  raw.set_command_byte(0x01);
  raw.kbc.key_down({0x75, true});
  raw.kbc.key_up({0x75, true});
  CHECK(raw.drain() == Bytes{0xE0, 0x75, 0xE0, 0xF0, 0x75});
}

TEST_CASE("i8042: keyboard reset, identify, scan code set, LEDs, unknown command") {
  Bench b;
  b.set_command_byte(0x01);  // no translation
  b.data(0xFF);
  CHECK(b.drain() == Bytes{0xFA, 0xAA});
  b.data(0xF2);
  CHECK(b.drain() == Bytes{0xFA, 0xAB, 0x83});
  b.data(0xF0);
  b.data(0x00);
  CHECK(b.drain() == Bytes{0xFA, 0xFA, 0x02});
  b.data(0xED);
  b.data(0x07);
  CHECK(b.drain() == Bytes{0xFA, 0xFA});
  CHECK(b.kbc.keyboard().state().leds == 7);
  b.data(0xF5);  // disable scanning: keys are dropped
  b.kbc.key_down({0x1C, false});
  CHECK(b.drain() == Bytes{0xFA});
  b.data(0xF4);
  b.kbc.key_down({0x1C, false});
  CHECK(b.drain() == Bytes{0xFA, 0x1C});
  b.data(0x42);  // not a keyboard command
  CHECK(b.drain() == Bytes{0xFE});
  b.data(0xFE);  // resend: the last byte sent
  CHECK(b.drain() == Bytes{0xFE});

  // Through translation the identify reply reads AB 41 and set 2 reads 41 (atkbd knows both).
  b.set_command_byte(0x41);
  b.data(0xF2);
  CHECK(b.drain() == Bytes{0xFA, 0xAB, 0x41});
  b.data(0xF0);
  b.data(0x00);
  CHECK(b.drain() == Bytes{0xFA, 0xFA, 0x41});

  // Scan code set 1 produced by the keyboard itself.
  b.set_command_byte(0x01);
  b.data(0xF0);
  b.data(0x01);
  CHECK(b.drain() == Bytes{0xFA, 0xFA});
  b.kbc.key_down({0x75, true});
  b.kbc.key_up({0x75, true});
  CHECK(b.drain() == Bytes{0xE0, 0x48, 0xE0, 0xC8});
  b.data(0xF0);
  b.data(0x03);  // set 3 is not implemented: resend
  CHECK(b.drain() == Bytes{0xFA, 0xFE});
  b.data(0xF4);  // a command in place of the argument is executed
  CHECK(b.drain() == Bytes{0xFA});
}

TEST_CASE("i8042: keyboard overrun puts one overrun code in the buffer") {
  Bench b;
  b.set_command_byte(0x10);  // keyboard interface disabled: nothing leaves the keyboard
  for (int k = 0; k < 20; ++k) b.kbc.key_down({0x1C, false});
  CHECK(b.kbc.keyboard().state().out.count == Ps2Keyboard::kScanCodeLimit + 1);
  b.set_command_byte(0x00);
  const Bytes got = b.drain();
  REQUIRE(got.size() == Ps2Keyboard::kScanCodeLimit + 1);
  CHECK(got.back() == 0x00);
  b.kbc.key_down({0x1C, false});  // after the drain keys flow again
  CHECK(b.drain() == Bytes{0x1C});
}

TEST_CASE("i8042: A20 through the output port, reset through FE and D1") {
  Bench b;
  b.command(0xD0);
  CHECK((b.read() & 0x03) == 0x03);  // reset line inactive, A20 on after power-on
  b.command(0xD1);
  b.data(0xDD);  // A20 off (HIMEM's value)
  REQUIRE(b.a20.size() == 1);
  CHECK(b.a20.back() == false);
  b.command(0xD0);
  CHECK((b.read() & 0x02) == 0);
  b.command(0xD1);
  b.data(0xDF);  // A20 on (Linux's boot/a20.c value)
  CHECK(b.a20.back() == true);
  b.command(0xFF);  // pulse nothing: Linux sends it after D1
  CHECK(b.resets == 0);
  b.command(0xFE);  // pulse the reset line
  CHECK(b.resets == 1);
  b.command(0xD1);
  b.data(0xDE);  // reset line driven low
  CHECK(b.resets == 2);
}

TEST_CASE("i8042: D2/D3 write the output buffer; D3 is Linux's AUX loopback test") {
  Bench b;
  b.set_command_byte(0x03);
  b.command(0xD3);
  b.data(0x5A);
  CHECK((b.status() & 0x21) == 0x21);  // OBF and AUXB
  CHECK(b.irq12);
  CHECK(!b.irq1);
  CHECK(b.read() == 0x5A);
  CHECK(!b.irq12);
  b.command(0xD2);
  b.data(0xA5);
  CHECK((b.status() & 0x21) == 0x01);
  CHECK(b.irq1);
  CHECK(b.read() == 0xA5);
}

TEST_CASE("i8042: IRQ 1 and 12 follow OBF and the command byte's interrupt bits") {
  Bench b;
  b.set_command_byte(0x00);  // interrupts off
  b.kbc.key_down({0x1C, false});
  CHECK(!b.irq1);
  CHECK((b.status() & 0x01) == 1);
  b.set_command_byte(0x01);  // enabling INT with a byte waiting raises IRQ 1
  CHECK(b.irq1);
  b.read();
  CHECK(!b.irq1);
  // Two bytes: one edge each, as the guest reads.
  b.kbc.key_up({0x1C, false});  // F0 1C
  CHECK(b.irq1_edges == 2);
  b.read();
  CHECK(b.irq1);
  CHECK(b.irq1_edges == 3);
  b.read();
  CHECK(!b.irq1);
  // A mouse byte raises IRQ 12 only.
  b.set_command_byte(0x03);
  b.command(0xD4);
  b.data(0xF2);
  CHECK(b.irq12);
  CHECK(!b.irq1);
  CHECK(b.drain() == Bytes{0xFA, 0x00});
  CHECK(!b.irq12);
}

TEST_CASE("i8042: mouse reset, IntelliMouse ID after the 200/100/80 knock, status request") {
  Bench b;
  b.set_command_byte(0x03);
  auto mouse = [&](u8 byte) {
    b.command(0xD4);
    b.data(byte);
  };
  mouse(0xFF);
  CHECK(b.drain() == Bytes{0xFA, 0xAA, 0x00});
  mouse(0xF2);
  CHECK(b.drain() == Bytes{0xFA, 0x00});
  for (u8 rate : {200, 100, 80}) {
    mouse(0xF3);
    mouse(rate);
  }
  CHECK(b.drain() == Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA});
  mouse(0xF2);
  CHECK(b.drain() == Bytes{0xFA, 0x03});
  mouse(0xE8);
  mouse(0x03);
  mouse(0xE7);
  mouse(0xE9);
  CHECK(b.drain() == Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0x10, 0x03, 80});
  mouse(0xF3);
  mouse(33);  // not a sample rate
  CHECK(b.drain() == Bytes{0xFA, 0xFE});
  mouse(0x42);  // unknown command
  CHECK(b.drain() == Bytes{0xFE});
  mouse(0xEE);  // wrap mode echoes
  mouse(0x42);
  mouse(0xEC);
  CHECK(b.drain() == Bytes{0xFA, 0x42, 0xFA});
  mouse(0xFF);  // reset: a plain mouse again
  mouse(0xF2);
  CHECK(b.drain() == Bytes{0xFA, 0xAA, 0x00, 0xFA, 0x00});
}

TEST_CASE("i8042: mouse packets: signs, overflow clamp, wheel byte, remote read") {
  Bench b;
  b.set_command_byte(0x03);
  auto mouse = [&](u8 byte) {
    b.command(0xD4);
    b.data(byte);
  };
  mouse(0xF4);
  CHECK(b.drain() == Bytes{0xFA});
  // Left 5, up 3 on the screen (PS/2 +3), left button: flags 08|10(X sign)|01.
  b.kbc.mouse_motion(-5, -3, 0, Ps2Mouse::kLeftButton);
  CHECK(b.drain() == Bytes{0x19, 0xFB, 0x03});
  // Right 300, down 400: both counters overflow and report their limits.
  b.kbc.mouse_motion(300, 400, 0, 0);
  CHECK(b.drain() == Bytes{0xE8, 0xFF, 0x00});  // Y ovf, X ovf, Y sign, 1; dx 255, dy -256
  // Button change alone is a report.
  b.kbc.mouse_motion(0, 0, 0, Ps2Mouse::kRightButton | Ps2Mouse::kMiddleButton);
  CHECK(b.drain() == Bytes{0x0E, 0x00, 0x00});
  // IntelliMouse: 4-byte packets, wheel clamped to -8..7.
  for (u8 rate : {200, 100, 80}) {
    mouse(0xF3);
    mouse(rate);
  }
  b.drain();
  b.kbc.mouse_motion(1, 0, -20, 0);
  CHECK(b.drain() == Bytes{0x08, 0x01, 0x00, 0xF8});
  // Remote mode: nothing streams; EB reads the accumulated movement.
  mouse(0xF0);
  b.kbc.mouse_motion(2, 2, 0, 0);
  CHECK(b.drain() == Bytes{0xFA});
  mouse(0xEB);
  CHECK(b.drain() == Bytes{0xFA, 0x28, 0x02, 0xFE, 0x00});
}

TEST_CASE("i8042: serialize round trip and rejection") {
  Bench a;
  a.set_command_byte(0x43);
  a.command(0xD4);
  a.data(0xF4);
  a.kbc.key_down({0x1C, false});
  a.kbc.key_down({0x75, true});
  a.kbc.mouse_motion(3, 4, 0, 1);
  StateWriter w;
  w.section("i8042", 1, [&](StateVisitor& v) { a.kbc.serialize(v); });
  const std::vector<u8> saved = w.finish();

  Bench b;
  StateReader r(saved);
  r.section("i8042", 1, [&](StateVisitor& v, u32) { b.kbc.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.kbc.describe() == a.kbc.describe());
  CHECK(b.irq12 == a.irq12);
  CHECK(b.irq1 == a.irq1);
  CHECK(b.drain() == a.drain());

  Bench bad;
  StateWriter w2;
  w2.section("i8042", 1, [&](StateVisitor& v) {
    u8 count = 200;
    v.field("kbd_queue_count", count);
  });
  const std::vector<u8> corrupt = w2.finish();
  StateReader r2(corrupt);
  r2.section("i8042", 1, [&](StateVisitor& v, u32) { bad.kbc.serialize(v); });
  CHECK(!r2.ok());
  CHECK(bad.kbc.keyboard().state().out.count == 0);  // reset, not left with the bad count
}
