#include "devices/i8042/ps2_mouse.h"

#include <algorithm>
#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

// Auxiliary device commands (IBM technical reference; Chapweske, "Command Set").
constexpr u8 kSetScaling1to1 = 0xE6, kSetScaling2to1 = 0xE7, kSetResolution = 0xE8, kStatusRequest = 0xE9,
             kSetStreamMode = 0xEA, kReadData = 0xEB, kResetWrapMode = 0xEC, kSetWrapMode = 0xEE, kSetRemoteMode = 0xF0,
             kGetDeviceId = 0xF2, kSetSampleRate = 0xF3, kEnableReporting = 0xF4, kDisableReporting = 0xF5,
             kSetDefaults = 0xF6, kResend = 0xFE, kReset = 0xFF;
constexpr u8 kAck = 0xFA, kResendReply = 0xFE, kBatPassed = 0xAA;
// Packet byte 0: Y overflow, X overflow, Y sign, X sign, always 1, middle, right, left.
constexpr u8 kYOverflow = 0x80, kXOverflow = 0x40, kYSign = 0x20, kXSign = 0x10, kAlwaysOne = 0x08;
// Status byte (E9): remote mode, reporting enabled, scaling 2:1; the buttons in bits 2-0 as
// left, middle, right (a different order from the packet's).
constexpr u8 kStatusRemote = 0x40, kStatusEnabled = 0x20, kStatusScaling = 0x10;
// Microsoft's IntelliMouse knock: sample rates 200, 100, 80 in a row switch the ID to 3.
constexpr std::array<u8, 3> kIntelliMouseKnock = {200, 100, 80};
// The counters are 9-bit two's complement; the wheel's 4th byte carries -8..7.
constexpr int kCounterMin = -256, kCounterMax = 255, kWheelMin = -8, kWheelMax = 7;
// Host motion larger than this is pointless (the counters hold 9 bits); keeps the sums in range.
constexpr int kAccumulateLimit = 1 << 16;

bool valid_sample_rate(u8 rate) {
  switch (rate) {
    case 10:
    case 20:
    case 40:
    case 60:
    case 80:
    case 100:
    case 200: return true;
    default: return false;
  }
}

// 2:1 scaling (Chapweske, "Scaling"): applied to each counter of a streamed report.
int scale_2to1(int n) {
  const int magnitude = n < 0 ? -n : n;
  static constexpr int kSmall[] = {0, 1, 1, 3, 6, 9};
  const int scaled = magnitude <= 5 ? kSmall[magnitude] : 2 * magnitude;
  return n < 0 ? -scaled : scaled;
}

}  // namespace

void Ps2Mouse::reset() {
  // Keep the buttons: they are physically held.
  const u8 buttons = state_.buttons;
  state_ = Ps2MouseState{};
  state_.buttons = buttons;
}

void Ps2Mouse::set_defaults() {
  // Set Defaults: 100 samples/s, 4 counts/mm, 1:1, reporting disabled, stream mode.
  state_.sample_rate = 100;
  state_.resolution = 2;
  state_.scaling_2to1 = false;
  state_.reporting = false;
  state_.remote = false;
  reset_counters();
}

void Ps2Mouse::reset_counters() {
  state_.dx = state_.dy = state_.dz = 0;
  state_.buttons_changed = false;
}

void Ps2Mouse::send(const u8* bytes, unsigned length) {
  if (state_.out.free_space() < length) {
    GuestLog::instance().log("i8042", "mouse: reply of %u bytes lost, output queue full", length);
    return;
  }
  for (unsigned k = 0; k < length; ++k) state_.out.push(bytes[k]);
  std::copy(bytes, bytes + length, state_.last_reply.begin());
  state_.last_reply_length = static_cast<u8>(length);
}

void Ps2Mouse::send(std::initializer_list<u8> bytes) { send(bytes.begin(), static_cast<unsigned>(bytes.size())); }

u8 Ps2Mouse::read() {
  const u8 byte = state_.out.pop();
  stream_report();  // movement held back by a full queue goes out as room appears
  return byte;
}

void Ps2Mouse::write(u8 byte) {
  // Wrap mode echoes every byte except Reset and Reset Wrap Mode.
  if (state_.wrap && byte != kReset && byte != kResetWrapMode) {
    send({byte});
    return;
  }
  if (state_.pending_command != 0) {
    argument(byte);
    return;
  }
  command(byte);
}

