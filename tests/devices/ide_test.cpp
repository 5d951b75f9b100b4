// The PIIX3 IDE function through its ports, as a driver uses it: ATA commands (ATA/ATAPI-6),
// bus-master DMA (SFF-8038i), ATAPI packet commands (MMC-3), and the guest misuse behind QEMU's
// IDE CVEs, each a named regression test.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "core/address_space.h"
#include "core/dma.h"
#include "core/serializer.h"
#include "devices/ide/piix_ide.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/piix3.h"
#include "images/memory_block_device.h"

using namespace emu;

namespace {

constexpr u16 kCmd = 0x1F0, kCtl = 0x3F6, kCmd2 = 0x170;
constexpr u16 kBm = 0xC000;
constexpr u8 kBsy = 0x80, kDrdy = 0x40, kDrq = 0x08, kErr = 0x01;

struct Board {
  AddressSpace space{16u << 20};
  PciBus bus{space};
  Piix3IsaBridge isa;  // function 0 of device 1: it makes 00:01.1 visible (multi-function)
  Dma dma{space};
  std::vector<std::pair<unsigned, bool>> irqs;
  PiixIde ide{space, dma, [this](unsigned ch, bool level) { irqs.emplace_back(ch, level); }};
  std::shared_ptr<MemoryBlockDevice> disk, cd;

  explicit Board(u64 disk_bytes = 4u << 20, u64 cd_bytes = 8u << 20) {
    space.map_ports(0xCF8, 1, &bus);
    space.map_ports(0xCFC, 4, &bus);
    bus.attach(1, 0, &isa);
    bus.attach(1, 1, &ide);
    if (disk_bytes) {
      disk = std::make_shared<MemoryBlockDevice>(disk_bytes);
      for (u64 s = 0; s < disk_bytes / 512; ++s)
        for (unsigned k = 0; k < 512; ++k) disk->data()[s * 512 + k] = static_cast<u8>(s + k);
      ide.attach(0, 0, IdeDeviceKind::Disk, disk, "ide0-hd0");
    }
    if (cd_bytes) {
      cd = std::make_shared<MemoryBlockDevice>(cd_bytes, true);
      for (u64 s = 0; s < cd_bytes / 2048; ++s) cd->data()[s * 2048] = static_cast<u8>(s);
      ide.attach(1, 0, IdeDeviceKind::Cdrom, cd, "ide1-cd0");
    }
    ide.reset();
    // What a BIOS does: BAR4, I/O + bus master, IDETIM decode enable on both channels.
    cfg_write(0x20, 4, kBm);
    cfg_write(0x04, 2, 0x0005);
    cfg_write(0x40, 4, 0x80008000u);
  }
  void cfg_write(u8 reg, unsigned size, u32 value) {
    space.port_write(0xCF8, 4, 0x80000900u | (reg & 0xFC));
    space.port_write(static_cast<u16>(0xCFC + (reg & 3)), size, value);
  }
  u32 cfg_read(u8 reg, unsigned size) {
    space.port_write(0xCF8, 4, 0x80000900u | (reg & 0xFC));
    return space.port_read(static_cast<u16>(0xCFC + (reg & 3)), size);
  }
  u8 in8(u16 port) { return static_cast<u8>(space.port_read(port, 1)); }
  u16 in16(u16 port) { return static_cast<u16>(space.port_read(port, 2)); }
  void out8(u16 port, u8 v) { space.port_write(port, 1, v); }
  void out16(u16 port, u16 v) { space.port_write(port, 2, v); }
  void out32(u16 port, u32 v) { space.port_write(port, 4, v); }
  // LBA28 command on channel 0, drive 0.
  void lba_command(u8 cmd, u32 lba, u8 count, u16 base = kCmd) {
    out8(base + 6, static_cast<u8>(0xE0 | ((lba >> 24) & 0x0F)));
    out8(base + 2, count);
    out8(base + 3, static_cast<u8>(lba));
    out8(base + 4, static_cast<u8>(lba >> 8));
    out8(base + 5, static_cast<u8>(lba >> 16));
    out8(base + 7, cmd);
  }
  std::vector<u8> read_block(unsigned bytes, u16 base = kCmd) {
    std::vector<u8> out;
    for (unsigned k = 0; k < bytes; k += 2) {
      const u16 w = in16(base);
      out.push_back(static_cast<u8>(w));
      out.push_back(static_cast<u8>(w >> 8));
    }
    return out;
  }
  std::vector<u16> identify(u8 cmd = 0xEC, u16 base = kCmd) {
    out8(base + 6, 0xA0);
    out8(base + 7, cmd);
    std::vector<u16> w;
    for (int k = 0; k < 256; ++k) w.push_back(in16(base));
    return w;
  }
  void put_prd(u32 table, std::vector<std::pair<u32, u32>> entries) {
    for (size_t k = 0; k < entries.size(); ++k) {
      const bool last = k + 1 == entries.size();
      dma.write_u32(table + 8 * static_cast<u32>(k), entries[k].first);
      dma.write_u32(table + 8 * static_cast<u32>(k) + 4, (entries[k].second & 0xFFFF) | (last ? 0x80000000u : 0));
    }
  }
  void send_packet(std::vector<u8> cdb, u16 limit = 0xFFFE, bool dma_mode = false) {
    cdb.resize(12, 0);
    out8(kCmd2 + 6, 0xA0);
    out8(kCmd2 + 1, dma_mode ? 1 : 0);
    out8(kCmd2 + 4, static_cast<u8>(limit));
    out8(kCmd2 + 5, static_cast<u8>(limit >> 8));
    out8(kCmd2 + 7, 0xA0);
    for (int k = 0; k < 12; k += 2) out16(kCmd2, static_cast<u16>(cdb[k] | cdb[k + 1] << 8));
  }
  std::vector<u8> atapi_data() {
    std::vector<u8> all;
    while (in8(kCmd2 + 7) & kDrq) {
      const unsigned n = in8(kCmd2 + 4) | in8(kCmd2 + 5) << 8;
      const auto chunk = read_block(n, kCmd2);
      all.insert(all.end(), chunk.begin(), chunk.begin() + n);
    }
    return all;
  }
};

std::string ata_string(const std::vector<u16>& w, unsigned first, unsigned count) {
  std::string s;
  for (unsigned k = 0; k < count; ++k) s += static_cast<char>(w[first + k] >> 8), s += static_cast<char>(w[first + k]);
  return s;
}

}  // namespace

