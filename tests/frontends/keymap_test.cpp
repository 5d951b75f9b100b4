// The SDL window's host-key table (frontends/sdl/keymap) through the guest's keyboard: each key goes
// into a Ps2Keyboard as its set-2 code and comes out translated to set 1 as the 8042 hands it to a
// PC guest; the bytes are checked against scan code set 1 as the IBM PC AT Technical Reference
// lists it (an independent table: set 2 and set 1 were written down separately). Also the keys with
// odd sequences (Print Screen, Pause) and keys a PC keyboard lacks.
#include "frontends/sdl/keymap.h"

#include <doctest/doctest.h>

#include <vector>

using namespace emu;

namespace {
using Bytes = std::vector<u8>;

// What the guest reads for one key event: the keyboard's set-2 bytes through the 8042's
// translation (F0 is not passed on; it sets bit 7 of the next byte).
Bytes set1_bytes(SDL_Scancode key, bool pressed) {
  const std::optional<Ps2Key> ps2 = ps2_key_for(key);
  if (!ps2) return {};
  Ps2Keyboard keyboard;
  if (pressed)
    keyboard.key_down(*ps2);
  else
    keyboard.key_up(*ps2);
  Bytes out;
  bool break_next = false;
  while (keyboard.has_output()) {
    const u8 byte = keyboard.read();
    if (byte == 0xF0) {
      break_next = true;
      continue;
    }
    out.push_back(static_cast<u8>(translate_set2_to_set1(byte) | (break_next ? 0x80 : 0)));
    break_next = false;
  }
  return out;
}

// Scan code set 1 make codes (E0-prefixed or not) of the single-code keys.
struct Set1Key {
  SDL_Scancode key;
  bool e0;
  u8 code;
};
constexpr Set1Key kSet1[] = {
    {SDL_SCANCODE_ESCAPE, false, 0x01},
    {SDL_SCANCODE_1, false, 0x02},
    {SDL_SCANCODE_2, false, 0x03},
    {SDL_SCANCODE_3, false, 0x04},
    {SDL_SCANCODE_4, false, 0x05},
    {SDL_SCANCODE_5, false, 0x06},
    {SDL_SCANCODE_6, false, 0x07},
    {SDL_SCANCODE_7, false, 0x08},
    {SDL_SCANCODE_8, false, 0x09},
    {SDL_SCANCODE_9, false, 0x0A},
    {SDL_SCANCODE_0, false, 0x0B},
    {SDL_SCANCODE_MINUS, false, 0x0C},
    {SDL_SCANCODE_EQUALS, false, 0x0D},
    {SDL_SCANCODE_BACKSPACE, false, 0x0E},
    {SDL_SCANCODE_TAB, false, 0x0F},
    {SDL_SCANCODE_Q, false, 0x10},
    {SDL_SCANCODE_W, false, 0x11},
    {SDL_SCANCODE_E, false, 0x12},
    {SDL_SCANCODE_R, false, 0x13},
    {SDL_SCANCODE_T, false, 0x14},
    {SDL_SCANCODE_Y, false, 0x15},
    {SDL_SCANCODE_U, false, 0x16},
    {SDL_SCANCODE_I, false, 0x17},
    {SDL_SCANCODE_O, false, 0x18},
    {SDL_SCANCODE_P, false, 0x19},
    {SDL_SCANCODE_LEFTBRACKET, false, 0x1A},
    {SDL_SCANCODE_RIGHTBRACKET, false, 0x1B},
    {SDL_SCANCODE_RETURN, false, 0x1C},
    {SDL_SCANCODE_LCTRL, false, 0x1D},
    {SDL_SCANCODE_A, false, 0x1E},
    {SDL_SCANCODE_S, false, 0x1F},
    {SDL_SCANCODE_D, false, 0x20},
    {SDL_SCANCODE_F, false, 0x21},
    {SDL_SCANCODE_G, false, 0x22},
    {SDL_SCANCODE_H, false, 0x23},
    {SDL_SCANCODE_J, false, 0x24},
    {SDL_SCANCODE_K, false, 0x25},
    {SDL_SCANCODE_L, false, 0x26},
    {SDL_SCANCODE_SEMICOLON, false, 0x27},
    {SDL_SCANCODE_APOSTROPHE, false, 0x28},
    {SDL_SCANCODE_GRAVE, false, 0x29},
    {SDL_SCANCODE_LSHIFT, false, 0x2A},
    {SDL_SCANCODE_BACKSLASH, false, 0x2B},
    {SDL_SCANCODE_NONUSHASH, false, 0x2B},
    {SDL_SCANCODE_Z, false, 0x2C},
    {SDL_SCANCODE_X, false, 0x2D},
    {SDL_SCANCODE_C, false, 0x2E},
    {SDL_SCANCODE_V, false, 0x2F},
    {SDL_SCANCODE_B, false, 0x30},
    {SDL_SCANCODE_N, false, 0x31},
    {SDL_SCANCODE_M, false, 0x32},
    {SDL_SCANCODE_COMMA, false, 0x33},
    {SDL_SCANCODE_PERIOD, false, 0x34},
    {SDL_SCANCODE_SLASH, false, 0x35},
    {SDL_SCANCODE_RSHIFT, false, 0x36},
    {SDL_SCANCODE_LALT, false, 0x38},
    {SDL_SCANCODE_SPACE, false, 0x39},
    {SDL_SCANCODE_CAPSLOCK, false, 0x3A},
    {SDL_SCANCODE_NONUSBACKSLASH, false, 0x56},
    {SDL_SCANCODE_F1, false, 0x3B},
    {SDL_SCANCODE_F2, false, 0x3C},
    {SDL_SCANCODE_F3, false, 0x3D},
    {SDL_SCANCODE_F4, false, 0x3E},
    {SDL_SCANCODE_F5, false, 0x3F},
    {SDL_SCANCODE_F6, false, 0x40},
    {SDL_SCANCODE_F7, false, 0x41},
    {SDL_SCANCODE_F8, false, 0x42},
    {SDL_SCANCODE_F9, false, 0x43},
    {SDL_SCANCODE_F10, false, 0x44},
    {SDL_SCANCODE_F11, false, 0x57},
    {SDL_SCANCODE_F12, false, 0x58},
    {SDL_SCANCODE_SCROLLLOCK, false, 0x46},
    {SDL_SCANCODE_NUMLOCKCLEAR, false, 0x45},
    {SDL_SCANCODE_KP_DIVIDE, true, 0x35},
    {SDL_SCANCODE_KP_MULTIPLY, false, 0x37},
    {SDL_SCANCODE_KP_MINUS, false, 0x4A},
    {SDL_SCANCODE_KP_PLUS, false, 0x4E},
    {SDL_SCANCODE_KP_ENTER, true, 0x1C},
    {SDL_SCANCODE_KP_7, false, 0x47},
    {SDL_SCANCODE_KP_8, false, 0x48},
    {SDL_SCANCODE_KP_9, false, 0x49},
    {SDL_SCANCODE_KP_4, false, 0x4B},
    {SDL_SCANCODE_KP_5, false, 0x4C},
    {SDL_SCANCODE_KP_6, false, 0x4D},
    {SDL_SCANCODE_KP_1, false, 0x4F},
    {SDL_SCANCODE_KP_2, false, 0x50},
    {SDL_SCANCODE_KP_3, false, 0x51},
    {SDL_SCANCODE_KP_0, false, 0x52},
    {SDL_SCANCODE_KP_PERIOD, false, 0x53},
    {SDL_SCANCODE_RCTRL, true, 0x1D},
    {SDL_SCANCODE_RALT, true, 0x38},
    {SDL_SCANCODE_LGUI, true, 0x5B},
    {SDL_SCANCODE_RGUI, true, 0x5C},
    {SDL_SCANCODE_APPLICATION, true, 0x5D},
    {SDL_SCANCODE_INSERT, true, 0x52},
    {SDL_SCANCODE_DELETE, true, 0x53},
    {SDL_SCANCODE_HOME, true, 0x47},
    {SDL_SCANCODE_END, true, 0x4F},
    {SDL_SCANCODE_PAGEUP, true, 0x49},
    {SDL_SCANCODE_PAGEDOWN, true, 0x51},
    {SDL_SCANCODE_UP, true, 0x48},
    {SDL_SCANCODE_DOWN, true, 0x50},
    {SDL_SCANCODE_LEFT, true, 0x4B},
    {SDL_SCANCODE_RIGHT, true, 0x4D},
};
}  // namespace

