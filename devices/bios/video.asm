; ---- int 10h: video services ------------------------------------------------------------------
; The VGA services a boot loader, Linux's setup code and a DOS-era program use: text mode 03h
; (80x25, 16 colours) and its alias 02h, the graphics modes 12h (640x480, 16 colours, planar)
; and 13h (320x200, 256 colours, chain-4), the cursor, scrolling, characters, teletype output,
; pixels, the palette and DAC, the EGA/VGA information calls. Text lives at B800:0000, two bytes
; a cell (character, attribute), 4 KiB a page. Teletype output is also copied to the debug
; console (port E9h), so `emu -debugcon stdio` shows what a boot loader prints on a machine
; without a window.
; Text mode sets load the ROM's 8x16 font (data.asm, code page 437) into plane 2, where the VGA's
; character generator reads the glyphs. The text services draw no glyphs in the graphics modes
; (the IBM BIOS does, from the 8x8/8x16 fonts): there their writes go to B8000h, outside the
; graphics window (GR6 = 05h: A0000h-AFFFFh), so the VGA drops them and the picture stays as it
; is; teletype output still reaches the debug console.
; Other VGA modes (40-column text 00h/01h, CGA 04h-06h, monochrome 07h, EGA 0Dh-11h) are not
; offered: mode sets to them change nothing (video_set_mode says why). High resolutions come
; through VBE (AH=4Fh, int10_vbe below): 8 to 32 bits per pixel up to 1280x1024.

VIDEO_SEG               equ 0B800h
GRAPHICS_SEG            equ 0A000h      ; modes 12h and 13h (GR6 = 05h: A0000h, 64 KiB)
FONT_SEG                equ 0A000h      ; plane 2 while the font is open (GR6 = 00h: A0000-BFFFF)
FONT_HEIGHT             equ 16          ; the ROM font's scan lines per character
CRTC_INDEX              equ 3D4h
VGA_ATTR_INDEX          equ 3C0h
VGA_ATTR_READ           equ 3C1h
VGA_MISC_WRITE          equ 3C2h
VGA_SEQ_INDEX           equ 3C4h
VGA_DAC_MASK            equ 3C6h
VGA_DAC_READ_INDEX      equ 3C7h
VGA_DAC_WRITE_INDEX     equ 3C8h
VGA_DAC_DATA            equ 3C9h
VGA_GC_INDEX            equ 3CEh
VGA_INPUT_STATUS_1      equ 3DAh
TEXT_COLUMNS            equ 80
TEXT_ROWS               equ 25
TEXT_PAGE_BYTES         equ 1000h

; The dispatcher saves every register in a frame: [bp] = the caller's AX, then BX, CX, DX, BP,
; DI, SI, ES, DS. A function may use any register; it answers by writing the frame. DS = the
; BDA, ES = text memory.
VIDEO_FRAME_AX          equ 0
VIDEO_FRAME_BX          equ 2
VIDEO_FRAME_CX          equ 4
VIDEO_FRAME_DX          equ 6
VIDEO_FRAME_BP          equ 8
VIDEO_FRAME_ES          equ 14

int10_video:
        sti
        cmp     ah, 4Fh
        je      int10_vbe
        push    ds
        push    es
        push    si
        push    di
        push    bp
        push    dx
        push    cx
        push    bx
        push    ax
        mov     bp, sp
        mov     si, BDA_SEG
        mov     ds, si
        mov     si, VIDEO_SEG
        mov     es, si
        cmp     ah, 13h
        ja      .extended
        movzx   si, ah
        shl     si, 1
        call    [cs:si + video_functions]
        jmp     .return
.extended:
        cmp     ah, 1Ah
        jne     .return                 ; 1Bh, 1Ch ...: not supported
        call    video_display_combination
.return:
        pop     ax
        pop     bx
        pop     cx
        pop     dx
        pop     bp
        pop     di
        pop     si
        pop     es
        pop     ds
        iret

video_functions:
        dw      video_set_mode          ; 00h
        dw      video_set_cursor_shape  ; 01h
        dw      video_set_cursor        ; 02h
        dw      video_get_cursor        ; 03h
        dw      video_unsupported       ; 04h light pen
        dw      video_select_page       ; 05h
        dw      video_scroll_up         ; 06h
        dw      video_scroll_down       ; 07h
        dw      video_read_char         ; 08h
        dw      video_write_char_attr   ; 09h
        dw      video_write_char        ; 0Ah
        dw      video_unsupported       ; 0Bh CGA palette
        dw      video_write_pixel       ; 0Ch
        dw      video_read_pixel        ; 0Dh
        dw      video_teletype          ; 0Eh
        dw      video_get_mode          ; 0Fh
        dw      video_palette           ; 10h
        dw      video_font              ; 11h
        dw      video_alternate_select  ; 12h
        dw      video_write_string      ; 13h

video_unsupported:
        ret

