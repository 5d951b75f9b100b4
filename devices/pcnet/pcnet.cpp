#include "devices/pcnet/pcnet.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

PciIdentity pcnet_identity() {
  PciIdentity id;
  id.vendor_id = 0x1022;  // AMD
  id.device_id = 0x2000;  // PCnet-PCI II / FAST family
  id.revision = 0x10;
  id.class_code = 0x020000;  // Ethernet controller
  id.interrupt_pin = 1;      // INTA#
  return id;
}

// CSR0 (data sheet "CSR0: AMD PCnet-PCI II Controller Status").
namespace csr0 {
constexpr u16 kInit = 1 << 0, kStart = 1 << 1, kStop = 1 << 2, kTransmitDemand = 1 << 3, kTxOn = 1 << 4, kRxOn = 1 << 5,
              kInterruptEnable = 1 << 6, kInterrupt = 1 << 7, kInitDone = 1 << 8, kTxInterrupt = 1 << 9,
              kRxInterrupt = 1 << 10, kMemoryError = 1 << 11, kMissedFrame = 1 << 12, kCollisionError = 1 << 13,
              kBabble = 1 << 14, kError = 1 << 15;
constexpr u16 kWriteOneToClear =
    kInitDone | kTxInterrupt | kRxInterrupt | kMemoryError | kMissedFrame | kCollisionError | kBabble;
}  // namespace csr0

// Descriptor flags in the 32-bit layout (RMD1/TMD1 bits 31-16).
constexpr u32 kOwn = 1u << 31, kErr = 1u << 30, kStart = 1u << 25, kEnd = 1u << 24;
constexpr u32 kRxBuff = 1u << 26, kRxOverflow = 1u << 28;  // RMD1: BUFF, OFLO
constexpr u32 kTxBuff = 1u << 31;                          // TMD2: BUFF
// CSR15 (mode): PROM (bit 15) accepts every frame; DRX/DTX (0, 1) disable the receiver and
// transmitter; LOOP (2) with INTL (6) loops frames back inside the chip.
constexpr u16 kModeDisableRx = 1 << 0, kModeDisableTx = 1 << 1, kModeLoop = 1 << 2, kModePromiscuous = 1 << 15;

constexpr unsigned kMaxRing = 512;
constexpr u32 kChipId = 0x02621003;  // CSR88/89: part 2621h (79C970A), AMD

u16 ring_length(u16 csr_value) {
  // CSR76/78 hold the two's complement of the length; 0 (a length of 65536, or a guest that never
  // set it) is taken as the largest ring the initialization block can describe.
  const u32 length = (0x10000u - csr_value) & 0xFFFF;
  return static_cast<u16>(length == 0 || length > kMaxRing ? kMaxRing : length);
}

u32 buffer_bytes(u32 flags) {
  // BCNT: the two's complement of the buffer size in bits 11-0 (0 means 4096).
  const u32 size = (0x1000u - (flags & 0xFFF)) & 0xFFF;
  return size ? size : 0x1000;
}

}  // namespace

class PcnetPorts final : public PortHandler {
 public:
  explicit PcnetPorts(Pcnet& card) : card_(card) {}
  u32 port_read(u16 port, unsigned size) override {
    return card_.register_read(port - card_.bar_window(0).value_or(0), size);
  }
  void port_write(u16 port, unsigned size, u32 value) override {
    card_.register_write(port - card_.bar_window(0).value_or(0), size, value);
  }

 private:
  Pcnet& card_;
};

class PcnetMmio final : public MmioHandler {
 public:
  explicit PcnetMmio(Pcnet& card) : card_(card) {}
  u32 mmio_read(u32 offset, unsigned size) override { return card_.register_read(offset, size); }
  void mmio_write(u32 offset, unsigned size, u32 value) override { card_.register_write(offset, size, value); }

 private:
  Pcnet& card_;
};

