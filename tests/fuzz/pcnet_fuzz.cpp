// pcnet_fuzz: the PCnet-PCI II card programmed by a hostile guest (issue 5, DESIGN §12). The input
// is a sequence of operations against one card in 1 MiB of guest RAM: raw register accesses at
// any offset and width, CSR and BCR writes through RAP, bytes poked into guest memory, descriptor
// rings and initialization blocks that are plausible enough to get past INIT (random ring sizes
// and bases, OWN bits, chained STP/ENP, byte counts of any size, buffers outside RAM), transmit
// demands, frames arriving from the network, a loopback cable that feeds transmitted frames back,
// link changes, resets and a serializer round trip. The card must never touch memory outside the
// DMA API's checks, loop without bound, or trip ASan/UBSan.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <vector>

#include "core/address_space.h"
#include "core/dma.h"
#include "core/serializer.h"
#include "devices/pcnet/pcnet.h"

namespace {

using emu::u16;
using emu::u32;
using emu::u8;

// The input, consumed front to back; zeros once it runs out.
struct Input {
  const u8* data;
  size_t size;
  size_t at = 0;
  bool done() const { return at >= size; }
  u8 byte() { return at < size ? data[at++] : 0; }
  // Two statements: the operands of | are unsequenced, and the low byte comes first.
  u16 u16le() {
    const u16 low = byte();
    return static_cast<u16>(low | byte() << 8);
  }
  u32 u32le() {
    const u32 low = u16le();
    return low | static_cast<u32>(u16le()) << 16;
  }
};

// The wire: frames the card sends come back to it on the next poll (a cable to a peer that
// echoes), bounded like the real backends' queues.
struct EchoWire final : emu::NetBackend {
  std::deque<std::vector<u8>> pending;
  void send(std::span<const u8> frame) override {
    if (pending.size() < 16) pending.emplace_back(frame.begin(), frame.end());
  }
  void poll() override {
    while (!pending.empty() && receiver_ && receiver_->can_receive()) {
      if (pending.front().size() < 60) pending.front().resize(60, 0);
      receiver_->receive(pending.front());
      pending.pop_front();
    }
  }
  std::string describe() const override { return "echo"; }
};

constexpr u32 kRam = 1u << 20;
constexpr std::array<u8, 6> kMac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

// An address mostly inside RAM, sometimes at its edge or far beyond it.
u32 guest_address(Input& in) {
  const u32 raw = in.u32le();
  switch (raw & 3) {
    case 0: return raw;                        // anywhere in 4 GiB
    case 1: return kRam - (raw >> 2 & 0xFFF);  // straddling the end of RAM
    default: return (raw >> 2) & (kRam - 1) & ~3u;
  }
}

struct Machine {
  emu::AddressSpace space{kRam};
  emu::Dma dma{space};
  EchoWire wire;
  emu::Pcnet card{dma, kMac, &wire};

  void set_csr(unsigned n, u16 v) {
    card.register_write(0x12, 2, n);
    card.register_write(0x10, 2, v);
  }
  void set_bcr(unsigned n, u16 v) {
    card.register_write(0x12, 2, n);
    card.register_write(0x16, 2, v);
  }

  // A ring of `count` descriptors at `base` in the 16- or 32-bit layout, each owned by the card
  // (mostly), with buffers of random size and place; STP/ENP set at random to make chains.
  void write_ring(Input& in, u32 base, unsigned count, bool style32) {
    for (unsigned k = 0; k < count && !in.done(); ++k) {
      const u32 buffer = guest_address(in);
      const u16 bcnt = static_cast<u16>(-static_cast<int>(in.u16le() % 1600 + 1)) & 0x0FFF;
      u32 flags = static_cast<u32>(in.byte()) << 24;
      if (in.byte() & 7) flags |= 1u << 31;  // OWN
      if (style32) {
        const u32 d[4] = {buffer, flags | 0xF000u | bcnt, in.u32le(), 0};
        for (unsigned w = 0; w < 4; ++w) dma.write_u32(base + k * 16 + w * 4, d[w]);
      } else {
        dma.write_u16(base + k * 8, static_cast<u16>(buffer));
        dma.write_u16(base + k * 8 + 2, static_cast<u16>((flags >> 16 & 0xFF00) | (buffer >> 16 & 0xFF)));
        dma.write_u16(base + k * 8 + 4, static_cast<u16>(0xF000 | bcnt));
        dma.write_u16(base + k * 8 + 6, 0);
      }
    }
  }