; AH=4Fh: the VESA BIOS Extensions (VBE 3.0 functions 00h-09h) over the Bochs dispi registers and
; the linear framebuffer at PCI 00:02.0 BAR0, done by emu's C++ half (vbe_services.cpp,
; FW_VBE_SERVICE), which checks every buffer and mode. One case stays here: 4F02h with a VGA mode
; number (below 100h) switches the extension off and sets the mode through AH=00h, so a program
; can leave a VBE mode the VBE way (AH=00h switches dispi off). BX bit 15 (keep memory) becomes
; AL bit 7.
int10_vbe:
        cmp     ax, 4F02h
        jne     .service
        cmp     bx, 8000h
        jae     .high_bit
        cmp     bx, 100h
        jae     .service
        jmp     .vga_mode
.high_bit:
        test    bx, 7F00h               ; 8000h-80FFh: a VGA mode, memory kept
        jnz     .service
.vga_mode:
        push    dx
        push    ax
        mov     al, bl                  ; AH=00h turns the extension off
        and     al, 7Fh
        test    bh, 80h
        jz      .set
        or      al, 80h
.set:   xor     ah, ah
        int     10h
        pop     ax
        pop     dx
        mov     ax, 004Fh
        iret
.service:
        push    dx
        push    ax
        mov     dx, FW_HYPERCALL_PORT
        mov     al, FW_VBE_SERVICE
        out     dx, al                  ; AX/DX answered on the stack, the rest in the registers
        pop     ax
        pop     dx
        iret

; AH=00h: set the video mode in AL (bit 7 set: keep the screen contents). The modes are those in
; `video_modes` (data.asm): 02h/03h, 12h and 13h. Each is set as the IBM VGA BIOS does: every
; register from the mode's table, the DAC loaded, video memory cleared unless AL bit 7 is set,
; then the BDA (IBM VGA Technical Reference, "BIOS Data Area"; SeaBIOS vgabios vga_set_mode).
; A mode that is not there changes nothing: neither the VGA, nor the screen, nor the BDA (so
; AH=0Fh still reports the old mode), and the registers come back as they went in. The IBM
; BIOS's AH=00h has no error return to give (no CF, no status: RBIL lists only some clones'
; undocumented AL values), and SeaBIOS's vga_set_mode likewise returns without touching
; anything for a mode it has no table for; a note on the debug console says why.
video_set_mode:
        mov     ah, al
        and     al, 7Fh
        mov     si, video_modes
.find:  cmp     byte [cs:si + video_mode_entry.mode], 0FFh
        je      .unknown
        cmp     al, [cs:si + video_mode_entry.mode]
        je      .found
        add     si, video_mode_entry_size
        jmp     .find
.unknown:
        mov     si, unsupported_mode_message
        jmp     debug_print
.found: mov     [BDA_VIDEO_MODE], al
        mov     bx, si                  ; BX = the mode's entry from here on
        push    ax                      ; a VGA mode: the VBE extension (dispi ENABLE) off, as
        mov     dx, 1CEh                ; SeaVGABIOS does, so the VGA's own scan-out shows again
        mov     ax, 4
        out     dx, ax
        inc     dx
        xor     ax, ax
        out     dx, ax
        pop     ax
        push    ax
        mov     si, [cs:bx + video_mode_entry.registers]
        call    vga_program_mode
        cmp     byte [cs:bx + video_mode_entry.kind], VIDEO_KIND_PACKED
        je      .palette_256
        call    vga_load_ega_palette    ; 03h and 12h: AR00-0F index the EGA colours 00h-3Fh
        jmp     .palette_done
.palette_256:
        call    vga_load_palette_256
.palette_done:
        pop     ax
        cmp     byte [cs:bx + video_mode_entry.kind], VIDEO_KIND_TEXT
        jne     .graphics
        push    ax
        push    bx
        xor     bl, bl                  ; block 0: mode 03h's SR3 = 00h selects it for both halves
        call    vga_load_rom_font
        pop     bx
        pop     ax
        test    ah, 80h
        jnz     .bda
        xor     di, di
        mov     cx, 8 * TEXT_PAGE_BYTES / 2
        push    ax
        mov     ax, 0720h               ; blank, light grey on black
        rep stosw
        pop     ax
        jmp     .bda
.graphics:
        test    ah, 80h
        jnz     .bda
        call    vga_clear_planes
.bda:   and     ah, 80h                 ; 487h bit 7: the last mode set kept the memory (AH=0Fh
        or      ah, 60h                 ; returns it in AL bit 7); 60h: 256 KiB, as POST had it
        mov     [BDA_VIDEO_EGA_MISC], ah
        movzx   ax, byte [cs:bx + video_mode_entry.columns]
        mov     [BDA_VIDEO_COLUMNS], ax
        mov     ax, [cs:bx + video_mode_entry.page_size]
        mov     [BDA_VIDEO_PAGE_SIZE], ax
        mov     al, [cs:bx + video_mode_entry.rows]
        mov     [BDA_VIDEO_ROWS], al
        movzx   ax, byte [cs:bx + video_mode_entry.char_height]
        mov     [BDA_CHAR_HEIGHT], ax
        mov     word [BDA_VIDEO_PAGE_OFFSET], 0
        mov     di, BDA_CURSOR_POS
        push    es
        push    ds
        pop     es
        mov     cx, 8
        xor     ax, ax
        rep stosw
        pop     es
        mov     word [BDA_CURSOR_SHAPE], 0607h  ; start line 6, end line 7 (BDA: end byte first)
        mov     byte [BDA_VIDEO_PAGE], 0
        mov     word [BDA_CRTC_BASE], CRTC_INDEX
        mov     byte [BDA_VIDEO_MODE_CONTROL], 29h  ; the CGA mode and colour select register
        mov     byte [BDA_VIDEO_PALETTE], 30h       ; images: mode 03h's, kept for every mode
        mov     byte [BDA_VIDEO_SWITCHES], 0F9h
        mov     byte [BDA_VIDEO_FLAGS], 51h
        mov     byte [BDA_VIDEO_DCC], 08h
        jmp     video_sync_cursor

