; Protected-mode entry and exit: real -> protected (done by the harness) -> back to real mode
; through a 16-bit segment (SDM Vol. 3A, 10.9.2 "Switching Back to Real-Address Mode") -> real-mode
; segment arithmetic -> protected mode again. Also checks that real mode keeps a 4 GiB limit
; loaded in protected mode ("unreal mode").
%include "harness.inc"

test_main:
        SAY     "pm_entry: in 32-bit protected mode"
        mov     ax, cs
        CHECK_EQ ax, SEL_CODE0, "CS is not the ring-0 code selector"
        mov     [saved_esp], esp
        ; Load FS with a flat 4 GiB data segment before leaving: its cache survives in real mode.
        mov     ax, SEL_DATA0
        mov     fs, ax
        jmp     SEL_CODE16:in_16bit_pm
bits 16
in_16bit_pm:
        mov     ax, SEL_DATA16
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     eax, cr0
        and     eax, ~1
        mov     cr0, eax
        jmp     0x0000:in_real_mode
in_real_mode:
        mov     ax, 0x7000
        mov     ss, ax
        mov     sp, 0xFFF0
        xor     ax, ax
        mov     ds, ax
        ; Real-mode addressing: 1000:0010 is physical 0x10010.
        mov     ax, 0x1000
        mov     es, ax
        mov     byte [es:0x0010], 0x5A
        ; Unreal mode: FS still has base 0 and a 4 GiB limit, so a 32-bit offset above 64 KiB works.
        mov     dword [fs:dword 0x00200000], 0xC0FFEE00
        ; A push and pop in real mode use SS:SP.
        push    word 0xBEEF
        pop     bx
        cmp     bx, 0xBEEF
        jne     real_failed
        ; Back to protected mode.
        mov     eax, cr0
        or      eax, 1
        mov     cr0, eax
        jmp     SEL_CODE0:back_in_pm
real_failed:
        mov     al, 1
        out     0xF4, al
        hlt
bits 32
back_in_pm:
        mov     ax, SEL_DATA0
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     esp, [saved_esp]
        CHECK_EQ byte [0x10010], 0x5A, "real-mode segment:offset store went to the wrong place"
        CHECK_EQ dword [0x200000], 0xC0FFEE00, "unreal-mode store through FS failed"
        SAY     "pm_entry: real mode round trip ok"
        ret

saved_esp: dd 0
