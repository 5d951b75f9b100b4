#include "devices/acpi_pm/acpi_pm.h"

#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

PciIdentity identity() {
  PciIdentity id;
  id.vendor_id = AcpiPm::kVendorIntel;
  id.device_id = AcpiPm::kDeviceId;
  id.revision = AcpiPm::kRevisionId;
  id.class_code = AcpiPm::kClassOtherBridge;
  id.interrupt_pin = 1;  // INTA#, as QEMU's piix4_pm (the SCI itself is wired to IRQ 9)
  return id;
}

constexpr u32 kPmbaWritable = 0xFFC0;      // bits 15:6: a 64-byte block
constexpr u32 kPmbaIoSpace = 0x1;          // bit 0 reads 1: an I/O address
constexpr u32 kTimerMask = 0xFFFFFF;       // PM_TMR is 24 bits (FADT TMR_VAL_EXT = 0)
constexpr u64 kTimerMsbPeriod = 1u << 23;  // TMROF_STS: bit 23 changes every 2^23 ticks

}  // namespace

AcpiPm::AcpiPm(Timeline& timeline) : PciFunction("piix4-pm", identity()), timeline_(timeline) {
  define_register(kStatus, 2, kStatusFastBackToBack | kStatusDevselMedium, 0, kStatusErrorBits);
  define_register(kPmba, 4, kPmbaIoSpace, kPmbaWritable);
  define_register(kDevactb, 4, 0x02000000, 0xFFFFFFFFu);  // DEVACTB, APMC_EN (bit 25) set: no SMM
  define_register(kPmregmisc, 1, 0, kPmiose);
  define_register(kSmbba, 4, kPmbaIoSpace, 0xFFF0);  // SMBBA: 16-byte SMBus block (not modelled)
  define_register(kSmbhstcfg, 1, 0, 0x0F);
  state_.next_overflow_tick = (tick_at(timeline_.now()) | (kTimerMsbPeriod - 1)) + 1;
}

AcpiPm::~AcpiPm() { timeline_.cancel(overflow_event_); }

// --- PM timer --------------------------------------------------------------------------------------

u64 AcpiPm::tick_at(u64 ns) {
  return static_cast<u64>(static_cast<unsigned __int128>(ns) * acpi_pm::kPmTimerHz / Timeline::kNsPerSecond);
}

u64 AcpiPm::ns_of_tick(u64 tick) {
  const unsigned __int128 scaled = static_cast<unsigned __int128>(tick) * Timeline::kNsPerSecond;
  return static_cast<u64>((scaled + acpi_pm::kPmTimerHz - 1) / acpi_pm::kPmTimerHz);
}

u32 AcpiPm::pm_timer() const { return static_cast<u32>(tick_at(timeline_.now()) & kTimerMask); }

void AcpiPm::latch_timer_overflow() {
  const u64 now = tick_at(timeline_.now());
  if (now < state_.next_overflow_tick) return;
  state_.pm1_status |= kTimerOverflow;  // TMROF_STS (ACPI TMR_STS)
  // The next change of bit 23 after now: the next multiple of 2^23.
  state_.next_overflow_tick = (now | (kTimerMsbPeriod - 1)) + 1;
}

void AcpiPm::update_overflow_event() {
  const bool wanted = (state_.pm1_enable & kTimerOverflow) && !(state_.pm1_status & kTimerOverflow);
  timeline_.cancel(overflow_event_);
  overflow_event_ = 0;
  if (wanted)
    overflow_event_ = timeline_.schedule(ns_of_tick(state_.next_overflow_tick), [this](u64) { timer_overflow(); });
}

void AcpiPm::timer_overflow() {
  overflow_event_ = 0;
  update_sci();  // latches TMROF_STS: the event runs at the tick where bit 23 changes
}

// --- SCI, power button, GPE --------------------------------------------------------------------------