; Programs every VGA register from the table at CS:SI (data.asm: Misc Output, SR1-SR4,
; CR00-CR18, GR0-GR8, AR00-AR14): Misc Output, the sequencer under synchronous reset, the CRTC
; with its protect bit cleared first, the graphics controller, the attribute controller (its
; flip-flop reset first, PAS set last), the DAC mask. (IBM VGA Technical Reference: Sequencer,
; CRT Controller, Graphics and Attribute registers.)
vga_program_mode:
        push    bx
        push    si
        mov     dx, VGA_MISC_WRITE
        mov     al, [cs:si]
        out     dx, al
        mov     dx, VGA_SEQ_INDEX
        mov     ax, 0100h               ; synchronous reset while the clocking changes
        out     dx, ax
        add     si, VGA_TABLE_SEQUENCER
        mov     cx, 4
        mov     bl, 1
        call    vga_write_indexed
        mov     ax, 0300h               ; out of reset
        out     dx, ax
        mov     dx, CRTC_INDEX
        mov     ax, 0011h               ; clear the protect bit (CR11 bit 7) so CR0-CR7 take writes
        out     dx, ax
        mov     cx, 25
        xor     bl, bl
        call    vga_write_indexed
        mov     dx, VGA_GC_INDEX
        mov     cx, 9
        xor     bl, bl
        call    vga_write_indexed
        mov     dx, VGA_INPUT_STATUS_1
        in      al, dx                  ; resets the attribute controller's index/data flip-flop
        mov     dx, VGA_ATTR_INDEX
        xor     bl, bl
.attr:  mov     al, bl
        out     dx, al
        cs lodsb
        out     dx, al
        inc     bl
        cmp     bl, 21
        jb      .attr
        mov     al, 20h                 ; PAS: the palette is loaded, give the screen back to video
        out     dx, al
        mov     dx, VGA_DAC_MASK
        mov     al, 0FFh
        out     dx, al
        pop     si
        pop     bx
        ret

; The DAC's entries 0-63: the 64-colour EGA palette the attribute controller's registers
; index in modes 03h and 12h (IBM VGA BIOS; vga_ega_palette_entry() in devices/vga/vga.h).
vga_load_ega_palette:
        push    bx
        mov     dx, VGA_DAC_WRITE_INDEX
        xor     al, al
        out     dx, al
        inc     dx                      ; 3C9h, the DAC data register: red, green, blue
        xor     bx, bx                  ; EGA colour bits: 0 B, 1 G, 2 R at 2/3, 3 b, 4 g, 5 r at 1/3
.dac:   mov     cl, 2                   ; red: bits 2 and 5
        call    ega_component
        mov     cl, 1                   ; green: bits 1 and 4
        call    ega_component
        xor     cl, cl                  ; blue: bits 0 and 3
        call    ega_component
        inc     bl
        cmp     bl, 64
        jb      .dac
        pop     bx
        ret

; All 256 DAC entries from `vga_palette_256` (data.asm): mode 13h's AR00-0F are the identity,
; so a pixel's byte is its DAC index.
vga_load_palette_256:
        mov     dx, VGA_DAC_WRITE_INDEX
        xor     al, al
        out     dx, al
        inc     dx
        mov     si, vga_palette_256
        mov     cx, 256 * 3
.next:  cs lodsb
        out     dx, al
        loop    .next
        ret

; Zeroes all four 64 KiB planes, whatever the mode's addressing: with chain-4 (mode 13h) the
; CPU reaches only every fourth byte of a plane, so the clear runs with SR4's chain-4 bit off
; and SR2 = 0Fh (all planes) and puts the mode's SR4 back. The graphics modes' GR1 = 00h (no
; set/reset), GR3 = 00h (replace), GR5 write mode 0 and GR8 = FFh pass the CPU's zeros through
; unchanged. (SeaBIOS clears the planar modes the same way, all planes enabled.)
vga_clear_planes:
        push    ax
        push    es
        mov     dx, VGA_SEQ_INDEX
        mov     al, 04h
        out     dx, al
        inc     dx
        in      al, dx
        push    ax                      ; the mode's SR4
        and     al, 0F7h
        out     dx, al
        dec     dx
        mov     ax, 0F02h
        out     dx, ax
        mov     ax, GRAPHICS_SEG
        mov     es, ax
        xor     di, di
        xor     eax, eax
        mov     cx, 10000h / 4
        rep stosd
        pop     ax
        mov     ah, al
        mov     al, 04h
        out     dx, ax
        pop     es
        pop     ax
        ret

