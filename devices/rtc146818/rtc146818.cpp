#include "devices/rtc146818/rtc146818.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

constexpr i64 kSecond = static_cast<i64>(Timeline::kNsPerSecond);
constexpr i64 kCrystalHz = 32768;
// The first update cycle begins half a second after the divider leaves reset (MC146818A
// datasheet, "Divider Stages"), then one every second.
constexpr i64 kFirstUpdateDelay = kSecond / 2;
// UIP rises this long before an update cycle (t_BUC = 244 µs, 8 cycles of 32.768 kHz). The
// update itself is instantaneous here; on the chip it takes 1984 µs with UIP still high.
constexpr i64 kUipLead = 8 * kSecond / kCrystalHz;

// Register A.
constexpr u8 kUip = 0x80;
constexpr u8 kDividerMask = 0x70;  // DV2-DV0
constexpr u8 kRateMask = 0x0F;     // RS3-RS0
// Register B.
constexpr u8 kSet = 0x80, kPie = 0x40, kAie = 0x20, kUie = 0x10, kDm = 0x04, k24h = 0x02;
// Register C: the flags sit at the same bit positions as their enables in B.
constexpr u8 kIrqf = 0x80, kPf = 0x40, kAf = 0x20, kUf = 0x10;
constexpr u8 kFlagsMask = kPf | kAf | kUf;
// Register D.
constexpr u8 kVrt = 0x80;

i64 floor_div(i64 a, i64 b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Civil calendar <-> days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithms).
i64 days_from_civil(i64 y, unsigned m, unsigned d) {
  y -= m <= 2;
  const i64 era = floor_div(y, 400);
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<i64>(doe) - 719468;
}

struct CivilTime {
  i64 year;
  unsigned month, day, hour, minute, second;
  unsigned weekday;  // 0 = Sunday
};

CivilTime to_civil(i64 seconds) {
  const i64 days = floor_div(seconds, 86400);
  const i64 in_day = seconds - days * 86400;
  const i64 z = days + 719468;
  const i64 era = floor_div(z, 146097);
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilTime t;
  t.day = doy - (153 * mp + 2) / 5 + 1;
  t.month = mp < 10 ? mp + 3 : mp - 9;
  t.year = static_cast<i64>(yoe) + era * 400 + (t.month <= 2);
  t.hour = static_cast<unsigned>(in_day / 3600);
  t.minute = static_cast<unsigned>(in_day / 60 % 60);
  t.second = static_cast<unsigned>(in_day % 60);
  t.weekday = static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  return t;
}

// Register encodings (MC146818A datasheet, "Time, Calendar and Alarm Data Modes").
u8 encode(u8 reg_b, unsigned value) {
  value %= 100;
  return static_cast<u8>((reg_b & kDm) ? value : (value / 10) << 4 | value % 10);
}
unsigned decode(u8 reg_b, u8 byte) {
  if (reg_b & kDm) return byte;
  if ((byte & 0x0F) > 9 || (byte >> 4) > 9) GuestLog::instance().log("rtc", "time register %02x is not BCD", byte);
  return (byte >> 4) * 10u + (byte & 0x0F);
}
u8 encode_hour(u8 reg_b, unsigned hour) {
  if (reg_b & k24h) return encode(reg_b, hour);
  // 12-hour mode: 1-12, bit 7 = PM.
  const unsigned h12 = hour % 12 == 0 ? 12 : hour % 12;
  return static_cast<u8>(encode(reg_b, h12) | (hour >= 12 ? 0x80 : 0));
}
unsigned decode_hour(u8 reg_b, u8 byte) {
  if (reg_b & k24h) return decode(reg_b, byte);
  return decode(reg_b, byte & 0x7F) % 12 + ((byte & 0x80) ? 12 : 0);
}