TEST_CASE("ide: function 00:01.1 is 8086:7010, legacy mode, bus master capable, decoded by IDETIM") {
  Board b;
  CHECK(b.cfg_read(0x00, 4) == 0x70108086u);
  CHECK((b.cfg_read(0x08, 4) >> 8) == 0x010180u);
  CHECK(b.cfg_read(0x3D, 1) == 0);  // no PCI interrupt pin: IRQ 14/15
  CHECK((b.cfg_read(0x20, 4) & ~0xFu) == kBm);
  CHECK(b.in8(kCmd + 7) == (kDrdy | 0x10));
  b.cfg_write(0x40, 2, 0x0000);  // primary decode off: the ports float
  CHECK(b.in8(kCmd + 7) == 0xFF);
  b.cfg_write(0x40, 2, 0x8000);
  CHECK(b.in8(kCmd + 7) == (kDrdy | 0x10));
}

TEST_CASE("ide: signatures after reset tell ATA from ATAPI; an absent slave reads 0") {
  Board b;
  CHECK(b.in8(kCmd + 2) == 1);
  CHECK(b.in8(kCmd + 3) == 1);
  CHECK(b.in8(kCmd + 4) == 0x00);
  CHECK(b.in8(kCmd + 5) == 0x00);
  CHECK(b.in8(kCmd2 + 4) == 0x14);
  CHECK(b.in8(kCmd2 + 5) == 0xEB);
  b.out8(kCmd + 6, 0xB0);  // select the slave, which is not there
  CHECK(b.in8(kCmd + 7) == 0);
  CHECK(b.in8(kCmd + 2) == 0);
  // Software reset through the control port: BSY while SRST is set, signature after.
  b.out8(kCmd + 6, 0xA0);
  b.out8(kCtl, 0x04);
  CHECK(b.in8(kCmd + 7) == kBsy);
  b.out8(kCtl, 0x00);
  CHECK(b.in8(kCmd + 7) == (kDrdy | 0x10));
  CHECK(b.in8(kCmd + 1) == 0x01);
}

