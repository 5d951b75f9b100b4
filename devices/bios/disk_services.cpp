#include "devices/bios/disk_services.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "core/guest_log.h"

namespace emu {

namespace {

// BDA bytes int 13h keeps (IBM PC/AT Technical Reference, BIOS data area).
constexpr u32 kBdaEquipment = 0x410;
constexpr u32 kBdaFloppyStatus = 0x441;
constexpr u32 kBdaDiskStatus = 0x474;
constexpr u32 kBdaHardDisks = 0x475;
constexpr u32 kVectorDisketteParameters = 0x1E * 4;

constexpr u32 kBootSector = 0x7C00;
constexpr u32 kCdSector = 2048;
constexpr u32 kDiskSector = 512;
// El Torito §2.0: the boot record volume descriptor is at sector 17 of the first session.
constexpr u32 kBootRecordSector = 17;
// A transfer is staged in host memory in chunks of this size.
constexpr u32 kChunkBytes = 64 * 1024;

u16 le16(const u8* p) { return static_cast<u16>(p[0] | p[1] << 8); }
u32 le32(const u8* p) { return le16(p) | static_cast<u32>(le16(p + 2)) << 16; }
u64 le64(const u8* p) { return le32(p) | static_cast<u64>(le32(p + 4)) << 32; }
void put16(u8* p, u16 v) { p[0] = static_cast<u8>(v), p[1] = static_cast<u8>(v >> 8); }
void put32(u8* p, u32 v) { put16(p, static_cast<u16>(v)), put16(p + 2, static_cast<u16>(v >> 16)); }
void put64(u8* p, u64 v) { put32(p, static_cast<u32>(v)), put32(p + 4, static_cast<u32>(v >> 32)); }

DiskStatus status_of(BlockStatus s, bool write) {
  switch (s) {
    case BlockStatus::Ok: return DiskStatus::Ok;
    case BlockStatus::OutOfRange: return DiskStatus::SectorNotFound;
    case BlockStatus::ReadOnly: return DiskStatus::WriteProtected;
    case BlockStatus::IoError: return write ? DiskStatus::ControllerFailed : DiskStatus::UncorrectableData;
  }
  return DiskStatus::ControllerFailed;
}

}  // namespace

void BiosDiskServices::add_drive(BiosDrive drive) {
  Unit u;
  u.kind = drive.kind;
  u.drive_index = static_cast<unsigned>(drives_.size());
  const auto same_kind = std::count_if(units_.begin(), units_.end(),
                                       [&](const Unit& other) { return other.kind == drive.kind && !other.emulated; });
  u.number = static_cast<u8>((drive.kind == BiosDrive::Kind::HardDisk ? 0x80 : 0xE0) + same_kind);
  drives_.push_back(std::move(drive));
  units_.push_back(u);
}

BlockDevice* BiosDiskServices::medium(const Unit& u) const {
  const BiosDrive& d = drives_[u.drive_index];
  return d.media ? d.media() : nullptr;
}

u64 BiosDiskServices::total_sectors(const Unit& u) const {
  if (u.emulated) return u.image_sectors;
  BlockDevice* dev = medium(u);
  return dev ? dev->size() / sector_size(u) : 0;
}

BiosDiskServices::Unit* BiosDiskServices::find_unit(u8 number) {
  for (Unit& u : units_)
    if (u.number == number) return &u;
  return nullptr;
}

// The logical geometry int 13h reports for a hard disk. A disk that already has a partition
// table keeps the geometry its partitions were made with (the end head and sector of a
// partition entry, as QEMU's and SeaBIOS's guess does), so a boot loader's CHS reads land where
// its installer meant; otherwise the usual LBA-assist translation: 63 sectors per track and the
// fewest heads (16, 32, 64, 128, 255) that keep the cylinders within int 13h's 1024.
BiosDiskServices::Geometry BiosDiskServices::disk_geometry(BlockDevice& dev, u64 sectors) const {
  Geometry g;
  std::array<u8, kDiskSector> mbr{};
  if (dev.read(0, mbr) == BlockStatus::Ok && mbr[510] == 0x55 && mbr[511] == 0xAA) {
    for (unsigned p = 0; p < 4; ++p) {
      const u8* entry = &mbr[446 + 16 * p];
      const u8 end_head = entry[5], end_sector = entry[6] & 0x3F;
      if (entry[4] != 0 && end_sector != 0) {
        g.heads = end_head + 1u;
        g.sectors = end_sector;
        break;
      }
    }
  }
  if (g.heads == 0) {
    g.sectors = 63;
    g.heads = 255;
    for (u32 heads : {16u, 32u, 64u, 128u})
      if (sectors <= u64{1024} * heads * 63) {
        g.heads = heads;
        break;
      }
  }
  g.cylinders = static_cast<u32>(std::clamp<u64>(sectors / (u64{g.heads} * g.sectors), 1, 1024));
  return g;
}

void BiosDiskServices::post() {
  u8 hard_disks = 0;
  for (Unit& u : units_) {
    if (u.kind != BiosDrive::Kind::HardDisk) continue;
    ++hard_disks;
    if (BlockDevice* dev = medium(u)) u.geometry = disk_geometry(*dev, total_sectors(u));
  }
  const u8 count[1] = {hard_disks};
  dma_.write(kBdaHardDisks, count);
}

// ---- guest memory ------------------------------------------------------------------------------

// Buffers are linear addresses (segment × 16 + offset for real-mode and V86 callers); each page
// is translated without side effects and written through the checked DMA path, so a buffer
// over ROM, MMIO or past the end of RAM fails the call instead of touching a device.
bool BiosDiskServices::copy_to_guest(u32 linear, std::span<const u8> bytes) {
  while (!bytes.empty()) {
    const u32 chunk = std::min<u32>(static_cast<u32>(bytes.size()), 0x1000 - (linear & 0xFFF));
    u32 phys;
    if (!cpu_.probe_translation(linear, phys) || dma_.write(phys, bytes.first(chunk)) != DmaResult::Ok) return false;
    bytes = bytes.subspan(chunk);
    linear += chunk;
  }
  return true;
}

bool BiosDiskServices::copy_from_guest(u32 linear, std::span<u8> bytes) {
  while (!bytes.empty()) {
    const u32 chunk = std::min<u32>(static_cast<u32>(bytes.size()), 0x1000 - (linear & 0xFFF));
    u32 phys;
    if (!cpu_.probe_translation(linear, phys) || dma_.read(phys, bytes.first(chunk)) != DmaResult::Ok) return false;
    bytes = bytes.subspan(chunk);
    linear += chunk;
  }
  return true;
}

u16 BiosDiskServices::stacked(unsigned slot) const {
  const u32 at = cpu_.s.sreg(Seg::SS).base + ((cpu_.sp() + 2 * slot) & cpu_.sp_mask());
  std::array<u8, 2> v{};
  return const_cast<BiosDiskServices*>(this)->copy_from_guest(at, v) ? le16(v.data()) : 0;
}

void BiosDiskServices::set_stacked(unsigned slot, u16 value) {
  const u32 at = cpu_.s.sreg(Seg::SS).base + ((cpu_.sp() + 2 * slot) & cpu_.sp_mask());
  std::array<u8, 2> v{};
  put16(v.data(), value);
  copy_to_guest(at, v);
}

void BiosDiskServices::set_result(u8 ah, u8 al, bool carry) {
  set_stacked(0, static_cast<u16>(ah << 8 | al));
  cpu_.s.flags.set_cf(carry);
}

// ---- transfers ---------------------------------------------------------------------------------

DiskStatus BiosDiskServices::transfer(Unit& u, u64 lba, u32 count, u32 linear, bool write, u32& done) {
  done = 0;
  BlockDevice* dev = medium(u);
  if (!dev) return u.kind == BiosDrive::Kind::CdRom ? DiskStatus::MediaNotPresent : DiskStatus::NotReady;
  const u32 size = sector_size(u);
  const u64 total = total_sectors(u);
  if (lba > total || count > total - lba) return DiskStatus::SectorNotFound;
  if (u64{linear} + u64{count} * size > 0x100000000ull) return DiskStatus::InvalidFunction;
  if (write && (dev->read_only() || u.kind == BiosDrive::Kind::CdRom)) return DiskStatus::WriteProtected;

  std::vector<u8> buffer(std::min<u64>(u64{count} * size, kChunkBytes));
  const u32 per_chunk = static_cast<u32>(buffer.size()) / size;
  while (done < count) {
    const u32 n = std::min(per_chunk, count - done);
    const std::span<u8> chunk(buffer.data(), u64{n} * size);
    const u64 offset = u.image_offset + (lba + done) * size;
    const u32 at = linear + done * size;
    if (write) {
      if (!copy_from_guest(at, chunk)) return DiskStatus::InvalidFunction;
      if (const BlockStatus s = dev->write(offset, chunk); s != BlockStatus::Ok) return status_of(s, true);
    } else {
      if (const BlockStatus s = dev->read(offset, chunk); s != BlockStatus::Ok) return status_of(s, false);
      if (!copy_to_guest(at, chunk)) {
        GuestLog::instance().log("bios", "int 13h: buffer at linear %08x is not writable RAM", at);
        return DiskStatus::InvalidFunction;
      }
    }
    done += n;
  }
  return DiskStatus::Ok;
}

// AH=02h read, 03h write, 04h verify: AL = sectors, CH = cylinder bits 7-0, CL bits 7-6 =
// cylinder bits 9-8 and bits 5-0 = sector (from 1), DH = head, ES:BX = buffer. AL returns the
// sectors transferred.
DiskStatus BiosDiskServices::chs_transfer(Unit& u, u8 ah) {
  const u8 count = static_cast<u8>(stacked(0));
  const u16 cx = static_cast<u16>(cpu_.s.gpr[ECX]);
  const u8 head = static_cast<u8>(stacked(1) >> 8);
  const u32 cylinder = (cx >> 8) | ((cx & 0xC0u) << 2);
  const u32 sector = cx & 0x3F;
  const Geometry& g = u.geometry;
  u32 done = 0;
  DiskStatus status = DiskStatus::Ok;
  if (u.kind == BiosDrive::Kind::CdRom && !u.emulated) {
    status = DiskStatus::InvalidFunction;  // a CD-ROM has no CHS addressing (EDD 3.0 §8.2)
  } else if (count == 0 || count > 128) {
    status = DiskStatus::InvalidFunction;
  } else if (sector == 0 || sector > g.sectors || head >= g.heads || cylinder >= g.cylinders) {
    status = DiskStatus::SectorNotFound;
  } else {
    const u64 lba = (u64{cylinder} * g.heads + head) * g.sectors + sector - 1;
    const u32 buffer = cpu_.s.sreg(Seg::ES).base + (cpu_.s.gpr[EBX] & 0xFFFF);
    if (ah == 0x04) {
      status = lba + count <= total_sectors(u) ? DiskStatus::Ok : DiskStatus::SectorNotFound;
      done = status == DiskStatus::Ok ? count : 0;
    } else {
      status = transfer(u, lba, count, buffer, ah == 0x03, done);
    }
  }
  failure_al_ = static_cast<u8>(done);
  if (status == DiskStatus::Ok) set_result(0, static_cast<u8>(done), false);
  return status;
}

// AH=08h: CH/CL = the last cylinder and the sectors per track, DH = the last head, DL = the
// number of drives of that kind; for a floppy also BL = its type and ES:DI = the diskette
// parameter table (the int 1Eh vector).
DiskStatus BiosDiskServices::get_parameters(Unit& u) {
  if (u.kind == BiosDrive::Kind::CdRom && !u.emulated) return DiskStatus::InvalidFunction;
  const Geometry& g = u.geometry;
  const u32 last_cylinder = std::min<u32>(g.cylinders, 1024) - 1;
  CpuState& s = cpu_.s;
  s.gpr[ECX] =
      (s.gpr[ECX] & 0xFFFF0000u) | (last_cylinder & 0xFF) << 8 | ((last_cylinder >> 2) & 0xC0) | (g.sectors & 0x3F);
  u8 drives = 0;
  for (const Unit& other : units_) drives += (other.number & 0x80) == (u.number & 0x80) && other.number < 0xE0;
  set_stacked(1, static_cast<u16>((g.heads - 1) << 8 | drives));
  if (u.floppy) {
    const u8 type = g.sectors == 15 ? 2 : g.sectors == 18 ? 4 : 5;  // 1.2 MB, 1.44 MB, 2.88 MB
    s.gpr[EBX] = (s.gpr[EBX] & 0xFFFFFF00u) | type;
    std::array<u8, 4> vector{};
    copy_from_guest(kVectorDisketteParameters, vector);
    s.gpr[EDI] = (s.gpr[EDI] & 0xFFFF0000u) | le16(vector.data());
    cpu_.load_segment_real(Seg::ES, le16(vector.data() + 2));
  }
  set_result(0, 0, false);
  return DiskStatus::Ok;
}

// AH=15h: AH = 03h (fixed disk, CX:DX = its sectors) or 01h (diskette without change line).
DiskStatus BiosDiskServices::get_type(Unit& u) {
  if (u.kind == BiosDrive::Kind::CdRom && !u.emulated) return DiskStatus::InvalidFunction;
  if (u.floppy) {
    set_result(0x01, static_cast<u8>(stacked(0)), false);
    return DiskStatus::Ok;
  }
  const Geometry& g = u.geometry;
  const u32 sectors = g.cylinders * g.heads * g.sectors;
  cpu_.s.gpr[ECX] = (cpu_.s.gpr[ECX] & 0xFFFF0000u) | sectors >> 16;
  set_stacked(1, static_cast<u16>(sectors));
  set_result(0x03, static_cast<u8>(stacked(0)), false);
  return DiskStatus::Ok;
}

// AH=42h read, 43h write, 44h verify, 47h seek, with the disk address packet at DS:SI (EDD 3.0
// §8.3): size (10h, or 18h with a 64-bit flat buffer when the segment:offset is FFFF:FFFF),
// block count (updated with the blocks transferred), buffer, starting LBA.
DiskStatus BiosDiskServices::extended_transfer(Unit& u, u8 ah) {
  const u32 packet = cpu_.s.sreg(Seg::DS).base + (cpu_.s.gpr[ESI] & 0xFFFF);
  std::array<u8, 0x18> dap{};
  if (!copy_from_guest(packet, std::span<u8>(dap).first(0x10))) return DiskStatus::InvalidFunction;
  if (dap[0] < 0x10) {
    GuestLog::instance().log("bios", "int 13h AH=%02xh: disk address packet size %u", ah, dap[0]);
    return DiskStatus::InvalidFunction;
  }
  const u32 count = le16(&dap[2]);
  const u16 offset = le16(&dap[4]), segment = le16(&dap[6]);
  const u64 lba = le64(&dap[8]);
  u64 buffer = u32{segment} * 16 + offset;
  if (dap[0] >= 0x18 && offset == 0xFFFF && segment == 0xFFFF) {
    if (!copy_from_guest(packet + 0x10, std::span<u8>(dap).subspan(0x10, 8))) return DiskStatus::InvalidFunction;
    buffer = le64(&dap[0x10]);
    if (buffer >= 0x100000000ull) return DiskStatus::InvalidFunction;
  }
  u32 done = 0;
  DiskStatus status;
  if (ah == 0x44 || ah == 0x47) {
    status = lba <= total_sectors(u) && count <= total_sectors(u) - lba ? DiskStatus::Ok : DiskStatus::SectorNotFound;
    done = status == DiskStatus::Ok ? count : 0;
  } else {
    status = transfer(u, lba, count, static_cast<u32>(buffer), ah == 0x43, done);
  }
  std::array<u8, 2> transferred{};
  put16(transferred.data(), static_cast<u16>(done));
  copy_to_guest(packet + 2, transferred);
  if (status == DiskStatus::Ok) set_result(0, static_cast<u8>(stacked(0)), false);
  return status;
}

// AH=48h: the result buffer at DS:SI (EDD 3.0 §8.6) — its first word says how big it is.
DiskStatus BiosDiskServices::extended_parameters(Unit& u) {
  const u32 at = cpu_.s.sreg(Seg::DS).base + (cpu_.s.gpr[ESI] & 0xFFFF);
  std::array<u8, 2> size_field{};
  if (!copy_from_guest(at, size_field)) return DiskStatus::InvalidFunction;
  const u16 size = le16(size_field.data());
  if (size < 0x1A) return DiskStatus::InvalidFunction;
  std::array<u8, 0x1E> result{};
  const bool cd = u.kind == BiosDrive::Kind::CdRom && !u.emulated;
  // Information flags: bit 1 the CHS values are valid; for removable media bit 2 removable,
  // bit 4 change-line support, bit 5 lockable, bit 6 the CHS values are the maximum (none).
  put16(&result[2], cd ? 0x0074 : 0x0002);
  if (!cd) {
    put32(&result[4], u.geometry.cylinders);
    put32(&result[8], u.geometry.heads);
    put32(&result[0xC], u.geometry.sectors);
  }
  put64(&result[0x10], total_sectors(u));
  put16(&result[0x18], static_cast<u16>(sector_size(u)));
  u16 written = 0x1A;
  if (size >= 0x1E) {
    put32(&result[0x1A], 0xFFFFFFFFu);  // no device parameter table extension
    written = 0x1E;
  }
  put16(&result[0], written);
  if (!copy_to_guest(at, std::span<const u8>(result).first(written))) return DiskStatus::InvalidFunction;
  set_result(0, static_cast<u8>(stacked(0)), false);
  return DiskStatus::Ok;
}

// AH=45h: AL = 0 lock, 1 unlock, 2 status; AL returns 1 while locked.
DiskStatus BiosDiskServices::lock_unlock(Unit& u) {
  if (u.kind != BiosDrive::Kind::CdRom) return DiskStatus::InvalidFunction;
  const u8 al = static_cast<u8>(stacked(0));
  switch (al) {
    case 0:
      if (u.lock_count == 255) return static_cast<DiskStatus>(0xB4);  // lock count exceeded
      ++u.lock_count;
      break;
    case 1:
      if (u.lock_count == 0) return static_cast<DiskStatus>(0xB0);  // volume not locked
      --u.lock_count;
      break;
    case 2: break;
    default: return DiskStatus::InvalidFunction;
  }
  set_result(0, u.lock_count ? 1 : 0, false);
  return DiskStatus::Ok;
}

// AH=46h: eject, refused while the volume is locked.
DiskStatus BiosDiskServices::eject(Unit& u) {
  if (u.kind != BiosDrive::Kind::CdRom || u.emulated) return DiskStatus::InvalidFunction;
  if (u.lock_count) return DiskStatus::VolumeLocked;
  if (!medium(u)) return DiskStatus::MediaNotPresent;
  if (const auto& eject = drives_[u.drive_index].eject) eject();
  set_result(0, static_cast<u8>(stacked(0)), false);
  return DiskStatus::Ok;
}

// AH=4Bh AL=00h (terminate emulation) / 01h (status): the specification packet at DS:SI
// (El Torito §5.2, table 13) describes the boot: media type, drive, controller, image LBA,
// load segment, sector count and, under emulation, the geometry.
DiskStatus BiosDiskServices::el_torito_status(u8 drive) {
  const u8 al = static_cast<u8>(stacked(0));
  if (!el_torito_ || al > 1 || drive != el_torito_->drive) return DiskStatus::InvalidFunction;
  const ElTorito& e = *el_torito_;
  const BiosDrive& cd = drives_[find_unit(e.cd_drive)->drive_index];
  std::array<u8, 0x13> packet{};
  packet[0] = 0x13;
  packet[1] = e.media_type;
  packet[2] = e.drive;
  packet[3] = cd.controller;
  put32(&packet[4], e.image_lba);
  put16(&packet[8], cd.device);
  put16(&packet[0xC], e.load_segment);
  put16(&packet[0xE], e.sector_count);
  if (e.media_type != 0) {
    const u32 last_cylinder = e.geometry.cylinders - 1;
    packet[0x10] = static_cast<u8>(last_cylinder);
    packet[0x11] = static_cast<u8>((e.geometry.sectors & 0x3F) | ((last_cylinder >> 2) & 0xC0));
    packet[0x12] = static_cast<u8>(e.geometry.heads - 1);
  }
  const u32 at = cpu_.s.sreg(Seg::DS).base + (cpu_.s.gpr[ESI] & 0xFFFF);
  if (!copy_to_guest(at, packet)) return DiskStatus::InvalidFunction;
  if (al == 0 && e.media_type != 0) {
    // Terminating emulation: the emulated drive goes away and the CD-ROM keeps its number.
    std::erase_if(units_, [](const Unit& u) { return u.emulated; });
  }
  set_result(0, al, false);
  return DiskStatus::Ok;
}

// ---- int 13h -----------------------------------------------------------------------------------

void BiosDiskServices::int13() {
  const u16 ax = stacked(0);
  const u8 ah = static_cast<u8>(ax >> 8);
  const u8 dl = static_cast<u8>(stacked(1));
  Unit* u = find_unit(dl);
  failure_al_ = static_cast<u8>(ax);
  const u32 status_byte = (dl & 0x80) ? kBdaDiskStatus : kBdaFloppyStatus;
  auto keep = [&](DiskStatus status) {
    const u8 b[1] = {static_cast<u8>(status)};
    dma_.write(status_byte, b);
  };

  if (ah == 0x01) {  // status of the last operation
    std::array<u8, 1> last{};
    dma_.read(status_byte, last);
    set_result(last[0], static_cast<u8>(ax), last[0] != 0);
    return;
  }
  if (!u) {
    // No such drive. AH=15h answers "not present" without an error (IBM); the rest fail.
    const DiskStatus status = ah == 0x15 ? DiskStatus::Ok : DiskStatus::InvalidFunction;
    keep(status);
    set_result(static_cast<u8>(status), ah == 0x15 ? 0 : static_cast<u8>(ax), ah != 0x15);
    return;
  }

  DiskStatus status = DiskStatus::Ok;
  switch (ah) {
    case 0x00:  // reset
    case 0x0D:  // alternate reset
    case 0x10:  // test drive ready
    case 0x11:  // recalibrate
    case 0x14:  // controller diagnostic
    case 0x0C:  // seek
    case 0x4E:  // EDD: set hardware configuration
      status = medium(*u) ? DiskStatus::Ok : DiskStatus::NotReady;
      set_result(static_cast<u8>(status), static_cast<u8>(ax), status != DiskStatus::Ok);
      break;
    case 0x02:
    case 0x03:
    case 0x04: status = chs_transfer(*u, ah); break;
    case 0x08: status = get_parameters(*u); break;
    case 0x15: status = get_type(*u); break;
    case 0x41:  // EDD installation check: BX 55AAh → AA55h, AH = version 3.0, CX = subsets
      if ((cpu_.s.gpr[EBX] & 0xFFFF) != 0x55AA) {
        status = DiskStatus::InvalidFunction;
        break;
      }
      cpu_.s.gpr[EBX] = (cpu_.s.gpr[EBX] & 0xFFFF0000u) | 0xAA55;
      // CX bit 0: the fixed-disk access subset (42h-44h, 47h, 48h); bit 1: the removable-media
      // subset (45h, 46h, 48h, 49h); bit 2: EDD (48h with the extended result).
      cpu_.s.gpr[ECX] = (cpu_.s.gpr[ECX] & 0xFFFF0000u) | (u->kind == BiosDrive::Kind::CdRom ? 0x07 : 0x05);
      set_result(0x30, static_cast<u8>(ax), false);
      break;
    case 0x42:
    case 0x43:
    case 0x44:
    case 0x47: status = extended_transfer(*u, ah); break;
    case 0x45: status = lock_unlock(*u); break;
    case 0x46: status = eject(*u); break;
    case 0x48: status = extended_parameters(*u); break;
    case 0x49:  // EDD: extended media change — report "not changed"
      set_result(0, static_cast<u8>(ax), false);
      break;
    case 0x4B: status = el_torito_status(dl); break;
    default:
      GuestLog::instance().log("bios", "int 13h AH=%02xh: not offered", ah);
      status = DiskStatus::InvalidFunction;
  }
  // The handlers set AX and CF on success; a failure answers AH = status, CF set, and AL = the
  // sectors moved for the CHS transfers (the caller's AL otherwise).
  if (status != DiskStatus::Ok) set_result(static_cast<u8>(status), failure_al_, true);
  keep(status);
}

// ---- int 19h: boot -----------------------------------------------------------------------------

u8 BiosDiskServices::number_of(unsigned drive_index) const {
  for (const Unit& u : units_)
    if (u.drive_index == drive_index && !u.emulated) return u.number;
  return 0;
}

// The boot order: each letter of -boot's order names a kind of device ('c' hard disks, 'd'
// CD-ROMs); the boot menu lists these first, then every other drive.
std::vector<unsigned> BiosDiskServices::boot_candidates() const {
  std::vector<unsigned> order;
  for (const char c : boot_order_) {
    const std::optional<BiosDrive::Kind> kind = c == 'c'   ? std::optional(BiosDrive::Kind::HardDisk)
                                                : c == 'd' ? std::optional(BiosDrive::Kind::CdRom)
                                                           : std::nullopt;
    if (!kind) continue;
    for (unsigned i = 0; i < drives_.size(); ++i)
      if (drives_[i].kind == *kind && std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
  }
  for (unsigned i = 0; i < drives_.size(); ++i)
    if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
  return order;
}

void BiosDiskServices::write_menu(u32 linear, u32 capacity) const {
  std::string text = "\r\nSelect boot device:\r\n\r\n";
  const std::vector<unsigned> entries = boot_candidates();
  for (unsigned k = 0; k < entries.size() && k < 9; ++k) {
    const BiosDrive& d = drives_[entries[k]];
    text += std::to_string(k + 1) + ". " + (d.kind == BiosDrive::Kind::CdRom ? "DVD/CD [" : "Hard disk [") + d.label +
            "]\r\n";
  }
  text += "\r\n";
  if (capacity == 0) return;
  text.resize(std::min<size_t>(text.size(), capacity - 1));
  text.push_back('\0');
  const_cast<BiosDiskServices*>(this)->copy_to_guest(linear,
                                                     std::span(reinterpret_cast<const u8*>(text.data()), text.size()));
}

std::optional<BiosDiskServices::BootTarget> BiosDiskServices::boot_hard_disk(const BiosDrive& d, unsigned index,
                                                                             std::string& log) {
  log += "Booting from Hard Disk " + d.label + "...\r\n";
  BlockDevice* dev = d.media ? d.media() : nullptr;
  std::array<u8, kDiskSector> sector{};
  if (!dev || dev->read(0, sector) != BlockStatus::Ok) {
    log += "Boot failed: could not read the boot disk\r\n\r\n";
    return std::nullopt;
  }
  if (sector[510] != 0x55 || sector[511] != 0xAA) {
    log += "Boot failed: not a bootable disk\r\n\r\n";
    return std::nullopt;
  }
  if (dma_.write(kBootSector, sector) != DmaResult::Ok) return std::nullopt;
  return BootTarget{number_of(index), 0x0000, static_cast<u16>(kBootSector)};
}

// El Torito §2: the boot record volume descriptor at sector 17 points to the boot catalog,
// whose validation entry (header ID 01h, key 55h AAh, words summing to zero) is followed by
// the initial/default entry: bootable (88h), media type, load segment, sector count (in
// 512-byte virtual sectors) and the image's first CD sector.
std::optional<BiosDiskServices::BootTarget> BiosDiskServices::boot_cdrom(const BiosDrive& d, unsigned index,
                                                                         std::string& log) {
  log += "Booting from DVD/CD " + d.label + "...\r\n";
  BlockDevice* dev = d.media ? d.media() : nullptr;
  if (!dev) {
    log += "Boot failed: no disc in the drive\r\n\r\n";
    return std::nullopt;
  }
  std::array<u8, kCdSector> record{}, catalog{};
  static constexpr char kBootSystem[] = "EL TORITO SPECIFICATION";
  if (dev->read(u64{kBootRecordSector} * kCdSector, record) != BlockStatus::Ok || record[0] != 0 ||
      std::memcmp(&record[1], "CD001", 5) != 0 || std::memcmp(&record[7], kBootSystem, sizeof kBootSystem - 1) != 0) {
    log += "Boot failed: not a bootable CD (no El Torito boot record)\r\n\r\n";
    return std::nullopt;
  }
  const u32 catalog_lba = le32(&record[0x47]);
  if (dev->read(u64{catalog_lba} * kCdSector, catalog) != BlockStatus::Ok) {
    log += "Boot failed: could not read the boot catalog\r\n\r\n";
    return std::nullopt;
  }
  u16 sum = 0;
  for (unsigned k = 0; k < 32; k += 2) sum = static_cast<u16>(sum + le16(&catalog[k]));
  const u8* entry = &catalog[0x20];
  if (catalog[0] != 0x01 || catalog[0x1E] != 0x55 || catalog[0x1F] != 0xAA || sum != 0 || entry[0] != 0x88) {
    log += "Boot failed: the boot catalog has no bootable entry\r\n\r\n";
    return std::nullopt;
  }
  ElTorito e;
  e.media_type = entry[1] & 0x0F;
  e.load_segment = le16(&entry[2]) ? le16(&entry[2]) : 0x07C0;
  e.sector_count = le16(&entry[6]);
  e.image_lba = le32(&entry[8]);
  e.cd_drive = number_of(index);
  if (e.media_type > 4) {
    log += "Boot failed: unknown El Torito media type\r\n\r\n";
    return std::nullopt;
  }
  const u32 load = u32{e.load_segment} * 16;
  const u32 bytes = std::max<u32>(e.sector_count, 1) * kDiskSector;
  if (load < 0x500 || load + bytes > 0xA0000) {
    log += "Boot failed: the boot image does not fit in conventional memory\r\n\r\n";
    return std::nullopt;
  }
  std::vector<u8> image(bytes);
  if (dev->read(u64{e.image_lba} * kCdSector, image) != BlockStatus::Ok || dma_.write(load, image) != DmaResult::Ok) {
    log += "Boot failed: could not read the boot image\r\n\r\n";
    return std::nullopt;
  }

  if (e.media_type == 0) {
    e.drive = e.cd_drive;
  } else {
    // Floppy (1.2, 1.44, 2.88 MB) or hard-disk emulation: a disk image inside the CD becomes
    // drive 00h or 80h (the real hard disks move up one number).
    Unit u;
    u.kind = BiosDrive::Kind::CdRom;
    u.drive_index = index;
    u.emulated = true;
    u.image_offset = u64{e.image_lba} * kCdSector;
    if (e.media_type <= 3) {
      static constexpr u32 kSectorsPerTrack[] = {0, 15, 18, 36};
      u.floppy = true;
      u.number = 0x00;
      u.geometry = {80, 2, kSectorsPerTrack[e.media_type]};
      u.image_sectors = u64{80} * 2 * u.geometry.sectors;
      std::array<u8, 2> equipment{};
      dma_.read(kBdaEquipment, equipment);
      equipment[0] = static_cast<u8>((equipment[0] & 0x3E) | 0x01);  // one diskette drive
      dma_.write(kBdaEquipment, equipment);
    } else {
      u.number = 0x80;
      // The image's partition table gives its geometry and size (El Torito §3.0).
      u64 end = 0;
      for (unsigned p = 0; p < 4; ++p) {
        const u8* part = &image[446 + 16 * p];
        if (part[4] != 0) end = std::max<u64>(end, u64{le32(part + 8)} + le32(part + 12));
      }
      u.image_sectors = std::min<u64>(end, (dev->size() - u.image_offset) / kDiskSector);
      const u8* first = &image[446];
      u.geometry.heads = first[5] + 1u;
      u.geometry.sectors = std::max<u32>(first[6] & 0x3F, 1);
      u.geometry.cylinders =
          static_cast<u32>(std::clamp<u64>(u.image_sectors / (u64{u.geometry.heads} * u.geometry.sectors), 1, 1024));
      for (Unit& other : units_)
        if (other.kind == BiosDrive::Kind::HardDisk) ++other.number;
      std::array<u8, 1> count{};
      dma_.read(kBdaHardDisks, count);
      ++count[0];
      dma_.write(kBdaHardDisks, count);
    }
    e.drive = u.number;
    e.geometry = u.geometry;
    std::erase_if(units_, [](const Unit& other) { return other.emulated; });
    units_.push_back(u);
  }
  el_torito_ = e;
  return BootTarget{e.drive, e.load_segment, 0};
}

std::optional<BiosDiskServices::BootTarget> BiosDiskServices::boot(unsigned choice, u32 message, u32 capacity) {
  const std::vector<unsigned> entries = boot_candidates();
  std::vector<unsigned> tries;
  if (choice == 0) {
    // Only the devices the boot order names; the rest are reachable through the menu.
    for (const char c : boot_order_)
      for (unsigned i : entries)
        if ((c == 'c' && drives_[i].kind == BiosDrive::Kind::HardDisk) ||
            (c == 'd' && drives_[i].kind == BiosDrive::Kind::CdRom))
          if (std::find(tries.begin(), tries.end(), i) == tries.end()) tries.push_back(i);
  } else if (choice <= entries.size()) {
    tries.push_back(entries[choice - 1]);
  }
  std::string log;
  std::optional<BootTarget> target;
  for (unsigned i : tries) {
    const BiosDrive& d = drives_[i];
    target = d.kind == BiosDrive::Kind::CdRom ? boot_cdrom(d, i, log) : boot_hard_disk(d, i, log);
    if (target) break;
  }
  if (capacity) {
    log.resize(std::min<size_t>(log.size(), capacity - 1));
    log.push_back('\0');
    copy_to_guest(message, std::span(reinterpret_cast<const u8*>(log.data()), log.size()));
  }
  return target;
}

std::string BiosDiskServices::describe() const {
  std::string out;
  char line[160];
  for (const Unit& u : units_) {
    const BiosDrive& d = drives_[u.drive_index];
    std::snprintf(line, sizeof line, "BIOS drive %02Xh: %s%s, CHS %u/%u/%u\n", u.number, d.label.c_str(),
                  u.emulated ? (u.floppy ? " (El Torito floppy emulation)" : " (El Torito hard-disk emulation)") : "",
                  u.geometry.cylinders, u.geometry.heads, u.geometry.sectors);
    out += line;
  }
  out += "boot order: " + boot_order_ + (boot_menu_ ? ", menu on\n" : "\n");
  return out;
}

}  // namespace emu