Pcnet::Pcnet(Dma& dma, std::array<u8, 6> mac, NetBackend* backend)
    : PciFunction("pcnet", pcnet_identity()), dma_(dma), mac_(mac), backend_(backend) {
  io_ = std::make_unique<PcnetPorts>(*this);
  mmio_ = std::make_unique<PcnetMmio>(*this);
  define_io_bar(0, kIoSize, io_.get());
  define_memory_bar(1, kMmioSize, mmio_.get());
  if (backend_) backend_->attach(this);
  reset();
}

Pcnet::~Pcnet() {
  if (backend_) backend_->attach(nullptr);
}

void Pcnet::reset() {
  PciFunction::reset();
  dword_io_ = false;
  bcr_.fill(0);
  bcr_[2] = 0x0002;   // MISCCFG: ASEL, automatic media selection
  bcr_[4] = 0x00C0;   // LED0: link status
  bcr_[9] = 0x0000;   // FDC: half duplex
  bcr_[18] = 0x9001;  // BSBC: burst sizes (DWIO = bit 7 clear)
  bcr_[19] = 0x0000;  // EECAS: no serial EEPROM
  bcr_[20] = 0x0000;  // SWSTYLE 0
  soft_reset();
}

// A read of RESET (or a hardware reset): the controller stops with its registers at their
// defaults; the software style and the bus width go back to 16 bits.
void Pcnet::soft_reset() {
  csr_.fill(0);
  csr_[0] = csr0::kStop;
  csr_[3] = 0x0000;
  csr_[4] = 0x0115;  // APAD_XMT, MFCOM, RCVCCOM, TXSTRTM
  csr_[5] = 0x0000;
  csr_[58] = 0x0000;
  csr_[88] = static_cast<u16>(kChipId);
  csr_[89] = static_cast<u16>(kChipId >> 16);
  csr_[76] = csr_[78] = 0;
  // PADR starts as the PROM's address (drivers compare the two).
  for (unsigned k = 0; k < 3; ++k) csr_[12 + k] = static_cast<u16>(mac_[2 * k] | mac_[2 * k + 1] << 8);
  bcr_[20] = 0;
  bcr_[18] &= static_cast<u16>(~0x0080);
  dword_io_ = false;
  rap_ = 0;
  rx_index_ = tx_index_ = 0;
  tx_frame_.clear();
  update_interrupt();
}

// ---- register access ---------------------------------------------------------------------------

