; bios_disk — a boot program that checks emu's int 13h from the inside: booted by int 19h from a
; raw hard disk (assembled with -DHARD_DISK) or from an El Torito no-emulation CD (-DCDROM), it
; calls the IBM CHS functions, the EDD 3.0 extensions and El Torito's 4Bh on the drive it was
; booted from, including the calls a BIOS must refuse, and checks every answer.
;
; Each check prints "ok NAME" or "FAIL NAME got=... want=..." on the debug console (port E9h);
; at the end the number of failures goes to port F4h, so emu exits with (failures << 1) | 1.
; run_bios_disk.py makes the images, runs emu, and also checks on the host what the program
; wrote to the disk.
;
; The hard-disk image run_bios_disk.py makes: 8 MiB (16384 sectors; the BIOS's LBA-assist
; geometry for that is 16 cylinders, 16 heads, 63 sectors), this program in sectors 0-15, and in
; every later sector k the dword k followed by "EMU!".
;
; Memory used: 0000:7C00-9BFF the program (16 sectors = 8 KiB); 0000:2000-5FFF transfer buffers.

bits 16
cpu 686
org 7C00h

%ifdef HARD_DISK
DISK_SECTORS            equ 16384
BOOT_DRIVE              equ 80h
%elifdef CDROM
BOOT_DRIVE              equ 0E0h
%else
%error "assemble with -DHARD_DISK or -DCDROM"
%endif
PROGRAM_SECTORS         equ 16          ; 512-byte sectors, the whole program
BUF_A                   equ 2000h
BUF_B                   equ 3000h
BUF_C                   equ 4000h
DEBUGCON                equ 0E9h
DEBUG_EXIT              equ 0F4h

start:
        jmp     0:.normalized           ; CS:IP = 0000:7Cxx whether we came as 07C0:0000 or 0:7C00
.normalized:
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 7C00h
        cld
%ifdef HARD_DISK
        ; The BIOS loaded sector 0 only: read the rest with AH=02h (cylinder 0, head 0, sectors 2-16).
        mov     ax, 0200h + PROGRAM_SECTORS - 1
        mov     cx, 0002h
        mov     dh, 0
        mov     bx, 7E00h
        int     13h
        jc      load_failed
