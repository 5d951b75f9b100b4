// The decoder differential (DESIGN §3, §12): walks byte streams linearly, decodes each instruction
// with emu's decoder and with Capstone 4, and compares length, validity, mnemonic and operands.
//
//   capstone_diff --known FILE [--elf BINARY] [--raw FILE --mode 16|32 --address A]
//                 [--random BYTES --seed S --mode 16|32] [--show N] [--dump HEX...]
//
// Every disagreement is a failure unless it is
//   * "beyond the model": Capstone decodes an instruction of a later ISA extension (MMX, SSE,
//     3DNow!, VMX, ...) that emu's P6 integer+x87 CPU treats as #UD (see beyond_p6_model()), or
//   * matched by an entry of the known-disagreements file, which names a precise pattern and the
//     reason (Capstone 4's own bugs and gaps).
// The exit status is 0 when nothing else disagreed.
#include <capstone/capstone.h>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "translator/decoder.h"

using namespace emu;

namespace {

// ---- one side's view of an instruction, normalised for comparison --------------------------------

struct NormOperand {
  enum Kind { Reg, Mem, Imm } kind = Reg;
  unsigned reg = X86_REG_INVALID;  // Capstone register id
  unsigned seg = X86_REG_INVALID, base = X86_REG_INVALID, index = X86_REG_INVALID;
  unsigned scale = 1;
  u64 value = 0;     // displacement (Mem) or immediate (Imm)
  u64 mask = ~0ull;  // bits of `value` that are significant (the operand's or address's width)
};

std::string reg_name(csh h, unsigned r) {
  const char* n = r == X86_REG_INVALID ? nullptr : cs_reg_name(h, r);
  return n ? n : "-";
}

std::string describe(csh h, const NormOperand& o) {
  char buf[160];
  switch (o.kind) {
    case NormOperand::Reg: return reg_name(h, o.reg);
    case NormOperand::Imm: std::snprintf(buf, sizeof buf, "imm 0x%" PRIx64, o.value & o.mask); return buf;
    case NormOperand::Mem:
      std::snprintf(buf, sizeof buf, "mem[%s%s%s + %s*%u + 0x%" PRIx64 "]",
                    o.seg != X86_REG_INVALID ? reg_name(h, o.seg).c_str() : "", o.seg != X86_REG_INVALID ? ":" : "",
                    reg_name(h, o.base).c_str(), reg_name(h, o.index).c_str(), o.scale, o.value & o.mask);
      return buf;
  }
  return "?";
}

constexpr unsigned kGpr8[8] = {X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL,
                               X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH};
constexpr unsigned kGpr16[8] = {X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
                                X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI};
constexpr unsigned kGpr32[8] = {X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
                                X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI};
constexpr unsigned kSreg[6] = {X86_REG_ES, X86_REG_CS, X86_REG_SS, X86_REG_DS, X86_REG_FS, X86_REG_GS};

unsigned gpr(unsigned n, unsigned bits) {
  return bits == 8 ? kGpr8[n & 7] : bits == 16 ? kGpr16[n & 7] : kGpr32[n & 7];
}
u64 width_mask(unsigned bytes) { return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1; }

NormOperand reg_op(unsigned r) { return {NormOperand::Reg, r}; }
NormOperand imm_op(u64 v, unsigned bytes) {
  NormOperand o{NormOperand::Imm};
  o.value = v;
  o.mask = width_mask(bytes);
  return o;
}

// The ModRM memory operand (or moffs) of a decoded instruction.
NormOperand our_memory(const DecodedInsn& i) {
  NormOperand o{NormOperand::Mem};
  const unsigned abits = i.addr32 ? 32 : 16;
  if (i.base != kNoReg) o.base = gpr(i.base, abits);
  if (i.index != kNoReg) {
    o.index = gpr(i.index, abits);
    o.scale = 1u << i.scale;
  }
  o.seg = i.seg_override ? kSreg[static_cast<u8>(i.seg)] : unsigned{X86_REG_INVALID};
  o.value = i.disp;
  o.mask = width_mask(abits / 8);
  return o;
}

// A string instruction's memory operand: DS:eSI (or the override) for X, ES:eDI for Y.
NormOperand our_string(const DecodedInsn& i, bool destination) {
  NormOperand o{NormOperand::Mem};
  const unsigned abits = i.addr32 ? 32 : 16;
  o.base = gpr(destination ? EDI : ESI, abits);
  o.seg =
      destination ? unsigned{X86_REG_ES} : (i.seg_override ? kSreg[static_cast<u8>(i.seg)] : unsigned{X86_REG_INVALID});
  o.mask = width_mask(abits / 8);
  return o;
}

// emu's operands in the table's order (the SDM's Intel order), as Capstone would name them.
std::vector<NormOperand> our_operands(const DecodedInsn& i, u32 address) {
  std::vector<NormOperand> out;
  const unsigned vbits = i.op32 ? 32 : 16;
  const unsigned vbytes = vbits / 8;
  unsigned imm_slot = 0;
  auto next_imm = [&] { return imm_slot++ == 0 ? i.imm : i.imm2; };
  auto rm_operand = [&](unsigned bits) { return i.is_mem() ? our_memory(i) : reg_op(gpr(i.rm, bits)); };
  for (Operand k : i.entry->operands) {
    switch (k) {
      case Operand::None: break;
      case Operand::Eb: out.push_back(rm_operand(8)); break;
      case Operand::Ew: out.push_back(rm_operand(16)); break;
      case Operand::Ed:
      case Operand::Rd: out.push_back(rm_operand(32)); break;
      case Operand::Ev: out.push_back(rm_operand(vbits)); break;
      case Operand::Gb: out.push_back(reg_op(gpr(i.reg, 8))); break;
      case Operand::Gw: out.push_back(reg_op(gpr(i.reg, 16))); break;
      case Operand::Gd: out.push_back(reg_op(gpr(i.reg, 32))); break;
      case Operand::Gv: out.push_back(reg_op(gpr(i.reg, vbits))); break;
      case Operand::M:
      case Operand::Ma:
      case Operand::Mp:
      case Operand::Mq:
      case Operand::Mf32:
      case Operand::Mf64:
      case Operand::Mf80:
      case Operand::Mi16:
      case Operand::Mi32:
      case Operand::Mi64:
      case Operand::Mbcd:
      case Operand::Menv:
      case Operand::Mstate:
      case Operand::M2: out.push_back(our_memory(i)); break;
      case Operand::Sw: out.push_back(reg_op(i.reg < 6 ? kSreg[i.reg] : unsigned{X86_REG_INVALID})); break;
      case Operand::Cd: out.push_back(reg_op(X86_REG_CR0 + i.reg)); break;
      case Operand::Dd: out.push_back(reg_op(X86_REG_DR0 + i.reg)); break;
      case Operand::Ib: out.push_back(imm_op(next_imm(), 1)); break;
      case Operand::Iw: out.push_back(imm_op(next_imm(), 2)); break;
      case Operand::Iv: out.push_back(imm_op(next_imm(), vbytes)); break;
      case Operand::Ibs: out.push_back(imm_op(next_imm(), vbytes)); break;
      case Operand::Jb:
      case Operand::Jz: {
        // Capstone reports the branch target; the CPU truncates it to the operand size.
        out.push_back(imm_op(address + i.len + next_imm(), vbytes));
        break;
      }
      case Operand::Ap:
        out.push_back(imm_op(i.imm2, 2));
        out.push_back(imm_op(i.imm, vbytes));
        break;
      case Operand::Ob:
      case Operand::Ov: out.push_back(our_memory(i)); break;
      case Operand::AL: out.push_back(reg_op(X86_REG_AL)); break;
      case Operand::AX: out.push_back(reg_op(X86_REG_AX)); break;
      case Operand::CL: out.push_back(reg_op(X86_REG_CL)); break;
      case Operand::DX: out.push_back(reg_op(X86_REG_DX)); break;
      case Operand::eAX: out.push_back(reg_op(gpr(EAX, vbits))); break;
      case Operand::Zb: out.push_back(reg_op(gpr(i.opcode & 7, 8))); break;
      case Operand::Zv: out.push_back(reg_op(gpr(i.opcode & 7, vbits))); break;
      case Operand::One: out.push_back(imm_op(1, 1)); break;
      case Operand::ES: out.push_back(reg_op(X86_REG_ES)); break;
      case Operand::CS: out.push_back(reg_op(X86_REG_CS)); break;
      case Operand::SS: out.push_back(reg_op(X86_REG_SS)); break;
      case Operand::DS: out.push_back(reg_op(X86_REG_DS)); break;
      case Operand::FS: out.push_back(reg_op(X86_REG_FS)); break;
      case Operand::GS: out.push_back(reg_op(X86_REG_GS)); break;
      case Operand::Xb:
      case Operand::Xv: out.push_back(our_string(i, false)); break;
      case Operand::Yb:
      case Operand::Yv: out.push_back(our_string(i, true)); break;
      case Operand::ST0: out.push_back(reg_op(X86_REG_ST0)); break;
      case Operand::STi: out.push_back(reg_op(X86_REG_ST0 + i.rm)); break;
    }
  }
  return out;
}

std::vector<NormOperand> capstone_operands(const cs_insn& insn, bool addr32) {
  std::vector<NormOperand> out;
  const cs_x86& x = insn.detail->x86;
  for (unsigned k = 0; k < x.op_count; ++k) {
    const cs_x86_op& op = x.operands[k];
    NormOperand o;
    switch (op.type) {
      case X86_OP_REG: o = reg_op(op.reg); break;
      case X86_OP_IMM: o = imm_op(static_cast<u64>(op.imm), 8); break;
      case X86_OP_MEM:
        o.kind = NormOperand::Mem;
        o.seg = op.mem.segment;
        o.base = op.mem.base;
        o.index = op.mem.index;
        o.scale = o.index == X86_REG_INVALID ? 1 : static_cast<unsigned>(op.mem.scale);
        o.value = static_cast<u64>(op.mem.disp);
        o.mask = width_mask(addr32 ? 4 : 2);
        break;
      default: continue;
    }
    out.push_back(o);
  }
  return out;
}

// [reg*1] without a base is [reg]: emu's 16-bit table names SI and DI in [SI] and [DI] as
// indexes, Capstone as bases.
NormOperand canonical(NormOperand o) {
  if (o.kind == NormOperand::Mem && o.base == X86_REG_INVALID && o.scale == 1) std::swap(o.base, o.index);
  return o;
}

bool same_operand(const NormOperand& our_op, const NormOperand& their_op) {
  const NormOperand ours = canonical(our_op), theirs = canonical(their_op);
  if (ours.kind != theirs.kind) return false;
  switch (ours.kind) {
    case NormOperand::Reg: return ours.reg == theirs.reg;
    case NormOperand::Imm: return ((ours.value ^ theirs.value) & ours.mask) == 0;
    case NormOperand::Mem:
      // A segment Capstone prints must be the one emu uses; Capstone omits the default one.
      if (theirs.seg != X86_REG_INVALID && theirs.seg != ours.seg &&
          !(ours.seg == X86_REG_INVALID && (theirs.seg == X86_REG_DS || theirs.seg == X86_REG_SS)))
        return false;
      return ours.base == theirs.base && ours.index == theirs.index && ours.scale == theirs.scale &&
             ((ours.value ^ theirs.value) & ours.mask) == 0;
  }
  return false;
}

// Capstone leaves out the implicit ST(0) of some x87 register forms: D8 C1 is FADD ST(0), ST(1) in
// the SDM but "fadd st(1)" in Capstone, while DC C1 keeps both. Dropping ST(0) from both sides
// compares what each decoder took from the ModRM byte.
void drop_implicit_st0(std::vector<NormOperand>& ops) {
  std::erase_if(ops, [](const NormOperand& o) { return o.kind == NormOperand::Reg && o.reg == X86_REG_ST0; });
}

// ---- mnemonic families ----------------------------------------------------------------------

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// The Capstone instruction names that spell one of our rows. By default the row's own mnemonic
// (the first word of its Intel syntax); Capstone spells some by operand size (PUSHAD/pushaw),
// names string instructions by element size (MOVS m8 = movsb) and uses AT&T-style names for far
// transfers (JMP ptr16:32 = ljmp).
std::vector<std::string> capstone_spellings(const DecodedInsn& i) {
  const std::string_view syntax = i.entry->syntax;
  const std::string base = lower(syntax.substr(0, syntax.find(' ')));
  const bool o32 = i.op32;
  auto sized = [&](const char* stem) {
    const Operand first = i.entry->operands[0], second = i.entry->operands[1];
    const bool byte = first == Operand::Xb || first == Operand::Yb || second == Operand::Xb || second == Operand::Yb;
    return std::string(stem) + (byte ? "b" : o32 ? "d" : "w");
  };
  switch (i.entry->op) {
    case Op::Pusha: return {o32 ? "pushal" : "pushaw"};
    case Op::Popa: return {o32 ? "popal" : "popaw"};
    case Op::Pushf: return {o32 ? "pushfd" : "pushf"};
    case Op::Popf: return {o32 ? "popfd" : "popf"};
    case Op::Cbw: return {o32 ? "cwde" : "cbw"};
    case Op::Cwd: return {o32 ? "cdq" : "cwd"};
    case Op::Iret: return {o32 ? "iretd" : "iret"};
    case Op::Movs: return {sized("movs")};
    case Op::Cmps: return {sized("cmps")};
    case Op::Stos: return {sized("stos")};
    case Op::Lods: return {sized("lods")};
    case Op::Scas: return {sized("scas")};
    case Op::Ins: return {sized("ins")};
    case Op::Outs: return {sized("outs")};
    case Op::Xlat: return {"xlatb"};
    case Op::Jcxz: return {i.addr32 ? "jecxz" : "jcxz"};
    case Op::JmpFar:
    case Op::JmpFarIndirect: return {"ljmp"};
    case Op::CallFar:
    case Op::CallFarIndirect: return {"lcall"};
    case Op::RetFar: return {"retf"};
    case Op::JmpIndirect: return {"jmp"};
    case Op::CallIndirect: return {"call"};
    case Op::IntN: return {"int"};
    case Op::Imul1:
    case Op::Imul2:
    case Op::Imul3: return {"imul"};
    case Op::MovFromCr:
    case Op::MovToCr:
    case Op::MovFromDr:
    case Op::MovToDr: return {"mov"};
    case Op::MovFromSeg:
    case Op::MovToSeg: return {"mov"};
    case Op::PushSeg: return {"push"};
    case Op::PopSeg: return {"pop"};
    case Op::Shl: return {"shl", "sal"};
    default: return {base};
  }
}

// ---- beyond the model -----------------------------------------------------------------------

// emu models a P6 (Pentium Pro/II) without MMX, SSE or FXSR: the integer instructions, the x87
// FPU, CMOV, CMPXCHG8B, RDTSC/RDPMC, CPUID, SYSENTER/SYSEXIT and the multi-byte NOP. An encoding
// emu decodes as #UD but Capstone decodes is "beyond the model" when Capstone puts it in an ISA
// extension group newer than that (MMX, SSE*, 3DNow!, AVX*, VMX/SVM, AES, SHA, BMI, ...), or it is
// one of the later general-purpose or system instructions listed below by Capstone id, which
// Capstone files in no extension group, or it is VEX/EVEX/XOP-encoded: C4/C5 (LES/LDS), 62 (BOUND)
// with ModRM.mod = 3 and 8F (POP r/m) with ModRM.reg != 0 are #UD on P6 and became those
// prefixes later (Capstone 4 leaves many VEX instructions without a group). Nothing else is
// excused. `opcode` points at the first byte after the legacy prefixes.
bool beyond_p6_model(const cs_insn& insn, const u8* opcode, std::size_t avail) {
  if (avail >= 2) {
    const u8 modrm = opcode[1];
    if ((opcode[0] == 0xC4 || opcode[0] == 0xC5 || opcode[0] == 0x62) && modrm >= 0xC0) return true;
    if (opcode[0] == 0x8F && (modrm & 0x38) != 0) return true;
  }
  const cs_detail& d = *insn.detail;
  for (unsigned k = 0; k < d.groups_count; ++k) {
    switch (d.groups[k]) {
      case X86_GRP_VM:
      case X86_GRP_3DNOW:
      case X86_GRP_AES:
      case X86_GRP_ADX:
      case X86_GRP_AVX:
      case X86_GRP_AVX2:
      case X86_GRP_AVX512:
      case X86_GRP_BMI:
      case X86_GRP_BMI2:
      case X86_GRP_F16C:
      case X86_GRP_FMA:
      case X86_GRP_FMA4:
      case X86_GRP_FSGSBASE:
      case X86_GRP_HLE:
      case X86_GRP_MMX:
      case X86_GRP_RTM:
      case X86_GRP_SHA:
      case X86_GRP_SSE1:
      case X86_GRP_SSE2:
      case X86_GRP_SSE3:
      case X86_GRP_SSE41:
      case X86_GRP_SSE42:
      case X86_GRP_SSE4A:
      case X86_GRP_SSSE3:
      case X86_GRP_PCLMUL:
      case X86_GRP_XOP:
      case X86_GRP_CDI:
      case X86_GRP_ERI:
      case X86_GRP_TBM:
      case X86_GRP_SGX:
      case X86_GRP_DQI:
      case X86_GRP_BWI:
      case X86_GRP_PFI:
      case X86_GRP_VLX:
      case X86_GRP_SMAP: return true;
      default: break;
    }
  }
  switch (insn.id) {
    // Later general-purpose instructions.
    case X86_INS_MOVBE:
    case X86_INS_POPCNT:
    case X86_INS_LZCNT:
    case X86_INS_TZCNT:
    case X86_INS_RDRAND:
    case X86_INS_RDSEED:
    case X86_INS_CRC32:
    case X86_INS_CLFLUSH:
    case X86_INS_CLFLUSHOPT:
    case X86_INS_CLWB:
    case X86_INS_PREFETCH:
    case X86_INS_PREFETCHW:
    case X86_INS_PREFETCHNTA:
    case X86_INS_PREFETCHT0:
    case X86_INS_PREFETCHT1:
    case X86_INS_PREFETCHT2:
    case X86_INS_LFENCE:
    case X86_INS_MFENCE:
    case X86_INS_SFENCE:
    case X86_INS_PAUSE:
    case X86_INS_FISTTP:
    case X86_INS_FEMMS:
    // VIA PadLock.
    case X86_INS_XSTORE:
    case X86_INS_XCRYPTECB:
    case X86_INS_XCRYPTCBC:
    case X86_INS_XCRYPTCTR:
    case X86_INS_XCRYPTCFB:
    case X86_INS_XCRYPTOFB:
    case X86_INS_XSHA1:
    case X86_INS_XSHA256:
    case X86_INS_MONTMUL:
    // FXSAVE/FXRSTOR and XSAVE state management (CPUID.FXSR/XSAVE are clear on this model).
    case X86_INS_FXSAVE:
    case X86_INS_FXRSTOR:
    case X86_INS_XSAVE:
    case X86_INS_XRSTOR:
    case X86_INS_XSAVEOPT:
    case X86_INS_XSAVEC:
    case X86_INS_XSAVES:
    case X86_INS_XRSTORS:
    case X86_INS_XGETBV:
    case X86_INS_XSETBV:
    case X86_INS_LDMXCSR:
    case X86_INS_STMXCSR:
    // Later system instructions: AMD's SYSCALL/SYSRET, RDTSCP, MONITOR/MWAIT, SWAPGS, INVPCID,
    // SMX's GETSEC, and RSM, which is only valid inside system-management mode (SMM is not modelled).
    case X86_INS_SYSCALL:
    case X86_INS_SYSRET:
    case X86_INS_RDTSCP:
    case X86_INS_MONITOR:
    case X86_INS_MWAIT:
    case X86_INS_SWAPGS:
    case X86_INS_INVPCID:
    case X86_INS_RSM:
    case X86_INS_XEND:
    case X86_INS_XTEST:
    case X86_INS_XABORT:
    case X86_INS_XBEGIN:
    case X86_INS_CLAC:
    case X86_INS_STAC:
    case X86_INS_ENCLS:
    case X86_INS_ENCLU:
    case X86_INS_GETSEC: return true;
    default: return false;
  }
}

// UD1 (0F B9, Capstone's "ud2b") and UD0 (0F FF) are defined to raise #UD (SDM Vol. 2B, UD):
// Capstone decoding them and emu decoding #UD is agreement.
bool capstone_names_undefined_opcode(const cs_insn& insn) { return insn.id == X86_INS_UD2B || insn.id == X86_INS_UD0; }

// ---- known disagreements --------------------------------------------------------------------

// One line of capstone_known_disagreements.txt:
//   kind=<validity|length|mnemonic|operands> [mode=16|32] [prefix=HH] [bytes=HH,HH-HH,...]
//   [ours=<mnemonic>|(bad)] [cs=<capstone name>|(bad)] [agrees-without=HH,HH,...] | reason
// `bytes` matches the instruction's bytes after its legacy prefixes, one item per byte: an exact
// value or an inclusive range. `agrees-without` matches when the instruction has one of the listed
// prefixes and, with every listed prefix byte removed, both decoders agree (or differ only by
// another known entry): those prefixes alone make the difference. Every given field must match.
struct KnownDisagreement {
  int line = 0;
  std::string kind;
  int mode = 0;
  std::vector<u8> prefixes;
  std::vector<std::pair<u8, u8>> bytes;
  std::string ours, cs;
  std::vector<u8> agrees_without;
  std::string reason;
  mutable u64 hits = 0;
};

bool parse_hex_byte(const std::string& s, u8& out) {
  if (s.size() != 2 || !std::isxdigit(static_cast<unsigned char>(s[0])) ||
      !std::isxdigit(static_cast<unsigned char>(s[1])))
    return false;
  out = static_cast<u8>(std::stoul(s, nullptr, 16));
  return true;
}

std::optional<std::vector<KnownDisagreement>> load_known(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  std::vector<KnownDisagreement> out;
  std::string text;
  int line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos || text[first] == '#') continue;
    const auto bar = text.find('|');
    KnownDisagreement k;
    k.line = line_no;
    if (bar == std::string::npos || text.find_first_not_of(" \t", bar + 1) == std::string::npos) {
      std::fprintf(stderr, "%s:%d: an entry needs '| reason'\n", path.c_str(), line_no);
      return std::nullopt;
    }
    k.reason = text.substr(text.find_first_not_of(" \t", bar + 1));
    std::istringstream fields(text.substr(0, bar));
    std::string f;
    bool ok = true;
    while (fields >> f) {
      const auto eq = f.find('=');
      const std::string key = f.substr(0, eq), value = eq == std::string::npos ? "" : f.substr(eq + 1);
      if (key == "kind" && (value == "validity" || value == "length" || value == "mnemonic" || value == "operands")) {
        k.kind = value;
      } else if (key == "mode" && (value == "16" || value == "32")) {
        k.mode = std::stoi(value);
      } else if (key == "prefix") {
        u8 b;
        ok = ok && parse_hex_byte(value, b);
        k.prefixes.push_back(b);
      } else if (key == "bytes") {
        std::istringstream items(value);
        std::string item;
        while (std::getline(items, item, ',')) {
          const auto dash = item.find('-');
          u8 lo = 0, hi = 0;
          ok = ok && parse_hex_byte(item.substr(0, dash), lo);
          hi = lo;
          if (dash != std::string::npos) ok = ok && parse_hex_byte(item.substr(dash + 1), hi);
          k.bytes.emplace_back(lo, hi);
        }
      } else if (key == "agrees-without") {
        std::istringstream items(value);
        for (std::string item; std::getline(items, item, ',');) {
          u8 b;
          ok = ok && parse_hex_byte(item, b);
          k.agrees_without.push_back(b);
        }
      } else if (key == "ours") {
        k.ours = value;
      } else if (key == "cs") {
        k.cs = value;
      } else {
        ok = false;
      }
    }
    if (!ok || k.kind.empty() || (k.bytes.empty() && k.agrees_without.empty() && (k.ours.empty() || k.cs.empty()))) {
      std::fprintf(stderr, "%s:%d: bad entry (needs kind= and bytes=, agrees-without=, or both ours= and cs=)\n",
                   path.c_str(), line_no);
      return std::nullopt;
    }
    out.push_back(std::move(k));
  }
  return out;
}

