// Guest memory as a debugger sees it (the gdb stub, the monitor): reads and writes that leave the
// machine as it was. A linear address is translated by walking the guest's page tables without
// setting Accessed/Dirty bits, without filling the TLB and without raising #PF (Cpu::
// probe_translation), so looking at memory never changes what the guest will see or fault on.
//
// RAM and ROM are read straight from host memory. Device windows (MMIO) are different: reading a
// device register can change the device (a UART's receive buffer pops a byte, VGA loads its
// latches), so a debugger read reaches a device only when the caller asks for it. gdb reads memory
// on its own (stack unwinding, the instruction at $pc), so the gdb stub never does; the monitor's
// x/xp do, because a person typed that address. Writes go to RAM only: ROM stays read-only, and a
// device register is never written behind the guest's back.
#pragma once
#include <cstddef>

#include "core/cpu.h"

namespace emu::debug {

enum class DeviceAccess : u8 { Refuse, Allow };

// Linear to physical for the current paging mode, without side effects. False when not mapped.
bool linear_to_physical(const Cpu& cpu, u32 linear, u32& physical);

// Reads up to `len` bytes; returns how many were read before the first byte that could not be
// (not mapped by paging, outside RAM/ROM, or a device window with DeviceAccess::Refuse).
std::size_t read_physical(AddressSpace& bus, u32 physical, u8* out, std::size_t len,
                          DeviceAccess devices = DeviceAccess::Refuse);
std::size_t read_linear(const Cpu& cpu, u32 linear, u8* out, std::size_t len,
                        DeviceAccess devices = DeviceAccess::Refuse);

// Writes all of `len` bytes into guest RAM, or nothing when any byte is not writable RAM (not
// mapped, ROM, a device window). Translations of the code they overwrite are dropped.
bool write_physical(AddressSpace& bus, u32 physical, const u8* data, std::size_t len);
bool write_linear(const Cpu& cpu, u32 linear, const u8* data, std::size_t len);

}  // namespace emu::debug
