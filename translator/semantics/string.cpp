// String instructions (SDM Vol. 2B: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, and REP/REPE/REPNE).
//
// The source is seg:eSI, DS by default and overridable; the destination is always ES:eDI. The
// address size picks SI/DI/CX or ESI/EDI/ECX; with 16-bit addresses only the low halves move and
// they wrap at 64 KiB. EFLAGS.DF picks the direction.
//
// REP is precise and interruptible, as on the processor (SDM Vol. 1, 7.3.9.1; Vol. 2B, REP):
// each iteration commits ECX/ESI/EDI before the next one starts, so a fault in iteration k
// leaves the registers as after k-1 iterations and EIP at the instruction. After a bounded
// number of iterations the handler returns with EIP still at the instruction (Status::Jumped),
// so the dispatcher can deliver interrupts and charge its instruction budget; running the
// instruction again resumes where it stopped. With EFLAGS.TF set each iteration is a step of
// its own, which is how single-stepping a REP string instruction behaves.
#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

enum class Str : u8 { Movs, Cmps, Stos, Lods, Scas, Ins, Outs };

constexpr bool compares(Str k) { return k == Str::Cmps || k == Str::Scas; }
constexpr bool does_io(Str k) { return k == Str::Ins || k == Str::Outs; }

// Iterations of a REP instruction before the dispatcher gets control back.
constexpr unsigned kIterationsPerSlice = 4096;

// eSI, eDI and eCX by address size.
template <bool A32>
u32 index_reg(const Cpu& c, Reg r) {
  return A32 ? c.s.gpr[r] : c.s.gpr[r] & 0xFFFF;
}
template <bool A32>
void set_index_reg(Cpu& c, Reg r, u32 v) {
  if constexpr (A32)
    c.s.gpr[r] = v;
  else
    c.s.gpr[r] = (c.s.gpr[r] & 0xFFFF0000u) | (v & 0xFFFF);
}

// One element: performs the accesses (all checks before any register changes) and then
// advances the index registers by `step`. Returns false with the fault pending.
template <Str K, typename T, bool A32>
bool iterate(Cpu& c, Seg src_seg, u32 step) {
  const u32 si = index_reg<A32>(c, ESI), di = index_reg<A32>(c, EDI);
  switch (K) {
    case Str::Movs: {
      T v;
      if (!c.read<T>(src_seg, si, v) || !c.write<T>(Seg::ES, di, v)) return false;
      set_index_reg<A32>(c, ESI, si + step);
      set_index_reg<A32>(c, EDI, di + step);
      break;
    }
    case Str::Cmps: {
      T a, b;
      if (!c.read<T>(src_seg, si, a) || !c.read<T>(Seg::ES, di, b)) return false;
      c.s.flags.set_lazy(FlagOp::Sub, kBits<T>, a, b, static_cast<T>(a - b));
      set_index_reg<A32>(c, ESI, si + step);
      set_index_reg<A32>(c, EDI, di + step);
      break;
    }
    case Str::Stos:
      if (!c.write<T>(Seg::ES, di, get_reg<T>(c, EAX))) return false;
      set_index_reg<A32>(c, EDI, di + step);
      break;
    case Str::Lods: {
      T v;
      if (!c.read<T>(src_seg, si, v)) return false;
      set_reg<T>(c, EAX, v);
      set_index_reg<A32>(c, ESI, si + step);
      break;
    }
    case Str::Scas: {
      T v;
      if (!c.read<T>(Seg::ES, di, v)) return false;
      const T a = get_reg<T>(c, EAX);
      c.s.flags.set_lazy(FlagOp::Sub, kBits<T>, a, v, static_cast<T>(a - v));
      set_index_reg<A32>(c, EDI, di + step);
      break;
    }
    case Str::Ins: {
      // Check the destination before reading the port: a port read can have side effects (a
      // FIFO pops), and the data must not be lost to a fault.
      if (!c.probe_write(Seg::ES, di, sizeof(T))) return false;
      const T v = static_cast<T>(c.bus.port_read(static_cast<u16>(c.s.gpr[EDX]), sizeof(T)));
      if (!c.write<T>(Seg::ES, di, v)) return false;
      set_index_reg<A32>(c, EDI, di + step);
      break;
    }
    case Str::Outs: {
      T v;
      if (!c.read<T>(src_seg, si, v)) return false;
      c.bus.port_write(static_cast<u16>(c.s.gpr[EDX]), sizeof(T), v);
      set_index_reg<A32>(c, ESI, si + step);
      break;
    }
  }
  return true;
}

