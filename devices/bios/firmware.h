// The C++ half of emu's BIOS: the work the assembly hands over through the firmware hypercall
// port (hypercall.inc) — the memory map, the ACPI/SMBIOS/$PIR tables, and loading the -kernel.
// devices/bios/README.md lists every BIOS service and which half does it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/address_space.h"
#include "core/cpu.h"
#include "devices/bios/disk_services.h"
#include "devices/bios/vbe_services.h"

namespace emu {

// One E820 entry (ACPI 6.x, 15.1 "INT 15H, E820H - Query System Address Map").
struct E820Entry {
  u64 base = 0, length = 0;
  u32 type = 0;
  static constexpr u32 kUsable = 1, kReserved = 2, kAcpiReclaim = 3, kAcpiNvs = 4;
};

struct FirmwareLayout {
  u32 ram_bytes = 0;            // RAM below 4 GiB
  u32 rom_bytes = 0x10000;      // the BIOS ROM's size, mapped just below 4 GiB
  std::vector<u8> pci_devices;  // device numbers on bus 0 that carry interrupt pins ($PIR slots)

  // The top of RAM holds the ACPI tables and the SMBIOS structures; the map reserves it.
  static constexpr u32 kTableAreaBytes = 64 * 1024;
  u32 table_area() const { return ram_bytes - kTableAreaBytes; }
  // The highest address a boot loader may use for the kernel, initrd or modules, plus one.
  u32 loadable_end() const { return table_area(); }
  static constexpr u32 kEbdaBase = 0x9FC00;

  std::vector<E820Entry> memory_map() const;
};

// Builds the firmware tables into guest memory. Everything is written through the address
// space, so the anchors land in the F-segment shadow RAM exactly as a BIOS's stores would.
class FirmwareTables {
 public:
  FirmwareTables(AddressSpace& bus, const FirmwareLayout& layout) : bus_(bus), layout_(layout) {}

  // Writes the ACPI tables and SMBIOS structures into the table area, and the RSDP, the SMBIOS
  // entry point and the $PIR table into [anchor, anchor + anchor_bytes). Returns an empty
  // string, or what did not fit.
  std::string build(u32 anchor, u32 anchor_bytes);

  // The AML of our DSDT (devices/bios/dsdt.asl, compiled by iasl at build time).
  static const std::vector<u8>& dsdt();

 private:
  void put(u32 paddr, const std::vector<u8>& bytes);
  u32 build_acpi(u32& cursor);
  std::vector<u8> smbios_structures(unsigned& count, unsigned& largest) const;

  AddressSpace& bus_;
  FirmwareLayout layout_;
};

// What FW_LOAD_KERNEL reports to the BIOS.
struct KernelEntry {
  enum class Kind : u32 { None = 0, Linux = 1, Multiboot = 2 } kind = Kind::None;
  u16 setup_segment = 0, setup_stack = 0;  // Linux: the real-mode setup code
  u32 entry = 0, info = 0;                 // Multiboot: entry point, information structure
};

// The hypercall port (I/O 6F0h). Any guest can write to it, so every address and size it
// receives is checked; a bad call is logged and answered with CF set.
class FirmwareInterface final : public PortHandler {
 public:
  static constexpr u16 kPort = 0x6F0;
  static constexpr u8 kBuildTables = 0x01, kLoadKernel = 0x02, kDiskService = 0x03, kBootDevice = 0x04,
                      kBootMenu = 0x05, kSerialConsole = 0x06, kVbeService = 0x07;
  // FW_BOOT_DEVICE's answer in EAX when a boot sector or El Torito image is loaded (FW_LOAD_KERNEL
  // uses 0-2).
  static constexpr u32 kBootSector = 3;

  FirmwareInterface(Cpu& cpu, const FirmwareLayout& layout, std::function<KernelEntry()> load_kernel)
      : cpu_(cpu), layout_(layout), load_kernel_(std::move(load_kernel)) {}

  u32 port_read(u16, unsigned size) override { return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }
  void port_write(u16 port, unsigned size, u32 value) override;

  const FirmwareLayout& layout() const { return layout_; }
  // int 13h and the disk boot; without them the BIOS has no drives.
  void set_disk_services(BiosDiskServices* disks) { disks_ = disks; }
  // int 10h AH=4Fh; without it VBE calls answer "not supported".
  void set_vbe_services(BiosVbeServices* vbe) { vbe_ = vbe; }
  // The UART the BIOS copies its messages to (0: none), for headless runs.
  void set_serial_console(u16 port) { serial_console_ = port; }

 private:
  void build_tables();
  void load_kernel();
  void disk_service();
  void boot_device();
  void boot_menu();

  Cpu& cpu_;
  FirmwareLayout layout_;
  std::function<KernelEntry()> load_kernel_;
  BiosDiskServices* disks_ = nullptr;
  BiosVbeServices* vbe_ = nullptr;
  u16 serial_console_ = 0;
};

}  // namespace emu
