// A small machine for unit tests: RAM, a CPU and the interpreter, plus helpers to assemble code
// with nasm, put the CPU in a known mode and run until HLT. Tests read like the SDM's examples:
//
//   TestMachine m;
//   m.protected_flat32();
//   m.run_asm("mov eax, 5\n add eax, 3\n hlt");
//   CHECK(m.cpu.s.gpr[EAX] == 8);
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cpu.h"
#include "translator/interpreter.h"
#include "translator/jit/jit_compiler.h"

namespace emu::test {

// Assembles `source` with nasm as flat binary code for `bits` (16 or 32) at origin `org`.
// Throws std::runtime_error with nasm's messages when the source does not assemble.
inline std::vector<u8> assemble(const std::string& source, int bits = 32, u32 org = 0) {
  char dir[] = "/tmp/emu-asm-XXXXXX";
  if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
  const std::string src = std::string(dir) + "/t.asm", bin = std::string(dir) + "/t.bin",
                    err = std::string(dir) + "/t.err";
  {
    std::ofstream out(src);
    out << "bits " << bits << "\norg " << org << "\n" << source << "\n";
  }
  const std::string cmd = "nasm -f bin -o " + bin + " " + src + " 2> " + err;
  const int rc = std::system(cmd.c_str());
  std::ifstream in(bin, std::ios::binary);
  std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), {});
  std::ifstream errs(err);
  std::string messages((std::istreambuf_iterator<char>(errs)), {});
  std::remove(src.c_str());
  std::remove(bin.c_str());
  std::remove(err.c_str());
  rmdir(dir);
  if (rc != 0) throw std::runtime_error("nasm failed: " + messages + "\n--- source ---\n" + source);
  return bytes;
}

// GDT built by protected_flat32(), at kGdtBase. Selectors:
//   0x08 ring-0 code, 32-bit, base 0, 4 GiB      0x10 ring-0 data, 32-bit, base 0, 4 GiB
//   0x18 ring-3 code, 32-bit, base 0, 4 GiB      0x20 ring-3 data, 32-bit, base 0, 4 GiB
//   0x28 ring-0 code, 16-bit, base 0, 64 KiB     0x30 ring-0 data, 16-bit, base 0, 64 KiB
// Slots 0x38-0xF8 are free for tests (set_gdt_entry).
struct TestMachine {
  static constexpr u32 kRamBytes = 16u << 20;
  static constexpr u32 kGdtBase = 0x1000;    // 32 entries
  static constexpr u32 kIdtBase = 0x2000;    // 256 gates (empty unless a test fills them)
  static constexpr u32 kCodeBase = 0x10000;  // where run_asm() puts code
  static constexpr u32 kStackTop = 0x80000;

  AddressSpace bus{kRamBytes};
  Cpu cpu{bus};
  Interpreter interp{cpu};

  // With EMU_TEST_JIT=force in the environment every test machine compiles each block with the
  // JIT before it first runs (`meson test --suite jit`): the whole CPU suite then checks tier 1.
  TestMachine() {
    if (jit::JitCompiler* compiler = forced_jit()) interp.set_compiler(compiler);
  }
  static jit::JitCompiler* forced_jit() {
    static const std::unique_ptr<jit::JitCompiler> compiler = [] {
      const char* mode = std::getenv("EMU_TEST_JIT");
      if (!mode || std::string(mode) != "force") return std::unique_ptr<jit::JitCompiler>();
      jit::JitOptions o;
      o.force = true;
      std::string error;
      auto c = jit::JitCompiler::create(o, error);
      if (!c) throw std::runtime_error(error);
      return c;
    }();
    return compiler.get();
  }

  // Writes guest RAM as a device would: translations of the bytes it changes are dropped.
  void write_bytes(u32 phys, const std::vector<u8>& bytes) {
    std::memcpy(bus.ram() + phys, bytes.data(), bytes.size());
    for (u32 done = 0; done < bytes.size();) {
      const u32 chunk = std::min<u32>(static_cast<u32>(bytes.size()) - done, 0x1000 - ((phys + done) & 0xFFF));
      bus.notify_code_write(phys + done, chunk);
      done += chunk;
    }
  }
  void write32(u32 phys, u32 v) { std::memcpy(bus.ram() + phys, &v, 4); }
  void write16(u32 phys, u16 v) { std::memcpy(bus.ram() + phys, &v, 2); }
  u32 read32(u32 phys) const {
    u32 v;
    std::memcpy(&v, const_cast<AddressSpace&>(bus).ram() + phys, 4);
    return v;
  }
  u16 read16(u32 phys) const {
    u16 v;
    std::memcpy(&v, const_cast<AddressSpace&>(bus).ram() + phys, 2);
    return v;
  }
  u8 read8(u32 phys) const { return const_cast<AddressSpace&>(bus).ram()[phys]; }