; Copies the ROM's 8x16 font (256 characters) into character generator block BL (0-7) of plane
; 2. Each character has a 32-byte slot there; the first 16 bytes are written. Blocks 0-3 start
; at 0, 16, 32, 48 KiB and blocks 4-7 8 KiB above them (IBM VGA Technical Reference, Character
; Map Select Register; SeaBIOS vgafb_load_font). The planes are opened as a font loader does
; (SR2 = 04h: write plane 2 only, SR4 = 07h: no odd/even, GR4 = 02h: read plane 2, GR5 = 00h,
; GR6 = 00h: A0000h, no chaining) and given back to text mode afterwards, so this leaves text
; memory at B8000h as it found it.
vga_load_rom_font:
        push    ds
        push    es
        mov     ax, FONT_SEG
        mov     es, ax
        movzx   di, bl
        and     di, 03h
        shl     di, 14
        and     bl, 04h
        movzx   ax, bl
        shl     ax, 11
        add     di, ax
        mov     dx, VGA_SEQ_INDEX
        mov     ax, 0402h
        out     dx, ax
        mov     ax, 0704h
        out     dx, ax
        mov     dx, VGA_GC_INDEX
        mov     ax, 0204h
        out     dx, ax
        mov     ax, 0005h
        out     dx, ax
        mov     ax, 0006h
        out     dx, ax
        push    cs
        pop     ds
        mov     si, rom_font_8x16
        mov     bx, 256
.char:  mov     cx, FONT_HEIGHT / 4
        rep movsd
        add     di, 32 - FONT_HEIGHT
        dec     bx
        jnz     .char
        mov     dx, VGA_SEQ_INDEX       ; text again: planes 0 and 1, odd/even, B8000h (the
                                        ; values vgacon and SeaBIOS restore)
        mov     ax, 0302h
        out     dx, ax
        mov     ax, 0304h
        out     dx, ax
        mov     dx, VGA_GC_INDEX
        mov     ax, 0004h
        out     dx, ax
        mov     ax, 1005h
        out     dx, ax
        mov     ax, 0E06h
        out     dx, ax
        pop     es
        pop     ds
        ret

; Outputs one 6-bit DAC component of EGA colour BL: 2Ah for the bit CL, 15h for the bit CL+3.
ega_component:
        xor     al, al
        bt      bx, cx
        jnc     .low
        add     al, 2Ah
.low:   add     cl, 3
        bt      bx, cx
        jnc     .out
        add     al, 15h
.out:   out     dx, al
        ret

; Writes CX bytes from CS:SI to the index/data pair at DX, starting at index BL.
vga_write_indexed:
        mov     al, bl
        mov     ah, [cs:si]
        out     dx, ax
        inc     si
        inc     bl
        loop    vga_write_indexed
        ret

; AH=01h: cursor shape, CH = start scan line (bit 5: hidden), CL = end scan line.
video_set_cursor_shape:
        mov     [BDA_CURSOR_SHAPE], cl
        mov     [BDA_CURSOR_SHAPE + 1], ch
        mov     dx, CRTC_INDEX
        mov     al, 0Ah                 ; CR0A cursor start
        mov     ah, ch
        and     ah, 3Fh
        out     dx, ax
        mov     al, 0Bh                 ; CR0B cursor end
        mov     ah, cl
        and     ah, 1Fh
        out     dx, ax
        ret

; AH=02h: cursor position DH = row, DL = column on page BH.
video_set_cursor:
        and     bh, 07h
        movzx   si, bh
        shl     si, 1
        mov     [BDA_CURSOR_POS + si], dx
        cmp     bh, [BDA_VIDEO_PAGE]
        jne     .done
        call    video_sync_cursor
.done:  ret

; AH=03h: returns DH/DL = the cursor on page BH, CH/CL = the cursor shape.
video_get_cursor:
        and     bh, 07h
        movzx   si, bh
        shl     si, 1
        mov     dx, [BDA_CURSOR_POS + si]
        mov     [bp + VIDEO_FRAME_DX], dx
        mov     cl, [BDA_CURSOR_SHAPE]
        mov     ch, [BDA_CURSOR_SHAPE + 1]
        mov     [bp + VIDEO_FRAME_CX], cx
        ret

; Moves the hardware cursor (CR0E/CR0F, a character offset from the start of text memory) to
; the active page's cursor.
video_sync_cursor:
        push    ax
        push    bx
        push    dx
        movzx   bx, byte [BDA_VIDEO_PAGE]
        shl     bx, 1
        mov     dx, [BDA_CURSOR_POS + bx]
        call    video_cell_offset       ; DI = byte offset of row DH, column DL, on page BH
        mov     bx, di
        shr     bx, 1
        mov     dx, CRTC_INDEX
        mov     al, 0Eh
        mov     ah, bh
        out     dx, ax
        mov     al, 0Fh
        mov     ah, bl
        out     dx, ax
        pop     dx
        pop     bx
        pop     ax
        ret

