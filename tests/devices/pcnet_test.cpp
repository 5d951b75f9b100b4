// The PCnet-PCI II through its registers and descriptor rings in guest memory, as pcnet32 drives
// it (Am79C970A data sheet), with QEMU's pcnet CVEs as named regression tests.
#include "devices/pcnet/pcnet.h"

#include <doctest/doctest.h>

#include <vector>

#include "core/address_space.h"
#include "core/dma.h"
#include "core/serializer.h"

using namespace emu;

namespace {

struct RecordingBackend final : NetBackend {
  std::vector<std::vector<u8>> sent;
  void send(std::span<const u8> frame) override { sent.emplace_back(frame.begin(), frame.end()); }
  void poll() override {}
  std::string describe() const override { return "recording"; }
  NetReceiver* receiver() const { return receiver_; }
};

constexpr u32 kInit = 0x1000, kRx = 0x2000, kTx = 0x3000, kBuffers = 0x10000;

struct Card {
  AddressSpace space{1u << 20};
  Dma dma{space};
  RecordingBackend backend;
  Pcnet nic{dma, {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, &backend};

  u16 csr(unsigned n) {
    nic.register_write(0x12, 2, n);
    return static_cast<u16>(nic.register_read(0x10, 2));
  }
  void set_csr(unsigned n, u16 v) {
    nic.register_write(0x12, 2, n);
    nic.register_write(0x10, 2, v);
  }
  void set_bcr(unsigned n, u16 v) {
    nic.register_write(0x12, 2, n);
    nic.register_write(0x16, 2, v);
  }
  // SWSTYLE 2 set-up as pcnet32 does it: 32-bit init block with 2^rlog rings.
  void initialize(unsigned rx_log = 2, unsigned tx_log = 2, u16 mode = 0) {
    set_bcr(20, 2);
    std::vector<u8> block(28, 0);
    block[0] = static_cast<u8>(mode), block[1] = static_cast<u8>(mode >> 8);
    block[2] = static_cast<u8>(rx_log << 4);
    block[3] = static_cast<u8>(tx_log << 4);
    const u8 mac[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    std::copy(std::begin(mac), std::end(mac), block.begin() + 4);
    for (unsigned k = 0; k < 4; ++k)
      block[20 + k] = static_cast<u8>(kRx >> (8 * k)), block[24 + k] = static_cast<u8>(kTx >> (8 * k));
    dma.write(kInit, block);
    set_csr(1, kInit & 0xFFFF);
    set_csr(2, kInit >> 16);
    set_csr(0, 0x0001);  // INIT
  }
  void rx_descriptor(unsigned index, u32 buffer, u32 size, bool own = true) {
    const u32 at = kRx + 16 * index;
    dma.write_u32(at, buffer);
    dma.write_u32(at + 4, (own ? 0x80000000u : 0) | 0xF000 | ((0x1000 - size) & 0xFFF));
    dma.write_u32(at + 8, 0);
  }
  void tx_descriptor(unsigned index, u32 buffer, u32 size, bool start, bool end) {
    const u32 at = kTx + 16 * index;
    dma.write_u32(at, buffer);
    dma.write_u32(at + 4,
                  0x80000000u | (start ? 1u << 25 : 0) | (end ? 1u << 24 : 0) | 0xF000 | ((0x1000 - size) & 0xFFF));
    dma.write_u32(at + 8, 0);
  }
  u32 flags(u32 at) {
    u32 v = 0;
    dma.read_u32(at + 4, v);
    return v;
  }
};

std::vector<u8> frame_to(const std::array<u8, 6>& dst, size_t size, u8 fill) {
  std::vector<u8> f(size, fill);
  std::copy(dst.begin(), dst.end(), f.begin());
  return f;
}

}  // namespace

TEST_CASE("pcnet: PCI identity, address PROM with the WW signature, reset state, chip ID") {
  Card c;
  CHECK(c.nic.config_read(0, 4) == 0x20001022u);
  CHECK(c.nic.register_read(0, 1) == 0x52);
  CHECK(c.nic.register_read(5, 1) == 0x56);
  CHECK(c.nic.register_read(14, 2) == 0x5757);
  CHECK(c.csr(0) == 0x0004);  // STOP after reset
  const u32 chip = c.csr(88) | u32{c.csr(89)} << 16;
  CHECK(((chip >> 12) & 0xFFFF) == 0x2621);
  c.nic.register_write(0x12, 2, 0xFF);  // RAP keeps 7 bits
  CHECK(c.nic.register_read(0x12, 2) == 0x7F);
  c.nic.register_read(0x14, 2);  // RESET
  CHECK(c.csr(0) == 0x0004);
}

TEST_CASE("pcnet: a 32-bit write to RDP switches to DWIO; BCR20 selects the software style") {
  Card c;
  c.nic.register_write(0x10, 4, 0);
  CHECK((c.nic.bcr(18) & 0x80) != 0);
  c.nic.register_write(0x14, 4, 20);
  c.nic.register_write(0x1C, 4, 3);
  CHECK(c.nic.bcr(20) == 0x0103);
  c.nic.register_write(0x14, 4, 58);
  CHECK((c.nic.register_read(0x10, 4) & 0xFF) == 3);  // CSR58 mirrors BCR20
  c.nic.register_read(0x18, 4);                       // RESET leaves DWIO
  CHECK(c.nic.register_read(0x12, 2) == 0);
}

TEST_CASE("pcnet: INIT reads the 32-bit initialization block and interrupts with IDON") {
  Card c;
  c.initialize(3, 2, 0x0000);
  CHECK((c.csr(0) & 0x0100) != 0);  // IDON
  CHECK(c.csr(76) == static_cast<u16>(0x10000 - 8));
  CHECK(c.csr(78) == static_cast<u16>(0x10000 - 4));
  CHECK(c.csr(24) == kRx);
  CHECK(c.csr(12) == 0x5452);
  c.set_csr(0, 0x0040);  // INEA: the pending IDON raises INTA#
  CHECK(c.nic.intx_level());
  c.set_csr(0, 0x0140);  // clear IDON
  CHECK(!c.nic.intx_level());
}

TEST_CASE("pcnet: transmit a frame chained over two descriptors, TINT, ring wrap-around") {
  Card c;
  c.initialize();
  c.set_csr(0, 0x0002);  // STRT
  CHECK((c.csr(0) & 0x0030) == 0x0030);
  std::vector<u8> part(100, 0xAB);
  c.dma.write(kBuffers, part);
  c.dma.write(kBuffers + 0x1000, part);
  c.tx_descriptor(0, kBuffers, 60, true, false);
  c.tx_descriptor(1, kBuffers + 0x1000, 40, false, true);
  c.set_csr(0, 0x0008);  // TDMD
  REQUIRE(c.backend.sent.size() == 1);
  CHECK(c.backend.sent[0].size() == 100);
  CHECK((c.flags(kTx) & 0x80000000u) == 0);  // OWN given back
  CHECK((c.csr(0) & 0x0200) != 0);           // TINT
  // Four descriptors: after two more frames the ring wraps to descriptor 0.
  for (unsigned k = 2; k < 5; ++k) c.tx_descriptor(k % 4, kBuffers, 64, true, true);
  c.set_csr(0, 0x0008);
  CHECK(c.backend.sent.size() == 4);
}

TEST_CASE("pcnet: receive into chained descriptors with STP/ENP and MCNT including the FCS") {
  Card c;
  c.initialize();
  c.set_csr(0, 0x0042);
  c.rx_descriptor(0, kBuffers, 64);
  c.rx_descriptor(1, kBuffers + 0x1000, 1536);
  CHECK(c.nic.can_receive());
  const auto f = frame_to({0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, 200, 0x77);
  c.backend.receiver()->receive(f);
  CHECK((c.flags(kRx) & 0x82000000u) == 0x02000000u);       // not owned, STP
  CHECK((c.flags(kRx + 16) & 0x81000000u) == 0x01000000u);  // ENP
  u32 mcnt = 0;
  c.dma.read_u32(kRx + 16 + 8, mcnt);
  CHECK(mcnt == 204);
  std::vector<u8> got(1);
  c.dma.read(kBuffers + 0x1000, got);
  CHECK(got[0] == 0x77);
  CHECK((c.csr(0) & 0x0400) != 0);  // RINT
  CHECK(c.nic.intx_level());
}

TEST_CASE("pcnet: the address filter: own, broadcast, multicast hash, promiscuous") {
  Card c;
  c.initialize();
  c.set_csr(0, 0x0002);
  for (unsigned k = 0; k < 4; ++k) c.rx_descriptor(k, kBuffers + k * 0x800, 1536);
  c.backend.receiver()->receive(frame_to({0x52, 0x54, 0x00, 0x00, 0x00, 0x01}, 64, 1));  // someone else's
  CHECK(c.nic.counters().rx_frames == 0);
  c.backend.receiver()->receive(frame_to({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 64, 1));
  CHECK(c.nic.counters().rx_frames == 1);
  c.backend.receiver()->receive(frame_to({0x01, 0x00, 0x5E, 0x00, 0x00, 0x01}, 64, 1));  // LADRF all 0
  CHECK(c.nic.counters().rx_frames == 1);
  c.set_csr(0, 0x0004);  // STOP, then all-ones LADRF
  for (unsigned k = 8; k < 12; ++k) c.set_csr(k, 0xFFFF);
  c.set_csr(0, 0x0002);
  c.backend.receiver()->receive(frame_to({0x01, 0x00, 0x5E, 0x00, 0x00, 0x01}, 64, 1));
  CHECK(c.nic.counters().rx_frames == 2);
}

TEST_CASE("pcnet: internal loopback delivers the transmitted frame to the receive ring") {
  Card c;
  c.initialize(2, 2, 0x0044);  // LOOP | INTL
  c.set_csr(0, 0x0002);
  c.rx_descriptor(0, kBuffers + 0x4000, 1536);
  const auto f = frame_to({0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, 80, 0x33);
  c.dma.write(kBuffers, f);
  c.tx_descriptor(0, kBuffers, 80, true, true);
  c.set_csr(0, 0x0008);
  CHECK(c.backend.sent.empty());
  CHECK(c.nic.counters().rx_frames == 1);
}

TEST_CASE("pcnet: no owned receive descriptor: MISS and the missed-frame count") {
  Card c;
  c.initialize();
  c.set_csr(0, 0x0002);
  c.rx_descriptor(0, kBuffers, 1536, false);
  CHECK(!c.nic.can_receive());
  c.backend.receiver()->receive(frame_to({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 64, 0));
  CHECK((c.csr(0) & 0x1000) != 0);
  CHECK(c.csr(112) == 1);
}

TEST_CASE("pcnet: CVE-2015-7504/CVE-2015-3209: a transmit chain longer than a frame is babble, not an overflow") {
  Card c;
  c.initialize(2, 3);
  c.set_csr(0, 0x0002);
  for (unsigned k = 0; k < 8; ++k) c.tx_descriptor(k, kBuffers, 4000, k == 0, k == 7);  // 32 KB chained
  c.set_csr(0, 0x0008);
  CHECK(c.backend.sent.empty());
  CHECK((c.csr(0) & 0x4000) != 0);  // BABL
  CHECK(c.nic.counters().tx_errors > 0);
}

TEST_CASE("pcnet: CVE-2015-7512: a received frame larger than the buffers never writes past them") {
  Card c;
  c.initialize();
  c.set_csr(0, 0x0002);
  c.rx_descriptor(0, kBuffers, 16);
  c.rx_descriptor(1, kBuffers + 16, 16);
  c.rx_descriptor(2, 0xF0000000u, 16);  // outside RAM
  std::vector<u8> guard(64, 0xEE);
  c.dma.write(kBuffers + 32, guard);
  c.backend.receiver()->receive(frame_to({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 1514, 0x11));
  std::vector<u8> after(64);
  c.dma.read(kBuffers + 32, after);
  CHECK(after == guard);
  c.backend.receiver()->receive(std::vector<u8>(9000, 0x22));  // a jumbo frame is dropped
  CHECK(c.nic.counters().rx_frames == 0);
}

TEST_CASE("pcnet: CVE-2016-7909: a ring length of 0 in CSR76/78 cannot make an endless walk") {
  Card c;
  c.initialize();
  c.set_csr(0, 0x0004);
  c.set_csr(76, 0);
  c.set_csr(78, 0);
  c.set_csr(0, 0x0002);
  for (unsigned k = 0; k < 512; ++k) c.tx_descriptor(k, kBuffers, 64, false, false);  // owned, never ENP
  c.set_csr(0, 0x0008);
  CHECK(c.backend.sent.empty());
  c.backend.receiver()->receive(frame_to({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 64, 0));
}

TEST_CASE("pcnet: descriptors or init block outside RAM set MERR") {
  Card c;
  c.set_csr(1, 0xFFF0);
  c.set_csr(2, 0xFFFF);
  c.set_csr(0, 0x0001);
  CHECK((c.csr(0) & 0x0800) != 0);
}

TEST_CASE("pcnet: state round-trips through the serializer") {
  Card a;
  a.initialize(3, 3);
  a.set_csr(0, 0x0042);
  StateWriter w;
  w.section("pcnet", 1, [&](StateVisitor& v) { a.nic.serialize(v); });
  const auto state = w.finish();
  Card b;
  StateReader r(state);
  r.section("pcnet", 1, [&](StateVisitor& v, u32) { b.nic.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.csr(0) == a.csr(0));
  CHECK(b.csr(76) == a.csr(76));
}