// Offsets 00h-0Fh are the address PROM: the MAC, 00h 00h, 00h 11h (hardware ID), 00h 00h, a
// checksum of the other bytes, and "WW" (what AMD's drivers look for).
u32 Pcnet::register_read(u32 offset, unsigned size) {
  offset &= 0x1F;
  if (offset < 16) {
    std::array<u8, 16> prom{};
    std::copy(mac_.begin(), mac_.end(), prom.begin());
    prom[9] = 0x11;
    prom[14] = prom[15] = 'W';
    u16 sum = 0;
    for (const u8 b : prom) sum = static_cast<u16>(sum + b);
    prom[12] = static_cast<u8>(sum), prom[13] = static_cast<u8>(sum >> 8);
    u32 v = 0;
    for (unsigned k = 0; k < size && offset + k < 16; ++k) v |= u32{prom[offset + k]} << (8 * k);
    return v;
  }
  if (!dword_io_ && size == 2) {
    switch (offset) {
      case 0x10: return read_csr(rap_);
      case 0x12: return rap_;
      case 0x14: soft_reset(); return 0;
      case 0x16: return read_bcr(rap_);
    }
  } else if (dword_io_ && size == 4) {
    switch (offset) {
      case 0x10: return read_csr(rap_);
      case 0x14: return rap_;
      case 0x18: soft_reset(); return 0;
      case 0x1C: return read_bcr(rap_);
    }
  }
  GuestLog::instance().log("pcnet", "read of %u bytes at offset %02x in %s mode", size, offset,
                           dword_io_ ? "DWIO" : "WIO");
  return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

void Pcnet::register_write(u32 offset, unsigned size, u32 value) {
  offset &= 0x1F;
  // A 32-bit write to RDP switches the controller to DWIO (data sheet "Software Access").
  if (!dword_io_ && size == 4 && offset == 0x10) {
    dword_io_ = true;
    bcr_[18] |= 0x0080;
  }
  if (!dword_io_ && size == 2) {
    switch (offset) {
      case 0x10: return write_csr(rap_, static_cast<u16>(value));
      case 0x12: rap_ = value & 0x7F; return;  // RAP: 7 bits select CSR0-127 / BCR0-127
      case 0x14: soft_reset(); return;
      case 0x16: return write_bcr(rap_, static_cast<u16>(value));
    }
  } else if (dword_io_ && size == 4) {
    switch (offset) {
      case 0x10: return write_csr(rap_, static_cast<u16>(value));
      case 0x14: rap_ = value & 0x7F; return;
      case 0x18: soft_reset(); return;
      case 0x1C: return write_bcr(rap_, static_cast<u16>(value));
    }
  }
  GuestLog::instance().log("pcnet", "write of %u bytes at offset %02x in %s mode", size, offset,
                           dword_io_ ? "DWIO" : "WIO");
}

u16 Pcnet::read_csr(unsigned n) {
  n &= 0x7F;
  switch (n) {
    case 0: return csr_[0];
    case 58: return bcr_[20];  // CSR58 is BCR20 (software style)
    default: return csr_[n];
  }
}

void Pcnet::write_csr(unsigned n, u16 value) {
  n &= 0x7F;
  switch (n) {
    case 0: {
      // Interrupt bits clear on 1; INEA is kept as written; INIT, STRT, STOP and TDMD are
      // commands. STOP wins over the others.
      csr_[0] &= static_cast<u16>(~(value & csr0::kWriteOneToClear));
      csr_[0] = static_cast<u16>((csr_[0] & ~csr0::kInterruptEnable) | (value & csr0::kInterruptEnable));
      if (value & csr0::kStop) {
        stop();
      } else {
        if (value & csr0::kInit) init();
        if (value & csr0::kStart) start();
        if (value & csr0::kTransmitDemand) transmit();
      }
      update_interrupt();
      return;
    }
    case 58: return write_bcr(20, value);
    case 88:
    case 89: return;  // chip ID: read-only
    default:
      // The other CSRs are only written while the controller is stopped or suspended (CSR5
      // SPND: data sheet "these registers are only accessible when STOP or SPND is set"); a
      // running card keeps them. CSR3-5 (masks, features, suspend) are always writable.
      if (!(csr_[0] & csr0::kStop) && !(csr_[5] & 1) && n != 3 && n != 4 && n != 5 && n != 112) {
        GuestLog::instance().log("pcnet", "write to CSR%u while running ignored", n);
        return;
      }
      csr_[n] = value;
      if (n == 3 || n == 4) update_interrupt();
  }
}

u16 Pcnet::read_bcr(unsigned n) const {
  n &= 0x7F;
  if (n >= bcr_.size()) return 0;
  if (n == 32 || n == 33 || n == 34) return 0;  // no MII on the 79C970A
  if (n >= 4 && n <= 7) {
    // LED0-3: LEDOUT (bit 15) shows whether any enabled status bit is active; bit 6 (LNKSTE) is
    // the link. pcnet32 reads BCR4 for the link on this chip.
    const u16 value = bcr_[n] & 0x7FFF;
    const u16 status = link_up_ ? 0x0040 : 0;
    return static_cast<u16>(value | ((value & 0x017F & status) ? 0x8000 : 0));
  }
  return bcr_[n];
}

void Pcnet::write_bcr(unsigned n, u16 value) {
  n &= 0x7F;
  switch (n) {
    case 20: {
      // SWSTYLE (bits 7-0): 0 (16-bit descriptors), 2 or 3 (32-bit); SSIZE32 (bit 8) follows.
      const u8 style = value & 0xFF;
      if (style != 0 && style != 2 && style != 3) {
        GuestLog::instance().log("pcnet", "software style %u not supported, using 2", style);
        bcr_[20] = 0x0102;
        return;
      }
      bcr_[20] = static_cast<u16>(style | (style ? 0x0100 : 0));
      return;
    }
    case 2:
    case 4:
    case 5:
    case 6:
    case 7:
    case 9:
    case 18:
    case 19: bcr_[n] = n == 18 ? static_cast<u16>((value & ~0x0080) | (dword_io_ ? 0x0080 : 0)) : value; return;
    default:
      if (n < bcr_.size())
        bcr_[n] = value;
      else
        GuestLog::instance().log("pcnet", "write to BCR%u ignored", n);
  }
}

// ---- initialization, start, stop -----------------------------------------------------------------

// The initialization block at IADR (CSR1/CSR2): 16-bit layout (SWSTYLE 0, 24 bytes) or 32-bit
// (SSIZE32, 28 bytes): mode, physical address, logical address filter, ring addresses and
// lengths (2^n entries).
void Pcnet::init() {
  const u32 address = style32() ? (csr_[1] | u32{csr_[2]} << 16) : ((csr_[1] | u32{csr_[2]} << 16) & 0xFFFFFF);
  std::array<u8, 28> block{};
  const size_t length = style32() ? 28 : 24;
  if (dma_.read(address, std::span(block).first(length)) != DmaResult::Ok) {
    GuestLog::instance().log("pcnet", "initialization block at %08x is not in RAM", address);
    csr_[0] |= csr0::kMemoryError | csr0::kInitDone;
    return;
  }
  auto u16at = [&](size_t at) { return static_cast<u16>(block[at] | block[at + 1] << 8); };
  auto u32at = [&](size_t at) { return u16at(at) | u32{u16at(at + 2)} << 16; };
  u32 rx_base, tx_base;
  unsigned rx_log, tx_log;
  size_t padr, ladrf;
  if (style32()) {
    rx_log = block[2] >> 4, tx_log = block[3] >> 4;
    padr = 4, ladrf = 12;
    rx_base = u32at(20), tx_base = u32at(24);
  } else {
    padr = 2, ladrf = 8;
    rx_base = u32at(16) & 0xFFFFFF, rx_log = block[19] >> 5;
    tx_base = u32at(20) & 0xFFFFFF, tx_log = block[23] >> 5;
  }
  csr_[15] = u16at(0);
  for (unsigned k = 0; k < 3; ++k) csr_[12 + k] = u16at(padr + 2 * k);
  for (unsigned k = 0; k < 4; ++k) csr_[8 + k] = u16at(ladrf + 2 * k);
  csr_[24] = static_cast<u16>(rx_base), csr_[25] = static_cast<u16>(rx_base >> 16);
  csr_[30] = static_cast<u16>(tx_base), csr_[31] = static_cast<u16>(tx_base >> 16);
  // 2^n entries, n up to 9 (512); the CSRs hold the two's complement.
  csr_[76] = static_cast<u16>(0x10000u - (1u << std::min(rx_log, 9u)));
  csr_[78] = static_cast<u16>(0x10000u - (1u << std::min(tx_log, 9u)));
  rx_index_ = tx_index_ = 0;
  tx_frame_.clear();
  csr_[0] = static_cast<u16>((csr_[0] & ~csr0::kStop) | csr0::kInit | csr0::kInitDone);
}

void Pcnet::start() {
  csr_[0] = static_cast<u16>((csr_[0] & ~csr0::kStop) | csr0::kStart);
  if (!(csr_[15] & kModeDisableTx)) csr_[0] |= csr0::kTxOn;
  if (!(csr_[15] & kModeDisableRx)) csr_[0] |= csr0::kRxOn;
}

void Pcnet::stop() {
  csr_[0] = csr0::kStop;
  tx_frame_.clear();
}

void Pcnet::update_interrupt() {
  const u16 c0 = csr_[0], masks = csr_[3];
  bool pending = false;
  pending |= (c0 & csr0::kBabble) && !(masks & (1 << 14));
  pending |= (c0 & csr0::kMissedFrame) && !(masks & (1 << 12));
  pending |= (c0 & csr0::kMemoryError) && !(masks & (1 << 11));
  pending |= (c0 & csr0::kRxInterrupt) && !(masks & (1 << 10));
  pending |= (c0 & csr0::kTxInterrupt) && !(masks & (1 << 9));
  pending |= (c0 & csr0::kInitDone) && !(masks & (1 << 8));
  u16 v = static_cast<u16>(c0 & ~(csr0::kInterrupt | csr0::kError));
  if (c0 & (csr0::kBabble | csr0::kCollisionError | csr0::kMissedFrame | csr0::kMemoryError)) v |= csr0::kError;
  if (pending) v |= csr0::kInterrupt;
  csr_[0] = v;
  set_intx(pending && (v & csr0::kInterruptEnable));
}

// ---- descriptors ---------------------------------------------------------------------------------

u32 Pcnet::ring_entry(u32 base, u32 index) const { return base + index * (style32() ? 16 : 8); }

bool Pcnet::read_descriptor(u32 address, Descriptor& d) {
  if (style32()) {
    std::array<u8, 12> raw{};
    if (dma_.read(address, raw) != DmaResult::Ok) return false;
    auto w = [&](unsigned k) {
      return raw[4 * k] | u32{raw[4 * k + 1]} << 8 | u32{raw[4 * k + 2]} << 16 | u32{raw[4 * k + 3]} << 24;
    };
    // SWSTYLE 2: address, flags, misc; SWSTYLE 3: misc, flags, address.
    d.buffer = software_style() == 3 ? w(2) : w(0);
    d.flags = w(1);
    d.misc = software_style() == 3 ? w(0) : w(2);
    return true;
  }
  std::array<u8, 8> raw{};
  if (dma_.read(address, raw) != DmaResult::Ok) return false;
  auto h = [&](unsigned k) { return static_cast<u32>(raw[2 * k] | raw[2 * k + 1] << 8); };
  d.buffer = h(0) | (h(1) & 0xFF) << 16;
  d.flags = (h(1) & 0xFF00) << 16 | h(2);
  d.misc = h(3);
  return true;
}

bool Pcnet::write_descriptor_status(u32 address, const Descriptor& d) {
  if (style32()) {
    const u32 misc_at = software_style() == 3 ? address : address + 8;
    return dma_.write_u32(misc_at, d.misc) == DmaResult::Ok && dma_.write_u32(address + 4, d.flags) == DmaResult::Ok;
  }
  const u16 rmd1 = static_cast<u16>((d.flags >> 16 & 0xFF00) | (d.buffer >> 16 & 0xFF));
  return dma_.write_u16(address + 6, static_cast<u16>(d.misc)) == DmaResult::Ok &&
         dma_.write_u16(address + 2, rmd1) == DmaResult::Ok;
}

// ---- transmit ------------------------------------------------------------------------------------

// Walks the transmit ring from the current descriptor while the card owns descriptors (at most
// one lap): STP starts a frame, buffers are appended, ENP sends it. A frame larger than an
// Ethernet frame is babble: it is dropped and the descriptor reports BUFF/ERR.
void Pcnet::transmit() {
  if (!(csr_[0] & csr0::kTxOn)) return;
  const u32 base = csr_[30] | u32{csr_[31]} << 16;
  const u16 length = ring_length(csr_[78]);
  bool sent_any = false;
  for (unsigned step = 0; step < length; ++step) {
    const u32 at = ring_entry(base, tx_index_ % length);
    Descriptor d;
    if (!read_descriptor(at, d)) {
      csr_[0] |= csr0::kMemoryError;
      GuestLog::instance().log("pcnet", "transmit descriptor at %08x is not in RAM", at);
      break;
    }
    if (!(d.flags & kOwn)) break;
    if (d.flags & kStart) tx_frame_.clear();
    const u32 bytes = buffer_bytes(d.flags);
    bool babble = tx_frame_.size() + bytes > kMaxFrame;
    if (!babble) {
      const size_t old = tx_frame_.size();
      tx_frame_.resize(old + bytes);
      if (dma_.read(d.buffer, std::span(tx_frame_).subspan(old)) != DmaResult::Ok) {
        csr_[0] |= csr0::kMemoryError;
        tx_frame_.clear();
        babble = true;
      }
    }
    d.flags &= ~kOwn;
    if (babble) {
      csr_[0] |= csr0::kBabble;
      d.flags |= kErr;
      d.misc |= kTxBuff;
      ++counters_.tx_errors;
      tx_frame_.clear();
    }
    write_descriptor_status(at, d);
    tx_index_ = (tx_index_ + 1) % length;
    if ((d.flags & kEnd) && !tx_frame_.empty()) {
      ++counters_.tx_frames;
      counters_.tx_bytes += tx_frame_.size();
      if (csr_[15] & kModeLoop)
        deliver(tx_frame_);
      else if (backend_ && link_up_)
        backend_->send(tx_frame_);
      tx_frame_.clear();
      sent_any = true;
    }
  }
  if (sent_any) csr_[0] |= csr0::kTxInterrupt;
  update_interrupt();
}

// ---- receive -------------------------------------------------------------------------------------

// The logical address filter: bits 31-26 of the frame's CRC-32 (Ethernet, of the destination
// address) index the 64-bit LADRF in CSR8-11.
bool Pcnet::address_match(std::span<const u8> frame) const {
  if (csr_[15] & kModePromiscuous) return true;
  if (frame.size() < 6) return false;
  const bool broadcast = std::all_of(frame.begin(), frame.begin() + 6, [](u8 b) { return b == 0xFF; });
  if (broadcast) return true;
  std::array<u8, 6> padr{};
  for (unsigned k = 0; k < 3; ++k)
    padr[2 * k] = static_cast<u8>(csr_[12 + k]), padr[2 * k + 1] = static_cast<u8>(csr_[12 + k] >> 8);
  if (std::equal(padr.begin(), padr.end(), frame.begin())) return true;
  if (frame[0] & 1) {
    u32 crc = 0xFFFFFFFFu;
    for (unsigned k = 0; k < 6; ++k) {
      u8 b = frame[k];
      for (int bit = 0; bit < 8; ++bit, b >>= 1) crc = (crc >> 1) ^ (((crc ^ b) & 1) ? 0xEDB88320u : 0);
    }
    const unsigned hash = crc >> 26;
    return csr_[8 + hash / 16] & (1u << (hash % 16));
  }
  return false;
}

bool Pcnet::can_receive() const {
  if (!(csr_[0] & csr0::kRxOn) || !link_up_) return false;
  const u32 base = csr_[24] | u32{csr_[25]} << 16;
  const u32 at = base + (rx_index_ % ring_length(csr_[76])) * (style32() ? 16 : 8);
  u32 flags = 0;
  if (style32()) {
    if (dma_.read_u32(at + 4, flags) != DmaResult::Ok) return false;
  } else {
    u16 rmd1 = 0;
    if (dma_.read_u16(at + 2, rmd1) != DmaResult::Ok) return false;
    flags = u32{rmd1} << 16;
  }
  return flags & kOwn;
}

void Pcnet::receive(std::span<const u8> frame) {
  if (!(csr_[0] & csr0::kRxOn) || !link_up_ || !address_match(frame)) return;
  deliver(frame);
}

// Writes a frame (padded to 60 bytes, the FCS appended as the chip stores it) into the receive
// ring: STP on the first descriptor, ENP and the message byte count on the last; a frame that
// does not fit the owned descriptors sets BUFF (or MISS if none is owned).
void Pcnet::deliver(std::span<const u8> in) {
  if (in.size() > kMaxFrame - 4) {
    ++counters_.rx_dropped;
    return;
  }
  std::vector<u8> frame(in.begin(), in.end());
  if (frame.size() < 60) frame.resize(60, 0);
  const u32 fcs = static_cast<u32>(crc32(0, frame.data(), static_cast<uInt>(frame.size())));
  for (unsigned k = 0; k < 4; ++k) frame.push_back(static_cast<u8>(fcs >> (8 * k)));

  const u32 base = csr_[24] | u32{csr_[25]} << 16;
  const u16 length = ring_length(csr_[76]);
  size_t done = 0;
  u32 index = rx_index_ % length;
  for (unsigned step = 0; step < length && done < frame.size(); ++step) {
    const u32 at = ring_entry(base, index);
    Descriptor d;
    if (!read_descriptor(at, d)) {
      csr_[0] |= csr0::kMemoryError;
      break;
    }
    if (!(d.flags & kOwn)) {
      if (done == 0) {
        csr_[0] |= csr0::kMissedFrame;
        ++csr_[112];  // missed frame count
      } else {
        // The previous descriptor's frame did not fit: mark it.
        ++counters_.rx_dropped;
      }
      break;
    }
    const size_t n = std::min<size_t>(buffer_bytes(d.flags), frame.size() - done);
    if (dma_.write(d.buffer, std::span(frame).subspan(done, n)) != DmaResult::Ok) {
      csr_[0] |= csr0::kMemoryError;
      d.flags |= kErr | kRxBuff;
    }
    d.flags &= ~(kOwn | kStart | kEnd | kErr | kRxBuff | kRxOverflow);
    if (done == 0) d.flags |= kStart;
    done += n;
    if (done == frame.size()) {
      d.flags |= kEnd;
      d.misc = static_cast<u32>(frame.size()) & 0xFFF;  // MCNT, FCS included
    }
    write_descriptor_status(at, d);
    index = (index + 1) % length;
  }
  if (done == frame.size()) {
    rx_index_ = index;
    ++counters_.rx_frames;
    counters_.rx_bytes += in.size();
    csr_[0] |= csr0::kRxInterrupt;
  } else {
    ++counters_.rx_dropped;
    if (done) rx_index_ = index;  // the descriptors used are the guest's again, marked partial
  }
  update_interrupt();
}

// ---- state ---------------------------------------------------------------------------------------

void Pcnet::serialize(StateVisitor& v) {
  PciFunction::serialize(v);
  v.field("csr", csr_);
  v.field("bcr", bcr_);
  v.field("rap", rap_);
  v.field("dword_io", dword_io_);
  v.field("link_up", link_up_);
  v.field("rx_index", rx_index_);
  v.field("tx_index", tx_index_);
  if (v.loading()) {
    rap_ &= 0x7F;
    rx_index_ %= kMaxRing;
    tx_index_ %= kMaxRing;
    tx_frame_.clear();
    update_interrupt();
  }
}

std::string Pcnet::describe() const {
  // The PCI header's line comes first, whatever its length; the card's own lines have bounded widths.
  char line[320];
  std::snprintf(
      line, sizeof line,
      "\n  MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s, %s, SWSTYLE %u, CSR0 %04x, mode %04x\n"
      "  rx ring %04x%04x x%u (at %u), tx ring %04x%04x x%u (at %u)\n"
      "  tx %llu frames %llu bytes (%llu errors), rx %llu frames %llu bytes, %llu dropped\n",
      mac_[0], mac_[1], mac_[2], mac_[3], mac_[4], mac_[5], link_up_ ? "up" : "down", dword_io_ ? "DWIO" : "WIO",
      software_style(), csr_[0], csr_[15], csr_[25], csr_[24], ring_length(csr_[76]), rx_index_, csr_[31], csr_[30],
      ring_length(csr_[78]), tx_index_, static_cast<unsigned long long>(counters_.tx_frames),
      static_cast<unsigned long long>(counters_.tx_bytes), static_cast<unsigned long long>(counters_.tx_errors),
      static_cast<unsigned long long>(counters_.rx_frames), static_cast<unsigned long long>(counters_.rx_bytes),
      static_cast<unsigned long long>(counters_.rx_dropped));
  return PciFunction::describe() + line;
}

}  // namespace emu