%endif
        mov     [boot_drive], dl        ; (only now: the hard disk's copy of this byte just came in)
        jmp     main

%ifdef HARD_DISK
load_failed:
        mov     al, '!'
        out     DEBUGCON, al
        mov     al, 7Fh
        out     DEBUG_EXIT, al
        hlt
%endif

        times   510 - ($ - $$) db 0
        dw      0AA55h

; ---- output and checking ---------------------------------------------------------------------
%include "check.inc"

; ---- helpers -----------------------------------------------------------------------------------

; Reads/writes through the disk address packet: EAX = LBA, CX = count, BX = buffer (segment 0),
; DH = function (42h read, 43h write). Returns AH, CF (in flags_after), the packet's count.
edd_transfer:
        mov     byte [dap], 10h
        mov     byte [dap + 1], 0
        mov     [dap + 2], cx
        mov     [dap + 4], bx
        mov     word [dap + 6], 0
        mov     [dap + 8], eax
        mov     dword [dap + 12], 0
        mov     ah, dh
        mov     al, 0
        mov     dl, [boot_drive]
        mov     si, dap
        CALLINT 13h
        ret

; Fills 512 bytes at DI with the dword EAX.
fill_sector:
        push    cx
        push    di
        mov     cx, 128
        rep stosd
        pop     di
        pop     cx
        ret

; ---- main ----------------------------------------------------------------------------------------
main:
        call    newline
        INFO    "info bios_disk: starting"
        EXPECTB "boot drive in DL", byte [boot_drive], BOOT_DRIVE
%ifdef HARD_DISK
        INFO    "info the program's sectors 2-16 came through AH=02h"
        call    test_hard_disk
%else
        call    test_cdrom
%endif
        STR     si, "info done: checks="
        call    puts
        movzx   eax, word [checks]
        call    put_hex32
        call    newline
        mov     al, [failures]
        out     DEBUG_EXIT, al
.halt:  hlt
        jmp     .halt

%ifdef HARD_DISK
test_hard_disk:
        ; BDA 0475h: the number of hard disks.
        EXPECTB "BDA 0475h hard disks", byte [475h], 1

        ; AH=08h: last cylinder 15, 63 sectors per track, last head 15, one drive.
        mov     ah, 08h
        mov     dl, 80h
        CALLINT 13h
        EXPECT_CF "int13/08: CF", 0
        EXPECTB "int13/08: AH", ah, 0
        EXPECTB "int13/08: CH last cylinder", ch, 15
        EXPECTB "int13/08: CL sectors", cl, 63
        EXPECTB "int13/08: DH last head", dh, 15
        EXPECTB "int13/08: DL drives", dl, 1

        ; AH=15h: a fixed disk of 16 x 16 x 63 sectors.
        mov     ah, 15h
        mov     dl, 80h
        CALLINT 13h
        EXPECT_CF "int13/15: CF", 0
        EXPECTB "int13/15: AH fixed disk", ah, 03h
        EXPECTW "int13/15: CX high", cx, 0
        EXPECTW "int13/15: DX low", dx, 16 * 16 * 63

        ; AH=41h: EDD 3.0 with the fixed-disk access and EDD subsets.
        mov     ah, 41h
        mov     bx, 55AAh
        mov     dl, 80h
        CALLINT 13h
        EXPECT_CF "int13/41: CF", 0
        EXPECTB "int13/41: AH version", ah, 30h
        EXPECTW "int13/41: BX", bx, 0AA55h
        EXPECTW "int13/41: CX subsets", cx, 05h

        ; AH=48h with a 1Eh-byte buffer.
        mov     word [params], 1Eh
        mov     ah, 48h
        mov     dl, 80h
        mov     si, params
        CALLINT 13h
        EXPECT_CF "int13/48: CF", 0
        EXPECTW "int13/48: size", word [params], 1Eh
        EXPECTW "int13/48: flags (CHS valid)", word [params + 2], 2
        EXPECT "int13/48: cylinders", dword [params + 4], 16
        EXPECT "int13/48: heads", dword [params + 8], 16
        EXPECT "int13/48: sectors per track", dword [params + 12], 63
        EXPECT "int13/48: total sectors", dword [params + 16], DISK_SECTORS
        EXPECT "int13/48: total sectors high", dword [params + 20], 0
        EXPECTW "int13/48: bytes per sector", word [params + 24], 512
        EXPECT "int13/48: no DPTE", dword [params + 26], 0FFFFFFFFh

        ; AH=42h: two sectors from LBA 100.
        mov     eax, 100
        mov     cx, 2
        mov     bx, BUF_A
        mov     dh, 42h
        call    edd_transfer
        EXPECT_CF "int13/42 read: CF", 0
        EXPECTB "int13/42 read: AH", ah, 0
        EXPECTW "int13/42 read: count", word [dap + 2], 2
        EXPECT "int13/42 read: sector 100", dword [BUF_A], 100
        EXPECT "int13/42 read: sector 100 tag", dword [BUF_A + 4], 'EMU!'
        EXPECT "int13/42 read: sector 101", dword [BUF_A + 512], 101

        ; AH=42h with a 64-bit flat buffer address (packet size 18h, buffer FFFF:FFFF).
        mov     byte [dap], 18h
        mov     word [dap + 2], 1
        mov     dword [dap + 4], 0FFFFFFFFh
        mov     dword [dap + 8], 5000
        mov     dword [dap + 12], 0
        mov     dword [dap + 16], BUF_B
        mov     dword [dap + 20], 0
        mov     ah, 42h
        mov     dl, 80h
        mov     si, dap
        CALLINT 13h
        EXPECT_CF "int13/42 flat buffer: CF", 0
        EXPECT "int13/42 flat buffer: sector 5000", dword [BUF_B], 5000

        ; AH=43h: write LBA 200, read it back (the runner also checks the host image).
        mov     di, BUF_C
        mov     eax, 0C0FFEE00h
        call    fill_sector
        mov     eax, 200
        mov     cx, 1
        mov     bx, BUF_C
        mov     dh, 43h
        call    edd_transfer
        EXPECT_CF "int13/43 write: CF", 0
        mov     eax, 200
        mov     cx, 1
        mov     bx, BUF_A
        mov     dh, 42h
        call    edd_transfer
        EXPECT "int13/43 write: read back first", dword [BUF_A], 0C0FFEE00h
        EXPECT "int13/43 write: read back last", dword [BUF_A + 508], 0C0FFEE00h

        ; AH=02h CHS read: cylinder 1, head 2, sector 3 is LBA (1 x 16 + 2) x 63 + 2 = 1136.
        mov     ax, 0201h
        mov     cx, 0103h
        mov     dx, 0280h
        mov     bx, BUF_B
        CALLINT 13h
        EXPECT_CF "int13/02 CHS read: CF", 0
        EXPECTB "int13/02 CHS read: AL sectors", al, 1
        EXPECT "int13/02 CHS read: LBA 1136", dword [BUF_B], 1136

        ; AH=03h CHS write: cylinder 0, head 1, sector 1 is LBA 63.
        mov     di, BUF_C
        mov     eax, 0BEEF0063h
        call    fill_sector
        mov     ax, 0301h
        mov     cx, 0001h
        mov     dx, 0180h
        mov     bx, BUF_C
        CALLINT 13h
        EXPECT_CF "int13/03 CHS write: CF", 0
        mov     eax, 63
        mov     cx, 1
        mov     bx, BUF_A
        mov     dh, 42h
        call    edd_transfer
        EXPECT "int13/03 CHS write: LBA 63 read back", dword [BUF_A], 0BEEF0063h

        ; AH=04h verify and AH=47h seek inside the disk.
        mov     ax, 0401h
        mov     cx, 0001h
        mov     dx, 0080h
        CALLINT 13h
        EXPECT_CF "int13/04 verify: CF", 0

        ; Refusals. Past the end: sector not found, nothing transferred.
        mov     eax, DISK_SECTORS - 1
        mov     cx, 2
        mov     bx, BUF_A
        mov     dh, 42h
        call    edd_transfer
        EXPECT_CF "int13/42 past the end: CF", 1
        EXPECTB "int13/42 past the end: AH", ah, 04h
        EXPECTW "int13/42 past the end: count", word [dap + 2], 0
        ; A disk address packet that is too short.
        mov     byte [dap], 8
        mov     ah, 42h
        mov     dl, 80h
        mov     si, dap
        CALLINT 13h
        EXPECT_CF "int13/42 short packet: CF", 1
        EXPECTB "int13/42 short packet: AH", ah, 01h
        ; AH=01h reads back the last status.
        mov     ah, 01h
        mov     dl, 80h
        CALLINT 13h
        EXPECTB "int13/01 last status", ah, 01h
        EXPECT_CF "int13/01 last status: CF", 1
        ; CHS sector 0 does not exist.
        mov     ax, 0201h
        mov     cx, 0000h
        mov     dx, 0080h
        mov     bx, BUF_A
        CALLINT 13h
        EXPECT_CF "int13/02 sector 0: CF", 1
        EXPECTB "int13/02 sector 0: AH", ah, 04h
        ; A drive that is not there.
        mov     ah, 08h
        mov     dl, 81h
        CALLINT 13h
        EXPECT_CF "int13/08 no drive 81h: CF", 1
        EXPECTB "int13/08 no drive 81h: AH", ah, 01h
        ; Not booted from a CD: no El Torito status.
        mov     ax, 4B01h
        mov     dl, 80h
        mov     si, params
        CALLINT 13h
        EXPECT_CF "int13/4B01 on a hard disk: CF", 1
        ret
%endif

%ifdef CDROM
test_cdrom:
        mov     ah, 41h
        mov     bx, 55AAh
        mov     dl, [boot_drive]
        CALLINT 13h
        EXPECT_CF "int13/41 CD: CF", 0
        EXPECTW "int13/41 CD: BX", bx, 0AA55h
        EXPECTW "int13/41 CD: CX subsets", cx, 07h

        mov     word [params], 1Ah
        mov     ah, 48h
        mov     dl, [boot_drive]
        mov     si, params
        CALLINT 13h
        EXPECT_CF "int13/48 CD: CF", 0
        EXPECTW "int13/48 CD: size", word [params], 1Ah
        EXPECTW "int13/48 CD: flags", word [params + 2], 74h
        EXPECTW "int13/48 CD: bytes per sector", word [params + 24], 2048

        ; The primary volume descriptor at CD sector 16 (2048-byte sectors).
        mov     eax, 16
        mov     cx, 1
        mov     bx, BUF_A
        mov     dh, 42h
        call    edd_transfer
        EXPECT_CF "int13/42 CD read: CF", 0
        EXPECTB "int13/42 CD read: PVD type", byte [BUF_A], 1
        EXPECT "int13/42 CD read: CD001", dword [BUF_A + 1], 'CD00'
        ; ... and the El Torito boot record at sector 17.
        mov     eax, 17
        mov     cx, 1
        mov     bx, BUF_A
        mov     dh, 42h
        call    edd_transfer
        EXPECT "int13/42 CD read: EL T", dword [BUF_A + 7], 'EL T'

        ; El Torito status: the specification packet.
        mov     byte [params], 0
        mov     ax, 4B01h
        mov     dl, [boot_drive]
        mov     si, params
        CALLINT 13h
        EXPECT_CF "int13/4B01: CF", 0
        EXPECTB "int13/4B01: packet size", byte [params], 13h
        EXPECTB "int13/4B01: media type no emulation", byte [params + 1], 0
        EXPECTB "int13/4B01: drive", byte [params + 2], BOOT_DRIVE
        EXPECTB "int13/4B01: controller (secondary)", byte [params + 3], 1
        EXPECTW "int13/4B01: load segment", word [params + 12], 07C0h
        EXPECTW "int13/4B01: sector count", word [params + 14], PROGRAM_SECTORS

        ; A CD is read-only and has no CHS.
        mov     eax, 20
        mov     cx, 1
        mov     bx, BUF_A
        mov     dh, 43h
        call    edd_transfer
        EXPECT_CF "int13/43 CD write: CF", 1
        EXPECTB "int13/43 CD write: AH write protected", ah, 03h
        mov     ax, 0201h
        mov     cx, 0001h
        mov     dh, 0
        mov     dl, [boot_drive]
        mov     bx, BUF_A
        CALLINT 13h
        EXPECT_CF "int13/02 CD: CF", 1
        EXPECTB "int13/02 CD: AH", ah, 01h

        ; Lock, a refused eject, unlock.
        mov     ax, 4500h
        mov     dl, [boot_drive]
        CALLINT 13h
        EXPECT_CF "int13/45 lock: CF", 0
        EXPECTB "int13/45 lock: AL locked", al, 1
        mov     ah, 46h
        mov     dl, [boot_drive]
        CALLINT 13h
        EXPECT_CF "int13/46 eject while locked: CF", 1
        EXPECTB "int13/46 eject while locked: AH", ah, 0B1h
        mov     ax, 4501h
        mov     dl, [boot_drive]
        CALLINT 13h
        EXPECTB "int13/45 unlock: AL", al, 0
        mov     ax, 4501h
        mov     dl, [boot_drive]
        CALLINT 13h
        EXPECT_CF "int13/45 unlock when not locked: CF", 1
        EXPECTB "int13/45 unlock when not locked: AH", ah, 0B0h
        ret
%endif

; ---- data -------------------------------------------------------------------------------------
boot_drive      db      0
checks          dw      0
failures        dw      0
flags_after     dw      0
dap             times 24 db 0
params          times 30h db 0

        times   PROGRAM_SECTORS * 512 - ($ - $$) db 0