// ---- the walk -------------------------------------------------------------------------------

struct Comparison {
  const u8* bytes;
  std::size_t avail;
  u32 address;
  int mode;
  DecodedInsn ours;
  DecodeStatus status;
  const cs_insn* cs;  // nullptr when Capstone failed
};

std::string our_text(const Comparison& c) {
  if (c.status == DecodeStatus::TooLong) return "(too long: #GP)";
  if (c.status != DecodeStatus::Ok) return "(truncated)";
  if (c.ours.entry->op == Op::Invalid) return "(bad)";
  return lower(c.ours.entry->syntax);
}

std::string our_mnemonic(const Comparison& c) {
  if (c.status != DecodeStatus::Ok || c.ours.entry->op == Op::Invalid) return "(bad)";
  const std::string_view s = c.ours.entry->syntax;
  return lower(s.substr(0, s.find(' ')));
}

class Differ {
 public:
  explicit Differ(std::vector<KnownDisagreement> known) : known_(std::move(known)) {
    cs_open(CS_ARCH_X86, CS_MODE_16, &h16_);
    cs_open(CS_ARCH_X86, CS_MODE_32, &h32_);
    for (csh h : {h16_, h32_}) cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    insn_ = cs_malloc(h32_);
  }
  ~Differ() {
    cs_free(insn_, 1);
    cs_close(&h16_);
    cs_close(&h32_);
  }

