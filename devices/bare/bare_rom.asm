; The bare machine's ROM: just enough firmware for a boot sector to run.
;
; It is mapped at the top of the 4 GiB space and aliased at F0000-FFFFF, like a PC BIOS. After
; reset the CPU fetches from FFFFFFF0 (CS.base FFFF0000, IP FFF0; SDM Vol. 3A, 10.1.4): a far
; jump there lands in `start`, which points every interrupt vector at an IRET, sets up a stack
; below the boot sector, and jumps to 0000:7C00 with DL = 80h, as a BIOS does after loading a
; boot sector from the first hard disk.
;
; Assemble: nasm -f bin -o bare_rom.bin bare_rom.asm   (64 KiB image)

bits 16
org 0

start:
        cli
        cld
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        ; IVT: 256 vectors at 0000:0000, each -> F000:ignore_interrupt.
        xor     di, di
        mov     cx, 256
.fill:  mov     word [es:di], ignore_interrupt
        mov     word [es:di+2], 0F000h
        add     di, 4
        loop    .fill
        mov     ss, ax
        mov     sp, 7C00h
        mov     dx, 0080h
        xor     bx, bx
        xor     si, si
        xor     di, di
        xor     bp, bp
        jmp     0000h:7C00h

; Unexpected interrupts and exceptions return at once. (A real-mode fault handler that returns
; re-executes the faulting instruction; a boot sector that wants to see its faults installs its
; own vectors.)
ignore_interrupt:
        iret

        times   0FFF0h - ($ - $$) db 0FFh
reset_vector:                       ; FFFF:FFF0 / FFFFFFF0
        jmp     0F000h:start
        times   10000h - ($ - $$) db 0
