// The opcode table rows. Sources: SDM Vol. 2D, Appendix A (opcode maps) and the instruction
// pages of Vol. 2A-2C; undocumented-but-real P6 behaviour (SALC, SAL /6, the x87 register
// aliases, FFREEP) is marked as such, because real software and test suites use it.
#include "translator/opcode_table.h"

#include <array>

namespace emu {

namespace {

using enum Op;
using enum Operand;
using namespace attr;
using undef::kAll;
using undef::kNone;
constexpr u16 uCF = undef::CF, uPF = undef::PF, uAF = undef::AF, uZF = undef::ZF, uSF = undef::SF, uOF = undef::OF;

// Shift/rotate flags: AF undefined for shifts; OF defined only for 1-bit counts (the oracle masks
// OF when the count is not 1); CF undefined when the count exceeds the width.
constexpr u16 kShiftUndef = uAF | uOF;
constexpr u16 kRotateUndef = uOF;
constexpr u16 kMulUndef = uSF | uZF | uAF | uPF;

constexpr OpcodeEntry row(u16 code, Op op, std::array<Operand, 3> ops, u16 attrs, u16 undefined, const char* syntax) {
  return {code, -1, -1, op, ops, attrs, undefined, syntax};
}
constexpr OpcodeEntry grp(u16 code, int reg, Op op, std::array<Operand, 3> ops, u16 attrs, u16 undefined,
                          const char* syntax) {
  return {code, static_cast<i8>(reg), -1, op, ops, attrs, undefined, syntax};
}
constexpr OpcodeEntry fix(u16 code, int reg, int rm, Op op, std::array<Operand, 3> ops, u16 attrs, const char* syntax) {
  return {code, static_cast<i8>(reg), static_cast<i8>(rm), op, ops, static_cast<u16>(attrs | kRegOnly), kNone, syntax};
}

// The integer rows. (Laid out by hand: several short rows share a line where they differ only
// in the opcode's low bits.)
// clang-format off
constexpr auto kIntegerRows = std::to_array<OpcodeEntry>({
    // 00-3F: the eight ALU operations in six forms each (SDM Vol. 2D, Table A-2).
    row(0x00, Add, {Eb, Gb}, kLockable, kNone, "ADD r/m8, r8"),
    row(0x01, Add, {Ev, Gv}, kLockable, kNone, "ADD r/m32, r32"),
    row(0x02, Add, {Gb, Eb}, 0, kNone, "ADD r8, r/m8"),
    row(0x03, Add, {Gv, Ev}, 0, kNone, "ADD r32, r/m32"),
    row(0x04, Add, {AL, Ib}, 0, kNone, "ADD AL, imm8"),
    row(0x05, Add, {eAX, Iv}, 0, kNone, "ADD EAX, imm32"),
    row(0x06, PushSeg, {ES}, kSensitive, kNone, "PUSH ES"),
    row(0x07, PopSeg, {ES}, kSensitive, kNone, "POP ES"),
    row(0x08, Or, {Eb, Gb}, kLockable, uAF, "OR r/m8, r8"),
    row(0x09, Or, {Ev, Gv}, kLockable, uAF, "OR r/m32, r32"),
    row(0x0A, Or, {Gb, Eb}, 0, uAF, "OR r8, r/m8"),
    row(0x0B, Or, {Gv, Ev}, 0, uAF, "OR r32, r/m32"),
    row(0x0C, Or, {AL, Ib}, 0, uAF, "OR AL, imm8"),
    row(0x0D, Or, {eAX, Iv}, 0, uAF, "OR EAX, imm32"),
    row(0x0E, PushSeg, {CS}, kSensitive, kNone, "PUSH CS"),
    row(0x10, Adc, {Eb, Gb}, kLockable, kNone, "ADC r/m8, r8"),
    row(0x11, Adc, {Ev, Gv}, kLockable, kNone, "ADC r/m32, r32"),
    row(0x12, Adc, {Gb, Eb}, 0, kNone, "ADC r8, r/m8"),
    row(0x13, Adc, {Gv, Ev}, 0, kNone, "ADC r32, r/m32"),
    row(0x14, Adc, {AL, Ib}, 0, kNone, "ADC AL, imm8"),
    row(0x15, Adc, {eAX, Iv}, 0, kNone, "ADC EAX, imm32"),
    row(0x16, PushSeg, {SS}, kSensitive, kNone, "PUSH SS"),
    row(0x17, PopSeg, {SS}, kSensitive | kEndsBlock, kNone, "POP SS"),
    row(0x18, Sbb, {Eb, Gb}, kLockable, kNone, "SBB r/m8, r8"),
    row(0x19, Sbb, {Ev, Gv}, kLockable, kNone, "SBB r/m32, r32"),
    row(0x1A, Sbb, {Gb, Eb}, 0, kNone, "SBB r8, r/m8"),
    row(0x1B, Sbb, {Gv, Ev}, 0, kNone, "SBB r32, r/m32"),
    row(0x1C, Sbb, {AL, Ib}, 0, kNone, "SBB AL, imm8"),
    row(0x1D, Sbb, {eAX, Iv}, 0, kNone, "SBB EAX, imm32"),
    row(0x1E, PushSeg, {DS}, kSensitive, kNone, "PUSH DS"),
    row(0x1F, PopSeg, {DS}, kSensitive, kNone, "POP DS"),
    row(0x20, And, {Eb, Gb}, kLockable, uAF, "AND r/m8, r8"),
    row(0x21, And, {Ev, Gv}, kLockable, uAF, "AND r/m32, r32"),
    row(0x22, And, {Gb, Eb}, 0, uAF, "AND r8, r/m8"),
    row(0x23, And, {Gv, Ev}, 0, uAF, "AND r32, r/m32"),
    row(0x24, And, {AL, Ib}, 0, uAF, "AND AL, imm8"),
    row(0x25, And, {eAX, Iv}, 0, uAF, "AND EAX, imm32"),
    row(0x27, Daa, {}, 0, uOF, "DAA"),
    row(0x28, Sub, {Eb, Gb}, kLockable, kNone, "SUB r/m8, r8"),
    row(0x29, Sub, {Ev, Gv}, kLockable, kNone, "SUB r/m32, r32"),
    row(0x2A, Sub, {Gb, Eb}, 0, kNone, "SUB r8, r/m8"),
    row(0x2B, Sub, {Gv, Ev}, 0, kNone, "SUB r32, r/m32"),
    row(0x2C, Sub, {AL, Ib}, 0, kNone, "SUB AL, imm8"),
    row(0x2D, Sub, {eAX, Iv}, 0, kNone, "SUB EAX, imm32"),
    row(0x2F, Das, {}, 0, uOF, "DAS"),
    row(0x30, Xor, {Eb, Gb}, kLockable, uAF, "XOR r/m8, r8"),
    row(0x31, Xor, {Ev, Gv}, kLockable, uAF, "XOR r/m32, r32"),
    row(0x32, Xor, {Gb, Eb}, 0, uAF, "XOR r8, r/m8"),
    row(0x33, Xor, {Gv, Ev}, 0, uAF, "XOR r32, r/m32"),
    row(0x34, Xor, {AL, Ib}, 0, uAF, "XOR AL, imm8"),
    row(0x35, Xor, {eAX, Iv}, 0, uAF, "XOR EAX, imm32"),
    row(0x37, Aaa, {}, 0, uOF | uSF | uZF | uPF, "AAA"),
    row(0x38, Cmp, {Eb, Gb}, 0, kNone, "CMP r/m8, r8"),
    row(0x39, Cmp, {Ev, Gv}, 0, kNone, "CMP r/m32, r32"),
    row(0x3A, Cmp, {Gb, Eb}, 0, kNone, "CMP r8, r/m8"),
    row(0x3B, Cmp, {Gv, Ev}, 0, kNone, "CMP r32, r/m32"),
    row(0x3C, Cmp, {AL, Ib}, 0, kNone, "CMP AL, imm8"),
    row(0x3D, Cmp, {eAX, Iv}, 0, kNone, "CMP EAX, imm32"),
    row(0x3F, Aas, {}, 0, uOF | uSF | uZF | uPF, "AAS"),
    // 40-5F: INC, DEC, PUSH, POP with the register in the opcode.
    row(0x40, Inc, {Zv}, 0, kNone, "INC r32"), row(0x41, Inc, {Zv}, 0, kNone, "INC r32"),
    row(0x42, Inc, {Zv}, 0, kNone, "INC r32"), row(0x43, Inc, {Zv}, 0, kNone, "INC r32"),
    row(0x44, Inc, {Zv}, 0, kNone, "INC r32"), row(0x45, Inc, {Zv}, 0, kNone, "INC r32"),
    row(0x46, Inc, {Zv}, 0, kNone, "INC r32"), row(0x47, Inc, {Zv}, 0, kNone, "INC r32"),
    row(0x48, Dec, {Zv}, 0, kNone, "DEC r32"), row(0x49, Dec, {Zv}, 0, kNone, "DEC r32"),
    row(0x4A, Dec, {Zv}, 0, kNone, "DEC r32"), row(0x4B, Dec, {Zv}, 0, kNone, "DEC r32"),
    row(0x4C, Dec, {Zv}, 0, kNone, "DEC r32"), row(0x4D, Dec, {Zv}, 0, kNone, "DEC r32"),
    row(0x4E, Dec, {Zv}, 0, kNone, "DEC r32"), row(0x4F, Dec, {Zv}, 0, kNone, "DEC r32"),
    row(0x50, Push, {Zv}, 0, kNone, "PUSH r32"), row(0x51, Push, {Zv}, 0, kNone, "PUSH r32"),
    row(0x52, Push, {Zv}, 0, kNone, "PUSH r32"), row(0x53, Push, {Zv}, 0, kNone, "PUSH r32"),
    row(0x54, Push, {Zv}, 0, kNone, "PUSH r32"), row(0x55, Push, {Zv}, 0, kNone, "PUSH r32"),
    row(0x56, Push, {Zv}, 0, kNone, "PUSH r32"), row(0x57, Push, {Zv}, 0, kNone, "PUSH r32"),
    row(0x58, Pop, {Zv}, 0, kNone, "POP r32"), row(0x59, Pop, {Zv}, 0, kNone, "POP r32"),
    row(0x5A, Pop, {Zv}, 0, kNone, "POP r32"), row(0x5B, Pop, {Zv}, 0, kNone, "POP r32"),
    row(0x5C, Pop, {Zv}, 0, kNone, "POP r32"), row(0x5D, Pop, {Zv}, 0, kNone, "POP r32"),
    row(0x5E, Pop, {Zv}, 0, kNone, "POP r32"), row(0x5F, Pop, {Zv}, 0, kNone, "POP r32"),
    // 60-6F
    row(0x60, Pusha, {}, 0, kNone, "PUSHAD"),
    row(0x61, Popa, {}, 0, kNone, "POPAD"),
    row(0x62, Bound, {Gv, Ma}, kMemOnly, kNone, "BOUND r32, m32&32"),
    row(0x63, Arpl, {Ew, Gw}, kNoOp16, kNone, "ARPL r/m16, r16"),
    row(0x68, Push, {Iv}, 0, kNone, "PUSH imm32"),
    row(0x69, Imul3, {Gv, Ev, Iv}, 0, kMulUndef, "IMUL r32, r/m32, imm32"),
    row(0x6A, Push, {Ibs}, 0, kNone, "PUSH imm8"),
    row(0x6B, Imul3, {Gv, Ev, Ibs}, 0, kMulUndef, "IMUL r32, r/m32, imm8"),
    row(0x6C, Ins, {Yb, DX}, kIoplSensitive | kRep, kNone, "INS m8, DX"),
    row(0x6D, Ins, {Yv, DX}, kIoplSensitive | kRep, kNone, "INS m32, DX"),
    row(0x6E, Outs, {DX, Xb}, kIoplSensitive | kRep, kNone, "OUTS DX, m8"),
    row(0x6F, Outs, {DX, Xv}, kIoplSensitive | kRep, kNone, "OUTS DX, m32"),
    // 70-7F: Jcc rel8; the condition is the opcode's low nibble.
    row(0x70, Jcc, {Jb}, kEndsBlock, kNone, "JO rel8"), row(0x71, Jcc, {Jb}, kEndsBlock, kNone, "JNO rel8"),
    row(0x72, Jcc, {Jb}, kEndsBlock, kNone, "JB rel8"), row(0x73, Jcc, {Jb}, kEndsBlock, kNone, "JAE rel8"),
    row(0x74, Jcc, {Jb}, kEndsBlock, kNone, "JE rel8"), row(0x75, Jcc, {Jb}, kEndsBlock, kNone, "JNE rel8"),
    row(0x76, Jcc, {Jb}, kEndsBlock, kNone, "JBE rel8"), row(0x77, Jcc, {Jb}, kEndsBlock, kNone, "JA rel8"),
    row(0x78, Jcc, {Jb}, kEndsBlock, kNone, "JS rel8"), row(0x79, Jcc, {Jb}, kEndsBlock, kNone, "JNS rel8"),
    row(0x7A, Jcc, {Jb}, kEndsBlock, kNone, "JP rel8"), row(0x7B, Jcc, {Jb}, kEndsBlock, kNone, "JNP rel8"),
    row(0x7C, Jcc, {Jb}, kEndsBlock, kNone, "JL rel8"), row(0x7D, Jcc, {Jb}, kEndsBlock, kNone, "JGE rel8"),
    row(0x7E, Jcc, {Jb}, kEndsBlock, kNone, "JLE rel8"), row(0x7F, Jcc, {Jb}, kEndsBlock, kNone, "JG rel8"),
    // 80-83: group 1. 82 is an alias of 80 (valid outside 64-bit mode).
    grp(0x80, 0, Add, {Eb, Ib}, kLockable, kNone, "ADD r/m8, imm8"),
    grp(0x80, 1, Or, {Eb, Ib}, kLockable, uAF, "OR r/m8, imm8"),
    grp(0x80, 2, Adc, {Eb, Ib}, kLockable, kNone, "ADC r/m8, imm8"),
    grp(0x80, 3, Sbb, {Eb, Ib}, kLockable, kNone, "SBB r/m8, imm8"),
    grp(0x80, 4, And, {Eb, Ib}, kLockable, uAF, "AND r/m8, imm8"),
    grp(0x80, 5, Sub, {Eb, Ib}, kLockable, kNone, "SUB r/m8, imm8"),
    grp(0x80, 6, Xor, {Eb, Ib}, kLockable, uAF, "XOR r/m8, imm8"),
    grp(0x80, 7, Cmp, {Eb, Ib}, 0, kNone, "CMP r/m8, imm8"),
    grp(0x81, 0, Add, {Ev, Iv}, kLockable, kNone, "ADD r/m32, imm32"),
    grp(0x81, 1, Or, {Ev, Iv}, kLockable, uAF, "OR r/m32, imm32"),
    grp(0x81, 2, Adc, {Ev, Iv}, kLockable, kNone, "ADC r/m32, imm32"),
    grp(0x81, 3, Sbb, {Ev, Iv}, kLockable, kNone, "SBB r/m32, imm32"),
    grp(0x81, 4, And, {Ev, Iv}, kLockable, uAF, "AND r/m32, imm32"),
    grp(0x81, 5, Sub, {Ev, Iv}, kLockable, kNone, "SUB r/m32, imm32"),
    grp(0x81, 6, Xor, {Ev, Iv}, kLockable, uAF, "XOR r/m32, imm32"),
    grp(0x81, 7, Cmp, {Ev, Iv}, 0, kNone, "CMP r/m32, imm32"),
    grp(0x82, 0, Add, {Eb, Ib}, kLockable, kNone, "ADD r/m8, imm8 (alias of 80 /0)"),
    grp(0x82, 1, Or, {Eb, Ib}, kLockable, uAF, "OR r/m8, imm8 (alias of 80 /1)"),
    grp(0x82, 2, Adc, {Eb, Ib}, kLockable, kNone, "ADC r/m8, imm8 (alias of 80 /2)"),
    grp(0x82, 3, Sbb, {Eb, Ib}, kLockable, kNone, "SBB r/m8, imm8 (alias of 80 /3)"),
    grp(0x82, 4, And, {Eb, Ib}, kLockable, uAF, "AND r/m8, imm8 (alias of 80 /4)"),
    grp(0x82, 5, Sub, {Eb, Ib}, kLockable, kNone, "SUB r/m8, imm8 (alias of 80 /5)"),
    grp(0x82, 6, Xor, {Eb, Ib}, kLockable, uAF, "XOR r/m8, imm8 (alias of 80 /6)"),
    grp(0x82, 7, Cmp, {Eb, Ib}, 0, kNone, "CMP r/m8, imm8 (alias of 80 /7)"),
    grp(0x83, 0, Add, {Ev, Ibs}, kLockable, kNone, "ADD r/m32, imm8"),
    grp(0x83, 1, Or, {Ev, Ibs}, kLockable, uAF, "OR r/m32, imm8"),
    grp(0x83, 2, Adc, {Ev, Ibs}, kLockable, kNone, "ADC r/m32, imm8"),
    grp(0x83, 3, Sbb, {Ev, Ibs}, kLockable, kNone, "SBB r/m32, imm8"),
    grp(0x83, 4, And, {Ev, Ibs}, kLockable, uAF, "AND r/m32, imm8"),
    grp(0x83, 5, Sub, {Ev, Ibs}, kLockable, kNone, "SUB r/m32, imm8"),
    grp(0x83, 6, Xor, {Ev, Ibs}, kLockable, uAF, "XOR r/m32, imm8"),
    grp(0x83, 7, Cmp, {Ev, Ibs}, 0, kNone, "CMP r/m32, imm8"),
    row(0x84, Test, {Eb, Gb}, 0, uAF, "TEST r/m8, r8"),
    row(0x85, Test, {Ev, Gv}, 0, uAF, "TEST r/m32, r32"),
    row(0x86, Xchg, {Eb, Gb}, kLockable, kNone, "XCHG r/m8, r8"),
    row(0x87, Xchg, {Ev, Gv}, kLockable, kNone, "XCHG r/m32, r32"),
    row(0x88, Mov, {Eb, Gb}, 0, kNone, "MOV r/m8, r8"),
    row(0x89, Mov, {Ev, Gv}, 0, kNone, "MOV r/m32, r32"),
    row(0x8A, Mov, {Gb, Eb}, 0, kNone, "MOV r8, r/m8"),
    row(0x8B, Mov, {Gv, Ev}, 0, kNone, "MOV r32, r/m32"),
    row(0x8C, MovFromSeg, {Ev, Sw}, kSensitive, kNone, "MOV r/m16, Sreg"),
    row(0x8D, Lea, {Gv, M}, kMemOnly, kNone, "LEA r32, m"),
    row(0x8E, MovToSeg, {Sw, Ew}, kSensitive | kNoOp16, kNone, "MOV Sreg, r/m16"),
    grp(0x8F, 0, Pop, {Ev}, 0, kNone, "POP r/m32"),
    // 90-9F
    row(0x90, Nop, {}, kNoOp16, kNone, "NOP"),
    row(0x91, Xchg, {Zv, eAX}, 0, kNone, "XCHG r32, EAX"), row(0x92, Xchg, {Zv, eAX}, 0, kNone, "XCHG r32, EAX"),
    row(0x93, Xchg, {Zv, eAX}, 0, kNone, "XCHG r32, EAX"), row(0x94, Xchg, {Zv, eAX}, 0, kNone, "XCHG r32, EAX"),
    row(0x95, Xchg, {Zv, eAX}, 0, kNone, "XCHG r32, EAX"), row(0x96, Xchg, {Zv, eAX}, 0, kNone, "XCHG r32, EAX"),
    row(0x97, Xchg, {Zv, eAX}, 0, kNone, "XCHG r32, EAX"),
    row(0x98, Cbw, {}, 0, kNone, "CWDE"),
    row(0x99, Cwd, {}, 0, kNone, "CDQ"),
    row(0x9A, CallFar, {Ap}, kSensitive | kEndsBlock, kNone, "CALL ptr16:32"),
    row(0x9B, Wait, {}, kNoOp16 | kX87, kNone, "WAIT"),
    row(0x9C, Pushf, {}, kSensitive | kIoplSensitive, kNone, "PUSHFD"),
    row(0x9D, Popf, {}, kSensitive | kIoplSensitive | kEndsBlock, kNone, "POPFD"),
    row(0x9E, Sahf, {}, kNoOp16, kNone, "SAHF"),
    row(0x9F, Lahf, {}, kNoOp16, kNone, "LAHF"),
    // A0-AF: moffs moves and string instructions.
    row(0xA0, Mov, {AL, Ob}, 0, kNone, "MOV AL, moffs8"),
    row(0xA1, Mov, {eAX, Ov}, 0, kNone, "MOV EAX, moffs32"),
    row(0xA2, Mov, {Ob, AL}, 0, kNone, "MOV moffs8, AL"),
    row(0xA3, Mov, {Ov, eAX}, 0, kNone, "MOV moffs32, EAX"),
    row(0xA4, Movs, {Yb, Xb}, kRep, kNone, "MOVS m8, m8"),
    row(0xA5, Movs, {Yv, Xv}, kRep, kNone, "MOVS m32, m32"),
    row(0xA6, Cmps, {Xb, Yb}, kRep, kNone, "CMPS m8, m8"),
    row(0xA7, Cmps, {Xv, Yv}, kRep, kNone, "CMPS m32, m32"),
    row(0xA8, Test, {AL, Ib}, 0, uAF, "TEST AL, imm8"),
    row(0xA9, Test, {eAX, Iv}, 0, uAF, "TEST EAX, imm32"),
    row(0xAA, Stos, {Yb, AL}, kRep, kNone, "STOS m8"),
    row(0xAB, Stos, {Yv, eAX}, kRep, kNone, "STOS m32"),
    row(0xAC, Lods, {AL, Xb}, kRep, kNone, "LODS m8"),
    row(0xAD, Lods, {eAX, Xv}, kRep, kNone, "LODS m32"),
    row(0xAE, Scas, {AL, Yb}, kRep, kNone, "SCAS m8"),
    row(0xAF, Scas, {eAX, Yv}, kRep, kNone, "SCAS m32"),
    // B0-BF: MOV reg, imm.
    row(0xB0, Mov, {Zb, Ib}, 0, kNone, "MOV r8, imm8"), row(0xB1, Mov, {Zb, Ib}, 0, kNone, "MOV r8, imm8"),
    row(0xB2, Mov, {Zb, Ib}, 0, kNone, "MOV r8, imm8"), row(0xB3, Mov, {Zb, Ib}, 0, kNone, "MOV r8, imm8"),
    row(0xB4, Mov, {Zb, Ib}, 0, kNone, "MOV r8, imm8"), row(0xB5, Mov, {Zb, Ib}, 0, kNone, "MOV r8, imm8"),
    row(0xB6, Mov, {Zb, Ib}, 0, kNone, "MOV r8, imm8"), row(0xB7, Mov, {Zb, Ib}, 0, kNone, "MOV r8, imm8"),
    row(0xB8, Mov, {Zv, Iv}, 0, kNone, "MOV r32, imm32"), row(0xB9, Mov, {Zv, Iv}, 0, kNone, "MOV r32, imm32"),
    row(0xBA, Mov, {Zv, Iv}, 0, kNone, "MOV r32, imm32"), row(0xBB, Mov, {Zv, Iv}, 0, kNone, "MOV r32, imm32"),
    row(0xBC, Mov, {Zv, Iv}, 0, kNone, "MOV r32, imm32"), row(0xBD, Mov, {Zv, Iv}, 0, kNone, "MOV r32, imm32"),
    row(0xBE, Mov, {Zv, Iv}, 0, kNone, "MOV r32, imm32"), row(0xBF, Mov, {Zv, Iv}, 0, kNone, "MOV r32, imm32"),
    // C0-C1, D0-D3: group 2 shifts and rotates. /6 is an undocumented alias of SHL (SAL).
    grp(0xC0, 0, Rol, {Eb, Ib}, 0, kRotateUndef, "ROL r/m8, imm8"),
    grp(0xC0, 1, Ror, {Eb, Ib}, 0, kRotateUndef, "ROR r/m8, imm8"),
    grp(0xC0, 2, Rcl, {Eb, Ib}, 0, kRotateUndef, "RCL r/m8, imm8"),
    grp(0xC0, 3, Rcr, {Eb, Ib}, 0, kRotateUndef, "RCR r/m8, imm8"),
    grp(0xC0, 4, Shl, {Eb, Ib}, 0, kShiftUndef, "SHL r/m8, imm8"),
    grp(0xC0, 5, Shr, {Eb, Ib}, 0, kShiftUndef, "SHR r/m8, imm8"),
    grp(0xC0, 6, Shl, {Eb, Ib}, 0, kShiftUndef, "SAL r/m8, imm8 (undocumented /6)"),
    grp(0xC0, 7, Sar, {Eb, Ib}, 0, kShiftUndef, "SAR r/m8, imm8"),
    grp(0xC1, 0, Rol, {Ev, Ib}, 0, kRotateUndef, "ROL r/m32, imm8"),
    grp(0xC1, 1, Ror, {Ev, Ib}, 0, kRotateUndef, "ROR r/m32, imm8"),
    grp(0xC1, 2, Rcl, {Ev, Ib}, 0, kRotateUndef, "RCL r/m32, imm8"),
    grp(0xC1, 3, Rcr, {Ev, Ib}, 0, kRotateUndef, "RCR r/m32, imm8"),
    grp(0xC1, 4, Shl, {Ev, Ib}, 0, kShiftUndef, "SHL r/m32, imm8"),
    grp(0xC1, 5, Shr, {Ev, Ib}, 0, kShiftUndef, "SHR r/m32, imm8"),
    grp(0xC1, 6, Shl, {Ev, Ib}, 0, kShiftUndef, "SAL r/m32, imm8 (undocumented /6)"),
    grp(0xC1, 7, Sar, {Ev, Ib}, 0, kShiftUndef, "SAR r/m32, imm8"),
    row(0xC2, Ret, {Iw}, kEndsBlock, kNone, "RET imm16"),
    row(0xC3, Ret, {}, kEndsBlock, kNone, "RET"),
    row(0xC4, Les, {Gv, Mp}, kMemOnly | kSensitive, kNone, "LES r32, m16:32"),
    row(0xC5, Lds, {Gv, Mp}, kMemOnly | kSensitive, kNone, "LDS r32, m16:32"),
    grp(0xC6, 0, Mov, {Eb, Ib}, 0, kNone, "MOV r/m8, imm8"),
    grp(0xC7, 0, Mov, {Ev, Iv}, 0, kNone, "MOV r/m32, imm32"),
    row(0xC8, Enter, {Iw, Ib}, 0, kNone, "ENTER imm16, imm8"),
    row(0xC9, Leave, {}, 0, kNone, "LEAVE"),
    row(0xCA, RetFar, {Iw}, kSensitive | kEndsBlock, kNone, "RETF imm16"),
    row(0xCB, RetFar, {}, kSensitive | kEndsBlock, kNone, "RETF"),
    row(0xCC, Int3, {}, kEndsBlock | kNoOp16, kNone, "INT3"),
    row(0xCD, IntN, {Ib}, kSensitive | kIoplSensitive | kEndsBlock | kNoOp16, kNone, "INT imm8"),
    row(0xCE, Into, {}, kEndsBlock | kNoOp16, kNone, "INTO"),
    row(0xCF, Iret, {}, kIoplSensitive | kEndsBlock, kNone, "IRETD"),
    grp(0xD0, 0, Rol, {Eb, One}, 0, kNone, "ROL r/m8, 1"),
    grp(0xD0, 1, Ror, {Eb, One}, 0, kNone, "ROR r/m8, 1"),
    grp(0xD0, 2, Rcl, {Eb, One}, 0, kNone, "RCL r/m8, 1"),
    grp(0xD0, 3, Rcr, {Eb, One}, 0, kNone, "RCR r/m8, 1"),
    grp(0xD0, 4, Shl, {Eb, One}, 0, uAF, "SHL r/m8, 1"),
    grp(0xD0, 5, Shr, {Eb, One}, 0, uAF, "SHR r/m8, 1"),
    grp(0xD0, 6, Shl, {Eb, One}, 0, uAF, "SAL r/m8, 1 (undocumented /6)"),
    grp(0xD0, 7, Sar, {Eb, One}, 0, uAF, "SAR r/m8, 1"),
    grp(0xD1, 0, Rol, {Ev, One}, 0, kNone, "ROL r/m32, 1"),
    grp(0xD1, 1, Ror, {Ev, One}, 0, kNone, "ROR r/m32, 1"),
    grp(0xD1, 2, Rcl, {Ev, One}, 0, kNone, "RCL r/m32, 1"),
    grp(0xD1, 3, Rcr, {Ev, One}, 0, kNone, "RCR r/m32, 1"),
    grp(0xD1, 4, Shl, {Ev, One}, 0, uAF, "SHL r/m32, 1"),
    grp(0xD1, 5, Shr, {Ev, One}, 0, uAF, "SHR r/m32, 1"),
    grp(0xD1, 6, Shl, {Ev, One}, 0, uAF, "SAL r/m32, 1 (undocumented /6)"),
    grp(0xD1, 7, Sar, {Ev, One}, 0, uAF, "SAR r/m32, 1"),
    grp(0xD2, 0, Rol, {Eb, CL}, 0, kRotateUndef, "ROL r/m8, CL"),
    grp(0xD2, 1, Ror, {Eb, CL}, 0, kRotateUndef, "ROR r/m8, CL"),
    grp(0xD2, 2, Rcl, {Eb, CL}, 0, kRotateUndef, "RCL r/m8, CL"),
    grp(0xD2, 3, Rcr, {Eb, CL}, 0, kRotateUndef, "RCR r/m8, CL"),
    grp(0xD2, 4, Shl, {Eb, CL}, 0, kShiftUndef, "SHL r/m8, CL"),
    grp(0xD2, 5, Shr, {Eb, CL}, 0, kShiftUndef, "SHR r/m8, CL"),
    grp(0xD2, 6, Shl, {Eb, CL}, 0, kShiftUndef, "SAL r/m8, CL (undocumented /6)"),
    grp(0xD2, 7, Sar, {Eb, CL}, 0, kShiftUndef, "SAR r/m8, CL"),
    grp(0xD3, 0, Rol, {Ev, CL}, 0, kRotateUndef, "ROL r/m32, CL"),
    grp(0xD3, 1, Ror, {Ev, CL}, 0, kRotateUndef, "ROR r/m32, CL"),
    grp(0xD3, 2, Rcl, {Ev, CL}, 0, kRotateUndef, "RCL r/m32, CL"),
    grp(0xD3, 3, Rcr, {Ev, CL}, 0, kRotateUndef, "RCR r/m32, CL"),
    grp(0xD3, 4, Shl, {Ev, CL}, 0, kShiftUndef, "SHL r/m32, CL"),
    grp(0xD3, 5, Shr, {Ev, CL}, 0, kShiftUndef, "SHR r/m32, CL"),
    grp(0xD3, 6, Shl, {Ev, CL}, 0, kShiftUndef, "SAL r/m32, CL (undocumented /6)"),
    grp(0xD3, 7, Sar, {Ev, CL}, 0, kShiftUndef, "SAR r/m32, CL"),
    row(0xD4, Aam, {Ib}, kNoOp16, uOF | uAF | uCF, "AAM imm8"),
    row(0xD5, Aad, {Ib}, kNoOp16, uOF | uAF | uCF, "AAD imm8"),
    row(0xD6, Salc, {}, kNoOp16, kNone, "SALC (undocumented)"),
    row(0xD7, Xlat, {}, kNoOp16, kNone, "XLAT m8"),
    // E0-EF
    row(0xE0, Loopne, {Jb}, kEndsBlock, kNone, "LOOPNE rel8"),
    row(0xE1, Loope, {Jb}, kEndsBlock, kNone, "LOOPE rel8"),
    row(0xE2, Loop, {Jb}, kEndsBlock, kNone, "LOOP rel8"),
    row(0xE3, Jcxz, {Jb}, kEndsBlock, kNone, "JECXZ rel8"),
    row(0xE4, In, {AL, Ib}, kIoplSensitive, kNone, "IN AL, imm8"),
    row(0xE5, In, {eAX, Ib}, kIoplSensitive, kNone, "IN EAX, imm8"),
    row(0xE6, Out, {Ib, AL}, kIoplSensitive, kNone, "OUT imm8, AL"),
    row(0xE7, Out, {Ib, eAX}, kIoplSensitive, kNone, "OUT imm8, EAX"),
    row(0xE8, Call, {Jz}, kEndsBlock, kNone, "CALL rel32"),
    row(0xE9, Jmp, {Jz}, kEndsBlock, kNone, "JMP rel32"),
    row(0xEA, JmpFar, {Ap}, kSensitive | kEndsBlock, kNone, "JMP ptr16:32"),
    row(0xEB, Jmp, {Jb}, kEndsBlock, kNone, "JMP rel8"),
    row(0xEC, In, {AL, DX}, kIoplSensitive, kNone, "IN AL, DX"),
    row(0xED, In, {eAX, DX}, kIoplSensitive, kNone, "IN EAX, DX"),
    row(0xEE, Out, {DX, AL}, kIoplSensitive, kNone, "OUT DX, AL"),
    row(0xEF, Out, {DX, eAX}, kIoplSensitive, kNone, "OUT DX, EAX"),
    // F0-FF
    row(0xF1, Int1, {}, kEndsBlock | kNoOp16, kNone, "INT1 (ICEBP)"),
    row(0xF4, Hlt, {}, kPrivileged | kEndsBlock | kNoOp16, kNone, "HLT"),
    row(0xF5, Cmc, {}, kNoOp16, kNone, "CMC"),
    grp(0xF6, 0, Test, {Eb, Ib}, 0, uAF, "TEST r/m8, imm8"),
    grp(0xF6, 1, Test, {Eb, Ib}, 0, uAF, "TEST r/m8, imm8 (undocumented /1)"),
    grp(0xF6, 2, Not, {Eb}, kLockable, kNone, "NOT r/m8"),
    grp(0xF6, 3, Neg, {Eb}, kLockable, kNone, "NEG r/m8"),
    grp(0xF6, 4, Mul, {Eb}, 0, kMulUndef, "MUL r/m8"),
    grp(0xF6, 5, Imul1, {Eb}, 0, kMulUndef, "IMUL r/m8"),
    grp(0xF6, 6, Div, {Eb}, 0, kAll, "DIV r/m8"),
    grp(0xF6, 7, Idiv, {Eb}, 0, kAll, "IDIV r/m8"),
    grp(0xF7, 0, Test, {Ev, Iv}, 0, uAF, "TEST r/m32, imm32"),
    grp(0xF7, 1, Test, {Ev, Iv}, 0, uAF, "TEST r/m32, imm32 (undocumented /1)"),
    grp(0xF7, 2, Not, {Ev}, kLockable, kNone, "NOT r/m32"),
    grp(0xF7, 3, Neg, {Ev}, kLockable, kNone, "NEG r/m32"),
    grp(0xF7, 4, Mul, {Ev}, 0, kMulUndef, "MUL r/m32"),
    grp(0xF7, 5, Imul1, {Ev}, 0, kMulUndef, "IMUL r/m32"),
    grp(0xF7, 6, Div, {Ev}, 0, kAll, "DIV r/m32"),
    grp(0xF7, 7, Idiv, {Ev}, 0, kAll, "IDIV r/m32"),
    row(0xF8, Clc, {}, kNoOp16, kNone, "CLC"),
    row(0xF9, Stc, {}, kNoOp16, kNone, "STC"),
    row(0xFA, Cli, {}, kIoplSensitive | kNoOp16, kNone, "CLI"),
    row(0xFB, Sti, {}, kIoplSensitive | kEndsBlock | kNoOp16, kNone, "STI"),
    row(0xFC, Cld, {}, kNoOp16, kNone, "CLD"),
    row(0xFD, Std, {}, kNoOp16, kNone, "STD"),
    grp(0xFE, 0, Inc, {Eb}, kLockable, kNone, "INC r/m8"),
    grp(0xFE, 1, Dec, {Eb}, kLockable, kNone, "DEC r/m8"),
    grp(0xFF, 0, Inc, {Ev}, kLockable, kNone, "INC r/m32"),
    grp(0xFF, 1, Dec, {Ev}, kLockable, kNone, "DEC r/m32"),
    grp(0xFF, 2, CallIndirect, {Ev}, kEndsBlock, kNone, "CALL r/m32"),
    grp(0xFF, 3, CallFarIndirect, {Mp}, kSensitive | kEndsBlock | kMemOnly, kNone, "CALL m16:32"),
    grp(0xFF, 4, JmpIndirect, {Ev}, kEndsBlock, kNone, "JMP r/m32"),
    grp(0xFF, 5, JmpFarIndirect, {Mp}, kSensitive | kEndsBlock | kMemOnly, kNone, "JMP m16:32"),
    grp(0xFF, 6, Push, {Ev}, 0, kNone, "PUSH r/m32"),

    // ---- two-byte map (0F xx), SDM Vol. 2D, Table A-3 ----
    grp(0x0F00, 0, Sldt, {Ew}, kSensitive | kNoOp16, kNone, "SLDT r/m16"),
    grp(0x0F00, 1, Str, {Ew}, kSensitive | kNoOp16, kNone, "STR r/m16"),
    grp(0x0F00, 2, Lldt, {Ew}, kPrivileged | kNoOp16, kNone, "LLDT r/m16"),
    grp(0x0F00, 3, Ltr, {Ew}, kPrivileged | kNoOp16, kNone, "LTR r/m16"),
    grp(0x0F00, 4, Verr, {Ew}, kSensitive | kNoOp16, kNone, "VERR r/m16"),
    grp(0x0F00, 5, Verw, {Ew}, kSensitive | kNoOp16, kNone, "VERW r/m16"),
    grp(0x0F01, 0, Sgdt, {M}, kSensitive | kMemOnly, kNone, "SGDT m"),
    grp(0x0F01, 1, Sidt, {M}, kSensitive | kMemOnly, kNone, "SIDT m"),
    grp(0x0F01, 2, Lgdt, {M}, kPrivileged | kMemOnly, kNone, "LGDT m16&32"),
    grp(0x0F01, 3, Lidt, {M}, kPrivileged | kMemOnly, kNone, "LIDT m16&32"),
    grp(0x0F01, 4, Smsw, {Ew}, kSensitive | kNoOp16, kNone, "SMSW r/m16"),
    grp(0x0F01, 6, Lmsw, {Ew}, kPrivileged | kEndsBlock | kNoOp16, kNone, "LMSW r/m16"),
    grp(0x0F01, 7, Invlpg, {M}, kPrivileged | kMemOnly | kEndsBlock, kNone, "INVLPG m"),
    row(0x0F02, Lar, {Gv, Ew}, kSensitive, kNone, "LAR r32, r/m16"),
    row(0x0F03, Lsl, {Gv, Ew}, kSensitive, kNone, "LSL r32, r/m16"),
    row(0x0F06, Clts, {}, kPrivileged | kNoOp16, kNone, "CLTS"),
    row(0x0F08, Invd, {}, kPrivileged | kNoOp16, kNone, "INVD"),
    row(0x0F09, Wbinvd, {}, kPrivileged | kNoOp16, kNone, "WBINVD"),
    row(0x0F0B, Ud2, {}, kEndsBlock | kNoOp16, kNone, "UD2"),
    // 0F 1F /0: the multi-byte NOP, introduced with the P6 family (SDM Vol. 2B, NOP). The rest of
    // the hint-NOP space the P6 reserved, 0F 18 /4-7, 0F 19-1E and 0F 1F /1-7, also executes as a
    // NOP (Bochs and QEMU decode it so); 0F 18 /0-3 became PREFETCHh with SSE and stays #UD here.
    grp(0x0F18, 4, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"), grp(0x0F18, 5, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"),
    grp(0x0F18, 6, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"), grp(0x0F18, 7, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"),
    row(0x0F19, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"), row(0x0F1A, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"),
    row(0x0F1B, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"), row(0x0F1C, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"),
    row(0x0F1D, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"), row(0x0F1E, Nop, {Ev}, 0, kNone, "NOP r/m32 (hint NOP)"),
    row(0x0F1F, Nop, {Ev}, 0, kNone, "NOP r/m32"),
    // MOV to/from control and debug registers: ModRM.mod is ignored and read as 11b
    // (SDM Vol. 2B, MOV—Move to/from Control Registers).
    row(0x0F20, MovFromCr, {Rd, Cd}, kPrivileged | kNoOp16, kAll, "MOV r32, CR0-CR7"),
    row(0x0F21, MovFromDr, {Rd, Dd}, kPrivileged | kNoOp16, kAll, "MOV r32, DR0-DR7"),
    row(0x0F22, MovToCr, {Cd, Rd}, kPrivileged | kEndsBlock | kNoOp16, kAll, "MOV CR0-CR7, r32"),
    row(0x0F23, MovToDr, {Dd, Rd}, kPrivileged | kEndsBlock | kNoOp16, kAll, "MOV DR0-DR7, r32"),
    row(0x0F30, Wrmsr, {}, kPrivileged | kEndsBlock | kNoOp16, kNone, "WRMSR"),
    row(0x0F31, Rdtsc, {}, kNoOp16, kNone, "RDTSC"),
    row(0x0F32, Rdmsr, {}, kPrivileged | kNoOp16, kNone, "RDMSR"),
    row(0x0F33, Rdpmc, {}, kNoOp16, kNone, "RDPMC"),
    row(0x0F34, Sysenter, {}, kEndsBlock | kNoOp16, kNone, "SYSENTER"),
    row(0x0F35, Sysexit, {}, kPrivileged | kEndsBlock | kNoOp16, kNone, "SYSEXIT"),
    row(0x0F40, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVO r32, r/m32"), row(0x0F41, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVNO r32, r/m32"),
    row(0x0F42, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVB r32, r/m32"), row(0x0F43, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVAE r32, r/m32"),
    row(0x0F44, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVE r32, r/m32"), row(0x0F45, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVNE r32, r/m32"),
    row(0x0F46, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVBE r32, r/m32"), row(0x0F47, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVA r32, r/m32"),
    row(0x0F48, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVS r32, r/m32"), row(0x0F49, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVNS r32, r/m32"),
    row(0x0F4A, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVP r32, r/m32"), row(0x0F4B, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVNP r32, r/m32"),
    row(0x0F4C, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVL r32, r/m32"), row(0x0F4D, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVGE r32, r/m32"),
    row(0x0F4E, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVLE r32, r/m32"), row(0x0F4F, Cmovcc, {Gv, Ev}, 0, kNone, "CMOVG r32, r/m32"),
    row(0x0F80, Jcc, {Jz}, kEndsBlock, kNone, "JO rel32"), row(0x0F81, Jcc, {Jz}, kEndsBlock, kNone, "JNO rel32"),
    row(0x0F82, Jcc, {Jz}, kEndsBlock, kNone, "JB rel32"), row(0x0F83, Jcc, {Jz}, kEndsBlock, kNone, "JAE rel32"),
    row(0x0F84, Jcc, {Jz}, kEndsBlock, kNone, "JE rel32"), row(0x0F85, Jcc, {Jz}, kEndsBlock, kNone, "JNE rel32"),
    row(0x0F86, Jcc, {Jz}, kEndsBlock, kNone, "JBE rel32"), row(0x0F87, Jcc, {Jz}, kEndsBlock, kNone, "JA rel32"),
    row(0x0F88, Jcc, {Jz}, kEndsBlock, kNone, "JS rel32"), row(0x0F89, Jcc, {Jz}, kEndsBlock, kNone, "JNS rel32"),
    row(0x0F8A, Jcc, {Jz}, kEndsBlock, kNone, "JP rel32"), row(0x0F8B, Jcc, {Jz}, kEndsBlock, kNone, "JNP rel32"),
    row(0x0F8C, Jcc, {Jz}, kEndsBlock, kNone, "JL rel32"), row(0x0F8D, Jcc, {Jz}, kEndsBlock, kNone, "JGE rel32"),
    row(0x0F8E, Jcc, {Jz}, kEndsBlock, kNone, "JLE rel32"), row(0x0F8F, Jcc, {Jz}, kEndsBlock, kNone, "JG rel32"),
    // SETcc: ModRM.reg is ignored.
    row(0x0F90, Setcc, {Eb}, kNoOp16, kNone, "SETO r/m8"), row(0x0F91, Setcc, {Eb}, kNoOp16, kNone, "SETNO r/m8"),
    row(0x0F92, Setcc, {Eb}, kNoOp16, kNone, "SETB r/m8"), row(0x0F93, Setcc, {Eb}, kNoOp16, kNone, "SETAE r/m8"),
    row(0x0F94, Setcc, {Eb}, kNoOp16, kNone, "SETE r/m8"), row(0x0F95, Setcc, {Eb}, kNoOp16, kNone, "SETNE r/m8"),
    row(0x0F96, Setcc, {Eb}, kNoOp16, kNone, "SETBE r/m8"), row(0x0F97, Setcc, {Eb}, kNoOp16, kNone, "SETA r/m8"),
    row(0x0F98, Setcc, {Eb}, kNoOp16, kNone, "SETS r/m8"), row(0x0F99, Setcc, {Eb}, kNoOp16, kNone, "SETNS r/m8"),
    row(0x0F9A, Setcc, {Eb}, kNoOp16, kNone, "SETP r/m8"), row(0x0F9B, Setcc, {Eb}, kNoOp16, kNone, "SETNP r/m8"),
    row(0x0F9C, Setcc, {Eb}, kNoOp16, kNone, "SETL r/m8"), row(0x0F9D, Setcc, {Eb}, kNoOp16, kNone, "SETGE r/m8"),
    row(0x0F9E, Setcc, {Eb}, kNoOp16, kNone, "SETLE r/m8"), row(0x0F9F, Setcc, {Eb}, kNoOp16, kNone, "SETG r/m8"),
    row(0x0FA0, PushSeg, {FS}, kSensitive, kNone, "PUSH FS"),
    row(0x0FA1, PopSeg, {FS}, kSensitive, kNone, "POP FS"),
    row(0x0FA2, Cpuid, {}, kNoOp16, kNone, "CPUID"),
    row(0x0FA3, Bt, {Ev, Gv}, 0, uOF | uSF | uAF | uPF, "BT r/m32, r32"),
    row(0x0FA4, Shld, {Ev, Gv, Ib}, 0, kShiftUndef, "SHLD r/m32, r32, imm8"),
    row(0x0FA5, Shld, {Ev, Gv, CL}, 0, kShiftUndef, "SHLD r/m32, r32, CL"),
    row(0x0FA8, PushSeg, {GS}, kSensitive, kNone, "PUSH GS"),
    row(0x0FA9, PopSeg, {GS}, kSensitive, kNone, "POP GS"),
    row(0x0FAB, Bts, {Ev, Gv}, kLockable, uOF | uSF | uAF | uPF, "BTS r/m32, r32"),
    row(0x0FAC, Shrd, {Ev, Gv, Ib}, 0, kShiftUndef, "SHRD r/m32, r32, imm8"),
    row(0x0FAD, Shrd, {Ev, Gv, CL}, 0, kShiftUndef, "SHRD r/m32, r32, CL"),
    row(0x0FAF, Imul2, {Gv, Ev}, 0, kMulUndef, "IMUL r32, r/m32"),
    row(0x0FB0, Cmpxchg, {Eb, Gb}, kLockable, kNone, "CMPXCHG r/m8, r8"),
    row(0x0FB1, Cmpxchg, {Ev, Gv}, kLockable, kNone, "CMPXCHG r/m32, r32"),
    row(0x0FB2, Lss, {Gv, Mp}, kMemOnly | kSensitive | kEndsBlock, kNone, "LSS r32, m16:32"),
    row(0x0FB3, Btr, {Ev, Gv}, kLockable, uOF | uSF | uAF | uPF, "BTR r/m32, r32"),
    row(0x0FB4, Lfs, {Gv, Mp}, kMemOnly | kSensitive, kNone, "LFS r32, m16:32"),
    row(0x0FB5, Lgs, {Gv, Mp}, kMemOnly | kSensitive, kNone, "LGS r32, m16:32"),
    row(0x0FB6, MovZx, {Gv, Eb}, 0, kNone, "MOVZX r32, r/m8"),
    row(0x0FB7, MovZx, {Gv, Ew}, 0, kNone, "MOVZX r32, r/m16"),
    grp(0x0FBA, 4, Bt, {Ev, Ib}, 0, uOF | uSF | uAF | uPF, "BT r/m32, imm8"),
    grp(0x0FBA, 5, Bts, {Ev, Ib}, kLockable, uOF | uSF | uAF | uPF, "BTS r/m32, imm8"),
    grp(0x0FBA, 6, Btr, {Ev, Ib}, kLockable, uOF | uSF | uAF | uPF, "BTR r/m32, imm8"),
    grp(0x0FBA, 7, Btc, {Ev, Ib}, kLockable, uOF | uSF | uAF | uPF, "BTC r/m32, imm8"),
    row(0x0FBB, Btc, {Ev, Gv}, kLockable, uOF | uSF | uAF | uPF, "BTC r/m32, r32"),
    row(0x0FBC, Bsf, {Gv, Ev}, 0, uCF | uOF | uSF | uAF | uPF, "BSF r32, r/m32"),
    row(0x0FBD, Bsr, {Gv, Ev}, 0, uCF | uOF | uSF | uAF | uPF, "BSR r32, r/m32"),
    row(0x0FBE, MovSx, {Gv, Eb}, 0, kNone, "MOVSX r32, r/m8"),
    row(0x0FBF, MovSx, {Gv, Ew}, 0, kNone, "MOVSX r32, r/m16"),
    row(0x0FC0, Xadd, {Eb, Gb}, kLockable, kNone, "XADD r/m8, r8"),
    row(0x0FC1, Xadd, {Ev, Gv}, kLockable, kNone, "XADD r/m32, r32"),
    grp(0x0FC7, 1, Cmpxchg8b, {Mq}, kLockable | kMemOnly | kNoOp16, kNone, "CMPXCHG8B m64"),
    row(0x0FC8, Bswap, {Zv}, 0, kNone, "BSWAP r32"), row(0x0FC9, Bswap, {Zv}, 0, kNone, "BSWAP r32"),
    row(0x0FCA, Bswap, {Zv}, 0, kNone, "BSWAP r32"), row(0x0FCB, Bswap, {Zv}, 0, kNone, "BSWAP r32"),
    row(0x0FCC, Bswap, {Zv}, 0, kNone, "BSWAP r32"), row(0x0FCD, Bswap, {Zv}, 0, kNone, "BSWAP r32"),
    row(0x0FCE, Bswap, {Zv}, 0, kNone, "BSWAP r32"), row(0x0FCF, Bswap, {Zv}, 0, kNone, "BSWAP r32"),
});
// clang-format on

// x87 rows (SDM Vol. 2D, A.5 "Escape Opcode Instructions"). Memory forms select by ModRM.reg;
// register forms by ModRM.reg and, for the fixed ones, ModRM.rm too. Register-form rows carry
// kRegOnly; memory-form rows kMemOnly.
constexpr u16 M_ = kX87 | kMemOnly | kNoOp16;
constexpr u16 R_ = kX87 | kRegOnly | kNoOp16;
constexpr OpcodeEntry xm(u16 code, int reg, Op op, Operand mem, const char* syntax) {
  return {code, static_cast<i8>(reg), -1, op, {mem}, M_, kNone, syntax};
}
constexpr OpcodeEntry xr(u16 code, int reg, Op op, std::array<Operand, 3> ops, const char* syntax) {
  return {code, static_cast<i8>(reg), -1, op, ops, R_, kNone, syntax};
}
constexpr OpcodeEntry xf(u16 code, int reg, int rm, Op op, std::array<Operand, 3> ops, const char* syntax) {
  return {code, static_cast<i8>(reg), static_cast<i8>(rm), op, ops, R_, kNone, syntax};
}

// clang-format off
constexpr auto kX87Rows = std::to_array<OpcodeEntry>({
    xm(0xD8, 0, Fadd, Mf32, "FADD m32fp"), xm(0xD8, 1, Fmul, Mf32, "FMUL m32fp"),
    xm(0xD8, 2, Fcom, Mf32, "FCOM m32fp"), xm(0xD8, 3, Fcomp, Mf32, "FCOMP m32fp"),
    xm(0xD8, 4, Fsub, Mf32, "FSUB m32fp"), xm(0xD8, 5, Fsubr, Mf32, "FSUBR m32fp"),
    xm(0xD8, 6, Fdiv, Mf32, "FDIV m32fp"), xm(0xD8, 7, Fdivr, Mf32, "FDIVR m32fp"),
    xr(0xD8, 0, Fadd, {ST0, STi}, "FADD ST(0), ST(i)"), xr(0xD8, 1, Fmul, {ST0, STi}, "FMUL ST(0), ST(i)"),
    xr(0xD8, 2, Fcom, {STi}, "FCOM ST(i)"), xr(0xD8, 3, Fcomp, {STi}, "FCOMP ST(i)"),
    xr(0xD8, 4, Fsub, {ST0, STi}, "FSUB ST(0), ST(i)"), xr(0xD8, 5, Fsubr, {ST0, STi}, "FSUBR ST(0), ST(i)"),
    xr(0xD8, 6, Fdiv, {ST0, STi}, "FDIV ST(0), ST(i)"), xr(0xD8, 7, Fdivr, {ST0, STi}, "FDIVR ST(0), ST(i)"),

    xm(0xD9, 0, Fld, Mf32, "FLD m32fp"), xm(0xD9, 2, Fst, Mf32, "FST m32fp"), xm(0xD9, 3, Fstp, Mf32, "FSTP m32fp"),
    xm(0xD9, 4, Fldenv, Menv, "FLDENV m14/28byte"), xm(0xD9, 5, Fldcw, M2, "FLDCW m2byte"),
    xm(0xD9, 6, Fnstenv, Menv, "FNSTENV m14/28byte"), xm(0xD9, 7, Fnstcw, M2, "FNSTCW m2byte"),
    xr(0xD9, 0, Fld, {STi}, "FLD ST(i)"), xr(0xD9, 1, Fxch, {STi}, "FXCH ST(i)"),
    xf(0xD9, 2, 0, Fnop, {}, "FNOP"),
    xr(0xD9, 3, Fstp, {STi}, "FSTP ST(i) (undocumented alias D9 D8+i)"),
    xf(0xD9, 4, 0, Fchs, {}, "FCHS"), xf(0xD9, 4, 1, Fabs, {}, "FABS"),
    xf(0xD9, 4, 4, Ftst, {}, "FTST"), xf(0xD9, 4, 5, Fxam, {}, "FXAM"),
    xf(0xD9, 5, 0, Fld1, {}, "FLD1"), xf(0xD9, 5, 1, Fldl2t, {}, "FLDL2T"), xf(0xD9, 5, 2, Fldl2e, {}, "FLDL2E"),
    xf(0xD9, 5, 3, Fldpi, {}, "FLDPI"), xf(0xD9, 5, 4, Fldlg2, {}, "FLDLG2"), xf(0xD9, 5, 5, Fldln2, {}, "FLDLN2"),
    xf(0xD9, 5, 6, Fldz, {}, "FLDZ"),
    xf(0xD9, 6, 0, F2xm1, {}, "F2XM1"), xf(0xD9, 6, 1, Fyl2x, {}, "FYL2X"), xf(0xD9, 6, 2, Fptan, {}, "FPTAN"),
    xf(0xD9, 6, 3, Fpatan, {}, "FPATAN"), xf(0xD9, 6, 4, Fxtract, {}, "FXTRACT"), xf(0xD9, 6, 5, Fprem1, {}, "FPREM1"),
    xf(0xD9, 6, 6, Fdecstp, {}, "FDECSTP"), xf(0xD9, 6, 7, Fincstp, {}, "FINCSTP"),
    xf(0xD9, 7, 0, Fprem, {}, "FPREM"), xf(0xD9, 7, 1, Fyl2xp1, {}, "FYL2XP1"), xf(0xD9, 7, 2, Fsqrt, {}, "FSQRT"),
    xf(0xD9, 7, 3, Fsincos, {}, "FSINCOS"), xf(0xD9, 7, 4, Frndint, {}, "FRNDINT"), xf(0xD9, 7, 5, Fscale, {}, "FSCALE"),
    xf(0xD9, 7, 6, Fsin, {}, "FSIN"), xf(0xD9, 7, 7, Fcos, {}, "FCOS"),

    xm(0xDA, 0, Fiadd, Mi32, "FIADD m32int"), xm(0xDA, 1, Fimul, Mi32, "FIMUL m32int"),
    xm(0xDA, 2, Ficom, Mi32, "FICOM m32int"), xm(0xDA, 3, Ficomp, Mi32, "FICOMP m32int"),
    xm(0xDA, 4, Fisub, Mi32, "FISUB m32int"), xm(0xDA, 5, Fisubr, Mi32, "FISUBR m32int"),
    xm(0xDA, 6, Fidiv, Mi32, "FIDIV m32int"), xm(0xDA, 7, Fidivr, Mi32, "FIDIVR m32int"),
    xr(0xDA, 0, Fcmovcc, {ST0, STi}, "FCMOVB ST(0), ST(i)"), xr(0xDA, 1, Fcmovcc, {ST0, STi}, "FCMOVE ST(0), ST(i)"),
    xr(0xDA, 2, Fcmovcc, {ST0, STi}, "FCMOVBE ST(0), ST(i)"), xr(0xDA, 3, Fcmovcc, {ST0, STi}, "FCMOVU ST(0), ST(i)"),
    xf(0xDA, 5, 1, Fucompp, {}, "FUCOMPP"),

    xm(0xDB, 0, Fild, Mi32, "FILD m32int"), xm(0xDB, 2, Fist, Mi32, "FIST m32int"),
    xm(0xDB, 3, Fistp, Mi32, "FISTP m32int"), xm(0xDB, 5, Fld, Mf80, "FLD m80fp"),
    xm(0xDB, 7, Fstp, Mf80, "FSTP m80fp"),
    xr(0xDB, 0, Fcmovcc, {ST0, STi}, "FCMOVNB ST(0), ST(i)"), xr(0xDB, 1, Fcmovcc, {ST0, STi}, "FCMOVNE ST(0), ST(i)"),
    xr(0xDB, 2, Fcmovcc, {ST0, STi}, "FCMOVNBE ST(0), ST(i)"), xr(0xDB, 3, Fcmovcc, {ST0, STi}, "FCMOVNU ST(0), ST(i)"),
    xf(0xDB, 4, 0, Fnop, {}, "FNENI (8087 only; a no-op since the 80287)"),
    xf(0xDB, 4, 1, Fnop, {}, "FNDISI (8087 only; a no-op since the 80287)"),
    xf(0xDB, 4, 2, Fnclex, {}, "FNCLEX"), xf(0xDB, 4, 3, Fninit, {}, "FNINIT"),
    xf(0xDB, 4, 4, Fnsetpm, {}, "FNSETPM (80287 only; a no-op since)"),
    xr(0xDB, 5, Fucomi, {ST0, STi}, "FUCOMI ST(0), ST(i)"), xr(0xDB, 6, Fcomi, {ST0, STi}, "FCOMI ST(0), ST(i)"),

    xm(0xDC, 0, Fadd, Mf64, "FADD m64fp"), xm(0xDC, 1, Fmul, Mf64, "FMUL m64fp"),
    xm(0xDC, 2, Fcom, Mf64, "FCOM m64fp"), xm(0xDC, 3, Fcomp, Mf64, "FCOMP m64fp"),
    xm(0xDC, 4, Fsub, Mf64, "FSUB m64fp"), xm(0xDC, 5, Fsubr, Mf64, "FSUBR m64fp"),
    xm(0xDC, 6, Fdiv, Mf64, "FDIV m64fp"), xm(0xDC, 7, Fdivr, Mf64, "FDIVR m64fp"),
    xr(0xDC, 0, Fadd, {STi, ST0}, "FADD ST(i), ST(0)"), xr(0xDC, 1, Fmul, {STi, ST0}, "FMUL ST(i), ST(0)"),
    xr(0xDC, 2, Fcom, {STi}, "FCOM ST(i) (undocumented alias DC D0+i)"),
    xr(0xDC, 3, Fcomp, {STi}, "FCOMP ST(i) (undocumented alias DC D8+i)"),
    xr(0xDC, 4, Fsubr, {STi, ST0}, "FSUBR ST(i), ST(0)"), xr(0xDC, 5, Fsub, {STi, ST0}, "FSUB ST(i), ST(0)"),
    xr(0xDC, 6, Fdivr, {STi, ST0}, "FDIVR ST(i), ST(0)"), xr(0xDC, 7, Fdiv, {STi, ST0}, "FDIV ST(i), ST(0)"),

    xm(0xDD, 0, Fld, Mf64, "FLD m64fp"), xm(0xDD, 2, Fst, Mf64, "FST m64fp"), xm(0xDD, 3, Fstp, Mf64, "FSTP m64fp"),
    xm(0xDD, 4, Frstor, Mstate, "FRSTOR m94/108byte"), xm(0xDD, 6, Fnsave, Mstate, "FNSAVE m94/108byte"),
    xm(0xDD, 7, Fnstsw, M2, "FNSTSW m2byte"),
    xr(0xDD, 0, Ffree, {STi}, "FFREE ST(i)"), xr(0xDD, 1, Fxch, {STi}, "FXCH ST(i) (undocumented alias DD C8+i)"),
    xr(0xDD, 2, Fst, {STi}, "FST ST(i)"), xr(0xDD, 3, Fstp, {STi}, "FSTP ST(i)"),
    xr(0xDD, 4, Fucom, {STi}, "FUCOM ST(i)"), xr(0xDD, 5, Fucomp, {STi}, "FUCOMP ST(i)"),

    xm(0xDE, 0, Fiadd, Mi16, "FIADD m16int"), xm(0xDE, 1, Fimul, Mi16, "FIMUL m16int"),
    xm(0xDE, 2, Ficom, Mi16, "FICOM m16int"), xm(0xDE, 3, Ficomp, Mi16, "FICOMP m16int"),
    xm(0xDE, 4, Fisub, Mi16, "FISUB m16int"), xm(0xDE, 5, Fisubr, Mi16, "FISUBR m16int"),
    xm(0xDE, 6, Fidiv, Mi16, "FIDIV m16int"), xm(0xDE, 7, Fidivr, Mi16, "FIDIVR m16int"),
    xr(0xDE, 0, Faddp, {STi, ST0}, "FADDP ST(i), ST(0)"), xr(0xDE, 1, Fmulp, {STi, ST0}, "FMULP ST(i), ST(0)"),
    xr(0xDE, 2, Fcomp, {STi}, "FCOMP ST(i) (undocumented alias DE D0+i)"),
    xf(0xDE, 3, 1, Fcompp, {}, "FCOMPP"),
    xr(0xDE, 4, Fsubrp, {STi, ST0}, "FSUBRP ST(i), ST(0)"), xr(0xDE, 5, Fsubp, {STi, ST0}, "FSUBP ST(i), ST(0)"),
    xr(0xDE, 6, Fdivrp, {STi, ST0}, "FDIVRP ST(i), ST(0)"), xr(0xDE, 7, Fdivp, {STi, ST0}, "FDIVP ST(i), ST(0)"),

    xm(0xDF, 0, Fild, Mi16, "FILD m16int"), xm(0xDF, 2, Fist, Mi16, "FIST m16int"),
    xm(0xDF, 3, Fistp, Mi16, "FISTP m16int"), xm(0xDF, 4, Fbld, Mbcd, "FBLD m80bcd"),
    xm(0xDF, 5, Fild, Mi64, "FILD m64int"), xm(0xDF, 6, Fbstp, Mbcd, "FBSTP m80bcd"),
    xm(0xDF, 7, Fistp, Mi64, "FISTP m64int"),
    xr(0xDF, 0, Ffreep, {STi}, "FFREEP ST(i) (undocumented)"),
    xr(0xDF, 1, Fxch, {STi}, "FXCH ST(i) (undocumented alias DF C8+i)"),
    xr(0xDF, 2, Fstp, {STi}, "FSTP ST(i) (undocumented alias DF D0+i)"),
    xr(0xDF, 3, Fstp, {STi}, "FSTP ST(i) (undocumented alias DF D8+i)"),
    xf(0xDF, 4, 0, Fnstsw, {AX}, "FNSTSW AX"),
    xr(0xDF, 5, Fucomip, {ST0, STi}, "FUCOMIP ST(0), ST(i)"), xr(0xDF, 6, Fcomip, {ST0, STi}, "FCOMIP ST(0), ST(i)"),
});
// clang-format on

constexpr auto kAllRows = [] {
  std::array<OpcodeEntry, kIntegerRows.size() + kX87Rows.size()> all{};
  std::size_t n = 0;
  for (const auto& r : kIntegerRows) all[n++] = r;
  for (const auto& r : kX87Rows) all[n++] = r;
  return all;
}();

}  // namespace

std::span<const OpcodeEntry> opcode_table() { return kAllRows; }

bool opcode_has_modrm(u16 code) {
  for (const auto& r : kAllRows) {
    if (r.code != code) continue;
    for (Operand o : r.operands) {
      switch (o) {
        case Eb:
        case Ew:
        case Ed:
        case Ev:
        case Gb:
        case Gw:
        case Gd:
        case Gv:
        case M:
        case Ma:
        case Mp:
        case Mq:
        case Rd:
        case Sw:
        case Cd:
        case Dd:
        case STi:
        case Mf32:
        case Mf64:
        case Mf80:
        case Mi16:
        case Mi32:
        case Mi64:
        case Mbcd:
        case Menv:
        case Mstate:
        case M2: return true;
        default: break;
      }
    }
    if (r.reg >= 0) return true;
  }
  return false;
}

std::string_view op_name(Op op) {
  // The mnemonic is the first word of the syntax of the first row for this operation, so the
  // table stays the only list of names.
  if (op == Op::Invalid) return "(bad)";
  for (const auto& r : kAllRows) {
    if (r.op != op) continue;
    std::string_view s = r.syntax;
    return s.substr(0, s.find(' '));
  }
  return "?";
}

}  // namespace emu