  void set_show_limit(unsigned n) { show_limit_ = n; }

  // Walks `size` bytes at guest address `address` as `mode`-bit code.
  void walk(const u8* data, std::size_t size, u32 address, int mode) {
    std::size_t pos = 0;
    while (pos < size) {
      const std::size_t avail = std::min<std::size_t>(size - pos, 16);
      // 16-bit code runs at IP 0-FFFF: a stream longer than 64 KiB is many segments' worth.
      const u32 at = address + static_cast<u32>(pos);
      pos += step(data + pos, avail, mode == 16 ? at & 0xFFFF : at, mode, size - pos > 16);
    }
  }

  // Compares one instruction and prints both decodings, for --dump.
  void dump(const std::vector<u8>& b, int mode) {
    Comparison c = decode_both(b.data(), b.size(), 0, mode);
    std::printf("%s\n", render(c).c_str());
    const std::string why = disagreement(c);
    std::printf("  verdict: %s\n", why.empty() ? "agree" : why.c_str());
  }

  int report() const {
    std::printf("instructions: %" PRIu64 " compared, %" PRIu64 " agree, %" PRIu64 " both invalid, %" PRIu64
                " beyond the P6 model, %" PRIu64 " known Capstone disagreements, %" PRIu64 " FAILURES\n",
                compared_, agree_, both_invalid_, beyond_, known_hits_, failures_);
    for (const auto& k : known_)
      if (k.hits) std::printf("  known entry line %d (%s): %" PRIu64 " hits\n", k.line, k.kind.c_str(), k.hits);
    if (!beyond_names_.empty()) {
      std::printf("  beyond the model, by Capstone name:");
      for (const auto& [name, n] : beyond_names_) std::printf(" %s=%" PRIu64, name.c_str(), n);
      std::printf("\n");
    }
    return failures_ ? 1 : 0;
  }

