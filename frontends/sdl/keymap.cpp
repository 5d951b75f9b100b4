// Host keys (SDL2 scancodes: physical key positions, whatever the host's layout) to the keys of
// the guest's PS/2 keyboard, named by their scan code set 2 make codes — what devices/i8042's
// keyboard takes; it produces the make/break sequences itself, in set 2 or set 1, and the 8042
// translates to set 1 for the guest when its command byte asks (the usual PC setting).
// Codes: IBM PS/2 Keyboard Technical Reference, "Scan code set 2"; the E0-prefixed keys are the
// 101-key keyboard's additions (gray cursor block, right Ctrl/Alt, keypad / and Enter, Windows keys).
#include "frontends/sdl/keymap.h"

#include <array>

namespace emu {
namespace {

struct Key {
  SDL_Scancode key;
  Ps2Key ps2;
};

// Print Screen and Pause have irregular sequences; the keyboard model knows them by name.
constexpr std::array kKeys = {
    // Main block, row by row.
    Key{SDL_SCANCODE_ESCAPE, {0x76, false}},
    Key{SDL_SCANCODE_1, {0x16, false}},
    Key{SDL_SCANCODE_2, {0x1E, false}},
    Key{SDL_SCANCODE_3, {0x26, false}},
    Key{SDL_SCANCODE_4, {0x25, false}},
    Key{SDL_SCANCODE_5, {0x2E, false}},
    Key{SDL_SCANCODE_6, {0x36, false}},
    Key{SDL_SCANCODE_7, {0x3D, false}},
    Key{SDL_SCANCODE_8, {0x3E, false}},
    Key{SDL_SCANCODE_9, {0x46, false}},
    Key{SDL_SCANCODE_0, {0x45, false}},
    Key{SDL_SCANCODE_MINUS, {0x4E, false}},
    Key{SDL_SCANCODE_EQUALS, {0x55, false}},
    Key{SDL_SCANCODE_BACKSPACE, {0x66, false}},
    Key{SDL_SCANCODE_TAB, {0x0D, false}},
    Key{SDL_SCANCODE_Q, {0x15, false}},
    Key{SDL_SCANCODE_W, {0x1D, false}},
    Key{SDL_SCANCODE_E, {0x24, false}},
    Key{SDL_SCANCODE_R, {0x2D, false}},
    Key{SDL_SCANCODE_T, {0x2C, false}},
    Key{SDL_SCANCODE_Y, {0x35, false}},
    Key{SDL_SCANCODE_U, {0x3C, false}},
    Key{SDL_SCANCODE_I, {0x43, false}},
    Key{SDL_SCANCODE_O, {0x44, false}},
    Key{SDL_SCANCODE_P, {0x4D, false}},
    Key{SDL_SCANCODE_LEFTBRACKET, {0x54, false}},
    Key{SDL_SCANCODE_RIGHTBRACKET, {0x5B, false}},
    Key{SDL_SCANCODE_RETURN, {0x5A, false}},
    Key{SDL_SCANCODE_LCTRL, {0x14, false}},
    Key{SDL_SCANCODE_A, {0x1C, false}},
    Key{SDL_SCANCODE_S, {0x1B, false}},
    Key{SDL_SCANCODE_D, {0x23, false}},
    Key{SDL_SCANCODE_F, {0x2B, false}},
    Key{SDL_SCANCODE_G, {0x34, false}},
    Key{SDL_SCANCODE_H, {0x33, false}},
    Key{SDL_SCANCODE_J, {0x3B, false}},
    Key{SDL_SCANCODE_K, {0x42, false}},
    Key{SDL_SCANCODE_L, {0x4B, false}},
    Key{SDL_SCANCODE_SEMICOLON, {0x4C, false}},
    Key{SDL_SCANCODE_APOSTROPHE, {0x52, false}},
    Key{SDL_SCANCODE_GRAVE, {0x0E, false}},
    Key{SDL_SCANCODE_LSHIFT, {0x12, false}},
    Key{SDL_SCANCODE_BACKSLASH, {0x5D, false}},
    // The ISO keyboard's key left of Enter (# ~ on UK layouts) sits where the US backslash is and sends its code.
    Key{SDL_SCANCODE_NONUSHASH, {0x5D, false}},
    Key{SDL_SCANCODE_Z, {0x1A, false}},
    Key{SDL_SCANCODE_X, {0x22, false}},
    Key{SDL_SCANCODE_C, {0x21, false}},
    Key{SDL_SCANCODE_V, {0x2A, false}},
    Key{SDL_SCANCODE_B, {0x32, false}},
    Key{SDL_SCANCODE_N, {0x31, false}},
    Key{SDL_SCANCODE_M, {0x3A, false}},
    Key{SDL_SCANCODE_COMMA, {0x41, false}},
    Key{SDL_SCANCODE_PERIOD, {0x49, false}},
    Key{SDL_SCANCODE_SLASH, {0x4A, false}},
    Key{SDL_SCANCODE_RSHIFT, {0x59, false}},
    Key{SDL_SCANCODE_LALT, {0x11, false}},
    Key{SDL_SCANCODE_SPACE, {0x29, false}},
    Key{SDL_SCANCODE_CAPSLOCK, {0x58, false}},
    // The 105th key: the ISO keyboard's extra key between left Shift and Z.
    Key{SDL_SCANCODE_NONUSBACKSLASH, {0x61, false}},

    // Function keys (set 2 numbers them out of order: F7 is 83h, the one code above 7Fh).
    Key{SDL_SCANCODE_F1, {0x05, false}},
    Key{SDL_SCANCODE_F2, {0x06, false}},
    Key{SDL_SCANCODE_F3, {0x04, false}},
    Key{SDL_SCANCODE_F4, {0x0C, false}},
    Key{SDL_SCANCODE_F5, {0x03, false}},
    Key{SDL_SCANCODE_F6, {0x0B, false}},
    Key{SDL_SCANCODE_F7, {0x83, false}},
    Key{SDL_SCANCODE_F8, {0x0A, false}},
    Key{SDL_SCANCODE_F9, {0x01, false}},
    Key{SDL_SCANCODE_F10, {0x09, false}},
    Key{SDL_SCANCODE_F11, {0x78, false}},
    Key{SDL_SCANCODE_F12, {0x07, false}},
    Key{SDL_SCANCODE_SCROLLLOCK, {0x7E, false}},

    // Keypad.
    Key{SDL_SCANCODE_NUMLOCKCLEAR, {0x77, false}},
    Key{SDL_SCANCODE_KP_DIVIDE, {0x4A, true}},
    Key{SDL_SCANCODE_KP_MULTIPLY, {0x7C, false}},
    Key{SDL_SCANCODE_KP_MINUS, {0x7B, false}},
    Key{SDL_SCANCODE_KP_PLUS, {0x79, false}},
    Key{SDL_SCANCODE_KP_ENTER, {0x5A, true}},
    Key{SDL_SCANCODE_KP_7, {0x6C, false}},
    Key{SDL_SCANCODE_KP_8, {0x75, false}},
    Key{SDL_SCANCODE_KP_9, {0x7D, false}},
    Key{SDL_SCANCODE_KP_4, {0x6B, false}},
    Key{SDL_SCANCODE_KP_5, {0x73, false}},
    Key{SDL_SCANCODE_KP_6, {0x74, false}},
    Key{SDL_SCANCODE_KP_1, {0x69, false}},
    Key{SDL_SCANCODE_KP_2, {0x72, false}},
    Key{SDL_SCANCODE_KP_3, {0x7A, false}},
    Key{SDL_SCANCODE_KP_0, {0x70, false}},
    Key{SDL_SCANCODE_KP_PERIOD, {0x71, false}},

    // Right-hand modifiers and the Windows keys: E0 plus the left key's (or a free) code.
    Key{SDL_SCANCODE_RCTRL, {0x14, true}},
    Key{SDL_SCANCODE_RALT, {0x11, true}},
    Key{SDL_SCANCODE_LGUI, {0x1F, true}},
    Key{SDL_SCANCODE_RGUI, {0x27, true}},
    Key{SDL_SCANCODE_APPLICATION, {0x2F, true}},

    // The gray editing and cursor keys: E0 plus the keypad key in the same position.
    Key{SDL_SCANCODE_INSERT, {0x70, true}},
    Key{SDL_SCANCODE_DELETE, {0x71, true}},
    Key{SDL_SCANCODE_HOME, {0x6C, true}},
    Key{SDL_SCANCODE_END, {0x69, true}},
    Key{SDL_SCANCODE_PAGEUP, {0x7D, true}},
    Key{SDL_SCANCODE_PAGEDOWN, {0x7A, true}},
    Key{SDL_SCANCODE_UP, {0x75, true}},
    Key{SDL_SCANCODE_DOWN, {0x72, true}},
    Key{SDL_SCANCODE_LEFT, {0x6B, true}},
    Key{SDL_SCANCODE_RIGHT, {0x74, true}},
};

// A key listed twice would hide its second entry; Print Screen and Pause are handled by name.
constexpr bool table_is_sane() {
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (kKeys[i].key == SDL_SCANCODE_PRINTSCREEN || kKeys[i].key == SDL_SCANCODE_PAUSE) return false;
    for (std::size_t j = i + 1; j < kKeys.size(); ++j)
      if (kKeys[i].key == kKeys[j].key) return false;
  }
  return true;
}
static_assert(table_is_sane());

}  // namespace

std::optional<Ps2Key> ps2_key_for(SDL_Scancode key) {
  if (key == SDL_SCANCODE_PRINTSCREEN) return kPs2PrintScreen;
  if (key == SDL_SCANCODE_PAUSE) return kPs2Pause;
  for (const Key& k : kKeys)
    if (k.key == key) return k.ps2;
  return std::nullopt;
}

}  // namespace emu