void AcpiPm::update_sci(bool notify) {
  latch_timer_overflow();
  update_overflow_event();
  const bool pm1 = state_.pm1_status & state_.pm1_enable & kPm1EnableBits;
  const bool gpe = state_.gpe0_status & state_.gpe0_enable;
  // SCI_EN selects SCI (ACPI mode) over SMI (legacy mode): without it no SCI is raised.
  const bool level = (state_.pm1_control & kSciEnable) && (pm1 || gpe);
  if (level == state_.sci_level) return;
  state_.sci_level = level;
  if (notify && sci_) sci_(level);
}

bool AcpiPm::press_power_button() {
  // PWRBTN_STS is set whether or not PWRBTN_EN is (ACPI §4.7.2.2.1.1); only the SCI needs EN.
  state_.pm1_status |= kPowerButton;
  update_sci();
  return (state_.pm1_control & kSciEnable) && (state_.pm1_enable & kPowerButton);
}

void AcpiPm::raise_gpe(unsigned gpe) {
  if (gpe >= 16) return;
  state_.gpe0_status |= static_cast<u16>(1u << gpe);
  update_sci();
}

// --- PM register block ---------------------------------------------------------------------------

u8 AcpiPm::read_pm_byte(unsigned offset, u32 timer) const {
  const unsigned shift = 8 * (offset & 1);
  switch (offset) {
    case 0x00:
    case 0x01: return static_cast<u8>(state_.pm1_status >> shift);  // PMSTS
    case 0x02:
    case 0x03: return static_cast<u8>(state_.pm1_enable >> shift);  // PMEN
    case 0x04:
    case 0x05: return static_cast<u8>(state_.pm1_control >> shift);  // PMCNTRL (SUS_EN, GBL_RLS read 0)
    case 0x06:
    case 0x07: return 0;  // reserved
    case 0x08:
    case 0x09:
    case 0x0A:
    case 0x0B: return static_cast<u8>(timer >> (8 * (offset - 8)));  // PMTMR
    default: return 0;                                               // GPSTS ... GPOREG: not modelled, read 0
  }
}

u32 AcpiPm::PmBlock::port_read(u16 port, unsigned size) {
  if (!pm_.pm_block_base_ || size == 0 || size > 4) return 0xFFFFFFFFu;
  // One reading of the timer for the whole access, so a dword read is a consistent count.
  const u32 timer = pm_.pm_timer();
  pm_.latch_timer_overflow();
  u32 value = 0;
  for (unsigned k = 0; k < size; ++k) {
    const unsigned offset = static_cast<unsigned>(port - *pm_.pm_block_base_) + k;
    const u8 b = offset < acpi_pm::kPmBlockSize ? pm_.read_pm_byte(offset, timer) : u8{0xFF};
    value |= u32{b} << (8 * k);
  }
  return value;
}

void AcpiPm::PmBlock::port_write(u16 port, unsigned size, u32 value) {
  if (!pm_.pm_block_base_ || size == 0 || size > 4) return;
  // Gather the bytes of the access per 16-bit register: a byte write changes only its byte.
  u16 values[3] = {}, masks[3] = {};
  for (unsigned k = 0; k < size; ++k) {
    const unsigned offset = static_cast<unsigned>(port - *pm_.pm_block_base_) + k;
    const u8 b = static_cast<u8>(value >> (8 * k));
    if (offset < 6) {
      values[offset / 2] |= static_cast<u16>(b << (8 * (offset & 1)));
      masks[offset / 2] |= static_cast<u16>(0xFF << (8 * (offset & 1)));
    } else if (offset >= 8 && offset < 12) {
      GuestLog::instance().log("acpi_pm", "write to the read-only PM timer ignored");
    } else if (offset < acpi_pm::kPmBlockSize) {
      GuestLog::instance().log("acpi_pm", "write %02x to unmodelled PM register +%02x ignored", b, offset);
    }
  }
  if (masks[0]) pm_.write_pm1_status(values[0], masks[0]);
  if (masks[1]) pm_.write_pm1_enable(values[1], masks[1]);
  if (masks[2]) pm_.write_pm1_control(values[2], masks[2]);
}