 private:
  Comparison decode_both(const u8* b, std::size_t avail, u32 address, int mode) {
    Comparison c{b, avail, address, mode, {}, DecodeStatus::Ok, nullptr};
    c.status = decode(b, avail, mode == 32, c.ours);
    const u8* p = b;
    std::size_t n = avail;
    u64 a = address;
    if (cs_disasm_iter(mode == 32 ? h32_ : h16_, &p, &n, &a, insn_)) c.cs = insn_;
    return c;
  }

  std::string render(const Comparison& c) const {
    std::string s;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%08x [%d-bit]", c.address, c.mode);
    s += buf;
    const std::size_t shown =
        std::min<std::size_t>(c.avail, std::max<std::size_t>({c.ours.len, c.cs ? c.cs->size : 0u, 1}));
    for (std::size_t k = 0; k < shown; ++k) {
      std::snprintf(buf, sizeof buf, " %02x", c.bytes[k]);
      s += buf;
    }
    const csh h = c.mode == 32 ? h32_ : h16_;
    s += "\n  emu:      " + our_text(c);
    if (c.status == DecodeStatus::Ok && c.ours.entry->op != Op::Invalid) {
      s += "  len " + std::to_string(c.ours.len) + "  {";
      for (const auto& o : our_operands(c.ours, c.address)) s += " " + describe(h, o) + ";";
      s += " }";
    }
    s += "\n  capstone: ";
    if (!c.cs) {
      s += "(bad)";
    } else {
      s += std::string(c.cs->mnemonic) + " " + c.cs->op_str + "  [" + cs_insn_name(h, c.cs->id) + "]  len " +
           std::to_string(c.cs->size) + "  {";
      for (const auto& o : capstone_operands(*c.cs, c.ours.addr32)) s += " " + describe(h, o) + ";";
      s += " }";
    }
    return s;
  }

