// The IA-32 register file as gdb sees it. The first 32 registers follow gdb's own
// i386/32bit-core.xml, in its order and sizes, so gdb's i386 support (`info registers`, `p $eip`,
// `x/i $pc`, the x87 view) works unchanged; the `g` packet carries exactly these. A second
// feature, org.emu.ia32.system, adds what a student of system programming wants to read:
// control registers, segment bases, the descriptor-table registers, CPL. gdb fetches those one by
// one with `p`.
//
// Real and V86 mode: the segment registers hold selectors and `eip` is EIP, the offset in CS;
// gdb's own idea of the code address is $eip, so breakpoints are set on LINEAR addresses
// (`b *0x7c00`, or `b *($cs_base + $eip)` in general) — the stub compares CS.base + EIP.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/cpu.h"

namespace emu::gdb {

enum RegisterNumber : unsigned {
  kEax = 0,  // eax ecx edx ebx esp ebp esi edi: 0-7, in ModRM order (= gdb's order)
  kEip = 8,
  kEflags = 9,
  kCs = 10,   // cs ss ds es fs gs: 10-15 (gdb's order, not the Sreg encoding's)
  kSt0 = 16,  // st0-st7: 16-23, 80-bit
  kFctrl = 24,
  kFstat,
  kFtag,
  kFiseg,
  kFioff,
  kFoseg,
  kFooff,
  kFop,  // 31
  kCr0 = 32,
  kCr2,
  kCr3,
  kCr4,
  kCsBase,  // cs_base ss_base ds_base es_base fs_base gs_base: 36-41
  kGdtrBase = 42,
  kGdtrLimit,
  kIdtrBase,
  kIdtrLimit,
  kLdtr,
  kTr,
  kCpl,  // 48
  kRegisterCount
};

// Registers carried by the `g` and `G` packets: the core feature.
inline constexpr unsigned kCoreRegisterCount = 32;

// The target description served through qXfer:features:read:target.xml. gdb takes the
// disassembler's code size from its <architecture>, and a later `set architecture i8086` does not
// override a description that says i386 (gdb 13), while `set architecture i386` does override
// i8086. So a client that attaches while the CPU runs 16-bit code (real mode, V86 mode, a 16-bit
// CS) is told "i8086", and told "i386" otherwise; the register layout is the same.
const std::string& target_xml(bool code16 = false);

// The name and size in bytes of register `n` (for tests and the README).
const char* register_name(unsigned n);
unsigned register_size(unsigned n);

// Register `n`'s value in target byte order. Nothing for an unknown register.
std::optional<std::vector<u8>> read_register(const Cpu& cpu, unsigned n);
// Sets register `n`; false when `bytes` has the wrong size or the value cannot be set (see
// gdb_registers.cpp: which writes are refused and why).
bool write_register(Cpu& cpu, unsigned n, const std::vector<u8>& bytes);

// All core registers, concatenated (the `g` reply), and the reverse (`G`).
std::vector<u8> read_core_registers(const Cpu& cpu);
bool write_core_registers(Cpu& cpu, const std::vector<u8>& bytes);

}  // namespace emu::gdb