  // An 8-byte segment descriptor (SDM Vol. 3A, Figure 3-8). `attrs` is bytes 5-6 of the
  // descriptor with the limit nibble left out: the access byte in bits 0-7 and G, D/B, L, AVL in
  // bits 15-12, so 0xC09B is "4 KiB granular, 32-bit, present, DPL 0, code, readable, accessed".
  static u64 descriptor(u32 base, u32 limit, u16 attrs) {
    u64 d = limit & 0xFFFF;
    d |= u64{base & 0xFFFFFF} << 16;
    d |= u64{static_cast<u8>(attrs)} << 40;
    d |= u64{(limit >> 16) & 0xF} << 48;
    d |= u64{static_cast<u8>((attrs >> 12) & 0xF)} << 52;
    d |= u64{base >> 24} << 56;
    return d;
  }
  void set_gdt_entry(u16 selector, u64 d) {
    write32(kGdtBase + (selector & ~7u), static_cast<u32>(d));
    write32(kGdtBase + (selector & ~7u) + 4, static_cast<u32>(d >> 32));
  }
  // An IDT gate: type 0xE = 32-bit interrupt gate, 0xF = trap gate, 0x5 = task gate.
  void set_idt_gate(u8 vector, u16 selector, u32 offset, u8 type, u8 dpl = 0) {
    const u32 lo = (u32{selector} << 16) | (offset & 0xFFFF);
    const u32 hi = (offset & 0xFFFF0000u) | 0x8000 | (u32{dpl} << 13) | (u32{type} << 8);
    write32(kIdtBase + vector * 8, lo);
    write32(kIdtBase + vector * 8 + 4, hi);
  }

  // Real mode at cs:ip with a stack at 0000:F000.
  void real_mode(u16 cs = 0, u16 ip = 0x7C00) {
    cpu.reset();
    cpu.load_segment_real(Seg::CS, cs);
    for (Seg s : {Seg::DS, Seg::ES, Seg::SS, Seg::FS, Seg::GS}) cpu.load_segment_real(s, 0);
    cpu.s.gpr[ESP] = 0xF000;
    cpu.s.eip = ip;
    interp.flush();
  }

  // Flat 32-bit protected mode at CPL 0 with the GDT above, an IDT at kIdtBase (limit 0x7FF,
  // all gates not present), paging off, interrupts off, ESP = kStackTop.
  void protected_flat32(u32 eip = kCodeBase) {
    cpu.reset();
    set_gdt_entry(0x00, 0);
    set_gdt_entry(0x08, descriptor(0, 0xFFFFF, 0xC09B));
    set_gdt_entry(0x10, descriptor(0, 0xFFFFF, 0xC093));
    set_gdt_entry(0x18, descriptor(0, 0xFFFFF, 0xC0FB));
    set_gdt_entry(0x20, descriptor(0, 0xFFFFF, 0xC0F3));
    set_gdt_entry(0x28, descriptor(0, 0xFFFF, 0x009B));
    set_gdt_entry(0x30, descriptor(0, 0xFFFF, 0x0093));
    cpu.s.gdtr = {kGdtBase, 32 * 8 - 1};
    cpu.s.idtr = {kIdtBase, 256 * 8 - 1};
    cpu.s.cr0 |= cr0::PE;
    u64 d;
    (void)cpu.read_descriptor(0x08, d);
    cpu.s.sreg(Seg::CS) = Cpu::cache_from_descriptor(0x08, d);
    for (Seg s : {Seg::DS, Seg::ES, Seg::SS, Seg::FS, Seg::GS}) cpu.load_segment(s, 0x10);
    cpu.s.gpr[ESP] = kStackTop;
    cpu.s.eip = eip;
    cpu.set_cpl(0);
    cpu.tlb_flush_all();
    interp.flush();
  }

  // Runs until HLT (or `max` instructions). Returns why it stopped.
  StopReason run(u64 max = 1'000'000) { return interp.run(max); }

  // Assembles `source` for the current code size, places it at kCodeBase (or at `at`), points
  // EIP there and runs until HLT.
  StopReason run_asm(const std::string& source, u64 max = 1'000'000) {
    const bool code32 = cpu.s.code32();
    const u32 base = code32 ? kCodeBase : (cpu.s.sreg(Seg::CS).base + cpu.s.eip);
    const u32 org = code32 ? kCodeBase : cpu.s.eip;
    write_bytes(base, assemble(source, code32 ? 32 : 16, org));
    if (code32) cpu.s.eip = kCodeBase;
    return run(max);
  }
};

}  // namespace emu::test
