#include "devices/ide/piix_ide.h"

#include <algorithm>
#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"
#include "devices/ide/ide_channel.h"

namespace emu {

namespace {

using namespace ata_status;

// The PIIX3 IDE function's identity (82371SB datasheet §2.4: VID 8086h, DID 7010h, class
// 01h/01h, programming interface 80h: bus-master capable, both channels in legacy mode).
PciIdentity ide_identity() {
  PciIdentity id;
  id.vendor_id = 0x8086;
  id.device_id = 0x7010;
  id.class_code = 0x010180;
  id.interrupt_pin = 0;  // legacy IRQ 14/15, no PCI interrupt
  return id;
}

constexpr u8 kIdetimPrimary = 0x40, kIdetimSecondary = 0x42, kSidetim = 0x44;
constexpr u16 kIdetimDecodeEnable = 0x8000;  // IDETIM bit 15: the channel's legacy ports decode
constexpr u32 kSector = 512;
constexpr u64 kLba28Limit = 0x0FFFFFFF;
constexpr unsigned kMaxPrdEntries = 8192;  // one 64 KiB PRD table
constexpr u32 kDmaChunk = 64 * 1024;

// ATA strings: two characters per word, the first in the high byte (ATA-6 §3.2.9).
void put_string(std::array<u16, 256>& words, unsigned first, unsigned count, const std::string& text) {
  std::string padded = text;
  padded.resize(count * 2, ' ');
  for (unsigned k = 0; k < count; ++k)
    words[first + k] = static_cast<u16>(static_cast<u8>(padded[2 * k]) << 8 | static_cast<u8>(padded[2 * k + 1]));
}

}  // namespace

// The legacy command block (8 ports) and control port of a channel.
class IdePorts final : public PortHandler {
 public:
  IdePorts(PiixIde& ide, unsigned channel, u16 base, bool control)
      : ide_(ide), channel_(channel), base_(base), control_(control) {}
  u32 port_read(u16 port, unsigned size) override {
    return ide_.channel_read(channel_, control_ ? 8 : port - base_, size);
  }
  void port_write(u16 port, unsigned size, u32 value) override {
    ide_.channel_write(channel_, control_ ? 8 : port - base_, size, value);
  }

 private:
  PiixIde& ide_;
  unsigned channel_;
  u16 base_;
  bool control_;
};

// BAR4: BMICx at +0, BMISx at +2, BMIDTPx at +4-7; the secondary channel 8 bytes on.
class BusMasterPorts final : public PortHandler {
 public:
  explicit BusMasterPorts(PiixIde& ide) : ide_(ide) {}
  u32 port_read(u16 port, unsigned size) override {
    u32 value = 0;
    for (unsigned k = 0; k < size; ++k) value |= u32{read8((port + k) & 0xF)} << (8 * k);
    return value;
  }
  void port_write(u16 port, unsigned size, u32 value) override {
    for (unsigned k = 0; k < size; ++k) write8((port + k) & 0xF, static_cast<u8>(value >> (8 * k)));
  }

