#include "devices/uart16550/uart16550.h"

#include <algorithm>
#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

// Register offsets from the base port (PC16550D datasheet, Table II).
constexpr u16 kRbrThrDll = 0, kIerDlm = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7;

// IER.
constexpr u8 kErbfi = 0x01, kEtbei = 0x02, kElsi = 0x04, kEdssi = 0x08;
// IIR interrupt identification (bits 3-0), Table IV, highest priority first.
constexpr u8 kIirNone = 0x01;
constexpr u8 kIirLineStatus = 0x06;
constexpr u8 kIirRxData = 0x04;
constexpr u8 kIirTimeout = 0x0C;
constexpr u8 kIirThre = 0x02;
constexpr u8 kIirModemStatus = 0x00;
constexpr u8 kIirFifosEnabled = 0xC0;
// FCR.
constexpr u8 kFifoEnable = 0x01, kRxFifoReset = 0x02, kTxFifoReset = 0x04, kDmaMode = 0x08, kTriggerMask = 0xC0;
// LCR.
constexpr u8 kDlab = 0x80;
// MCR.
constexpr u8 kDtr = 0x01, kRts = 0x02, kOut1 = 0x04, kOut2 = 0x08, kLoop = 0x10, kMcrMask = 0x1F;
// LSR.
constexpr u8 kDr = 0x01, kOe = 0x02, kPe = 0x04, kFe = 0x08, kBi = 0x10, kThre = 0x20, kTemt = 0x40,
             kRxFifoError = 0x80;
constexpr u8 kLineErrors = kOe | kPe | kFe | kBi;
// MSR.
constexpr u8 kDcts = 0x01, kDdsr = 0x02, kTeri = 0x04, kDdcd = 0x08;
constexpr u8 kCts = 0x10, kDsr = 0x20, kRi = 0x40, kDcd = 0x80;

}  // namespace

Uart16550::Uart16550(Timeline& timeline, u16 base, unsigned irq) : timeline_(timeline), base_(base), irq_(irq) {
  reset();
}

Uart16550::~Uart16550() { timeline_.cancel(event_); }

void Uart16550::reset() {
  // PC16550D datasheet, Table III ("UART Reset Configuration"): IER, IIR, FCR, LCR, MCR cleared,
  // LSR = THRE | TEMT, MSR deltas cleared; the divisor and scratch keep their values.
  const u16 divisor = state_.divisor;
  const u8 scr = state_.scr, external = state_.external_lines;
  state_ = Uart16550State{};
  state_.divisor = divisor;
  state_.scr = scr;
  state_.external_lines = external;
  state_.modem_lines = external;
  state_.rx_activity_ns = timeline_.now();
  update_irq();
  rearm();
}

u64 Uart16550::character_time_ns() const {
  // A line that ends in a host terminal, file or socket has no baud rate: characters leave at
  // once (kFastCharacterNs, so THRE and the timeouts still follow each other in order), as in
  // QEMU. Otherwise the line runs at the programmed speed.
  if (!paced_) return kFastCharacterNs;
  // One frame: a start bit, 5-8 data bits, an optional parity bit and 1, 1.5 or 2 stop bits
  // (LCR.STB: 1.5 with 5-bit words, else 2), counted in half bits; each bit lasts 16 clocks of
  // the baud generator, which divides the 1.8432 MHz crystal by the divisor.
  const unsigned data_bits = 5 + (state_.lcr & 3);
  const unsigned parity = (state_.lcr & 0x08) ? 1 : 0;
  const unsigned stop_half_bits = (state_.lcr & 0x04) ? (data_bits == 5 ? 3 : 4) : 2;
  const u64 half_bits = 2 * (1 + data_bits + parity) + stop_half_bits;
  const u64 divisor = state_.divisor ? state_.divisor : 65536;
  return half_bits * divisor * 16 * Timeline::kNsPerSecond / (2 * kClockHz);
}

unsigned Uart16550::rx_trigger() const {
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};  // FCR bits 7-6
  return fifo_enabled() ? kLevels[state_.fcr >> 6] : 1;
}

