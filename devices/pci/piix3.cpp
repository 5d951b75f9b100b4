#include "devices/pci/piix3.h"

#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

PciIdentity identity() {
  PciIdentity id;
  id.vendor_id = Piix3IsaBridge::kVendorIntel;
  id.device_id = Piix3IsaBridge::kDeviceId;
  id.revision = 0x00;
  id.class_code = Piix3IsaBridge::kClassIsaBridge;
  id.multi_function = true;
  return id;
}

constexpr u8 kPirqIrqMask = 0x0F;
constexpr u8 kPirqReserved = 0x70;

}  // namespace

Piix3IsaBridge::Piix3IsaBridge() : PciFunction("piix3", identity()) {
  // PCICMD: the bridge always decodes I/O and memory and always masters (bits 2:0 = 1);
  // Special Cycle Enable (bit 3) is read/write.
  define_register(kCommand, 2, kCommandIo | kCommandMemory | kCommandBusMaster, kCommandSpecialCycles);
  define_register(kStatus, 2, kStatusDevselMedium, 0,
                  kStatusSignaledTargetAbort | kStatusReceivedTargetAbort | kStatusReceivedMasterAbort);
  define_register(0x4C, 1, 0x4D, 0x7F);       // IORT: ISA I/O recovery timer (bit 7 reserved)
  define_register(kXbcs, 2, 0x0003, 0x01F7);  // XBCS: X-Bus chip selects (bits 15:9, 3 reserved)
  for (unsigned p = 0; p < kPirqLines; ++p)   // PIRQRC[A:D]
    define_register(static_cast<u8>(kPirqrc + p), 1, kPirqDisable, kPirqDisable | kPirqIrqMask);
  define_register(kTom, 1, 0x02, 0xFE);      // TOM: top of memory, bit 0 reserved
  define_register(0x70, 1, 0x80, 0xEF);      // MBIRQ0: motherboard IRQ route (no MIRQ pin here)
  define_register(0x76, 1, 0x0C, 0x87);      // MBDMA0: motherboard DMA (type F) routing
  define_register(0x77, 1, 0x0C, 0x87);      // MBDMA1
  define_register(0x78, 2, 0x0002, 0xFFFF);  // PCSC: programmable chip select
  define_register(0x80, 1, 0x00, 0x7F);      // APICBASE
  define_register(0x82, 1, 0x00, 0x0F);      // DLC: deterministic latency control
  define_register(0xA0, 1, 0x08, 0x1F);      // SMICNTL
  define_register(0xA2, 2, 0x0000, 0x00FF);  // SMIEN
  define_register(0xA4, 4, 0, 0xFFFFFFFFu);  // SEE: system event enable
  define_register(0xA8, 1, 0x0F, 0xFF);      // FTMR: fast-off timer
  define_register(0xAA, 2, 0x0000, 0x00FF);  // SMIREQ
  define_register(0xAC, 1, 0x00, 0xFF);      // CTLTMR: clock throttle low timer
  define_register(0xAE, 1, 0x00, 0xFF);      // CTHTMR: clock throttle high timer
}

std::optional<unsigned> Piix3IsaBridge::pirq_route(unsigned pirq) const {
  if (pirq >= kPirqLines) return std::nullopt;
  const u8 v = config8(static_cast<u8>(kPirqrc + pirq));
  if (v & kPirqDisable) return std::nullopt;
  const unsigned irq = v & kPirqIrqMask;
  if (!(kRoutableIrqs & (1u << irq))) return std::nullopt;
  return irq;
}

void Piix3IsaBridge::update_irqs(bool notify) {
  u16 levels = 0;
  for (unsigned p = 0; p < kPirqLines; ++p)
    if (pirq_levels_[p])
      if (const std::optional<unsigned> irq = pirq_route(p)) levels |= static_cast<u16>(1u << *irq);
  const u16 changed = levels ^ irq_levels_;
  irq_levels_ = levels;
  if (!notify || !isa_irq_) return;
  // Lines that drop first, then lines that rise, so a PIRQ moved between two IRQs never leaves
  // both asserted at once.
  for (unsigned irq = 0; irq < 16; ++irq)
    if ((changed & (1u << irq)) && !(levels & (1u << irq))) isa_irq_(irq, false);
  for (unsigned irq = 0; irq < 16; ++irq)
    if ((changed & (1u << irq)) && (levels & (1u << irq))) isa_irq_(irq, true);
}