TEST_CASE("keymap: every single-code key reaches the guest as its set-1 make and break") {
  for (const Set1Key& k : kSet1) {
    CAPTURE(static_cast<int>(k.key));
    const Bytes make = k.e0 ? Bytes{0xE0, k.code} : Bytes{k.code};
    const Bytes brk = k.e0 ? Bytes{0xE0, static_cast<u8>(k.code | 0x80)} : Bytes{static_cast<u8>(k.code | 0x80)};
    CHECK(set1_bytes(k.key, true) == make);
    CHECK(set1_bytes(k.key, false) == brk);
  }
}

TEST_CASE("keymap: a letter is one byte, break sets bit 7") {
  CHECK(set1_bytes(SDL_SCANCODE_A, true) == Bytes{0x1E});
  CHECK(set1_bytes(SDL_SCANCODE_A, false) == Bytes{0x9E});
}

TEST_CASE("keymap: main Enter and keypad Enter differ by the E0 prefix") {
  CHECK(set1_bytes(SDL_SCANCODE_RETURN, true) == Bytes{0x1C});
  CHECK(set1_bytes(SDL_SCANCODE_RETURN, false) == Bytes{0x9C});
  CHECK(set1_bytes(SDL_SCANCODE_KP_ENTER, true) == Bytes{0xE0, 0x1C});
  CHECK(set1_bytes(SDL_SCANCODE_KP_ENTER, false) == Bytes{0xE0, 0x9C});
}

