; eltorito_floppy — the boot sector of a 1.44 MB floppy image booted from a CD in El Torito
; floppy emulation (run_bios_disk.py makes the CD). It checks that the BIOS presents the image as
; diskette 00h: DL = 00h at boot, int 13h AH=08h reports a 1.44 MB drive (80 cylinders, 2 heads,
; 18 sectors), AH=02h reads the image's second sector (which starts with "FLOPPY-2"), and AH=4Bh
; AL=01h describes the emulation (media type 2, drive 00h). Each failed check adds one to the
; count written to port F4h: emu exits with status 1 when all passed.

bits 16
org 7C00h
        jmp     0:start
start:
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 7C00h
        xor     bp, bp                  ; failures
        test    dl, dl
        jz      .drive_ok
        inc     bp
.drive_ok:
        mov     ah, 08h
        xor     dl, dl
        int     13h
        jc      .params_bad
        cmp     bl, 04h
        jne     .params_bad
        cmp     ch, 79
        jne     .params_bad
        cmp     cl, 18
        jne     .params_bad
        cmp     dh, 1
        je      .params_ok
.params_bad:
        inc     bp
.params_ok:
        xor     ax, ax                  ; AH=08h returned ES:DI = the diskette parameter table
        mov     es, ax
        mov     ax, 0201h
        mov     cx, 0002h
        xor     dx, dx
        mov     bx, 1000h
        int     13h
        jc      .read_bad
        cmp     dword [1000h], 'FLOP'
        jne     .read_bad
        cmp     dword [1004h], 'PY-2'
        je      .read_ok
.read_bad:
        inc     bp
.read_ok:
        mov     ax, 4B01h
        xor     dx, dx
        mov     si, 2000h
        int     13h
        jc      .status_bad
        cmp     byte [2001h], 2
        jne     .status_bad
        cmp     byte [2002h], 0
        je      .status_ok
.status_bad:
        inc     bp
.status_ok:
        mov     ax, bp
        out     0F4h, al
.halt:  hlt
        jmp     .halt

        times   510 - ($ - $$) db 0
        dw      0AA55h
