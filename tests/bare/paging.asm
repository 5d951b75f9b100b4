; Paging: identity map + an alias, Accessed/Dirty bits, #PF for not-present pages (handler maps
; the page and the access retries), write protection with CR0.WP, user/supervisor checks, 4 MiB
; PSE pages, INVLPG. SDM Vol. 3A, chapter 4.
%include "harness.inc"

PD      equ 0x100000            ; page directory
PT0     equ 0x101000            ; maps 0-4 MiB identically
PT1     equ 0x102000            ; maps 4-8 MiB: page 0 -> phys 0x200000 (the alias)
PT2     equ 0x103000            ; installed by the #PF handler for 8-12 MiB
P       equ 1
RW      equ 2
US      equ 4
PS      equ 0x80
ACCESSED equ 0x20
DIRTY   equ 0x40

test_main:
        SET_GATE 14, pf_handler, 0xE, 0
        ; Clear the directory and tables.
        mov     edi, PD
        mov     ecx, 4 * 4096 / 4
        xor     eax, eax
        rep stosd
        ; PT0: identity 0-4 MiB, supervisor read/write.
        mov     edi, PT0
        mov     eax, P | RW
        mov     ecx, 1024
.id:    stosd
        add     eax, 0x1000
        loop    .id
        ; PT1[0]: linear 0x400000 -> physical 0x200000, read/write.
        mov     dword [PT1], 0x200000 | P | RW
        ; PT1[1]: linear 0x401000 -> physical 0x201000, read-only.
        mov     dword [PT1 + 4], 0x201000 | P
        mov     dword [PD], PT0 | P | RW
        mov     dword [PD + 4], PT1 | P | RW
        mov     eax, PD
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000
        mov     cr0, eax
        SAY     "paging: enabled"

        ; The alias: a write through 0x400000 is seen at 0x200000.
        mov     dword [0x400000], 0x12345678
        CHECK_EQ dword [0x200000], 0x12345678, "alias mapping does not reach its physical page"
        ; The CPU set Accessed and Dirty in the PTE and Accessed in the PDE.
        mov     eax, [PT1]
        and     eax, ACCESSED | DIRTY
        CHECK_EQ eax, ACCESSED | DIRTY, "PTE A/D bits not set by a write"
        mov     eax, [PD + 4]
        and     eax, ACCESSED
        CHECK_EQ eax, ACCESSED, "PDE accessed bit not set"

        ; Not-present: 8 MiB has no PDE. The handler installs PT2 and the access retries.
        mov     dword [0x800010], 0xAABBCCDD
        CHECK_EQ dword [pf_count], 1, "#PF for a not-present page was not delivered once"
        CHECK_EQ dword [pf_cr2], 0x800010, "CR2 does not hold the faulting address"
        CHECK_EQ dword [pf_error], 2, "#PF error code for a not-present write must be 2"
        CHECK_EQ dword [0x300010], 0xAABBCCDD, "retried write did not land"

        ; Read-only page, CR0.WP = 0: supervisor writes are allowed.
        mov     dword [0x401000], 1
        ; CR0.WP = 1: the same write faults with P|W (3). The handler makes the page writable.
        mov     eax, cr0
        or      eax, 0x10000
        mov     cr0, eax
        mov     dword [0x401004], 2
        CHECK_EQ dword [pf_count], 2, "write to a read-only page with CR0.WP=1 did not fault"
        CHECK_EQ dword [pf_error], 3, "#PF error code for a protection write must be 3"
        CHECK_EQ dword [0x201004], 2, "retried write to the now-writable page did not land"

        ; INVLPG: remap 0x400000 to 0x202000; after INVLPG the new mapping is used.
        mov     dword [0x202000], 0x77
        mov     dword [PT1], 0x202000 | P | RW
        invlpg  [0x400000]
        CHECK_EQ dword [0x400000], 0x77, "INVLPG did not drop the old translation"

        ; 4 MiB page: CR4.PSE and a PDE with PS map 12-16 MiB onto physical 0-4 MiB.
        mov     eax, cr4
        or      eax, 0x10
        mov     cr4, eax
        mov     dword [PD + 12], 0x000000 | P | RW | PS
        CHECK_EQ dword [0xC00000 + 0x200000], 0x12345678, "4 MiB page maps the wrong place"

        mov     eax, cr0
        and     eax, 0x7FFFFFFF
        mov     cr0, eax
        SAY     "paging: translations, A/D bits, #PF, WP, INVLPG and PSE ok"
        ret

pf_handler:
        pop     eax                     ; error code
        mov     [pf_error], eax
        mov     eax, cr2
        mov     [pf_cr2], eax
        inc     dword [pf_count]
        test    dword [pf_error], 1
        jnz     .protection
        ; Not present: install PT2 with 8 MiB -> physical 3 MiB.
        mov     dword [PT2], 0x300000 | P | RW
        mov     dword [PD + 8], PT2 | P | RW
        iretd
.protection:
        or      dword [PT1 + 4], RW
        invlpg  [0x401000]
        iretd

pf_count:  dd 0
pf_error:  dd 0
pf_cr2:    dd 0