TEST_CASE("ide: IDENTIFY DEVICE reports model, sizes, LBA48, DMA modes; ATAPI aborts it") {
  Board b;
  const auto w = b.identify();
  CHECK(ata_string(w, 27, 6) == "EMU HARDDISK");
  CHECK((w[49] & 0x0300) == 0x0300);
  CHECK((w[60] | u32{w[61]} << 16) == 8192);
  CHECK(w[100] == 8192);
  CHECK((w[83] & (1 << 10)) != 0);
  CHECK((w[63] & 0x07) == 0x07);
  CHECK((b.in8(kCmd + 7) & kDrq) == 0);
  // SET FEATURES transfer mode MWDMA2 shows as selected.
  b.out8(kCmd + 1, 0x03);
  b.out8(kCmd + 2, 0x22);
  b.out8(kCmd + 7, 0xEF);
  CHECK((b.in8(kCmd + 7) & kErr) == 0);
  CHECK((b.identify()[63] & 0x0400) != 0);
  // The CD-ROM aborts IDENTIFY DEVICE and answers IDENTIFY PACKET DEVICE.
  b.out8(kCmd2 + 6, 0xA0);
  b.out8(kCmd2 + 7, 0xEC);
  CHECK((b.in8(kCmd2 + 7) & kErr) != 0);
  CHECK(b.in8(kCmd2 + 1) == 0x04);
  CHECK(b.in8(kCmd2 + 5) == 0xEB);
  const auto p = b.identify(0xA1, kCmd2);
  CHECK(p[0] == 0x85C0);
  CHECK(ata_string(p, 27, 6) == "EMU DVD-ROM ");
}

TEST_CASE("ide: READ/WRITE SECTORS in LBA28, LBA48 and CHS, READ/WRITE MULTIPLE") {
  Board b;
  b.lba_command(0x20, 5, 2);
  CHECK(b.irqs.back() == std::pair<unsigned, bool>(0, true));
  auto data = b.read_block(1024);
  CHECK(data[0] == 5);
  CHECK(data[512] == 6);
  CHECK((b.in8(kCmd + 7) & kDrq) == 0);
  // WRITE SECTORS: the data lands on the medium.
  b.lba_command(0x30, 100, 1);
  CHECK((b.in8(kCmd + 7) & kDrq) != 0);
  for (int k = 0; k < 256; ++k) b.out16(kCmd, 0xBEEF);
  CHECK(b.disk->data()[100 * 512] == 0xEF);
  CHECK(b.disk->data()[100 * 512 + 1] == 0xBE);
  // LBA48: the HOB registers hold the high bytes; sector 3000.
  b.out8(kCmd + 6, 0x40);
  b.out8(kCmd + 2, 0), b.out8(kCmd + 2, 1);
  b.out8(kCmd + 3, 0), b.out8(kCmd + 3, 3000 & 0xFF);
  b.out8(kCmd + 4, 0), b.out8(kCmd + 4, 3000 >> 8);
  b.out8(kCmd + 5, 0), b.out8(kCmd + 5, 0);
  b.out8(kCmd + 7, 0x24);
  CHECK(b.read_block(512)[0] == static_cast<u8>(3000));
  // CHS (cylinder 0, head 1, sector 1 = LBA 63 with 16 heads and 63 sectors).
  b.out8(kCmd + 6, 0xA1);
  b.out8(kCmd + 2, 1), b.out8(kCmd + 3, 1), b.out8(kCmd + 4, 0), b.out8(kCmd + 5, 0);
  b.out8(kCmd + 7, 0x20);
  CHECK(b.read_block(512)[0] == 63);
  // READ MULTIPLE needs SET MULTIPLE MODE first; then 4 sectors per interrupt.
  b.lba_command(0xC4, 0, 8);
  CHECK((b.in8(kCmd + 7) & kErr) != 0);
  b.out8(kCmd + 2, 4);
  b.out8(kCmd + 7, 0xC6);
  b.lba_command(0xC4, 8, 8);
  const size_t irqs = b.irqs.size();
  CHECK(b.read_block(2048)[1536] == 11);
  CHECK(b.irqs.size() > irqs);
  CHECK(b.read_block(2048)[0] == 12);
  CHECK((b.in8(kCmd + 7) & kDrq) == 0);
}