; DI = the byte offset in text memory of row DH, column DL on the active page.
video_cell_offset:
        push    ax
        movzx   ax, dh
        imul    ax, ax, TEXT_COLUMNS
        movzx   di, dl
        add     ax, di
        shl     ax, 1
        add     ax, [BDA_VIDEO_PAGE_OFFSET]
        mov     di, ax
        pop     ax
        ret

; AH=05h: make page AL active (CR0C/CR0D start address).
video_select_page:
        and     al, 07h
        mov     [BDA_VIDEO_PAGE], al
        movzx   ax, al
        shl     ax, 12
        mov     [BDA_VIDEO_PAGE_OFFSET], ax
        shr     ax, 1
        mov     bx, ax
        mov     dx, CRTC_INDEX
        mov     al, 0Ch
        mov     ah, bh
        out     dx, ax
        mov     al, 0Dh
        mov     ah, bl
        out     dx, ax
        jmp     video_sync_cursor

; AH=06h/07h: scroll the window CH,CL (top row, left column) - DH,DL (bottom, right) of the
; active page up or down by AL lines (0: clear it), filling with attribute BH.
video_scroll_up:
        mov     si, TEXT_COLUMNS * 2    ; each row is refilled from the row below
        jmp     video_scroll
video_scroll_down:
        mov     si, -TEXT_COLUMNS * 2   ; ... from the row above
video_scroll:
        push    bp
        cmp     dl, TEXT_COLUMNS - 1
        jbe     .right_ok
        mov     dl, TEXT_COLUMNS - 1
.right_ok:
        cmp     dh, TEXT_ROWS - 1
        jbe     .bottom_ok
        mov     dh, TEXT_ROWS - 1
.bottom_ok:
        cmp     cl, dl
        ja      .done
        cmp     ch, dh
        ja      .done
        mov     bl, dh
        sub     bl, ch
        inc     bl                      ; BL = rows in the window
        test    al, al
        jz      .clear_all
        cmp     al, bl
        jb      .lines_ok
.clear_all:
        mov     al, bl
.lines_ok:
        movzx   di, dl
        movzx   bp, cl
        sub     di, bp
        inc     di
        push    di                      ; [bp] = cells in one row of the window
        mov     bp, sp
        ; Walk the rows in the direction that never overwrites a row still to be copied: top
        ; down when scrolling up, bottom up when scrolling down. AH = the row being refilled,
        ; BL = rows left, this one included; the last AL of them are blanked.
        mov     ah, ch
        test    si, si
        jns     .row
        mov     ah, dh
.row:   push    dx
        mov     dh, ah
        mov     dl, cl
        call    video_cell_offset       ; DI = the window's first cell in this row
        pop     dx
        push    cx
        mov     cx, [bp]
        cmp     bl, al
        jbe     .blank
        push    si
        push    ax
        movzx   ax, al
        imul    si, ax
        add     si, di                  ; the same cell AL rows away
.copy:  mov     ax, [es:si]
        stosw
        add     si, 2
        loop    .copy
        pop     ax
        pop     si
        jmp     .row_done
.blank: push    ax
        mov     al, ' '
        mov     ah, bh
        rep stosw
        pop     ax
.row_done:
        pop     cx
        test    si, si
        js      .upward
        inc     ah
        jmp     .next
.upward:
        dec     ah
.next:  dec     bl
        jnz     .row
        pop     di
.done:  pop     bp
        ret

; AH=08h: AL = the character, AH = its attribute at the cursor of page BH.
video_read_char:
        call    video_page_cursor_offset
        mov     ax, [es:di]
        mov     [bp + VIDEO_FRAME_AX], ax
        ret

; DI = the byte offset of page BH's cursor (pages other than the active one included).
video_page_cursor_offset:
        push    dx
        and     bh, 07h
        movzx   si, bh
        shl     si, 1
        mov     dx, [BDA_CURSOR_POS + si]
        movzx   di, dh
        imul    di, di, TEXT_COLUMNS
        movzx   si, dl
        add     di, si
        shl     di, 1
        movzx   si, bh
        shl     si, 12
        add     di, si
        pop     dx
        ret

; AH=09h: CX copies of character AL with attribute BL at page BH's cursor (cursor stays).
video_write_char_attr:
        call    video_page_cursor_offset
        mov     ah, bl
        rep stosw
        ret

; AH=0Ah: CX copies of character AL, keeping the attributes there.
video_write_char:
        call    video_page_cursor_offset
        jcxz    .done
.next:  stosb
        inc     di
        loop    .next
.done:  ret

; AH=0Eh: teletype output of AL on the active page: BEL, BS, LF and CR act, everything else is
; written and the cursor advances; the screen scrolls at the bottom.
video_teletype:
        out     PORT_DEBUGCON, al
        movzx   si, byte [BDA_VIDEO_PAGE]
        shl     si, 1
        mov     dx, [BDA_CURSOR_POS + si]
        cmp     al, 07h
        je      .done
        cmp     al, 08h
        je      .backspace
        cmp     al, 0Ah
        je      .line_feed
        cmp     al, 0Dh
        je      .carriage_return
        call    video_cell_offset
        mov     [es:di], al
        inc     dl
        cmp     dl, TEXT_COLUMNS
        jb      .move
        xor     dl, dl
        jmp     .line_feed