TEST_CASE("keymap: right-hand modifiers repeat E0 in the break") {
  CHECK(set1_bytes(SDL_SCANCODE_RCTRL, true) == Bytes{0xE0, 0x1D});
  CHECK(set1_bytes(SDL_SCANCODE_RCTRL, false) == Bytes{0xE0, 0x9D});
  CHECK(set1_bytes(SDL_SCANCODE_LCTRL, true) == Bytes{0x1D});
  CHECK(set1_bytes(SDL_SCANCODE_RALT, true) == Bytes{0xE0, 0x38});
  CHECK(set1_bytes(SDL_SCANCODE_LGUI, true) == Bytes{0xE0, 0x5B});
  CHECK(set1_bytes(SDL_SCANCODE_RGUI, true) == Bytes{0xE0, 0x5C});
  CHECK(set1_bytes(SDL_SCANCODE_APPLICATION, true) == Bytes{0xE0, 0x5D});
}

TEST_CASE("keymap: arrows are E0 plus the keypad digit's code") {
  CHECK(set1_bytes(SDL_SCANCODE_UP, true) == Bytes{0xE0, 0x48});
  CHECK(set1_bytes(SDL_SCANCODE_UP, false) == Bytes{0xE0, 0xC8});
  CHECK(set1_bytes(SDL_SCANCODE_KP_8, true) == Bytes{0x48});
  CHECK(set1_bytes(SDL_SCANCODE_DOWN, true) == Bytes{0xE0, 0x50});
  CHECK(set1_bytes(SDL_SCANCODE_LEFT, true) == Bytes{0xE0, 0x4B});
  CHECK(set1_bytes(SDL_SCANCODE_RIGHT, true) == Bytes{0xE0, 0x4D});
}