void Ps2Mouse::argument(u8 byte) {
  const u8 cmd = state_.pending_command;
  state_.pending_command = 0;
  if (cmd == kSetSampleRate) {
    if (!valid_sample_rate(byte)) {
      GuestLog::instance().log("i8042", "mouse: invalid sample rate %u", byte);
      send({kResendReply});  // the command is dropped; the driver sends it again
      return;
    }
    state_.sample_rate = byte;
    state_.rates = {state_.rates[1], state_.rates[2], byte};
    if (state_.rates == kIntelliMouseKnock) state_.device_id = 3;
    send({kAck});
    return;
  }
  // kSetResolution
  if (byte > 3) {
    GuestLog::instance().log("i8042", "mouse: invalid resolution %u", byte);
    send({kResendReply});
    return;
  }
  state_.resolution = byte;
  send({kAck});
}

void Ps2Mouse::command(u8 byte) {
  switch (byte) {
    case kSetScaling1to1:
      state_.scaling_2to1 = false;
      send({kAck});
      return;
    case kSetScaling2to1:
      state_.scaling_2to1 = true;
      send({kAck});
      return;
    case kSetResolution:
    case kSetSampleRate:
      state_.pending_command = byte;
      send({kAck});
      return;
    case kStatusRequest: {
      const u8 b = state_.buttons;
      const u8 status = static_cast<u8>((state_.remote ? kStatusRemote : 0) | (state_.reporting ? kStatusEnabled : 0) |
                                        (state_.scaling_2to1 ? kStatusScaling : 0) | ((b & kLeftButton) ? 0x04 : 0) |
                                        ((b & kMiddleButton) ? 0x02 : 0) | ((b & kRightButton) ? 0x01 : 0));
      send({kAck, status, state_.resolution, state_.sample_rate});
      return;
    }
    case kSetStreamMode:
      state_.remote = false;
      reset_counters();
      send({kAck});
      return;
    case kReadData: {
      // Read Data: a report now, in stream or remote mode, without 2:1 scaling.
      u8 packet[5] = {kAck};
      const unsigned n = make_report(packet + 1, false);
      send(packet, n + 1);
      return;
    }
    case kResetWrapMode:
      state_.wrap = false;
      reset_counters();
      send({kAck});
      return;
    case kSetWrapMode:
      state_.wrap = true;
      reset_counters();
      send({kAck});
      return;
    case kSetRemoteMode:
      state_.remote = true;
      reset_counters();
      send({kAck});
      return;
    case kGetDeviceId:
      reset_counters();
      send({kAck, state_.device_id});
      return;
    case kEnableReporting:
      state_.reporting = true;
      reset_counters();
      send({kAck});
      return;
    case kDisableReporting:
      state_.reporting = false;
      reset_counters();
      send({kAck});
      return;
    case kSetDefaults:
      set_defaults();
      send({kAck});
      return;
    case kResend: {
      // Resend: the last reply or report again (nothing if there never was one).
      const std::array<u8, 4> last = state_.last_reply;
      send(last.data(), state_.last_reply_length);
      return;
    }
    case kReset:
      // Reset: ACK, self-test passed, ID 0; defaults, a plain PS/2 mouse again.
      reset();
      state_.out.clear();
      send({kAck, kBatPassed, 0x00});
      return;
    default:
      GuestLog::instance().log("i8042", "mouse: unknown command %02x", byte);
      send({kResendReply});
      return;
  }
}

unsigned Ps2Mouse::make_report(u8* packet, bool apply_scaling) {
  int dx = state_.dx, dy = state_.dy;
  if (apply_scaling && state_.scaling_2to1) {
    dx = scale_2to1(dx);
    dy = scale_2to1(dy);
  }
  // A counter that left the 9-bit range reports its limit with the overflow bit set; the
  // excess is lost, as in the mouse, whose counter stops at the limit.
  u8 flags = kAlwaysOne | static_cast<u8>(state_.buttons & 0x07);
  if (dx < kCounterMin || dx > kCounterMax) flags |= kXOverflow;
  if (dy < kCounterMin || dy > kCounterMax) flags |= kYOverflow;
  dx = std::clamp(dx, kCounterMin, kCounterMax);
  dy = std::clamp(dy, kCounterMin, kCounterMax);
  if (dx < 0) flags |= kXSign;
  if (dy < 0) flags |= kYSign;
  packet[0] = flags;
  packet[1] = static_cast<u8>(dx & 0xFF);
  packet[2] = static_cast<u8>(dy & 0xFF);
  unsigned length = 3;
  if (state_.device_id == 3) {
    packet[3] = static_cast<u8>(std::clamp(state_.dz, kWheelMin, kWheelMax) & 0xFF);
    length = 4;
  }
  reset_counters();
  return length;
}

