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
#include <algorithm>
#include <cstring>

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

// ---- bulk path for REP MOVS / REP STOS over RAM -------------------------------------------------
// Copying element by element through Cpu::read/write costs a segment check and a TLB lookup per
// element. Once an element has gone through that checked path (so the segments' rights are
// known to be good), the rest of the run that stays inside one page on each side and inside the
// segment limits can be moved with memcpy. The result is the same as element by element:
// overlapping source and destination, pages holding translated code (writes must reach the
// self-modifying-code listener), MMIO, and alignment-checked user accesses all take the
// element path instead.

// How many elements starting at offset `off` of `seg` lie inside the segment limits (and, with
// 16-bit addresses, before the offset wraps), going up or down.
template <typename T, bool A32>
u32 elements_in_segment(const SegmentCache& sc, u32 off, bool down) {
  constexpr u32 size = sizeof(T);
  if (off < sc.lo || off > sc.hi) return 0;
  if (down) return (off - sc.lo) / size + 1;
  u64 top = sc.hi;
  if (!A32 && top > 0xFFFF) top = 0xFFFF;
  if (u64{off} + size - 1 > top) return 0;
  return static_cast<u32>((top - off + 1) / size);
}

// The host address of the element at `off` of `seg` if its page is plain RAM (or ROM, for a
// read) reachable without side effects, with the number of elements on that page in `n`.
template <typename T, bool A32>
u8* host_run(Cpu& c, Seg seg, u32 off, bool down, bool write, u32& n) {
  constexpr u32 size = sizeof(T);
  const SegmentCache& sc = c.s.sreg(seg);
  const u32 lin = sc.base + off;
  const u32 in_page = lin & 0xFFF;
  if (in_page + size > 0x1000) return nullptr;  // this element straddles two pages
  if (c.page_watched(lin)) return nullptr;      // a debugger watches it: each element reports
  n = std::min(elements_in_segment<T, A32>(sc, off, down), down ? in_page / size + 1 : (0x1000 - in_page) / size);
  if (n == 0) return nullptr;
  // The translation is the one the element path would make for this element (same address,
  // same access), so a fault here is the fault that element would take.
  u32 phys;
  if (!c.translate(lin, write ? Access::Write : Access::Read, c.user(), phys)) return nullptr;
  if (write && c.bus.is_code_page(phys)) return nullptr;
  u8* page = c.bus.host_page(phys, write);
  return page ? page + in_page : nullptr;
}

// Moves up to `max` elements of a REP MOVS/STOS in one go; returns how many (0: take the
// element path for the next one). Updates ESI/EDI; the caller updates ECX.
template <Str K, typename T, bool A32>
u32 bulk_run(Cpu& c, Seg src_seg, bool down, u32 max) {
  constexpr u32 size = sizeof(T);
  // User-mode accesses may be alignment-checked (#AC); leave them to the element path.
  if (c.user() && (c.s.cr0 & cr0::AM) && (c.s.flags.bits & eflags::AC)) return 0;
  const u32 si = index_reg<A32>(c, ESI), di = index_reg<A32>(c, EDI);
  u32 n_dst = 0, n_src = max;
  u8* src = nullptr;
  if constexpr (K == Str::Movs) {
    src = host_run<T, A32>(c, src_seg, si, down, false, n_src);
    if (!src) return 0;
  }
  u8* dst = host_run<T, A32>(c, Seg::ES, di, down, true, n_dst);
  if (!dst) return 0;
  const u32 n = std::min({max, n_src, n_dst});
  if (n < 2) return 0;
  const u32 bytes = n * size;
  // Both runs as host byte ranges [lo, lo + bytes).
  u8* const dst_lo = down ? dst - (bytes - size) : dst;
  if constexpr (K == Str::Movs) {
    u8* const src_lo = down ? src - (bytes - size) : src;
    if (src_lo < dst_lo + bytes && dst_lo < src_lo + bytes) return 0;  // overlap
    std::memcpy(dst_lo, src_lo, bytes);
  } else {
    const T value = get_reg<T>(c, EAX);
    if constexpr (size == 1)
      std::memset(dst_lo, value, bytes);
    else
      for (u32 k = 0; k < n; ++k) std::memcpy(dst_lo + k * size, &value, size);
  }
  const u32 delta = down ? 0u - bytes : bytes;
  if constexpr (K == Str::Movs) set_index_reg<A32>(c, ESI, si + delta);
  set_index_reg<A32>(c, EDI, di + delta);
  return n;
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
  const u32 step = (c.s.flags.bits & eflags::DF) ? 0u - u32{sizeof(T)} : u32{sizeof(T)};
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
  u32 slice = (c.s.flags.bits & eflags::TF) ? 1 : kIterationsPerSlice;
  for (;;) {
    if (!iterate<K, T, A32>(c, src_seg, step)) return Status::Fault;
    set_index_reg<A32>(c, ECX, --count);
    if (count == 0) return retire();
    if constexpr (K == Str::Movs || K == Str::Stos) {
      // The element just moved proved the segments' rights; try the rest of its page in bulk.
      if (slice > 2) {
        const u32 n = bulk_run<K, T, A32>(c, src_seg, step != sizeof(T), std::min(count, slice - 1));
        count -= n;
        slice -= n;
        set_index_reg<A32>(c, ECX, count);
        if (count == 0) return retire();
      }
    }
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