bool Uart16550::character_timeout() const {
  // "No characters have been removed from or input to the RX FIFO during the last 4 character
  // times and there is at least 1 character in it" (FIFO mode only).
  return fifo_enabled() && state_.rx_count > 0 && timeline_.now() >= state_.rx_activity_ns + 4 * character_time_ns();
}

bool Uart16550::line_status_interrupt() const {
  // OE, or an error bit of the character at the top of the FIFO.
  return (state_.lsr_sticky & kOe) || (state_.rx_count && state_.rx_errors[state_.rx_head]);
}

u8 Uart16550::interrupt_id() const {
  const u8 ier = state_.ier;
  if ((ier & kElsi) && line_status_interrupt()) return kIirLineStatus;
  if ((ier & kErbfi) && state_.rx_count >= rx_trigger()) return kIirRxData;
  if ((ier & kErbfi) && character_timeout()) return kIirTimeout;
  if ((ier & kEtbei) && state_.thr_interrupt) return kIirThre;
  if ((ier & kEdssi) && state_.msr_deltas) return kIirModemStatus;
  return kIirNone;
}

void Uart16550::update_irq() {
  const bool level = interrupt_id() != kIirNone && (state_.mcr & kOut2) && !loopback();
  if (level == state_.irq_level) return;
  state_.irq_level = level;
  if (irq_out_) irq_out_(level);
}

void Uart16550::rearm() {
  timeline_.cancel(event_);
  event_ = 0;
  u64 next = UINT64_MAX;
  if (state_.tsr_busy) next = state_.tsr_done_ns;
  if (state_.thre_delayed) next = std::min(next, state_.thre_visible_ns);
  if (fifo_enabled() && state_.rx_count > 0 && (state_.ier & kErbfi) && !character_timeout())
    next = std::min(next, state_.rx_activity_ns + 4 * character_time_ns());
  if (next == UINT64_MAX) return;
  event_ = timeline_.schedule(next, [this](u64) {
    event_ = 0;
    catch_up();
    update_irq();
    rearm();
  });
}

// --- Transmitter ------------------------------------------------------------------------------

void Uart16550::start_transmit(u64 start_ns) {
  // THR/FIFO -> TSR. THRE rises when the holding side is empty: the THRE interrupt.
  state_.tsr = state_.tx[state_.tx_head];
  state_.tx_head = (state_.tx_head + 1) % kFifoSize;
  --state_.tx_count;
  state_.tsr_busy = true;
  state_.tsr_done_ns = start_ns + character_time_ns();
  if (state_.tx_count != 0) return;
  if (fifo_enabled() && !state_.tx_fifo_held_two) {
    // Delayed by one character time minus the last stop bit (one bit: 16 baud clocks).
    const u64 divisor = state_.divisor ? state_.divisor : 65536;
    const u64 bit_ns = 16 * divisor * Timeline::kNsPerSecond / kClockHz;
    state_.thre_delayed = true;
    state_.thre_visible_ns = start_ns + character_time_ns() - bit_ns;
  } else {
    set_thre();
  }
}

void Uart16550::set_thre() {
  state_.thre_delayed = false;
  state_.tx_fifo_held_two = false;
  state_.thr_interrupt = true;
}

void Uart16550::catch_up() {
  const u64 now = timeline_.now();
  while ((state_.tsr_busy && state_.tsr_done_ns <= now) || (state_.thre_delayed && state_.thre_visible_ns <= now)) {
    // Whichever comes first: the delayed THRE, or the end of the character in the TSR.
    if (state_.thre_delayed && (!state_.tsr_busy || state_.thre_visible_ns <= state_.tsr_done_ns)) {
      set_thre();
      continue;
    }
    const u8 byte = state_.tsr;
    const u64 done = state_.tsr_done_ns;
    state_.tsr_busy = false;
    // Back-to-back characters: the next starts when this one's stop bit ends.
    if (state_.tx_count) start_transmit(done);
    if (loopback()) {
      // Diagnostic mode: the TSR output feeds the receiver; the TX pin stays marking.
      rx_push(byte, 0);
      state_.rx_activity_ns = done;
    } else if (backend_) {
      backend_->transmit(byte);
    }
  }
}

