// image_writer: random writes into a disk image through emu's block layer, for the storage
// tests (what qemu-io does for QEMU's): `image_writer FILE FORMAT SEED COUNT [MAX_BYTES]` writes
// COUNT random-length runs of a byte pattern derived from SEED at random offsets, then flushes.
// The same arguments on a raw copy write the same data there, so the test compares the two with
// qemu-img compare. Exit status 0, or 1 with a message. A crash test kills it with SIGKILL.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "images/image.h"

int main(int argc, char** argv) {
  using namespace emu;
  if (argc < 5) {
    std::fprintf(stderr, "usage: image_writer FILE FORMAT SEED COUNT [MAX_BYTES]\n");
    return 1;
  }
  ImageOptions o;
  o.path = argv[1];
  o.format = argv[2];
  const unsigned seed = static_cast<unsigned>(std::strtoul(argv[3], nullptr, 0));
  const unsigned long count = std::strtoul(argv[4], nullptr, 0);
  const u64 max_bytes = argc > 5 ? std::strtoull(argv[5], nullptr, 0) : 256 * 1024;
  auto opened = open_image(o);
  if (auto* e = std::get_if<std::string>(&opened)) {
    std::fprintf(stderr, "image_writer: %s\n", e->c_str());
    return 1;
  }
  BlockDevice& dev = *std::get<OpenedImage>(opened).device;
  std::mt19937_64 rng(seed);
  std::vector<u8> buffer;
  for (unsigned long k = 0; k < count; ++k) {
    const u64 length = 1 + rng() % max_bytes;
    const u64 offset = rng() % (dev.size() - std::min(length, dev.size()) + 1);
    const u8 fill = static_cast<u8>(rng());
    buffer.assign(std::min(length, dev.size()), 0);
    for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<u8>(fill + i / 512);
    if (dev.write(offset, buffer) != BlockStatus::Ok) {
      std::fprintf(stderr, "image_writer: write %lu at %llu failed: %s\n", k, static_cast<unsigned long long>(offset),
                   dev.last_error().c_str());
      return 1;
    }
  }
  if (dev.flush() != BlockStatus::Ok) {
    std::fprintf(stderr, "image_writer: flush failed\n");
    return 1;
  }
  return 0;
}
