// The teaching debugger (frontends/debugger): the exact text a lab sheet quotes — registers,
// decoded descriptors, page walks, memory dumps, `explain` — its breakpoint bookkeeping, the
// run-control requests it hands to a run loop, and one-line errors after which the session
// carries on. The machines are the system tests' (SystemMachine: TestMachine's flat GDT plus TSSs
// and gates).
#include "frontends/debugger/debugger.h"

#include <doctest/doctest.h>

#include "system/system_machine.h"

using namespace emu;
using emu::test::SystemMachine;

namespace {

using Kind = DebugAction::Kind;

// The page tables of the pagewalk tests: linear 0x5000 -> physical 0x7000 through a page table
// (supervisor-only PTE, A and D set), 0x6000 not present, 4 MiB page 0x400000 -> 0x800000, and no
// PDE for 0x800000.
constexpr u32 kDir = 0x100000, kTable = 0x101000;
void enable_paging(SystemMachine& m) {
  for (u32 k = 0; k < 1024; ++k) {
    m.write32(kDir + 4 * k, 0);
    m.write32(kTable + 4 * k, 0);
  }
  m.write32(kTable + 4 * 5, 0x7000 | 0x63);    // P RW A D, supervisor
  m.write32(kDir + 4 * 0, kTable | 0x27);      // P RW US A
  m.write32(kDir + 4 * 1, 0x00800000 | 0xE3);  // P RW A D PS: 4 MiB page
  m.write32(kDir + 4 * 3, 0x00C00000 | 0x87);  // P RW US PS, shown with PSE off
  m.cpu.s.cr3 = kDir;
  m.cpu.s.cr4 |= cr4::PSE;
  m.cpu.s.cr0 |= cr0::PG;
  m.cpu.tlb_flush_all();
}

std::string run(Debugger& d, const char* line) { return d.execute(line).text; }

}  // namespace

TEST_CASE("debugger: regs in real mode") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.real_mode(0x07c0, 0x10);
  m.cpu.s.gpr[EAX] = 0x12345678;
  m.cpu.s.flags.bits = 0x2 | eflags::ZF | eflags::CF | eflags::IF;
  CHECK(run(dbg, "regs") ==
        "EAX 12345678  EBX 00000000  ECX 00000000  EDX 00000633\n"
        "ESI 00000000  EDI 00000000  EBP 00000000  ESP 0000f000\n"
        "EIP 00000010  CS:EIP 07c0:00000010  linear 00007c10\n"
        "EFLAGS 00000243  id vip vif ac vm rf nt IOPL=0 of df IF tf sf ZF af pf CF\n"
        "CPL 0  mode real  code 16-bit  paging off\n"
        "CR0 60000010  CR2 00000000  CR3 00000000  CR4 00000000\n");
  // Lazy flags are materialised for the display: 1 - 1 leaves ZF and PF set, CF clear.
  m.cpu.s.flags.set_lazy(FlagOp::Sub, 32, 1, 1, 0);
  CHECK(run(dbg, "regs").find("EFLAGS 00000246  id vip vif ac vm rf nt IOPL=0 of df IF tf sf ZF af PF cf\n") !=
        std::string::npos);
}