void Ps2Mouse::stream_report() {
  if (state_.remote || state_.wrap || !state_.reporting) return;
  if (state_.dx == 0 && state_.dy == 0 && state_.dz == 0 && !state_.buttons_changed) return;
  if (state_.out.count + packet_length() > kReportLimit) return;
  u8 packet[4];
  const unsigned n = make_report(packet, true);
  send(packet, n);
}

void Ps2Mouse::motion(int dx, int dy, int dz, u8 buttons) {
  // The PS/2 Y axis points away from the user (up the screen): negate the screen's dy.
  state_.dx =
      std::clamp(state_.dx + std::clamp(dx, -kAccumulateLimit, kAccumulateLimit), -kAccumulateLimit, kAccumulateLimit);
  state_.dy =
      std::clamp(state_.dy - std::clamp(dy, -kAccumulateLimit, kAccumulateLimit), -kAccumulateLimit, kAccumulateLimit);
  if (state_.device_id == 3)
    state_.dz = std::clamp(state_.dz + std::clamp(dz, -kAccumulateLimit, kAccumulateLimit), -kAccumulateLimit,
                           kAccumulateLimit);
  buttons &= 0x07;
  if (buttons != state_.buttons) state_.buttons_changed = true;
  state_.buttons = buttons;
  stream_report();
}

void Ps2Mouse::serialize(StateVisitor& v) {
  v.field("mouse_queue", state_.out.bytes);
  v.field("mouse_queue_head", state_.out.head);
  v.field("mouse_queue_count", state_.out.count);
  v.field("mouse_pending_command", state_.pending_command);
  v.field("mouse_reporting", state_.reporting);
  v.field("mouse_remote", state_.remote);
  v.field("mouse_wrap", state_.wrap);
  v.field("mouse_scaling_2to1", state_.scaling_2to1);
  v.field("mouse_sample_rate", state_.sample_rate);
  v.field("mouse_resolution", state_.resolution);
  v.field("mouse_device_id", state_.device_id);
  v.field("mouse_rates", state_.rates);
  v.field("mouse_buttons", state_.buttons);
  v.field("mouse_dx", state_.dx);
  v.field("mouse_dy", state_.dy);
  v.field("mouse_dz", state_.dz);
  v.field("mouse_buttons_changed", state_.buttons_changed);
  v.field("mouse_last_reply", state_.last_reply);
  v.field("mouse_last_reply_length", state_.last_reply_length);
  if (!v.loading()) return;
  if (!state_.out.valid()) v.reject("i8042: mouse queue position out of range");
  if (state_.pending_command != 0 && state_.pending_command != kSetSampleRate &&
      state_.pending_command != kSetResolution)
    v.reject("i8042: mouse pending command is not one that takes an argument");
  if (!valid_sample_rate(state_.sample_rate) || state_.resolution > 3 ||
      (state_.device_id != 0 && state_.device_id != 3) || (state_.buttons & ~0x07))
    v.reject("i8042: mouse settings out of range");
  if (state_.last_reply_length > state_.last_reply.size()) v.reject("i8042: mouse resend length out of range");
  for (i32 c : {state_.dx, state_.dy, state_.dz})
    if (c < -kAccumulateLimit || c > kAccumulateLimit) v.reject("i8042: mouse movement counter out of range");
}

std::string Ps2Mouse::describe() const {
  char text[200];
  std::snprintf(text, sizeof text,
                "mouse: id %u, %s mode, reporting %s%s, rate %u, resolution %u, scaling %s, buttons=%x, "
                "pending dx=%d dy=%d dz=%d, queued=%u\n",
                state_.device_id, state_.remote ? "remote" : "stream", state_.reporting ? "on" : "off",
                state_.wrap ? " (wrap)" : "", state_.sample_rate, state_.resolution,
                state_.scaling_2to1 ? "2:1" : "1:1", state_.buttons, state_.dx, state_.dy, state_.dz, state_.out.count);
  return text;
}

}  // namespace emu