.backspace:
        test    dl, dl
        jz      .move
        dec     dl
        jmp     .move
.carriage_return:
        xor     dl, dl
        jmp     .move
.line_feed:
        inc     dh
        cmp     dh, TEXT_ROWS
        jb      .move
        dec     dh
        push    dx
        push    si
        mov     ax, 0601h               ; scroll the whole page up a line, blanks light grey
        mov     bh, 07h
        xor     cx, cx
        mov     dx, (TEXT_ROWS - 1) << 8 | (TEXT_COLUMNS - 1)
        call    video_scroll_up
        pop     si
        pop     dx
.move:  mov     [BDA_CURSOR_POS + si], dx
        call    video_sync_cursor
.done:  ret

; AH=0Ch: write pixel AL at column CX, row DX; AH=0Dh: AL = the pixel there. Graphics modes
; only: in a text mode nothing is written and reads return 0. BH, the page, is not used: 12h and
; 13h have one page each. A pixel off the screen is not written and reads as 0 (the IBM BIOS
; does not check: its address arithmetic lands on some other pixel or past the screen).
; Mode 13h: the pixel is byte DX * 320 + CX at A0000h (chain-4 puts it in plane CX & 3).
; Mode 12h: the pixel is bit 7 - (CX & 7) of byte DX * 80 + CX / 8 in each of the four planes,
; a colour bit a plane. Writes use write mode 2 (CPU bits 3-0 are the colour) with the bit mask
; set to the pixel's bit after a read has loaded the latches, so the byte's other seven pixels
; come back from the latches unchanged; AL bit 7 set selects the XOR function, so the colour is
; XORed into the pixel (IBM VGA BIOS, "Write Dot"; SeaBIOS vgafb_write_pixel). Reads select
; each plane with GR4 (read map select). GR3, GR4, GR5 and GR8 are given back their mode 12h
; values afterwards.
video_write_pixel:
        call    video_pixel_address
        jc      .done
        push    es
        push    GRAPHICS_SEG
        pop     es
        cmp     byte [BDA_VIDEO_MODE], 13h
        jne     .planar
        mov     [es:di], al
        jmp     .written
.planar:
        mov     bl, al
        mov     dx, VGA_GC_INDEX
        mov     al, 08h                 ; GR8 bit mask = the pixel's bit (AH)
        out     dx, ax
        mov     ax, 0205h               ; GR5: write mode 2
        out     dx, ax
        xor     ah, ah
        test    bl, 80h
        jz      .function
        mov     ah, 18h                 ; GR3 bits 4-3 = 11b: XOR with the latches
.function:
        mov     al, 03h
        out     dx, ax
        mov     al, [es:di]             ; loads the latches
        mov     [es:di], bl
        mov     ax, 0FF08h
        out     dx, ax
        mov     ax, 0005h
        out     dx, ax
        mov     ax, 0003h
        out     dx, ax
.written:
        pop     es
.done:  ret

video_read_pixel:
        xor     bl, bl                  ; off the screen (or a text mode): 0
        call    video_pixel_address
        jc      .answer
        push    es
        push    GRAPHICS_SEG
        pop     es
        cmp     byte [BDA_VIDEO_MODE], 13h
        jne     .planar
        mov     bl, [es:di]
        jmp     .read
.planar:
        mov     cl, ah                  ; the pixel's bit
        mov     dx, VGA_GC_INDEX
        mov     ax, 0304h               ; GR4 read map select: plane 3 first, the colour's bit 3
.plane: out     dx, ax
        mov     ch, [es:di]
        and     ch, cl
        neg     ch                      ; CF = the plane's bit
        rcl     bl, 1
        sub     ah, 1
        jnc     .plane
        mov     ax, 0004h
        out     dx, ax
.read:  pop     es
.answer:
        mov     [bp + VIDEO_FRAME_AX], bl
        ret

; For AH=0Ch/0Dh: DI = the byte offset at A0000h of pixel CX, DX in the current mode, and for
; mode 12h AH = its bit (80h >> (CX & 7)). CF set: a text mode, or the pixel is off the screen.
; Keeps AL.
video_pixel_address:
        cmp     byte [BDA_VIDEO_MODE], 13h
        je      .packed
        cmp     byte [BDA_VIDEO_MODE], 12h
        jne     .none
        cmp     cx, 640
        jae     .none
        cmp     dx, 480
        jae     .none
        imul    di, dx, 80
        mov     si, cx
        shr     si, 3
        add     di, si
        and     cl, 07h
        mov     ah, 80h
        shr     ah, cl
        clc
        ret
.packed:
        cmp     cx, 320
        jae     .none
        cmp     dx, 200
        jae     .none
        imul    di, dx, 320
        add     di, cx
        clc
        ret
.none:  stc
        ret

; AH=0Fh: AL = mode (bit 7 set when the mode set kept the memory, BDA 487h bit 7, as the IBM
; BIOS reports it), AH = columns, BH = active page.
video_get_mode:
        mov     al, [BDA_VIDEO_EGA_MISC]
        and     al, 80h
        or      al, [BDA_VIDEO_MODE]
        mov     ah, [BDA_VIDEO_COLUMNS]
        mov     [bp + VIDEO_FRAME_AX], ax
        mov     al, [BDA_VIDEO_PAGE]
        mov     [bp + VIDEO_FRAME_BX + 1], al
        ret