void Uart16550::write_thr(u8 value) {
  state_.thr_interrupt = false;  // writing THR clears the THRE interrupt
  if (state_.tx_count >= fifo_capacity()) {
    GuestLog::instance().log("uart", "%03x: THR written while the transmitter FIFO is full; byte lost", base_);
    return;
  }
  state_.tx[(state_.tx_head + state_.tx_count) % kFifoSize] = value;
  ++state_.tx_count;
  state_.thre_delayed = false;  // not empty any more
  if (state_.tx_count >= 2) state_.tx_fifo_held_two = true;
  if (!state_.tsr_busy) start_transmit(timeline_.now());
}

// --- Receiver ---------------------------------------------------------------------------------

void Uart16550::rx_push(u8 byte, u8 errors) {
  if (state_.rx_count >= fifo_capacity()) {
    // Overrun (LSR.OE). FIFO mode: the character in the shift register is lost and the FIFO
    // kept; 16450 mode: the new character overwrites RBR.
    state_.lsr_sticky |= kOe;
    if (!fifo_enabled()) {
      state_.rx[state_.rx_head] = byte;
      state_.rx_errors[state_.rx_head] = errors;
    }
    return;
  }
  const unsigned slot = (state_.rx_head + state_.rx_count) % kFifoSize;
  state_.rx[slot] = byte;
  state_.rx_errors[slot] = errors;
  ++state_.rx_count;
  state_.rx_activity_ns = timeline_.now();
}

void Uart16550::clear_rx() {
  state_.rx_head = state_.rx_count = 0;
  state_.rx_errors.fill(0);
  state_.rx_activity_ns = timeline_.now();
}

unsigned Uart16550::rx_space() const {
  if (loopback()) return 0;
  return fifo_capacity() - std::min<unsigned>(state_.rx_count, fifo_capacity());
}

bool Uart16550::receive(u8 byte) {
  if (loopback()) return false;  // the RX pin is disconnected in diagnostic mode
  catch_up();
  rx_push(byte, 0);
  update_irq();
  rearm();
  return true;
}

void Uart16550::receive_break() {
  if (loopback()) return;
  catch_up();
  rx_push(0, kBi);
  update_irq();
  rearm();
}

u8 Uart16550::read_rbr() {
  // An empty RBR still holds the last character received.
  if (state_.rx_count == 0) return state_.rx[(state_.rx_head + kFifoSize - 1) % kFifoSize];
  const u8 byte = state_.rx[state_.rx_head];
  state_.rx_errors[state_.rx_head] = 0;
  state_.rx_head = (state_.rx_head + 1) % kFifoSize;
  --state_.rx_count;
  state_.rx_activity_ns = timeline_.now();  // reading resets the character timeout
  return byte;
}

u8 Uart16550::read_lsr() {
  u8 value = state_.lsr_sticky;
  if (state_.rx_count) {
    value |= kDr | state_.rx_errors[state_.rx_head];
    // LSR bit 7 (FIFO mode): some character in the FIFO has a PE, FE or BI.
    if (fifo_enabled())
      for (unsigned k = 0; k < state_.rx_count; ++k)
        if (state_.rx_errors[(state_.rx_head + k) % kFifoSize]) value |= kRxFifoError;
  }
  if (thre()) value |= kThre;
  if (state_.tx_count == 0 && !state_.tsr_busy) value |= kTemt;
  // Reading LSR clears OE and the top character's error bits (they have been reported).
  state_.lsr_sticky = 0;
  if (state_.rx_count) state_.rx_errors[state_.rx_head] = 0;
  return value;
}

// --- Modem lines ----------------------------------------------------------------------------------

void Uart16550::set_modem_lines(u8 lines) {
  const u8 changed = lines ^ state_.modem_lines;
  if (changed & kCts) state_.msr_deltas |= kDcts;
  if (changed & kDsr) state_.msr_deltas |= kDdsr;
  if ((changed & kRi) && !(lines & kRi)) state_.msr_deltas |= kTeri;  // trailing edge of RI
  if (changed & kDcd) state_.msr_deltas |= kDdcd;
  state_.modem_lines = lines;
}

void Uart16550::set_modem_inputs(bool cts, bool dsr, bool ri, bool dcd) {
  state_.external_lines = static_cast<u8>((cts ? kCts : 0) | (dsr ? kDsr : 0) | (ri ? kRi : 0) | (dcd ? kDcd : 0));
  if (!loopback()) set_modem_lines(state_.external_lines);
  update_irq();
}

