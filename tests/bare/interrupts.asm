; Interrupts and exceptions in protected mode: trap and interrupt gates, faults that return to
; the faulting instruction vs traps that return after it, error codes, a ring 3 -> ring 0
; transition through a DPL-3 gate with a stack switch, and the #GP of a privilege violation.
%include "harness.inc"

test_main:
        SET_GATE 0x30, int30_handler, 0xF, 0     ; trap gate, DPL 0
        SET_GATE 0x31, int31_handler, 0xE, 3     ; interrupt gate, DPL 3 (callable from ring 3)
        SET_GATE 0x32, back_to_ring0, 0xE, 3
        SET_GATE 0, de_handler, 0xE, 0
        SET_GATE 3, bp_handler, 0xE, 0
        SET_GATE 6, ud_handler, 0xE, 0
        SET_GATE 13, gp_handler, 0xE, 0

        ; INT n through a trap gate: IF is not cleared.
        sti
        int     0x30
        CHECK_EQ dword [int30_seen], 1, "int 0x30 handler did not run"
        CHECK_EQ dword [int30_if], 0x200, "a trap gate cleared IF"
        cli

        ; #DE is a fault: EIP points at the DIV; the handler skips it (2 bytes).
        xor     ecx, ecx
        mov     eax, 1
        div     ecx
        CHECK_EQ dword [de_seen], 1, "#DE not delivered"

        ; INT3 is a trap: the pushed EIP is after the instruction.
        int3
after_int3:
        CHECK_EQ dword [bp_eip], after_int3, "INT3 pushed the wrong EIP"

        ; #UD from UD2.
        ud2
        CHECK_EQ dword [ud_seen], 1, "#UD not delivered"

        ; #GP with an error code: loading a selector beyond the GDT limit.
        mov     ax, 0x0FF8
        mov     ds, ax                           ; 8E D8
        CHECK_EQ dword [gp_error], 0x0FF8, "#GP error code is not the selector"
        mov     ax, SEL_DATA0
        mov     ds, ax

        ; Ring 3: IRET to a DPL-3 code segment, then INT 0x31 back into ring 0 on the TSS stack.
        mov     [ring0_esp], esp
        push    dword SEL_DATA3 | 3              ; SS
        push    dword 0x88000                    ; ESP (ring-3 stack)
        push    dword 0x002                      ; EFLAGS: IF = 0, IOPL = 0
        push    dword SEL_CODE3 | 3              ; CS
        push    dword ring3_code                 ; EIP
        iretd
ring3_done:
        CHECK_EQ dword [int31_cs], SEL_CODE3 | 3, "ring-0 handler saw the wrong CS"
        CHECK_EQ dword [int31_ss], SEL_DATA3 | 3, "stack switch did not push the old SS"
        CHECK_EQ dword [int31_esp_ok], 1, "the handler did not run on the TSS ring-0 stack"
        CHECK_EQ dword [gp_from_ring3], 2, "CLI and INT 0x30 at ring 3 must each raise #GP"
        SAY     "interrupts: gates, faults, traps, error codes and ring changes ok"
        ret

int30_handler:
        mov     dword [int30_seen], 1
        pushfd
        pop     eax
        and     eax, 0x200
        mov     [int30_if], eax
        iretd

de_handler:
        mov     dword [de_seen], 1
        add     dword [esp], 2
        iretd

bp_handler:
        mov     eax, [esp]
        mov     [bp_eip], eax
        iretd

ud_handler:
        mov     dword [ud_seen], 1
        add     dword [esp], 2
        iretd

gp_handler:
        pop     eax                              ; error code
        mov     [gp_error], eax
        test    dword [esp + 4], 3               ; from ring 3?
        jz      .ring0
        inc     dword [gp_from_ring3]
        mov     ebx, [esp]                       ; faulting EIP: skip CLI (1 byte) or INT n (2)
        cmp     byte [ebx], 0xFA
        je      .one
        add     dword [esp], 2
        iretd
.one:   add     dword [esp], 1
        iretd
.ring0: add     dword [esp], 2                   ; skip mov ds, ax
        iretd

int31_handler:
        mov     eax, [esp + 4]
        mov     [int31_cs], eax
        mov     eax, [esp + 16]
        mov     [int31_ss], eax
        mov     eax, esp
        cmp     eax, STACK_TOP - 0x4000
        jae     .bad
        cmp     eax, STACK_TOP - 0x4000 - 64
        jb      .bad
        mov     dword [int31_esp_ok], 1
.bad:   iretd

back_to_ring0:                                   ; INT 0x32 from ring 3: abandon ring 3
        mov     ax, SEL_DATA0
        mov     ds, ax
        mov     es, ax
        mov     esp, [ring0_esp]
        jmp     ring3_done

ring3_code:
        mov     ax, SEL_DATA3 | 3
        mov     ds, ax
        int     0x31
        cli                                      ; IOPL 0 < CPL 3: #GP
        int     0x30                             ; gate DPL 0 < CPL 3: #GP(0x30*8+2)
        int     0x32

int30_seen:   dd 0
int30_if:     dd 0
de_seen:      dd 0
bp_eip:       dd 0
ud_seen:      dd 0
gp_error:     dd 0
gp_from_ring3: dd 0
int31_cs:     dd 0
int31_ss:     dd 0
int31_esp_ok: dd 0
ring0_esp:    dd 0