; AH=10h: palette registers (attribute controller 00h-0Fh, overscan 11h) and the DAC.
video_palette:
        cmp     al, 00h
        je      .set_one
        cmp     al, 01h
        je      .set_overscan
        cmp     al, 03h
        je      .blink
        cmp     al, 07h
        je      .get_one
        cmp     al, 10h
        je      .set_dac
        cmp     al, 12h
        je      .set_dac_block
        cmp     al, 15h
        je      .get_dac
        cmp     al, 17h
        je      .get_dac_block
        ret
.set_one:                               ; BL = register, BH = value
        mov     al, bl
        mov     ah, bh
        jmp     vga_attribute_write
.set_overscan:
        mov     al, 11h
        mov     ah, bh
        jmp     vga_attribute_write
.blink:                                 ; BL = 0: intensity, 1: blink (mode control bit 3)
        mov     al, 10h
        call    vga_attribute_read
        and     ah, 0F7h
        test    bl, bl
        jz      .blink_set
        or      ah, 08h
.blink_set:
        mov     al, 10h
        jmp     vga_attribute_write
.get_one:
        mov     al, bl
        call    vga_attribute_read
        mov     [bp + VIDEO_FRAME_BX + 1], ah
        ret
.set_dac:                               ; BX = index, DH red, CH green, CL blue
        mov     al, bl
        mov     dx, VGA_DAC_WRITE_INDEX
        out     dx, al
        inc     dx
        mov     al, [bp + VIDEO_FRAME_DX + 1]
        out     dx, al
        mov     al, ch
        out     dx, al
        mov     al, cl
        out     dx, al
        ret
.set_dac_block:                         ; BX = first, CX = count, ES:DX = red, green, blue...
        push    es
        mov     es, [bp + VIDEO_FRAME_ES]
        mov     si, dx
        mov     al, bl
        mov     dx, VGA_DAC_WRITE_INDEX
        out     dx, al
        inc     dx
        imul    cx, cx, 3
        jcxz    .set_block_done
.set_block_next:
        mov     al, [es:si]
        out     dx, al
        inc     si
        loop    .set_block_next
.set_block_done:
        pop     es
        ret
.get_dac:                               ; BX = index; returns DH red, CH green, CL blue
        mov     al, bl
        mov     dx, VGA_DAC_READ_INDEX
        out     dx, al
        add     dx, 2
        in      al, dx
        mov     ah, al
        in      al, dx
        mov     ch, al
        in      al, dx
        mov     cl, al
        mov     [bp + VIDEO_FRAME_CX], cx
        mov     [bp + VIDEO_FRAME_DX + 1], ah
        ret
.get_dac_block:                         ; BX = first, CX = count, ES:DX = buffer
        push    es
        mov     es, [bp + VIDEO_FRAME_ES]
        mov     di, dx
        mov     al, bl
        mov     dx, VGA_DAC_READ_INDEX
        out     dx, al
        add     dx, 2
        imul    cx, cx, 3
        jcxz    .get_block_done
.get_block_next:
        in      al, dx
        stosb
        loop    .get_block_next
.get_block_done:
        pop     es
        ret