TEST_CASE("ide: out-of-range sectors fail with IDNF; VERIFY, FLUSH CACHE, NATIVE MAX") {
  Board b;
  b.lba_command(0x20, 8191, 2);
  CHECK((b.in8(kCmd + 7) & kErr) != 0);
  CHECK((b.in8(kCmd + 1) & 0x10) != 0);
  b.lba_command(0x40, 8190, 2);
  CHECK((b.in8(kCmd + 7) & kErr) == 0);
  b.out8(kCmd + 7, 0xE7);
  CHECK(b.disk->flushes == 1);
  b.lba_command(0xF8, 0, 0);
  CHECK(b.in8(kCmd + 3) == 0xFF);
  CHECK(b.in8(kCmd + 4) == 0x1F);
  b.out8(kCmd + 7, 0x00);  // NOP always aborts
  CHECK(b.in8(kCmd + 1) == 0x04);
}

TEST_CASE("ide: READ DMA through a PRD table, with BMIS showing interrupt and active") {
  Board b;
  b.put_prd(0x10000, {{0x20000, 512}, {0x30000, 1024}});
  b.out32(kBm + 4, 0x10000);
  b.lba_command(0xC8, 10, 3);
  b.out8(kBm, 0x09);  // start, write to memory
  std::vector<u8> got(1);
  b.dma.read(0x20000, got);
  CHECK(got[0] == 10);
  b.dma.read(0x30000 + 512, got);
  CHECK(got[0] == 12);
  CHECK((b.in8(kBm + 2) & 0x07) == 0x04);  // interrupt, not active (EOT with the data)
  CHECK((b.in8(kCmd + 7) & (kDrq | kErr)) == 0);
  b.out8(kBm + 2, 0x04);  // RW1C
  CHECK((b.in8(kBm + 2) & 0x04) == 0);
  // A table longer than the data: interrupt and active both set.
  b.put_prd(0x10000, {{0x20000, 4096}});
  b.out8(kBm, 0x00);
  b.lba_command(0xC8, 10, 1);
  b.out8(kBm, 0x09);
  CHECK((b.in8(kBm + 2) & 0x07) == 0x05);
  // WRITE DMA.
  b.out8(kBm, 0x00);
  std::vector<u8> pattern(512, 0x5A);
  b.dma.write(0x40000, pattern);
  b.put_prd(0x10000, {{0x40000, 512}});
  b.lba_command(0xCA, 200, 1);
  b.out8(kBm, 0x01);
  CHECK(b.disk->data()[200 * 512 + 77] == 0x5A);
  CHECK(b.ide.describe().find("bus-master transfers: 3") != std::string::npos);
}

TEST_CASE("ide: DMA waits for the bus master enable and the start bit") {
  Board b;
  b.cfg_write(0x04, 2, 0x0001);  // bus master off
  b.put_prd(0x10000, {{0x20000, 512}});
  b.out32(kBm + 4, 0x10000);
  b.lba_command(0xC8, 3, 1);
  b.out8(kBm, 0x09);
  std::vector<u8> got(1, 0xEE);
  b.dma.read(0x20000, got);
  CHECK(got[0] == 0);
  CHECK((b.in8(kCmd + 7) & kDrq) != 0);
}

