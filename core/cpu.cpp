#include "core/cpu.h"

#include <cstddef>

namespace emu {

Cpu::PrivilegeFields Cpu::privilege_fields() {
  // offsetof on a class with references is conditionally supported; GCC and Clang support it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
  return {offsetof(Cpu, user_), offsetof(Cpu, tlb_set_offset_), sizeof(tlb_[0])};
#pragma GCC diagnostic pop
}

Cpu::Cpu(AddressSpace& b) : bus(b) { reset(); }

void Cpu::reset() {
  s = CpuState{};
  // After RESET# the CPU fetches from FFFFFFF0: CS.selector = F000 but CS.base = FFFF0000
  // (SDM Vol. 3A, 10.1.4 "First Instruction Executed").
  for (auto& c : s.seg) {
    c = SegmentCache{};
    c.refresh_bounds();
  }
  s.sreg(Seg::CS).selector = 0xF000;
  s.sreg(Seg::CS).base = 0xFFFF0000u;
  s.sreg(Seg::CS).attrs |= desc::kCode | desc::kWritable;  // code, readable
  s.sreg(Seg::CS).refresh_bounds();
  s.ldtr.attrs = desc::kPresent | 0x2;  // LDT
  s.tr.attrs = desc::kPresent | 0xB;    // busy 32-bit TSS
  s.gpr[EDX] = 0x00000633;              // processor signature: family 6, model 3, stepping 3
  s.fpu = FpuState{};
  s.fpu.control = 0x0040;  // after RESET, before FNINIT (SDM Vol. 3A, Table 10-1)
  pending = {};
  triple_fault = false;
  set_cpl(0);
  bus.set_a20(true);
  tlb_flush_all();
}

bool Cpu::check_segment_slow(Seg s, u32 offset, u32 len, bool write) {
  const SegmentCache& c = s_seg(s);
  // offset .. offset+len-1 must lie in [lo, hi]; written so that no sum overflows.
  if (offset < c.lo || offset > c.hi || c.hi - offset < len - 1 || !c.usable) [[unlikely]]
    return segment_fault(s);
  if (write ? !c_writable(c) : !c_readable(c)) [[unlikely]]
    return segment_fault(s);
  return true;
}

// ---- TLB -------------------------------------------------------------------------------------

void Cpu::tlb_flush_all() {
  ++tlb_generation_;
  need_attention();
  for (unsigned set = 0; set < 2; ++set) {
    for (u16 slot : filled_[set]) tlb_[set][slot] = TlbEntry{};
    filled_[set].clear();
  }
}

void Cpu::tlb_flush_nonglobal() {
  ++tlb_generation_;
  need_attention();
  // Global pages survive a CR3 load only when CR4.PGE is on (SDM Vol. 3A, 4.10.2.4).
  const bool keep_global = s.cr4 & cr4::PGE;
  for (unsigned set = 0; set < 2; ++set) {
    std::vector<u16>& filled = filled_[set];
    std::size_t kept = 0;
    for (u16 slot : filled) {
      TlbEntry& e = tlb_[set][slot];
      if (keep_global && e.global)
        filled[kept++] = slot;
      else
        e = TlbEntry{};
    }
    filled.resize(kept);
  }
}

void Cpu::tlb_flush_page(u32 lin) {
  ++tlb_generation_;
  need_attention();
  // A 4 MiB page fills many TLB slots, and INVLPG of any address in it must drop them all
  // (SDM Vol. 3A, 4.10.4.1); entries remember whether they came from a large page.
  for (unsigned set = 0; set < 2; ++set) {
    std::vector<u16>& filled = filled_[set];
    for (std::size_t k = 0; k < filled.size();) {
      TlbEntry& e = tlb_[set][filled[k]];
      if (e.read_tag == (lin & ~0xFFFu) || (e.large && ((e.read_tag ^ lin) >> 22) == 0)) {
        e = TlbEntry{};
        filled[k] = filled.back();
        filled.pop_back();
      } else {
        ++k;
      }
    }
  }
}

void Cpu::tlb_protect_physical_page(u32 paddr) {
  const u32 page = paddr & ~0xFFFu;
  for (unsigned set = 0; set < 2; ++set)
    for (u16 slot : filled_[set]) {
      TlbEntry& e = tlb_[set][slot];
      if (e.write_tag != kInvalidTag && e.phys_page == page) e.write_tag = kInvalidTag;
    }
}

// ---- paging ----------------------------------------------------------------------------------

// Two-level 32-bit paging with optional 4 MiB pages (SDM Vol. 3A, 4.3). `user` is the privilege of
// the access (CPL 3 and not an implicit supervisor access). On success `phys` is the physical
// address, `writable` tells whether a write through this translation is allowed (so the TLB can
// hold a write entry), `global` whether the mapping is global.
bool Cpu::walk(u32 lin, Access access, bool user, u32& phys, bool& writable, bool& global, bool& large, bool set_bits) {
  const bool write = access == Access::Write;
  const u32 a20 = bus.a20_mask();
  auto pf = [&](bool present) {
    if (!set_bits) return false;
    s.cr2 = lin;
    // #PF error code (SDM Vol. 3A, 4.7): P, W/R, U/S.
    return fault(kPF, (present ? 1u : 0u) | (write ? 2u : 0u) | (user ? 4u : 0u));
  };
  const u32 pde_addr = ((s.cr3 & ~0xFFFu) | ((lin >> 20) & 0xFFC)) & a20;
  u32 pde = bus.read(pde_addr, 4);
  if (!(pde & 1)) return pf(false);
  const bool big = (pde & 0x80) && (s.cr4 & cr4::PSE);
  u32 pte = pde;
  u32 pte_addr = 0;
  if (!big) {
    pte_addr = ((pde & ~0xFFFu) | ((lin >> 10) & 0xFFC)) & a20;
    pte = bus.read(pte_addr, 4);
    if (!(pte & 1)) return pf(false);
  }
  // Effective rights are the more restrictive of the two levels (SDM Vol. 3A, 4.6).
  const bool rw = (pde & 2) && (pte & 2);
  const bool us = (pde & 4) && (pte & 4);
  if (user && !us) return pf(true);
  const bool may_write = user ? rw : (rw || !(s.cr0 & cr0::WP));
  if (write && !may_write) return pf(true);
  if (set_bits) {
    // Accessed bits on every level; Dirty on the final level for a write (SDM Vol. 3A, 4.8).
    if (!(pde & 0x20) || (big && write && !(pde & 0x40))) {
      const u32 npde = pde | 0x20 | (big && write ? 0x40 : 0);
      bus.write(pde_addr, 4, npde);
    }
    if (!big && (!(pte & 0x20) || (write && !(pte & 0x40)))) bus.write(pte_addr, 4, pte | 0x20 | (write ? 0x40 : 0));
  }
  // A write entry in the TLB is only safe once the dirty bit is set.
  const bool dirty = write || (pte & 0x40);
  writable = may_write && dirty;
  global = (pte & 0x100) && (s.cr4 & cr4::PGE);
  large = big;
  phys = big ? ((pte & 0xFFC00000u) | (lin & 0x3FFFFF)) : ((pte & ~0xFFFu) | (lin & 0xFFF));
  return true;
}

bool Cpu::translate(u32 lin, Access access, bool user, u32& phys) {
  bool writable = true, global = false, large = false;
  if (s.paging()) {
    if (!walk(lin, access, user, phys, writable, global, large, true)) return false;
  } else {
    phys = lin;
  }
  phys &= bus.a20_mask();
  // Fill the TLB when the page is host memory (and no watchpoint needs to see its accesses).
  if (u8* host = bus.host_page(phys, false); host && !page_watched(lin)) {
    const unsigned slot = (lin >> 12) & (kTlbSize - 1);
    TlbEntry& e = tlb_[user ? 1 : 0][slot];
    // A slot is listed in filled_ exactly while its entry is in use (read_tag valid).
    if (e.read_tag == kInvalidTag) filled_[user ? 1 : 0].push_back(static_cast<u16>(slot));
    const u32 vpage = lin & ~0xFFFu;
    if (e.read_tag != vpage) e.write_tag = kInvalidTag;
    e.read_tag = vpage;
    e.addend = reinterpret_cast<uintptr_t>(host) - vpage;
    e.phys_page = phys & ~0xFFFu;
    e.global = global;
    e.large = large;
    // Writes get a fast path only to plain RAM that holds no translated code, and only where
    // they land on the same host page reads come from: a write-only shadow page (PAM 10b) reads
    // the ROM but writes RAM, and the entry's one addend would send the write into the ROM.
    if (writable && bus.host_page(phys, true) == host && !bus.is_code_page(phys)) e.write_tag = vpage;
  }
  return true;
}

bool Cpu::probe_translation(u32 lin, u32& phys) const {
  if (!s.paging()) {
    phys = lin & bus.a20_mask();
    return true;
  }
  bool w, g, l;
  return const_cast<Cpu*>(this)->walk(lin, Access::Read, false, phys, w, g, l, false);
}

bool Cpu::access_slow_flat(Seg seg, u32 offset, unsigned size, Access access, u32* value) {
  if (!check_segment_slow(seg, offset, size, access == Access::Write)) return false;
  return access_slow(s_seg(seg).base + offset, size, access, value, user_);
}

bool Cpu::access_slow(u32 lin, unsigned size, Access access, u32* value, bool user) {
  // Alignment check: CR0.AM, EFLAGS.AC and CPL 3 (SDM Vol. 3A, 6.15 #AC).
  if (user && size > 1 && (lin & (size - 1)) && (s.cr0 & cr0::AM) && (s.flags.bits & eflags::AC)) return fault(kAC, 0);
  const u32 first = 0x1000 - (lin & 0xFFF);
  if (size <= first) {
    u32 phys;
    if (!translate(lin, access, user, phys)) return false;
    if (access == Access::Write)
      bus.write(phys, size, *value);
    else
      *value = bus.read(phys, size);
    if (watch_) watch_->accessed(lin, phys, size, access == Access::Write);
    return true;
  }
  // Page-crossing access: translate both pages before touching either, so a #PF on the second
  // page leaves memory unchanged.
  u32 p0, p1;
  if (!translate(lin, access, user, p0)) return false;
  if (!translate(lin + first, access, user, p1)) return false;
  if (access == Access::Write) {
    for (unsigned i = 0; i < size; ++i) bus.write(i < first ? p0 + i : p1 + (i - first), 1, (*value >> (8 * i)) & 0xFF);
  } else {
    u32 v = 0;
    for (unsigned i = 0; i < size; ++i) v |= bus.read(i < first ? p0 + i : p1 + (i - first), 1) << (8 * i);
    *value = v;
  }
  if (watch_) {
    watch_->accessed(lin, p0, first, access == Access::Write);
    watch_->accessed(lin + first, p1, size - first, access == Access::Write);
  }
  return true;
}

bool Cpu::probe_write(Seg seg, u32 offset, u32 len, unsigned element) {
  if (!check_segment(seg, offset, len, true)) return false;
  const u32 lin = s_seg(seg).base + offset;
  // Same rule and order as access_slow(): stores of `element` bytes from `lin` on are all
  // misaligned when the first one is.
  if (user_ && element > 1 && (lin & (element - 1)) && (s.cr0 & cr0::AM) && (s.flags.bits & eflags::AC))
    return fault(kAC, 0);
  u32 phys;
  if (!translate(lin, Access::Write, user_, phys)) return false;
  const u32 last = lin + len - 1;
  if ((last ^ lin) & ~0xFFFu) return translate(last, Access::Write, user_, phys);
  return true;
}

bool Cpu::read_linear_bytes(u32 lin, u8* out, u32 len) {
  // Translate every page first, then copy.
  for (u32 done = 0; done < len;) {
    u32 phys;
    if (!translate(lin + done, Access::Read, user_, phys)) return false;
    done += 0x1000 - ((lin + done) & 0xFFF);
  }
  for (u32 i = 0; i < len; ++i) {
    u8 b;
    if (!read_linear(lin + i, b)) return false;
    out[i] = b;
  }
  return true;
}

bool Cpu::translate_fetch(u32 lin, u32& phys) {
  const TlbEntry& e = tlb_entry(lin);
  if (e.read_tag == (lin & ~0xFFFu)) {
    phys = e.phys_page | (lin & 0xFFF);
    return true;
  }
  return translate(lin, Access::Execute, user_, phys);
}

bool Cpu::fetch_byte(u32 lin, u8& out) {
  u32 phys;
  if (!translate_fetch(lin, phys)) return false;
  out = static_cast<u8>(bus.read(phys, 1));
  return true;
}

// ---- segments --------------------------------------------------------------------------------

SegmentCache Cpu::cache_from_descriptor(u16 selector, u64 d) {
  SegmentCache c;
  c.selector = selector;
  c.base = static_cast<u32>(((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000u));
  u32 limit = static_cast<u32>((d & 0xFFFF) | ((d >> 32) & 0xF0000));
  c.attrs = static_cast<u16>(((d >> 40) & 0xFF) | ((d >> 44) & 0xF00));
  if (c.attrs & desc::kGranularity) limit = (limit << 12) | 0xFFF;
  c.limit = limit;
  c.usable = true;
  c.refresh_bounds();
  return c;
}

bool Cpu::read_descriptor(u16 selector, u64& out, u8 vector) {
  const bool local = selector & 4;
  u32 base, limit;
  if (local) {
    if (!s.ldtr.usable || !(s.ldtr.attrs & desc::kPresent)) return fault(vector, selector & 0xFFFC);
    base = s.ldtr.base;
    limit = s.ldtr.limit;
  } else {
    base = s.gdtr.base;
    limit = s.gdtr.limit;
  }
  const u32 offset = selector & 0xFFF8;
  if (offset + 7 > limit) return fault(vector, selector & 0xFFFC);
  u32 lo, hi;
  if (!read_system(base + offset, 4, lo) || !read_system(base + offset + 4, 4, hi)) return false;
  out = (u64{hi} << 32) | lo;
  return true;
}

bool Cpu::mark_accessed(u16 selector, u64 d) {
  if (d & (u64{1} << 40)) return true;
  const u32 base = (selector & 4) ? s.ldtr.base : s.gdtr.base;
  const u32 addr = base + (selector & 0xFFF8) + 5;
  return write_system(addr, 1, static_cast<u32>((d >> 40) & 0xFF) | 1);
}

void Cpu::load_segment_real(Seg seg, u16 selector) {
  SegmentCache& c = s.sreg(seg);
  c.selector = selector;
  c.base = u32{selector} << 4;
  c.usable = true;
  if (s.v86()) {
    // V86 segments are always 64 KiB, writable data, DPL 3 (SDM Vol. 3A, 20.1.1).
    c.limit = 0xFFFF;
    c.attrs = desc::kPresent | desc::kNonSystem | desc::kWritable | desc::kAccessed | (3 << 5) |
              (seg == Seg::CS ? desc::kCode : 0);
  }
  c.refresh_bounds();
}

bool Cpu::load_segment(Seg seg, u16 selector) {
  if (!s.protected_mode() || s.v86()) {
    load_segment_real(seg, selector);
    return true;
  }
  const u16 rpl = selector & 3;
  const u8 cpl = s.cpl;
  if ((selector & 0xFFFC) == 0) {
    // Null selector: allowed in DS/ES/FS/GS (any use then faults); never in SS (SDM Vol. 3A, 5.4.1).
    if (seg == Seg::SS) return fault(kGP, 0);
    SegmentCache& c = s.sreg(seg);
    c.selector = selector;
    c.usable = false;
    c.base = 0;
    c.attrs = 0;
    c.limit = 0;
    c.refresh_bounds();
    return true;
  }
  u64 d;
  if (!read_descriptor(selector, d)) return false;
  SegmentCache c = cache_from_descriptor(selector, d);
  const u8 dpl = c.dpl();
  const bool code = c.is_code();
  const bool system = !(c.attrs & desc::kNonSystem);
  if (seg == Seg::SS) {
    // SS: RPL = CPL, DPL = CPL, writable data segment (SDM Vol. 2B, MOV/POP operation).
    if (rpl != cpl || system || code || !(c.attrs & desc::kWritable) || dpl != cpl)
      return fault(kGP, selector & 0xFFFC);
    if (!(c.attrs & desc::kPresent)) return fault(kSS, selector & 0xFFFC);
  } else {
    // DS/ES/FS/GS: data or readable code; unless conforming code, DPL >= max(CPL, RPL).
    if (system || (code && !(c.attrs & desc::kWritable))) return fault(kGP, selector & 0xFFFC);
    const bool conforming = code && (c.attrs & desc::kExpandDown);
    if (!conforming && (rpl > dpl || cpl > dpl)) return fault(kGP, selector & 0xFFFC);
    if (!(c.attrs & desc::kPresent)) return fault(kNP, selector & 0xFFFC);
  }
  if (!mark_accessed(selector, d)) return false;
  c.attrs |= desc::kAccessed;
  s.sreg(seg) = c;
  return true;
}

void Cpu::mode_changed() {
  // In protected mode the CPL changes only with CS loads, which set it themselves; right after
  // CR0.PE is set it stays 0 until the far jump (SDM Vol. 3A, 10.9.1).
  if (s.v86())
    set_cpl(3);
  else if (!s.protected_mode())
    set_cpl(0);
}

// ---- control registers and flags -------------------------------------------------------------

bool Cpu::set_cr0(u32 value) {
  // PG without PE, or NW without CD, is #GP(0) (SDM Vol. 3A, 2.5 and MOV CR operation).
  if ((value & cr0::PG) && !(value & cr0::PE)) return fault(kGP, 0);
  if ((value & cr0::NW) && !(value & cr0::CD)) return fault(kGP, 0);
  value |= cr0::ET;  // hardwired to 1 on P6
  const u32 changed = s.cr0 ^ value;
  s.cr0 = value;
  if (changed & (cr0::PG | cr0::WP | cr0::PE)) tlb_flush_all();
  return true;
}

bool Cpu::set_cr3(u32 value) {
  s.cr3 = value;
  tlb_flush_nonglobal();
  return true;
}

bool Cpu::set_cr4(u32 value) {
  if (value & ~cr4::kSupported) return fault(kGP, 0);
  const u32 changed = s.cr4 ^ value;
  s.cr4 = value;
  if (changed & (cr4::PSE | cr4::PGE | cr4::PAE)) tlb_flush_all();
  return true;
}

void Cpu::set_eflags(u32 value, u32 mask) {
  s.flags.materialise();
  const u32 before = s.flags.bits;
  const bool was_vm = s.flags.bits & eflags::VM;
  s.flags.bits =
      ((s.flags.bits & ~mask) | (value & mask) | eflags::kReserved1) & (eflags::kWritable | eflags::kReserved1);
  // IF rising may let a waiting interrupt in; TF rising starts single-stepping.
  if (~before & s.flags.bits & (eflags::IF | eflags::TF)) need_attention();
  if (was_vm != bool(s.flags.bits & eflags::VM)) mode_changed();
}

bool Cpu::io_allowed(u16 port, unsigned size) {
  if (s.protected_mode() && (s.v86() || s.cpl > s.iopl())) {
    // Consult the I/O permission bitmap in a 32-bit TSS (SDM Vol. 1, 19.5.2).
    const u8 tss_type = desc::type(s.tr.attrs);
    if ((tss_type & 0x7) != 0x3 && (tss_type & 0x7) != 0x1) return fault(kGP, 0);
    if (!(tss_type & 0x8) || s.tr.limit < 0x67) return fault(kGP, 0);  // 16-bit TSS has no bitmap
    u32 map_base;
    if (!read_system(s.tr.base + 0x66, 2, map_base)) return false;
    const u32 byte = map_base + (port >> 3);
    if (byte + 1 > s.tr.limit) return fault(kGP, 0);
    u32 bits;
    if (!read_system(s.tr.base + byte, 2, bits)) return false;
    const u32 want = ((1u << size) - 1) << (port & 7);
    if (bits & want) return fault(kGP, 0);
  }
  return true;
}

}  // namespace emu
