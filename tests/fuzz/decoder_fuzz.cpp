// Fuzz target for the decoder alone (DESIGN §12): any bytes decode without a crash, and the
// result obeys the decoder's contract (translator/decoder.h):
//   - an Ok decoding is at most 15 bytes long and never longer than the bytes it was given;
//   - decoding is prefix-stable: the same bytes with more bytes after them decode identically,
//     and exactly `len` bytes are enough to decode the same instruction again;
//   - Truncated means more bytes were needed: with all 15 bytes available it never happens.
// Input: byte 0 bit 0 picks 32-bit (1) or 16-bit (0) code; the rest are the instruction bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "translator/decoder.h"

using namespace emu;

namespace {

[[noreturn]] void invariant_broken() { __builtin_trap(); }

bool same_decoding(const DecodedInsn& a, const DecodedInsn& b) {
  return a.entry == b.entry && a.len == b.len && a.opcode == b.opcode && a.modrm == b.modrm && a.base == b.base &&
         a.index == b.index && a.scale == b.scale && a.disp == b.disp && a.imm == b.imm && a.imm2 == b.imm2 &&
         a.seg == b.seg && a.op32 == b.op32 && a.addr32 == b.addr32 && a.lock == b.lock && a.rep == b.rep &&
         a.prefix_count == b.prefix_count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool code32 = data[0] & 1;
  // Decode from a buffer of exactly the input's length, so ASan sees any read past the end.
  const std::size_t n = std::min<std::size_t>(size - 1, 32);
  u8 bytes[32];
  std::memcpy(bytes, data + 1, n);

  DecodedInsn full;
  const DecodeStatus st = decode(bytes, n, code32, full);
  if (st == DecodeStatus::Ok) {
    if (full.len == 0 || full.len > 15 || full.len > n || !full.entry) invariant_broken();
    if (full.prefix_count >= full.len) invariant_broken();
    DecodedInsn exact;
    if (decode(bytes, full.len, code32, exact) != DecodeStatus::Ok || !same_decoding(full, exact)) invariant_broken();
    if (full.len > 1) {
      DecodedInsn shorter;
      if (decode(bytes, full.len - 1u, code32, shorter) != DecodeStatus::Truncated) invariant_broken();
    }
  } else if (st == DecodeStatus::Truncated) {
    if (n >= 15) invariant_broken();  // 15 bytes always decide: an instruction or TooLong
  }
  // Every prefix of the input that decodes must decode the same instruction.
  for (std::size_t k = 1; k < n; ++k) {
    DecodedInsn part;
    const DecodeStatus ps = decode(bytes, k, code32, part);
    if (ps == DecodeStatus::Ok && (st != DecodeStatus::Ok || !same_decoding(part, full))) invariant_broken();
    if (ps == DecodeStatus::TooLong && st != DecodeStatus::TooLong) invariant_broken();
  }
  return 0;
}