void AcpiPm::write_pm1_status(u16 value, u16 mask) {
  // RW1C (ACPI §4.7.3.1.1): writing 1 clears a status bit, writing 0 leaves it. A bit-23 change
  // before this write is latched first, so clearing TMROF_STS acknowledges it.
  latch_timer_overflow();
  state_.pm1_status &= static_cast<u16>(~(value & mask & kPm1StatusBits));
  update_sci();
}

void AcpiPm::write_pm1_enable(u16 value, u16 mask) {
  if (value & mask & ~kPm1EnableBits) GuestLog::instance().log("acpi_pm", "PM1_EN reserved bits: %04x", value & mask);
  state_.pm1_enable = static_cast<u16>((state_.pm1_enable & ~mask) | (value & mask & kPm1EnableBits));
  update_sci();
}

void AcpiPm::write_pm1_control(u16 value, u16 mask) {
  const u16 written = value & mask;
  state_.pm1_control =
      static_cast<u16>((state_.pm1_control & ~(mask & kPm1ControlStored)) | (written & kPm1ControlStored));
  if (written & kGlobalRelease)
    GuestLog::instance().log("acpi_pm", "GBL_RLS written: the BIOS global lock needs SMM, which is not modelled");
  update_sci();
  if (!(written & kSleepEnable)) return;
  // SUS_EN (ACPI SLP_EN): enter the sleep state SUS_TYP names, as it reads after this write.
  const unsigned type = (state_.pm1_control & kSleepTypeMask) >> kSleepTypeShift;
  if (type == acpi_pm::kSlpTypS5) {
    if (power_off_) power_off_();
  } else {
    GuestLog::instance().log("acpi_pm", "sleep type %u requested; only S5 (soft off, type %u) is modelled", type,
                             acpi_pm::kSlpTypS5);
  }
}

// --- APM and GPE0 ports ----------------------------------------------------------------------------

u8 AcpiPm::ApmPorts::read_byte(u16 port) {
  return port == acpi_pm::kSmiCommandPort ? pm_.state_.apm_control : pm_.state_.apm_status;
}

void AcpiPm::ApmPorts::write_byte(u16 port, u8 value) {
  if (port == acpi_pm::kSmiCommandPort)
    pm_.apm_command(value);
  else
    pm_.state_.apm_status = value;  // APMS: a scratch byte between the BIOS and its SMI handler
}

void AcpiPm::apm_command(u8 value) {
  state_.apm_control = value;
  // The FADT tells the OS to write ACPI_ENABLE/ACPI_DISABLE to SMI_CMD; a BIOS SMI handler would
  // then flip SCI_EN. Without SMM the chipset model does it itself, as QEMU's apm_ctrl_changed.
  if (value == acpi_pm::kAcpiEnable) {
    state_.pm1_control |= kSciEnable;
  } else if (value == acpi_pm::kAcpiDisable) {
    state_.pm1_control &= static_cast<u16>(~kSciEnable);
  } else {
    GuestLog::instance().log("acpi_pm", "APMC command %02x would raise SMI#; SMM is not modelled", value);
  }
  update_sci();
}

u8 AcpiPm::Gpe0Ports::read_byte(u16 port) {
  const unsigned offset = port - acpi_pm::kGpe0Block;
  const u16 reg = offset < 2 ? pm_.state_.gpe0_status : pm_.state_.gpe0_enable;
  return static_cast<u8>(reg >> (8 * (offset & 1)));
}

void AcpiPm::Gpe0Ports::write_byte(u16 port, u8 value) {
  const unsigned offset = port - acpi_pm::kGpe0Block;
  const u16 bits = static_cast<u16>(value << (8 * (offset & 1)));
  if (offset < 2)
    pm_.state_.gpe0_status &= static_cast<u16>(~bits);  // GPE0_STS: RW1C
  else
    pm_.state_.gpe0_enable =
        static_cast<u16>((pm_.state_.gpe0_enable & ~(0xFF << (8 * (offset & 1)))) | bits);  // GPE0_EN
  pm_.update_sci();
}

// --- Configuration ---------------------------------------------------------------------------------

