#include "frontends/sdl/sdl_display.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "devices/i8042/ps2_mouse.h"
#include "frontends/sdl/keymap.h"

namespace emu {

namespace {

constexpr u64 kFrameMs = 16;             // about 60 frames a second
constexpr u64 kBlinkHalfPeriodMs = 229;  // the VGA cursor: 16 frames on, 16 off at 70 Hz

// US-layout characters: the unshifted and shifted symbol rows.
struct SymbolKey {
  char plain, shifted;
  SDL_Scancode key;
};
constexpr SymbolKey kSymbols[] = {
    {'`', '~', SDL_SCANCODE_GRAVE},      {'1', '!', SDL_SCANCODE_1},           {'2', '@', SDL_SCANCODE_2},
    {'3', '#', SDL_SCANCODE_3},          {'4', '$', SDL_SCANCODE_4},           {'5', '%', SDL_SCANCODE_5},
    {'6', '^', SDL_SCANCODE_6},          {'7', '&', SDL_SCANCODE_7},           {'8', '*', SDL_SCANCODE_8},
    {'9', '(', SDL_SCANCODE_9},          {'0', ')', SDL_SCANCODE_0},           {'-', '_', SDL_SCANCODE_MINUS},
    {'=', '+', SDL_SCANCODE_EQUALS},     {'[', '{', SDL_SCANCODE_LEFTBRACKET}, {']', '}', SDL_SCANCODE_RIGHTBRACKET},
    {'\\', '|', SDL_SCANCODE_BACKSLASH}, {';', ':', SDL_SCANCODE_SEMICOLON},   {'\'', '"', SDL_SCANCODE_APOSTROPHE},
    {',', '<', SDL_SCANCODE_COMMA},      {'.', '>', SDL_SCANCODE_PERIOD},      {'/', '?', SDL_SCANCODE_SLASH},
};

u8 button_bit(u8 sdl_button) {
  switch (sdl_button) {
    case SDL_BUTTON_LEFT: return Ps2Mouse::kLeftButton;
    case SDL_BUTTON_RIGHT: return Ps2Mouse::kRightButton;
    case SDL_BUTTON_MIDDLE: return Ps2Mouse::kMiddleButton;
    default: return 0;
  }
}

}  // namespace

std::optional<SdlDisplay::Keystroke> SdlDisplay::keystroke_for(char c) {
  if (c >= 'a' && c <= 'z') return Keystroke{static_cast<SDL_Scancode>(SDL_SCANCODE_A + (c - 'a')), false};
  if (c >= 'A' && c <= 'Z') return Keystroke{static_cast<SDL_Scancode>(SDL_SCANCODE_A + (c - 'A')), true};
  if (c == ' ') return Keystroke{SDL_SCANCODE_SPACE, false};
  if (c == '\n') return Keystroke{SDL_SCANCODE_RETURN, false};
  if (c == '\t') return Keystroke{SDL_SCANCODE_TAB, false};
  for (const SymbolKey& s : kSymbols) {
    if (c == s.plain) return Keystroke{s.key, false};
    if (c == s.shifted) return Keystroke{s.key, true};
  }
  return std::nullopt;  // not on a US keyboard (and \r, which the newline already covers)
}

std::unique_ptr<SdlDisplay> SdlDisplay::create(Hooks hooks, std::string& error) {
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    error = std::string("cannot open a window: ") + SDL_GetError();
    return nullptr;
  }
  std::unique_ptr<SdlDisplay> d(new SdlDisplay(std::move(hooks)));
  // Nearest-neighbour scaling: text stays sharp at 2x, 3x, ... (and merely blocky in between).
  SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "0");
  d->window_ = SDL_CreateWindow("emu", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 720, 400,
                                SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
  if (d->window_) d->renderer_ = SDL_CreateRenderer(d->window_, -1, 0);
  if (!d->window_ || !d->renderer_) {
    error = std::string("cannot open a window: ") + SDL_GetError();
    return nullptr;
  }
  d->update_title();
  return d;
}

