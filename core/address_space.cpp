#include "core/address_space.h"

#include <sys/mman.h>

#include <cstring>
#include <iterator>
#include <new>

namespace emu {

AddressSpace::AddressSpace(u32 ram_bytes) : ram_size_(ram_bytes) {
  // One anonymous mapping: untouched guest RAM costs no host memory, and it reads as zeros.
  void* p = mmap(nullptr, ram_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  ram_ = static_cast<u8*>(p);
  code_pages_.assign(ram_bytes >> 12, false);
  ports_.assign(65536, nullptr);
}

AddressSpace::~AddressSpace() { munmap(ram_, ram_size_); }

void AddressSpace::map_rom(u32 base, const std::vector<u8>& image) {
  auto storage = std::make_unique<u8[]>(image.size());
  std::memcpy(storage.get(), image.data(), image.size());
  regions_.push_back({base, static_cast<u32>(image.size()), storage.get(), nullptr});
  rom_storage_.push_back(std::move(storage));
}

void AddressSpace::map_mmio(u32 base, u32 size, MmioHandler* handler) {
  regions_.push_back({base, size, nullptr, handler});
}

void AddressSpace::map_ports(u16 first, u16 count, PortHandler* handler) {
  for (u32 p = first; p < u32{first} + count && p < 65536; ++p) ports_[p] = handler;
}

void AddressSpace::unmap_mmio(u32 base, u32 size, MmioHandler* handler) {
  for (auto it = regions_.rbegin(); it != regions_.rend(); ++it) {
    if (it->base == base && it->size == size && it->mmio == handler && !it->rom) {
      regions_.erase(std::next(it).base());
      return;
    }
  }
}

void AddressSpace::unmap_ports(u16 first, u16 count, PortHandler* handler) {
  for (u32 p = first; p < u32{first} + count && p < 65536; ++p)
    if (ports_[p] == handler) ports_[p] = nullptr;
}

bool AddressSpace::memory_range_free(u32 base, u32 size) const {
  if (size == 0) return true;
  const u64 end = u64{base} + size;  // exclusive
  if (base < ram_size_) return false;
  for (const Region& r : regions_)
    if (u64{base} < u64{r.base} + r.size && u64{r.base} < end) return false;
  return true;
}

const AddressSpace::Region* AddressSpace::find(u32 paddr) const {
  for (auto it = regions_.rbegin(); it != regions_.rend(); ++it)
    if (paddr - it->base < it->size) return &*it;
  return nullptr;
}

void AddressSpace::set_shadow(u32 base, u32 size, bool read_ram, bool write_ram) {
  shadow_controlled_ = true;
  for (u32 page = base & ~0xFFFu; page < base + size; page += 0x1000) {
    if (page < kShadowBase || page >= kShadowEnd) continue;
    shadow_[(page - kShadowBase) >> 12] = (read_ram ? kShadowRead : 0) | (write_ram ? kShadowWrite : 0);
  }
}

u8* AddressSpace::host_page(u32 paddr, bool write) {
  const bool shadowed = in_controlled_shadow(paddr);
  if (shadowed && shadow_says_ram(paddr, write)) return paddr < ram_size_ ? ram_ + (paddr & ~0xFFFu) : nullptr;
  if (const Region* r = find(paddr)) {
    // A region must cover the whole page to be reached through a host pointer.
    const u32 page = paddr & ~0xFFFu;
    if (r->rom && !write && page >= r->base && page + 0x1000 - r->base <= r->size) return r->rom + (page - r->base);
    return nullptr;
  }
  if (paddr < ram_size_ && !shadowed) return ram_ + (paddr & ~0xFFFu);
  return nullptr;
}

u32 AddressSpace::read(u32 paddr, unsigned size) {
  const bool shadowed = in_controlled_shadow(paddr);
  const bool shadow_ram = shadowed && shadow_says_ram(paddr, false);
  if (const Region* r = shadow_ram ? nullptr : find(paddr)) {
    const u32 off = paddr - r->base;
    if (r->mmio) return r->mmio->mmio_read(off, size);
    u32 v = 0;
    for (unsigned i = 0; i < size; ++i) v |= u32{off + i < r->size ? r->rom[off + i] : u8{0xFF}} << (8 * i);
    return v;
  }
  if (paddr < ram_size_ && size <= ram_size_ - paddr && (!shadowed || shadow_ram)) {
    u32 v = 0;
    std::memcpy(&v, ram_ + paddr, size);
    return v;
  }
  return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

void AddressSpace::write(u32 paddr, unsigned size, u32 value) {
  const bool shadowed = in_controlled_shadow(paddr);
  const bool shadow_ram = shadowed && shadow_says_ram(paddr, true);
  if (const Region* r = shadow_ram ? nullptr : find(paddr)) {
    if (r->mmio) r->mmio->mmio_write(paddr - r->base, size, value);
    return;  // writes to ROM are ignored
  }
  if (paddr < ram_size_ && size <= ram_size_ - paddr && (!shadowed || shadow_ram)) {
    std::memcpy(ram_ + paddr, &value, size);
    notify_code_write(paddr, size);
  }
}

u32 AddressSpace::port_read(u16 port, unsigned size) {
  if (port_hook_) port_hook_(port);
  if (PortHandler* h = ports_[port]) return h->port_read(port, size);
  return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;  // nothing answers: the bus floats high
}

void AddressSpace::port_write(u16 port, unsigned size, u32 value) {
  if (port_hook_) port_hook_(port);
  if (PortHandler* h = ports_[port]) h->port_write(port, size, value);
}

void AddressSpace::set_code_page(u32 paddr, bool on) {
  const u32 page = paddr >> 12;
  if (page < code_pages_.size()) code_pages_[page] = on;
}

}  // namespace emu