 private:
  u8 read8(unsigned offset) {
    PiixIde::Channel& c = *ide_.channels_[offset >> 3];
    switch (offset & 7) {
      case 0: return c.bm_command;
      case 2: return c.bm_status;
      case 4:
      case 5:
      case 6:
      case 7: return static_cast<u8>(c.bm_prd >> (8 * ((offset & 7) - 4)));
      default: return 0;
    }
  }
  void write8(unsigned offset, u8 value) {
    PiixIde::Channel& c = *ide_.channels_[offset >> 3];
    switch (offset & 7) {
      case 0: {
        // BMICx: Start/Stop (bit 0) and Read/Write Control (bit 3), which is only written
        // while the engine is stopped. Clearing Start aborts a transfer (SFF-8038i §3.1).
        const u8 rw = (c.bm_command & bus_master::kStart) ? (c.bm_command & bus_master::kWriteToMemory)
                                                          : (value & bus_master::kWriteToMemory);
        const bool start = value & bus_master::kStart;
        const bool was = c.bm_command & bus_master::kStart;
        c.bm_command = static_cast<u8>(rw | (start ? bus_master::kStart : 0));
        if (start && !was) {
          c.bm_status |= bus_master::kActive;
          ide_.run_dma(c);
        } else if (!start && was) {
          c.bm_status &= static_cast<u8>(~bus_master::kActive);
        }
        break;
      }
      case 2:
        // BMISx: Error and Interrupt are write-one-to-clear; the drive-capable bits are kept.
        c.bm_status = static_cast<u8>((c.bm_status & ~(bus_master::kDrive0Capable | bus_master::kDrive1Capable) &
                                       ~(value & (bus_master::kError | bus_master::kInterrupt))) |
                                      (value & (bus_master::kDrive0Capable | bus_master::kDrive1Capable)));
        break;
      case 4:
      case 5:
      case 6:
      case 7: {
        const unsigned shift = 8 * ((offset & 7) - 4);
        c.bm_prd = (c.bm_prd & ~(0xFFu << shift)) | (u32{value} << shift);
        c.bm_prd &= ~3u;  // BMIDTPx bits 1:0 are reserved: the table is dword aligned
        break;
      }
      default: break;
    }
  }
  PiixIde& ide_;
};

PiixIde::PiixIde(AddressSpace& bus, Dma& dma, std::function<void(unsigned, bool)> irq)
    : PciFunction("piix3-ide", ide_identity()), bus_(bus), dma_(dma), irq_(std::move(irq)) {
  define_register(kIdetimPrimary, 2, 0, 0xFFFF);
  define_register(kIdetimSecondary, 2, 0, 0xFFFF);
  define_register(kSidetim, 1, 0, 0xFF);
  bus_master_ = std::make_unique<BusMasterPorts>(*this);
  define_io_bar(4, 16, bus_master_.get());
  for (unsigned ch = 0; ch < 2; ++ch) {
    channels_[ch] = std::make_unique<Channel>();
    channels_[ch]->index = ch;
    const u16 base = ch ? kSecondaryCommand : kPrimaryCommand;
    ports_[ch] = std::make_unique<IdePorts>(*this, ch, base, false);
    control_ports_[ch] = std::make_unique<IdePorts>(*this, ch, ch ? kSecondaryControl : kPrimaryControl, true);
  }
  reset();
}

PiixIde::~PiixIde() {
  for (unsigned ch = 0; ch < 2; ++ch)
    if (legacy_mapped_[ch]) {
      bus_.unmap_ports(ch ? kSecondaryCommand : kPrimaryCommand, 8, ports_[ch].get());
      bus_.unmap_ports(ch ? kSecondaryControl : kPrimaryControl, 1, control_ports_[ch].get());
    }
}

void PiixIde::attach(unsigned channel, unsigned unit, IdeDeviceKind kind, std::shared_ptr<BlockDevice> medium,
                     std::string name) {
  IdeDevice& d = channels_[channel & 1]->devices[unit & 1];
  d = IdeDevice{};
  d.kind = kind;
  d.medium = std::move(medium);
  d.name = std::move(name);
  d.model = kind == IdeDeviceKind::Cdrom ? "EMU DVD-ROM" : "EMU HARDDISK";
  char serial[16];
  std::snprintf(serial, sizeof serial, "EMU%05u", 1000 + channel * 2 + unit);
  d.serial = serial;
  if (kind == IdeDeviceKind::Disk && d.medium) {
    const u64 sectors = d.medium->size() / kSector;
    d.cylinders = static_cast<u32>(std::clamp<u64>(sectors / (16 * 63), 1, 16383));
  }
  set_signature(*channels_[channel & 1], d);
}

BlockDevice* PiixIde::medium(unsigned channel, unsigned unit) const {
  return channels_[channel & 1]->devices[unit & 1].medium.get();
}

void PiixIde::reset() {
  PciFunction::reset();
  for (unsigned ch = 0; ch < 2; ++ch) {
    Channel& c = *channels_[ch];
    c.control = 0;
    c.bm_command = 0;
    c.bm_status = 0;
    c.bm_prd = 0;
    for (unsigned u = 0; u < 2; ++u)
      if (c.devices[u].kind != IdeDeviceKind::None)
        c.bm_status |= u ? bus_master::kDrive1Capable : bus_master::kDrive0Capable;
    software_reset(c);
    c.irq_pending = false;
    update_irq(ch);
  }
  map_legacy_ports();
}

// The legacy ports decode when I/O space is on and the channel's IDETIM decode bit is set (PIIX3
// datasheet §2.4.3 IDETIM bit 15, "IDE Decode Enable").
void PiixIde::map_legacy_ports() {
  for (unsigned ch = 0; ch < 2; ++ch) {
    const bool enable = io_space_enabled() && (config16(ch ? kIdetimSecondary : kIdetimPrimary) & kIdetimDecodeEnable);
    if (enable == legacy_mapped_[ch]) continue;
    const u16 command = ch ? kSecondaryCommand : kPrimaryCommand, control = ch ? kSecondaryControl : kPrimaryControl;
    if (enable) {
      bus_.map_ports(command, 8, ports_[ch].get());
      bus_.map_ports(control, 1, control_ports_[ch].get());
    } else {
      bus_.unmap_ports(command, 8, ports_[ch].get());
      bus_.unmap_ports(control, 1, control_ports_[ch].get());
    }
    legacy_mapped_[ch] = enable;
  }
}

void PiixIde::config_written(u8 offset, unsigned size) {
  if (touches(offset, size, kCommand, 2) || touches(offset, size, kIdetimPrimary, 4)) map_legacy_ports();
}

// ---- signatures, reset, interrupts ---------------------------------------------------------------

// After a reset or EXECUTE DEVICE DIAGNOSTIC the task file holds the device's signature
// (ATA-6 §9.12): sector count and LBA low 01h; LBA mid/high 00h/00h for ATA, 14h/EBh for ATAPI.
void PiixIde::set_signature(Channel& c, IdeDevice& d) {
  c.nsector = 1;
  c.sector = 1;
  const bool atapi = d.kind == IdeDeviceKind::Cdrom;
  c.lcyl = atapi ? 0x14 : 0x00;
  c.hcyl = atapi ? 0xEB : 0x00;
  c.select &= 0xF0;
  c.error = 0x01;  // diagnostic code: device 0 passed
  c.status = d.kind == IdeDeviceKind::Disk ? (kReady | kSeekDone) : 0;
}

void PiixIde::software_reset(Channel& c) {
  c.phase = Channel::Phase::Idle;
  c.pos = c.end = 0;
  c.select = 0xA0;
  c.dma_bytes = 0;
  for (IdeDevice& d : c.devices) {
    d.multiple = 0;
    d.sense_key = d.asc = d.ascq = 0;
  }
  set_signature(c, c.devices[0]);
}

void PiixIde::raise_irq(Channel& c) {
  c.irq_pending = true;
  update_irq(c.index);
}

void PiixIde::update_irq(unsigned channel) {
  const Channel& c = *channels_[channel];
  if (irq_) irq_(channel, c.irq_pending && !(c.control & ata_control::kInterruptDisable));
}

// Ends a command: status DRDY (and DSC for a disk), ERR with `error`, and the interrupt.
void PiixIde::complete(Channel& c, u8 error) {
  IdeDevice& d = c.selected();
  c.phase = Channel::Phase::Idle;
  c.error = error;
  c.status = static_cast<u8>(kReady | (d.kind == IdeDeviceKind::Disk ? kSeekDone : 0) | (error ? kError : 0));
  if (error) ++d.errors;
  raise_irq(c);
}

// ---- register access ---------------------------------------------------------------------------

u8 PiixIde::status_for_read(const Channel& c) const {
  // No device answers (QEMU does the same): a channel without devices, or an absent slave.
  if (!c.any_device() || (c.unit() == 1 && c.devices[1].kind == IdeDeviceKind::None)) return 0;
  return c.status;
}

u32 PiixIde::channel_read(unsigned channel, unsigned reg, unsigned size) {
  Channel& c = *channels_[channel & 1];
  if (reg == 0) {
    // Data port: the host reads the DRQ block.
    if (c.phase != Channel::Phase::PioIn || c.pos >= c.end) {
      GuestLog::instance().log("ide", "ide%u: data port read with no data to send", channel);
      return size == 4 ? 0xFFFFFFFFu : 0xFFFFu;
    }
    u32 value = 0;
    const unsigned n = std::min<unsigned>(size, c.end - c.pos);
    for (unsigned k = 0; k < n; ++k) value |= u32{c.buffer[c.pos + k]} << (8 * k);
    c.pos += n;
    c.selected().pio_bytes += n;
    if (c.pos >= c.end) {
      if (c.command == 0xA0)
        atapi_send_next_chunk(c);
      else if (c.remaining)
        next_pio_read_block(c);
      else {
        c.phase = Channel::Phase::Idle;
        c.status &= static_cast<u8>(~kDataRequest);
      }
    }
    return value;
  }
  if (reg == 8) return status_for_read(c);  // alternate status: no interrupt acknowledge
  const bool absent = !c.any_device() || (c.unit() == 1 && c.devices[1].kind == IdeDeviceKind::None);
  const bool hob = c.control & ata_control::kHighOrderByte;
  switch (reg) {
    case 1: return absent ? 0 : hob ? c.hob_feature : c.error;
    case 2: return absent ? 0 : hob ? c.hob_nsector : c.nsector;
    case 3: return absent ? 0 : hob ? c.hob_sector : c.sector;
    case 4: return absent ? 0 : hob ? c.hob_lcyl : c.lcyl;
    case 5: return absent ? 0 : hob ? c.hob_hcyl : c.hcyl;
    case 6: return absent ? 0 : c.select;
    case 7:
      c.irq_pending = false;  // reading Status acknowledges the interrupt (ATA-6 §7.15)
      update_irq(channel & 1);
      return status_for_read(c);
  }
  return 0xFF;
}

void PiixIde::channel_write(unsigned channel, unsigned reg, unsigned size, u32 value) {
  Channel& c = *channels_[channel & 1];
  const u8 v = static_cast<u8>(value);
  if (reg == 0) {
    // Data port: the host writes the DRQ block (or an ATAPI command packet).
    if ((c.phase != Channel::Phase::PioOut && c.phase != Channel::Phase::Packet) || c.pos >= c.end) {
      GuestLog::instance().log("ide", "ide%u: data port write with no data expected", channel);
      return;
    }
    const unsigned n = std::min<unsigned>(size, c.end - c.pos);
    for (unsigned k = 0; k < n; ++k) c.buffer[c.pos + k] = static_cast<u8>(value >> (8 * k));
    c.pos += n;
    if (c.pos >= c.end) {
      if (c.phase == Channel::Phase::Packet)
        packet_command(c);
      else
        finish_pio_write_block(c);
    }
    return;
  }
  if (reg == 8) {
    // Device control: nIEN, SRST (the reset runs while the bit is set, ends when it clears), HOB.
    const bool was_reset = c.control & ata_control::kSoftwareReset;
    c.control = v;
    if ((v & ata_control::kSoftwareReset) && !was_reset) {
      c.phase = Channel::Phase::Idle;
      c.status = kBusy;
    } else if (!(v & ata_control::kSoftwareReset) && was_reset) {
      software_reset(c);
    }
    update_irq(channel & 1);
    return;
  }
  if (c.status & kBusy) return;  // registers are not written while the device is busy
  // Each write keeps the old value as the "previous content" a 48-bit command reads (HOB).
  switch (reg) {
    case 1: c.hob_feature = c.feature, c.feature = v; break;
    case 2: c.hob_nsector = c.nsector, c.nsector = v; break;
    case 3: c.hob_sector = c.sector, c.sector = v; break;
    case 4: c.hob_lcyl = c.lcyl, c.lcyl = v; break;
    case 5: c.hob_hcyl = c.hcyl, c.hcyl = v; break;
    case 6: c.select = v; break;
    case 7: command(c, v); break;
  }
  if (reg >= 1 && reg <= 5) c.control &= static_cast<u8>(~ata_control::kHighOrderByte);
}

// ---- ATA commands ------------------------------------------------------------------------------

void PiixIde::identify(Channel& c, IdeDevice& d) {
  std::array<u16, 256> w{};
  const u64 sectors = d.medium ? d.medium->size() / kSector : 0;
  w[0] = 0x0040;  // fixed device
  w[1] = static_cast<u16>(std::min<u64>(sectors / (16 * 63), 16383));
  w[3] = 16;
  w[6] = 63;
  put_string(w, 10, 10, d.serial);
  w[20] = 3;
  w[21] = 512;
  w[22] = 4;
  put_string(w, 23, 4, "0.1");
  put_string(w, 27, 20, d.model);
  w[47] = 0x8000 | 16;  // READ/WRITE MULTIPLE: up to 16 sectors per block
  w[48] = 1;            // 32-bit data port accesses
  w[49] = 0x0F00;       // IORDY, LBA, DMA
  w[51] = 0x0200;
  w[52] = 0x0200;
  w[53] = 0x0007;  // words 54-58, 64-70 and 88 are valid
  w[54] = static_cast<u16>(d.cylinders);
  w[55] = static_cast<u16>(d.heads);
  w[56] = static_cast<u16>(d.sectors);
  const u32 chs = d.cylinders * d.heads * d.sectors;
  w[57] = static_cast<u16>(chs);
  w[58] = static_cast<u16>(chs >> 16);
  if (d.multiple) w[59] = 0x0100 | d.multiple;
  const u32 lba28 = static_cast<u32>(std::min<u64>(sectors, kLba28Limit));
  w[60] = static_cast<u16>(lba28);
  w[61] = static_cast<u16>(lba28 >> 16);
  // Multiword DMA 0-2 and Ultra DMA 0-5 supported; the mode SET FEATURES chose is "selected".
  w[63] = 0x0007;
  w[88] = 0x003F;
  if ((d.transfer_mode & 0xF8) == 0x20) w[63] |= static_cast<u16>(0x0100 << (d.transfer_mode & 7));
  if ((d.transfer_mode & 0xF8) == 0x40) w[88] |= static_cast<u16>(0x0100 << (d.transfer_mode & 7));
  w[64] = 0x0003;  // PIO modes 3 and 4
  w[65] = w[66] = w[67] = w[68] = 120;
  w[80] = 0x00F0;  // ATA/ATAPI-4 to -7
  w[81] = 0x0016;
  w[82] = (1 << 14) | (1 << 6) | (1 << 5);                // NOP, look-ahead, write cache
  w[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10);  // FLUSH CACHE (EXT), 48-bit addresses
  w[84] = 1 << 14;
  w[85] = static_cast<u16>((1 << 14) | (1 << 6) | (d.write_cache ? 1 << 5 : 0));
  w[86] = (1 << 13) | (1 << 12) | (1 << 10);
  w[87] = 1 << 14;
  w[93] = 0x6001 | (1 << 13);  // hardware reset result, 80-conductor cable
  for (unsigned k = 0; k < 4; ++k) w[100 + k] = static_cast<u16>(sectors >> (16 * k));
  c.buffer.assign(512, 0);
  for (unsigned k = 0; k < 256; ++k)
    c.buffer[2 * k] = static_cast<u8>(w[k]), c.buffer[2 * k + 1] = static_cast<u8>(w[k] >> 8);
  c.pos = 0;
  c.end = 512;
  c.remaining = 0;
  c.phase = Channel::Phase::PioIn;
  c.status = kReady | kSeekDone | kDataRequest;
  raise_irq(c);
}

void PiixIde::identify_packet(Channel& c, IdeDevice& d) {
  std::array<u16, 256> w{};
  w[0] = 0x85C0;  // ATAPI, CD-ROM (type 5), removable, 50 us to DRQ, 12-byte packets
  put_string(w, 10, 10, d.serial);
  put_string(w, 23, 4, "0.1");
  put_string(w, 27, 20, d.model);
  w[49] = 0x0300;  // LBA, DMA
  w[53] = 0x0006;  // words 64-70 and 88 are valid
  w[63] = 0x0007;
  w[88] = 0x003F;
  if ((d.transfer_mode & 0xF8) == 0x20) w[63] |= static_cast<u16>(0x0100 << (d.transfer_mode & 7));
  if ((d.transfer_mode & 0xF8) == 0x40) w[88] |= static_cast<u16>(0x0100 << (d.transfer_mode & 7));
  w[64] = 0x0003;
  w[65] = w[66] = w[67] = w[68] = 120;
  w[71] = 30;
  w[72] = 30;
  w[80] = 0x007E;  // ATA/ATAPI-1 to -6
  w[82] = 1 << 4;  // PACKET command set
  w[85] = 1 << 4;
  w[93] = 0x6001 | (1 << 13);
  c.buffer.assign(512, 0);
  for (unsigned k = 0; k < 256; ++k)
    c.buffer[2 * k] = static_cast<u8>(w[k]), c.buffer[2 * k + 1] = static_cast<u8>(w[k] >> 8);
  c.pos = 0;
  c.end = 512;
  c.remaining = 0;
  c.phase = Channel::Phase::PioIn;
  c.status = kReady | kDataRequest;
  raise_irq(c);
}

// The command's first sector and count from the task file: LBA (device bit 6) in 28 or 48 bits,
// or CHS through the current translation; false (the command fails with IDNF) when it does not
// lie entirely on the medium.
bool PiixIde::decode_address(Channel& c, IdeDevice& d, bool lba48, u64& lba, u32& count) {
  if (lba48) {
    lba = u64{c.sector} | u64{c.lcyl} << 8 | u64{c.hcyl} << 16 | u64{c.hob_sector} << 24 | u64{c.hob_lcyl} << 32 |
          u64{c.hob_hcyl} << 40;
    count = u32{c.hob_nsector} << 8 | c.nsector;
    if (count == 0) count = 65536;
  } else {
    count = c.nsector ? c.nsector : 256;
    if (c.select & 0x40) {
      lba = u64{c.sector} | u64{c.lcyl} << 8 | u64{c.hcyl} << 16 | u64{c.select & 0x0Fu} << 24;
    } else {
      const u32 cylinder = u32{c.hcyl} << 8 | c.lcyl, head = c.select & 0x0F, sector = c.sector;
      if (sector == 0 || sector > d.sectors || head >= d.heads || cylinder >= std::max<u32>(d.cylinders, 1))
        return false;
      lba = (u64{cylinder} * d.heads + head) * d.sectors + sector - 1;
    }
  }
  const u64 total = d.medium ? d.medium->size() / kSector : 0;
  return lba < total && count <= total - lba;
}

void PiixIde::next_pio_read_block(Channel& c) {
  IdeDevice& d = c.selected();
  const u32 n = std::min(c.block, c.remaining);
  c.buffer.resize(std::max<size_t>(c.buffer.size(), u64{n} * kSector));
  if (d.medium->read(c.lba * kSector, std::span(c.buffer).first(u64{n} * kSector)) != BlockStatus::Ok) {
    GuestLog::instance().log("ide", "%s: read error at sector %llu: %s", d.name.c_str(),
                             static_cast<unsigned long long>(c.lba), d.medium->last_error().c_str());
    complete(c, kErrorUncorrectable);
    return;
  }
  c.lba += n;
  c.remaining -= n;
  c.pos = 0;
  c.end = n * kSector;
  c.phase = Channel::Phase::PioIn;
  c.status = kReady | kSeekDone | kDataRequest;
  raise_irq(c);
}

void PiixIde::finish_pio_write_block(Channel& c) {
  IdeDevice& d = c.selected();
  const u32 n = c.end / kSector;
  if (d.medium->write(c.lba * kSector, std::span(c.buffer).first(c.end)) != BlockStatus::Ok) {
    GuestLog::instance().log("ide", "%s: write error at sector %llu: %s", d.name.c_str(),
                             static_cast<unsigned long long>(c.lba), d.medium->last_error().c_str());
    complete(c, kErrorAbort);
    return;
  }
  d.pio_bytes += c.end;
  c.lba += n;
  c.remaining -= n;
  if (!c.remaining) {
    complete(c);
    return;
  }
  c.pos = 0;
  c.end = std::min(c.block, c.remaining) * kSector;
  c.status = kReady | kSeekDone | kDataRequest;
  raise_irq(c);
}

void PiixIde::command(Channel& c, u8 cmd) {
  IdeDevice& d = c.selected();
  if (d.kind == IdeDeviceKind::None) return;  // nobody is there to take it
  c.command = cmd;
  c.phase = Channel::Phase::Idle;
  ++d.commands;
  const bool disk = d.kind == IdeDeviceKind::Disk;
  const bool atapi = d.kind == IdeDeviceKind::Cdrom;
  auto disk_only = [&] {
    if (disk && d.medium) return true;
    // An ATAPI device answers ATA commands it does not have with ABRT and its signature, so a
    // driver learns it is ATAPI (ATA-6 §9.1); QEMU's CVE-2015-6855 came from running them.
    if (atapi) set_signature(c, d);
    abort_command(c);
    return false;
  };
  switch (cmd) {
    case 0xEC:  // IDENTIFY DEVICE
      if (disk_only()) identify(c, d);
      return;
    case 0xA1:  // IDENTIFY PACKET DEVICE
      if (atapi)
        identify_packet(c, d);
      else
        abort_command(c);
      return;
    case 0xA0:  // PACKET
      if (!atapi) return abort_command(c);
      c.atapi_limit = u32{c.hcyl} << 8 | c.lcyl;
      c.buffer.assign(12, 0);
      c.pos = 0;
      c.end = 12;
      c.phase = Channel::Phase::Packet;
      c.nsector = 0x01;  // interrupt reason: CoD = 1 (command packet), IO = 0
      c.status = kReady | kDataRequest;
      return;
    case 0x08:  // DEVICE RESET (ATAPI only; no interrupt)
      if (!atapi) return abort_command(c);
      set_signature(c, d);
      d.sense_key = d.asc = d.ascq = 0;
      return;
    case 0x90:  // EXECUTE DEVICE DIAGNOSTIC
      set_signature(c, c.devices[0]);
      c.select &= static_cast<u8>(~0x10);
      raise_irq(c);
      return;
    case 0x20:
    case 0x21:
    case 0x24:  // READ SECTOR(S) (EXT)
    case 0xC4:
    case 0x29: {  // READ MULTIPLE (EXT)
      if (!disk_only()) return;
      const bool multiple = cmd == 0xC4 || cmd == 0x29;
      if (multiple && !d.multiple) return abort_command(c);
      u64 lba;
      u32 count;
      if (!decode_address(c, d, cmd == 0x24 || cmd == 0x29, lba, count))
        return complete(c, kErrorIdNotFound | kErrorAbort);
      c.lba = lba;
      c.remaining = count;
      c.block = multiple ? d.multiple : 1;
      next_pio_read_block(c);
      return;
    }
    case 0x30:
    case 0x31:
    case 0x34:  // WRITE SECTOR(S) (EXT)
    case 0xC5:
    case 0x39: {  // WRITE MULTIPLE (EXT)
      if (!disk_only()) return;
      const bool multiple = cmd == 0xC5 || cmd == 0x39;
      if (multiple && !d.multiple) return abort_command(c);
      if (d.medium->read_only()) return abort_command(c);
      u64 lba;
      u32 count;
      if (!decode_address(c, d, cmd == 0x34 || cmd == 0x39, lba, count))
        return complete(c, kErrorIdNotFound | kErrorAbort);
      c.lba = lba;
      c.remaining = count;
      c.block = multiple ? d.multiple : 1;
      c.buffer.resize(std::max<size_t>(c.buffer.size(), u64{c.block} * kSector));
      c.pos = 0;
      c.end = std::min(c.block, c.remaining) * kSector;
      c.phase = Channel::Phase::PioOut;
      c.status = kReady | kSeekDone | kDataRequest;  // the first block needs no interrupt
      return;
    }
    case 0xC8:
    case 0xC9:
    case 0x25:  // READ DMA (EXT)
    case 0xCA:
    case 0xCB:
    case 0x35: {  // WRITE DMA (EXT)
      if (!disk_only()) return;
      const bool write = cmd == 0xCA || cmd == 0xCB || cmd == 0x35;
      if (write && d.medium->read_only()) return abort_command(c);
      u64 lba;
      u32 count;
      if (!decode_address(c, d, cmd == 0x25 || cmd == 0x35, lba, count))
        return complete(c, kErrorIdNotFound | kErrorAbort);
      c.dma_from_medium = true;
      c.dma_offset = lba * kSector;
      start_dma(c, !write, u64{count} * kSector);
      return;
    }
    case 0x40:
    case 0x41:
    case 0x42: {  // READ VERIFY SECTOR(S) (EXT)
      if (!disk_only()) return;
      u64 lba;
      u32 count;
      if (!decode_address(c, d, cmd == 0x42, lba, count)) return complete(c, kErrorIdNotFound | kErrorAbort);
      return complete(c);
    }
    case 0xC6:  // SET MULTIPLE MODE: a power of two up to IDENTIFY word 47's 16, or 0 to disable
      if (!disk_only()) return;
      if (c.nsector > 16 || (c.nsector & (c.nsector - 1))) return abort_command(c);
      d.multiple = c.nsector;
      return complete(c);
    case 0x91:  // INITIALIZE DEVICE PARAMETERS: the CHS translation
      if (!disk_only()) return;
      if (c.nsector == 0) return abort_command(c);
      d.heads = (c.select & 0x0F) + 1u;
      d.sectors = c.nsector;
      d.cylinders =
          static_cast<u32>(std::clamp<u64>(d.medium->size() / kSector / (u64{d.heads} * d.sectors), 1, 65535));
      return complete(c);
    case 0xE7:
    case 0xEA:  // FLUSH CACHE (EXT)
      if (!disk_only()) return;
      ++d.flushes;
      return complete(c, d.medium->flush() == BlockStatus::Ok ? 0 : kErrorAbort);
    case 0xEF:  // SET FEATURES
      switch (c.feature) {
        case 0x03: {  // set transfer mode from the sector count
          const u8 mode = c.nsector;
          const bool valid = mode <= 0x01 || (mode >= 0x08 && mode <= 0x0C) || (mode >= 0x20 && mode <= 0x22) ||
                             (mode >= 0x40 && mode <= 0x45);
          if (!valid) return abort_command(c);
          d.transfer_mode = mode <= 0x01 ? 0x0C : mode;
          return complete(c);
        }
        case 0x02: d.write_cache = true; return complete(c);
        case 0x82: d.write_cache = false; return complete(c);
        case 0xAA:
        case 0x55:
        case 0x66:
        case 0xCC: return complete(c);
        default: return abort_command(c);
      }
    case 0xF8:
    case 0x27: {  // READ NATIVE MAX ADDRESS (EXT)
      if (!disk_only()) return;
      const u64 max = d.medium->size() / kSector - 1;
      if (cmd == 0xF8 && !(c.select & 0x40)) return abort_command(c);
      c.sector = static_cast<u8>(max), c.lcyl = static_cast<u8>(max >> 8), c.hcyl = static_cast<u8>(max >> 16);
      if (cmd == 0x27) {
        c.hob_sector = static_cast<u8>(max >> 24), c.hob_lcyl = static_cast<u8>(max >> 32);
        c.hob_hcyl = static_cast<u8>(max >> 40);
      } else {
        c.select = static_cast<u8>((c.select & 0xF0) | ((max >> 24) & 0x0F));
      }
      return complete(c);
    }
    case 0xE5:  // CHECK POWER MODE: active
      c.nsector = 0xFF;
      return complete(c);
    case 0xE0:
    case 0xE1:
    case 0xE2:
    case 0xE3:
    case 0xE6:  // standby, idle, sleep
    case 0x70:  // SEEK
      return complete(c);
    default:
      if (cmd >= 0x10 && cmd <= 0x1F && disk) return complete(c);  // RECALIBRATE
      GuestLog::instance().log("ide", "%s: command %02xh not implemented: aborted", d.name.c_str(), cmd);
      return abort_command(c);
  }
}

// ---- bus-master DMA ----------------------------------------------------------------------------

void PiixIde::start_dma(Channel& c, bool to_memory, u64 bytes) {
  c.dma_to_memory = to_memory;
  c.dma_bytes = bytes;
  c.phase = Channel::Phase::DmaPending;
  c.status = static_cast<u8>(kReady | kDataRequest | (c.selected().kind == IdeDeviceKind::Disk ? kSeekDone : 0));
  run_dma(c);
}

bool PiixIde::move_dma_data(Channel& c, u32 address, u32 length, bool to_memory) {
  IdeDevice& d = c.selected();
  std::vector<u8> staging(std::min(length, kDmaChunk));
  while (length) {
    const u32 n = std::min<u32>(length, static_cast<u32>(staging.size()));
    const std::span<u8> chunk(staging.data(), n);
    if (to_memory) {
      if (c.dma_from_medium) {
        if (d.medium->read(c.dma_offset, chunk) != BlockStatus::Ok) return false;
      } else {
        if (c.dma_offset + n > c.buffer.size()) return false;
        std::copy_n(c.buffer.begin() + static_cast<std::ptrdiff_t>(c.dma_offset), n, chunk.begin());
      }
      if (dma_.write(address, chunk) != DmaResult::Ok) return false;
    } else {
      if (dma_.read(address, chunk) != DmaResult::Ok) return false;
      if (!c.dma_from_medium || d.medium->write(c.dma_offset, chunk) != BlockStatus::Ok) return false;
    }
    c.dma_offset += n;
    address += n;
    length -= n;
  }
  return true;
}

// Walks the PRD table (SFF-8038i §2: each entry a dword-aligned physical base, a byte count in
// bits 15:1 of the second dword — 0 meaning 64 KiB — and EOT in bit 31) and moves the command's
// data. Outcomes, as the PIIX reports them in BMISx: all data moved and the table ended with it
// (EOT, its byte count used up) — Interrupt set, Active clear; the table is longer than the data
// — Interrupt and Active set
// (Linux accepts this); the table ends first, or an entry points outside RAM — Error, and the
// command fails.
void PiixIde::run_dma(Channel& c) {
  if (c.phase != Channel::Phase::DmaPending || !(c.bm_command & bus_master::kStart) || !bus_master_enabled()) return;
  if (bool(c.bm_command & bus_master::kWriteToMemory) != c.dma_to_memory)
    GuestLog::instance().log("ide", "ide%u: bus master direction does not match the command", c.index);
  IdeDevice& d = c.selected();
  u64 done = 0;
  bool eot = false, failed = false, entry_used_up = false;
  u32 prd = c.bm_prd;
  for (unsigned entries = 0; done < c.dma_bytes && !eot && entries < kMaxPrdEntries; ++entries) {
    u32 base, control;
    if (dma_.read_u32(prd, base) != DmaResult::Ok || dma_.read_u32(prd + 4, control) != DmaResult::Ok) {
      GuestLog::instance().log("ide", "ide%u: PRD table at %08x is not in RAM", c.index, prd);
      failed = true;
      break;
    }
    base &= ~1u;
    u32 count = control & 0xFFFE;
    if (count == 0) count = 0x10000;
    eot = control & 0x80000000u;
    const u32 n = static_cast<u32>(std::min<u64>(count, c.dma_bytes - done));
    if (!move_dma_data(c, base, n, c.dma_to_memory)) {
      GuestLog::instance().log("ide", "%s: DMA to/from %08x (%u bytes) failed", d.name.c_str(), base, n);
      failed = true;
      break;
    }
    done += n;
    entry_used_up = n == count;
    prd += 8;
  }
  ++d.dma_transfers;
  d.dma_bytes += done;
  const bool short_table = !failed && done < c.dma_bytes;
  if (short_table) GuestLog::instance().log("ide", "%s: the PRD table is shorter than the transfer", d.name.c_str());
  c.bm_status |= bus_master::kInterrupt;
  if (failed || short_table) c.bm_status |= bus_master::kError;
  if (failed || short_table || (eot && entry_used_up)) c.bm_status &= static_cast<u8>(~bus_master::kActive);
  const bool atapi = c.command == 0xA0;
  if (failed || short_table) {
    if (atapi) return atapi_error(c, d, 0x04, 0x44);  // HARDWARE ERROR / INTERNAL TARGET FAILURE
    return complete(c, kErrorAbort);
  }
  if (atapi) return atapi_done(c, d);
  complete(c);
}

// ---- media, monitor, state -----------------------------------------------------------------------

std::string PiixIde::change_medium(const std::string& name, std::shared_ptr<BlockDevice> medium) {
  for (auto& c : channels_)
    for (IdeDevice& d : c->devices)
      if (d.name == name) {
        if (d.kind != IdeDeviceKind::Cdrom) return "'" + name + "' is not a removable-media drive";
        d.medium = std::move(medium);
        d.unit_attention = true;
        d.media_event = d.medium ? 2 : 3;
        return {};
      }
  return "no drive named '" + name + "'";
}

std::string PiixIde::eject(const std::string& name, bool force) {
  for (auto& c : channels_)
    for (IdeDevice& d : c->devices)
      if (d.name == name) {
        if (d.kind != IdeDeviceKind::Cdrom) return "'" + name + "' is not a removable-media drive";
        if (d.locked && !force) {
          d.media_event = 1;  // tell the guest someone pressed the eject button
          return "the guest has locked the tray of '" + name + "' (use eject -f)";
        }
        d.medium.reset();
        d.unit_attention = true;
        d.media_event = 3;
        return {};
      }
  return "no drive named '" + name + "'";
}

void PiixIde::serialize(StateVisitor& v) {
  PciFunction::serialize(v);
  for (auto& c : channels_) {
    // Names carry the channel and unit: a section's field names are unique.
    const std::string ch = "ch" + std::to_string(c->index) + ".";
    auto f = [&](const char* name) { return ch + name; };
    v.field(f("feature"), c->feature), v.field(f("hob_feature"), c->hob_feature);
    v.field(f("nsector"), c->nsector), v.field(f("hob_nsector"), c->hob_nsector);
    v.field(f("sector"), c->sector), v.field(f("hob_sector"), c->hob_sector);
    v.field(f("lcyl"), c->lcyl), v.field(f("hob_lcyl"), c->hob_lcyl), v.field(f("hcyl"), c->hcyl),
        v.field(f("hob_hcyl"), c->hob_hcyl);
    v.field(f("select"), c->select), v.field(f("control"), c->control), v.field(f("status"), c->status);
    v.field(f("error"), c->error), v.field(f("irq_pending"), c->irq_pending), v.field(f("phase"), c->phase);
    v.field(f("command"), c->command), v.field(f("pos"), c->pos), v.field(f("end"), c->end), v.field(f("lba"), c->lba);
    v.field(f("remaining"), c->remaining), v.field(f("block"), c->block);
    u32 buffer_size = static_cast<u32>(c->buffer.size());
    v.field(f("buffer_size"), buffer_size);
    if (v.loading()) c->buffer.assign(std::min<u32>(buffer_size, 1u << 20), 0);
    v.bytes(f("buffer"), c->buffer);
    v.field(f("packet"), c->packet), v.field(f("atapi_from_medium"), c->atapi_from_medium);
    v.field(f("atapi_offset"), c->atapi_offset), v.field(f("atapi_remaining"), c->atapi_remaining);
    v.field(f("atapi_limit"), c->atapi_limit), v.field(f("dma_to_memory"), c->dma_to_memory);
    v.field(f("dma_from_medium"), c->dma_from_medium), v.field(f("dma_offset"), c->dma_offset);
    v.field(f("dma_bytes"), c->dma_bytes), v.field(f("bm_command"), c->bm_command),
        v.field(f("bm_status"), c->bm_status);
    v.field(f("bm_prd"), c->bm_prd);
    for (unsigned unit = 0; unit < 2; ++unit) {
      IdeDevice& d = c->devices[unit];
      auto g = [&](const char* name) { return ch + "unit" + std::to_string(unit) + "." + name; };
      v.field(g("cylinders"), d.cylinders), v.field(g("heads"), d.heads), v.field(g("sectors"), d.sectors);
      v.field(g("multiple"), d.multiple), v.field(g("transfer_mode"), d.transfer_mode),
          v.field(g("write_cache"), d.write_cache);
      v.field(g("sense_key"), d.sense_key), v.field(g("asc"), d.asc), v.field(g("ascq"), d.ascq);
      v.field(g("unit_attention"), d.unit_attention), v.field(g("locked"), d.locked),
          v.field(g("media_event"), d.media_event);
    }
    if (v.loading()) {
      // A loaded state is untrusted: keep every position inside the buffer it indexes.
      c->end = std::min<u32>(c->end, static_cast<u32>(c->buffer.size()));
      c->pos = std::min(c->pos, c->end);
      if (c->phase > Channel::Phase::DmaPending) c->phase = Channel::Phase::Idle;
      if (c->block == 0 || c->block > 16) c->block = 1;
      c->bm_prd &= ~3u;
    }
  }
  if (v.loading()) {
    map_legacy_ports();
    update_irq(0);
    update_irq(1);
  }
}

std::string PiixIde::describe() const {
  std::string out = PciFunction::describe() + "\n";
  char line[256];
  for (const auto& c : channels_) {
    std::snprintf(line, sizeof line, "  channel %u: %s, bus master %s%s, status %02x\n", c->index,
                  legacy_mapped_[c->index] ? "decoded" : "not decoded",
                  (c->bm_command & bus_master::kStart) ? "started" : "stopped",
                  (c->bm_status & bus_master::kActive) ? " (active)" : "", c->status);
    out += line;
    for (const IdeDevice& d : c->devices) {
      if (d.kind == IdeDeviceKind::None) continue;
      const char* mode = (d.transfer_mode & 0xF8) == 0x40 ? "UDMA" : (d.transfer_mode & 0xF8) == 0x20 ? "MWDMA" : "PIO";
      std::snprintf(line, sizeof line,
                    "  %s: %s, %s%u, %s\n    bus-master transfers: %llu (%llu bytes), PIO bytes: %llu, commands: %llu, "
                    "errors: %llu, flushes: %llu\n",
                    d.name.c_str(), d.kind == IdeDeviceKind::Disk ? "disk" : "cd-rom", mode, d.transfer_mode & 7,
                    d.medium ? d.medium->describe().c_str() : "no medium",
                    static_cast<unsigned long long>(d.dma_transfers), static_cast<unsigned long long>(d.dma_bytes),
                    static_cast<unsigned long long>(d.pio_bytes), static_cast<unsigned long long>(d.commands),
                    static_cast<unsigned long long>(d.errors), static_cast<unsigned long long>(d.flushes));
      out += line;
    }
  }
  return out;
}

}  // namespace emu