TEST_CASE("keymap: Print Screen is a fake Shift plus E0 37, undone in reverse") {
  CHECK(set1_bytes(SDL_SCANCODE_PRINTSCREEN, true) == Bytes{0xE0, 0x2A, 0xE0, 0x37});
  CHECK(set1_bytes(SDL_SCANCODE_PRINTSCREEN, false) == Bytes{0xE0, 0xB7, 0xE0, 0xAA});
}

TEST_CASE("keymap: Pause sends its whole sequence on press and nothing on release") {
  CHECK(set1_bytes(SDL_SCANCODE_PAUSE, true) == Bytes{0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5});
  CHECK(set1_bytes(SDL_SCANCODE_PAUSE, false).empty());
}

TEST_CASE("keymap: F11 and F12 use the 101-key keyboard's codes") {
  CHECK(set1_bytes(SDL_SCANCODE_F10, true) == Bytes{0x44});
  CHECK(set1_bytes(SDL_SCANCODE_F11, true) == Bytes{0x57});
  CHECK(set1_bytes(SDL_SCANCODE_F11, false) == Bytes{0xD7});
  CHECK(set1_bytes(SDL_SCANCODE_F12, true) == Bytes{0x58});
  CHECK(set1_bytes(SDL_SCANCODE_F12, false) == Bytes{0xD8});
}

TEST_CASE("keymap: keypad and lock keys") {
  CHECK(set1_bytes(SDL_SCANCODE_NUMLOCKCLEAR, true) == Bytes{0x45});
  CHECK(set1_bytes(SDL_SCANCODE_SCROLLLOCK, true) == Bytes{0x46});
  CHECK(set1_bytes(SDL_SCANCODE_KP_DIVIDE, true) == Bytes{0xE0, 0x35});
  CHECK(set1_bytes(SDL_SCANCODE_KP_MULTIPLY, true) == Bytes{0x37});
  CHECK(set1_bytes(SDL_SCANCODE_KP_PERIOD, true) == Bytes{0x53});
  CHECK(set1_bytes(SDL_SCANCODE_DELETE, true) == Bytes{0xE0, 0x53});
  CHECK(set1_bytes(SDL_SCANCODE_NONUSBACKSLASH, true) == Bytes{0x56});
}

TEST_CASE("keymap: keys a PC keyboard lacks send nothing") {
  CHECK(set1_bytes(SDL_SCANCODE_F24, true).empty());
  CHECK(set1_bytes(SDL_SCANCODE_F24, false).empty());
  CHECK(set1_bytes(SDL_SCANCODE_UNKNOWN, true).empty());
}

// Walks every SDL scancode, so it covers every table entry without the table being public.
TEST_CASE("keymap: every mapped key's break is its make with bit 7 set") {
  int mapped = 0;
  for (int i = 0; i < SDL_NUM_SCANCODES; ++i) {
    const auto key = static_cast<SDL_Scancode>(i);
    const Bytes make = set1_bytes(key, true);
    if (make.empty()) continue;
    ++mapped;
    if (key == SDL_SCANCODE_PRINTSCREEN || key == SDL_SCANCODE_PAUSE) continue;  // checked above
    CAPTURE(i);
    const Bytes brk = set1_bytes(key, false);
    REQUIRE((make.size() == 1 || (make.size() == 2 && make[0] == 0xE0)));
    REQUIRE(brk.size() == make.size());
    CHECK((make.back() & 0x80) == 0);
    CHECK(brk.back() == (make.back() | 0x80));
    if (make.size() == 2) CHECK(brk[0] == 0xE0);
  }
  // The 104-key US keyboard, plus the ISO keyboard's extra key (0x56) and its key left of Enter (shares 0x2B).
  CHECK(mapped == 106);
}
