#include "translator/decoder.h"

#include <array>
#include <vector>

namespace emu {

namespace {

constexpr OpcodeEntry kInvalidRow{0xFFFF, -1, -1, Op::Invalid, {}, attr::kEndsBlock, 0, "(bad)"};

// Index from (map, opcode byte) to the table rows that share it; built once from the table.
struct Index {
  std::array<std::vector<const OpcodeEntry*>, 512> rows;
  std::array<bool, 512> modrm{};
  Index() {
    for (const OpcodeEntry& e : opcode_table()) {
      const unsigned slot = (e.code >> 8) == 0x0F ? 256 + (e.code & 0xFF) : e.code;
      rows[slot].push_back(&e);
    }
    for (unsigned slot = 0; slot < 512; ++slot)
      modrm[slot] = opcode_has_modrm(slot >= 256 ? 0x0F00 | (slot - 256) : slot);
  }
};

const Index& index() {
  static const Index idx;
  return idx;
}

bool is_x87_reg_only(const OpcodeEntry& e) { return (e.attrs & attr::kRegOnly) != 0; }

// Picks the row for a ModRM byte among those sharing an opcode.
const OpcodeEntry* select_row(const std::vector<const OpcodeEntry*>& rows, u8 mod, u8 reg, u8 rm) {
  const OpcodeEntry* fallback = nullptr;
  for (const OpcodeEntry* e : rows) {
    if (e->reg >= 0 && e->reg != reg) continue;
    if (e->rm >= 0 && e->rm != rm) continue;
    const bool reg_only = is_x87_reg_only(*e);
    if (reg_only && mod != 3) continue;
    if ((e->attrs & attr::kX87) && !reg_only && mod == 3) continue;  // x87 memory row
    if (e->rm >= 0) return e;                                        // the most specific match wins
    if (!fallback) fallback = e;
  }
  return fallback;
}

unsigned operand_bytes(Operand o, bool op32, bool addr32) {
  switch (o) {
    case Operand::Ib:
    case Operand::Ibs:
    case Operand::Jb: return 1;
    case Operand::Iw: return 2;
    case Operand::Iv:
    case Operand::Jz: return op32 ? 4 : 2;
    case Operand::Ap: return (op32 ? 4 : 2) + 2;
    case Operand::Ob:
    case Operand::Ov: return addr32 ? 4 : 2;
    default: return 0;
  }
}

}  // namespace

const OpcodeEntry& invalid_entry() { return kInvalidRow; }

DecodeStatus decode(const u8* bytes, std::size_t avail, bool code32, DecodedInsn& out) {
  out = DecodedInsn{};
  out.op32 = code32;
  out.addr32 = code32;
  std::size_t pos = 0;
  auto need = [&](std::size_t n) { return pos + n <= avail; };
  // Bytes missing: the instruction is cut off, unless it would be over 15 bytes anyway, which is
  // #GP whatever follows (so 15 available bytes always decide).
  auto missing = [&](std::size_t n) { return pos + n > 15 ? DecodeStatus::TooLong : DecodeStatus::Truncated; };
  auto too_long = [&] { return pos > 15; };

  // Prefixes (SDM Vol. 2A, 2.1.1): any order, any number, the last of a group wins.
  for (;;) {
    if (!need(1)) return missing(1);
    if (too_long()) return DecodeStatus::TooLong;
    const u8 b = bytes[pos];
    bool prefix = true;
    switch (b) {
      case 0x26:
        out.seg = Seg::ES;
        out.seg_override = true;
        break;
      case 0x2E:
        out.seg = Seg::CS;
        out.seg_override = true;
        break;
      case 0x36:
        out.seg = Seg::SS;
        out.seg_override = true;
        break;
      case 0x3E:
        out.seg = Seg::DS;
        out.seg_override = true;
        break;
      case 0x64:
        out.seg = Seg::FS;
        out.seg_override = true;
        break;
      case 0x65:
        out.seg = Seg::GS;
        out.seg_override = true;
        break;
      case 0x66: out.op32 = !code32; break;
      case 0x67: out.addr32 = !code32; break;
      case 0xF0: out.lock = true; break;
      case 0xF2: out.rep = RepPrefix::Repne; break;
      case 0xF3: out.rep = RepPrefix::Rep; break;
      default: prefix = false;
    }
    if (!prefix) break;
    ++pos;
    ++out.prefix_count;
  }

  // Opcode: one byte, or 0F and a second byte.
  unsigned slot = bytes[pos++];
  if (slot == 0x0F) {
    if (!need(1)) return missing(1);
    slot = 256 + bytes[pos++];
  }
  out.opcode = static_cast<u8>(slot);
  const Index& idx = index();
  const auto& rows = idx.rows[slot];

  const OpcodeEntry* e = nullptr;
  if (idx.modrm[slot]) {
    if (!need(1)) return missing(1);
    out.has_modrm = true;
    out.modrm = bytes[pos++];
    out.mod = out.modrm >> 6;
    out.reg = (out.modrm >> 3) & 7;
    out.rm = out.modrm & 7;
    // MOV to/from CRn/DRn ignores mod and always names a register (SDM Vol. 2B, MOV CR).
    if (slot >= 0x120 && slot <= 0x123) out.mod = 3;
    e = select_row(rows, out.mod, out.reg, out.rm);

    if (out.mod != 3) {
      // Memory operand: decode the addressing form (SDM Vol. 2A, Tables 2-1 and 2-2).
      if (out.addr32) {
        u8 rm = out.rm;
        if (rm == 4) {
          if (!need(1)) return missing(1);
          const u8 sib = bytes[pos++];
          out.scale = sib >> 6;
          const u8 index = (sib >> 3) & 7;
          out.index = index == 4 ? kNoReg : index;
          const u8 base = sib & 7;
          if (base == 5 && out.mod == 0) {
            out.base = kNoReg;
            if (!need(4)) return missing(4);
            out.disp = bytes[pos] | bytes[pos + 1] << 8 | bytes[pos + 2] << 16 | u32{bytes[pos + 3]} << 24;
            pos += 4;
          } else {
            out.base = base;
          }
        } else if (rm == 5 && out.mod == 0) {
          out.base = kNoReg;
          if (!need(4)) return missing(4);
          out.disp = bytes[pos] | bytes[pos + 1] << 8 | bytes[pos + 2] << 16 | u32{bytes[pos + 3]} << 24;
          pos += 4;
        } else {
          out.base = rm;
        }
        if (out.mod == 1) {
          if (!need(1)) return missing(1);
          out.disp = static_cast<u32>(static_cast<i8>(bytes[pos++]));
        } else if (out.mod == 2) {
          if (!need(4)) return missing(4);
          out.disp = bytes[pos] | bytes[pos + 1] << 8 | bytes[pos + 2] << 16 | u32{bytes[pos + 3]} << 24;
          pos += 4;
        }
        if (!out.seg_override) out.seg = (out.base == ESP || out.base == EBP) ? Seg::SS : Seg::DS;
      } else {
        // 16-bit forms: [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP]/disp16 [BX].
        static constexpr u8 kBase[8] = {EBX, EBX, EBP, EBP, kNoReg, kNoReg, EBP, EBX};
        static constexpr u8 kIndex[8] = {ESI, EDI, ESI, EDI, ESI, EDI, kNoReg, kNoReg};
        out.base = kBase[out.rm];
        out.index = kIndex[out.rm];
        if (out.mod == 0 && out.rm == 6) {
          out.base = kNoReg;
          if (!need(2)) return missing(2);
          out.disp = bytes[pos] | bytes[pos + 1] << 8;
          pos += 2;
        } else if (out.mod == 1) {
          if (!need(1)) return missing(1);
          out.disp = static_cast<u32>(static_cast<i8>(bytes[pos++]));
        } else if (out.mod == 2) {
          if (!need(2)) return missing(2);
          out.disp = bytes[pos] | bytes[pos + 1] << 8;
          pos += 2;
        }
        if (!out.seg_override) out.seg = out.base == EBP ? Seg::SS : Seg::DS;
      }
    }
  } else {
    e = rows.empty() ? nullptr : rows.front();
  }

  // Immediates, in operand order.
  if (e) {
    unsigned first = 0;
    for (Operand o : e->operands) {
      const unsigned n = operand_bytes(o, out.op32, out.addr32);
      if (!n) continue;
      if (!need(n)) return missing(n);
      u32 v = 0;
      // At most four bytes fit `v`; a far pointer's six are split below.
      for (unsigned k = 0; k < n && k < 4; ++k) v |= u32{bytes[pos + k]} << (8 * k);
      if (o == Operand::Ap) {
        // ptr16:16 / ptr16:32: the offset comes first, then the selector.
        const unsigned off_bytes = n - 2;
        v = 0;
        for (unsigned k = 0; k < off_bytes; ++k) v |= u32{bytes[pos + k]} << (8 * k);
        out.imm = v;
        out.imm2 = bytes[pos + off_bytes] | bytes[pos + off_bytes + 1] << 8;
      } else if (o == Operand::Ob || o == Operand::Ov) {
        out.disp = v;
        out.base = out.index = kNoReg;
        if (!out.seg_override) out.seg = Seg::DS;
      } else {
        if (o == Operand::Ibs || o == Operand::Jb) v = static_cast<u32>(static_cast<i8>(v));
        if (o == Operand::Jz && n == 2) v = static_cast<u32>(static_cast<i16>(v));
        if (first++ == 0)
          out.imm = v;
        else
          out.imm2 = v;
      }
      pos += n;
    }
  }
  if (pos > 15) return DecodeStatus::TooLong;
  out.len = static_cast<u8>(pos);

  // Illegal forms decode as #UD (SDM Vol. 2A, 2.1.1: LOCK with a non-lockable instruction or a
  // register destination is #UD).
  if (!e) e = &kInvalidRow;
  if ((e->attrs & attr::kMemOnly) && out.mod == 3 && !(e->attrs & attr::kX87)) e = &kInvalidRow;
  if (out.lock && (!(e->attrs & attr::kLockable) || !out.is_mem())) e = &kInvalidRow;
  // MOV to/from Sreg: ModRM.reg 6 and 7 name no segment register, and CS cannot be loaded by MOV;
  // both are #UD (SDM Vol. 2B, MOV, "Protected Mode Exceptions").
  const bool names_sreg = e->operands[0] == Operand::Sw || e->operands[1] == Operand::Sw;
  if (names_sreg && (out.reg > 5 || (e->op == Op::MovToSeg && out.reg == static_cast<u8>(Seg::CS)))) e = &kInvalidRow;
  out.entry = e;
  return DecodeStatus::Ok;
}

}  // namespace emu