// Whether the dispatcher has an interrupt to deliver (port I/O can raise one mid-instruction).
bool interrupt_waiting(Cpu& c) {
  return c.nmi_pending || ((c.s.flags.bits & eflags::IF) && c.pic && c.pic->intr_pending());
}

// MOVS m, m   CMPS m, m   STOS m   LODS m   SCAS m   INS m, DX   OUTS DX, m
// with an optional REP / REPE / REPNE prefix
template <Str K, typename T, bool A32>
Status string_insn(Cpu& c, const DecodedInsn& i) {
  if constexpr (does_io(K)) {
    // IOPL / I/O bitmap check before anything else (SDM Vol. 2A, INS), every time the
    // instruction is (re)started.
    if (!c.io_allowed(static_cast<u16>(c.s.gpr[EDX]), sizeof(T))) return Status::Fault;
  }
  const Seg src_seg = i.seg_override ? i.seg : Seg::DS;
  const u32 step = (c.s.flags.bits & eflags::DF) ? 0u - sizeof(T) : u32{sizeof(T)};
  // Port I/O ends the block, as OUT does: a device may have raised an interrupt or stopped the
  // machine.
  auto retire = [&] {
    if constexpr (!does_io(K)) return Status::Ok;
    c.s.eip += i.len;
    return Status::EndBlock;
  };
  if (i.rep == RepPrefix::None) return iterate<K, T, A32>(c, src_seg, step) ? retire() : Status::Fault;

  u32 count = index_reg<A32>(c, ECX);
  if (count == 0) return retire();  // no iteration, flags unchanged
  unsigned slice = (c.s.flags.bits & eflags::TF) ? 1 : kIterationsPerSlice;
  for (;;) {
    if (!iterate<K, T, A32>(c, src_seg, step)) return Status::Fault;
    set_index_reg<A32>(c, ECX, --count);
    if (count == 0) return retire();
    if constexpr (compares(K)) {
      // REPE stops on a difference, REPNE on equality. F2 on the other string instructions
      // acts as a plain REP.
      const bool equal = c.s.flags.zf();
      if (i.rep == RepPrefix::Rep ? !equal : equal) return retire();
    }
    if (--slice == 0 || (does_io(K) && interrupt_waiting(c))) return Status::Jumped;  // resume here
  }
}

template <Str K, bool A32>
Handler pick_width(const DecodedInsn& i) {
  if (operand_width(i) == 1) return string_insn<K, u8, A32>;
  return i.op32 ? string_insn<K, u32, A32> : string_insn<K, u16, A32>;
}

template <Str K>
Handler pick_string(const DecodedInsn& i) {
  return i.addr32 ? pick_width<K, true>(i) : pick_width<K, false>(i);
}

}  // namespace

Handler select_string(const DecodedInsn& i) {
  switch (i.entry->op) {
    case Op::Movs: return pick_string<Str::Movs>(i);
    case Op::Cmps: return pick_string<Str::Cmps>(i);
    case Op::Stos: return pick_string<Str::Stos>(i);
    case Op::Lods: return pick_string<Str::Lods>(i);
    case Op::Scas: return pick_string<Str::Scas>(i);
    case Op::Ins: return pick_string<Str::Ins>(i);
    case Op::Outs: return pick_string<Str::Outs>(i);
    default: return nullptr;
  }
}

}  // namespace emu::sem
