#include "devices/bare/bare_machine.h"

#include <cstring>

#include "bare_rom.h"  // generated from bare_rom.asm at build time
#include "core/guest_log.h"

namespace emu {

namespace {

constexpr u32 kMultibootMagic = 0x1BADB002;       // in the kernel's header
constexpr u32 kMultibootBootloader = 0x2BADB002;  // in EAX at entry
constexpr u32 kMultibootInfoAddr = 0x9000;        // where we build the information structure
constexpr u32 kBootSectorAddr = 0x7C00;

u32 le32(const std::vector<u8>& v, std::size_t off) {
  return v[off] | v[off + 1] << 8 | v[off + 2] << 16 | u32{v[off + 3]} << 24;
}
u16 le16(const std::vector<u8>& v, std::size_t off) { return static_cast<u16>(v[off] | v[off + 1] << 8); }

}  // namespace

BareMachine::BareMachine(const BareMachineConfig& config)
    : config_(config), bus_(config.ram_bytes), cpu_(bus_), debugcon_(config.debug_out), debug_exit_([this](int) {
        if (engine_) engine_->request_stop();
      }) {
  const std::vector<u8> rom(kBareRom.begin(), kBareRom.end());
  bus_.map_rom(0xFFFF0000u, rom);  // top of the 4 GiB space, where the reset vector is
  bus_.map_rom(0x000F0000u, rom);  // and the real-mode alias below 1 MiB
  bus_.map_ports(DebugCon::kPort, 1, &debugcon_);
  bus_.map_ports(DebugExit::kPort, 1, &debug_exit_);
}

std::string BareMachine::load(const std::vector<u8>& image) {
  if (image.empty()) return "the image is empty";
  // A Multiboot header is a 32-bit-aligned magic in the first 8 KiB with a checksum making
  // magic + flags + checksum = 0 (Multiboot 0.6.96, 3.1.1).
  for (u32 off = 0; off + 12 <= image.size() && off < 8192; off += 4) {
    if (le32(image, off) != kMultibootMagic) continue;
    if (le32(image, off) + le32(image, off + 4) + le32(image, off + 8) != 0) continue;
    return load_multiboot_elf(image, off);
  }
  if (image.size() >= 4 && std::memcmp(image.data(), "\x7F" "ELF", 4) == 0)
    return "an ELF file without a Multiboot header in its first 8 KiB; the bare machine boots Multiboot kernels "
           "and flat binaries";
  if (image.size() > 0x9FC00 - kBootSectorAddr)
    return "a flat binary must fit between 0x7C00 and 0x9FC00 (" + std::to_string(image.size()) + " bytes given)";
  boot_image_ = image;
  multiboot_ = false;
  reset();
  return {};
}

std::string BareMachine::load_multiboot_elf(const std::vector<u8>& image, u32 header_offset) {
  const u32 flags = le32(image, header_offset + 4);
  if (flags & 0x10000) return "Multiboot a.out-kludge kernels are not supported on the bare machine; link as ELF";
  // Bits 0-15 are requirements: we can honour 0 (page-aligned modules) and 1 (memory info).
  if (flags & 0xFFFC)
    return "the Multiboot header requires features the bare machine lacks (flags " + std::to_string(flags) + ")";
  // ELF32 little-endian x86 executable (System V ABI, i386 supplement).
  if (image.size() < 52 || std::memcmp(image.data(),
                                       "\x7F"
                                       "ELF",
                                       4) != 0)
    return "a Multiboot kernel must be an ELF file";
  if (image[4] != 1 || image[5] != 1 || le16(image, 18) != 3) return "not a 32-bit little-endian i386 ELF file";
  const u32 phoff = le32(image, 28);
  const u16 phentsize = le16(image, 42), phnum = le16(image, 44);
  if (phentsize < 32 || phoff > image.size() || u64{phnum} * phentsize > image.size() - phoff)
    return "the ELF program header table lies outside the file";
  u8* ram = bus_.ram();
  const u32 ram_size = bus_.ram_size();
  for (u16 k = 0; k < phnum; ++k) {
    const std::size_t ph = phoff + std::size_t{k} * phentsize;
    if (le32(image, ph) != 1) continue;  // PT_LOAD
    const u32 offset = le32(image, ph + 4), paddr = le32(image, ph + 12);
    const u32 filesz = le32(image, ph + 16), memsz = le32(image, ph + 20);
    if (filesz > memsz || offset > image.size() || filesz > image.size() - offset)
      return "an ELF segment lies outside the file";
    if (paddr >= ram_size || memsz > ram_size - paddr) return "an ELF segment does not fit in guest RAM";
    std::memcpy(ram + paddr, image.data() + offset, filesz);
    std::memset(ram + paddr + filesz, 0, memsz - filesz);
  }
  multiboot_entry_ = le32(image, 24);
  // Multiboot information: flags bit 0 (mem_lower/mem_upper in KiB).
  multiboot_info_ = kMultibootInfoAddr;
  std::memset(ram + multiboot_info_, 0, 88);
  const u32 info_flags = 1, mem_lower = 640, mem_upper = (ram_size >> 10) - 1024;
  std::memcpy(ram + multiboot_info_, &info_flags, 4);
  std::memcpy(ram + multiboot_info_ + 4, &mem_lower, 4);
  std::memcpy(ram + multiboot_info_ + 8, &mem_upper, 4);
  multiboot_ = true;
  boot_image_.clear();
  reset();
  return {};
}

void BareMachine::reset() {
  cpu_.reset();
  if (!boot_image_.empty()) std::memcpy(bus_.ram() + kBootSectorAddr, boot_image_.data(), boot_image_.size());
  if (engine_) engine_->flush();
  if (!multiboot_) return;
  // Multiboot machine state (Multiboot 0.6.96, 3.2): protected mode, paging off, flat 4 GiB
  // code and data segments, interrupts off, A20 on.
  CpuState& s = cpu_.s;
  s.cr0 |= cr0::PE;
  SegmentCache code = Cpu::cache_from_descriptor(0x08, 0x00CF9A000000FFFFull);
  SegmentCache data = Cpu::cache_from_descriptor(0x10, 0x00CF92000000FFFFull);
  s.sreg(Seg::CS) = code;
  for (Seg sg : {Seg::DS, Seg::ES, Seg::FS, Seg::GS, Seg::SS}) s.sreg(sg) = data;
  s.gdtr = {0, 0};
  s.gpr[EAX] = kMultibootBootloader;
  s.gpr[EBX] = multiboot_info_;
  s.eip = multiboot_entry_;
  s.flags.bits = eflags::kReserved1;
  cpu_.mode_changed();
}

BareMachine::Result BareMachine::run(u64 max_instructions) {
  const u64 slice = 1u << 20;
  u64 done = 0;
  for (;;) {
    u64 budget = slice;
    if (max_instructions) {
      if (done >= max_instructions) return {Outcome::InstructionLimit, 0};
      budget = std::min<u64>(slice, max_instructions - done);
    }
    const u64 before = cpu_.counters.instructions;
    const StopReason why = engine_->run(budget);
    done += cpu_.counters.instructions - before;
    if (debug_exit_.requested()) return {Outcome::Exited, debug_exit_.exit_status()};
    switch (why) {
      case StopReason::Halted:
        // Nothing on the bare machine raises interrupts, so a halted CPU stays halted.
        return {Outcome::Halted, 0};
      case StopReason::TripleFault:
        GuestLog::instance().log("cpu", "triple fault at %04x:%08x: %s", cpu_.s.sreg(Seg::CS).selector, cpu_.s.eip,
                                 config_.no_reboot ? "stopping (-no-reboot)" : "resetting the machine");
        if (config_.no_reboot) return {Outcome::TripleFault, 0};
        reset();
        break;
      default: break;
    }
  }
}

}  // namespace emu
