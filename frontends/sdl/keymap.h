// Host keys (SDL2 scancodes, i.e. physical key positions) to the guest's PS/2 keyboard keys.
#pragma once
#include <SDL2/SDL_scancode.h>

#include <optional>

#include "devices/i8042/ps2_keyboard.h"

namespace emu {

// The PC keyboard key at `key`'s position, as its scan code set 2 make code; nothing for keys a
// PC keyboard lacks (F13-F24, media keys, the Japanese and Korean extras).
std::optional<Ps2Key> ps2_key_for(SDL_Scancode key);

}  // namespace emu