TEST_CASE("debugger: sregs in real mode and with a flat protected-mode GDT") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.real_mode(0x07c0, 0);
  CHECK(run(dbg, "sregs") ==
        "real mode: segment base = selector * 16, no descriptor is read; limit and type are the cached ones\n"
        "reg  sel   base     limit    DPL P D/B G  type\n"
        "CS   07c0  00007c00 0000ffff 0   1 16  B  code, execute/read, accessed\n"
        "DS   0000  00000000 0000ffff 0   1 16  B  data, read/write, accessed\n"
        "ES   0000  00000000 0000ffff 0   1 16  B  data, read/write, accessed\n"
        "FS   0000  00000000 0000ffff 0   1 16  B  data, read/write, accessed\n"
        "GS   0000  00000000 0000ffff 0   1 16  B  data, read/write, accessed\n"
        "SS   0000  00000000 0000ffff 0   1 16  B  data, read/write, accessed\n"
        "LDTR and TR are not used in real mode\n");

  m.protected_flat32();
  m.cpu.load_segment(Seg::FS, 0x0);   // a null selector is legal in FS; using it is not
  m.cpu.load_segment(Seg::GS, 0x23);  // the ring-3 data segment, RPL 3
  m.setup_task_a();
  CHECK(run(dbg, "sregs") ==
        "reg  sel   index TI  RPL base     limit    DPL P D/B G  type\n"
        "CS   0008  1     GDT 0   00000000 ffffffff 0   1 32  4K code, execute/read, accessed\n"
        "DS   0010  2     GDT 0   00000000 ffffffff 0   1 32  4K data, read/write, accessed\n"
        "ES   0010  2     GDT 0   00000000 ffffffff 0   1 32  4K data, read/write, accessed\n"
        "FS   0000  0     GDT 0   -        -        -   - -   -  null selector: any use is #GP(0)\n"
        "GS   0023  4     GDT 3   00000000 ffffffff 3   1 32  4K data, read/write, accessed\n"
        "SS   0010  2     GDT 0   00000000 ffffffff 0   1 32  4K data, read/write, accessed\n"
        "LDTR 0000  0     GDT 0   -        -        -   - -   -  null: no LDT\n"
        "TR   0038  7     GDT 0   00003000 00000067 0   1 -   B  32-bit TSS (busy)\n");
}

TEST_CASE("debugger: gdt and idt listings decode every entry, up to a cap") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  m.setup_task_a();
  m.set_call_gate(SystemMachine::kCallGate, 0x08, 0x12345, 3, 2);
  CHECK(run(dbg, "gdt 10") ==
        "GDT base 00001000 limit 00ff: 32 descriptors (SDM Vol. 3A §3.4.5)\n"
        "idx  sel   raw              base     limit    DPL P D/B G  type\n"
        "0    0000  0000000000000000 -        -        -   - -   -  null descriptor (never used)\n"
        "1    0008  00cf9b000000ffff 00000000 ffffffff 0   1 32  4K code, execute/read, accessed\n"
        "2    0010  00cf93000000ffff 00000000 ffffffff 0   1 32  4K data, read/write, accessed\n"
        "3    0018  00cffb000000ffff 00000000 ffffffff 3   1 32  4K code, execute/read, accessed\n"
        "4    0020  00cff3000000ffff 00000000 ffffffff 3   1 32  4K data, read/write, accessed\n"
        "5    0028  00009b000000ffff 00000000 0000ffff 0   1 16  B  code, execute/read, accessed\n"
        "6    0030  000093000000ffff 00000000 0000ffff 0   1 16  B  data, read/write, accessed\n"
        "7    0038  00008b0030000067 00003000 00000067 0   1 -   B  32-bit TSS (busy)\n"
        "8    0040  0000000000000000 -        -        -   0 -   -  empty\n"
        "9    0048  0001ec0200082345 -        -        3   1 -   -  32-bit call gate to 0008:00012345, 2 parameters\n"
        "... 22 more (gdt 32 lists them all)\n");
  // The default cap is 32: the whole test GDT, without a "more" line.
  CHECK(run(dbg, "gdt").find("... ") == std::string::npos);

  m.set_idt_gate(kPF, 0x08, 0x21000, 0xE);
  m.set_idt_gate(kBP, 0x08, 0x22000, 0xF, 3);
  m.set_idt_gate(kDF, SystemMachine::kTssB, 0, 0x5);
  CHECK(run(dbg, "idt 15") ==
        "IDT base 00002000 limit 07ff: 256 gates (SDM Vol. 3A §6.11)\n"
        "vec     raw              target         DPL P type\n"
        "00 #DE  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "01 #DB  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "02 NMI  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "03 #BP  0002ef0000082000 0008:00022000  3   1 32-bit trap gate (IF unchanged)\n"
        "04 #OF  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "05 #BR  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "06 #UD  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "07 #NM  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "08 #DF  0000850000400000 TSS 0040       0   1 task gate (task switch to the TSS)\n"
        "09      0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "0a #TS  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "0b #NP  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "0c #SS  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "0d #GP  0000000000000000 -              -   0 empty (delivery raises #NP or #GP)\n"
        "0e #PF  00028e0000081000 0008:00021000  0   1 32-bit interrupt gate (clears IF)\n"
        "... 241 more (idt 256 lists them all)\n");

  // Real mode: IDTR points at the vector table of segment:offset pointers.
  m.real_mode();
  m.cpu.s.idtr = {0, 0x3ff};
  m.write32(4 * 0x10, 0xf000f065);
  const std::string ivt = run(dbg, "idt 17");
  CAPTURE(ivt);
  CHECK(ivt.find("10      f000:f065\n") != std::string::npos);
  CHECK(run(dbg, "idt 2") ==
        "IVT base 00000000 limit 03ff: 256 real-mode vectors (segment:offset)\n"
        "vec     handler\n"
        "00 #DE  0000:0000\n"
        "01 #DB  0000:0000\n"
        "... 254 more (idt 256 lists them all)\n");
  CHECK(run(dbg, "gdt 0") == "error: gdt takes a number of entries, 1-8192: '0'\n");
}