  // Empty when the two agree; otherwise the kind of disagreement and what differs.
  std::string disagreement(const Comparison& c) const {
    const bool ours_valid = c.status == DecodeStatus::Ok && c.ours.entry->op != Op::Invalid;
    const bool cs_valid = c.cs && !capstone_names_undefined_opcode(*c.cs);
    if (ours_valid != cs_valid) return "validity";
    if (!ours_valid) return "";
    if (c.ours.len != c.cs->size) return "length";
    const csh h = c.mode == 32 ? h32_ : h16_;
    const std::string name = cs_insn_name(h, c.cs->id);
    const auto spellings = capstone_spellings(c.ours);
    if (std::find(spellings.begin(), spellings.end(), name) == spellings.end()) return "mnemonic";
    auto ours = our_operands(c.ours, c.address);
    auto theirs = capstone_operands(*c.cs, c.ours.addr32);
    drop_implicit_st0(ours);
    drop_implicit_st0(theirs);
    if (c.ours.entry->op == Op::Xchg && ours.size() == 2 && theirs.size() == 2 && !same_operand(ours[0], theirs[0]))
      std::swap(ours[0],
                ours[1]);  // an exchange has no operand order: 90+r is both "XCHG r32, EAX" and "XCHG EAX, r32"
    if (ours.size() != theirs.size()) return "operands";
    for (std::size_t k = 0; k < ours.size(); ++k)
      if (!same_operand(ours[k], theirs[k])) return "operands";
    return "";
  }