TEST_CASE("ide: CVE-2016-1568-style misuse: a PRD table that points outside RAM fails the command") {
  Board b;
  b.put_prd(0x10000, {{0xFEC00000u, 512}});  // MMIO, not RAM
  b.out32(kBm + 4, 0x10000);
  b.lba_command(0xC8, 0, 1);
  b.out8(kBm, 0x09);
  CHECK((b.in8(kBm + 2) & 0x02) != 0);  // error
  CHECK((b.in8(kCmd + 7) & kErr) != 0);
  // A PRD table address outside RAM entirely.
  b.out8(kBm, 0);
  b.out32(kBm + 4, 0xFFFFFFF8u);
  b.lba_command(0xC8, 0, 1);
  b.out8(kBm, 0x09);
  CHECK((b.in8(kCmd + 7) & kErr) != 0);
}

TEST_CASE("ide: a PRD table without EOT stops after one 64 KiB table, never loops") {
  Board b;
  for (u32 k = 0; k < 8192; ++k) {
    b.dma.write_u32(0x100000 + 8 * k, 0x200000);
    b.dma.write_u32(0x100000 + 8 * k + 4, 2);  // 2 bytes each, no EOT
  }
  b.out32(kBm + 4, 0x100000);
  b.out8(kCmd + 6, 0xE0);
  b.out8(kCmd + 2, 0), b.out8(kCmd + 2, 0);  // 65536 sectors (LBA48): far more than the table
  b.out8(kCmd + 3, 0), b.out8(kCmd + 3, 0);
  b.out8(kCmd + 4, 0), b.out8(kCmd + 4, 0);
  b.out8(kCmd + 5, 0), b.out8(kCmd + 5, 0);
  b.out8(kCmd + 7, 0x25);  // fails: 65536 sectors are more than the 8192 the disk has
  CHECK((b.in8(kCmd + 7) & kErr) != 0);
  b.lba_command(0xC8, 0, 64);  // 32 KiB against 8192 x 2 bytes = 16 KiB of table
  b.out8(kBm, 0x09);
  CHECK((b.in8(kBm + 2) & 0x02) != 0);
  CHECK((b.in8(kCmd + 7) & kErr) != 0);
}

TEST_CASE("ide: CVE-2015-6855: disk-only commands on the CD-ROM abort instead of running") {
  Board b;
  for (const u8 cmd : {0xF8, 0x27, 0x20, 0x30, 0xC8, 0xE7, 0xC6, 0x91}) {
    b.out8(kCmd2 + 6, 0xA0);
    b.out8(kCmd2 + 7, cmd);
    CHECK((b.in8(kCmd2 + 7) & kErr) != 0);
    CHECK(b.in8(kCmd2 + 1) == 0x04);
  }
  // And PACKET on the disk.
  b.out8(kCmd + 7, 0xA0);
  CHECK((b.in8(kCmd + 7) & kErr) != 0);
}

TEST_CASE("ide: CVE-2015-5154: data port accesses past the transfer are ignored, not overflows") {
  Board b;
  b.identify();
  for (int k = 0; k < 4096; ++k) CHECK(b.in16(kCmd) == 0xFFFF);  // nothing more to read
  for (int k = 0; k < 4096; ++k) b.out16(kCmd, 0x1234);          // nothing expected
  b.lba_command(0x30, 0, 1);
  for (int k = 0; k < 1000; ++k) b.out32(kCmd, 0xAAAAAAAAu);  // 4000 bytes into a 512-byte block
  CHECK(b.disk->data()[0] == 0xAA);
  CHECK(b.disk->data()[512] == static_cast<u8>(1));  // the next sector is untouched
  // An ATAPI packet followed by far more bytes than the 12 it takes.
  b.send_packet({0x12, 0, 0, 0, 36});
  for (int k = 0; k < 10000; ++k) b.out16(kCmd2, 0xFFFF);
  CHECK((b.in8(kCmd2 + 7) & kBsy) == 0);
}

