// The PIIX3 IDE function (PCI 00:01.1, 8086:7010): two legacy IDE channels (1F0h-1F7h/3F6h on
// IRQ 14, 170h-177h/376h on IRQ 15) with a master and a slave each, and SFF-8038i bus-master
// DMA through BAR4. A device is an ATA disk or an ATAPI CD-ROM over a BlockDevice.
//
// References: Intel 82371SB (PIIX3) datasheet §2.4 (IDE configuration: IDETIM 40h-43h, BMIBA
// 20h) and §2.7 (bus master registers BMICx, BMISx, BMIDTPx); ATA/ATAPI-6 (T13/1410D) for the
// task file, commands and IDENTIFY words; SFF-8038i for PRD tables; MMC-3/SFF-8020i for the
// packet commands (atapi.cpp).
//
// The guest is hostile (DESIGN §6, the IDE CVEs): every sector count and LBA is checked against
// the medium, every PIO access against the transfer in progress, every PRD entry is read through
// the checked DMA API and a PRD walk stops after one 64 KiB table (8192 entries), and a command
// for the wrong kind of device, with no medium or in the wrong state is an ATA error — never a
// host crash. Commands complete at once (as far as the guest can tell: the interrupt follows
// the command), which keeps runs deterministic.
#pragma once
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dma.h"
#include "devices/pci/pci_function.h"
#include "images/block_device.h"

namespace emu {

class StateVisitor;

enum class IdeDeviceKind : u8 { None, Disk, Cdrom };

// One device on a channel.
struct IdeDevice {
  IdeDeviceKind kind = IdeDeviceKind::None;
  std::shared_ptr<BlockDevice> medium;  // a CD-ROM may have none
  std::string name;                     // "ide0-hd0", "ide1-cd0"
  std::string model, serial;
  // The CHS translation (INITIALIZE DEVICE PARAMETERS changes heads and sectors).
  u32 cylinders = 0, heads = 16, sectors = 63;
  u8 multiple = 0;          // SET MULTIPLE MODE: sectors per DRQ block (0 = disabled)
  u8 transfer_mode = 0x0C;  // SET FEATURES 03h value: 08h+n PIO n, 20h+n MWDMA n, 40h+n UDMA n
  bool write_cache = true;
  // ATAPI state.
  u8 sense_key = 0, asc = 0, ascq = 0;
  bool unit_attention = false;  // a medium change not yet reported
  bool locked = false;          // PREVENT ALLOW MEDIUM REMOVAL
  u8 media_event = 0;           // GET EVENT STATUS NOTIFICATION: 0 none, 1 eject request, 2 new, 3 removal
  // Counters for `info block`.
  u64 dma_transfers = 0, dma_bytes = 0, pio_bytes = 0, commands = 0, errors = 0, flushes = 0;
};

class PiixIde final : public PciFunction {
 public:
  static constexpr u16 kPrimaryCommand = 0x1F0, kPrimaryControl = 0x3F6;
  static constexpr u16 kSecondaryCommand = 0x170, kSecondaryControl = 0x376;
  static constexpr unsigned kPrimaryIrq = 14, kSecondaryIrq = 15;

  // `irq(channel, level)` drives IRQ 14 (channel 0) or 15 (channel 1).
  PiixIde(AddressSpace& bus, Dma& dma, std::function<void(unsigned channel, bool level)> irq);
  ~PiixIde() override;

  // Before the machine runs: a disk, or a CD-ROM drive (medium may be null).
  void attach(unsigned channel, unsigned unit, IdeDeviceKind kind, std::shared_ptr<BlockDevice> medium,
              std::string name);
  // The monitor's `change` and `eject`. Eject fails while the guest has locked the tray unless
  // forced. Returns an empty string or why not.
  std::string change_medium(const std::string& name, std::shared_ptr<BlockDevice> medium);
  std::string eject(const std::string& name, bool force);
  // The medium of a drive, for the BIOS (nullptr: none).
  BlockDevice* medium(unsigned channel, unsigned unit) const;

  void reset() override;
  void serialize(StateVisitor& v) override;
  std::string describe() const override;

  // The task file and data port of one channel, and its control block (alternate status /
  // device control): `register_read/write` take the offset 0-7 in the command block, 8 for the
  // control port.
  u32 channel_read(unsigned channel, unsigned reg, unsigned size);
  void channel_write(unsigned channel, unsigned reg, unsigned size, u32 value);

 protected:
  void config_written(u8 offset, unsigned size) override;

 private:
  struct Channel;
  friend class IdePorts;
  friend class BusMasterPorts;

  // ATA (ide.cpp).
  void command(Channel& c, u8 cmd);
  void identify(Channel& c, IdeDevice& d);
  void identify_packet(Channel& c, IdeDevice& d);
  bool decode_address(Channel& c, IdeDevice& d, bool lba48, u64& lba, u32& count);
  void start_pio_read(Channel& c);
  void next_pio_read_block(Channel& c);
  void finish_pio_write_block(Channel& c);
  void start_dma(Channel& c, bool to_memory, u64 bytes);
  void run_dma(Channel& c);
  bool move_dma_data(Channel& c, u32 address, u32 length, bool to_memory);
  void complete(Channel& c, u8 error = 0);
  void abort_command(Channel& c) { complete(c, kErrorAbort); }
  void raise_irq(Channel& c);
  void update_irq(unsigned channel);
  void software_reset(Channel& c);
  void set_signature(Channel& c, IdeDevice& d);
  void map_legacy_ports();
  u8 status_for_read(const Channel& c) const;

  // ATAPI (atapi.cpp).
  void packet_command(Channel& c);
  void atapi_execute(Channel& c, IdeDevice& d);
  void atapi_reply(Channel& c, IdeDevice& d, const std::vector<u8>& data, u32 allocation);
  void atapi_error(Channel& c, IdeDevice& d, u8 key, u8 asc, u8 ascq = 0);
  void atapi_done(Channel& c, IdeDevice& d);
  void atapi_read(Channel& c, IdeDevice& d, u64 lba, u32 blocks);
  void atapi_send_next_chunk(Channel& c);
  bool atapi_medium_ready(Channel& c, IdeDevice& d, u8 opcode);

  static constexpr u8 kErrorAbort = 0x04, kErrorIdNotFound = 0x10, kErrorUncorrectable = 0x40;

  AddressSpace& bus_;
  Dma& dma_;
  std::function<void(unsigned, bool)> irq_;
  std::unique_ptr<Channel> channels_[2];
  std::unique_ptr<PortHandler> ports_[2], control_ports_[2], bus_master_;
  bool legacy_mapped_[2] = {false, false};
};

}  // namespace emu
