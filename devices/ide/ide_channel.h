// The state of one IDE channel (internal to devices/ide): the task file the two devices share
// on the cable, the transfer in progress and the channel's bus-master registers.
#pragma once
#include <array>
#include <vector>

#include "devices/ide/piix_ide.h"

namespace emu {

// Status register bits (ATA-6 §7.15.6).
namespace ata_status {
inline constexpr u8 kBusy = 0x80, kReady = 0x40, kFault = 0x20, kSeekDone = 0x10, kDataRequest = 0x08, kError = 0x01;
}
// Device control register bits (ATA-6 §7.9).
namespace ata_control {
inline constexpr u8 kInterruptDisable = 0x02, kSoftwareReset = 0x04, kHighOrderByte = 0x80;
}
// Bus master registers (SFF-8038i §3; PIIX3 datasheet §2.7).
namespace bus_master {
inline constexpr u8 kStart = 0x01, kWriteToMemory = 0x08;              // BMICx
inline constexpr u8 kActive = 0x01, kError = 0x02, kInterrupt = 0x04,  // BMISx
    kDrive0Capable = 0x20, kDrive1Capable = 0x40;
}  // namespace bus_master

struct PiixIde::Channel {
  unsigned index = 0;
  std::array<IdeDevice, 2> devices;

  // The task file: each register with the previous value (HOB, for 48-bit commands).
  u8 feature = 0, hob_feature = 0, nsector = 0, hob_nsector = 0, sector = 0, hob_sector = 0;
  u8 lcyl = 0, hob_lcyl = 0, hcyl = 0, hob_hcyl = 0;
  u8 select = 0xA0, control = 0, status = 0, error = 0;
  bool irq_pending = false;

  // The transfer in progress.
  enum class Phase : u8 { Idle, PioIn, PioOut, Packet, DmaPending };
  Phase phase = Phase::Idle;
  u8 command = 0;
  std::vector<u8> buffer;  // the current DRQ block (PIO) or an ATAPI reply
  u32 pos = 0, end = 0;    // the host's position in `buffer` and the end of the DRQ block
  u64 lba = 0;             // ATA: the next sector to transfer
  u32 remaining = 0;       // ATA: sectors after the current block
  u32 block = 1;           // ATA: sectors per DRQ block

  // ATAPI: the command packet and the data phase (from the medium or from `buffer`).
  std::array<u8, 12> packet{};
  bool atapi_from_medium = false;
  u64 atapi_offset = 0;     // bytes: into the medium, or into `buffer`
  u64 atapi_remaining = 0;  // bytes still to send
  u32 atapi_limit = 0;      // the byte count limit of this PACKET command

  // DMA: what moves once the bus master starts.
  bool dma_to_memory = false;
  bool dma_from_medium = false;  // else from/to `buffer`
  u64 dma_offset = 0;            // bytes into the medium (or `buffer`)
  u64 dma_bytes = 0;

  // Bus master.
  u8 bm_command = 0, bm_status = 0;
  u32 bm_prd = 0;

  unsigned unit() const { return (select >> 4) & 1; }
  IdeDevice& selected() { return devices[unit()]; }
  const IdeDevice& selected() const { return devices[unit()]; }
  bool any_device() const { return devices[0].kind != IdeDeviceKind::None || devices[1].kind != IdeDeviceKind::None; }
};

}  // namespace emu
