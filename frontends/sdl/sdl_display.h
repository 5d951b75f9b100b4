// The desktop window (SDL2): the VGA's screen, scaled without blurring, and the host's keyboard
// and mouse as the guest's PS/2 devices.
//
// Everything runs on the CPU thread: the run loop's poll() calls SdlDisplay::poll() between CPU
// slices, which handles the window's events and, at most 60 times a second, renders the VGA
// (VgaRenderer) and uploads only the rows that changed. SDL's video functions must stay on the
// thread that initialised it, which this arrangement guarantees.
//
// Keys (host shortcuts are Ctrl+Alt plus a letter, as in QEMU; the letter is not sent):
//   click in the window       grab the mouse (relative motion to the guest's PS/2 mouse)
//   Ctrl+Alt+G                release the mouse
//   Ctrl+Alt+F                fullscreen on/off
//   Ctrl+Alt+V                type the host clipboard's text as keystrokes (US layout)
//   close button              the ACPI power button (the guest shuts down); a second close quits
#pragma once
#include <SDL2/SDL.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/i8042/ps2_keyboard.h"
#include "devices/vga/vga_renderer.h"

namespace emu {

class SdlDisplay {
 public:
  struct Hooks {
    std::function<void(Ps2Key key, bool down)> key;
    std::function<void(int dx, int dy, int dz, u8 buttons)> mouse;
    std::function<void()> power_button;  // the first close
    std::function<void()> quit;          // the second
    std::function<u64()> instructions;   // retired so far, for the MIPS in the title bar
  };

  // Opens the window, or nullptr and why (no display, SDL cannot start).
  static std::unique_ptr<SdlDisplay> create(Hooks hooks, std::string& error);
  ~SdlDisplay();
  SdlDisplay(const SdlDisplay&) = delete;
  SdlDisplay& operator=(const SdlDisplay&) = delete;

  void poll(const Vga& vga);

  // The characters Ctrl+Alt+V can type: US-layout keys and whether Shift is held.
  struct Keystroke {
    SDL_Scancode key;
    bool shift;
  };
  static std::optional<Keystroke> keystroke_for(char c);

 private:
  explicit SdlDisplay(Hooks hooks) : hooks_(std::move(hooks)) {}
  void handle(const SDL_Event& event);
  void handle_key(const SDL_KeyboardEvent& key);
  void set_grab(bool on);
  void present(const Vga& vga);
  void update_title();
  void type_next_keystroke();

  Hooks hooks_;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  VgaFrame shown_;  // what the texture holds
  bool grabbed_ = false, fullscreen_ = false;
  bool redraw_ = true;  // the window needs the whole frame (exposed, resized)
  unsigned closes_ = 0;
  u8 buttons_ = 0;
  u64 next_frame_ms_ = 0;
  u64 title_ms_ = 0, title_instructions_ = 0;
  double mips_ = 0;
  std::deque<Keystroke> typing_;  // the clipboard, a keystroke per frame
};

}  // namespace emu