TEST_CASE("debugger: tss shows the current task's ring stacks and saved state") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  m.setup_task_a();
  m.write32(SystemMachine::kTssABase + 0x1C, 0x00100000);  // CR3
  m.write32(SystemMachine::kTssABase + 0x20, 0x00010020);  // EIP
  CHECK(run(dbg, "tss") ==
        "TR 0038  32-bit TSS (busy)  base 00003000  limit 00000067\n"
        "previous task link 0000\n"
        "ring 0 stack  SS0 0010  ESP0 00070000\n"
        "ring 1 stack  SS1 0000  ESP1 00000000\n"
        "ring 2 stack  SS2 0000  ESP2 00000000\n"
        "CR3 00100000  EIP 00010020  EFLAGS 00000000\n"
        "EAX 00000000  ECX 00000000  EDX 00000000  EBX 00000000\n"
        "ESP 00000000  EBP 00000000  ESI 00000000  EDI 00000000\n"
        "ES 0000  CS 0000  SS 0000  DS 0000  FS 0000  GS 0000  LDT 0000\n"
        "T 0  I/O map base 0068 (beyond the limit: no I/O bitmap, ports need CPL <= IOPL)\n");
  m.real_mode();
  CHECK(run(dbg, "tss") == "error: no task in real mode: TR and the TSS are used only in protected mode\n");
}