  // An initialization block (SWSTYLE 0 or 2/3) with rings, then INIT and STRT as a driver does.
  void initialize(Input& in) {
    const u8 style = in.byte() % 4;  // 1 is the reserved ILACC style: the card must cope
    set_bcr(20, style);
    const bool style32 = style != 0;
    const u32 block = guest_address(in) & 0xFFFFFF;
    const u16 mode = in.u16le();
    const unsigned rx_log = in.byte() % 10, tx_log = in.byte() % 10;
    const u32 rx_ring = guest_address(in) & ~15u, tx_ring = guest_address(in) & ~15u;
    if (style32) {
      std::vector<u8> b(28, 0);
      b[0] = static_cast<u8>(mode), b[1] = static_cast<u8>(mode >> 8);
      b[2] = static_cast<u8>(rx_log << 4), b[3] = static_cast<u8>(tx_log << 4);
      std::copy(kMac.begin(), kMac.end(), b.begin() + 4);
      for (unsigned k = 0; k < 8; ++k) b[12 + k] = in.byte();  // the multicast filter
      for (unsigned k = 0; k < 4; ++k)
        b[20 + k] = static_cast<u8>(rx_ring >> (8 * k)), b[24 + k] = static_cast<u8>(tx_ring >> (8 * k));
      dma.write(block, b);
    } else {
      std::vector<u8> b(24, 0);
      b[0] = static_cast<u8>(mode), b[1] = static_cast<u8>(mode >> 8);
      std::copy(kMac.begin(), kMac.end(), b.begin() + 2);
      for (unsigned k = 0; k < 8; ++k) b[8 + k] = in.byte();
      b[16] = static_cast<u8>(rx_ring), b[17] = static_cast<u8>(rx_ring >> 8), b[18] = static_cast<u8>(rx_ring >> 16);
      b[19] = static_cast<u8>(std::min(rx_log, 7u) << 5);
      b[20] = static_cast<u8>(tx_ring), b[21] = static_cast<u8>(tx_ring >> 8), b[22] = static_cast<u8>(tx_ring >> 16);
      b[23] = static_cast<u8>(std::min(tx_log, 7u) << 5);
      dma.write(block, b);
    }
    write_ring(in, rx_ring, std::min(1u << rx_log, 32u), style32);
    write_ring(in, tx_ring, std::min(1u << tx_log, 32u), style32);
    set_csr(1, static_cast<u16>(block));
    set_csr(2, static_cast<u16>(block >> 16));
    set_csr(0, static_cast<u16>(0x0001 | (in.byte() & 0x40)));  // INIT (and IENA)
    set_csr(0, static_cast<u16>(0x0002 | (in.byte() & 0x48)));  // STRT (TDMD, IENA)
  }

  // A frame from the network: for this card, a broadcast, a multicast or anyone; given to the
  // card when it says it can take one, or (`force`) regardless.
  void arrive(Input& in) {
    const size_t length = in.u16le() % 1700;
    const u8 kind = in.byte() & 3;
    const bool force = in.byte() & 1;
    std::array<u8, 6> anyone;
    for (u8& b : anyone) b = in.byte();
    std::vector<u8> frame(std::max<size_t>(length, 60), 0);
    for (size_t k = 0; k < 6; ++k)
      frame[k] = kind == 0 ? kMac[k] : kind == 1 ? 0xFF : kind == 2 ? static_cast<u8>(anyone[k] | (k == 0)) : anyone[k];
    for (size_t k = 6; k < frame.size() && k < 64; ++k) frame[k] = in.byte();
    if (card.can_receive() || force) card.receive(frame);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  Machine m;
  static constexpr unsigned kWidths[] = {1, 2, 4};
  for (unsigned step = 0; step < 4096 && !in.done(); ++step) {
    switch (in.byte() % 14) {
      case 0: {  // any register, any width (WIO/DWIO switching, the reset port, the PROM)
        const u32 offset = in.byte() & 0x1F;
        const unsigned width = kWidths[in.byte() % 3];
        m.card.register_write(offset, width, in.u32le());
        break;
      }
      case 1: {
        const u32 offset = in.byte() & 0x1F;
        (void)m.card.register_read(offset, kWidths[in.byte() % 3]);
        break;
      }
      case 2: {
        const unsigned n = in.byte();
        m.set_csr(n, in.u16le());
        break;
      }
      case 3: {
        const unsigned n = in.byte();
        m.set_bcr(n, in.u16le());
        break;
      }
      case 4: {  // bytes into guest memory: rings and buffers as they are being changed
        const u32 at = guest_address(in);
        std::vector<u8> bytes(in.byte());
        for (u8& b : bytes) b = in.byte();
        m.dma.write(at, bytes);
        break;
      }
      case 5: m.initialize(in); break;
      case 6: {  // the rings again, at the addresses the card is using
        const bool style32 = m.card.bcr(20) & 0xFF;
        const u32 rx = m.card.csr(24) | static_cast<u32>(m.card.csr(25)) << 16;
        const u32 tx = m.card.csr(30) | static_cast<u32>(m.card.csr(31)) << 16;
        const u32 base = (in.byte() & 1) ? rx : tx;
        const unsigned count = in.byte() % 16 + 1;
        m.write_ring(in, base, count, style32);
        break;
      }
      case 7: m.set_csr(0, static_cast<u16>(0x0008 | (in.byte() & 0x40))); break;  // TDMD
      case 8: m.arrive(in); break;
      case 9: m.wire.poll(); break;
      case 10: m.card.set_link(in.byte() & 1); break;
      case 11: m.card.reset(); break;
      case 12: {  // the state round trip a snapshot would make, into a second card
        emu::StateWriter w;
        w.section("pcnet", 1, [&](emu::StateVisitor& v) { m.card.serialize(v); });
        const auto state = w.finish();
        Machine copy;
        emu::StateReader r(state);
        r.section("pcnet", 1, [&](emu::StateVisitor& v, u32) { copy.card.serialize(v); });
        (void)copy.card.describe();
        break;
      }
      case 13: {  // register reads the way a driver's interrupt handler does
        m.card.register_write(0x12, 2, 0);
        (void)m.card.register_read(0x10, 2);
        m.card.register_write(0x12, 2, 4);
        (void)m.card.register_read(0x10, 2);
        break;
      }
    }
  }
  const std::string state = m.card.describe();
  if (std::getenv("PCNET_FUZZ_VERBOSE")) {  // what an input did, when writing seeds
    const auto& c = m.card.counters();
    std::printf("%s\n  tx %llu frames, rx %llu, rx dropped %llu, tx errors %llu\n", state.c_str(),
                static_cast<unsigned long long>(c.tx_frames), static_cast<unsigned long long>(c.rx_frames),
                static_cast<unsigned long long>(c.rx_dropped), static_cast<unsigned long long>(c.tx_errors));
  }
  return 0;
}
