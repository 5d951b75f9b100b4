; mode13h_demo — a boot sector that draws a fixed picture in VGA mode 13h through emu's BIOS.
;
; mode13h_screendump.py puts it in sector 0 of a hard disk image; emu's int 19h loads it at
; 0000:7C00 and jumps to it with DL = 80h. It sets mode 13h (int 10h AX=0013h: 320x200, 256
; colours, the BIOS's default palette in the DAC, A0000h cleared), draws, then writes
; "EMU-MODE13H-DRAWN" to the debug console (port E9h) and halts for good: the screen no longer
; changes, so `screendump` can compare it with the golden image pixel by pixel.
;
; The picture, every pixel fixed by the code below:
;   rows   0- 99  16 bars 20 pixels wide, colours 0-15: the CGA colours
;   rows 100-149  16 bars, colours 16-31: the grey ramp
;   rows 150-199  colours 32-247, x * 27 / 40 + 32: the 216 hues (nine groups of 24)
;   a 1-pixel white (15) border around the screen, written straight into A0000h with the bars
;   a yellow (14) diagonal from (0,0) to (319,199) and a red (40) one from (319,0) to (0,199),
;   drawn through int 10h AH=0Ch, one pixel per column: y = x * 199 / 319
; So the golden image checks the mode's registers (size, chain-4, doubled lines), the palette
; (each of its first 248 entries shows) and the BIOS's pixel write.

bits 16
org 7C00h

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 7C00h
        sti
        cld
        mov     ax, 0013h
        int     10h
        push    0A000h
        pop     es
        xor     di, di                  ; byte y * 320 + x: the pixel (chain-4)
        xor     dx, dx                  ; y
.row:   xor     cx, cx                  ; x
.column:
        call    colour_at
        stosb
        inc     cx
        cmp     cx, 320
        jb      .column
        inc     dx
        cmp     dx, 200
        jb      .row

        xor     cx, cx                  ; the diagonals, through the BIOS
        xor     bh, bh                  ; page 0
.diagonal:
        imul    ax, cx, 199             ; at most 319 * 199 = 63481: fits in 16 bits unsigned
        xor     dx, dx
        mov     si, 319
        div     si
        mov     dx, ax                  ; y
        mov     ax, 0C0Eh               ; yellow at (x, y)
        int     10h
        push    cx
        neg     cx
        add     cx, 319
        mov     ax, 0C28h               ; red at (319 - x, y)
        int     10h
        pop     cx
        inc     cx
        cmp     cx, 320
        jb      .diagonal

        mov     si, drawn
.say:   lodsb
        test    al, al
        jz      .halt
        out     0E9h, al
        jmp     .say
.halt:  cli
        hlt
        jmp     .halt

; AL = the colour of pixel x = CX, y = DX (keeps CX, DX).
colour_at:
        mov     al, 15                  ; the border
        cmp     cx, 0
        je      .done
        cmp     cx, 319
        je      .done
        cmp     dx, 0
        je      .done
        cmp     dx, 199
        je      .done
        cmp     dx, 150
        jae     .hues
        mov     ax, cx
        mov     bl, 20
        div     bl                      ; AL = x / 20: 0-15
        cmp     dx, 100
        jb      .done
        add     al, 16                  ; the grey ramp
        ret
.hues:  imul    ax, cx, 27
        mov     bl, 40
        div     bl                      ; AL = x * 27 / 40: 0-215
        add     al, 32
.done:  ret

drawn   db      "EMU-MODE13H-DRAWN", 10, 0

        times   510 - ($ - $$) db 0
        dw      0AA55h