TEST_CASE("debugger: pagewalk through a page table, a 4 MiB page, and to a #PF") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  CHECK(run(dbg, "pagewalk 0x5123") == "paging off (CR0.PG=0): linear 0x00005123 is physical 0x00005123\n");
  enable_paging(m);

  CHECK(run(dbg, "pagewalk 0x5123") ==
        "linear 0x00005123: directory index 000, table index 005, offset 123\n"
        "CR3  00100000  page directory at 0x00100000  (CR4.PSE=1 CR4.PGE=0 CR0.WP=0)\n"
        "PDE  at 0x00100000 = 0x00101027  P RW US pwt pcd A d ps  g  -> page table at 0x00101000\n"
        "PTE  at 0x00101014 = 0x00007063  P RW us pwt pcd A D pat g  -> 4 KiB page at 0x00007000\n"
        "physical 0x00007123  (supervisor only, read/write)\n");

  CHECK(run(dbg, "pagewalk 0x00405123") ==
        "linear 0x00405123: directory index 001, table index 005, offset 123\n"
        "CR3  00100000  page directory at 0x00100000  (CR4.PSE=1 CR4.PGE=0 CR0.WP=0)\n"
        "PDE  at 0x00100004 = 0x008000e3  P RW us pwt pcd A D PS  g  -> 4 MiB page at 0x00800000\n"
        "physical 0x00805123  (4 MiB page, offset 005123; supervisor only, read/write)\n");

  // Not present at the PTE: a read at CPL 0 is error code 0 (P=0, W/R=0, U/S=0), at CPL 3 it is
  // 4 (U/S=1), as the CPU reports it (SDM Vol. 3A §4.7; tests/system/paging_test.cpp).
  const std::string pte_walk =
      "linear 0x00006010: directory index 000, table index 006, offset 010\n"
      "CR3  00100000  page directory at 0x00100000  (CR4.PSE=1 CR4.PGE=0 CR0.WP=0)\n"
      "PDE  at 0x00100000 = 0x00101027  P RW US pwt pcd A d ps  g  -> page table at 0x00101000\n"
      "PTE  at 0x00101018 = 0x00000000  p rw us pwt pcd a d pat g\n";
  CHECK(run(dbg, "pagewalk 0x6010") == pte_walk +
                                           "not present at the PTE -> #PF, error code 0x0000 for a read at CPL 0\n"
                                           "     error code bits: P=0 not present, W/R=0 read, U/S=0 supervisor; "
                                           "CR2 = 0x00006010\n");
  m.cpu.set_cpl(3);
  CHECK(run(dbg, "pagewalk 0x6010") == pte_walk +
                                           "not present at the PTE -> #PF, error code 0x0004 for a read at CPL 3\n"
                                           "     error code bits: P=0 not present, W/R=0 read, U/S=1 user; "
                                           "CR2 = 0x00006010\n");
  // A present supervisor page read from ring 3 is a protection fault: error code 5.
  const std::string user_walk = run(dbg, "pagewalk 0x5123");
  CHECK(user_walk.find("physical 0x00007123  (supervisor only, read/write)\n"
                       "user access to a supervisor page -> #PF, error code 0x0005 for a read at CPL 3\n"
                       "     error code bits: P=1 protection, W/R=0 read, U/S=1 user; CR2 = 0x00005123\n") !=
        std::string::npos);
  m.cpu.set_cpl(0);

  CHECK(run(dbg, "pagewalk 0x800000") ==
        "linear 0x00800000: directory index 002, table index 000, offset 000\n"
        "CR3  00100000  page directory at 0x00100000  (CR4.PSE=1 CR4.PGE=0 CR0.WP=0)\n"
        "PDE  at 0x00100008 = 0x00000000  p rw us pwt pcd a d ps  g\n"
        "not present at the PDE -> #PF, error code 0x0000 for a read at CPL 0\n"
        "     error code bits: P=0 not present, W/R=0 read, U/S=0 supervisor; CR2 = 0x00800000\n");
  // Without CR4.PSE the PS bit is ignored and the PDE points at a page table (SDM Vol. 3A §4.3).
  m.cpu.s.cr4 &= ~cr4::PSE;
  CHECK(run(dbg, "pagewalk 0xc00000").find("-> page table at 0x00c00000 (PS ignored: CR4.PSE=0)\n") !=
        std::string::npos);
  // Looking never sets Accessed or Dirty bits.
  CHECK(m.read32(kTable + 4 * 6) == 0);
  CHECK(m.read32(kDir + 4 * 3) == (0x00C00000 | 0x87));
}

TEST_CASE("debugger: x and xp dump memory; unmapped pages are one error line") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  m.write_bytes(0x3000,
                {0x78, 0x56, 0x34, 0x12, 0x01, 0x02, 0x03, 0x04, 0xff, 0x00, 0x00, 0x00, 0x41, 0x42, 0x43, 0x0a});
  CHECK(run(dbg, "x/4xw 0x3000") == "00003000: 0x12345678 0x04030201 0x000000ff 0x0a434241\n");
  CHECK(run(dbg, "x /2xh 0x3000") == "00003000: 0x5678 0x1234\n");
  CHECK(run(dbg, "x/1db 0x3008") == "00003008:  -1\n");
  CHECK(run(dbg, "x/1ub 0x3008") == "00003008: 255\n");
  CHECK(run(dbg, "x/4c 0x300c") == "0000300c: 'A' 'B' 'C' '\\n'\n");
  CHECK(run(dbg, "x/2xw $esp-0x7d000") == "00003000: 0x12345678 0x04030201\n");  // ESP = 0x80000
  CHECK(run(dbg, "x/1xw ds:0x3004") == "00003004: 0x04030201\n");
  enable_paging(m);
  m.write32(0x7000, 0xabcdef01);
  CHECK(run(dbg, "x/1xw 0x5000") == "00005000: 0xabcdef01\n");
  CHECK(run(dbg, "xp/1xw 0x5000") == "00005000: 0x00000000\n");
  CHECK(run(dbg, "xp/1xw p:0x7000") == "00007000: 0xabcdef01\n");
  CHECK(run(dbg, "x/4xw 0x6000") == "error: linear address 0x00006000 is not mapped (pagewalk 0x00006000 shows why)\n");
  CHECK(run(dbg, "xp/4xw 0xfff00000") ==
        "error: nothing readable at physical address 0xfff00000 (no RAM or ROM there)\n");
  CHECK(run(dbg, "x/4q 0x5000") == "error: x: bad format letter 'q' (count, then x d u c i, then b h w: x/4xw)\n");
  CHECK(run(dbg, "x/4xw nowhere") ==
        "error: bad address 'nowhere' (try 0x7c00, $esp+8, cs:0x100, 0x07c0:0x10 or p:0x100000)\n");
  CHECK(run(dbg, "x/4xw p:0x7000") == "error: x takes a linear address; use xp for a physical one\n");
}

