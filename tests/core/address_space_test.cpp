// The physical address space: shadow RAM under the BIOS ROM (i440FX PAM, 82441FX datasheet
// 3.2.18), the way a BIOS copies itself into RAM during POST.
#include "core/address_space.h"

#include <doctest/doctest.h>

#include <vector>

using namespace emu;

TEST_CASE("platform: shadow RAM under the BIOS ROM follows the PAM read/write enables") {
  AddressSpace bus(2u << 20);
  std::vector<u8> rom(0x10000, 0xAB);
  bus.map_rom(0xF0000, rom);
  bus.ram()[0xF0000] = 0x11;
  bus.ram()[0xD0000] = 0x22;

  // Before a machine takes control of the range, the ROM answers and other pages are RAM.
  CHECK(bus.read(0xF0000, 1) == 0xAB);
  CHECK(bus.read(0xD0000, 1) == 0x22);

  // PAM "disabled": reads and writes go to the bus (the ROM, or nothing at all).
  bus.set_shadow(0xC0000, 0x40000, false, false);
  CHECK(bus.read(0xD0000, 1) == 0xFF);
  bus.write(0xD0000, 1, 0x33);
  CHECK(bus.ram()[0xD0000] == 0x22);
  CHECK(bus.host_page(0xD0000, false) == nullptr);

  // Write-only: the copy loop reads the ROM and writes the RAM beneath it.
  bus.set_shadow(0xF0000, 0x10000, false, true);
  bus.write(0xF0000, 1, bus.read(0xF0000, 1));
  CHECK(bus.ram()[0xF0000] == 0xAB);
  CHECK(bus.host_page(0xF0000, true) == bus.ram() + 0xF0000);

  // Read-only: RAM answers reads, writes are dropped and never reach RAM through the TLB.
  bus.ram()[0xF0001] = 0x44;
  bus.set_shadow(0xF0000, 0x10000, true, false);
  CHECK(bus.read(0xF0001, 1) == 0x44);
  bus.write(0xF0001, 1, 0x55);
  CHECK(bus.read(0xF0001, 1) == 0x44);
  CHECK(bus.host_page(0xF0000, true) == nullptr);
  CHECK(bus.host_page(0xF0000, false) == bus.ram() + 0xF0000);
}
