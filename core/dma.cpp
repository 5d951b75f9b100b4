#include "core/dma.h"

#include <cstring>

namespace emu {

const char* to_string(DmaResult r) {
  switch (r) {
    case DmaResult::Ok: return "ok";
    case DmaResult::OutOfRange: return "address range out of bounds";
    case DmaResult::NotRam: return "address range is not RAM";
  }
  return "?";
}

DmaResult Dma::check(u32 paddr, std::size_t len, bool write) const {
  if (len == 0) return DmaResult::Ok;
  if (len > 0x100000000ull - paddr) return DmaResult::OutOfRange;  // wraps past 4 GiB
  // Page by page: each page must be host memory (RAM, or ROM for reads). host_page() returns
  // nullptr for MMIO and holes, so no transfer can reach a device.
  const u64 end = u64{paddr} + len;
  for (u64 page = paddr & ~0xFFFull; page < end; page += 0x1000) {
    if (!bus_.host_page(static_cast<u32>(page), write)) return DmaResult::NotRam;
  }
  return DmaResult::Ok;
}

bool Dma::is_ram(u32 paddr, u32 len) const { return check(paddr, len, true) == DmaResult::Ok; }

DmaResult Dma::read(u32 paddr, std::span<u8> out) const {
  if (const DmaResult r = check(paddr, out.size(), false); r != DmaResult::Ok) return r;
  std::size_t done = 0;
  while (done < out.size()) {
    const u32 addr = paddr + static_cast<u32>(done);
    const std::size_t chunk = std::min<std::size_t>(out.size() - done, 0x1000 - (addr & 0xFFF));
    std::memcpy(out.data() + done, bus_.host_page(addr, false) + (addr & 0xFFF), chunk);
    done += chunk;
  }
  return DmaResult::Ok;
}

DmaResult Dma::write(u32 paddr, std::span<const u8> in) {
  if (const DmaResult r = check(paddr, in.size(), true); r != DmaResult::Ok) return r;
  std::size_t done = 0;
  while (done < in.size()) {
    const u32 addr = paddr + static_cast<u32>(done);
    const std::size_t chunk = std::min<std::size_t>(in.size() - done, 0x1000 - (addr & 0xFFF));
    std::memcpy(bus_.host_page(addr, true) + (addr & 0xFFF), in.data() + done, chunk);
    bus_.notify_code_write(addr, static_cast<u32>(chunk));
    done += chunk;
  }
  return DmaResult::Ok;
}

DmaResult Dma::read_u16(u32 paddr, u16& v) const {
  u8 b[2];
  const DmaResult r = read(paddr, b);
  v = static_cast<u16>(b[0] | b[1] << 8);
  return r;
}
DmaResult Dma::read_u32(u32 paddr, u32& v) const {
  u8 b[4];
  const DmaResult r = read(paddr, b);
  v = b[0] | b[1] << 8 | b[2] << 16 | u32{b[3]} << 24;
  return r;
}
DmaResult Dma::write_u16(u32 paddr, u16 v) {
  const u8 b[2] = {static_cast<u8>(v), static_cast<u8>(v >> 8)};
  return write(paddr, b);
}
DmaResult Dma::write_u32(u32 paddr, u32 v) {
  const u8 b[4] = {static_cast<u8>(v), static_cast<u8>(v >> 8), static_cast<u8>(v >> 16), static_cast<u8>(v >> 24)};
  return write(paddr, b);
}

}  // namespace emu