TEST_CASE("debugger: disas marks the instruction at CS:EIP") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.real_mode(0, 0x7c03);
  m.write_bytes(0x7c00, {0xb8, 0x34, 0x12, 0xfa, 0xf4});
  CHECK(run(dbg, "disas 0x7c00 3") ==
        "   0x00007c00:  b8 34 12                 mov ax, 0x1234\n"
        "=> 0x00007c03:  fa                       cli\n"
        "   0x00007c04:  f4                       hlt\n");
  CHECK(run(dbg, "disas 0x0000:0x7c03 1") == "=> 0x00007c03:  fa                       cli\n");
  CHECK(run(dbg, "disas p:0x7c04 1") == "   p:0x00007c04:  f4                       hlt\n");
  m.protected_flat32();
  m.place(0x10000, "mov eax, 5\n hlt");
  CHECK(run(dbg, "disas $pc 2") ==
        "=> 0x00010000:  b8 05 00 00 00           mov eax, 5\n"
        "   0x00010005:  f4                       hlt\n");
  CHECK(run(dbg, "disas").size() > 0);
  CHECK(run(dbg, "disas 0x10000 0") == "error: bad instruction count '0' (1-1000)\n");
}

TEST_CASE("debugger: explain SGDT, MOV CR0 and a plain ADD") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  m.place(0x10000, "sgdt [0x6000]\n mov cr0, eax\n add eax, ebx\n hlt");

  CHECK(run(dbg, "explain") ==
        "0x00010000  sgdt [0x6000]\n"
        "bytes      0f 01 05 00 60 00 00\n"
        "form       SGDT m (opcode table row)\n"
        "mode       protected mode, 32-bit code, CPL 0, IOPL 0; operand size 32 bits\n"
        "does       Stores GDTR -- the 16-bit limit, then the 32-bit base -- to the 6 bytes at the memory\n"
        "           operand.\n"
        "privilege  not privileged: runs at any CPL.\n"
        "sensitive  yes, and not privileged: one of the 17 IA-32 instructions that behave differently outside\n"
        "           ring 0 without trapping (Robin & Irvine 2000).\n"
        "why        It reads state only the monitor should own (GDTR, IDTR, LDTR, TR, CR0) yet runs at any\n"
        "           CPL without a trap: a guest kernel moved out of ring 0 sees the monitor's tables, not its\n"
        "           own (SIDT is the classic 'am I in a VM?' test). Sensitive but not privileged, so IA-32\n"
        "           fails Popek and Goldberg's condition.\n"
        "emu        the interpreter never runs it as plain code: it is bound to the VMM gate (vmm_gate in\n"
        "           translator/semantics/select.cpp), which counts it per kind, raises #UD for forms not\n"
        "           recognised in this mode, then runs the semantics in translator/semantics/system.cpp with\n"
        "           the guest's own privilege and mode. Executed 0 times so far, 0 outside ring 0 (stats).\n");

  m.cpu.s.eip = 0x10007;
  CHECK(run(dbg, "explain") ==
        "0x00010007  mov cr0, eax\n"
        "bytes      0f 22 c0\n"
        "form       MOV CR0-CR7, r32 (opcode table row)\n"
        "mode       protected mode, 32-bit code, CPL 0, IOPL 0; operand size 32 bits\n"
        "does       Writes CR0 from a general register: PE turns protected mode on or off, PG paging, WP\n"
        "           write protection at ring 0, TS/EM/MP the x87 traps, CD/NW the caches (SDM Vol. 3A §2.5).\n"
        "           Leaves OF SF ZF AF PF CF undefined. Ends a translated block (control transfer or mode\n"
        "           change).\n"
        "privilege  privileged: needs CPL 0; at CPL 1-3 and in V86 mode it raises #GP(0) (SDM Vol. 3A §2.8).\n"
        "           Now: CPL 0, so it runs.\n"
        "sensitive  yes, and privileged: outside ring 0 it traps (#GP), so a trap-and-emulate monitor sees\n"
        "           every execution and applies it to the guest's virtual state -- the case Popek and\n"
        "           Goldberg's theorem needs.\n"
        "emu        the interpreter never runs it as plain code: it is bound to the VMM gate (vmm_gate in\n"
        "           translator/semantics/select.cpp), which counts it per kind, raises #UD for forms not\n"
        "           recognised in this mode, #GP(0) outside ring 0, then runs the semantics in\n"
        "           translator/semantics/system.cpp with the guest's own privilege and mode. Executed 0 times\n"
        "           so far, 0 outside ring 0 (stats).\n");
  m.cpu.set_cpl(3);
  CHECK(run(dbg, "explain").find("           Now: CPL 3, so it faults.\n") != std::string::npos);
  m.cpu.set_cpl(0);

  CHECK(run(dbg, "explain 0x1000a") ==
        "0x0001000a  add eax, ebx\n"
        "bytes      01 d8\n"
        "form       ADD r/m32, r32 (opcode table row)\n"
        "mode       protected mode, 32-bit code, CPL 0, IOPL 0; operand size 32 bits\n"
        "does       Adds the source to the destination and stores the sum in the destination. Accepts LOCK\n"
        "           with a memory destination.\n"
        "privilege  not privileged: runs at any CPL.\n"
        "sensitive  no: it depends on no privileged state, so a virtual machine can run it directly.\n"
        "emu        runs its semantics (translator/semantics/alu.cpp) straight from the block cache; no\n"
        "           monitor involvement.\n");

  // After running, the gate's counters show up in explain.
  m.cpu.s.eip = 0x10000;
  m.interp.step();
  m.cpu.s.eip = 0x10000;
  CHECK(run(dbg, "explain").find("Executed 1 time so far, 0 outside ring 0 (stats).\n") != std::string::npos);
}