  const KnownDisagreement* match_known(const Comparison& c, const std::string& kind) const {
    // Split off the legacy prefixes the way the decoder does.
    std::size_t skip = c.status == DecodeStatus::Ok ? c.ours.prefix_count : 0;
    const csh h = c.mode == 32 ? h32_ : h16_;
    const std::string cs_name = c.cs ? cs_insn_name(h, c.cs->id) : "(bad)";
    const std::string ours = our_mnemonic(c);
    for (const auto& k : known_) {
      if (k.kind != kind || (k.mode && k.mode != c.mode)) continue;
      if (!k.ours.empty() && k.ours != ours) continue;
      if (!k.cs.empty() && k.cs != cs_name) continue;
      bool ok = true;
      for (u8 p : k.prefixes) ok = ok && std::find(c.bytes, c.bytes + skip, p) != c.bytes + skip;
      if (!ok) continue;
      if (skip + k.bytes.size() > c.avail) continue;
      for (std::size_t n = 0; n < k.bytes.size() && ok; ++n) {
        const u8 b = c.bytes[skip + n];
        ok = b >= k.bytes[n].first && b <= k.bytes[n].second;
      }
      if (ok && !k.agrees_without.empty()) ok = only_prefixes_differ(c, k.agrees_without);
      if (ok) return &k;
    }
    return nullptr;
  }

