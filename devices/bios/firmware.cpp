#include "devices/bios/firmware.h"

#include <algorithm>
#include <cstring>

#include "core/guest_log.h"
#include "devices/acpi_pm/acpi_pm_constants.h"
#include "dsdt_aml.h"  // generated from dsdt.asl by iasl and tools/bin2c.py at build time

namespace emu {

namespace {

// Little-endian byte assembly for the tables.
class ByteWriter {
 public:
  std::vector<u8> bytes;
  ByteWriter& u8_(u8 v) { return bytes.push_back(v), *this; }
  ByteWriter& u16_(u16 v) { return u8_(static_cast<u8>(v)).u8_(static_cast<u8>(v >> 8)); }
  ByteWriter& u32_(u32 v) { return u16_(static_cast<u16>(v)).u16_(static_cast<u16>(v >> 16)); }
  ByteWriter& u64_(u64 v) { return u32_(static_cast<u32>(v)).u32_(static_cast<u32>(v >> 32)); }
  ByteWriter& text(const char* s, std::size_t n) {  // fixed-width, space padded (ACPI ids)
    const std::size_t len = std::strlen(s);
    for (std::size_t k = 0; k < n; ++k) u8_(k < len ? static_cast<u8>(s[k]) : u8{' '});
    return *this;
  }
  ByteWriter& zeros(std::size_t n) { return bytes.insert(bytes.end(), n, 0), *this; }
  std::size_t size() const { return bytes.size(); }
  void set_u16(std::size_t at, u16 v) { bytes[at] = static_cast<u8>(v), bytes[at + 1] = static_cast<u8>(v >> 8); }
  void set_u32(std::size_t at, u32 v) {
    for (int k = 0; k < 4; ++k) bytes[at + k] = static_cast<u8>(v >> (8 * k));
  }
};

// The byte that makes bytes [from, to) sum to zero modulo 256 (ACPI, SMBIOS, $PIR checksums).
u8 checksum(const std::vector<u8>& bytes, std::size_t from, std::size_t to) {
  u8 sum = 0;
  for (std::size_t k = from; k < to; ++k) sum = static_cast<u8>(sum + bytes[k]);
  return static_cast<u8>(-sum);
}

constexpr const char* kOemId = "EMU";
constexpr const char* kOemTableId = "EMUPC";

// The 36-byte header every ACPI table but the RSDP and FACS begins with (ACPI 6.x, 5.2.6).
ByteWriter acpi_table(const char* signature, u8 revision) {
  ByteWriter w;
  w.text(signature, 4).u32_(0).u8_(revision).u8_(0).text(kOemId, 6).text(kOemTableId, 8).u32_(1);
  w.text("EMU", 4).u32_(1);
  return w;
}
void finish_acpi_table(ByteWriter& w) {
  w.set_u32(4, static_cast<u32>(w.size()));
  w.bytes[9] = checksum(w.bytes, 0, w.size());
}

u32 align_up(u32 v, u32 a) { return (v + a - 1) & ~(a - 1); }

}  // namespace

std::vector<E820Entry> FirmwareLayout::memory_map() const {
  // Base memory up to the EBDA; the EBDA, VGA window and ROMs; extended memory up to the
  // firmware's table area; the tables; the BIOS ROM below 4 GiB. The 640 KiB-1 MiB hole is
  // left out except the F segment, which holds the BIOS and its anchors.
  return {
      {0, kEbdaBase, E820Entry::kUsable},
      {kEbdaBase, 0xA0000 - kEbdaBase, E820Entry::kReserved},
      {0xF0000, 0x10000, E820Entry::kReserved},
      {0x100000, table_area() - 0x100000u, E820Entry::kUsable},
      {table_area(), kTableAreaBytes, E820Entry::kReserved},
      {0x100000000ull - rom_bytes, rom_bytes, E820Entry::kReserved},
  };
}

const std::vector<u8>& FirmwareTables::dsdt() {
  static const std::vector<u8> aml(kDsdtAml.begin(), kDsdtAml.end());
  return aml;
}

void FirmwareTables::put(u32 paddr, const std::vector<u8>& bytes) {
  for (std::size_t k = 0; k < bytes.size(); ++k) bus_.write(paddr + static_cast<u32>(k), 1, bytes[k]);
}

// FACS, DSDT, FADT and RSDT in the table area from `cursor`; returns the RSDT's address.
u32 FirmwareTables::build_acpi(u32& cursor) {
  // FACS (ACPI 6.x, 5.2.10): 64-byte aligned, no waking vector, no global lock in use.
  cursor = align_up(cursor, 64);
  const u32 facs = cursor;
  ByteWriter f;
  f.text("FACS", 4).u32_(64).u32_(0 /* hardware signature */).u32_(0 /* waking vector */);
  f.u32_(0 /* global lock */).u32_(0 /* flags */).zeros(64 - f.size());
  put(facs, f.bytes);
  cursor += 64;

  const u32 dsdt_addr = cursor;
  put(dsdt_addr, dsdt());
  cursor = align_up(cursor + static_cast<u32>(dsdt().size()), 16);

  // FADT revision 1 (ACPI 1.0b, 5.2.5): the PIIX4 PM blocks of devices/acpi_pm. Revision 1 has
  // no reset register and no boot-architecture flags: an OS then assumes the legacy devices
  // (8042, RTC) are there, which they are.
  namespace pm = acpi_pm;
  ByteWriter fadt = acpi_table("FACP", 1);
  fadt.u32_(facs).u32_(dsdt_addr);
  fadt.u8_(0 /* INT_MODEL: dual PIC */).u8_(0).u16_(pm::kSciIrq);
  fadt.u32_(pm::kSmiCommandPort).u8_(pm::kAcpiEnable).u8_(pm::kAcpiDisable).u8_(0 /* S4BIOS_REQ */).u8_(0);
  fadt.u32_(pm::kPm1EventBlock).u32_(0).u32_(pm::kPm1ControlBlock).u32_(0).u32_(0 /* PM2 */);
  fadt.u32_(pm::kPmTimerBlock).u32_(pm::kGpe0Block).u32_(0 /* GPE1 */);
  fadt.u8_(pm::kPm1EventLength).u8_(pm::kPm1ControlLength).u8_(0).u8_(pm::kPmTimerLength);
  fadt.u8_(pm::kGpe0Length).u8_(0).u8_(0).u8_(0);
  fadt.u16_(0xFFF /* P_LVL2_LAT > 100: no C2 */).u16_(0xFFFF /* P_LVL3_LAT > 1000: no C3 */);
  fadt.u16_(0).u16_(0).u8_(0).u8_(0);
  fadt.u8_(0 /* DAY_ALRM: no day-of-month alarm */).u8_(0 /* MON_ALRM */);
  fadt.u8_(0x32 /* CENTURY: the CMOS index of the century byte */);
  fadt.u16_(0).u8_(0);
  // Flags: WBINVD works (bit 0), C1 via HLT (bit 2), no sleep button (bit 5), the PM timer is
  // 24 bits (bit 8 clear).
  fadt.u32_(0x1u | 0x4u | 0x20u);
  finish_acpi_table(fadt);
  const u32 fadt_addr = cursor;
  put(fadt_addr, fadt.bytes);
  cursor = align_up(cursor + static_cast<u32>(fadt.size()), 16);

  // RSDT: the FADT. No MADT: this machine has no local or I/O APIC (ACPI 6.x, 5.2.12 is for
  // APIC systems; without it the OS uses the 8259 PICs).
  ByteWriter rsdt = acpi_table("RSDT", 1);
  rsdt.u32_(fadt_addr);
  finish_acpi_table(rsdt);
  const u32 rsdt_addr = cursor;
  put(rsdt_addr, rsdt.bytes);
  cursor = align_up(cursor + static_cast<u32>(rsdt.size()), 16);
  return rsdt_addr;
}

// SMBIOS 2.8 structures (DMTF DSP0134): BIOS, system, chassis, processor, memory array, memory
// device, mapped address, boot information. Each structure is its formatted area, then its
// strings, then a double NUL.
std::vector<u8> FirmwareTables::smbios_structures(unsigned& count, unsigned& largest) const {
  std::vector<u8> table;
  count = largest = 0;
  u16 handle = 0;
  auto add = [&](ByteWriter formatted, std::initializer_list<const char*> strings) {
    formatted.bytes[1] = static_cast<u8>(formatted.size());
    formatted.set_u16(2, handle++);
    std::vector<u8> s = formatted.bytes;
    for (const char* str : strings) {
      s.insert(s.end(), str, str + std::strlen(str));
      s.push_back(0);
    }
    if (strings.size() == 0) s.push_back(0);
    s.push_back(0);
    largest = std::max<unsigned>(largest, static_cast<unsigned>(s.size()));
    table.insert(table.end(), s.begin(), s.end());
    ++count;
  };
  auto header = [](u8 type) {
    ByteWriter w;
    w.u8_(type).u8_(0).u16_(0);
    return w;
  };
  const u32 ram_kib = layout_.ram_bytes >> 10;

  ByteWriter bios = header(0);  // BIOS Information
  bios.u8_(1 /* vendor */).u8_(2 /* version */).u16_(0xF000 /* start segment */).u8_(3 /* date */);
  bios.u8_(0 /* ROM size: 64 KiB */);
  bios.u64_((1u << 4) | (1u << 7));  // characteristics: ISA, PCI
  bios.u8_(0x01 /* ACPI */).u8_(0x00).u8_(0).u8_(1 /* BIOS 0.1 */).u8_(0xFF).u8_(0xFF);
  add(bios, {"emu", "0.1", "11/22/2026"});

  ByteWriter system = header(1);  // System Information
  system.u8_(1).u8_(2).u8_(3).u8_(0 /* no serial number */);
  system.zeros(16);  // UUID: not set
  system.u8_(6 /* woken by the power switch */).u8_(0).u8_(4 /* family */);
  add(system, {"emu", "Standard PC (i440FX + PIIX, 1996)", "0.1", "emu PC"});

  ByteWriter chassis = header(3);  // System Enclosure
  chassis.u8_(1).u8_(0x01 /* other */).u8_(0).u8_(0).u8_(0);
  chassis.u8_(3).u8_(3).u8_(3).u8_(2);  // boot-up, power supply, thermal: safe; security: unknown
  chassis.u32_(0).u8_(0).u8_(0).u8_(0).u8_(3);
  add(chassis, {"emu"});

  ByteWriter cpu = header(4);  // Processor Information
  cpu.u8_(1 /* socket */).u8_(3 /* central processor */).u8_(0x0C /* Pentium Pro family */).u8_(2);
  cpu.u64_(0x0000000000000000ull);  // the CPUID signature (not duplicated here)
  cpu.u8_(0 /* version string */).u8_(0).u16_(0).u16_(0).u16_(0);
  cpu.u8_(0x41 /* populated, enabled */).u8_(0x01 /* other upgrade */);
  cpu.u16_(0xFFFF).u16_(0xFFFF).u16_(0xFFFF).u8_(0).u8_(0).u8_(0);
  add(cpu, {"CPU 0", "emu"});

  const u16 array_handle = handle;
  ByteWriter array = header(16);  // Physical Memory Array
  array.u8_(0x03 /* system board */).u8_(0x03 /* system memory */).u8_(0x03 /* no ECC */);
  array.u32_(ram_kib).u16_(0xFFFE).u16_(1);
  add(array, {});

  ByteWriter device = header(17);  // Memory Device
  device.u16_(array_handle).u16_(0xFFFE).u16_(64).u16_(64);
  device.u16_(static_cast<u16>(std::min<u32>(layout_.ram_bytes >> 20, 0x7FFF)));  // MiB
  device.u8_(0x09 /* DIMM */).u8_(0).u8_(1 /* locator */).u8_(0).u8_(0x07 /* RAM */).u16_(0x0002);
  device.u16_(0).u8_(2 /* manufacturer */).u8_(0).u8_(0).u8_(0);
  add(device, {"DIMM 0", "emu"});

  ByteWriter mapped = header(19);  // Memory Array Mapped Address
  mapped.u32_(0).u32_(ram_kib - 1).u16_(array_handle).u8_(1);
  add(mapped, {});

  ByteWriter boot = header(32);  // System Boot Information
  boot.zeros(6).u8_(0 /* no errors */);
  add(boot, {});

  add(header(127), {});  // End-of-Table
  return table;
}

std::string FirmwareTables::build(u32 anchor, u32 anchor_bytes) {
  u32 cursor = layout_.table_area();
  const u32 rsdt = build_acpi(cursor);

  unsigned count = 0, largest = 0;
  const std::vector<u8> smbios = smbios_structures(count, largest);
  const u32 smbios_addr = cursor;
  put(smbios_addr, smbios);
  cursor = align_up(cursor + static_cast<u32>(smbios.size()), 16);
  if (cursor > layout_.ram_bytes) return "the ACPI and SMBIOS tables overflow their area";

  // RSDP, revision 0 (ACPI 1.0: 20 bytes; ACPI 6.x, 5.2.5.3).
  ByteWriter rsdp;
  rsdp.text("RSD PTR ", 8).u8_(0).text(kOemId, 6).u8_(0).u32_(rsdt);
  rsdp.bytes[8] = checksum(rsdp.bytes, 0, 20);

  // SMBIOS 2.8 entry point (DSP0134 5.2.1): "_SM_" ... "_DMI_" ... , 31 bytes.
  ByteWriter ep;
  ep.text("_SM_", 4).u8_(0).u8_(0x1F).u8_(2).u8_(8).u16_(static_cast<u16>(largest)).u8_(0).zeros(5);
  ep.text("_DMI_", 5).u8_(0).u16_(static_cast<u16>(smbios.size())).u32_(smbios_addr);
  ep.u16_(static_cast<u16>(count)).u8_(0x28);
  ep.bytes[0x15] = checksum(ep.bytes, 0x10, 0x1F);  // the intermediate "_DMI_" checksum
  ep.bytes[4] = checksum(ep.bytes, 0, 0x1F);

  // $PIR (Microsoft's PCI IRQ Routing Table Specification 1.0): the router is the PIIX3 at
  // 00:01.0; each slot's INTA-D name a link value, which for the PIIX family is the PIRQRC
  // register's config offset (60h-63h); the bitmap is the IRQs a link can take.
  ByteWriter pir;
  const u16 irq_bitmap = (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 9) | (1u << 10) |
                         (1u << 11) | (1u << 12) | (1u << 14) | (1u << 15);
  pir.text("$PIR", 4).u16_(0x0100).u16_(0).u8_(0).u8_(0x08 /* 00:01.0 */).u16_(0);
  pir.u16_(0x8086).u16_(0x7000).u32_(0).zeros(11).u8_(0);
  for (u8 device : layout_.pci_devices) {
    pir.u8_(0).u8_(static_cast<u8>(device << 3));
    for (unsigned pin = 0; pin < 4; ++pin) pir.u8_(static_cast<u8>(0x60 + ((device - 1 + pin) & 3))).u16_(irq_bitmap);
    pir.u8_(0 /* embedded */).u8_(0);
  }
  pir.set_u16(6, static_cast<u16>(pir.size()));
  pir.bytes[31] = checksum(pir.bytes, 0, pir.size());

  const u32 needed = align_up(20, 16) + align_up(0x1F, 16) + static_cast<u32>(pir.size());
  if (anchor & 15) return "the anchor area is not 16-byte aligned";
  if (anchor_bytes < needed) return "the anchor area is too small";
  put(anchor, rsdp.bytes);
  put(anchor + 32, ep.bytes);
  put(anchor + 64, pir.bytes);
  return {};
}

void FirmwareInterface::port_write(u16, unsigned, u32 value) {
  switch (static_cast<u8>(value)) {
    case kBuildTables: build_tables(); break;
    case kLoadKernel: load_kernel(); break;
    case kDiskService: disk_service(); break;
    case kBootDevice: boot_device(); break;
    case kBootMenu: boot_menu(); break;
    case kSerialConsole: cpu_.s.gpr[EAX] = (cpu_.s.gpr[EAX] & 0xFFFF0000u) | serial_console_; break;
    case kVbeService:
      if (vbe_) vbe_->int10();
      break;
    default: GuestLog::instance().log("firmware", "unknown hypercall %02x", value & 0xFF); cpu_.s.flags.set_cf(true);
  }
}

// FW_BUILD_TABLES: ES:DI = E820 buffer, CX = its capacity in entries; EBX = the anchor area,
// ESI = its size. Returns CX = entries written; CF set when something was refused.
void FirmwareInterface::build_tables() {
  if (disks_) disks_->post();
  CpuState& s = cpu_.s;
  AddressSpace& bus = cpu_.bus;
  const std::vector<E820Entry> map = layout_.memory_map();
  const u32 buffer = s.sreg(Seg::ES).base + (s.gpr[EDI] & 0xFFFF);
  const u32 capacity = s.gpr[ECX] & 0xFFFF;
  const u32 entries = std::min<u32>(capacity, static_cast<u32>(map.size()));
  bool ok = entries == map.size();
  if (buffer >= layout_.ram_bytes || u64{entries} * 20 > layout_.ram_bytes - buffer) {
    GuestLog::instance().log("firmware", "E820 buffer %08x (%u entries) lies outside RAM", buffer, capacity);
    s.flags.set_cf(true);
    return;
  }
  for (u32 k = 0; k < entries; ++k) {
    const E820Entry& e = map[k];
    const u32 at = buffer + 20 * k;
    bus.write(at, 4, static_cast<u32>(e.base));
    bus.write(at + 4, 4, static_cast<u32>(e.base >> 32));
    bus.write(at + 8, 4, static_cast<u32>(e.length));
    bus.write(at + 12, 4, static_cast<u32>(e.length >> 32));
    bus.write(at + 16, 4, e.type);
  }
  s.gpr[ECX] = (s.gpr[ECX] & 0xFFFF0000u) | entries;

  const u32 anchor = s.gpr[EBX], anchor_bytes = s.gpr[ESI];
  if (anchor < 0xE0000 || anchor >= 0x100000 || anchor_bytes > 0x100000 - anchor) {
    GuestLog::instance().log("firmware", "anchor area %08x+%x is not in E0000-FFFFF", anchor, anchor_bytes);
    ok = false;
  } else if (std::string why = FirmwareTables(bus, layout_).build(anchor, anchor_bytes); !why.empty()) {
    GuestLog::instance().log("firmware", "%s", why.c_str());
    ok = false;
  }
  s.flags.set_cf(!ok);
}

// FW_LOAD_KERNEL: loads -kernel (and -initrd) and tells the BIOS how to start it.
void FirmwareInterface::load_kernel() {
  CpuState& s = cpu_.s;
  const KernelEntry k = load_kernel_ ? load_kernel_() : KernelEntry{};
  s.gpr[EAX] = static_cast<u32>(k.kind);
  switch (k.kind) {
    case KernelEntry::Kind::Linux:
      s.gpr[EBX] = k.setup_segment;
      s.gpr[ECX] = k.setup_stack;
      break;
    case KernelEntry::Kind::Multiboot:
      s.gpr[ESI] = k.entry;
      s.gpr[EBX] = k.info;
      break;
    case KernelEntry::Kind::None: break;
  }
}

// FW_DISK_SERVICE: int 13h, the caller's AX and DX on the stack (disk_services.h).
void FirmwareInterface::disk_service() {
  if (disks_) {
    disks_->int13();
    return;
  }
  cpu_.s.flags.set_cf(true);
}

// FW_BOOT_DEVICE: CL = the boot menu entry (0 = follow the boot order), ES:DI = a buffer of SI
// bytes for the messages to print. Returns EAX = FW_BOOT_SECTOR with DL = the drive and BX:CX =
// where to start, or FW_BOOT_NONE.
void FirmwareInterface::boot_device() {
  CpuState& s = cpu_.s;
  const u32 message = s.sreg(Seg::ES).base + (s.gpr[EDI] & 0xFFFF);
  const auto target = disks_ ? disks_->boot(s.gpr[ECX] & 0xFF, message, s.gpr[ESI] & 0xFFFF) : std::nullopt;
  if (!target) {
    s.gpr[EAX] = static_cast<u32>(KernelEntry::Kind::None);
    return;
  }
  s.gpr[EAX] = kBootSector;
  s.gpr[EDX] = target->drive;
  s.gpr[EBX] = target->segment;
  s.gpr[ECX] = target->offset;
}

// FW_BOOT_MENU: ES:DI = a buffer of CX bytes. Returns EAX = 0 when -boot did not ask for a menu,
// else 1 with the menu text (NUL-terminated) in the buffer.
void FirmwareInterface::boot_menu() {
  CpuState& s = cpu_.s;
  if (!disks_ || !disks_->boot_menu()) {
    s.gpr[EAX] = 0;
    return;
  }
  disks_->write_menu(s.sreg(Seg::ES).base + (s.gpr[EDI] & 0xFFFF), s.gpr[ECX] & 0xFFFF);
  s.gpr[EAX] = 1;
}

}  // namespace emu