TEST_CASE("ide: CVE-2020-29443: ATAPI byte counts and allocation lengths past the data are bounded") {
  Board b;
  // A byte count limit of 1 and of 0, and an allocation length far above the reply.
  b.send_packet({0x12, 0, 0, 0xFF, 0xFF}, 1);
  CHECK(b.atapi_data().size() == 36);
  b.send_packet({0x12, 0, 0, 0xFF, 0xFF}, 0);
  CHECK(b.atapi_data().size() == 36);
  // READ(10) past the end of the medium: ILLEGAL REQUEST / LBA OUT OF RANGE.
  b.send_packet({0x28, 0, 0, 0, 0x10, 0, 0, 0x10, 0});
  CHECK((b.in8(kCmd2 + 7) & kErr) != 0);
  b.send_packet({0x03, 0, 0, 0, 18});
  const auto sense = b.atapi_data();
  CHECK(sense[2] == 0x05);
  CHECK(sense[12] == 0x21);
}

TEST_CASE("ide: ATAPI INQUIRY, TEST UNIT READY, READ CAPACITY, READ(10) in chunks and by DMA") {
  Board b;
  b.send_packet({0x12, 0, 0, 0, 36});
  const auto inquiry = b.atapi_data();
  CHECK(inquiry[0] == 0x05);
  CHECK(inquiry[1] == 0x80);
  b.send_packet({0x00});
  CHECK((b.in8(kCmd2 + 7) & kErr) == 0);
  CHECK(b.in8(kCmd2 + 2) == 0x03);  // interrupt reason: command complete
  b.send_packet({0x25});
  const auto capacity = b.atapi_data();
  CHECK(capacity[3] == 0xFF);  // 4096 blocks: last LBA 0x0FFF
  CHECK(capacity[2] == 0x0F);
  CHECK(capacity[6] == 0x08);  // 2048-byte blocks
  // READ(10) of 3 blocks with a 2048-byte limit: three DRQ chunks.
  b.send_packet({0x28, 0, 0, 0, 0, 7, 0, 0, 3}, 2048);
  const auto data = b.atapi_data();
  REQUIRE(data.size() == 3 * 2048);
  CHECK(data[0] == 7);
  CHECK(data[4096] == 9);
  // By DMA.
  b.put_prd(0x10000, {{0x50000, 4096}});
  b.out32(kCmd2 == 0x170 ? kBm + 12 : kBm + 4, 0x10000);
  b.send_packet({0x28, 0, 0, 0, 0, 20, 0, 0, 2}, 0xFFFE, true);
  b.out8(kBm + 8, 0x09);
  std::vector<u8> got(1);
  b.dma.read(0x50000 + 2048, got);
  CHECK(got[0] == 21);
  CHECK((b.in8(kCmd2 + 7) & (kErr | kDrq)) == 0);
}

