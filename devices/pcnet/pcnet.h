// The AMD Am79C970A PCnet-PCI II Ethernet controller (PCI 1022:2000): what VMware and QEMU give
// legacy guests, driven by Linux's pcnet32.
//
// Reference: Am79C970A data sheet (AMD 19436): "Software Access" (RAP/RDP/BDP, word and dword
// I/O), "Control and Status Registers", "Bus Configuration Registers", "Initialization Block",
// "Descriptor Rings" (SWSTYLE 0, 2, 3). QEMU's hw/net/pcnet.c is the comparison.
//
// The guest is hostile (DESIGN §6, QEMU's pcnet CVEs): RAP is masked to 7 bits; ring lengths
// come from a 4-bit power of two (1-512 entries, 0 meaning 1) or the two's complement in
// CSR76/78 limited to 512; every ring index is taken modulo its length and every walk of a ring
// stops after one lap; byte counts are 12-bit and checked against the frame buffer, whose size
// is the largest Ethernet frame plus FCS (CVE-2015-3209, CVE-2015-7504, CVE-2015-7512); a ring
// length of 0 cannot make a loop (CVE-2016-7909). Descriptors and buffers go through the checked
// DMA API; a descriptor outside RAM is a memory error (MERR), not a crash.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/dma.h"
#include "devices/net/net_backend.h"
#include "devices/pci/pci_function.h"

namespace emu {

class StateVisitor;

class Pcnet final : public PciFunction, public NetReceiver {
 public:
  static constexpr u32 kIoSize = 32, kMmioSize = 32;
  static constexpr u32 kMaxFrame = 1518;  // the largest frame the card sends or takes, with FCS

  Pcnet(Dma& dma, std::array<u8, 6> mac, NetBackend* backend);
  ~Pcnet() override;

  // NetReceiver.
  bool can_receive() const override;
  void receive(std::span<const u8> frame) override;

  // The link as the guest sees it (the monitor's `set_link`).
  void set_link(bool up) { link_up_ = up; }
  bool link_up() const { return link_up_; }

  struct Counters {
    u64 tx_frames = 0, tx_bytes = 0, rx_frames = 0, rx_bytes = 0, rx_dropped = 0, tx_errors = 0;
  };
  const Counters& counters() const { return counters_; }
  const std::array<u8, 6>& mac() const { return mac_; }

  // Register access through the I/O or memory BAR: `offset` 0-31.
  u32 register_read(u32 offset, unsigned size);
  void register_write(u32 offset, unsigned size, u32 value);

  void reset() override;
  void serialize(StateVisitor& v) override;
  std::string describe() const override;

  // CSRs and BCRs by number, for tests and the debugger.
  u16 csr(unsigned n) const { return n < csr_.size() ? csr_[n] : 0; }
  u16 bcr(unsigned n) const { return n < bcr_.size() ? bcr_[n] : 0; }

 private:
  u16 read_csr(unsigned n);
  void write_csr(unsigned n, u16 value);
  u16 read_bcr(unsigned n) const;
  void write_bcr(unsigned n, u16 value);
  void soft_reset();
  void init();
  void start();
  void stop();
  void transmit();
  void deliver(std::span<const u8> frame);
  bool address_match(std::span<const u8> frame) const;
  void update_interrupt();
  unsigned software_style() const { return bcr_[20] & 0xFF; }
  bool style32() const { return software_style() != 0; }
  u32 ring_entry(u32 base, u32 index) const;  // a descriptor's address

  // A descriptor, whatever the software style (SWSTYLE 0: 16-bit, 2 and 3: 32-bit).
  struct Descriptor {
    u32 buffer = 0;
    u32 flags = 0;  // OWN ERR ... in bits 31-16 (32-bit layout), BCNT two's complement in 11-0
    u32 misc = 0;   // RMD: MCNT; TMD: error bits
  };
  bool read_descriptor(u32 address, Descriptor& d);
  bool write_descriptor_status(u32 address, const Descriptor& d);

  Dma& dma_;
  std::array<u8, 6> mac_;
  NetBackend* backend_;
  std::array<u16, 128> csr_{};
  std::array<u16, 36> bcr_{};
  u16 rap_ = 0;
  bool dword_io_ = false;
  bool link_up_ = true;
  u32 rx_index_ = 0, tx_index_ = 0;
  std::vector<u8> tx_frame_;
  Counters counters_;
  std::unique_ptr<PortHandler> io_;
  std::unique_ptr<MmioHandler> mmio_;
};

}  // namespace emu
