#include "devices/pit8254/pit8254.h"

#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

using Channel = Pit8254ChannelState;

// --- Count arithmetic (82C54 datasheet, "Counter Operation") ---------------------------------

// The counting range: 2^16 in binary, 10^4 in BCD. A written count of 0 means the full range.
u32 modulus(const Channel& ch) { return ch.bcd ? 10000 : 65536; }

// A raw BCD count as a number; digits above 9 (undefined on the chip) count with their value.
u32 bcd_to_binary(u16 raw) {
  return (raw >> 12 & 0xF) * 1000 + (raw >> 8 & 0xF) * 100 + (raw >> 4 & 0xF) * 10 + (raw & 0xF);
}
bool is_valid_bcd(u16 raw) {
  for (unsigned shift = 0; shift < 16; shift += 4)
    if ((raw >> shift & 0xF) > 9) return false;
  return true;
}
u16 binary_to_bcd(u32 value) {
  value %= 10000;
  return static_cast<u16>((value / 1000) << 12 | (value / 100 % 10) << 8 | (value / 10 % 10) << 4 | value % 10);
}

// N for a raw count as written, in 1..modulus.
u32 count_value(const Channel& ch, u16 raw) {
  const u32 value = ch.bcd ? bcd_to_binary(raw) % 10000 : raw;
  return value == 0 ? modulus(ch) : value;
}
// N, the initial count the CE is working with.
u32 initial_count(const Channel& ch) { return count_value(ch, ch.active_count); }

// What the counter port shows for a CE value.
u16 encode(const Channel& ch, u32 value) { return ch.bcd ? binary_to_bcd(value) : static_cast<u16>(value); }

struct Reading {
  u32 count;  // CE, as a binary value in 0..modulus-1
  bool out;
  bool null_count;
};

// A deferred mode 2/3 reload takes effect at its edge: the new count is loaded there, as if
// it had been written one edge before.
void apply_reload(Channel& ch, u64 tick) {
  if (!ch.reload_pending || tick < ch.reload_tick) return;
  ch.active_count = ch.count_register;
  ch.origin_tick = ch.reload_tick - 1;
  ch.reload_pending = false;
}

// CLK edges since the count was written or triggered; the CE is loaded at edge 1, so
// e = edges - 1 is the number of decrements.
u64 edges_since_origin(const Channel& ch, u64 tick) {
  if (ch.paused) return ch.paused_edges;
  return tick > ch.origin_tick ? tick - ch.origin_tick : 0;
}

// The CE value and OUT of a channel at CLK edge `tick` (82C54 datasheet, "Mode Definitions").
Reading evaluate(const Channel& ch, u64 tick) {
  // After a control word and before counting starts: OUT is low in mode 0, high otherwise.
  if (!ch.started) return {ch.stale_count, ch.mode != 0, ch.null_count};
  // Modes 2 and 3 with GATE low: counting stops and OUT is forced high.
  if (ch.paused && (ch.mode == 2 || ch.mode == 3)) return {ch.stale_count, true, ch.null_count};
  const u64 d = edges_since_origin(ch, tick);
  // The count is written (or the trigger seen) but the next CLK has not loaded it yet.
  if (d == 0) return {ch.stale_count, ch.mode != 0, true};
  const u64 e = d - 1;
  const u32 n = initial_count(ch), m = modulus(ch);
  const bool null_count = ch.reload_pending || ((ch.mode == 1 || ch.mode == 5) && ch.null_count);
  const u32 wrapped = static_cast<u32>((n + m - e % m) % m);  // N - e, wrapping like the CE
  switch (ch.mode) {
    case 0:  // Interrupt on terminal count: OUT rises when the count reaches 0 and stays high.
    case 1:  // Hardware retriggerable one-shot: OUT low from the trigger until terminal count.
      return {wrapped, e >= n, null_count};
    case 2: {  // Rate generator: N, N-1, ..., 1, reload; OUT low while the count is 1.
      const u64 r = e % n;
      return {static_cast<u32>((n - r) % m), r != n - 1, null_count};
    }
    case 3: {  // Square wave: OUT high for ceil(N/2) edges, low for floor(N/2); CE counts by 2.
      const u64 high = (n + 1) / 2;
      const u64 r = e % n;
      const u64 q = r < high ? r : r - high;  // position within the half cycle
      // Even N: N is loaded and counts N, N-2, ..., 2 in each half. Odd N: "the initial count
      // minus one (an even number) is loaded" and counts N-1, N-3, ..., 0; OUT falls one CLK
      // after that expiry and rises at the next one, giving (N+1)/2 high and (N-1)/2 low.
      const u32 value = static_cast<u32>((n & 1) ? n - 1 - 2 * q : n - 2 * q);
      return {value % m, r < high, null_count};
    }
    default:  // 4: software and 5: hardware triggered strobe: OUT low for one CLK at count 0.
      return {wrapped, e != n, null_count};
  }
}

