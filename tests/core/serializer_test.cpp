#include "core/serializer.h"

#include <doctest/doctest.h>

#include "support/test_machine.h"

using namespace emu;
using emu::test::TestMachine;

namespace {
std::vector<u8> save_cpu(Cpu& cpu) {
  StateWriter w;
  w.section("cpu", 1, [&](StateVisitor& v) { cpu.serialize(v); });
  return w.finish();
}
}  // namespace

TEST_CASE("serializer: CPU state round-trips and the CPU resumes identically") {
  TestMachine a;
  a.protected_flat32();
  // Run half of a computation, save, restore into a fresh machine, finish both, compare.
  a.write_bytes(TestMachine::kCodeBase, test::assemble("mov eax, 7\n mov ecx, 100\n"
                                                       "l: add eax, ecx\n dec ecx\n jnz l\n hlt",
                                                       32, TestMachine::kCodeBase));
  a.run(57);
  a.cpu.s.fpu.regs[3] = 1.0L / 3.0L;
  a.cpu.s.fpu.control = 0x027F;
  const std::vector<u8> state = save_cpu(a.cpu);

  TestMachine b;
  std::memcpy(b.bus.ram(), a.bus.ram(), TestMachine::kRamBytes);
  StateReader r(state);
  REQUIRE(r.ok());
  r.section("cpu", 1, [&](StateVisitor& v, u32) { b.cpu.serialize(v); });
  REQUIRE_MESSAGE(r.ok(), r.error());
  CHECK(b.cpu.s.fpu.regs[3] == 1.0L / 3.0L);
  CHECK(b.cpu.s.fpu.control == 0x027F);
  CHECK(b.cpu.s.eip == a.cpu.s.eip);
  CHECK(b.cpu.counters.instructions == a.cpu.counters.instructions);

  a.run();
  b.run();
  CHECK(a.cpu.s.gpr == b.cpu.s.gpr);
  CHECK(a.cpu.s.flags.value() == b.cpu.s.flags.value());
  CHECK(b.cpu.s.gpr[EAX] == 7 + 5050);
  CHECK(a.cpu.counters.instructions == b.cpu.counters.instructions);
}

TEST_CASE("serializer: loaded state is validated") {
  TestMachine a;
  a.protected_flat32();
  a.cpu.s.cpl = 7;  // impossible
  const std::vector<u8> state = save_cpu(a.cpu);
  TestMachine b;
  StateReader r(state);
  r.section("cpu", 1, [&](StateVisitor& v, u32) { b.cpu.serialize(v); });
  CHECK_FALSE(r.ok());
  CHECK(r.error().find("cpl") != std::string::npos);
}

TEST_CASE("serializer: malformed and hostile containers are refused with a reason") {
  TestMachine a;
  const std::vector<u8> good = save_cpu(a.cpu);

  // Every truncation of a valid file is refused, never read out of bounds.
  for (std::size_t n = 0; n < good.size(); n += 7) {
    StateReader r(std::span<const u8>(good.data(), n));
    if (r.ok()) {
      // A prefix that happens to end on a section boundary is a valid, smaller file; loading a
      // section from it must still be checked.
      TestMachine b;
      r.section("cpu", 1, [&](StateVisitor& v, u32) { b.cpu.serialize(v); });
    }
  }
  std::vector<u8> bad = good;
  bad[0] = 'X';
  CHECK_FALSE(StateReader(bad).ok());

  // A section newer than we understand.
  StateWriter w;
  w.section("cpu", 9, [&](StateVisitor& v) { a.cpu.serialize(v); });
  const auto newer = w.finish();
  StateReader r(newer);
  TestMachine b;
  r.section("cpu", 1, [&](StateVisitor& v, u32) { b.cpu.serialize(v); });
  CHECK_FALSE(r.ok());
  CHECK(r.error().find("newer") != std::string::npos);

  // A field whose size changed.
  StateWriter w2;
  w2.section("cpu", 1, [&](StateVisitor& v) {
    u64 eip = 5;
    v.field("eip", eip);
  });
  const auto resized = w2.finish();
  StateReader r2(resized);
  r2.section("cpu", 1, [&](StateVisitor& v, u32) { b.cpu.serialize(v); });
  CHECK_FALSE(r2.ok());
}

TEST_CASE("serializer: a missing field keeps its default (forward compatibility)") {
  StateWriter w;
  w.section("dev", 1, [](StateVisitor& v) {
    u32 a = 11;
    v.field("a", a);
  });
  const auto data = w.finish();
  StateReader r(data);
  u32 a = 0, b = 99;
  r.section("dev", 2, [&](StateVisitor& v, u32 version) {
    CHECK(version == 1);
    v.field("a", a);
    v.field("b", b);
  });
  CHECK(r.ok());
  CHECK(a == 11);
  CHECK(b == 99);
}
