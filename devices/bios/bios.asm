; emu BIOS — the firmware of emu's PC (i440FX + PIIX3), written to be read.
;
; A 64 KiB ROM mapped at F0000-FFFFF and at the top of the 4 GiB space. The CPU starts at
; F000:FFF0 (SDM Vol. 3A, 10.1.4: CS.base FFFF0000, EIP FFF0), which jumps to `post`.
;
; POST (post.asm) copies this ROM into shadow RAM, fills the interrupt vector table, the BIOS
; data area and the EBDA, programs the PICs, the PIT, the RTC, the keyboard controller and the
; VGA, enumerates PCI (pci.asm), asks emu to write the memory map and the ACPI, SMBIOS and $PIR
; tables (the firmware hypercall, hypercall.inc), write-protects the shadow, and boots (int 19h).
;
; Services, one file per interrupt: video.asm (int 10h), disk.asm (int 13h), system.asm
; (int 11h, 12h, 15h), keyboard.asm (int 09h, 16h), time.asm (int 08h, 1Ah, 70h), pci.asm
; (int 1Ah B1xxh), boot.asm (int 18h, 19h and the Linux / Multiboot hand-over).
;
; Conventions: every service preserves the registers it does not return a value in; CF is
; returned in the caller's FLAGS image on the stack (return_carry_set / return_carry_clear).
; 386 instructions and 32-bit registers are used freely (emu's CPU is a P6).

bits 16
org 0
cpu 686

%include "layout.inc"
%include "hypercall.inc"

rom_start:
%include "post.asm"
%include "interrupts.asm"
%include "video.asm"
%include "keyboard.asm"
%include "system.asm"
%include "time.asm"
%include "pci.asm"
%include "disk.asm"
%include "boot.asm"
%include "data.asm"

; ---- the fixed tail of the ROM (IBM PC/AT compatible addresses) --------------------------
        times 0FFF0h - ($ - $$) db 0FFh
reset_vector:                           ; F000:FFF0, the first instruction after RESET#
        jmp     0F000h:post
        db      "11/22/26"              ; F000:FFF5, the BIOS date
        db      0                       ; F000:FFFD
        db      0FCh                    ; F000:FFFE, model byte: AT-class machine
        db      0                       ; F000:FFFF (the checksum byte on old BIOSes)
