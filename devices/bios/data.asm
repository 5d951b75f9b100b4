; ---- constant data -----------------------------------------------------------------------------

banner                  db "emu BIOS 0.1 (i440FX + PIIX3)", 13, 10, 0
booting_linux           db "Booting Linux from -kernel", 13, 10, 0
booting_multiboot       db "Booting a Multiboot kernel from -kernel", 13, 10, 0
no_boot_device          db "No bootable device.", 13, 10, 0
press_esc_for_menu      db 13, 10, "Press ESC for boot menu.", 13, 10, 0
tables_failed           db "emu: the firmware tables did not fit", 13, 10, 0
nmi_message             db "emu BIOS: NMI (parity or I/O channel check)", 13, 10, 0
unsupported_mode_message db "emu BIOS: int 10h: no such video mode (02h, 03h, 12h and 13h are available)", 13, 10, 0

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

; ---- int 10h AH=00h: the modes it sets ----------------------------------------------------------
; One entry per mode number (video.asm, video_set_mode): the mode, what the BDA says about it
; (columns 44Ah, rows - 1 484h, character height 485h, page size 44Ch) and how it is set up.
; The BDA values are the IBM VGA BIOS's video parameter table ones (IBM VGA Technical Reference,
; "BIOS Video Parameter Table"; SeaBIOS vgabios computes the same: page sizes are the screen's
; bytes rounded up to 2 KiB for text, 8 KiB per plane for graphics). Graphics modes have
; 8-pixel-wide character cells for int 10h's text services: 640/8 = 80 and 320/8 = 40 columns.
VIDEO_KIND_TEXT         equ 0           ; B8000h, the font in plane 2, the EGA palette in the DAC
VIDEO_KIND_PLANAR       equ 1           ; A0000h, four planes, the EGA palette
VIDEO_KIND_PACKED       equ 2           ; A0000h, chain-4 (a byte a pixel), the 256-colour palette
struc video_mode_entry
.mode:          resb 1
.kind:          resb 1
.columns:       resb 1
.rows:          resb 1                  ; rows - 1
.char_height:   resb 1
.page_size:     resw 1
.registers:     resw 1                  ; a vga_mode_* table below
endstruc
video_modes:
        ; 02h is 03h with the colour burst off (a composite monitor's grey): the same VGA set-up.
        istruc video_mode_entry
        at .mode, db 02h
        at .kind, db VIDEO_KIND_TEXT
        at .columns, db 80
        at .rows, db 24
        at .char_height, db 16
        at .page_size, dw 1000h
        at .registers, dw vga_mode_03h
        iend
        istruc video_mode_entry
        at .mode, db 03h
        at .kind, db VIDEO_KIND_TEXT
        at .columns, db 80
        at .rows, db 24
        at .char_height, db 16
        at .page_size, dw 1000h
        at .registers, dw vga_mode_03h
        iend
        istruc video_mode_entry
        at .mode, db 12h
        at .kind, db VIDEO_KIND_PLANAR
        at .columns, db 80
        at .rows, db 29                 ; 480 lines of 16-line characters
        at .char_height, db 16
        at .page_size, dw 0A000h        ; 38400 bytes a plane
        at .registers, dw vga_mode_12h
        iend
        istruc video_mode_entry
        at .mode, db 13h
        at .kind, db VIDEO_KIND_PACKED
        at .columns, db 40
        at .rows, db 24                 ; 200 lines of 8-line characters
        at .char_height, db 8
        at .page_size, dw 2000h         ; 64000 bytes over four planes: 16000 a plane
        at .registers, dw vga_mode_13h
        iend
        db      0FFh                    ; the end

; The register values of each mode, in the order video.asm writes them: Misc Output, SR1-SR4
; (SR0 is the reset), CR00-CR18, GR0-GR8, AR00-AR14. The IBM VGA BIOS's parameter table
; values (IBM VGA Technical Reference), equal to kVgaMode3Registers, kVgaMode12hRegisters and
; kVgaMode13hRegisters in devices/vga/vga.h, which say what each one means.
VGA_TABLE_SEQUENCER     equ 1
VGA_TABLE_CRTC          equ 5
VGA_TABLE_GRAPHICS      equ 30
VGA_TABLE_ATTRIBUTE     equ 39
VGA_TABLE_BYTES         equ 60
; Mode 03h, 80x25 text at 720x400, 9-dot characters.
vga_mode_03h:
        db      67h
        db      00h, 03h, 00h, 02h
        db      5Fh, 4Fh, 50h, 82h, 55h, 81h, 0BFh, 1Fh
        db      00h, 4Fh, 0Dh, 0Eh, 00h, 00h, 00h, 00h
        db      9Ch, 8Eh, 8Fh, 28h, 1Fh, 96h, 0B9h, 0A3h
        db      0FFh
        db      00h, 00h, 00h, 00h, 00h, 10h, 0Eh, 00h, 0FFh
        db      00h, 01h, 02h, 03h, 04h, 05h, 14h, 07h
        db      38h, 39h, 3Ah, 3Bh, 3Ch, 3Dh, 3Eh, 3Fh
        db      0Ch, 00h, 0Fh, 08h, 00h
; Mode 12h, 640x480 in 16 colours, four planes at A0000h.
vga_mode_12h:
        db      0E3h
        db      01h, 0Fh, 00h, 06h
        db      5Fh, 4Fh, 50h, 82h, 54h, 80h, 0Bh, 3Eh
        db      00h, 40h, 00h, 00h, 00h, 00h, 00h, 00h
        db      0EAh, 8Ch, 0DFh, 28h, 00h, 0E3h, 04h, 0E3h
        db      0FFh
        db      00h, 00h, 00h, 00h, 00h, 00h, 05h, 0Fh, 0FFh
        db      00h, 01h, 02h, 03h, 04h, 05h, 14h, 07h
        db      38h, 39h, 3Ah, 3Bh, 3Ch, 3Dh, 3Eh, 3Fh
        db      01h, 00h, 0Fh, 00h, 00h
; Mode 13h, 320x200 in 256 colours, chain-4 at A0000h, every line scanned twice.
vga_mode_13h:
        db      63h
        db      01h, 0Fh, 00h, 0Eh
        db      5Fh, 4Fh, 50h, 82h, 54h, 80h, 0BFh, 1Fh
        db      00h, 41h, 00h, 00h, 00h, 00h, 00h, 00h
        db      9Ch, 8Eh, 8Fh, 28h, 40h, 96h, 0B9h, 0A3h
        db      0FFh
        db      00h, 00h, 00h, 00h, 00h, 40h, 05h, 0Fh, 0FFh
        db      00h, 01h, 02h, 03h, 04h, 05h, 06h, 07h
        db      08h, 09h, 0Ah, 0Bh, 0Ch, 0Dh, 0Eh, 0Fh
        db      41h, 00h, 0Fh, 00h, 00h
%if vga_mode_12h - vga_mode_03h != VGA_TABLE_BYTES || vga_mode_13h - vga_mode_12h != VGA_TABLE_BYTES
  %error "a VGA register table is not VGA_TABLE_BYTES long"
%endif

; Mode 13h's DAC: the IBM VGA BIOS's default 256-colour palette (the one SeaBIOS's vgabios
; loads for mode 13h), 6-bit red, green, blue. Written here as the rule it follows, which nasm
; expands into the 768 bytes:
;   0-15     the 16 CGA colours: 2Ah for each of red, green, blue in colour bits 2, 1, 0, plus
;            15h on all three for the intense half (bit 3); colour 6 is brown, green 15h not 2Ah
;   16-31    a grey ramp from black to white (the 16 levels below)
;   32-247   nine groups of 24: three brightnesses (strongest component 3Fh, 1Ch, 10h) times
;            three saturations (weakest component 0, about half, about 2/3 of the strongest).
;            Each group walks the colour wheel from blue through magenta, red, yellow, green and
;            cyan back towards blue; a component is at the group's strongest level for 9 of the
;            24 steps, at its weakest for 7 and ramps through the three levels between in the
;            other 8 (up in 4 steps, down in 4).
;   248-255  black
%macro dac_cga_colour 1
  %assign %%intense ((%1) >> 3) & 1
  %assign %%red ((%1) >> 2 & 1) * 2Ah + %%intense * 15h
  %assign %%green ((%1) >> 1 & 1) * 2Ah + %%intense * 15h
  %if (%1) == 6
    %assign %%green 15h
  %endif
  %assign %%blue ((%1) & 1) * 2Ah + %%intense * 15h
        db      %%red, %%green, %%blue
%endmacro
; DAC_HUE_LEVEL t: 0-4, where on its five levels a component is at step t (0-23) of its cycle:
; rising over steps 0-4, strongest until 12, falling until 16, weakest until 24.
%define DAC_HUE_LEVEL(t) ((t) <= 4 ? (t) : (t) <= 12 ? 4 : (t) <= 16 ? 16 - (t) : 0)
%macro dac_hue_group 5                  ; the group's five levels, weakest first
  %assign %%step 0
  %rep 24
    ; red starts its cycle at step 0, green 8 steps later, blue 8 steps before
    %assign %%r DAC_HUE_LEVEL(%%step)
    %assign %%g DAC_HUE_LEVEL((%%step + 16) % 24)
    %assign %%b DAC_HUE_LEVEL((%%step + 8) % 24)
        db      (%%r == 0) * %1 + (%%r == 1) * %2 + (%%r == 2) * %3 + (%%r == 3) * %4 + (%%r == 4) * %5
        db      (%%g == 0) * %1 + (%%g == 1) * %2 + (%%g == 2) * %3 + (%%g == 3) * %4 + (%%g == 4) * %5
        db      (%%b == 0) * %1 + (%%b == 1) * %2 + (%%b == 2) * %3 + (%%b == 3) * %4 + (%%b == 4) * %5
    %assign %%step %%step + 1
  %endrep
%endmacro
%macro dac_grey_ramp 16                 ; the 16 levels, black first
  %rep 16
        db      %1, %1, %1
    %rotate 1
  %endrep
%endmacro
vga_palette_256:
%assign DAC_CGA_INDEX 0
%rep 16
        dac_cga_colour DAC_CGA_INDEX
  %assign DAC_CGA_INDEX DAC_CGA_INDEX + 1
%endrep
        dac_grey_ramp 00h, 05h, 08h, 0Bh, 0Eh, 11h, 14h, 18h, 1Ch, 20h, 24h, 28h, 2Dh, 32h, 38h, 3Fh
        dac_hue_group 00h, 10h, 1Fh, 2Fh, 3Fh   ; bright
        dac_hue_group 1Fh, 27h, 2Fh, 37h, 3Fh
        dac_hue_group 2Dh, 31h, 36h, 3Ah, 3Fh
        dac_hue_group 00h, 07h, 0Eh, 15h, 1Ch   ; medium
        dac_hue_group 0Eh, 11h, 15h, 18h, 1Ch
        dac_hue_group 14h, 16h, 18h, 1Ah, 1Ch
        dac_hue_group 00h, 04h, 08h, 0Ch, 10h   ; dark
        dac_hue_group 08h, 0Ah, 0Ch, 0Eh, 10h
        dac_hue_group 0Bh, 0Ch, 0Dh, 0Fh, 10h
        times   8 * 3 db 0
%if $ - vga_palette_256 != 768
  %error "the 256-colour palette is not 768 bytes"
%endif

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