  // Whether the instruction carries one of `prefixes` and, with those prefix bytes removed, both
  // decoders agree.
  bool only_prefixes_differ(const Comparison& c, const std::vector<u8>& prefixes) const {
    if (c.status != DecodeStatus::Ok) return false;
    auto listed = [&](u8 b) { return std::find(prefixes.begin(), prefixes.end(), b) != prefixes.end(); };
    if (std::none_of(c.bytes, c.bytes + c.ours.prefix_count, listed)) return false;
    std::vector<u8> stripped;
    for (std::size_t k = 0; k < c.avail; ++k)
      if (k >= c.ours.prefix_count || !listed(c.bytes[k])) stripped.push_back(c.bytes[k]);
    cs_insn* scratch = cs_malloc(c.mode == 32 ? h32_ : h16_);
    Comparison u{stripped.data(), stripped.size(), c.address, c.mode, {}, DecodeStatus::Ok, nullptr};
    u.status = decode(stripped.data(), stripped.size(), c.mode == 32, u.ours);
    const u8* p = stripped.data();
    std::size_t n = stripped.size();
    u64 a = c.address;
    if (cs_disasm_iter(c.mode == 32 ? h32_ : h16_, &p, &n, &a, scratch)) u.cs = scratch;
    // The stripped instruction may itself show another known quirk (F0 66 F3 93: LOCK, and 66h
    // ignored after F3); each step removes a byte, so this ends.
    const std::string rest = disagreement(u);
    const bool agree = u.status == DecodeStatus::Ok && u.ours.entry->op != Op::Invalid &&
                       (rest.empty() || match_known(u, rest) != nullptr);
    cs_free(scratch, 1);
    return agree;
  }

  // Compares the instruction at `b`; returns how far to advance.
  std::size_t step(const u8* b, std::size_t avail, u32 address, int mode, bool more_follows) {
    Comparison c = decode_both(b, avail, address, mode);
    if (c.status == DecodeStatus::Truncated) {
      // The last bytes of the stream: nothing left to decode in full.
      return more_follows ? 1 : avail;
    }
    ++compared_;
    const bool ours_valid = c.status == DecodeStatus::Ok && c.ours.entry->op != Op::Invalid;
    // Advance by the length of whichever decoding is real code: ours when valid, Capstone's when
    // only Capstone decodes (later-ISA code in glibc's ifunc variants), else one byte.
    const std::size_t advance = ours_valid ? c.ours.len : c.cs ? c.cs->size : 1;
    const std::string kind = disagreement(c);
    if (kind.empty()) {
      ++(ours_valid ? agree_ : both_invalid_);
      return advance;
    }
    // Beyond the model: an encoding emu decodes as #UD, or one whose prefix P6 ignores but a later
    // extension gives a new meaning (F3 0F BC: BSF on P6, TZCNT with BMI1).
    const std::size_t prefixes = c.status == DecodeStatus::Ok ? c.ours.prefix_count : 0;
    if ((kind == "validity" || kind == "mnemonic") && c.cs &&
        beyond_p6_model(*c.cs, c.bytes + prefixes, c.avail - prefixes)) {
      ++beyond_;
      ++beyond_names_[cs_insn_name(mode == 32 ? h32_ : h16_, c.cs->id)];
      return advance;
    }
    if (const KnownDisagreement* k = match_known(c, kind)) {
      ++k->hits;
      ++known_hits_;
      return advance;
    }
    ++failures_;
    if (failures_ <= show_limit_) std::printf("MISMATCH (%s) %s\n", kind.c_str(), render(c).c_str());
    return advance;
  }

  std::vector<KnownDisagreement> known_;
  csh h16_ = 0, h32_ = 0;
  cs_insn* insn_ = nullptr;
  unsigned show_limit_ = 50;
  u64 compared_ = 0, agree_ = 0, both_invalid_ = 0, beyond_ = 0, known_hits_ = 0, failures_ = 0;
  std::map<std::string, u64> beyond_names_;
};

// ---- inputs ---------------------------------------------------------------------------------

std::optional<std::vector<u8>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<u8>((std::istreambuf_iterator<char>(in)), {});
}

