; ---- constant data -----------------------------------------------------------------------------

banner                  db "emu BIOS 0.1 (i440FX + PIIX3)", 13, 10, 0
booting_linux           db "Booting Linux from -kernel", 13, 10, 0
booting_multiboot       db "Booting a Multiboot kernel from -kernel", 13, 10, 0
no_boot_device          db "No bootable device.", 13, 10, 0
press_esc_for_menu      db 13, 10, "Press ESC for boot menu.", 13, 10, 0
tables_failed           db "emu: the firmware tables did not fit", 13, 10, 0
nmi_message             db "emu BIOS: NMI (parity or I/O channel check)", 13, 10, 0
unsupported_mode_message db "emu BIOS: int 10h: only text modes 02h and 03h are available", 13, 10, 0

standard_com_ports      dw 3F8h, 2F8h, 3E8h, 2E8h, 0

; The ISA IRQ behind PIRQA-D (PIIX3 PIRQRC). IRQ 10 and 11 are free on a PC/AT: no ISA device
; of this machine uses them. The DSDT's link devices report whatever these registers hold.
pci_irq_table           db 10, 10, 11, 11

; int 15h AH=C0h: the system configuration table (IBM PC/AT BIOS Technical Reference).
system_configuration_table:
        dw      8                       ; bytes that follow
        db      0FCh                    ; model: AT class
        db      01h                     ; submodel
        db      00h                     ; BIOS revision
        db      74h                     ; feature 1: second PIC, RTC, int 15h/4Fh called, EBDA
        db      40h                     ; feature 2: int 16h AH=09h ... (enhanced keyboard)
        db      00h, 00h, 00h

; Mode 03h, 80x25 text at 720x400 (IBM VGA Technical Reference, the BIOS parameter table)
mode3_misc              db 67h
mode3_sequencer         db 00h, 03h, 00h, 02h                   ; SR1-SR4 (SR0 is the reset)
mode3_crtc              db 5Fh, 4Fh, 50h, 82h, 55h, 81h, 0BFh, 1Fh
                        db 00h, 4Fh, 0Dh, 0Eh, 00h, 00h, 00h, 00h
                        db 9Ch, 8Eh, 8Fh, 28h, 1Fh, 96h, 0B9h, 0A3h
                        db 0FFh
mode3_graphics          db 00h, 00h, 00h, 00h, 00h, 10h, 0Eh, 00h, 0FFh
mode3_attribute         db 00h, 01h, 02h, 03h, 04h, 05h, 14h, 07h
                        db 38h, 39h, 3Ah, 3Bh, 3Ch, 3Dh, 3Eh, 3Fh
                        db 0Ch, 00h, 0Fh, 08h

; The 8x16 font: 256 characters in code page 437 order, 16 bytes each (bit 7 the leftmost
; pixel), built at build time by devices/vga/make_font.py from Debian's Terminus console fonts.
; Mode sets copy it into plane 2; int 10h AX=1130h BH=06h hands out F000:rom_font_8x16. The
; SIL Open Font License asks every copy of the font to carry its copyright notice: here it is.
font_notice             db "8x16 font derived from Terminus Font, Copyright (c) 2010 Dimitar "
                        db "Toshkov Zhekov, SIL Open Font License 1.1", 0
        align   16
rom_font_8x16:
        incbin  "font8x16.bin"

; Set-1 scan code -> ASCII, unshifted and shifted (US layout), for the keys 00h-58h.
SCAN_TABLE_SIZE         equ 59h
scan_ascii_plain:
        db      00h, 1Bh, 31h, 32h, 33h, 34h, 35h, 36h ; 00h
        db      37h, 38h, 39h, 30h, 2Dh, 3Dh, 08h, 09h ; 08h
        db      71h, 77h, 65h, 72h, 74h, 79h, 75h, 69h ; 10h
        db      6Fh, 70h, 5Bh, 5Dh, 0Dh, 00h, 61h, 73h ; 18h
        db      64h, 66h, 67h, 68h, 6Ah, 6Bh, 6Ch, 3Bh ; 20h
        db      27h, 60h, 00h, 5Ch, 7Ah, 78h, 63h, 76h ; 28h
        db      62h, 6Eh, 6Dh, 2Ch, 2Eh, 2Fh, 00h, 2Ah ; 30h
        db      00h, 20h, 00h, 00h, 00h, 00h, 00h, 00h ; 38h
        db      00h, 00h, 00h, 00h, 00h, 00h, 00h, 00h ; 40h
        db      00h, 00h, 2Dh, 00h, 00h, 00h, 2Bh, 00h ; 48h
        db      00h, 00h, 00h, 00h, 00h, 00h, 00h, 00h ; 50h
        db      00h ; 58h
scan_ascii_shift:
        db      00h, 1Bh, 21h, 40h, 23h, 24h, 25h, 5Eh ; 00h
        db      26h, 2Ah, 28h, 29h, 5Fh, 2Bh, 08h, 00h ; 08h
        db      51h, 57h, 45h, 52h, 54h, 59h, 55h, 49h ; 10h
        db      4Fh, 50h, 7Bh, 7Dh, 0Dh, 00h, 41h, 53h ; 18h
        db      44h, 46h, 47h, 48h, 4Ah, 4Bh, 4Ch, 3Ah ; 20h
        db      22h, 7Eh, 00h, 7Ch, 5Ah, 58h, 43h, 56h ; 28h
        db      42h, 4Eh, 4Dh, 3Ch, 3Eh, 3Fh, 00h, 2Ah ; 30h
        db      00h, 20h, 00h, 00h, 00h, 00h, 00h, 00h ; 38h
        db      00h, 00h, 00h, 00h, 00h, 00h, 00h, 37h ; 40h
        db      38h, 39h, 2Dh, 34h, 35h, 36h, 2Bh, 31h ; 48h
        db      32h, 33h, 30h, 2Eh, 00h, 00h, 00h, 00h ; 50h
        db      00h ; 58h

; The GDT for entering a Multiboot kernel: flat 4 GiB 32-bit code (08h) and data (10h).
        align   8
multiboot_gdt:
        dq      0
        dq      00CF9A000000FFFFh
        dq      00CF92000000FFFFh
multiboot_gdt_descriptor:
        dw      3 * 8 - 1
        dd      0F0000h + multiboot_gdt

; Where emu's FW_BUILD_TABLES writes the RSDP, the SMBIOS entry point and the $PIR table:
; operating systems look for them on 16-byte boundaries in E0000h-FFFFFh.
FIRMWARE_ANCHOR_SIZE    equ 1024
        align   16
firmware_anchor_area:
        times   FIRMWARE_ANCHOR_SIZE db 0