// The first CLK edge after `tick` at which OUT changes, if it ever does without new input.
std::optional<u64> next_out_change(const Channel& ch, u64 tick) {
  if (!ch.started || ch.paused) return std::nullopt;
  const u64 d = edges_since_origin(ch, tick);
  const u64 n = initial_count(ch);
  // Decrement counts are kept signed: e = -1 before the load edge.
  const i64 e = static_cast<i64>(d) - 1;
  std::optional<i64> next_e;
  switch (ch.mode) {
    case 0:
      if (e < static_cast<i64>(n)) next_e = n;
      break;
    case 1:
      if (e < 0)
        next_e = 0;  // OUT falls on the edge after the trigger
      else if (e < static_cast<i64>(n))
        next_e = n;
      break;
    case 2:
      if (n < 2) break;  // a count of 1 is illegal in mode 2: OUT never changes
      if (e < 0) {
        next_e = n - 1;
      } else {
        const i64 r = e % static_cast<i64>(n);
        next_e = r < static_cast<i64>(n) - 1 ? e + (static_cast<i64>(n) - 1 - r) : e + 1;
      }
      break;
    case 3: {
      if (n < 2) break;
      const i64 high = static_cast<i64>((n + 1) / 2);
      if (e < 0) {
        next_e = high;
      } else {
        const i64 r = e % static_cast<i64>(n);
        next_e = r < high ? e + (high - r) : e + (static_cast<i64>(n) - r);
      }
      break;
    }
    default:  // 4, 5
      if (e < static_cast<i64>(n))
        next_e = n;
      else if (e == static_cast<i64>(n))
        next_e = n + 1;
      break;
  }
  std::optional<u64> next;
  if (next_e) next = ch.origin_tick + 1 + static_cast<u64>(*next_e);
  if (ch.reload_pending && ch.reload_tick > tick && (!next || ch.reload_tick < *next)) next = ch.reload_tick;
  return next;
}

// The 82C54 status byte (read-back command): OUT, NULL COUNT, RW1 RW0 M2 M1 M0 BCD.
u8 status_byte(const Channel& ch, const Reading& r) {
  return static_cast<u8>((r.out ? 0x80 : 0) | (r.null_count ? 0x40 : 0) | (ch.control & 0x3F));
}

// Port 0x61 (PIIX3 NMISC) bits.
namespace port_b {
constexpr u8 kTimer2Gate = 0x01;
constexpr u8 kSpeakerData = 0x02;
constexpr u8 kNmiEnables = 0x0C;  // PCI SERR# enable, IOCHK# enable
constexpr u8 kRefreshToggle = 0x10;
constexpr u8 kTimer2Out = 0x20;
}  // namespace port_b

// The refresh request that toggles port 0x61 bit 4 every 15.085 µs: channel 1 as the BIOS
// programs it (mode 2, count 18). Like QEMU we derive it from the clock, not from channel 1.
constexpr u64 kRefreshTicks = 18;

}  // namespace

