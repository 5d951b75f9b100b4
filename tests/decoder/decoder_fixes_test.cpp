// Regression tests for the decoder bugs the Capstone differential found (see README.md).
#include <doctest/doctest.h>

#include <vector>

#include "translator/decoder.h"

using namespace emu;

namespace {
DecodedInsn decode_bytes(std::vector<u8> bytes, bool code32 = true) {
  DecodedInsn i;
  REQUIRE(decode(bytes.data(), bytes.size(), code32, i) == DecodeStatus::Ok);
  return i;
}
}  // namespace

TEST_CASE("decoder: MOV Sreg with ModRM.reg 6/7, and MOV CS, r/m, are #UD (SDM Vol. 2B, MOV)") {
  CHECK(decode_bytes({0x8E, 0xF0}).entry->op == Op::Invalid);         // mov <sreg6>, ax
  CHECK(decode_bytes({0x8C, 0x38}).entry->op == Op::Invalid);         // mov [eax], <sreg7>
  CHECK(decode_bytes({0x8E, 0xC8}).entry->op == Op::Invalid);         // mov cs, ax
  CHECK(decode_bytes({0x8E, 0x08}, false).entry->op == Op::Invalid);  // mov cs, [bx+si]
  CHECK(decode_bytes({0x8C, 0xC8}).entry->op == Op::MovFromSeg);      // mov eax, cs is fine
  CHECK(decode_bytes({0x8E, 0xE8}).entry->op == Op::MovToSeg);        // mov gs, ax
}

TEST_CASE("decoder: the P6 hint-NOP space 0F 18 /4-7, 0F 19-1F decodes as NOP r/m") {
  auto i = decode_bytes({0x0F, 0x1F, 0x44, 0x00, 0x00});  // nop dword [eax+eax*1+0]
  CHECK(i.entry->op == Op::Nop);
  CHECK(i.len == 5);
  i = decode_bytes({0x0F, 0x1F, 0xC8});  // 0F 1F /1, register form
  CHECK(i.entry->op == Op::Nop);
  CHECK(i.len == 3);
  i = decode_bytes({0x0F, 0x19, 0x05, 0x78, 0x56, 0x34, 0x12});  // disp32 form
  CHECK(i.entry->op == Op::Nop);
  CHECK(i.len == 7);
  i = decode_bytes({0x66, 0x0F, 0x1E, 0x46, 0x10}, false);  // 16-bit addressing, disp8
  CHECK(i.entry->op == Op::Nop);
  CHECK(i.len == 5);
  CHECK(decode_bytes({0x0F, 0x18, 0x20}).entry->op == Op::Nop);      // 0F 18 /4
  CHECK(decode_bytes({0x0F, 0x18, 0x00}).entry->op == Op::Invalid);  // PREFETCHNTA: SSE, not P6
}
