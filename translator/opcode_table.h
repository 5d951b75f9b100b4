// The opcode table: the one declarative source of truth for the IA-32 instructions emu knows
// (DESIGN §3). Each row says which bytes select it, which operation it is, its operands in the
// SDM's Appendix A notation, its attributes (lockable, ends a block, privileged, sensitive) and the
// flags the SDM leaves undefined. The decoder, the interpreter's handler selection, the VMM
// counters, the debugger's `explain`, and the test oracle's coverage all read this table.
#pragma once
#include <array>
#include <span>
#include <string_view>

#include "core/types.h"

namespace emu {

// Operations. Grouped by the semantics file that implements them.
// clang-format off
enum class Op : u16 {
  Invalid,  // #UD
  // alu.cpp — integer arithmetic and logic, moves, conversions
  Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test, Inc, Dec, Neg, Not,
  Mov, MovZx, MovSx, Xchg, Lea, Cbw, Cwd, Bswap, Xadd, Cmpxchg, Cmpxchg8b, Cmovcc, Setcc, Salc, Xlat, Nop,
  // shift.cpp
  Rol, Ror, Rcl, Rcr, Shl, Shr, Sar, Shld, Shrd,
  // bit.cpp
  Bt, Bts, Btr, Btc, Bsf, Bsr,
  // bcd.cpp
  Daa, Das, Aaa, Aas, Aam, Aad,
  // muldiv.cpp
  Mul, Imul1, Imul2, Imul3, Div, Idiv,
  // string.cpp
  Movs, Cmps, Stos, Lods, Scas, Ins, Outs,
  // stack.cpp
  Push, Pop, Pusha, Popa, Pushf, Popf, Enter, Leave, PushSeg, PopSeg,
  // control.cpp — near control transfers, flags, I/O
  Jcc, Jmp, JmpIndirect, Call, CallIndirect, Ret, Loop, Loope, Loopne, Jcxz,
  Clc, Stc, Cmc, Cld, Std, Cli, Sti, Sahf, Lahf, Hlt, In, Out, Wait,
  // farcontrol.cpp — far transfers, interrupts, segment loads
  JmpFar, JmpFarIndirect, CallFar, CallFarIndirect, RetFar, Iret, Int3, IntN, Into, Int1, Bound,
  MovToSeg, MovFromSeg, Lds, Les, Lss, Lfs, Lgs,
  // system.cpp — descriptor tables, control registers, MSRs, CPUID
  Lgdt, Lidt, Sgdt, Sidt, Lldt, Sldt, Ltr, Str, Lmsw, Smsw, Invlpg, Lar, Lsl, Verr, Verw, Arpl, Clts,
  MovToCr, MovFromCr, MovToDr, MovFromDr, Rdmsr, Wrmsr, Rdtsc, Rdpmc, Cpuid, Sysenter, Sysexit, Invd, Wbinvd,
  Ud2,
  // x87.cpp — the floating-point unit
  Fld, Fst, Fstp, Fild, Fist, Fistp, Fbld, Fbstp, Fxch, Fcmovcc,
  Fadd, Faddp, Fiadd, Fsub, Fsubp, Fisub, Fsubr, Fsubrp, Fisubr, Fmul, Fmulp, Fimul, Fdiv, Fdivp, Fidiv, Fdivr,
  Fdivrp, Fidivr, Fcom, Fcomp, Fcompp, Ficom, Ficomp, Fucom, Fucomp, Fucompp, Fcomi, Fcomip, Fucomi, Fucomip,
  Ftst, Fxam, Fld1, Fldl2t, Fldl2e, Fldpi, Fldlg2, Fldln2, Fldz, Fchs, Fabs, Fsqrt, Fscale, Frndint, Fxtract,
  Fprem, Fprem1, F2xm1, Fyl2x, Fyl2xp1, Fptan, Fpatan, Fsin, Fcos, Fsincos, Fdecstp, Fincstp, Ffree, Ffreep,
  Fnop, Fldcw, Fnstcw, Fnstsw, Fldenv, Fnstenv, Frstor, Fnsave, Fnclex, Fninit, Fnsetpm,
  Count
};
// clang-format on

// Operand kinds, in the notation of SDM Vol. 2D, Appendix A.2.
// clang-format off
enum class Operand : u8 {
  None,
  Eb, Ew, Ed, Ev,  // ModRM r/m: byte, word, dword, operand-size
  Gb, Gw, Gd, Gv,  // ModRM reg
  M,               // ModRM memory of a size the operation defines (LEA, LGDT, INVLPG)
  Ma,              // BOUND: two words or two dwords
  Mp,              // far pointer in memory: 16:16 or 16:32
  Mq,              // 64-bit memory (CMPXCHG8B)
  Rd,              // ModRM r/m, register only, 32-bit (MOV CRn/DRn)
  Sw,              // ModRM reg names a segment register
  Cd, Dd,          // ModRM reg names a control / debug register
  Ib, Iw, Iv, Ibs,  // immediate byte, word, operand-size, byte sign-extended to operand size
  Jb, Jz,          // relative branch target
  Ap,              // far pointer immediate
  Ob, Ov,          // absolute offset (moffs), address-size wide
  AL, AX, CL, DX, eAX,  // fixed registers (eAX = AX or EAX)
  Zb, Zv,          // register from the opcode's low three bits
  One,             // the constant 1 (shift by one)
  ES, CS, SS, DS, FS, GS,  // fixed segment registers
  Xb, Xv, Yb, Yv,  // string source DS:eSI / destination ES:eDI
  ST0, STi,        // x87 stack top, ST(i) from ModRM.rm
  Mf32, Mf64, Mf80, Mi16, Mi32, Mi64, Mbcd,  // x87 memory operands
  Menv, Mstate, M2,  // x87 environment (14/28 bytes), full state (94/108 bytes), 2-byte word
};
// clang-format on

// Row attributes.
namespace attr {
inline constexpr u16 kLockable = 1 << 0;       // LOCK prefix allowed (with a memory destination)
inline constexpr u16 kEndsBlock = 1 << 1;      // control transfer or state change: ends a basic block
inline constexpr u16 kPrivileged = 1 << 2;     // CPL 0 only: #GP(0) elsewhere (SDM Vol. 3A, 2.8)
inline constexpr u16 kSensitive = 1 << 3;      // one of the 17 sensitive non-trapping instructions
inline constexpr u16 kIoplSensitive = 1 << 4;  // CLI/STI/IN/OUT/INS/OUTS/PUSHF/POPF/INT n/IRET
inline constexpr u16 kMemOnly = 1 << 5;        // ModRM.mod must not be 3 (else #UD)
inline constexpr u16 kRegOnly = 1 << 6;        // row applies only to ModRM.mod == 3
inline constexpr u16 kX87 = 1 << 7;            // floating-point instruction (CR0.EM/TS checks, FOP)
inline constexpr u16 kRep = 1 << 8;            // honours REP/REPE/REPNE
inline constexpr u16 kNoOp16 = 1 << 9;         // operand size not used (row valid for both)
}  // namespace attr

// Undefined-flag masks, in EFLAGS bit positions.
namespace undef {
inline constexpr u16 kNone = 0;
inline constexpr u16 CF = 0x001, PF = 0x004, AF = 0x010, ZF = 0x040, SF = 0x080, OF = 0x800;
inline constexpr u16 kAll = CF | PF | AF | ZF | SF | OF;
}  // namespace undef

struct OpcodeEntry {
  u16 code;  // 0x00-0xFF: one-byte map; 0x0F00-0x0FFF: two-byte map (0F xx)
  i8 reg;    // ModRM.reg extension (/digit), or -1 for "any" / no ModRM
  i8 rm;     // ModRM.rm for register-only rows (x87 D9 E0 etc.), or -1
  Op op;
  std::array<Operand, 3> operands;
  u16 attrs;
  u16 undefined_flags;
  const char* syntax;  // Intel syntax, as in the SDM's opcode column
};

std::span<const OpcodeEntry> opcode_table();

// Whether an opcode (one-byte or 0F-map) takes a ModRM byte.
bool opcode_has_modrm(u16 code);

std::string_view op_name(Op op);

}  // namespace emu