Pit8254::Pit8254(Timeline& timeline) : timeline_(timeline) { reset(); }

Pit8254::~Pit8254() { timeline_.cancel(irq0_event_); }

u64 Pit8254::tick_at(u64 ns) {
  return static_cast<u64>(static_cast<unsigned __int128>(ns) * kClockHz / Timeline::kNsPerSecond);
}

u64 Pit8254::ns_of_tick(u64 tick) {
  const unsigned __int128 scaled = static_cast<unsigned __int128>(tick) * Timeline::kNsPerSecond;
  return static_cast<u64>((scaled + kClockHz - 1) / kClockHz);
}

void Pit8254::reset() {
  state_ = Pit8254State{};
  // GATE of channels 0 and 1 is tied high; channel 2's comes from port 0x61 bit 0, clear at reset.
  state_.channel[2].gate = false;
  update_irq0();
}

bool Pit8254::decodes(u16 port) const { return (port >= kChannel0 && port <= kControl) || port == kPortB; }

bool Pit8254::out(unsigned c) const {
  Channel ch = state_.channel[c % 3];
  const u64 t = now_tick();
  apply_reload(ch, t);
  return evaluate(ch, t).out;
}

u16 Pit8254::counter(unsigned c) const {
  Channel ch = state_.channel[c % 3];
  const u64 t = now_tick();
  apply_reload(ch, t);
  return encode(ch, evaluate(ch, t).count);
}

void Pit8254::catch_up(unsigned c, u64 tick) { apply_reload(state_.channel[c], tick); }

// --- Control word (82C54 datasheet, "Control Word Format") -----------------------------------

void Pit8254::write_control(u8 value) {
  const unsigned select = value >> 6;  // SC1 SC0
  if (select == 3) {
    read_back(value);
    return;
  }
  const unsigned rw = (value >> 4) & 3;  // RW1 RW0
  if (rw == 0) {
    latch_count(select);  // Counter Latch Command
    return;
  }
  Channel& ch = state_.channel[select];
  const u64 t = now_tick();
  catch_up(select, t);
  // "When a Control Word is written to a Counter, all Control Logic is immediately reset and
  // OUT goes to a known initial state." The CE keeps its value until a count is loaded.
  ch.stale_count = evaluate(ch, t).count;
  ch.control = value & 0x3F;
  const unsigned mode = (value >> 1) & 7;
  ch.mode = static_cast<u8>(mode >= 6 ? mode - 4 : mode);  // 110 and 111 are modes 2 and 3
  ch.bcd = value & 1;
  ch.stale_count %= modulus(ch);
  ch.access = static_cast<u8>(rw);
  ch.have_count = ch.started = ch.paused = ch.reload_pending = false;
  ch.null_count = true;
  ch.write_msb_next = ch.read_msb_next = false;
  ch.count_latched = ch.status_latched = false;
  if (select == 0) update_irq0();
}

void Pit8254::latch_count(unsigned c) {
  Channel& ch = state_.channel[c];
  // A second latch before the first was read is ignored (the OL keeps the first count).
  if (ch.count_latched) return;
  const u64 t = now_tick();
  catch_up(c, t);
  ch.latched_count = encode(ch, evaluate(ch, t).count);
  ch.count_latched = true;
  ch.latched_msb_next = false;
}

void Pit8254::read_back(u8 value) {
  // Read-Back Command: 1 1 COUNT# STATUS# CNT2 CNT1 CNT0 0.
  if (value & 1) GuestLog::instance().log("pit", "read-back command %02x has reserved bit 0 set", value);
  for (unsigned c = 0; c < 3; ++c) {
    if (!(value & (2u << c))) continue;
    if (!(value & 0x20)) latch_count(c);
    Channel& ch = state_.channel[c];
    if (!(value & 0x10) && !ch.status_latched) {
      const u64 t = now_tick();
      catch_up(c, t);
      ch.status_latch = status_byte(ch, evaluate(ch, t));
      ch.status_latched = true;
    }
  }
}