TEST_CASE("debugger: explain follows the mode: POPF at CPL 3, INT n and PUSHF in V86 mode") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  m.place(0x10000, "popfd\n hlt");
  m.cpu.set_cpl(3);
  const std::string popf = run(dbg, "explain");
  CHECK(popf.find("does       Pops EFLAGS; at CPL 3 (> IOPL 0) changes to IF and IOPL are silently dropped -- no "
                  "fault,\n") != std::string::npos);
  CHECK(popf.find("why        PUSHF shows the real IF and IOPL;") != std::string::npos);

  m.cpu.s.flags.bits |= eflags::VM;
  for (Seg s : {Seg::CS, Seg::DS, Seg::ES, Seg::SS, Seg::FS, Seg::GS}) m.cpu.load_segment_real(s, 0x2000);
  m.cpu.mode_changed();
  m.cpu.s.eip = 0;
  m.write_bytes(0x20000, {0x9c, 0xcd, 0x21});
  const std::string pushf = run(dbg, "explain");
  CHECK(pushf.find("mode       V86 mode, 16-bit code, CPL 3, IOPL 0; operand size 16 bits\n") != std::string::npos);
  CHECK(pushf.find("does       In V86 mode with IOPL < 3 PUSHF raises #GP(0), so the V86 monitor can emulate it.\n") !=
        std::string::npos);
  CHECK(run(dbg, "explain cs:1").find("does       Software interrupt in V86 mode with IOPL < 3: #GP(0)") !=
        std::string::npos);
  CHECK(run(dbg, "regs").find("CPL 3  mode V86  code 16-bit  paging off\n") != std::string::npos);
}