template <typename T>
bool get(const std::vector<u8>& f, std::size_t off, T& out) {
  if (off > f.size() || f.size() - off < sizeof(T)) return false;
  std::memcpy(&out, f.data() + off, sizeof(T));
  return true;
}

// The .text section of a 32-bit little-endian ELF file (System V ABI, "Sections").
bool elf_text(const std::vector<u8>& f, std::vector<u8>& text, u32& address) {
  if (f.size() < 52 || std::memcmp(f.data(),
                                   "\x7f"
                                   "ELF\x01\x01",
                                   6) != 0)
    return false;
  u32 shoff;
  u16 shentsize, shnum, shstrndx;
  if (!get(f, 32, shoff) || !get(f, 46, shentsize) || !get(f, 48, shnum) || !get(f, 50, shstrndx)) return false;
  if (shentsize < 40 || shstrndx >= shnum) return false;
  auto section = [&](unsigned n, u32& name, u32& addr, u32& off, u32& size) {
    const std::size_t at = shoff + std::size_t{n} * shentsize;
    return get(f, at, name) && get(f, at + 12, addr) && get(f, at + 16, off) && get(f, at + 20, size);
  };
  u32 sname, saddr, strtab, strsize;
  if (!section(shstrndx, sname, saddr, strtab, strsize)) return false;
  for (unsigned n = 0; n < shnum; ++n) {
    u32 name, addr, off, size;
    if (!section(n, name, addr, off, size) || name >= strsize) continue;
    const char* s = reinterpret_cast<const char*>(f.data() + strtab + name);
    if (std::strncmp(s, ".text", 6) != 0 || off > f.size() || f.size() - off < size) continue;
    text.assign(f.begin() + off, f.begin() + off + size);
    address = addr;
    return true;
  }
  return false;
}

int usage() {
  std::fprintf(stderr,
               "usage: capstone_diff --known FILE [--show N] [--mode 16|32] [--seed S]\n"
               "         [--elf FILE] [--raw FILE [--address A]] [--random BYTES] [--dump HEX...]\n");
  return 2;
}

}  // namespace

// One input stream, with the mode, seed and address in force where it was named.
struct Input {
  std::string kind, value;
  int mode;
  u64 seed;
  u32 address;
};

int main(int argc, char** argv) {
  std::string known_path;
  std::vector<Input> inputs;
  int mode = 32;
  u64 seed = 1;
  u32 address = 0;
  unsigned show = 50;
  std::vector<u8> dump;
  bool dumping = false;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    auto value = [&]() -> std::string { return k + 1 < argc ? argv[++k] : ""; };
    if (a == "--known")
      known_path = value();
    else if (a == "--mode")
      mode = std::stoi(value());
    else if (a == "--seed")
      seed = std::stoull(value(), nullptr, 0);
    else if (a == "--address")
      address = static_cast<u32>(std::stoul(value(), nullptr, 0));
    else if (a == "--show")
      show = static_cast<unsigned>(std::stoul(value()));
    else if (a == "--elf" || a == "--raw" || a == "--random")
      inputs.push_back({a, value(), mode, seed, address});
    else if (a == "--dump")
      dumping = true;
    else if (dumping) {
      for (std::size_t n = 0; n + 1 < a.size(); n += 2) {
        u8 b;
        if (parse_hex_byte(a.substr(n, 2), b)) dump.push_back(b);
      }
    } else
      return usage();
  }
  if (mode != 16 && mode != 32) return usage();
  std::vector<KnownDisagreement> known;
  if (!known_path.empty()) {
    auto k = load_known(known_path);
    if (!k) return 2;
    known = std::move(*k);
  } else if (!dumping) {
    return usage();
  }
  Differ differ(std::move(known));
  differ.set_show_limit(show);
  if (dumping) {
    differ.dump(dump, mode);
    return 0;
  }
  if (inputs.empty()) return usage();
  for (const Input& in : inputs) {
    if (in.kind == "--random") {
      std::mt19937_64 rng(in.seed);
      const std::size_t n = std::stoull(in.value);
      std::vector<u8> bytes(n);
      for (u8& b : bytes) b = static_cast<u8>(rng());
      std::printf("random: %zu bytes, %d-bit, seed %" PRIu64 "\n", n, in.mode, in.seed);
      differ.walk(bytes.data(), bytes.size(), 0, in.mode);
      continue;
    }
    auto file = read_file(in.value);
    if (!file) {
      std::fprintf(stderr, "cannot read %s\n", in.value.c_str());
      return 2;
    }
    if (in.kind == "--elf") {
      std::vector<u8> text;
      u32 text_addr = 0;
      if (!elf_text(*file, text, text_addr)) {
        std::fprintf(stderr, "%s: no .text section in a 32-bit ELF file\n", in.value.c_str());
        return 2;
      }
      std::printf("%s: .text %zu bytes at 0x%08x, 32-bit\n", in.value.c_str(), text.size(), text_addr);
      differ.walk(text.data(), text.size(), text_addr, 32);
    } else {
      std::printf("%s: %zu bytes at 0x%08x, %d-bit\n", in.value.c_str(), file->size(), in.address, in.mode);
      differ.walk(file->data(), file->size(), in.address, in.mode);
    }
  }
  return differ.report();
}