// --- Counts ----------------------------------------------------------------------------------

void Pit8254::write_count(unsigned c, u8 value) {
  Channel& ch = state_.channel[c];
  switch (ch.access) {
    case 1: ch.count_register = value; break;                         // LSB only
    case 2: ch.count_register = static_cast<u16>(value << 8); break;  // MSB only
    default:                                                          // LSB then MSB
      if (!ch.write_msb_next) {
        ch.write_lsb = value;
        ch.write_msb_next = true;
        if (ch.mode == 0 && ch.started) {
          // Mode 0: "writing the first byte disables counting"; OUT goes low at once.
          const u64 t = now_tick();
          ch.stale_count = evaluate(ch, t).count;
          ch.started = false;
          if (c == 0) update_irq0();
        }
        return;
      }
      ch.count_register = static_cast<u16>(ch.write_lsb | value << 8);
      ch.write_msb_next = false;
      break;
  }
  load_count(c);
}

void Pit8254::load_count(unsigned c) {
  Channel& ch = state_.channel[c];
  if (ch.bcd && !is_valid_bcd(ch.count_register))
    GuestLog::instance().log("pit", "channel %u: BCD count %04x has a digit above 9", c, ch.count_register);
  const u64 t = now_tick();
  catch_up(c, t);
  const u32 current = evaluate(ch, t).count;
  ch.have_count = true;
  ch.null_count = true;
  switch (ch.mode) {
    case 0:
    case 4:
      // A new count restarts the sequence: loaded on the next CLK (even while GATE is low,
      // which only holds the decrementing).
      ch.stale_count = current;
      ch.active_count = ch.count_register;
      ch.started = true;
      ch.reload_pending = false;
      ch.origin_tick = t;
      ch.paused = !ch.gate;
      ch.paused_edges = ch.gate ? 0 : 1;
      break;
    case 2:
    case 3: {
      if (count_value(ch, ch.count_register) == 1)
        GuestLog::instance().log("pit", "channel %u: a count of 1 is illegal in mode %u", c, ch.mode);
      if (!ch.started) {
        ch.stale_count = current;
        ch.active_count = ch.count_register;
        ch.started = true;
        ch.origin_tick = t;
        ch.paused = !ch.gate;
      } else if (!ch.paused) {
        const u64 d = edges_since_origin(ch, t);
        if (d == 0) {
          ch.active_count = ch.count_register;  // the previous count was not even loaded yet
        } else {
          // "Writing a new count while counting does not affect the current counting
          // sequence": it is loaded when the CE next reloads (the end of this cycle; on the
          // chip mode 3 reloads at the end of the current half cycle).
          const u64 n = initial_count(ch);
          const u64 cycle_end = ((d - 1) / n + 1) * n;
          ch.reload_pending = true;
          ch.reload_tick = ch.origin_tick + 1 + cycle_end;
        }
      }
      // While paused, GATE's rising edge loads CR.
      break;
    }
    default:  // 1, 5: CR waits for a GATE rising edge.
      break;
  }
  if (c == 0) update_irq0();
}

void Pit8254::set_gate(unsigned c, bool level) {
  if (c > 2) {
    GuestLog::instance().log("pit", "a GATE input for channel %u, which does not exist", c);
    return;
  }
  Channel& ch = state_.channel[c];
  if (ch.gate == level) return;
  const u64 t = now_tick();
  catch_up(c, t);
  const u32 current = evaluate(ch, t).count;
  ch.gate = level;
  switch (ch.mode) {
    case 0:
    case 4:  // GATE low holds the count; high resumes it.
      if (!ch.started) break;
      if (!level && !ch.paused) {
        ch.paused_edges = edges_since_origin(ch, t);
        ch.paused = true;
      } else if (level && ch.paused) {
        ch.origin_tick = t - ch.paused_edges;
        ch.paused = false;
      }
      break;
    case 2:
    case 3:  // GATE low stops counting (OUT high); a rising edge reloads the count.
      if (!ch.started) break;
      ch.stale_count = current;
      if (!level) {
        ch.paused = true;
      } else {
        ch.active_count = ch.count_register;
        ch.origin_tick = t;
        ch.paused = false;
      }
      ch.reload_pending = false;
      break;
    default:  // 1, 5: a rising edge (re)triggers: CR is loaded on the next CLK.
      if (level && ch.have_count) {
        ch.stale_count = current;
        ch.active_count = ch.count_register;
        ch.origin_tick = t;
        ch.started = true;
        ch.null_count = false;
      }
      break;
  }
  if (c == 0) update_irq0();
}