TEST_CASE("debugger: stats shows the Cpu's counters and the sensitive instructions per kind") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  m.run_asm("pushfd\n pushfd\n sgdt [0x6000]\n hlt");
  const std::string out = run(dbg, "stats");
  CAPTURE(out);
  CHECK(out.find("instructions retired                  4\n") == 0);
  CHECK(out.find("exceptions                            0\n") != std::string::npos);
  CHECK(out.find("           2              0  sensitive, IOPL-sensitive PUSHFD\n") != std::string::npos);
  CHECK(out.find("           1              0  sensitive              SGDT m\n") != std::string::npos);
}

TEST_CASE("debugger: breakpoints and watchpoints: add, list, query, delete") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  m.set_gdt_entry(0x38, SystemMachine::descriptor(0x100000, 0xFFFF, 0x009B));  // code at base 1 MiB
  CHECK(run(dbg, "info break") == "no breakpoints or watchpoints\n");
  CHECK(run(dbg, "break 0x10000") == "breakpoint 1 at linear 0x00010000\n");
  CHECK(run(dbg, "break p:0x200000") == "breakpoint 2 at physical 0x00200000\n");
  CHECK(run(dbg, "break 0x38:0x10") == "breakpoint 3 at linear 0x00100010 (0x38:0x10)\n");
  CHECK(run(dbg, "b $pc+5") == "breakpoint 4 at linear 0x00010005 ($pc+5)\n");
  CHECK(run(dbg, "watch rw 0x5000 4") == "watchpoint 5 (read/write) at linear 0x00005000, 4 bytes\n");
  CHECK(run(dbg, "watch p:0x9000") == "watchpoint 6 (write) at physical 0x00009000, 1 byte\n");
  CHECK(run(dbg, "break 0x10000") == "error: breakpoint 1 is already at linear 0x00010000\n");
  CHECK(run(dbg, "info break") ==
        "num  type          space    address     what\n"
        "1    breakpoint    linear   0x00010000\n"
        "2    breakpoint    physical 0x00200000\n"
        "3    breakpoint    linear   0x00100010  0x38:0x10\n"
        "4    breakpoint    linear   0x00010005  $pc+5\n"
        "5    watch rw      linear   0x00005000  4 bytes\n"
        "6    watch w       physical 0x00009000  1 byte\n");

  CHECK(dbg.breaks_at(0x10000, 0x10000));
  CHECK(dbg.breakpoint_at(0x12345, 0x200000) == 2u);  // a physical breakpoint, whatever maps there
  CHECK_FALSE(dbg.breaks_at(0x10001, 0x10001));
  CHECK(dbg.linear_breakpoints() == std::unordered_set<u32>{0x10000, 0x100010, 0x10005});
  CHECK(dbg.has_physical_breakpoints());
  CHECK(dbg.watch_hit(0x5003, 0x5003, 1, false) == 5u);
  CHECK(dbg.watch_hit(0x4ffe, 0x4ffe, 4, true) == 5u);  // overlaps the first two bytes
  CHECK_FALSE(dbg.watches(0x5004, 0x5004, 4, true));
  CHECK_FALSE(dbg.watches(0x1234, 0x9000, 2, false));  // a write watch ignores reads
  CHECK(dbg.watch_hit(0x1234, 0x9000, 2, true) == 6u);

  CHECK(run(dbg, "delete 2 5") == "deleted breakpoint 2\ndeleted watchpoint 5\n");
  CHECK_FALSE(dbg.has_physical_breakpoints());
  CHECK(run(dbg, "delete 2") == "error: no breakpoint or watchpoint number '2'\n");
  CHECK(run(dbg, "delete 1 99") == "error: no breakpoint or watchpoint number '99'\n");
  CHECK(dbg.breaks_at(0x10000, 0x10000));  // a bad number deletes nothing
  CHECK(run(dbg, "info break") ==
        "num  type          space    address     what\n"
        "1    breakpoint    linear   0x00010000\n"
        "3    breakpoint    linear   0x00100010  0x38:0x10\n"
        "4    breakpoint    linear   0x00010005  $pc+5\n"
        "6    watch w       physical 0x00009000  1 byte\n");
  CHECK(run(dbg, "delete") == "deleted 4 breakpoints and watchpoints\n");
  CHECK(dbg.linear_breakpoints().empty());
  CHECK(run(dbg, "break 0x7000") == "breakpoint 7 at linear 0x00007000\n");  // numbers are never reused

  // SEG:OFF in real mode is selector * 16 + offset.
  m.real_mode();
  CHECK(run(dbg, "break 0x07c0:0x10") == "breakpoint 8 at linear 0x00007c10 (0x07c0:0x10)\n");
}

