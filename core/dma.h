// The checked DMA API: the only way a device touches guest memory (DESIGN §4, §6).
//
// Every address and length a device uses comes from the guest (descriptor rings, PRD tables,
// buffer pointers), so each transfer is checked as a whole before any byte moves: the range
// must not wrap around 4 GiB and must lie entirely in RAM. DMA never reaches device MMIO — a
// device writing into another device's registers (or its own) is how QEMU's DMA re-entrancy
// CVEs (CVE-2023-0330 and others) happened — and never writes ROM. Writes into RAM that holds
// translated code invalidate those translations, exactly as CPU writes do.
#pragma once
#include <span>

#include "core/address_space.h"

namespace emu {

enum class DmaResult : u8 {
  Ok,
  OutOfRange,  // the range wraps around the end of the 4 GiB space
  NotRam,      // part of the range is MMIO, ROM (for a write), or beyond the end of RAM
};

const char* to_string(DmaResult r);

class Dma {
 public:
  explicit Dma(AddressSpace& bus) : bus_(bus) {}

  // Copies guest memory at `paddr` into `out`. Reads from ROM are allowed (option ROMs, tables).
  DmaResult read(u32 paddr, std::span<u8> out) const;
  // Copies `in` to guest RAM at `paddr`.
  DmaResult write(u32 paddr, std::span<const u8> in);

  // Little-endian scalar helpers for descriptor fields.
  DmaResult read_u16(u32 paddr, u16& v) const;
  DmaResult read_u32(u32 paddr, u32& v) const;
  DmaResult write_u16(u32 paddr, u16 v);
  DmaResult write_u32(u32 paddr, u32 v);

  // Whether [paddr, paddr + len) is entirely guest RAM (writable), without transferring.
  bool is_ram(u32 paddr, u32 len) const;

 private:
  DmaResult check(u32 paddr, std::size_t len, bool write) const;
  AddressSpace& bus_;
};

}  // namespace emu
