; A Multiboot v1 kernel (ELF) for `emu -machine bare -kernel`: the loader must enter it in 32-bit
; protected mode with EAX = 0x2BADB002, EBX = the Multiboot information structure, flat
; segments, paging off (Multiboot Specification 0.6.96, 3.2). It checks that and reports.
bits 32
section .text
; The header must lie in the first 8 KiB of the file, 32-bit aligned: first in .text.
align 4
        dd      0x1BADB002              ; magic
        dd      0x00000003              ; flags: page-aligned modules, memory information
        dd      -(0x1BADB002 + 3)       ; checksum

global _start
_start:
        mov     esp, stack_top
        cmp     eax, 0x2BADB002
        jne     fail
        test    dword [ebx], 1          ; flags bit 0: mem_lower/mem_upper are valid
        jz      fail
        cmp     dword [ebx + 4], 640    ; mem_lower in KiB
        jne     fail
        cmp     dword [ebx + 8], 31 * 1024  ; mem_upper: 32 MiB of RAM minus the first MiB
        jne     fail
        mov     eax, cr0
        test    eax, 0x80000000         ; paging off
        jnz     fail
        test    eax, 1                  ; protected mode on
        jz      fail
        mov     ax, cs
        test    ax, 3                   ; ring 0
        jnz     fail
        cmp     dword [zeroed], 0       ; .bss cleared by the loader
        jne     fail
        mov     esi, ok_msg
.next:  lodsb
        test    al, al
        jz      .done
        out     0xE9, al
        jmp     .next
.done:  mov     al, 0
        out     0xF4, al
        hlt
fail:   mov     al, 'F'
        out     0xE9, al
        mov     al, 1
        out     0xF4, al
        hlt

section .data
ok_msg: db "multiboot: entered correctly", 10, "PASS", 10, 0

section .bss
zeroed: resd 1
        resb 4096
stack_top:
