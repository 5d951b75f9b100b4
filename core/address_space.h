// The physical address space and the I/O port space of one machine.
//
// RAM is one host mapping, so a TLB entry can hold a host pointer for a guest page. ROM is host
// memory that ignores writes. Everything else is MMIO: a device's read/write callbacks. The map is
// kept per 4 KiB page for the first MiB (where VGA memory and ROMs sit between RAM) and as a short
// list of regions above it (RAM below, device windows and the BIOS ROM near 4 GiB).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/types.h"

namespace emu {

// A device window in the physical address space. Accesses are 1, 2 or 4 bytes, naturally
// split by the caller when they cross the region's end.
class MmioHandler {
 public:
  virtual ~MmioHandler() = default;
  virtual u32 mmio_read(u32 offset, unsigned size) = 0;
  virtual void mmio_write(u32 offset, unsigned size, u32 value) = 0;
};

// A device's I/O ports.
class PortHandler {
 public:
  virtual ~PortHandler() = default;
  virtual u32 port_read(u16 port, unsigned size) = 0;
  virtual void port_write(u16 port, unsigned size, u32 value) = 0;
};

// Called when something writes to physical memory that holds translated code, so the translator
// can drop exactly the translations on that page (DESIGN §3, self-modifying code).
class CodeWriteListener {
 public:
  virtual ~CodeWriteListener() = default;
  virtual void code_written(u32 paddr, u32 len) = 0;
};

class AddressSpace {
 public:
  explicit AddressSpace(u32 ram_bytes);
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  u32 ram_size() const { return ram_size_; }
  u8* ram() { return ram_; }

  // Maps a ROM image (copied) at `base`. Later mappings win over earlier ones and over RAM.
  void map_rom(u32 base, const std::vector<u8>& image);
  void map_mmio(u32 base, u32 size, MmioHandler* handler);
  void map_ports(u16 first, u16 count, PortHandler* handler);
  // Undo a mapping when a device's window moves or closes (a PCI BAR, the PIIX4 PM block).
  // unmap_mmio removes the newest region with exactly this base, size and handler, so what lay
  // beneath shows again; unmap_ports frees only the ports that still belong to `handler`.
  void unmap_mmio(u32 base, u32 size, MmioHandler* handler);
  void unmap_ports(u16 first, u16 count, PortHandler* handler);
  // Who answers a port (nullptr: nobody), and whether [base, base + size) touches RAM, ROM or a
  // device window — a PCI window is only decoded where nothing else claims the addresses.
  PortHandler* port_handler(u16 port) const { return ports_[port]; }
  bool memory_range_free(u32 base, u32 size) const;

  // The host pointer behind a physical page for reading (RAM or ROM) or writing (RAM only), or
  // nullptr when the page is MMIO, absent, or ROM for a write. `paddr` is A20-masked already.
  u8* host_page(u32 paddr, bool write);

  // Physical accesses of 1, 2 or 4 bytes that do not cross a page. Writes to code pages notify
  // the listener. Unmapped reads return all ones, unmapped writes are dropped (as on a PC bus).
  u32 read(u32 paddr, unsigned size);
  void write(u32 paddr, unsigned size, u32 value);

  u32 port_read(u16 port, unsigned size);
  void port_write(u16 port, unsigned size, u32 value);
  // Called before every port access (the machine charges bus time for it: an ISA cycle takes
  // about a microsecond, and guests rely on that).
  void set_port_access_hook(std::function<void(u16 port)> hook) { port_hook_ = std::move(hook); }

  // Pages that hold translated code (one bit per RAM page). Writes to these pages never take a
  // TLB fast path; they reach write() and the listener.
  void set_code_page(u32 paddr, bool on);
  bool is_code_page(u32 paddr) const {
    const u32 page = paddr >> 12;
    return page < code_pages_.size() && code_pages_[page];
  }
  void set_code_write_listener(CodeWriteListener* l) { listener_ = l; }
  void notify_code_write(u32 paddr, u32 len) {
    if (listener_ && is_code_page(paddr)) listener_->code_written(paddr, len);
  }

  // Shadow RAM below 1 MiB (the i440FX PAM registers, 82441FX datasheet 3.2.18): for the pages
  // in [base, base+size) within 0xC0000-0xFFFFF, reads go to RAM instead of the ROM/bus when
  // `read_ram`, and writes go to RAM when `write_ram`. A BIOS copies itself into RAM this way
  // (reads from ROM, writes to RAM), builds its tables there, then makes the RAM read-only. The
  // caller flushes the CPU's TLB afterwards.
  void set_shadow(u32 base, u32 size, bool read_ram, bool write_ram);
  static constexpr u32 kShadowBase = 0xC0000, kShadowEnd = 0x100000;

  // A20 gate (port 0x92, keyboard controller). The mask is applied to every physical address.
  u32 a20_mask() const { return a20_mask_; }
  void set_a20(bool enabled) { a20_mask_ = enabled ? 0xFFFFFFFFu : ~(1u << 20); }

 private:
  struct Region {
    u32 base, size;
    u8* rom;            // ROM host memory, or nullptr
    MmioHandler* mmio;  // or a device
  };
  const Region* find(u32 paddr) const;
  // Where an access to `paddr` goes: RAM (true) or the region list / nothing (false). Inside the
  // shadow range, once a machine has taken control of it with set_shadow(), the PAM bits decide;
  // elsewhere RAM answers unless a region covers the address.
  static constexpr u8 kShadowRead = 1, kShadowWrite = 2;
  bool shadow_says_ram(u32 paddr, bool write) const {
    return shadow_[(paddr - kShadowBase) >> 12] & (write ? kShadowWrite : kShadowRead);
  }
  bool in_controlled_shadow(u32 paddr) const {
    return shadow_controlled_ && paddr - kShadowBase < kShadowEnd - kShadowBase;
  }

  u8* ram_ = nullptr;
  u32 ram_size_ = 0;
  std::vector<Region> regions_;  // searched newest first
  std::vector<std::unique_ptr<u8[]>> rom_storage_;
  std::vector<bool> code_pages_;
  std::vector<PortHandler*> ports_;
  CodeWriteListener* listener_ = nullptr;
  std::function<void(u16)> port_hook_;
  u32 a20_mask_ = 0xFFFFFFFFu;
  u8 shadow_[(kShadowEnd - kShadowBase) >> 12] = {};
  bool shadow_controlled_ = false;
};

}  // namespace emu
