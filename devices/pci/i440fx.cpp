#include "devices/pci/i440fx.h"

#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

constexpr u8 kPam0Writable = 0x30;  // PAM0 bits 3:0 reserved
constexpr u8 kPamWritable = 0x33;   // bits 7:6 and 3:2 reserved on the 82441FX
constexpr u8 kSmramWritable = I440fxHostBridge::kSmramDOpen | I440fxHostBridge::kSmramDCls |
                              I440fxHostBridge::kSmramDLck | I440fxHostBridge::kSmramGSmrame;

PciIdentity identity() {
  PciIdentity id;
  id.vendor_id = I440fxHostBridge::kVendorIntel;
  id.device_id = I440fxHostBridge::kDeviceId;
  id.revision = I440fxHostBridge::kRevisionId;
  id.class_code = I440fxHostBridge::kClassHostBridge;
  return id;
}

}  // namespace

I440fxHostBridge::I440fxHostBridge() : PciFunction("i440fx", identity()) {
  // PCICMD: the PMC always claims memory and always masters (bits 1 and 2 hard-wired to 1).
  define_register(kCommand, 2, kCommandMemory | kCommandBusMaster, kCommandParity | kCommandSerr);
  define_register(kStatus, 2, kStatusFastBackToBack | kStatusDevselMedium, 0, kStatusErrorBits);
  define_register(kMasterLatencyTimer, 1, 0, 0xF8);
  define_register(kPam0, 1, 0, kPam0Writable);
  for (unsigned i = 1; i < kPamCount; ++i) define_register(static_cast<u8>(kPam0 + i), 1, 0, kPamWritable);
  define_register(kSmram, 1, kSmramCBaseSeg, kSmramWritable);
  for (unsigned i = 0; i < kPamCount; ++i) pam_before_[i] = pam(i);
  smram_before_ = smram();
}

I440fxHostBridge::PamRegion I440fxHostBridge::pam_region(unsigned region) const {
  if (region == 0) return {0xF0000, 0x10000, static_cast<PamAccess>((pam(0) >> 4) & 3)};
  if (region >= kPamRegions) return {0, 0, PamAccess::Pci};
  const unsigned index = (region + 1) / 2;  // regions 1,2 -> PAM1; 3,4 -> PAM2 ...
  const bool high = (region & 1) == 0;
  const u8 v = pam(index);
  return {0xC0000 + (region - 1) * 0x4000u, 0x4000, static_cast<PamAccess>(high ? (v >> 4) & 3 : v & 3)};
}

void I440fxHostBridge::apply_smram_lock() {
  // D_LCK (82441FX §3.2.20): "When D_LCK is set to 1, D_OPEN is reset to 0 and D_LCK, D_OPEN and
  // G_SMRAME become read only." Only D_CLS stays writable; a power-on reset unlocks.
  if (smram() & kSmramDLck) {
    set_config8(kSmram, smram() & ~kSmramDOpen);
    set_writable(kSmram, kSmramDCls);
  } else {
    set_writable(kSmram, kSmramWritable);
  }
}

void I440fxHostBridge::config_written(u8 offset, unsigned size) {
  if (touches(offset, size, kSmram)) {
    apply_smram_lock();
    if ((smram() & kSmramDOpen) && (smram() & kSmramDCls))
      GuestLog::instance().log("i440fx", "SMRAM D_OPEN and D_CLS both set (the datasheet forbids it)");
    if (smram() != smram_before_) {
      smram_before_ = smram();
      if (on_smram_changed) on_smram_changed(smram());
    }
  }
  if (touches(offset, size, kPam0, kPamCount)) {
    for (unsigned i = 0; i < kPamCount; ++i) {
      if (pam(i) == pam_before_[i]) continue;
      pam_before_[i] = pam(i);
      if (on_pam_changed) on_pam_changed(i, pam(i));
    }
  }
}

void I440fxHostBridge::reset() {
  PciFunction::reset();
  apply_smram_lock();
  // Tell the machine about registers the reset changed, so its memory map follows.
  for (unsigned i = 0; i < kPamCount; ++i) {
    if (pam(i) == pam_before_[i]) continue;
    pam_before_[i] = pam(i);
    if (on_pam_changed) on_pam_changed(i, pam(i));
  }
  if (smram() != smram_before_) {
    smram_before_ = smram();
    if (on_smram_changed) on_smram_changed(smram());
  }
}

void I440fxHostBridge::serialize(StateVisitor& v) {
  // Reset the lock first so a loaded D_LCK-clear image may set D_OPEN again.
  if (v.loading()) set_writable(kSmram, kSmramWritable);
  PciFunction::serialize(v);
  if (!v.loading()) return;
  apply_smram_lock();
  // The machine reads pam()/smram() after loading to rebuild its memory map; no callbacks here.
  for (unsigned i = 0; i < kPamCount; ++i) pam_before_[i] = pam(i);
  smram_before_ = smram();
}

std::string I440fxHostBridge::describe() const {
  std::string out = PciFunction::describe();
  char line[96];
  std::snprintf(line, sizeof line, " PAM=%02x %02x %02x %02x %02x %02x %02x SMRAM=%02x", pam(0), pam(1), pam(2), pam(3),
                pam(4), pam(5), pam(6), smram());
  return out + line;
}

}  // namespace emu