// The periodic interrupt's period for RS3-RS0 with a 32.768 kHz time base (MC146818A
// datasheet, Table "Periodic Interrupt Rate"): RS 1 and 2 repeat the rates of RS 8 and 9.
u32 rate_cycles(u8 rs) {
  if (rs == 0) return 0;
  if (rs <= 2) return 1u << (rs + 6);
  return 1u << (rs - 1);
}

}  // namespace

Rtc146818::Rtc146818(Timeline& timeline, i64 base_seconds) : timeline_(timeline) {
  // The battery-backed state a BIOS leaves: 32.768 kHz time base with 1024 Hz periodic rate
  // selected (0x26), 24-hour BCD (0x02), valid RAM and time.
  state_.cmos[rtc_reg::kA] = 0x26;
  state_.cmos[rtc_reg::kB] = k24h;
  state_.cmos[rtc_reg::kD] = kVrt;
  // The divider has been running all along: place update cycles on whole seconds of virtual
  // time, one exactly at 0, so `base_seconds` is shown from time 0.
  state_.divider_origin_ns = now() - kFirstUpdateDelay;
  state_.flags_checked_ns = now();
  set_running_time(base_seconds);
  materialize_time();
}

Rtc146818::~Rtc146818() { timeline_.cancel(event_); }

// --- Time keeping -------------------------------------------------------------------------------

bool Rtc146818::divider_running() const {
  // DV2-0 = 010 selects the 32.768 kHz time base; 000 and 001 (4.194304 and 1.048576 MHz
  // crystals) keep counting too, as in QEMU; 11x holds the divider in reset.
  return (state_.cmos[rtc_reg::kA] & kDividerMask) <= 0x20;
}

bool Rtc146818::clock_running() const { return divider_running() && !(state_.cmos[rtc_reg::kB] & kSet); }

i64 Rtc146818::updates_done(i64 t) const {
  const i64 first = state_.divider_origin_ns + kFirstUpdateDelay;
  return t < first ? 0 : (t - first) / kSecond + 1;
}

i64 Rtc146818::next_update_ns(i64 t) const {
  return state_.divider_origin_ns + kFirstUpdateDelay + updates_done(t) * kSecond;
}

u32 Rtc146818::periodic_cycles() const { return rate_cycles(state_.cmos[rtc_reg::kA] & kRateMask); }

i64 Rtc146818::periodic_ticks(i64 t) const {
  const u32 period = periodic_cycles();
  if (period == 0 || t <= state_.divider_origin_ns) return 0;
  const auto cycles = static_cast<i64>(static_cast<__int128>(t - state_.divider_origin_ns) * kCrystalHz / kSecond);
  return cycles / period;
}

bool Rtc146818::update_in_progress() const {
  if (!clock_running()) return false;
  const i64 t = now();
  return next_update_ns(t) - t <= kUipLead;
}

i64 Rtc146818::current_seconds() const {
  if (clock_running()) return state_.seconds_at_origin + updates_done(now());
  return parse_time();
}

void Rtc146818::set_running_time(i64 seconds) { state_.seconds_at_origin = seconds - updates_done(now()); }

void Rtc146818::materialize_time() {
  if (!clock_running()) return;
  const CivilTime t = to_civil(current_seconds());
  const u8 b = state_.cmos[rtc_reg::kB];
  auto& c = state_.cmos;
  c[rtc_reg::kSeconds] = encode(b, t.second);
  c[rtc_reg::kMinutes] = encode(b, t.minute);
  c[rtc_reg::kHours] = encode_hour(b, t.hour);
  c[rtc_reg::kDayOfWeek] = encode(b, t.weekday + 1);  // 1 = Sunday
  c[rtc_reg::kDayOfMonth] = encode(b, t.day);
  c[rtc_reg::kMonth] = encode(b, t.month);
  c[rtc_reg::kYear] = encode(b, static_cast<unsigned>(((t.year % 100) + 100) % 100));
  c[rtc_reg::kCentury] = encode(b, static_cast<unsigned>(std::clamp<i64>(t.year / 100, 0, 99)));
}