void AcpiPm::update_pm_block() {
  std::optional<u16> wanted;
  const u16 base = static_cast<u16>(config32(kPmba) & kPmbaWritable);
  if ((config8(kPmregmisc) & kPmiose) && base != 0) wanted = base;
  if (wanted == pm_block_base_) return;
  AddressSpace* space = address_space();
  if (pm_block_base_ && space) space->unmap_ports(*pm_block_base_, acpi_pm::kPmBlockSize, &pm_block_);
  pm_block_base_.reset();
  if (!wanted || !space) return;
  for (unsigned p = *wanted; p < *wanted + unsigned{acpi_pm::kPmBlockSize}; ++p) {
    PortHandler* owner = space->port_handler(static_cast<u16>(p));
    if (owner && owner != &pm_block_) {
      GuestLog::instance().log("acpi_pm", "PM block at %04x overlaps another device's ports; not decoded", *wanted);
      return;
    }
  }
  space->map_ports(*wanted, acpi_pm::kPmBlockSize, &pm_block_);
  pm_block_base_ = wanted;
}

void AcpiPm::config_written(u8 offset, unsigned size) {
  if (touches(offset, size, kPmba, 4) || touches(offset, size, kPmregmisc)) update_pm_block();
}

void AcpiPm::reset() {
  PciFunction::reset();
  const bool sci = state_.sci_level;
  const u64 next_overflow = state_.next_overflow_tick;
  state_ = AcpiPmState{};
  state_.sci_level = sci;
  state_.next_overflow_tick = next_overflow;
  update_pm_block();
  update_sci();
  // The PM timer runs on: it counts the virtual clock, which a reset does not stop.
}

void AcpiPm::serialize(StateVisitor& v) {
  PciFunction::serialize(v);
  v.field("pm1_status", state_.pm1_status);
  v.field("pm1_enable", state_.pm1_enable);
  v.field("pm1_control", state_.pm1_control);
  v.field("gpe0_status", state_.gpe0_status);
  v.field("gpe0_enable", state_.gpe0_enable);
  v.field("apm_control", state_.apm_control);
  v.field("apm_status", state_.apm_status);
  v.field("sci_level", state_.sci_level);
  v.field("next_overflow_tick", state_.next_overflow_tick);
  if (!v.loading()) return;
  if (state_.pm1_status & ~kPm1StatusBits) v.reject("acpi_pm: PM1_STS has reserved bits");
  if (state_.pm1_enable & ~kPm1EnableBits) v.reject("acpi_pm: PM1_EN has reserved bits");
  if (state_.pm1_control & ~kPm1ControlStored) v.reject("acpi_pm: PM1_CNT has bits that are not stored");
  const u64 next_from_now = (tick_at(timeline_.now()) | (kTimerMsbPeriod - 1)) + 1;
  if (state_.next_overflow_tick % kTimerMsbPeriod != 0 || state_.next_overflow_tick > next_from_now)
    v.reject("acpi_pm: PM timer overflow tick is not a coming change of bit 23");
  if (!v.ok()) {
    state_ = AcpiPmState{};
    state_.next_overflow_tick = next_from_now;
  }
  update_pm_block();
  // The SCI line's level is the PIC's saved state; recompute ours without re-driving it. This
  // also schedules the overflow event again if TMROF_EN wants one.
  update_sci(false);
}

std::string AcpiPm::describe() const {
  std::string out = PciFunction::describe();
  char line[160];
  if (pm_block_base_)
    std::snprintf(line, sizeof line, " PM@%04x", *pm_block_base_);
  else
    std::snprintf(line, sizeof line, " PM(off)");
  out += line;
  // PM1_STS as software would read it now (TMROF_STS is latched lazily).
  const bool overflow_due = tick_at(timeline_.now()) >= state_.next_overflow_tick;
  std::snprintf(line, sizeof line, " PM1_STS=%04x PM1_EN=%04x PM1_CNT=%04x TMR=%06x GPE0 STS=%04x EN=%04x SCI=%d",
                state_.pm1_status | (overflow_due ? kTimerOverflow : 0), state_.pm1_enable, state_.pm1_control,
                pm_timer(), state_.gpe0_status, state_.gpe0_enable, state_.sci_level ? 1 : 0);
  return out + line;
}

}  // namespace emu