u8 Pit8254::read_counter(unsigned c) {
  Channel& ch = state_.channel[c];
  if (ch.status_latched) {  // a latched status byte is read before a latched count
    ch.status_latched = false;
    return ch.status_latch;
  }
  u16 value;
  bool* msb_next;
  if (ch.count_latched) {
    value = ch.latched_count;
    msb_next = &ch.latched_msb_next;
  } else {
    const u64 t = now_tick();
    catch_up(c, t);
    value = encode(ch, evaluate(ch, t).count);
    msb_next = &ch.read_msb_next;
  }
  u8 byte;
  bool done = true;
  switch (ch.access) {
    case 1: byte = static_cast<u8>(value); break;
    case 2: byte = static_cast<u8>(value >> 8); break;
    default:
      byte = static_cast<u8>(*msb_next ? value >> 8 : value);
      done = *msb_next;
      *msb_next = !*msb_next;
      break;
  }
  if (ch.count_latched && done) ch.count_latched = false;  // the OL follows the CE again
  return byte;
}

// --- Port B (0x61) ---------------------------------------------------------------------------

u8 Pit8254::read_port_b() const {
  u8 value = static_cast<u8>((state_.channel[2].gate ? port_b::kTimer2Gate : 0) |
                             (state_.speaker_data ? port_b::kSpeakerData : 0) | state_.nmi_enables);
  if ((now_tick() / kRefreshTicks) & 1) value |= port_b::kRefreshToggle;
  if (out(2)) value |= port_b::kTimer2Out;
  return value;  // bits 6-7 (IOCHK#/SERR# NMI sources): no source exists
}

void Pit8254::write_port_b(u8 value) {
  state_.speaker_data = value & port_b::kSpeakerData;
  state_.nmi_enables = value & port_b::kNmiEnables;
  set_gate(2, value & port_b::kTimer2Gate);
  // Bits 4-7 are read-only status.
}

// --- Ports -------------------------------------------------------------------------------------

u8 Pit8254::read_byte(u16 port) {
  switch (port) {
    case kPortB: return read_port_b();               // NMISC / System Control Port B
    case kControl: return 0xFF;                      // the control word register is write-only (no-op, 3-state)
    default: return read_counter(port - kChannel0);  // Counter 0, 1, 2
  }
}

void Pit8254::write_byte(u16 port, u8 value) {
  switch (port) {
    case kPortB: write_port_b(value); break;
    case kControl: write_control(value); break;  // Control Word Register
    default: write_count(port - kChannel0, value); break;
  }
}

// --- IRQ 0 ---------------------------------------------------------------------------------------

void Pit8254::update_irq0() {
  timeline_.cancel(irq0_event_);
  irq0_event_ = 0;
  const u64 t = now_tick();
  catch_up(0, t);
  const Channel& ch = state_.channel[0];
  const bool level = evaluate(ch, t).out;
  if (level != state_.irq0_level) {
    state_.irq0_level = level;
    if (irq0_) irq0_(level);
  }
  if (const std::optional<u64> next = next_out_change(ch, t))
    irq0_event_ = timeline_.schedule(ns_of_tick(*next), [this](u64 deadline) { irq0_event(deadline); });
}