i64 Rtc146818::parse_time() const {
  const u8 b = state_.cmos[rtc_reg::kB];
  const auto& c = state_.cmos;
  const unsigned second = decode(b, c[rtc_reg::kSeconds]);
  const unsigned minute = decode(b, c[rtc_reg::kMinutes]);
  const unsigned hour = decode_hour(b, c[rtc_reg::kHours]);
  unsigned day = decode(b, c[rtc_reg::kDayOfMonth]);
  unsigned month = decode(b, c[rtc_reg::kMonth]);
  const unsigned yy = decode(b, c[rtc_reg::kYear]) % 100;
  const unsigned century = decode(b, c[rtc_reg::kCentury]);
  if (second > 59 || minute > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12)
    GuestLog::instance().log("rtc", "time registers hold an impossible date/time (%02x:%02x:%02x %02x/%02x)",
                             c[rtc_reg::kHours], c[rtc_reg::kMinutes], c[rtc_reg::kSeconds], c[rtc_reg::kDayOfMonth],
                             c[rtc_reg::kMonth]);
  // Out-of-range fields are carried arithmetically (Feb 30 is Mar 2), as a later update
  // cycle would leave them anyway; only month and day are pinned to something countable.
  month = std::clamp(month, 1u, 12u);
  day = std::clamp(day, 1u, 31u);
  // A century byte nobody set: the usual window (70-99 -> 19xx, 00-69 -> 20xx).
  const i64 year = (century >= 19 && century <= 99) ? century * 100 + yy : (yy >= 70 ? 1900 + yy : 2000 + yy);
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

bool Rtc146818::alarm_matches(i64 seconds) const {
  // An alarm byte of 11xxxxxx is "don't care" (MC146818A datasheet, "Alarm").
  const CivilTime t = to_civil(seconds);
  const u8 b = state_.cmos[rtc_reg::kB];
  auto matches = [](u8 alarm, u8 now) { return (alarm & 0xC0) == 0xC0 || alarm == now; };
  return matches(state_.cmos[rtc_reg::kSecondsAlarm], encode(b, t.second)) &&
         matches(state_.cmos[rtc_reg::kMinutesAlarm], encode(b, t.minute)) &&
         matches(state_.cmos[rtc_reg::kHoursAlarm], encode_hour(b, t.hour));
}

// --- Interrupts -----------------------------------------------------------------------------------

void Rtc146818::refresh_flags() {
  const i64 t = now();
  const i64 from = state_.flags_checked_ns;
  if (t <= from) return;
  u8& c = state_.cmos[rtc_reg::kC];
  if (divider_running()) {
    // PF: a periodic tick passed (set whether or not PIE enables the interrupt).
    if (periodic_cycles() && periodic_ticks(t) > periodic_ticks(from)) c |= kPf;
    if (clock_running()) {
      const i64 done_before = updates_done(from), done_now = updates_done(t);
      if (done_now > done_before) {
        c |= kUf;
        // AF: some update in the interval showed the alarm time. Alarms compare h:m:s only,
        // so the last day of updates covers every pattern.
        for (i64 j = std::max(done_before, done_now - 86400); j < done_now && !(c & kAf); ++j)
          if (alarm_matches(state_.seconds_at_origin + j + 1)) c |= kAf;
      }
    }
  }
  state_.flags_checked_ns = t;
}

void Rtc146818::update_irq() {
  // IRQF = PF·PIE + AF·AIE + UF·UIE; the IRQ pin follows it until register C is read.
  const bool level = (state_.cmos[rtc_reg::kC] & state_.cmos[rtc_reg::kB] & kFlagsMask) != 0;
  if (level == state_.irq_level) return;
  state_.irq_level = level;
  if (irq8_) irq8_(level);
}

void Rtc146818::rearm() {
  timeline_.cancel(event_);
  event_ = 0;
  // While IRQ 8 is asserted nothing can change until register C is read; the flags are
  // brought up to date lazily then.
  if (state_.irq_level || !divider_running()) return;
  const u8 b = state_.cmos[rtc_reg::kB];
  const i64 t = now();
  i64 next = INT64_MAX;
  if ((b & kPie) && periodic_cycles()) {
    const i64 k = periodic_ticks(t) + 1;
    const auto cycles = static_cast<__int128>(k) * periodic_cycles();
    next = state_.divider_origin_ns + static_cast<i64>((cycles * kSecond + kCrystalHz - 1) / kCrystalHz);
  }
  if ((b & (kUie | kAie)) && clock_running()) next = std::min(next, next_update_ns(t));
  if (next == INT64_MAX) return;
  event_ = timeline_.schedule(static_cast<u64>(std::max<i64>(next, 0)), [this](u64) {
    event_ = 0;
    refresh_flags();
    update_irq();
    rearm();
  });
}

// --- Registers ----------------------------------------------------------------------------------

u8 Rtc146818::read_register(u8 index) {
  switch (index) {
    case rtc_reg::kSeconds:
    case rtc_reg::kMinutes:
    case rtc_reg::kHours:
    case rtc_reg::kDayOfWeek:
    case rtc_reg::kDayOfMonth:
    case rtc_reg::kMonth:
    case rtc_reg::kYear:
    case rtc_reg::kCentury: materialize_time(); return state_.cmos[index];
    case rtc_reg::kA:  // Register A: UIP is computed from the update schedule
      return static_cast<u8>(state_.cmos[rtc_reg::kA] | (update_in_progress() ? kUip : 0));
    case rtc_reg::kC: {  // Register C: reading clears every flag and IRQF
      refresh_flags();
      const u8 flags = state_.cmos[rtc_reg::kC] & kFlagsMask;
      const u8 value = static_cast<u8>(flags | (state_.irq_level ? kIrqf : 0));
      state_.cmos[rtc_reg::kC] = 0;
      update_irq();
      rearm();
      return value;
    }
    case rtc_reg::kD: return kVrt;  // Register D: VRT, the battery is good
    default: return state_.cmos[index];
  }
}

void Rtc146818::write_register(u8 index, u8 value) {
  refresh_flags();  // flags up to now belong to the old settings
  switch (index) {
    case rtc_reg::kSeconds:
    case rtc_reg::kMinutes:
    case rtc_reg::kHours:
    case rtc_reg::kDayOfWeek:
    case rtc_reg::kDayOfMonth:
    case rtc_reg::kMonth:
    case rtc_reg::kYear:
    case rtc_reg::kCentury:
      // A write while the clock runs changes that field of the current time; the others keep
      // counting. (The day of week is derived from the date while the clock runs.)
      if (clock_running()) {
        materialize_time();
        state_.cmos[index] = value;
        set_running_time(parse_time());
      } else {
        state_.cmos[index] = value;
      }
      break;
    case rtc_reg::kA: {  // Register A: UIP is read-only
      const bool was_dividing = divider_running();
      materialize_time();
      const u8 dv = value & kDividerMask;
      if (dv == 0x00 || dv == 0x10)
        GuestLog::instance().log("rtc", "register A selects a %s time base; the PC's crystal is 32.768 kHz",
                                 dv ? "1.048576 MHz" : "4.194304 MHz");
      else if (dv == 0x30)
        GuestLog::instance().log("rtc", "register A selects the undefined divider setting 011");
      state_.cmos[rtc_reg::kA] = value & ~kUip;
      if (!was_dividing && divider_running()) {
        // Out of reset: the first update comes half a second from now; the time continues
        // from the registers.
        state_.divider_origin_ns = now();
        state_.flags_checked_ns = now();
        if (clock_running()) set_running_time(parse_time());
      }
      break;
    }
    case rtc_reg::kB: {  // Register B
      const bool was_running = clock_running();
      materialize_time();
      // "UIE is cleared by the SET bit going high" (MC146818A datasheet, register B).
      if (value & kSet) value &= ~kUie;
      state_.cmos[rtc_reg::kB] = value;
      if (!was_running && clock_running()) set_running_time(parse_time());  // SET released
      break;
    }
    case rtc_reg::kC:
    case rtc_reg::kD:
      GuestLog::instance().log("rtc", "write %02x to read-only register %c", value, 'A' + index - 10);
      break;
    default: state_.cmos[index] = value; break;  // alarms and RAM
  }
  update_irq();
  rearm();
}

void Rtc146818::set_cmos(u8 index, u8 value) {
  index &= 0x7F;
  if (index <= rtc_reg::kD)
    write_register(index, value);
  else
    state_.cmos[index] = value;
}

u8 Rtc146818::read_byte(u16 port) {
  // Port 0x70 is write-only on the PC (PIIX3 RTCI): reads float.
  if (port == kIndexPort) return 0xFF;
  return read_register(state_.index);
}

void Rtc146818::write_byte(u16 port, u8 value) {
  if (port == kIndexPort) {
    // Port 0x70: bit 7 disables NMI (PIIX3 "NMI Enable"), bits 6-0 select the CMOS byte.
    state_.nmi_disabled = value & 0x80;
    state_.index = value & 0x7F;
    return;
  }
  write_register(state_.index, value);
}

// --- State ----------------------------------------------------------------------------------------

void Rtc146818::serialize(StateVisitor& v) {
  v.bytes("cmos", state_.cmos);
  v.field("index", state_.index);
  v.field("nmi_disabled", state_.nmi_disabled);
  v.field("divider_origin_ns", state_.divider_origin_ns);
  v.field("seconds_at_origin", state_.seconds_at_origin);
  v.field("flags_checked_ns", state_.flags_checked_ns);
  v.field("irq_level", state_.irq_level);
  if (!v.loading()) return;
  if (state_.index > 0x7F) v.reject("rtc: CMOS index out of range");
  if (state_.cmos[rtc_reg::kA] & kUip) v.reject("rtc: register A holds UIP");
  if (state_.cmos[rtc_reg::kC] & ~kFlagsMask) v.reject("rtc: register C holds bits other than flags");
  if (state_.flags_checked_ns > now()) v.reject("rtc: flags accounted beyond the current time");
  if (!v.ok()) return;
  // Events are not saved: arm the next one from the loaded registers (the timeline is loaded
  // first). IRQ 8 hears only a level that differs from the saved one.
  update_irq();
  rearm();
}

std::string Rtc146818::describe() const {
  const CivilTime t = to_civil(current_seconds());
  char text[192];
  std::snprintf(
      text, sizeof text, "rtc: %04lld-%02u-%02u %02u:%02u:%02u%s  A=%02x B=%02x C=%02x  index=%02x nmi=%s irq8=%d\n",
      static_cast<long long>(t.year), t.month, t.day, t.hour, t.minute, t.second, clock_running() ? "" : " (stopped)",
      state_.cmos[rtc_reg::kA], state_.cmos[rtc_reg::kB], state_.cmos[rtc_reg::kC], state_.index,
      state_.nmi_disabled ? "masked" : "enabled", state_.irq_level ? 1 : 0);
  return text;
}

// --- Configuration helpers ------------------------------------------------------------------------

std::optional<i64> resolve_rtc_base(std::string_view option, bool deterministic) {
  const i64 host_utc = static_cast<i64>(std::time(nullptr));
  if (option.empty()) return deterministic ? kDeterministicRtcBase : host_utc;
  if (option == "utc") return host_utc;
  if (option == "localtime") {
    const std::time_t now = static_cast<std::time_t>(host_utc);
    std::tm local{};
    if (!localtime_r(&now, &local)) return host_utc;
    return host_utc + local.tm_gmtoff;
  }
  // QEMU's date forms: 2006-06-17 or 2006-06-17T16:01:21.
  const std::string text(option);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, used = 0;
  if (text.size() == 10) {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || used != 10) return std::nullopt;
  } else if (text.size() == 19) {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second, &used) !=
            6 ||
        used != 19)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 59)
    return std::nullopt;
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 + hour * 3600 +
         minute * 60 + second;
}

