#include "translator/decoder.h"

#include <doctest/doctest.h>

#include <vector>

using namespace emu;

namespace {
DecodedInsn decode_bytes(std::vector<u8> bytes, bool code32 = true) {
  DecodedInsn i;
  REQUIRE(decode(bytes.data(), bytes.size(), code32, i) == DecodeStatus::Ok);
  return i;
}
}  // namespace

TEST_CASE("decoder: lengths and fields of common forms") {
  auto i = decode_bytes({0x01, 0xD8});  // add eax, ebx
  CHECK(i.len == 2);
  CHECK(i.entry->op == Op::Add);
  CHECK(i.mod == 3);
  CHECK(i.rm == EAX);
  CHECK(i.reg == EBX);

  i = decode_bytes({0x8B, 0x44, 0x24, 0x08});  // mov eax, [esp+8]
  CHECK(i.len == 4);
  CHECK(i.base == ESP);
  CHECK(i.index == kNoReg);
  CHECK(i.disp == 8);
  CHECK(i.seg == Seg::SS);

  i = decode_bytes({0x66, 0xB8, 0x34, 0x12});  // mov ax, 0x1234
  CHECK(i.len == 4);
  CHECK_FALSE(i.op32);
  CHECK(i.imm == 0x1234);

  i = decode_bytes({0x8B, 0x46, 0xFE}, false);  // mov ax, [bp-2] (16-bit)
  CHECK(i.len == 3);
  CHECK(i.base == EBP);
  CHECK(i.seg == Seg::SS);
  CHECK(i.disp == 0xFFFFFFFEu);

  i = decode_bytes({0xEA, 0x00, 0x7C, 0x00, 0x00}, false);  // jmp 0000:7C00
  CHECK(i.len == 5);
  CHECK(i.imm == 0x7C00);
  CHECK(i.imm2 == 0);
}

TEST_CASE("decoder: illegal forms decode as #UD rows") {
  auto i = decode_bytes({0xF0, 0x01, 0xD8});  // lock add eax, ebx (register destination)
  CHECK(i.entry->op == Op::Invalid);
  i = decode_bytes({0x8D, 0xC0});  // lea eax, eax
  CHECK(i.entry->op == Op::Invalid);
  i = decode_bytes({0x0F, 0xFF});
  CHECK(i.entry->op == Op::Invalid);
}

TEST_CASE("decoder: truncated and over-long input") {
  DecodedInsn i;
  const u8 partial[] = {0x81, 0xC0, 0x01};
  CHECK(decode(partial, sizeof partial, true, i) == DecodeStatus::Truncated);
  std::vector<u8> longer(15, 0x66);
  longer.push_back(0x90);
  CHECK(decode(longer.data(), longer.size(), true, i) == DecodeStatus::TooLong);
}
