; Lab 1: a boot sector that leaves real mode.
;
; Run it:   nasm -f bin -o boot.bin boot.asm && emu -machine bare boot.bin
; Watch it: emu -machine bare -d in_asm boot.bin
;
; The bare machine loads this file at physical address 0x7C00 and starts it in real mode at
; 0000:7C00, as a PC BIOS starts a boot sector. It prints through the debug console (port 0xE9),
; switches to 32-bit protected mode (SDM Vol. 3A, 10.9.1 "Switching to Protected Mode"), prints
; again, and ends the run through the exit port 0xF4: writing V makes emu exit with (V << 1) | 1.

bits 16
org 0x7C00

start:
        cli                             ; no interrupts while the IDT is not set up
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7C00

        mov     si, real_msg
        call    print16

        lgdt    [gdt_descriptor]        ; 1. load a GDT with flat code and data segments
        mov     eax, cr0
        or      eax, 1                  ; 2. set CR0.PE
        mov     cr0, eax
        jmp     0x08:protected          ; 3. far jump: loads CS from the GDT, flushes the queue

print16:                                ; DS:SI -> NUL-terminated string to port 0xE9
        lodsb
        test    al, al
        jz      .done
        out     0xE9, al
        jmp     print16
.done:  ret

bits 32
protected:
        mov     ax, 0x10                ; 4. reload the data segment registers
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     esp, 0x90000

        mov     esi, protected_msg
.next:  lodsb
        test    al, al
        jz      .exit
        out     0xE9, al
        jmp     .next
.exit:
        mov     al, 0                   ; success: emu exits with status (0 << 1) | 1 = 1
        out     0xF4, al
        hlt

real_msg:       db "Hello from real mode (16-bit, segment:offset addressing)", 10, 0
protected_msg:  db "Hello from 32-bit protected mode (flat segments from the GDT)", 10, "PASS", 10, 0

align 8
gdt:
        dq      0                       ; the null descriptor
        dq      0x00CF9A000000FFFF      ; 0x08: code, base 0, limit 4 GiB, 32-bit, ring 0
        dq      0x00CF92000000FFFF      ; 0x10: data, base 0, limit 4 GiB, 32-bit, ring 0
gdt_descriptor:
        dw      gdt_descriptor - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xAA55                  ; the boot signature a BIOS checks