TEST_CASE("ide: ATAPI READ TOC formats 0, 1, 2, GET CONFIGURATION, MODE SENSE, events") {
  Board b;
  b.send_packet({0x43, 0, 0, 0, 0, 0, 0, 0, 100});
  auto toc = b.atapi_data();
  REQUIRE(toc.size() == 20);
  CHECK(toc[3] == 1);
  CHECK(toc[6] == 1);      // track 1
  CHECK(toc[14] == 0xAA);  // lead-out
  CHECK(toc[19] == 0x00);
  CHECK(toc[18] == 0x10);                              // 4096 blocks
  b.send_packet({0x43, 0x02, 0, 0, 0, 0, 0, 0, 100});  // MSF: track 1 at 00:02:00
  toc = b.atapi_data();
  CHECK(toc[10] == 2);
  b.send_packet({0x43, 0, 1, 0, 0, 0, 0, 0, 100});
  CHECK(b.atapi_data().size() == 12);
  b.send_packet({0x43, 0, 2, 0, 0, 0, 0, 0, 100});
  CHECK(b.atapi_data().size() == 48);
  b.send_packet({0x43, 0, 7, 0, 0, 0, 0, 0, 100});
  CHECK((b.in8(kCmd2 + 7) & kErr) != 0);
  b.send_packet({0x46, 0, 0, 0, 0, 0, 0, 1, 0});
  const auto config = b.atapi_data();
  CHECK(config[7] == 0x08);  // current profile CD-ROM
  b.send_packet({0x5A, 0, 0x2A, 0, 0, 0, 0, 1, 0});
  const auto caps = b.atapi_data();
  CHECK(caps[8] == 0x2A);
  b.send_packet({0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8});
  const auto events = b.atapi_data();
  CHECK(events[2] == 0x04);
  CHECK(events[5] == 0x02);                          // medium present
  b.send_packet({0x4A, 0, 0, 0, 0x10, 0, 0, 0, 8});  // asynchronous: not supported
  CHECK((b.in8(kCmd2 + 7) & kErr) != 0);
}

TEST_CASE("ide: media change: UNIT ATTENTION once, eject refused while locked, no medium") {
  Board b;
  b.send_packet({0x1E, 0, 0, 0, 1});  // PREVENT
  CHECK(!b.ide.eject("ide1-cd0", false).empty());
  b.send_packet({0x1B, 0, 0, 0, 0x02});  // the guest's own eject is refused too
  CHECK((b.in8(kCmd2 + 7) & kErr) != 0);
  b.send_packet({0x1E, 0, 0, 0, 0});  // ALLOW
  CHECK(b.ide.eject("ide1-cd0", false).empty());
  b.send_packet({0x00});
  CHECK((b.in8(kCmd2 + 7) & kErr) != 0);  // UNIT ATTENTION
  b.send_packet({0x00});
  CHECK((b.in8(kCmd2 + 7) & kErr) != 0);  // NOT READY, MEDIUM NOT PRESENT
  b.send_packet({0x03, 0, 0, 0, 18});
  auto sense = b.atapi_data();
  CHECK(sense[2] == 0x02);
  CHECK(sense[12] == 0x3A);
  CHECK(b.ide.change_medium("ide1-cd0", std::make_shared<MemoryBlockDevice>(2048 * 10, true)).empty());
  b.send_packet({0x00});
  b.send_packet({0x03, 0, 0, 0, 18});
  sense = b.atapi_data();
  CHECK(sense[2] == 0x06);
  CHECK(sense[12] == 0x28);
  b.send_packet({0x00});
  CHECK((b.in8(kCmd2 + 7) & kErr) == 0);
  CHECK(!b.ide.change_medium("ide0-hd0", nullptr).empty());
  CHECK(!b.ide.eject("nope", true).empty());
}

TEST_CASE("ide: nIEN masks the interrupt; reading Status acknowledges it") {
  Board b;
  b.out8(kCtl, 0x02);
  b.lba_command(0x20, 0, 1);
  CHECK(b.irqs.back().second == false);
  b.out8(kCtl, 0x00);
  CHECK(b.irqs.back().second == true);
  b.in8(kCmd + 7);
  CHECK(b.irqs.back().second == false);
}

TEST_CASE("ide: state round-trips through the serializer mid-transfer") {
  Board a;
  a.lba_command(0x20, 40, 2);
  a.read_block(256);
  StateWriter w;
  w.section("ide", 1, [&](StateVisitor& v) { a.ide.serialize(v); });
  const auto state = w.finish();
  Board b;
  StateReader r(state);
  r.section("ide", 1, [&](StateVisitor& v, u32) { b.ide.serialize(v); });
  REQUIRE(r.ok());
  const auto rest = b.read_block(768);
  CHECK(rest[256] == static_cast<u8>(41));
  CHECK((b.in8(kCmd + 7) & kDrq) == 0);
}
