#include "frontends/gdbstub/gdb_registers.h"

#include <array>
#include <cstring>

#include "frontends/gdbstub/debug_memory.h"

namespace emu::gdb {

namespace {

// gdb numbers the segment registers cs ss ds es fs gs; CpuState indexes them by Sreg encoding.
constexpr std::array<Seg, 6> kGdbSegmentOrder = {Seg::CS, Seg::SS, Seg::DS, Seg::ES, Seg::FS, Seg::GS};

constexpr const char* kNames[kRegisterCount] = {
    "eax",        "ecx",     "edx",     "ebx",     "esp",     "ebp",     "esi",       "edi",        "eip",
    "eflags",     "cs",      "ss",      "ds",      "es",      "fs",      "gs",        "st0",        "st1",
    "st2",        "st3",     "st4",     "st5",     "st6",     "st7",     "fctrl",     "fstat",      "ftag",
    "fiseg",      "fioff",   "foseg",   "fooff",   "fop",     "cr0",     "cr2",       "cr3",        "cr4",
    "cs_base",    "ss_base", "ds_base", "es_base", "fs_base", "gs_base", "gdtr_base", "gdtr_limit", "idtr_base",
    "idtr_limit", "ldtr",    "tr",      "cpl",
};

std::string build_target_xml(const char* architecture) {
  std::string x = std::string(
                      "<?xml version=\"1.0\"?>\n"
                      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                      "<target version=\"1.0\">\n") +
                  "<architecture>" + std::string(architecture) +
                  "</architecture>\n"
                  "<feature name=\"org.gnu.gdb.i386.core\">\n"
                  "<flags id=\"i386_eflags\" size=\"4\">\n";
  // EFLAGS bits (SDM Vol. 1, 3.4.3); bit 1 is the always-one reserved bit.
  const std::pair<const char*, int> flags[] = {{"CF", 0},  {"", 1},    {"PF", 2},   {"AF", 4},   {"ZF", 6},  {"SF", 7},
                                               {"TF", 8},  {"IF", 9},  {"DF", 10},  {"OF", 11},  {"NT", 14}, {"RF", 16},
                                               {"VM", 17}, {"AC", 18}, {"VIF", 19}, {"VIP", 20}, {"ID", 21}};
  for (const auto& [name, bit] : flags)
    x += "<field name=\"" + std::string(name) + "\" start=\"" + std::to_string(bit) + "\" end=\"" +
         std::to_string(bit) + "\"/>\n";
  x += "</flags>\n";
  auto reg = [&](unsigned n, const char* type, const char* group = nullptr) {
    x += "<reg name=\"" + std::string(kNames[n]) + "\" bitsize=\"" + std::to_string(register_size(n) * 8) +
         "\" type=\"" + type + "\" regnum=\"" + std::to_string(n) + "\"";
    if (group) x += std::string(" group=\"") + group + "\"";
    x += "/>\n";
  };
  for (unsigned n = kEax; n < kEip; ++n) reg(n, n == 4 || n == 5 ? "data_ptr" : "int32");
  reg(kEip, "code_ptr");
  reg(kEflags, "i386_eflags");
  for (unsigned n = kCs; n < kSt0; ++n) reg(n, "int32");
  for (unsigned n = kSt0; n < kFctrl; ++n) reg(n, "i387_ext");
  for (unsigned n = kFctrl; n <= kFop; ++n) reg(n, "int", "float");
  x += "</feature>\n<feature name=\"org.emu.ia32.system\">\n";
  for (unsigned n = kCr0; n < kRegisterCount; ++n)
    reg(n, n == kGdtrBase || n == kIdtrBase || (n >= kCsBase && n < kGdtrBase) ? "data_ptr" : "int32", "system");
  x += "</feature>\n</target>\n";
  return x;
}

std::vector<u8> le32(u32 v) {
  return {static_cast<u8>(v), static_cast<u8>(v >> 8), static_cast<u8>(v >> 16), static_cast<u8>(v >> 24)};
}
u32 from_le32(const std::vector<u8>& b) { return b[0] | b[1] << 8 | b[2] << 16 | u32{b[3]} << 24; }

// ST(i) is physical register (TOP + i) mod 8 (SDM Vol. 1, 8.1.2).
unsigned physical_st(const Cpu& cpu, unsigned i) { return (((cpu.s.fpu.status >> 11) & 7) + i) & 7; }

// A segment register loaded by the debugger in protected mode: the descriptor is read from the
// GDT or LDT without side effects (no accessed bit), and it must be one the instruction set would
// accept in a data segment register: a null selector, or a present data or readable code segment.
bool debugger_load_data_segment(Cpu& cpu, Seg seg, u16 selector) {
  SegmentCache& c = cpu.s.sreg(seg);
  if ((selector & 0xFFFC) == 0) {
    c = SegmentCache{};
    c.selector = selector;
    c.usable = false;
    c.base = c.limit = 0;
    c.attrs = 0;
    c.refresh_bounds();
    return true;
  }
  const bool local = selector & 4;
  const u32 table = local ? cpu.s.ldtr.base : cpu.s.gdtr.base;
  const u32 limit = local ? cpu.s.ldtr.limit : cpu.s.gdtr.limit;
  if (local && !cpu.s.ldtr.usable) return false;
  if ((selector & 0xFFF8u) + 7 > limit) return false;
  u8 raw[8];
  if (debug::read_linear(cpu, table + (selector & 0xFFF8u), raw, 8) != 8) return false;
  u64 d;
  std::memcpy(&d, raw, 8);
  const SegmentCache loaded = Cpu::cache_from_descriptor(selector, d);
  if (!(loaded.attrs & desc::kNonSystem) || !(loaded.attrs & desc::kPresent)) return false;
  if (loaded.is_code() && !(loaded.attrs & desc::kWritable)) return false;  // execute-only code
  c = loaded;
  return true;
}

bool write_segment(Cpu& cpu, Seg seg, u16 selector) {
  if (cpu.s.sreg(seg).selector == selector) return true;  // `G` writes back what `g` read
  if (!cpu.s.protected_mode() || cpu.s.v86()) {
    cpu.load_segment_real(seg, selector);
    return true;
  }
  // CS and SS carry the privilege level; changing them under the guest is not a debugger's job.
  if (seg == Seg::CS || seg == Seg::SS) return false;
  return debugger_load_data_segment(cpu, seg, selector);
}

// A control register set as MOV CRn would set it, refused (leaving no exception pending) when
// MOV would fault.
bool write_control(Cpu& cpu, unsigned n, u32 value) {
  const PendingException saved = cpu.pending;
  bool ok = true;
  switch (n) {
    case kCr0: ok = cpu.set_cr0(value); break;
    case kCr2: cpu.s.cr2 = value; break;
    case kCr3: ok = cpu.set_cr3(value); break;
    case kCr4: ok = cpu.set_cr4(value); break;
  }
  cpu.pending = saved;
  return ok;
}

u32 read32(const Cpu& cpu, unsigned n) {
  const CpuState& s = cpu.s;
  if (n < kEip) return s.gpr[n];
  if (n == kEip) return s.eip;
  if (n == kEflags) return s.flags.value();
  if (n >= kCs && n < kSt0) return s.sreg(kGdbSegmentOrder[n - kCs]).selector;
  switch (n) {
    case kFctrl: return s.fpu.control;
    case kFstat: return s.fpu.status;
    case kFtag: return s.fpu.tag;
    case kFiseg: return s.fpu.last_cs;
    case kFioff: return s.fpu.last_ip;
    case kFoseg: return s.fpu.last_ds;
    case kFooff: return s.fpu.last_dp;
    case kFop: return s.fpu.last_opcode;
    case kCr0: return s.cr0;
    case kCr2: return s.cr2;
    case kCr3: return s.cr3;
    case kCr4: return s.cr4;
    case kGdtrBase: return s.gdtr.base;
    case kGdtrLimit: return s.gdtr.limit;
    case kIdtrBase: return s.idtr.base;
    case kIdtrLimit: return s.idtr.limit;
    case kLdtr: return s.ldtr.selector;
    case kTr: return s.tr.selector;
    case kCpl: return s.cpl;
  }
  if (n >= kCsBase && n < kGdtrBase) return s.sreg(kGdbSegmentOrder[n - kCsBase]).base;
  return 0;
}

}  // namespace

const std::string& target_xml(bool code16) {
  static const std::string xml32 = build_target_xml("i386"), xml16 = build_target_xml("i8086");
  return code16 ? xml16 : xml32;
}

const char* register_name(unsigned n) { return n < kRegisterCount ? kNames[n] : nullptr; }

unsigned register_size(unsigned n) {
  if (n >= kRegisterCount) return 0;
  return n >= kSt0 && n < kFctrl ? 10 : 4;
}

std::optional<std::vector<u8>> read_register(const Cpu& cpu, unsigned n) {
  if (n >= kRegisterCount) return std::nullopt;
  if (n >= kSt0 && n < kFctrl) {
    // The 80-bit extended format, which is the host's long double on x86-64 (DESIGN §2).
    std::vector<u8> bytes(10);
    const long double v = cpu.s.fpu.regs[physical_st(cpu, n - kSt0)];
    std::memcpy(bytes.data(), &v, 10);
    return bytes;
  }
  return le32(read32(cpu, n));
}

bool write_register(Cpu& cpu, unsigned n, const std::vector<u8>& bytes) {
  if (n >= kRegisterCount || bytes.size() != register_size(n)) return false;
  CpuState& s = cpu.s;
  if (n >= kSt0 && n < kFctrl) {
    long double v = 0;
    std::memcpy(&v, bytes.data(), 10);
    s.fpu.regs[physical_st(cpu, n - kSt0)] = v;
    return true;
  }
  const u32 v = from_le32(bytes);
  if (n < kEip) {
    s.gpr[n] = v;
    return true;
  }
  switch (n) {
    case kEip: s.eip = v; return true;
    case kEflags:
      // VM would switch between protected and V86 mode; that is the guest's business (IRET, task
      // switch), so the debugger may change every other writable bit but not that one.
      cpu.set_eflags(v, eflags::kWritable & ~eflags::VM);
      return true;
    case kFctrl: s.fpu.control = static_cast<u16>(v); return true;
    case kFstat: s.fpu.status = static_cast<u16>(v); return true;
    case kFtag: s.fpu.tag = static_cast<u16>(v); return true;
    case kFiseg: s.fpu.last_cs = static_cast<u16>(v); return true;
    case kFioff: s.fpu.last_ip = v; return true;
    case kFoseg: s.fpu.last_ds = static_cast<u16>(v); return true;
    case kFooff: s.fpu.last_dp = v; return true;
    case kFop: s.fpu.last_opcode = static_cast<u16>(v & 0x7FF); return true;
    case kCr0:
    case kCr2:
    case kCr3:
    case kCr4: return write_control(cpu, n, v);
  }
  if (n >= kCs && n < kSt0) return v <= 0xFFFF && write_segment(cpu, kGdbSegmentOrder[n - kCs], static_cast<u16>(v));
  // Segment bases, table registers, LDTR, TR and CPL follow from loads the guest makes; they are
  // shown, not set. Writing back the current value is accepted.
  return read32(cpu, n) == v;
}

std::vector<u8> read_core_registers(const Cpu& cpu) {
  std::vector<u8> out;
  for (unsigned n = 0; n < kCoreRegisterCount; ++n) {
    const auto bytes = read_register(cpu, n);
    out.insert(out.end(), bytes->begin(), bytes->end());
  }
  return out;
}

bool write_core_registers(Cpu& cpu, const std::vector<u8>& bytes) {
  std::size_t expected = 0;
  for (unsigned n = 0; n < kCoreRegisterCount; ++n) expected += register_size(n);
  if (bytes.size() != expected) return false;
  bool ok = true;
  std::size_t at = 0;
  for (unsigned n = 0; n < kCoreRegisterCount; ++n) {
    const unsigned size = register_size(n);
    ok &= write_register(cpu, n, std::vector<u8>(bytes.begin() + at, bytes.begin() + at + size));
    at += size;
  }
  return ok;
}

}  // namespace emu::gdb