void Piix3IsaBridge::set_pirq_level(unsigned pirq, bool level) {
  if (pirq >= kPirqLines) return;
  pirq_levels_[pirq] = level;
  update_irqs(true);
}

void Piix3IsaBridge::config_written(u8 offset, unsigned size) {
  if (!touches(offset, size, kPirqrc, kPirqLines)) return;
  for (unsigned p = 0; p < kPirqLines; ++p) {
    const u8 v = config8(static_cast<u8>(kPirqrc + p));
    if (v & kPirqDisable) continue;
    if (!(kRoutableIrqs & (1u << (v & kPirqIrqMask))))
      GuestLog::instance().log("piix3", "PIRQ%c routed to reserved IRQ %u; left unrouted", 'A' + p, v & kPirqIrqMask);
  }
  update_irqs(true);
}

void Piix3IsaBridge::reset() {
  PciFunction::reset();
  update_irqs(true);
}

void Piix3IsaBridge::serialize(StateVisitor& v) {
  PciFunction::serialize(v);
  u8 pirqs = 0;
  for (unsigned p = 0; p < kPirqLines; ++p) pirqs |= static_cast<u8>(pirq_levels_[p] << p);
  v.field("pirq_levels", pirqs);
  if (!v.loading()) return;
  if (pirqs & 0xF0) v.reject("piix3: PIRQ levels beyond PIRQD");
  for (unsigned p = 0; p < kPirqLines; ++p) pirq_levels_[p] = pirqs & (1u << p);
  // The IRQ lines are the PIC's saved state: recompute ours without re-driving them.
  update_irqs(false);
}

std::string Piix3IsaBridge::describe() const {
  std::string out = PciFunction::describe();
  char part[48];
  for (unsigned p = 0; p < kPirqLines; ++p) {
    const std::optional<unsigned> irq = pirq_route(p);
    if (irq)
      std::snprintf(part, sizeof part, " PIRQ%c->IRQ%u%s", 'A' + p, *irq, pirq_levels_[p] ? "*" : "");
    else
      std::snprintf(part, sizeof part, " PIRQ%c->off%s", 'A' + p, pirq_levels_[p] ? "*" : "");
    out += part;
  }
  std::snprintf(part, sizeof part, " TOM=%02x XBCS=%04x", config8(kTom), config16(kXbcs));
  return out + part;
}

// --- Port 0x92 ---------------------------------------------------------------------------------

void SystemControlPortA::write_byte(u16, u8 value) {
  if (value & ~(kFastInit | kFastA20)) GuestLog::instance().log("port92", "reserved bits set: %02x", value);
  const u8 old = value_;
  value_ = value & (kFastInit | kFastA20);
  if ((old ^ value_) & kFastA20 && set_a20) set_a20(value_ & kFastA20);
  // FAST_INIT: only the 0-to-1 edge resets; writing 1 again while it reads 1 does nothing.
  if ((value_ & kFastInit) && !(old & kFastInit) && request_reset) request_reset(PcResetKind::CpuInit);
}

void SystemControlPortA::serialize(StateVisitor& v) {
  v.field("value", value_);
  if (v.loading() && (value_ & ~(kFastInit | kFastA20))) v.reject("port92: reserved bits set");
}

std::string SystemControlPortA::describe() const {
  char line[64];
  std::snprintf(line, sizeof line, "port92=%02x A20=%d", value_, a20() ? 1 : 0);
  return line;
}

// --- Port 0xCF9 --------------------------------------------------------------------------------

void Piix3ResetControl::write_byte(u16, u8 value) {
  if (value & ~(kSystemReset | kResetCpu)) GuestLog::instance().log("piix3", "RC (0xCF9) reserved bits: %02x", value);
  // Only SRST is kept: RCPU is a trigger and reads back 0.
  value_ = value & kSystemReset;
  if ((value & kResetCpu) && request_reset)
    request_reset((value & kSystemReset) ? PcResetKind::System : PcResetKind::CpuInit);
}

void Piix3ResetControl::serialize(StateVisitor& v) {
  v.field("value", value_);
  if (v.loading() && (value_ & ~kSystemReset)) v.reject("piix3 rc: bits other than SRST set");
}

std::string Piix3ResetControl::describe() const {
  char line[48];
  std::snprintf(line, sizeof line, "rc(0xCF9)=%02x", value_);
  return line;
}

}  // namespace emu