void Pit8254::irq0_event(u64 deadline_ns) {
  irq0_event_ = 0;
  // Evaluate OUT at the event's own edge, not at "now": a late event must still produce the
  // one-CLK low pulse of mode 2, or IRQ 0 would lose its edge.
  const u64 t = tick_at(deadline_ns);
  catch_up(0, t);
  const Channel& ch = state_.channel[0];
  const bool level = evaluate(ch, t).out;
  if (level != state_.irq0_level) {
    state_.irq0_level = level;
    if (irq0_) irq0_(level);
  }
  if (const std::optional<u64> next = next_out_change(ch, t))
    irq0_event_ = timeline_.schedule(ns_of_tick(*next), [this](u64 deadline) { irq0_event(deadline); });
}

// --- State -------------------------------------------------------------------------------------

void Pit8254::serialize(StateVisitor& v) {
  for (unsigned c = 0; c < 3; ++c) {
    Channel& ch = state_.channel[c];
    const std::string p = "ch" + std::to_string(c) + ".";
    v.field(p + "count_register", ch.count_register);
    v.field(p + "active_count", ch.active_count);
    v.field(p + "control", ch.control);
    v.field(p + "mode", ch.mode);
    v.field(p + "bcd", ch.bcd);
    v.field(p + "access", ch.access);
    v.field(p + "gate", ch.gate);
    v.field(p + "have_count", ch.have_count);
    v.field(p + "started", ch.started);
    v.field(p + "paused", ch.paused);
    v.field(p + "origin_tick", ch.origin_tick);
    v.field(p + "paused_edges", ch.paused_edges);
    v.field(p + "stale_count", ch.stale_count);
    v.field(p + "null_count", ch.null_count);
    v.field(p + "reload_pending", ch.reload_pending);
    v.field(p + "reload_tick", ch.reload_tick);
    v.field(p + "write_msb_next", ch.write_msb_next);
    v.field(p + "write_lsb", ch.write_lsb);
    v.field(p + "read_msb_next", ch.read_msb_next);
    v.field(p + "count_latched", ch.count_latched);
    v.field(p + "latched_count", ch.latched_count);
    v.field(p + "latched_msb_next", ch.latched_msb_next);
    v.field(p + "status_latched", ch.status_latched);
    v.field(p + "status_latch", ch.status_latch);
  }
  v.field("speaker_data", state_.speaker_data);
  v.field("nmi_enables", state_.nmi_enables);
  v.field("irq0_level", state_.irq0_level);
  if (!v.loading()) return;
  for (const Channel& ch : state_.channel) {
    if (ch.mode > 5) v.reject("pit: mode out of range");
    if (ch.access < 1 || ch.access > 3) v.reject("pit: access mode out of range");
    if (((ch.control >> 4) & 3) != ch.access || (ch.control & 1) != ch.bcd || (ch.control & 0xC0))
      v.reject("pit: control byte disagrees with the decoded mode");
    if (ch.stale_count >= modulus(ch)) v.reject("pit: counter value out of range");
    if (ch.reload_pending && ch.reload_tick == 0) v.reject("pit: reload edge out of range");
  }
  if (state_.nmi_enables & ~port_b::kNmiEnables) v.reject("pit: port 0x61 has read-only bits stored");
  if (!v.ok()) {
    reset();
    return;
  }
  // Events are not saved: schedule channel 0's next OUT change from the loaded state (the
  // timeline's time is loaded first). IRQ 0 hears only a level that differs from the saved one.
  update_irq0();
}

std::string Pit8254::describe() const {
  std::string out_text;
  char line[128];
  for (unsigned c = 0; c < 3; ++c) {
    const Channel& ch = state_.channel[c];
    std::snprintf(line, sizeof line, "pit ch%u: mode %u %s count=%04x reload=%04x out=%d gate=%d%s\n", c, ch.mode,
                  ch.bcd ? "bcd" : "bin", counter(c), ch.count_register, out(c) ? 1 : 0, ch.gate ? 1 : 0,
                  ch.started ? "" : " (stopped)");
    out_text += line;
  }
  return out_text;
}

}  // namespace emu