void fill_pc_cmos(Rtc146818& rtc, const PcCmosConfig& config) {
  using namespace rtc_reg;
  const u64 kib = config.ram_bytes / 1024;
  // 0x15-0x16: base memory in KiB (conventional memory below the EBDA and video RAM).
  rtc.set_cmos(kBaseMemoryLow, 640 & 0xFF);
  rtc.set_cmos(kBaseMemoryHigh, 640 >> 8);
  // 0x17-0x18 and its copy 0x30-0x31: KiB above 1 MiB, saturating at 65535 (64 MiB).
  const u64 extended = std::min<u64>(kib > 1024 ? kib - 1024 : 0, 0xFFFF);
  rtc.set_cmos(kExtendedMemoryLow, static_cast<u8>(extended));
  rtc.set_cmos(kExtendedMemoryHigh, static_cast<u8>(extended >> 8));
  rtc.set_cmos(kExtendedMemoryLow2, static_cast<u8>(extended));
  rtc.set_cmos(kExtendedMemoryHigh2, static_cast<u8>(extended >> 8));
  // 0x34-0x35: memory above 16 MiB in 64 KiB blocks (QEMU's convention, read by SeaBIOS).
  const u64 above_16m =
      config.ram_bytes > (16u << 20) ? std::min<u64>((config.ram_bytes - (16u << 20)) >> 16, 0xFFFF) : 0;
  rtc.set_cmos(kMemoryAbove16MLow, static_cast<u8>(above_16m));
  rtc.set_cmos(kMemoryAbove16MHigh, static_cast<u8>(above_16m >> 8));
  for (u8 k = 0; k < 3; ++k) rtc.set_cmos(kMemoryAbove4G + k, 0);  // this machine has none
  rtc.set_cmos(kCpuCountMinus1, static_cast<u8>(std::max(config.cpus, 1u) - 1));
  // 0x10: diskette types (high nibble drive A); 0x12: fixed disk types (0: described by the
  // BIOS's own probe, as on every machine since the AT's table ran out).
  rtc.set_cmos(kFloppyTypes, static_cast<u8>(config.floppy_a_type << 4));
  rtc.set_cmos(kDiskTypes, 0);
  // 0x14: equipment byte — bit 0 diskette present, bit 1 math coprocessor, bit 2 PS/2 pointing
  // device, bits 5-4 primary display (00 = EGA/VGA), bits 7-6 diskette drives - 1.
  u8 equipment = 0;
  if (config.floppy_a_type) equipment |= 0x01;
  if (config.fpu) equipment |= 0x02;
  if (config.ps2_mouse) equipment |= 0x04;
  rtc.set_cmos(kEquipment, equipment);
  // Boot order (SeaBIOS/QEMU): 1 floppy, 2 hard disk, 3 CD-ROM, 4 network; first two in 0x3D,
  // the third in the high nibble of 0x38.
  u8 codes[3] = {0, 0, 0};
  unsigned count = 0;
  for (char letter : config.boot_order) {
    u8 code = 0;
    switch (letter) {
      case 'a': code = 1; break;
      case 'c': code = 2; break;
      case 'd': code = 3; break;
      case 'n': code = 4; break;
      default: break;
    }
    if (code && count < 3) codes[count++] = code;
  }
  rtc.set_cmos(kBootOrder12, static_cast<u8>(codes[0] | codes[1] << 4));
  rtc.set_cmos(kBootOrder3, static_cast<u8>(codes[2] << 4));
  // 0x2E-0x2F: the AT BIOS checksum, the 16-bit sum of bytes 0x10-0x2D, high byte first.
  u16 sum = 0;
  for (u8 k = 0x10; k <= 0x2D; ++k) sum = static_cast<u16>(sum + rtc.cmos(k));
  rtc.set_cmos(kChecksumHigh, static_cast<u8>(sum >> 8));
  rtc.set_cmos(kChecksumLow, static_cast<u8>(sum));
}

}  // namespace emu