SdlDisplay::~SdlDisplay() {
  if (texture_) SDL_DestroyTexture(texture_);
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
  SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

void SdlDisplay::poll(const Vga& vga) {
  SDL_Event event;
  while (SDL_PollEvent(&event)) handle(event);
  const u64 now = SDL_GetTicks64();
  if (now < next_frame_ms_) return;
  next_frame_ms_ = now + kFrameMs;
  if (!typing_.empty()) type_next_keystroke();
  present(vga);
  if (now - title_ms_ >= 1000) {
    const u64 instructions = hooks_.instructions ? hooks_.instructions() : 0;
    if (title_ms_) mips_ = static_cast<double>(instructions - title_instructions_) / (now - title_ms_) / 1000.0;
    title_ms_ = now, title_instructions_ = instructions;
    update_title();
  }
}

void SdlDisplay::update_title() {
  char title[160];
  std::snprintf(title, sizeof title, "emu - %.0f MIPS - %s", mips_,
                grabbed_ ? "Ctrl+Alt+G releases the mouse" : "click to grab the mouse");
  SDL_SetWindowTitle(window_, title);
}

void SdlDisplay::set_grab(bool on) {
  grabbed_ = on;
  SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
  SDL_SetWindowGrab(window_, on ? SDL_TRUE : SDL_FALSE);
  update_title();
}

void SdlDisplay::handle(const SDL_Event& event) {
  switch (event.type) {
    case SDL_QUIT:
      // The first close asks the guest to shut down, as a PC's power button does; a guest that
      // does not listen (no ACPI) is not a prison: the second close ends emu.
      if (++closes_ == 1 && hooks_.power_button)
        hooks_.power_button();
      else if (hooks_.quit)
        hooks_.quit();
      break;
    case SDL_KEYDOWN:
    case SDL_KEYUP: handle_key(event.key); break;
    case SDL_MOUSEBUTTONDOWN:
      if (!grabbed_) {
        set_grab(true);  // the click that grabs is not the guest's
        break;
      }
      buttons_ |= button_bit(event.button.button);
      if (hooks_.mouse) hooks_.mouse(0, 0, 0, buttons_);
      break;
    case SDL_MOUSEBUTTONUP:
      if (!grabbed_) break;
      buttons_ &= static_cast<u8>(~button_bit(event.button.button));
      if (hooks_.mouse) hooks_.mouse(0, 0, 0, buttons_);
      break;
    case SDL_MOUSEMOTION:
      if (grabbed_ && hooks_.mouse) hooks_.mouse(event.motion.xrel, event.motion.yrel, 0, buttons_);
      break;
    case SDL_MOUSEWHEEL:
      // SDL's y is positive away from the user; the PS/2 wheel counts towards the user.
      if (grabbed_ && hooks_.mouse) hooks_.mouse(0, 0, -event.wheel.y, buttons_);
      break;
    case SDL_WINDOWEVENT:
      if (event.window.event == SDL_WINDOWEVENT_FOCUS_LOST && grabbed_) set_grab(false);
      if (event.window.event == SDL_WINDOWEVENT_EXPOSED || event.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
        redraw_ = true;
      break;
    default: break;
  }
}

void SdlDisplay::handle_key(const SDL_KeyboardEvent& key) {
  const SDL_Keymod mods = SDL_GetModState();
  const bool host_combo = (mods & KMOD_CTRL) && (mods & KMOD_ALT);
  const SDL_Scancode code = key.keysym.scancode;
  if (host_combo && (code == SDL_SCANCODE_G || code == SDL_SCANCODE_F || code == SDL_SCANCODE_V)) {
    if (key.type != SDL_KEYDOWN || key.repeat) return;
    if (code == SDL_SCANCODE_G) {
      set_grab(false);
    } else if (code == SDL_SCANCODE_F) {
      fullscreen_ = !fullscreen_;
      SDL_SetWindowFullscreen(window_, fullscreen_ ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
    } else if (char* text = SDL_GetClipboardText()) {
      for (const char* c = text; *c; ++c)
        if (auto stroke = keystroke_for(*c)) typing_.push_back(*stroke);
      SDL_free(text);
    }
    return;
  }
  const std::optional<Ps2Key> ps2 = ps2_key_for(code);
  // A held key repeats as the keyboard's typematic would: more makes, one break.
  if (ps2 && hooks_.key) hooks_.key(*ps2, key.type == SDL_KEYDOWN);
}

// One keystroke of the clipboard per frame: fast enough to type a command line, slow enough for
// the keyboard's 16-byte queue and a guest reading it by interrupt.
void SdlDisplay::type_next_keystroke() {
  const Keystroke stroke = typing_.front();
  typing_.pop_front();
  const std::optional<Ps2Key> key = ps2_key_for(stroke.key), shift = ps2_key_for(SDL_SCANCODE_LSHIFT);
  if (!key || !hooks_.key) return;
  if (stroke.shift) hooks_.key(*shift, true);
  hooks_.key(*key, true);
  hooks_.key(*key, false);
  if (stroke.shift) hooks_.key(*shift, false);
}

// Renders the VGA and uploads the band of rows that changed since the last frame.
void SdlDisplay::present(const Vga& vga) {
  const bool blink_on = (SDL_GetTicks64() / kBlinkHalfPeriodMs) % 2 == 0;
  VgaFrame frame = VgaRenderer::render(vga, blink_on);
  if (frame.width == 0 || frame.height == 0) frame = {640, 480, std::vector<u32>(640 * 480, 0)};  // no mode set yet
  unsigned first = 0, last = frame.height;  // the rows to upload: [first, last)
  if (!texture_ || frame.width != shown_.width || frame.height != shown_.height) {
    if (texture_) SDL_DestroyTexture(texture_);
    texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                 static_cast<int>(frame.width), static_cast<int>(frame.height));
    SDL_RenderSetLogicalSize(renderer_, static_cast<int>(frame.width), static_cast<int>(frame.height));
    // A new mode: the window takes the new size, doubled for the low-resolution modes (320x200).
    const unsigned scale = frame.width <= 400 ? 2 : 1;
    if (!fullscreen_)
      SDL_SetWindowSize(window_, static_cast<int>(frame.width * scale), static_cast<int>(frame.height * scale));
  } else if (!redraw_) {
    auto row_equal = [&](unsigned y) {
      return std::memcmp(&frame.pixels[std::size_t{y} * frame.width], &shown_.pixels[std::size_t{y} * frame.width],
                         frame.width * sizeof(u32)) == 0;
    };
    while (first < frame.height && row_equal(first)) ++first;
    if (first == frame.height) return;  // nothing changed: no upload, no redraw
    while (last > first && row_equal(last - 1)) --last;
  }
  if (!texture_) return;
  const SDL_Rect band = {0, static_cast<int>(first), static_cast<int>(frame.width), static_cast<int>(last - first)};
  SDL_UpdateTexture(texture_, &band, &frame.pixels[std::size_t{first} * frame.width],
                    static_cast<int>(frame.width * sizeof(u32)));
  SDL_RenderClear(renderer_);
  SDL_RenderCopy(renderer_, texture_, nullptr, nullptr);
  SDL_RenderPresent(renderer_);
  shown_ = std::move(frame);
  redraw_ = false;
}

}  // namespace emu
