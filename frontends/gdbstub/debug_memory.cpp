#include "frontends/gdbstub/debug_memory.h"

#include <algorithm>

namespace emu::debug {

bool linear_to_physical(const Cpu& cpu, u32 linear, u32& physical) { return cpu.probe_translation(linear, physical); }

std::size_t read_physical(AddressSpace& bus, u32 physical, u8* out, std::size_t len, DeviceAccess devices) {
  std::size_t done = 0;
  while (done < len) {
    const u32 address = (physical + static_cast<u32>(done)) & bus.a20_mask();
    const u32 in_page = 0x1000 - (address & 0xFFF);
    const std::size_t chunk = std::min<std::size_t>(len - done, in_page);
    if (const u8* page = bus.host_page(address, false)) {
      std::copy_n(page + (address & 0xFFF), chunk, out + done);
    } else if (devices == DeviceAccess::Allow && !bus.memory_range_free(address & ~0xFFFu, 0x1000)) {
      // A device window: byte reads, as a debugger on a real bus would make them.
      for (std::size_t k = 0; k < chunk; ++k)
        out[done + k] = static_cast<u8>(bus.read(address + static_cast<u32>(k), 1));
    } else {
      return done;
    }
    done += chunk;
    if (address + in_page == 0 && done < len) return done;  // the top of the 4 GiB space
  }
  return done;
}

std::size_t read_linear(const Cpu& cpu, u32 linear, u8* out, std::size_t len, DeviceAccess devices) {
  std::size_t done = 0;
  while (done < len) {
    const u32 address = linear + static_cast<u32>(done);
    const std::size_t chunk = std::min<std::size_t>(len - done, 0x1000 - (address & 0xFFF));
    u32 physical;
    if (!linear_to_physical(cpu, address, physical)) return done;
    const std::size_t got = read_physical(cpu.bus, physical, out + done, chunk, devices);
    done += got;
    if (got < chunk) return done;
  }
  return done;
}

bool write_physical(AddressSpace& bus, u32 physical, const u8* data, std::size_t len) {
  // Check every page first, so a refused write leaves memory untouched.
  for (std::size_t done = 0; done < len;) {
    const u32 address = (physical + static_cast<u32>(done)) & bus.a20_mask();
    if (!bus.host_page(address, true)) return false;
    done += std::min<std::size_t>(len - done, 0x1000 - (address & 0xFFF));
  }
  for (std::size_t done = 0; done < len;) {
    const u32 address = (physical + static_cast<u32>(done)) & bus.a20_mask();
    const std::size_t chunk = std::min<std::size_t>(len - done, 0x1000 - (address & 0xFFF));
    std::copy_n(data + done, chunk, bus.host_page(address, true) + (address & 0xFFF));
    // Translated code on that page must not outlive its bytes (DESIGN §3).
    bus.notify_code_write(address, static_cast<u32>(chunk));
    done += chunk;
  }
  return true;
}

bool write_linear(const Cpu& cpu, u32 linear, const u8* data, std::size_t len) {
  // Translate every page before writing any.
  for (std::size_t done = 0; done < len;) {
    const u32 address = linear + static_cast<u32>(done);
    u32 physical;
    if (!linear_to_physical(cpu, address, physical) || !cpu.bus.host_page(physical, true)) return false;
    done += std::min<std::size_t>(len - done, 0x1000 - (address & 0xFFF));
  }
  for (std::size_t done = 0; done < len;) {
    const u32 address = linear + static_cast<u32>(done);
    const std::size_t chunk = std::min<std::size_t>(len - done, 0x1000 - (address & 0xFFF));
    u32 physical;
    linear_to_physical(cpu, address, physical);
    write_physical(cpu.bus, physical, data + done, chunk);
    done += chunk;
  }
  return true;
}

}  // namespace emu::debug
