// The BIOS's disk services, the C++ half: int 13h for hard disks and CD-ROMs (the IBM PC/AT
// CHS functions and the Phoenix "Enhanced Disk Drive" extensions 41h-49h), the El Torito
// boot of a CD (no emulation, floppy and hard-disk emulation), and int 19h's walk down the boot
// order with an optional boot menu.
//
// References: IBM PC/AT Technical Reference (BIOS listing, "Fixed Disk" and "Diskette" int 13h);
// Phoenix/T13 "BIOS Enhanced Disk Drive Services" (EDD 3.0, T13/1572D): functions 41h-48h, the
// disk address packet and the result buffer of 48h; "El Torito" Bootable CD-ROM Format
// Specification 1.0 (Phoenix/IBM, 1995): the boot record volume descriptor (§2.0), the boot
// catalog (§2.1-2.4) and int 13h function 4Bh (§5.2).
//
// The assembly (disk.asm, boot.asm) only moves registers: `out` to the hypercall port with the
// caller's AX and DX on the stack. Everything the caller hands in — drive numbers, CHS values,
// sector counts, disk address packets, buffers — is checked here, and a bad request gets the
// status code a BIOS would give it, never a crash.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cpu.h"
#include "core/dma.h"
#include "images/block_device.h"

namespace emu {

// A drive the BIOS can use, in the order the machine offers them (IDE primary master first).
struct BiosDrive {
  enum class Kind : u8 { HardDisk, CdRom };
  Kind kind = Kind::HardDisk;
  std::string label;                    // for the boot menu: "ide0-hd0: QEMU HARDDISK"
  std::function<BlockDevice*()> media;  // the medium now in it (nullptr: no disc)
  std::function<void()> eject;          // int 13h AH=46h on a CD-ROM (may be empty)
  u8 controller = 0, device = 0;        // IDE channel and master (0) / slave (1), for El Torito
};

// int 13h status codes (AH), as the IBM BIOS and EDD 3.0 define them.
enum class DiskStatus : u8 {
  Ok = 0x00,
  InvalidFunction = 0x01,  // bad command or parameter
  AddressMarkNotFound = 0x02,
  WriteProtected = 0x03,
  SectorNotFound = 0x04,
  ResetFailed = 0x05,
  MediaChanged = 0x06,
  UncorrectableData = 0x10,
  ControllerFailed = 0x20,
  SeekFailed = 0x40,
  TimedOut = 0x80,
  NotReady = 0xAA,
  MediaNotPresent = 0x31,  // EDD: no media in drive
  VolumeLocked = 0xB1,     // EDD: volume locked in drive (eject refused)
};

class BiosDiskServices {
 public:
  BiosDiskServices(Cpu& cpu, Dma& dma) : cpu_(cpu), dma_(dma) {}

  // Hard disks get BIOS numbers 80h, 81h, ... and CD-ROMs E0h, E1h, ... in the order added.
  void add_drive(BiosDrive drive);
  // -boot: 'c' the first hard disk, 'd' the first CD-ROM ('a', 'n': no floppy, no network).
  void set_boot_order(std::string order) { boot_order_ = std::move(order); }
  void set_boot_menu(bool on) { boot_menu_ = on; }
  bool boot_menu() const { return boot_menu_; }

  // FW_DISK_INIT (POST): the BDA's hard-disk count and the equipment word.
  void post();
  // FW_DISK_SERVICE: int 13h with the caller's AX and DX on the stack at SS:SP (AX, then DX)
  // and the other registers live; results go back the same way, CF in EFLAGS.
  void int13();
  // FW_BOOT_MENU: writes the boot menu text (NUL-terminated) to ES:DI, at most CX bytes.
  void write_menu(u32 linear, u32 capacity) const;

  // FW_BOOT_DEVICE: loads the boot sector or El Torito image of menu entry `choice` (1-based),
  // or of the first bootable device in the boot order when `choice` is 0. Writes what it
  // tried, line by line, to `message` (NUL-terminated, at most `capacity` bytes).
  struct BootTarget {
    u8 drive = 0;     // DL for the boot code
    u16 segment = 0;  // where it starts: segment:offset
    u16 offset = 0;
  };
  std::optional<BootTarget> boot(unsigned choice, u32 message, u32 capacity);

  std::string describe() const;

 private:
  // What int 13h addresses: a whole hard disk, a CD-ROM (2048-byte sectors), or a disk image
  // inside a CD that El Torito emulates as a floppy or a hard disk.
  struct Geometry {
    u32 cylinders = 0, heads = 0, sectors = 0;  // sectors per track
  };
  struct Unit {
    u8 number = 0;
    BiosDrive::Kind kind = BiosDrive::Kind::HardDisk;
    unsigned drive_index = 0;  // into drives_
    bool emulated = false;     // El Torito floppy or hard-disk emulation
    bool floppy = false;
    u64 image_offset = 0;   // emulation: where the image starts on the CD, in bytes
    u64 image_sectors = 0;  // emulation: its size in 512-byte sectors
    Geometry geometry;
    unsigned lock_count = 0;  // AH=45h
  };
  struct ElTorito {
    u8 media_type = 0;  // boot catalog: 0 no emulation, 1-3 floppies, 4 hard disk
    u8 drive = 0;       // the number the booted code got in DL
    u8 cd_drive = 0;    // the CD-ROM it came from
    u32 image_lba = 0;  // in 2048-byte CD sectors
    u16 load_segment = 0, sector_count = 0;
    Geometry geometry;
  };

  BlockDevice* medium(const Unit& u) const;
  u32 sector_size(const Unit& u) const { return u.kind == BiosDrive::Kind::CdRom && !u.emulated ? 2048 : 512; }
  u64 total_sectors(const Unit& u) const;
  Unit* find_unit(u8 number);
  Geometry disk_geometry(BlockDevice& dev, u64 sectors) const;
  DiskStatus transfer(Unit& u, u64 lba, u32 count, u32 linear, bool write, u32& done);
  bool copy_to_guest(u32 linear, std::span<const u8> bytes);
  bool copy_from_guest(u32 linear, std::span<u8> bytes);

  // int 13h functions; each returns the status for AH.
  DiskStatus chs_transfer(Unit& u, u8 ah);
  DiskStatus get_parameters(Unit& u);
  DiskStatus get_type(Unit& u);
  DiskStatus extended_transfer(Unit& u, u8 ah);
  DiskStatus extended_parameters(Unit& u);
  DiskStatus lock_unlock(Unit& u);
  DiskStatus eject(Unit& u);
  DiskStatus el_torito_status(u8 drive);

  std::optional<BootTarget> boot_hard_disk(const BiosDrive& d, unsigned index, std::string& log);
  std::optional<BootTarget> boot_cdrom(const BiosDrive& d, unsigned index, std::string& log);
  std::vector<unsigned> boot_candidates() const;
  u8 number_of(unsigned drive_index) const;

  void set_result(u8 ah, u8 al, bool carry);
  u16 stacked(unsigned slot) const;  // 0 = the caller's AX, 1 = DX
  void set_stacked(unsigned slot, u16 value);

  Cpu& cpu_;
  Dma& dma_;
  std::vector<BiosDrive> drives_;
  std::vector<Unit> units_;
  std::optional<ElTorito> el_torito_;
  std::string boot_order_ = "cd";
  bool boot_menu_ = false;
  u8 failure_al_ = 0;  // AL when a call fails: the caller's, or the sectors a CHS call moved
};

}  // namespace emu
