// Paging (SDM Vol. 3A, chapter 4): every kind of #PF with its error code and CR2, CR0.WP,
// 4 MiB pages (CR4.PSE), global pages (CR4.PGE) surviving a CR3 load, INVLPG, Accessed/Dirty.
#include <doctest/doctest.h>

#include "system/system_machine.h"

using namespace emu;
using emu::test::enter_ring3;
using emu::test::SystemMachine;

namespace {

constexpr u32 kPageDir = 0x100000;
constexpr u32 kPageTable = 0x101000;  // maps 0-4 MiB
constexpr u32 kPresent = 1, kWritable = 2, kUser = 4, kAccessed = 0x20, kDirty = 0x40, kLarge = 0x80, kGlobal = 0x100;
constexpr u32 kReadOnlyPage = 0x200000;
constexpr u32 kSupervisorPage = 0x201000;
constexpr u32 kAbsentPage = 0x202000;

// Identity-maps the first 4 MiB (user, writable) with a few special pages, and turns paging on.
void enable_paging(SystemMachine& m, u32 cr0_extra = 0) {
  for (u32 k = 0; k < 1024; ++k) m.write32(kPageTable + 4 * k, (k << 12) | kPresent | kWritable | kUser);
  m.write32(kPageTable + 4 * (kReadOnlyPage >> 12), kReadOnlyPage | kPresent | kUser);
  m.write32(kPageTable + 4 * (kSupervisorPage >> 12), kSupervisorPage | kPresent | kWritable);
  m.write32(kPageTable + 4 * (kAbsentPage >> 12), 0);
  m.write32(kPageDir, kPageTable | kPresent | kWritable | kUser);
  m.cpu.s.cr3 = kPageDir;
  m.cpu.s.cr0 |= cr0::PG | cr0_extra;
  m.cpu.tlb_flush_all();
}

// #PF handler: records the error code, CR2 and the faulting EIP, then halts.
void install_pf_recorder(SystemMachine& m) {
  m.set_idt_gate(kPF, 0x08, 0x21000, 0xE);
  m.place(
      0x21000,
      "pop eax\n mov [ss:0x5040], eax\n mov eax, cr2\n mov [ss:0x5044], eax\n pop eax\n mov [ss:0x5048], eax\n hlt");
}

}  // namespace

TEST_CASE("paging: #PF error codes and CR2 for each kind of violation") {
  struct Case {
    const char* name;
    const char* code;
    bool ring3;
    u32 wp;
    u32 error;
    u32 cr2;
  };
  const Case cases[] = {
      {"read of a not-present page at CPL 0", "mov eax, [0x202010]", false, 0, 0x0, 0x202010},
      {"write to a not-present page at CPL 0", "mov [0x202020], eax", false, 0, 0x2, 0x202020},
      {"read of a not-present page at CPL 3", "mov eax, [0x202030]", true, 0, 0x4, 0x202030},
      {"write to a read-only page at CPL 3", "mov [0x200040], eax", true, 0, 0x7, 0x200040},
      {"write to a read-only page at CPL 0 with CR0.WP", "mov [0x200050], eax", false, cr0::WP, 0x3, 0x200050},
      {"user read of a supervisor page", "mov eax, [0x201060]", true, 0, 0x5, 0x201060},
      {"user write of a supervisor page", "mov [0x201070], eax", true, 0, 0x7, 0x201070},
      {"PDE not present", "mov eax, [0x400080]", false, 0, 0x0, 0x400080},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    SystemMachine m;
    m.protected_flat32();
    m.setup_task_a();
    install_pf_recorder(m);
    enable_paging(m, c.wp);
    std::string code = c.ring3 ? enter_ring3("user") + "user:\n mov ax, 0x23\n mov ds, ax\n" : "";
    const u32 fault_at = SystemMachine::kCodeBase + (c.ring3 ? 17 + 6 : 0);
    CHECK(m.run_asm(code + c.code + "\n hlt") == StopReason::Halted);
    CHECK(m.read32(0x5040) == c.error);
    CHECK(m.read32(0x5044) == c.cr2);
    CHECK(m.read32(0x5048) == fault_at);
  }
}