; Attribute controller register AL := AH (the index/data flip-flop is reset first). The palette
; registers 00h-0Fh take writes only while bit 5 of the index, PAS, is clear (IBM VGA: "Palette
; Address Source"), which blanks the screen for the moment; PAS is set again afterwards.
vga_attribute_write:
        push    dx
        push    ax
        mov     dx, VGA_INPUT_STATUS_1
        in      al, dx
        pop     ax
        push    ax
        mov     dx, VGA_ATTR_INDEX
        and     al, 1Fh
        out     dx, al
        mov     al, ah
        out     dx, al
        mov     al, 20h                 ; the flip-flop is back at "index": PAS on
        out     dx, al
        pop     ax
        pop     dx
        ret
; AH := attribute controller register AL.
vga_attribute_read:
        push    dx
        push    ax
        mov     dx, VGA_INPUT_STATUS_1
        in      al, dx
        pop     ax
        mov     dx, VGA_ATTR_INDEX
        or      al, 20h
        out     dx, al
        mov     dx, VGA_ATTR_READ
        in      al, dx
        mov     ah, al
        mov     dx, VGA_INPUT_STATUS_1
        in      al, dx
        pop     dx
        ret

; AH=11h: character generator (IBM VGA BIOS, int 10h AH=11h).
; AL=04h / 14h: load the ROM's 8x16 font into block BL; 14h also sets the character height
;   (CR09, the BDA) to 16, which mode 03h already has, so the screen keeps its 25 rows.
; AL=30h: font information: CX = scan lines per character, DL = rows - 1, ES:BP = the font BH
;   asks for. Only BH = 06h, the 8x16 font, exists; the 8x14 (02h), 8x8 (03h, 04h) and 9-dot
;   (05h, 07h) fonts and the int 1Fh/43h pointers (00h, 01h: those vectors hold an IRET, not
;   a font) come back as 0000:0000.
; The user-font loads (00h-03h, 10h-13h) and the ROM 8x14/8x8 loads are not offered.
video_font:
        cmp     al, 04h
        je      .load
        cmp     al, 14h
        je      .load_and_height
        cmp     al, 30h
        jne     .done
        mov     cx, [BDA_CHAR_HEIGHT]
        mov     [bp + VIDEO_FRAME_CX], cx
        mov     dl, [BDA_VIDEO_ROWS]
        mov     [bp + VIDEO_FRAME_DX], dl
        xor     ax, ax                  ; no such font: 0000:0000
        xor     cx, cx
        cmp     bh, 06h
        jne     .pointer
        mov     ax, 0F000h
        mov     cx, rom_font_8x16
.pointer:
        mov     [bp + VIDEO_FRAME_BP], cx
        mov     [bp + VIDEO_FRAME_ES], ax
.done:  ret
.load_and_height:
        mov     dx, CRTC_INDEX
        mov     al, 09h                 ; CR09 bits 4-0: maximum scan line = height - 1
        out     dx, al
        inc     dx
        in      al, dx
        and     al, 0E0h
        or      al, FONT_HEIGHT - 1
        out     dx, al
        mov     word [BDA_CHAR_HEIGHT], FONT_HEIGHT
        mov     byte [BDA_VIDEO_ROWS], TEXT_ROWS - 1
.load:  and     bl, 07h
        jmp     vga_load_rom_font

; AH=12h: alternate select. BL=10h: EGA/VGA information (BH = 0 colour, BL = 3 for 256 KiB,
; CH = feature bits, CL = switch settings). The others (scan lines, cursor emulation, video
; enable ...) are acknowledged with AL = 12h.
video_alternate_select:
        cmp     bl, 10h
        jne     .acknowledge
        mov     word [bp + VIDEO_FRAME_BX], 0003h
        movzx   cx, byte [BDA_VIDEO_SWITCHES]
        and     cl, 0Fh
        mov     [bp + VIDEO_FRAME_CX], cx
        ret
.acknowledge:
        mov     byte [bp + VIDEO_FRAME_AX], 12h
        ret

; AH=13h: write the string ES:BP (CX characters) at DH,DL on page BH. AL bit 0: move the
; cursor to its end; bit 1: the string alternates characters and attributes (else BL).
video_write_string:
        push    es
        mov     si, [bp + VIDEO_FRAME_BP]
        mov     es, [bp + VIDEO_FRAME_ES]
        mov     ah, al                  ; the mode bits
        test    cx, cx
        jz      .done
        ; Save page BH's cursor, write through teletype-like steps, restore unless asked.
        and     bh, 07h
        movzx   di, bh
        shl     di, 1
        push    word [BDA_CURSOR_POS + di]
        mov     [BDA_CURSOR_POS + di], dx
.next:  mov     al, [es:si]
        inc     si
        test    ah, 02h
        jz      .attr_bl
        mov     bl, [es:si]
        inc     si
.attr_bl:
        push    cx
        push    ax
        push    es
        push    si                      ; the string: the helpers below use SI
        push    bx                      ; BH = the page (teletype's scroll changes it)
        mov     cx, VIDEO_SEG
        mov     es, cx
        cmp     al, 0Dh
        je      .control
        cmp     al, 0Ah
        je      .control
        cmp     al, 08h
        je      .control
        cmp     al, 07h
        je      .control
        mov     cx, 1
        call    video_write_char_attr
        ; advance page BH's cursor, wrapping and scrolling as teletype does
        movzx   di, bh
        shl     di, 1
        mov     dx, [BDA_CURSOR_POS + di]
        inc     dl
        cmp     dl, TEXT_COLUMNS
        jb      .store
        xor     dl, dl
        inc     dh
        cmp     dh, TEXT_ROWS
        jb      .store
        dec     dh
        push    bx
        push    dx
        mov     ax, 0601h
        mov     bh, 07h
        xor     cx, cx
        mov     dx, (TEXT_ROWS - 1) << 8 | (TEXT_COLUMNS - 1)
        call    video_scroll_up
        pop     dx
        pop     bx
.store: mov     [BDA_CURSOR_POS + di], dx
        jmp     .written
.control:
        call    video_teletype
.written:
        pop     bx
        pop     si
        pop     es
        pop     ax
        pop     cx
        loop    .next
        movzx   di, bh
        shl     di, 1
        pop     dx                      ; the cursor before the string
        test    ah, 01h
        jnz     .keep_new
        mov     [BDA_CURSOR_POS + di], dx
.keep_new:
        call    video_sync_cursor
.done:  pop     es
        ret

; AH=1Ah: display combination code. AL=00h: BL = 08h (VGA with a colour display), BH = 0.
video_display_combination:
        cmp     al, 01h
        ja      .done
        mov     byte [bp + VIDEO_FRAME_AX], 1Ah
        test    al, al
        jnz     .done
        mov     word [bp + VIDEO_FRAME_BX], 0008h
.done:  ret
