#include "core/dma.h"

#include <doctest/doctest.h>

#include <vector>

using namespace emu;

namespace {
struct CountingMmio : MmioHandler {
  int accesses = 0;
  u32 mmio_read(u32, unsigned) override { return ++accesses, 0; }
  void mmio_write(u32, unsigned, u32) override { ++accesses; }
};
struct RecordingListener : CodeWriteListener {
  u32 addr = 0, len = 0;
  void code_written(u32 a, u32 l) override { addr = a, len = l; }
};
}  // namespace

TEST_CASE("dma: RAM transfers work, MMIO, ROM and wrap-around are refused whole") {
  AddressSpace bus(1u << 20);
  CountingMmio mmio;
  bus.map_mmio(0xA0000, 0x20000, &mmio);
  bus.map_rom(0xF0000, std::vector<u8>(0x10000, 0xEA));
  Dma dma(bus);

  std::vector<u8> data(100, 0x5A);
  CHECK(dma.write(0x1000, data) == DmaResult::Ok);
  std::vector<u8> back(100);
  CHECK(dma.read(0x1000, back) == DmaResult::Ok);
  CHECK(back == data);

  // A transfer that would run into the VGA window fails before touching anything.
  std::vector<u8> big(0x2000, 1);
  CHECK(dma.write(0x9F000, big) == DmaResult::NotRam);
  CHECK(bus.ram()[0x9F000] == 0);
  CHECK(mmio.accesses == 0);
  CHECK(dma.read(0xA0000, back) == DmaResult::NotRam);
  CHECK(mmio.accesses == 0);

  // ROM can be read by a bus master but not written.
  CHECK(dma.read(0xF0000, back) == DmaResult::Ok);
  CHECK(back[0] == 0xEA);
  CHECK(dma.write(0xF0000, data) == DmaResult::NotRam);

  // Beyond RAM and wrapping around 4 GiB.
  CHECK(dma.write(0x100000 - 10, data) == DmaResult::NotRam);
  CHECK(dma.read(0xFFFFFFF0u, back) == DmaResult::OutOfRange);
  CHECK(dma.is_ram(0x1000, 0x1000));
  CHECK_FALSE(dma.is_ram(0xA0000, 1));
}

TEST_CASE("dma: writes to pages holding translated code are reported") {
  AddressSpace bus(1u << 20);
  RecordingListener listener;
  bus.set_code_write_listener(&listener);
  bus.set_code_page(0x3000, true);
  Dma dma(bus);
  std::vector<u8> data(16, 0x90);
  CHECK(dma.write(0x3010, data) == DmaResult::Ok);
  CHECK(listener.addr == 0x3010);
  CHECK(listener.len == 16);
}