TEST_CASE("paging: a supervisor write to a read-only page succeeds while CR0.WP = 0") {
  SystemMachine m;
  m.protected_flat32();
  install_pf_recorder(m);
  enable_paging(m);
  CHECK(m.run_asm("mov dword [0x200000], 0xCAFE\n hlt") == StopReason::Halted);
  CHECK(m.read32(0x200000) == 0xCAFE);
  CHECK(m.read32(0x5040) == 0);
}

TEST_CASE("paging: Accessed and Dirty bits are set by the walk") {
  SystemMachine m;
  m.protected_flat32();
  enable_paging(m);
  const u32 pte_read = kPageTable + 4 * 0x300, pte_write = kPageTable + 4 * 0x301;
  CHECK(!(m.read32(pte_read) & kAccessed));
  CHECK(m.run_asm("mov eax, [0x300000]\n mov dword [0x301000], 1\n hlt") == StopReason::Halted);
  CHECK((m.read32(pte_read) & (kAccessed | kDirty)) == kAccessed);
  CHECK((m.read32(pte_write) & (kAccessed | kDirty)) == (kAccessed | kDirty));
  CHECK((m.read32(kPageDir) & kAccessed));
  CHECK(!(m.read32(kPageDir) & kDirty));  // no dirty bit in a PDE that points to a table
}

TEST_CASE("paging: 4 MiB pages with CR4.PSE, dirty bit in the PDE") {
  SystemMachine m;
  m.protected_flat32();
  enable_paging(m);
  m.write32(kPageDir + 4 * 2, 0x00400000 | kPresent | kWritable | kLarge);  // 8 MiB -> 4 MiB
  m.write32(0x412345, 0x5A5A5A5A);
  CHECK(m.run_asm(R"(
    mov eax, cr4
    or eax, 1 << 4
    mov cr4, eax
    mov ebx, [0x812345]
    mov dword [0x812349], 0x77
    hlt
  )") == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EBX] == 0x5A5A5A5A);
  CHECK(m.read32(0x412349) == 0x77);
  CHECK((m.read32(kPageDir + 8) & (kAccessed | kDirty)) == (kAccessed | kDirty));
}

TEST_CASE("paging: global pages survive a CR3 load; INVLPG drops them") {
  SystemMachine m;
  m.protected_flat32();
  enable_paging(m);
  m.write32(0x300000, 0x1111);
  m.write32(0x302000, 0x2222);
  m.write32(0x301000, 0x3333);
  m.write32(0x303000, 0x4444);
  const u32 pte_global = kPageTable + 4 * 0x300, pte_local = kPageTable + 4 * 0x301;
  m.write32(pte_global, 0x300000 | kPresent | kWritable | kGlobal);
  m.write32(pte_local, 0x301000 | kPresent | kWritable);
  CHECK(m.run_asm(R"(
    mov eax, cr4
    or eax, 1 << 7           ; PGE
    mov cr4, eax
    mov eax, [0x300000]      ; fill the TLB
    mov eax, [0x301000]
    mov dword [0x101C00], 0x302103    ; remap both pages behind the TLB's back
    mov dword [0x101C04], 0x303003
    mov eax, cr3
    mov cr3, eax
    mov eax, [0x300000]
    mov [0x5000], eax        ; still the old page: global
    mov eax, [0x301000]
    mov [0x5004], eax        ; the new page: the CR3 load flushed it
    invlpg [0x300000]
    mov eax, [0x300000]
    mov [0x5008], eax
    hlt
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0x1111);
  CHECK(m.result(1) == 0x4444);
  CHECK(m.result(2) == 0x2222);
}

TEST_CASE("paging: a page fault is precise: a faulting PUSH leaves ESP unchanged") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();  // the #PF frame goes on the ring-0 stack
  m.set_idt_gate(kPF, 0x08, 0x21000, 0xE);
  m.place(0x21000,
          "pop eax\n mov [ss:0x5040], eax\n mov eax, cr2\n mov [ss:0x5044], eax\n mov eax, [esp + 12]\n"
          " mov [ss:0x5048], eax\n hlt");
  enable_paging(m);
  CHECK(m.run_asm(enter_ring3("user") + "user:\n mov esp, 0x203000\n push dword 0x1234\n hlt") == StopReason::Halted);
  CHECK(m.read32(0x5040) == 0x6);  // user write, not present
  CHECK(m.read32(0x5044) == 0x202FFC);
  CHECK(m.read32(0x5048) == 0x203000);  // the user ESP saved in the frame: the PUSH did not happen
}