TEST_CASE("debugger: run-control commands become actions for the run loop") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  m.place(0x10000, "add eax, 1\n call 0x10020\n int 0x80\n hlt");
  CHECK(dbg.execute("step").action == DebugAction::step(1));
  CHECK(dbg.execute("si 0x10").action == DebugAction::step(16));
  CHECK(dbg.execute("continue").action == DebugAction::cont());
  CHECK(dbg.execute("c").action.kind == Kind::Continue);
  CHECK(dbg.execute("until 0x10020").action == DebugAction::until(0x10020));
  CHECK(dbg.execute("until cs:0x10").action == DebugAction::until(0x10));
  CHECK(dbg.execute("quit").action == DebugAction::quit());
  // next: one step, except over a call or INT n, where it runs to the following instruction.
  CHECK(dbg.execute("next").action == DebugAction::step(1));
  m.cpu.s.eip = 0x10003;
  CHECK(dbg.execute("next").action == DebugAction::until(0x10008));
  m.cpu.s.eip = 0x10008;
  CHECK(dbg.execute("n").action == DebugAction::until(0x1000a));
  // Looking commands request nothing; errors request nothing.
  CHECK(dbg.execute("regs").action == DebugAction::none());
  const DebugResult bad = dbg.execute("step many");
  CHECK(bad.text == "error: bad step count 'many'\n");
  CHECK(bad.action == DebugAction::none());
  CHECK(dbg.execute("until").text == "error: missing address\n");
  CHECK(dbg.execute("until p:0x1000").text == "error: until needs a linear address (CS.base + EIP), not p:\n");
}

TEST_CASE("debugger: errors are one line and the session carries on") {
  SystemMachine m;
  Debugger dbg(m.cpu);
  m.protected_flat32();
  CHECK(run(dbg, "frobnicate 3") == "error: unknown command 'frobnicate' (try 'help')\n");
  CHECK(run(dbg, "info frob") == "error: unknown info topic 'frob' (try 'info break')\n");
  CHECK(run(dbg, "break") == "error: usage: break ADDR (linear), break p:ADDR (physical), break SEG:OFF\n");
  CHECK(run(dbg, "break $nope") ==
        "error: bad address '$nope' (try 0x7c00, $esp+8, cs:0x100, 0x07c0:0x10 or p:0x100000)\n");
  CHECK(run(dbg, "break 0x100:0") == "error: selector 0x0100 is beyond the GDT limit 0x00ff\n");
  CHECK(run(dbg, "break 0x0:0x10") == "error: selector 0x0000 is null: it names no segment\n");
  CHECK(run(dbg, "break 0x4:0x10") == "error: selector 0x0004 is in the LDT, but no LDT is loaded\n");
  CHECK(run(dbg, "watch rw") == "error: usage: watch [r|w|rw] ADDR [LEN]\n");
  CHECK(run(dbg, "watch 0x5000 0") == "error: bad watch length '0'\n");
  CHECK(run(dbg, "pagewalk p:0x1000") == "error: pagewalk takes a linear address, not p:\n");
  CHECK(run(dbg, "tss") == "error: TR is null: no task has been loaded with LTR\n");
  enable_paging(m);
  CHECK(run(dbg, "disas 0x6000") == "error: cannot read linear address 0x00006000 (not mapped; try pagewalk)\n");
  CHECK(run(dbg, "explain 0x6000") ==
        "error: cannot read the instruction at linear 0x00006000 (not mapped; try pagewalk)\n");
  CHECK(run(dbg, "") == "");
  // Still alive, and nothing was changed by the failures.
  CHECK(run(dbg, "info break") == "no breakpoints or watchpoints\n");
  CHECK(run(dbg, "help").find("pagewalk VADDR") != std::string::npos);
}