void Uart16550::write_mcr(u8 value) {
  if (value & ~kMcrMask) GuestLog::instance().log("uart", "%03x: MCR write %02x sets reserved bits", base_, value);
  state_.mcr = value & kMcrMask;
  if (loopback()) {
    // Diagnostic mode: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD.
    const u8 mcr = state_.mcr;
    set_modem_lines(static_cast<u8>(((mcr & kRts) ? kCts : 0) | ((mcr & kDtr) ? kDsr : 0) | ((mcr & kOut1) ? kRi : 0) |
                                    ((mcr & kOut2) ? kDcd : 0)));
  } else {
    set_modem_lines(state_.external_lines);
    if (backend_) backend_->modem_control(state_.mcr & kDtr, state_.mcr & kRts);
  }
}

// --- Other registers --------------------------------------------------------------------------------

void Uart16550::write_ier(u8 value) {
  const u8 enabling = static_cast<u8>(value & ~state_.ier);
  state_.ier = value & 0x0F;  // bits 4-7 are always 0 on the 16550
  // Enabling ETBEI while THR is empty raises the THRE interrupt at once; Linux checks this
  // (the UART_BUG_TXEN test in serial8250_do_startup).
  if ((enabling & kEtbei) && thre()) state_.thr_interrupt = true;
}

void Uart16550::write_fcr(u8 value) {
  const bool was_enabled = fifo_enabled();
  if (!(value & kFifoEnable)) {
    // FIFOs off (16450 mode): both FIFOs are cleared; the other bits cannot be programmed.
    state_.fcr = 0;
    if (was_enabled) {
      clear_rx();
      state_.tx_head = state_.tx_count = 0;
      state_.thre_delayed = false;
    }
    return;
  }
  // Bits 5-4 are reserved on the 16550A (Linux writes bit 5 while probing for a 16750).
  state_.fcr = value & (kFifoEnable | kDmaMode | kTriggerMask);
  if (!was_enabled || (value & kRxFifoReset)) clear_rx();
  if (!was_enabled || (value & kTxFifoReset)) {
    // Emptying the transmitter FIFO makes THR empty, as sending its last byte would.
    if (state_.tx_count || state_.thre_delayed) set_thre();
    state_.tx_head = state_.tx_count = 0;
  }
}

u8 Uart16550::read_byte(u16 port) {
  catch_up();
  const u16 offset = static_cast<u16>(port - base_) & 7;
  const bool dlab = state_.lcr & kDlab;
  u8 value = 0;
  switch (offset) {
    case kRbrThrDll: value = dlab ? static_cast<u8>(state_.divisor) : read_rbr(); break;    // DLL / RBR
    case kIerDlm: value = dlab ? static_cast<u8>(state_.divisor >> 8) : state_.ier; break;  // DLM / IER
    case kIirFcr: {                                                                         // IIR
      const u8 id = interrupt_id();
      value = static_cast<u8>(id | (fifo_enabled() ? kIirFifosEnabled : 0));
      if (id == kIirThre) state_.thr_interrupt = false;  // reading IIR clears a THRE interrupt
      break;
    }
    case kLcr: value = state_.lcr; break;  // LCR
    case kMcr: value = state_.mcr; break;  // MCR
    case kLsr: value = read_lsr(); break;  // LSR
    case kMsr:                             // MSR: reading clears the deltas
      value = static_cast<u8>(state_.modem_lines | state_.msr_deltas);
      state_.msr_deltas = 0;
      break;
    default: value = state_.scr; break;  // SCR
  }
  update_irq();
  rearm();
  return value;
}

void Uart16550::write_byte(u16 port, u8 value) {
  catch_up();
  const u16 offset = static_cast<u16>(port - base_) & 7;
  const bool dlab = state_.lcr & kDlab;
  switch (offset) {
    case kRbrThrDll:  // DLL / THR
      if (dlab)
        state_.divisor = static_cast<u16>((state_.divisor & 0xFF00) | value);
      else
        write_thr(value);
      break;
    case kIerDlm:  // DLM / IER
      if (dlab)
        state_.divisor = static_cast<u16>((state_.divisor & 0x00FF) | value << 8);
      else
        write_ier(value);
      break;
    case kIirFcr: write_fcr(value); break;  // FCR
    case kLcr: state_.lcr = value; break;   // LCR
    case kMcr: write_mcr(value); break;     // MCR
    case kLsr:
    case kMsr:  // LSR and MSR are read-only here (factory test writes)
      GuestLog::instance().log("uart", "%03x: write %02x to read-only %s", base_, value,
                               offset == kLsr ? "LSR" : "MSR");
      break;
    default: state_.scr = value; break;  // SCR
  }
  if (dlab && offset <= kIerDlm && state_.divisor == 0)
    GuestLog::instance().log("uart", "%03x: divisor 0 programmed; counting it as 65536", base_);
  update_irq();
  rearm();
}

// --- State ------------------------------------------------------------------------------------------

void Uart16550::serialize(StateVisitor& v) {
  if (!v.loading()) catch_up();
  v.field("ier", state_.ier);
  v.field("lcr", state_.lcr);
  v.field("mcr", state_.mcr);
  v.field("fcr", state_.fcr);
  v.field("scr", state_.scr);
  v.field("divisor", state_.divisor);
  v.field("lsr_sticky", state_.lsr_sticky);
  v.field("msr_deltas", state_.msr_deltas);
  v.field("modem_lines", state_.modem_lines);
  v.field("external_lines", state_.external_lines);
  v.field("rx", state_.rx);
  v.field("rx_errors", state_.rx_errors);
  v.field("rx_head", state_.rx_head);
  v.field("rx_count", state_.rx_count);
  v.field("rx_activity_ns", state_.rx_activity_ns);
  v.field("tx", state_.tx);
  v.field("tx_head", state_.tx_head);
  v.field("tx_count", state_.tx_count);
  v.field("tsr_busy", state_.tsr_busy);
  v.field("tsr", state_.tsr);
  v.field("tsr_done_ns", state_.tsr_done_ns);
  v.field("thr_interrupt", state_.thr_interrupt);
  v.field("tx_fifo_held_two", state_.tx_fifo_held_two);
  v.field("thre_delayed", state_.thre_delayed);
  v.field("thre_visible_ns", state_.thre_visible_ns);
  v.field("irq_level", state_.irq_level);
  if (!v.loading()) return;
  if (state_.ier & ~0x0F) v.reject("uart: IER has bits the 16550 does not have");
  if (state_.mcr & ~kMcrMask) v.reject("uart: MCR has reserved bits");
  if (state_.fcr & ~(kFifoEnable | kDmaMode | kTriggerMask)) v.reject("uart: FCR has reserved bits");
  if (state_.rx_head >= kFifoSize || state_.tx_head >= kFifoSize) v.reject("uart: FIFO position out of range");
  if (state_.rx_count > fifo_capacity() || state_.tx_count > fifo_capacity()) v.reject("uart: FIFO count out of range");
  if (state_.thre_delayed && (state_.tx_count || !fifo_enabled())) v.reject("uart: delayed THRE with a non-empty FIFO");
  if ((state_.lsr_sticky & ~kOe) || (state_.msr_deltas & 0xF0) || (state_.modem_lines & 0x0F) ||
      (state_.external_lines & 0x0F))
    v.reject("uart: LSR/MSR state has impossible bits");
  for (u8 e : state_.rx_errors)
    if (e & ~kLineErrors) v.reject("uart: receiver error bits out of range");
  if (!v.ok()) {
    reset();
    return;
  }
  // Events are not saved: arm the next from the loaded state (the timeline is loaded first).
  update_irq();
  rearm();
}

std::string Uart16550::describe() const {
  char text[200];
  std::snprintf(text, sizeof text,
                "uart %03x irq %u: ier=%02x iir=%02x lcr=%02x mcr=%02x divisor=%u rx=%u tx=%u%s fifo=%s irq=%d\n",
                base_, irq_, state_.ier, interrupt_id(), state_.lcr, state_.mcr, state_.divisor, state_.rx_count,
                state_.tx_count, state_.tsr_busy ? "+tsr" : "", fifo_enabled() ? "on" : "off",
                state_.irq_level ? 1 : 0);
  return text;
}

}  // namespace emu
