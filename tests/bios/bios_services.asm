; bios_services — calls every service emu's BIOS (devices/bios) offers and checks the answers.
;
; Why this program looks like a Linux kernel: the PC has no disks yet, so the only way into a
; real-mode program after POST is `emu -kernel`, which loads a bzImage the way a boot loader
; does (devices/bios/kernel_loader.cpp) and lets int 19h enter its real-mode setup code at
; 1020:0000 with DS = ES = SS = 1000h and SP = FE00h. That is exactly how Linux's own setup code
; meets the BIOS (Documentation/arch/x86/boot.rst): it asks int 10h, 15h (E820, E801, 88h),
; 16h and 1Ah for what it needs, then leaves real mode. So this file carries the smallest valid
; boot-protocol 2.02 header (boot_flag, setup_sects, "HdrS", version, loadflags.LOADED_HIGH) and
; a token "protected-mode kernel" after the setup sectors, and all of its code is setup code.
;
; Every check prints "ok NAME" or "FAIL NAME got=... want=..." on a line of its own to the debug
; console (port E9h); `info` lines describe what was found. At the end it writes the number of
; failures to port F4h, so emu exits with (failures << 1) | 1. run_bios_services.py runs it with
; `-m 64 -icount shift=0` and knows which "ok" lines to expect.
;
; Memory the program uses besides its own image (all free after POST):
;   1000:8000  the E820 map as the BIOS returned it      1000:9000  block-move source pattern
;   1000:9200  block-move round trip                     1000:A000  tables fetched from high RAM
;                                                           (before that: mode 13h's DAC read back)
;   3000:0000  the DSDT and the SMBIOS structure table    9000:0000  the A20-off wrap target
;   0000:0500 / FFFF:0510  the A20 wrap test (POST's scratch words, unused after POST)
;   190000h, 300000h  block-move targets above 1 MiB

bits 16
org 0
cpu 686

RAM_BYTES               equ 64 << 20    ; the runner passes -m 64
TABLE_AREA_BYTES        equ 64 * 1024   ; emu reserves the top 64 KiB for ACPI and SMBIOS
EXPECTED_USABLE         equ 9FC00h + (RAM_BYTES - TABLE_AREA_BYTES - 100000h)
PROGRAM_SEG             equ 1000h
PROGRAM_BASE            equ PROGRAM_SEG << 4
E820_BUF                equ 8000h
E820_MAX                equ 32
MOVE_PATTERN            equ 9000h
MOVE_BACK               equ 9200h
FETCH_BUF               equ 0A000h
BIG_SEG                 equ 3000h
WRAP_SEG                equ 9000h
DEBUGCON                equ 0E9h
DEBUG_EXIT              equ 0F4h

; ---- the real-mode kernel header (boot protocol 2.02) -------------------------------------------
        times   1F1h - ($ - $$) db 0
setup_sects             db SETUP_SECTS  ; 1F1h: setup sectors after the boot sector
root_flags              dw 0
syssize                 dd 1            ; 1F4h: protected-mode size in 16-byte units
ram_size                dw 0
vid_mode                dw 0FFFFh       ; "normal"
root_dev                dw 0
boot_flag               dw 0AA55h       ; 1FEh
        jmp     short setup_entry       ; 200h: the loader enters here, at 1020:0000
        db      "HdrS"                  ; 202h
        dw      0202h                   ; 206h: protocol 2.02 (cmd_line_ptr, no cmdline_size)
        dd      0                       ; 208h realmode_swtch
        dw      1000h                   ; 20Ch start_sys_seg (obsolete)
        dw      0                       ; 20Eh kernel_version
        db      0                       ; 210h type_of_loader (the loader fills it in)
        db      01h                     ; 211h loadflags: LOADED_HIGH (a bzImage)
        dw      0                       ; 212h setup_move_size
        dd      100000h                 ; 214h code32_start
        dd      0, 0                    ; 218h ramdisk_image, ramdisk_size
        dd      0                       ; 220h bootsect_kludge
        dw      0                       ; 224h heap_end_ptr
        db      0, 0                    ; 226h ext_loader_ver, ext_loader_type
        dd      0                       ; 228h cmd_line_ptr
        times   240h - ($ - $$) db 0

setup_entry:                            ; CS = 1020h: move to CS = 1000h, where `org 0` holds
        jmp     PROGRAM_SEG:main

; ---- output and checking: shared with the other real-mode tests ------------------------------
%include "check.inc"

; ---- main ------------------------------------------------------------------------------------
main:
        mov     ax, cs
        mov     ds, ax
        mov     es, ax
        mov     ax, 0B800h              ; FS = text memory for the whole run
        mov     fs, ax
        cld
        sti                             ; the timer and RTC checks need IRQ 0
        call    newline                 ; end the BIOS's own last line on the debug console
        INFO    "info bios_services: starting"

        call    test_video
        call    test_video_modes
        call    test_vbe
        call    test_equipment
        call    test_disk
        call    test_memory_map
        call    test_a20
        call    test_system_misc
        call    test_keyboard
        call    test_time
        call    test_pci
        call    test_tables

        STR     si, "info done: checks="
        call    puts
        movzx   eax, word [checks]
        call    put_hex32
        STR     si, " failures="
        call    puts
        movzx   eax, word [failures]
        call    put_hex32
        call    newline
        mov     ax, [failures]
        cmp     ax, 7Fh
        jbe     .exit
        mov     ax, 7Fh
.exit:  out     DEBUG_EXIT, al
        cli
.halt:  hlt
        jmp     .halt

; ==== int 10h ===================================================================================

; AL = CRTC index -> AL = its value (IBM VGA: CRT Controller registers at 3D4h/3D5h).
read_crtc:
        push    dx
        mov     dx, 3D4h
        out     dx, al
        inc     dx
        in      al, dx
        pop     dx
        ret
; AL = the index of a high byte (0Ch start address, 0Eh cursor) -> AX = that register pair.
read_crtc_pair:
        push    bx
        mov     bl, al
        call    read_crtc
        mov     bh, al
        mov     al, bl
        inc     al
        call    read_crtc
        mov     ah, bh
        pop     bx
        ret

%define CELL(r, c) (((r) * 80 + (c)) * 2)

; Fills the 80x25 page at text offset BX with the pattern cell(r, c) = char 'A' + r, attr c.
fill_pattern:
        pushad
        mov     di, bx
        xor     cx, cx
.row:   xor     dx, dx
.col:   mov     al, cl
        add     al, 'A'
        mov     ah, dl
        mov     [fs:di], ax
        add     di, 2
        inc     dx
        cmp     dx, 80
        jb      .col
        inc     cx
        cmp     cx, 25
        jb      .row
        popad
        ret

; Compares the page at text offset [sv_page] with the pattern as a scroll of the window
; sv_top..sv_bottom x sv_left..sv_right by sv_lines (0: clear) up, or down if sv_down, with
; blanks of attribute sv_attr, should have left it. Returns EAX = cells that differ.
verify_scroll:
        pushad
        xor     bp, bp
        mov     di, [sv_page]
        xor     cx, cx                  ; row
.row:   xor     dx, dx                  ; column
.col:   mov     si, cx                  ; the pattern row expected here
        cmp     cl, [sv_top]
        jb      .pattern
        cmp     cl, [sv_bottom]
        ja      .pattern
        cmp     dl, [sv_left]
        jb      .pattern
        cmp     dl, [sv_right]
        ja      .pattern
        movzx   ax, byte [sv_lines]
        movzx   bx, byte [sv_bottom]
        sub     bl, [sv_top]
        inc     bx                      ; rows in the window
        test    ax, ax
        jz      .blank
        cmp     ax, bx
        jae     .blank
        cmp     byte [sv_down], 0
        jne     .down
        add     si, ax
        movzx   bx, byte [sv_bottom]
        cmp     si, bx
        ja      .blank
        jmp     .pattern
.down:  sub     si, ax
        movzx   bx, byte [sv_top]
        cmp     si, bx
        jl      .blank
.pattern:
        mov     ax, si
        add     al, 'A'
        mov     ah, dl
        jmp     .compare
.blank: mov     al, ' '
        mov     ah, [sv_attr]
.compare:
        cmp     [fs:di], ax
        je      .same
        inc     bp
.same:  add     di, 2
        inc     dx
        cmp     dx, 80
        jb      .col
        inc     cx
        cmp     cx, 25
        jb      .row
        mov     [sv_result], bp
        popad
        movzx   eax, word [sv_result]
        ret

; Table of scroll cases: AX, BX (BH = blank attribute), CX, DX as given to int 10h, then the
; window the BIOS must use after clamping to the screen (top, left, bottom, right), the name.
scroll_cases:
        dw      0601h, 1E00h, 0203h, 050Ah
        db      2, 3, 5, 10
        dw      .up1
        dw      0600h, 7000h, 0A14h, 0C1Eh
        db      10, 20, 12, 30
        dw      .clear
        dw      0702h, 2F00h, 0F00h, 184Fh
        db      15, 0, 24, 79
        dw      .down2
        dw      0603h, 1700h, 1446h, 1A5Ah
        db      20, 70, 24, 79
        dw      .clamp
        dw      0709h, 4E00h, 0000h, 0304h
        db      0, 0, 3, 4
        dw      .too_many
        dw      0618h, 0700h, 0000h, 184Fh
        db      0, 0, 24, 79
        dw      .full
        dw      0
.up1:   db      "int10/06 scroll up 1 line in a window", 0
.clear: db      "int10/06 AL=0 clears the window", 0
.down2: db      "int10/07 scroll down 2 lines, full width", 0
.clamp: db      "int10/06 window clamped to the screen", 0
.too_many: db   "int10/07 more lines than the window blanks it", 0
.full:  db      "int10/06 scroll the whole screen 24 lines", 0

tty:                                    ; teletype AL on the active page
        push    ax
        push    bx
        mov     ah, 0Eh
        mov     bx, 0007h
        int     10h
        pop     bx
        pop     ax
        ret

set_cursor:                             ; DX = row:column on page BH
        push    ax
        mov     ah, 02h
        int     10h
        pop     ax
        ret

get_cursor:                             ; page BH -> DX, CX = shape
        push    ax
        mov     ah, 03h
        int     10h
        pop     ax
        ret

test_video:
        ; 00h: mode 03h clears the screen and sets up the BDA; 0Fh reports it.
        mov     word [fs:0], 1F41h
        mov     ax, 0003h
        int     10h
        mov     ah, 0Fh
        int     10h
        EXPECTW "int10/0F mode 03h, 80 columns", ax, 5003h
        EXPECTB "int10/0F page 0", bh, 0
        push    es
        mov     ax, 0040h
        mov     es, ax
        EXPECTB "int10/00 BDA mode byte", byte [es:49h], 3
        EXPECTW "int10/00 BDA columns", word [es:4Ah], 80
        EXPECTB "int10/00 BDA rows-1", byte [es:84h], 24
        pop     es
        xor     di, di
        xor     ebx, ebx                ; cells that are not a light-grey blank
        mov     cx, 8 * 2048
.blank: cmp     word [fs:di], 0720h
        je      .blank_ok
        inc     ebx
.blank_ok:
        add     di, 2
        loop    .blank
        EXPECT  "int10/00 clears all 8 pages", ebx, 0
        mov     word [fs:CELL(1, 1)], 1E42h
        mov     ax, 0083h               ; bit 7: keep the contents
        int     10h
        EXPECTW "int10/00 AL bit 7 keeps the screen", word [fs:CELL(1, 1)], 1E42h
        mov     ax, 0003h
        int     10h

        ; 01h: cursor shape round trip, and CR0A/CR0B.
        mov     ah, 01h
        mov     cx, 0D0Eh
        int     10h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/01+03 cursor shape round trip", cx, 0D0Eh
        mov     al, 0Ah
        call    read_crtc_pair
        EXPECTW "int10/01 CR0A/CR0B programmed", ax, 0D0Eh

        ; 02h/03h: cursor position, per page; the CRTC follows the active page only.
        xor     bh, bh
        mov     dx, 0A05h
        call    set_cursor
        mov     bh, 1
        mov     dx, 0304h
        call    set_cursor
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/02+03 cursor round trip page 0", dx, 0A05h
        mov     bh, 1
        call    get_cursor
        EXPECTW "int10/02+03 cursor round trip page 1", dx, 0304h
        mov     al, 0Eh
        call    read_crtc_pair
        EXPECTW "int10/02 CR0E/CR0F = 10*80+5", ax, 10 * 80 + 5

        ; 05h: page 1 active: start address 800h (4 KiB / 2), its cursor in the CRTC.
        mov     ax, 0501h
        int     10h
        mov     ah, 0Fh
        int     10h
        EXPECTB "int10/05 page 1 active (0Fh BH)", bh, 1
        mov     al, 0Ch
        call    read_crtc_pair
        EXPECTW "int10/05 CR0C/CR0D start address", ax, 0800h
        mov     al, 0Eh
        call    read_crtc_pair
        EXPECTW "int10/05 cursor follows page 1", ax, 0800h + 3 * 80 + 4

        ; 06h/07h on page 1: page 1 scrolls, page 0 does not.
        mov     bx, 1000h
        call    fill_pattern
        xor     bx, bx
        call    fill_pattern
        mov     ax, 0601h
        mov     bh, 5Eh
        mov     cx, 0101h
        mov     dx, 0303h
        int     10h
        mov     word [sv_page], 1000h
        mov     dword [sv_top], 03030101h       ; top 1, left 1, bottom 3, right 3
        mov     byte [sv_lines], 1
        mov     byte [sv_down], 0
        mov     byte [sv_attr], 5Eh
        call    verify_scroll
        EXPECT  "int10/06 scrolls the active page (1)", eax, 0
        mov     word [sv_page], 0
        mov     byte [sv_top], 0FFh             ; no window: page 0 must be the bare pattern
        call    verify_scroll
        EXPECT  "int10/06 leaves the other pages alone", eax, 0
        mov     ax, 0500h
        int     10h
        mov     al, 0Ch
        call    read_crtc_pair
        EXPECTW "int10/05 back to page 0", ax, 0

        ; 06h/07h on page 0: the table of cases.
        mov     si, scroll_cases
.case:  cmp     word [si], 0
        je      .cases_done
        xor     bx, bx
        call    fill_pattern
        mov     ax, [si]
        mov     bx, [si + 2]
        mov     cx, [si + 4]
        mov     dx, [si + 6]
        push    si
        int     10h
        pop     si
        mov     word [sv_page], 0
        mov     eax, [si + 8]
        mov     [sv_top], eax
        mov     al, [si]
        mov     [sv_lines], al
        mov     al, [si + 1]
        sub     al, 06h
        mov     [sv_down], al
        mov     al, [si + 3]
        mov     [sv_attr], al
        call    verify_scroll
        push    si
        mov     si, [si + 12]
        xor     ebx, ebx
        call    check_equal
        pop     si
        add     si, 14
        jmp     .case
.cases_done:

        ; 08h: the character and attribute at a page's cursor.
        mov     word [fs:CELL(10, 5)], 1E41h
        xor     bh, bh
        mov     ah, 08h
        int     10h
        EXPECTW "int10/08 read char+attr page 0", ax, 1E41h
        mov     word [fs:1000h + CELL(3, 4)], 2F42h
        mov     bh, 1
        mov     ah, 08h
        int     10h
        EXPECTW "int10/08 read char+attr page 1", ax, 2F42h

        ; 09h: CX copies with attribute BL at the cursor, which stays.
        xor     bh, bh
        mov     dx, 0607h
        call    set_cursor
        mov     dword [fs:CELL(6, 7)], 07200720h
        mov     dword [fs:CELL(6, 9)], 07200720h
        mov     ax, 095Ah
        mov     bx, 004Fh
        mov     cx, 3
        int     10h
        EXPECT  "int10/09 writes CX cells", dword [fs:CELL(6, 7)], 4F5A4F5Ah
        EXPECTW "int10/09 third cell", word [fs:CELL(6, 9)], 4F5Ah
        EXPECTW "int10/09 stops after CX cells", word [fs:CELL(6, 10)], 0720h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/09 cursor does not move", dx, 0607h
        mov     ax, 0959h
        mov     bx, 011Ah               ; page 1, attribute 1Ah
        mov     cx, 2
        int     10h
        EXPECT  "int10/09 on page 1 at its cursor", dword [fs:1000h + CELL(3, 4)], 1A591A59h

        ; 0Ah: characters only, attributes stay.
        mov     dx, 0800h
        xor     bh, bh
        call    set_cursor
        mov     dword [fs:CELL(8, 0)], 31203120h
        mov     word [fs:CELL(8, 2)], 3120h
        mov     ax, 0A51h
        xor     bx, bx
        mov     cx, 2
        int     10h
        EXPECT  "int10/0A keeps attributes", dword [fs:CELL(8, 0)], 31513151h
        EXPECTW "int10/0A stops after CX cells", word [fs:CELL(8, 2)], 3120h

        ; 0Eh: teletype, with BS, BEL, CR, LF, the right margin and the bottom.
        mov     ax, 0003h
        int     10h
        xor     bh, bh
        xor     dx, dx
        call    set_cursor
        mov     al, 'a'
        call    tty
        mov     al, 'b'
        call    tty
        mov     al, 08h
        call    tty
        mov     al, 'c'
        call    tty
        mov     al, 07h
        call    tty
        call    newline
        EXPECT  "int10/0E a b BS c", dword [fs:CELL(0, 0)], 07630761h
        EXPECTW "int10/0E BEL writes nothing", word [fs:CELL(0, 2)], 0720h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/0E cursor after a b BS c", dx, 0002h
        mov     al, 13
        call    tty
        call    get_cursor
        EXPECTW "int10/0E CR", dx, 0000h
        mov     al, 10
        call    tty
        call    get_cursor
        EXPECTW "int10/0E LF", dx, 0100h
        mov     al, 08h
        call    tty
        call    newline                 ; the BS went to the debug console too
        call    get_cursor
        EXPECTW "int10/0E BS at column 0 stays", dx, 0100h
        mov     dx, 014Fh
        call    set_cursor
        mov     al, 'W'
        call    tty
        call    newline
        EXPECTW "int10/0E writes at column 79", word [fs:CELL(1, 79)], 0757h
        call    get_cursor
        EXPECTW "int10/0E wraps to the next line", dx, 0200h
        ; LF on the last line scrolls the page up.
        xor     bx, bx
        call    fill_pattern
        mov     dx, 1805h
        call    set_cursor
        mov     al, 10
        call    tty
        call    get_cursor
        EXPECTW "int10/0E LF at the bottom keeps the row", dx, 1805h
        mov     word [sv_page], 0
        mov     dword [sv_top], 4F180000h       ; the whole screen
        mov     byte [sv_lines], 1
        mov     byte [sv_down], 0
        mov     byte [sv_attr], 07h
        call    verify_scroll
        EXPECT  "int10/0E LF at the bottom scrolls", eax, 0
        ; A character in the last cell wraps and scrolls.
        xor     bx, bx
        call    fill_pattern
        mov     dx, 184Fh
        call    set_cursor
        mov     al, 'X'
        call    tty
        call    newline
        EXPECTW "int10/0E last cell written then scrolled", word [fs:CELL(23, 79)], 4F58h
        mov     word [fs:CELL(23, 79)], 4F00h + 'A' + 24
        call    verify_scroll
        EXPECT  "int10/0E last cell scrolls the page", eax, 0
        call    get_cursor
        EXPECTW "int10/0E cursor after the last cell", dx, 1800h

        ; 10h: palette registers and the DAC.
        mov     ax, 1007h
        mov     bl, 05h
        int     10h
        mov     [saved_byte], bh
        mov     ax, 1000h
        mov     bx, 2C05h
        int     10h
        mov     ax, 1007h
        mov     bx, 0005h
        int     10h
        EXPECTB "int10/1000+1007 palette register round trip", bh, 2Ch
        mov     ax, 1000h
        mov     bh, [saved_byte]
        mov     bl, 05h
        int     10h
        mov     ax, 1001h
        mov     bh, 05h
        int     10h
        mov     ax, 1007h
        mov     bx, 0011h
        int     10h
        EXPECTB "int10/1001 overscan (attribute 11h)", bh, 05h
        mov     ax, 1001h
        xor     bh, bh
        int     10h
        mov     ax, 1003h               ; BL = 1: blink
        mov     bl, 1
        int     10h
        mov     ax, 1007h
        mov     bx, 0010h
        int     10h
        and     bh, 08h
        EXPECTB "int10/1003 blink on (mode control bit 3)", bh, 08h
        mov     ax, 1003h
        xor     bl, bl
        int     10h
        mov     ax, 1007h
        mov     bx, 0010h
        int     10h
        and     bh, 08h
        EXPECTB "int10/1003 blink off", bh, 0
        mov     ax, 1010h
        mov     bx, 0020h
        mov     dh, 11h
        mov     cx, 2233h
        int     10h
        mov     ax, 1015h
        mov     bx, 0020h
        xor     cx, cx
        xor     dx, dx
        int     10h
        EXPECTB "int10/1010+1015 DAC red", dh, 11h
        EXPECTW "int10/1010+1015 DAC green, blue", cx, 2233h
        mov     ax, 1012h
        mov     bx, 0030h
        mov     cx, 3
        mov     dx, dac_block
        int     10h
        mov     ax, 1017h
        mov     bx, 0030h
        mov     cx, 3
        mov     dx, dac_readback
        int     10h
        mov     si, dac_block
        mov     di, dac_readback
        mov     cx, 9
        repe cmpsb
        setne   al
        EXPECTB "int10/1012+1017 DAC block round trip", al, 0

        ; 11h AL=30h: font information (it returns ES:BP = the font: keep ours).
        push    es
        push    bp
        mov     ax, 1130h
        xor     bh, bh
        int     10h
        pop     bp
        pop     es
        EXPECTW "int10/1130 scan lines per character", cx, 16
        EXPECTB "int10/1130 rows - 1", dl, 24
        call    test_font
        ; 12h BL=10h: EGA/VGA information.
        mov     ah, 12h
        mov     bl, 10h
        int     10h
        EXPECTW "int10/12 BL=10h colour, 256 KiB", bx, 0003h
        EXPECTW "int10/12 BL=10h switches", cx, 0009h

        ; 13h: write string, all four modes, with and without control characters.
        mov     ax, 0003h
        int     10h
        xor     bh, bh
        mov     dx, 0202h
        call    set_cursor
        mov     ax, 1300h
        mov     bx, 001Fh
        mov     cx, 3
        mov     dx, 0710h
        mov     bp, str_hi
        int     10h
        EXPECT  "int10/1300 first two cells", dword [fs:CELL(7, 16)], 1F691F48h
        EXPECTW "int10/1300 third cell", word [fs:CELL(7, 18)], 1F21h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/1300 cursor stays", dx, 0202h
        mov     ax, 1301h
        mov     bx, 002Eh
        mov     cx, 3
        mov     dx, 0810h
        mov     bp, str_hi
        int     10h
        EXPECT  "int10/1301 cells", dword [fs:CELL(8, 16)], 2E692E48h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/1301 cursor moves to the end", dx, 0813h
        mov     ax, 1302h
        xor     bx, bx
        mov     cx, 2
        mov     dx, 0910h
        mov     bp, str_pairs
        int     10h
        EXPECT  "int10/1302 character/attribute pairs", dword [fs:CELL(9, 16)], 42624161h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/1302 cursor stays", dx, 0813h
        mov     ax, 1303h
        xor     bx, bx
        mov     cx, 2
        mov     dx, 0A10h
        mov     bp, str_pairs
        int     10h
        EXPECT  "int10/1303 pairs", dword [fs:CELL(10, 16)], 42624161h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/1303 cursor moves to the end", dx, 0A12h
        mov     ax, 1301h
        mov     bx, 0007h
        mov     cx, str_ctl_len
        mov     dx, 0B05h
        mov     bp, str_ctl
        int     10h
        call    newline
        EXPECT  "int10/1301 text before CR LF", dword [fs:CELL(11, 5)], 07620761h
        EXPECTW "int10/1301 text after CR LF", word [fs:CELL(12, 0)], 0763h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/1301 cursor after CR LF", dx, 0C01h
        mov     ax, 1300h
        mov     bx, 0170h               ; page 1
        mov     cx, 3
        mov     dx, 0000h
        mov     bp, str_hi
        int     10h
        EXPECT  "int10/1300 on page 1", dword [fs:1000h + CELL(0, 0)], 70697048h
        EXPECTW "int10/1300 page 1 does not touch page 0", word [fs:CELL(0, 0)], 0720h
        mov     ax, 1301h
        xor     bx, bx
        xor     cx, cx                  ; an empty string
        mov     dx, 1010h
        mov     bp, str_hi
        int     10h
        xor     bh, bh
        call    get_cursor
        EXPECTW "int10/1301 empty string changes nothing", dx, 0C01h

        ; 1Ah: display combination code.
        mov     ax, 1A00h
        int     10h
        EXPECTB "int10/1A00 supported", al, 1Ah
        EXPECTW "int10/1A00 VGA colour", bx, 0008h

        mov     ax, 0003h               ; leave a clean screen
        int     10h
        ret

; The VGA's character generator memory (plane 2), opened and closed the way vgacon's font
; reader does (Linux drivers/video/console/vgacon.c, vgacon_do_font_op): SR2 = 04h, SR4 = 07h,
; GR4 = 02h, GR5 = 00h, GR6 = 00h put plane 2 alone at A0000h; mode 03h's values give it back.
PLANE2_SEG              equ 0A000h
plane2_open:
        push    ax
        push    dx
        mov     dx, 3C4h
        mov     ax, 0402h
        out     dx, ax
        mov     ax, 0704h
        out     dx, ax
        mov     dx, 3CEh
        mov     ax, 0204h
        out     dx, ax
        mov     ax, 0005h
        out     dx, ax
        mov     ax, 0006h
        out     dx, ax
        pop     dx
        pop     ax
        ret
plane2_close:
        push    ax
        push    dx
        mov     dx, 3C4h
        mov     ax, 0302h
        out     dx, ax
        mov     ax, 0304h
        out     dx, ax
        mov     dx, 3CEh
        mov     ax, 0004h
        out     dx, ax
        mov     ax, 1005h
        out     dx, ax
        mov     ax, 0E06h
        out     dx, ax
        pop     dx
        pop     ax
        ret

; Copies the 16 bytes at plane 2 offset BX (a character's slot) to glyph_plane2.
read_plane2_glyph:
        pushad
        push    es
        call    plane2_open
        push    PLANE2_SEG
        pop     es
        xor     si, si
.next:  mov     al, [es:bx + si]
        mov     [glyph_plane2 + si], al
        inc     si
        cmp     si, 16
        jb      .next
        call    plane2_close
        pop     es
        popad
        ret

; Zeroes the 16 bytes at plane 2 offset BX, so a font load has to write them again.
clear_plane2_glyph:
        pushad
        push    es
        call    plane2_open
        push    PLANE2_SEG
        pop     es
        xor     si, si
.next:  mov     byte [es:bx + si], 0
        inc     si
        cmp     si, 16
        jb      .next
        call    plane2_close
        pop     es
        popad
        ret

; AL = 0 when glyph_plane2 holds the same 16 bytes as glyph_rom, else 1.
glyph_differs:
        push    cx
        push    si
        push    di
        push    es
        push    ds
        pop     es
        mov     si, glyph_rom
        mov     di, glyph_plane2
        mov     cx, 16
        repe cmpsb
        setne   al
        pop     es
        pop     di
        pop     si
        pop     cx
        ret

; 11h: the ROM's 8x16 font. AL=30h BH=06h hands out its address; the mode set loaded it into
; block 0 of plane 2 (32 bytes a character); AL=04h and 14h load it again into block BL.
test_font:
        push    es
        push    bp
        mov     ax, 1130h
        mov     bh, 06h
        xor     cx, cx
        xor     dx, dx
        int     10h
        mov     [rom_font], bp
        mov     [rom_font + 2], es
        pop     bp
        pop     es
        EXPECTW "int10/1130 BH=06h scan lines per character", cx, 16
        EXPECTB "int10/1130 BH=06h rows - 1", dl, 24
        cmp     dword [rom_font], 0
        setne   al
        EXPECTB "int10/1130 BH=06h ES:BP is not 0000:0000", al, 1
        EXPECTW "int10/1130 BH=06h font in the ROM segment", word [rom_font + 2], 0F000h
        push    ds
        lds     si, [rom_font]
        add     si, 41h * 16            ; 'A'
        mov     di, glyph_rom
        mov     cx, 16
        rep movsb                       ; ES = this program
        pop     ds
        mov     eax, [glyph_rom]
        or      eax, [glyph_rom + 4]
        or      eax, [glyph_rom + 8]
        or      eax, [glyph_rom + 12]
        setnz   al
        EXPECTB "int10/1130 BH=06h glyph 'A' is not blank", al, 1
        mov     bx, 41h * 32
        call    read_plane2_glyph
        call    glyph_differs
        EXPECTB "int10/00 mode set loads glyph 'A' into plane 2", al, 0

        mov     ax, 1130h               ; the fonts emu's ROM does not have
        mov     bh, 03h
        push    es
        push    bp
        int     10h
        mov     [rom_font], bp
        mov     [rom_font + 2], es
        pop     bp
        pop     es
        EXPECT  "int10/1130 BH=03h (8x8) is 0000:0000", dword [rom_font], 0

        mov     bx, 41h * 32
        call    clear_plane2_glyph
        mov     ax, 1104h
        xor     bl, bl
        int     10h
        mov     bx, 41h * 32
        call    read_plane2_glyph
        call    glyph_differs
        EXPECTB "int10/1104 reloads block 0", al, 0
        mov     ax, 1104h               ; the load gives text memory back: B8000h, planes 0 and 1
        xor     bl, bl
        int     10h
        mov     dx, 3CEh
        mov     al, 06h
        out     dx, al
        inc     dx
        in      al, dx
        EXPECTB "int10/1104 restores GR6 (B8000h, odd/even)", al, 0Eh
        mov     dx, 3C4h
        mov     al, 02h
        out     dx, al
        inc     dx
        in      al, dx
        EXPECTB "int10/1104 restores SR2 (planes 0 and 1)", al, 03h
        mov     bx, 6000h + 41h * 32    ; block 5: 16 KiB (bit 0) + 8 KiB (bit 2)
        call    clear_plane2_glyph
        mov     ax, 1114h
        mov     bl, 05h
        int     10h
        mov     bx, 6000h + 41h * 32
        call    read_plane2_glyph
        call    glyph_differs
        EXPECTB "int10/1114 loads block 5 at 24 KiB", al, 0
        mov     dx, 3D4h
        mov     al, 09h
        out     dx, al
        inc     dx
        in      al, dx
        and     al, 1Fh
        EXPECTB "int10/1114 CR09 16 scan lines", al, 0Fh
        mov     ax, 1130h
        xor     bh, bh
        push    es
        push    bp
        int     10h
        pop     bp
        pop     es
        EXPECTW "int10/1114 then 1130 scan lines", cx, 16
        EXPECTB "int10/1114 then 1130 rows - 1", dl, 24
        ret

; ==== int 10h: the graphics modes 12h and 13h ===================================================

; The registers each mode must leave, read back through the ports in this order: Misc Output
; (3CCh), SR0-SR4, CR00-CR18, GR0-GR8, AR00-AR14. The IBM VGA BIOS's parameter table values,
; equal to kVgaMode3Registers, kVgaMode12hRegisters and kVgaMode13hRegisters in
; devices/vga/vga.h (SR4 bit 0 and the other unimplemented bits read 0 there).
VGA_REGISTER_COUNT      equ 1 + 5 + 25 + 9 + 21
expected_mode_03h:
        db      67h
        db      03h, 00h, 03h, 00h, 02h
        db      5Fh, 4Fh, 50h, 82h, 55h, 81h, 0BFh, 1Fh, 00h, 4Fh, 0Dh, 0Eh, 00h, 00h, 00h, 00h
        db      9Ch, 8Eh, 8Fh, 28h, 1Fh, 96h, 0B9h, 0A3h, 0FFh
        db      00h, 00h, 00h, 00h, 00h, 10h, 0Eh, 00h, 0FFh
        db      00h, 01h, 02h, 03h, 04h, 05h, 14h, 07h, 38h, 39h, 3Ah, 3Bh, 3Ch, 3Dh, 3Eh, 3Fh
        db      0Ch, 00h, 0Fh, 08h, 00h
expected_mode_12h:
        db      0E3h
        db      03h, 01h, 0Fh, 00h, 06h
        db      5Fh, 4Fh, 50h, 82h, 54h, 80h, 0Bh, 3Eh, 00h, 40h, 00h, 00h, 00h, 00h, 00h, 00h
        db      0EAh, 8Ch, 0DFh, 28h, 00h, 0E3h, 04h, 0E3h, 0FFh
        db      00h, 00h, 00h, 00h, 00h, 00h, 05h, 0Fh, 0FFh
        db      00h, 01h, 02h, 03h, 04h, 05h, 14h, 07h, 38h, 39h, 3Ah, 3Bh, 3Ch, 3Dh, 3Eh, 3Fh
        db      01h, 00h, 0Fh, 00h, 00h
expected_mode_13h:
        db      63h
        db      03h, 01h, 0Fh, 00h, 0Eh
        db      5Fh, 4Fh, 50h, 82h, 54h, 80h, 0BFh, 1Fh, 00h, 41h, 00h, 00h, 00h, 00h, 00h, 00h
        db      9Ch, 8Eh, 8Fh, 28h, 40h, 96h, 0B9h, 0A3h, 0FFh
        db      00h, 00h, 00h, 00h, 00h, 40h, 05h, 0Fh, 0FFh
        db      00h, 01h, 02h, 03h, 04h, 05h, 06h, 07h, 08h, 09h, 0Ah, 0Bh, 0Ch, 0Dh, 0Eh, 0Fh
        db      41h, 00h, 0Fh, 00h, 00h
%if expected_mode_12h - expected_mode_03h != VGA_REGISTER_COUNT
  %error "expected_mode_03h has the wrong length"
%endif
%if expected_mode_13h - expected_mode_12h != VGA_REGISTER_COUNT
  %error "expected_mode_12h has the wrong length"
%endif

; The sum of the 768 bytes of the IBM VGA BIOS's default 256-colour palette (the 16 CGA
; colours, the grey ramp 00h-3Fh, nine groups of 24 hues, 8 blacks), as SeaBIOS's vgabios
; loads it for mode 13h. Entries checked one by one below catch the common mistakes first.
PALETTE_256_SUM         equ 4A4Ch
GRAPHICS_SEG            equ 0A000h

; SI = what the VGA's registers should hold (an expected_mode_* table) -> EAX = how many of
; them differ. The attribute controller is read with PAS set, so the screen stays on.
vga_registers_differ:
        push    bx
        push    cx
        push    dx
        push    si
        xor     bx, bx
        mov     dx, 3CCh
        in      al, dx
        call    .compare
        mov     dx, 3C4h
        mov     cx, 5
        call    .indexed
        mov     dx, 3D4h
        mov     cx, 25
        call    .indexed
        mov     dx, 3CEh
        mov     cx, 9
        call    .indexed
        xor     ah, ah
.attr:  mov     dx, 3DAh
        in      al, dx                  ; the 3C0h flip-flop to "index"
        mov     dx, 3C0h
        mov     al, ah
        or      al, 20h
        out     dx, al
        inc     dx
        in      al, dx                  ; 3C1h: the register's value
        call    .compare
        inc     ah
        cmp     ah, 21
        jb      .attr
        mov     dx, 3DAh
        in      al, dx
        movzx   eax, bx
        pop     si
        pop     dx
        pop     cx
        pop     bx
        ret
.indexed:                               ; CX registers behind the index/data pair DX, from 0
        xor     ah, ah
.next:  mov     al, ah
        out     dx, al
        inc     dx
        in      al, dx
        dec     dx
        call    .compare
        inc     ah
        loop    .next
        ret
.compare:                               ; AL = the register, [SI] = what it should hold
        cmp     al, [si]
        je      .same
        inc     bx
.same:  inc     si
        ret

; AL := the colour of pixel CX, DX (int 10h AH=0Dh).
read_pixel:
        push    bx
        mov     ah, 0Dh
        xor     bh, bh
        int     10h
        pop     bx
        ret
; Pixel CX, DX := AL (int 10h AH=0Ch).
write_pixel:
        push    ax
        push    bx
        mov     ah, 0Ch
        xor     bh, bh
        int     10h
        pop     bx
        pop     ax
        ret

; Mode 12h: AL = the colour held by the four planes at byte DI, bit mask AH (plane p gives bit
; p), read straight through GR4 (read map select), not through the BIOS.
planes_colour:
        push    cx
        push    dx
        push    es
        push    GRAPHICS_SEG
        pop     es
        mov     cl, ah
        xor     ch, ch                  ; the colour
        mov     dx, 3CEh
        mov     ax, 0304h
.plane: out     dx, ax
        shl     ch, 1
        test    [es:di], cl
        jz      .clear
        or      ch, 1
.clear: sub     ah, 1
        jnc     .plane
        mov     ax, 0004h
        out     dx, ax
        mov     al, ch
        pop     es
        pop     dx
        pop     cx
        ret

; AX = how many of the 64 KiB bytes at A000:0000 are not zero (mode 13h: the 320x200 screen
; and the rest of the window).
count_nonzero_window:
        push    cx
        push    si
        push    ds
        push    GRAPHICS_SEG
        pop     ds
        xor     si, si
        xor     ax, ax
        mov     cx, 10000h / 2
.next:  cmp     word [si], 0
        je      .zero
        inc     ax
.zero:  add     si, 2
        loop    .next
        pop     ds
        pop     si
        pop     cx
        ret

; 00h/0Fh for modes 13h and 12h (registers, DAC, BDA, memory clear, AL bit 7), 0Ch/0Dh in both,
; an unknown mode, and back to 03h so the text checks after this still see a text screen.
test_video_modes:
        push    es
        ; -- mode 13h --
        mov     ax, 0013h
        int     10h
        mov     ah, 0Fh
        int     10h
        EXPECTW "int10/00+0F mode 13h, 40 columns", ax, 2813h
        EXPECTB "int10/0F mode 13h page 0", bh, 0
        mov     si, expected_mode_13h
        call    vga_registers_differ
        EXPECT  "int10/00 mode 13h programs every VGA register", eax, 0
        push    0040h
        pop     es
        EXPECTB "int10/00 mode 13h BDA mode", byte [es:49h], 13h
        EXPECTW "int10/00 mode 13h BDA columns", word [es:4Ah], 40
        EXPECTW "int10/00 mode 13h BDA page size", word [es:4Ch], 2000h
        EXPECTB "int10/00 mode 13h BDA rows-1", byte [es:84h], 24
        EXPECTW "int10/00 mode 13h BDA character height", word [es:85h], 8
        push    ds
        pop     es
        mov     ax, 1017h               ; the whole DAC into ES:DX
        xor     bx, bx
        mov     cx, 256
        mov     dx, FETCH_BUF
        int     10h
        xor     ax, ax
        xor     bx, bx
        mov     si, FETCH_BUF
        mov     cx, 256 * 3
.sum:   mov     bl, [si]
        add     ax, bx
        inc     si
        loop    .sum
        EXPECTW "int10/00 mode 13h loads the 256-colour palette (sum)", ax, PALETTE_256_SUM
        EXPECT  "int10/00 mode 13h DAC 6 (brown), 7 red", dword [FETCH_BUF + 6 * 3], 2A00152Ah
        EXPECT  "int10/00 mode 13h DAC 1Fh (grey ramp: white), 20h red", dword [FETCH_BUF + 1Fh * 3], 003F3F3Fh
        EXPECT  "int10/00 mode 13h DAC 37h (blue, green 10h), 38h red", dword [FETCH_BUF + 37h * 3], 1F3F1000h
        EXPECT  "int10/00 mode 13h DAC F7h (last hue), F8h red", dword [FETCH_BUF + 0F7h * 3], 00100C0Bh
        mov     ax, 1015h
        mov     bx, 0F8h
        mov     cx, 0FFFFh
        mov     dx, 0FFFFh
        int     10h
        EXPECTB "int10/1015 mode 13h DAC F8h red", dh, 0
        EXPECTW "int10/1015 mode 13h DAC F8h green, blue", cx, 0

        push    GRAPHICS_SEG
        pop     es
        mov     dword [es:0], 0FFFFFFFFh
        mov     word [es:0F9FEh], 0FFFFh
        mov     ax, 0013h
        int     10h
        call    count_nonzero_window
        EXPECTW "int10/00 mode 13h clears video memory", ax, 0

        ; 0Ch/0Dh in mode 13h: byte DX * 320 + CX at A0000h.
        mov     al, 5Ah
        mov     cx, 319
        mov     dx, 199
        call    write_pixel
        EXPECTB "int10/0C mode 13h writes byte 199*320+319", byte [es:0F9FFh], 5Ah
        call    read_pixel
        EXPECTB "int10/0C+0D mode 13h round trip", al, 5Ah
        mov     byte [es:20 * 320 + 10], 0C3h
        mov     cx, 10
        mov     dx, 20
        call    read_pixel
        EXPECTB "int10/0D mode 13h reads byte 20*320+10", al, 0C3h
        mov     al, 0EEh                ; off the screen: nothing, not the next line's pixel
        mov     cx, 320
        xor     dx, dx
        call    write_pixel
        xor     cx, cx
        mov     dx, 200
        call    write_pixel
        call    count_nonzero_window
        EXPECTW "int10/0C mode 13h ignores pixels off the screen", ax, 2
        mov     cx, 320
        xor     dx, dx
        mov     al, 99h
        call    read_pixel
        EXPECTB "int10/0D mode 13h off the screen reads 0", al, 0

        mov     ax, 0093h               ; AL bit 7: keep the picture
        int     10h
        mov     cx, 10
        mov     dx, 20
        call    read_pixel
        EXPECTB "int10/00 mode 93h keeps video memory", al, 0C3h
        mov     ah, 0Fh
        int     10h
        EXPECTW "int10/0F after 93h reports AL bit 7", ax, 2893h

        ; -- mode 12h --
        mov     ax, 0012h
        int     10h
        mov     ah, 0Fh
        int     10h
        EXPECTW "int10/00+0F mode 12h, 80 columns", ax, 5012h
        mov     si, expected_mode_12h
        call    vga_registers_differ
        EXPECT  "int10/00 mode 12h programs every VGA register", eax, 0
        push    0040h
        pop     es
        EXPECTB "int10/00 mode 12h BDA mode", byte [es:49h], 12h
        EXPECTW "int10/00 mode 12h BDA columns", word [es:4Ah], 80
        EXPECTW "int10/00 mode 12h BDA page size", word [es:4Ch], 0A000h
        EXPECTB "int10/00 mode 12h BDA rows-1", byte [es:84h], 29
        EXPECTW "int10/00 mode 12h BDA character height", word [es:85h], 16
        mov     ax, 1015h
        mov     bx, 14h
        int     10h
        EXPECTB "int10/00 mode 12h DAC 14h (EGA brown) red", dh, 2Ah
        EXPECTW "int10/00 mode 12h DAC 14h (EGA brown) green, blue", cx, 1500h
        push    GRAPHICS_SEG            ; mode 13h's pixels are gone from all four planes
        pop     es
        xor     bx, bx                  ; planes with a byte that is not zero
        mov     dx, 3CEh
        mov     ax, 0004h
.plane: out     dx, ax
        push    ax
        xor     di, di
        xor     eax, eax
        mov     cx, 10000h / 4
        repe scasd
        pop     ax
        je      .plane_clear
        inc     bx
.plane_clear:
        inc     ah
        cmp     ah, 4
        jb      .plane
        mov     ax, 0004h
        out     dx, ax
        EXPECTW "int10/00 mode 12h clears all four planes", bx, 0

        ; 0Ch/0Dh in mode 12h: bit 7 - (CX & 7) of byte DX * 80 + CX / 8 in each plane.
        mov     al, 0Ah
        mov     cx, 100
        mov     dx, 50
        call    write_pixel
        call    read_pixel
        EXPECTB "int10/0C+0D mode 12h round trip", al, 0Ah
        mov     di, 50 * 80 + 12
        mov     ah, 08h
        call    planes_colour
        EXPECTB "int10/0C mode 12h colour bits in the planes", al, 0Ah
        mov     cx, 99
        call    read_pixel
        EXPECTB "int10/0C mode 12h left neighbour untouched", al, 0
        mov     cx, 101
        call    read_pixel
        EXPECTB "int10/0C mode 12h right neighbour untouched", al, 0
        mov     al, 83h                 ; bit 7: XOR 3 into 0Ah
        mov     cx, 100
        call    write_pixel
        call    read_pixel
        EXPECTB "int10/0C mode 12h AL bit 7 XORs", al, 09h
        mov     al, 0Fh
        mov     cx, 639
        mov     dx, 479
        call    write_pixel
        mov     di, 479 * 80 + 79
        mov     ah, 01h
        call    planes_colour
        EXPECTB "int10/0C mode 12h last pixel", al, 0Fh
        mov     al, 0Fh                 ; off the screen: not the next line's first pixel
        mov     cx, 640
        xor     dx, dx
        call    write_pixel
        xor     cx, cx
        mov     dx, 1
        call    read_pixel
        EXPECTB "int10/0C mode 12h ignores pixels off the screen", al, 0
        mov     si, expected_mode_12h
        call    vga_registers_differ
        EXPECT  "int10/0C+0D mode 12h give GR3-GR8 back", eax, 0

        ; -- a mode the BIOS does not have: nothing changes --
        mov     ax, 0014h
        int     10h
        EXPECTW "int10/00 unknown mode returns AX unchanged", ax, 0014h
        mov     ah, 0Fh
        int     10h
        EXPECTW "int10/00 unknown mode keeps mode 12h", ax, 5012h
        mov     si, expected_mode_12h
        call    vga_registers_differ
        EXPECT  "int10/00 unknown mode leaves the registers", eax, 0
        mov     cx, 639
        mov     dx, 479
        call    read_pixel
        EXPECTB "int10/00 unknown mode keeps the picture", al, 0Fh

        ; -- back to text --
        mov     ax, 0003h
        int     10h
        mov     ah, 0Fh
        int     10h
        EXPECTW "int10/00 back to mode 03h", ax, 5003h
        mov     si, expected_mode_03h
        call    vga_registers_differ
        EXPECT  "int10/00 mode 03h programs every VGA register", eax, 0
        push    0040h
        pop     es
        EXPECTW "int10/00 mode 03h BDA page size", word [es:4Ch], 1000h
        EXPECTB "int10/00 mode 03h BDA rows-1 again", byte [es:84h], 24
        EXPECTW "int10/00 mode 03h BDA character height", word [es:85h], 16
        EXPECTW "int10/00 mode 03h after 12h clears text memory", word [fs:CELL(24, 79)], 0720h
        mov     ax, 1015h
        mov     bx, 14h
        int     10h
        EXPECTW "int10/00 mode 03h DAC 14h (EGA brown) green, blue", cx, 1500h
        mov     bx, 41h * 32
        call    read_plane2_glyph
        call    glyph_differs
        EXPECTB "int10/00 mode 03h after 12h reloads the font", al, 0
        pop     es
        ret

; ==== int 11h, int 12h ==========================================================================
; int 10h AH=4Fh, VBE 3.0 over the stdvga's dispi registers and its BAR0 framebuffer
; (devices/bios/vbe_services.cpp): the controller and mode information blocks, a mode set with
; the linear framebuffer, and the way back to text mode 03h through 4F02h.
test_vbe:
        push    es
        push    ds
        pop     es
        mov     dword [FETCH_BUF], 'VBE2'       ; ask for the 512-byte VBE 2.0+ block
        mov     ax, 4F00h
        mov     di, FETCH_BUF
        int     10h
        EXPECTW "vbe/4F00 status", ax, 004Fh
        EXPECT  "vbe/4F00 signature VESA", dword [FETCH_BUF], 'VESA'
        EXPECTW "vbe/4F00 version 3.0", word [FETCH_BUF + 4], 0300h
        EXPECTW "vbe/4F00 total memory 16 MiB", word [FETCH_BUF + 18], 256
        EXPECTW "vbe/4F00 mode list in the block", word [FETCH_BUF + 14], FETCH_BUF + 34
        EXPECTW "vbe/4F00 first mode 100h", word [FETCH_BUF + 34], 100h
        mov     ax, 4F01h
        mov     cx, 118h
        mov     di, FETCH_BUF
        int     10h
        EXPECTW "vbe/4F01 118h status", ax, 004Fh
        EXPECTW "vbe/4F01 118h attributes: supported, colour, graphics, LFB", word [FETCH_BUF], 009Bh
        EXPECTW "vbe/4F01 118h width", word [FETCH_BUF + 18], 1024
        EXPECTW "vbe/4F01 118h height", word [FETCH_BUF + 20], 768
        EXPECTB "vbe/4F01 118h bits per pixel", byte [FETCH_BUF + 25], 24
        EXPECTW "vbe/4F01 118h bytes per line", word [FETCH_BUF + 16], 3072
        EXPECTB "vbe/4F01 118h direct colour", byte [FETCH_BUF + 27], 6
        EXPECT  "vbe/4F01 118h framebuffer at BAR0 (E0000000h)", dword [FETCH_BUF + 40], 0E0000000h
        mov     ax, 4F01h
        mov     cx, 1FFh
        int     10h
        EXPECTW "vbe/4F01 a mode not offered fails", ax, 014Fh
        mov     ax, 4F02h
        mov     bx, 4112h                       ; 640x480, 24 bpp, linear framebuffer
        int     10h
        EXPECTW "vbe/4F02 4112h", ax, 004Fh
        mov     ax, 4F03h
        int     10h
        EXPECTW "vbe/4F03 reports 4112h", bx, 4112h
        mov     dx, 1CEh
        mov     ax, 1                           ; dispi XRES
        out     dx, ax
        inc     dx
        in      ax, dx
        EXPECTW "vbe/4F02 4112h programs dispi XRES 640", ax, 640
        ; 4F04h: save everything in this VBE mode, leave for text mode 03h, restore: back in 4112h.
        mov     ax, 4F04h
        mov     cx, 000Fh
        xor     dl, dl
        int     10h
        EXPECTW "vbe/4F04 size status", ax, 004Fh
        EXPECTW "vbe/4F04 889 bytes of state in 64-byte blocks", bx, 14
        mov     ax, 4F04h
        mov     cx, 000Fh
        mov     dl, 1
        mov     bx, FETCH_BUF
        int     10h
        EXPECTW "vbe/4F04 save", ax, 004Fh
        mov     ax, 0003h
        int     10h
        mov     ax, 4F04h
        mov     cx, 000Fh
        mov     dl, 2
        mov     bx, FETCH_BUF
        int     10h
        EXPECTW "vbe/4F04 restore", ax, 004Fh
        mov     dx, 1CEh
        mov     ax, 4                           ; dispi ENABLE: on again, with the LFB
        out     dx, ax
        inc     dx
        in      ax, dx
        and     ax, 41h
        EXPECTW "vbe/4F04 restore switches dispi back on", ax, 41h
        mov     dx, 1CEh
        mov     ax, 1
        out     dx, ax
        inc     dx
        in      ax, dx
        EXPECTW "vbe/4F04 restore brings XRES 640 back", ax, 640
        mov     ax, 4F02h
        mov     bx, 0003h
        int     10h
        EXPECTW "vbe/4F02 03h (a VGA mode)", ax, 004Fh
        mov     ah, 0Fh
        int     10h
        EXPECTB "vbe/4F02 03h then AH=0Fh reports mode 3", al, 3
        mov     dx, 1CEh
        mov     ax, 4                           ; dispi ENABLE
        out     dx, ax
        inc     dx
        in      ax, dx
        EXPECTW "vbe/4F02 03h switches dispi off", ax, 0
        pop     es
        ret

test_equipment:
        int     11h
        push    es
        mov     bx, 0040h
        mov     es, bx
        EXPECTW "int11 equals BDA 0410h", ax, [es:10h]
        pop     es
        ; x87 (bit 1), PS/2 mouse (bit 2), 80x25 colour (bits 5:4 = 10b), COM1 and COM2 (bits 11:9).
        EXPECTW "int11 equipment word", ax, 0426h
        int     12h
        EXPECTW "int12 base memory 639 KiB", ax, 639
        ret

; ==== int 13h (no drives) =======================================================================
test_disk:
        mov     ah, 15h
        mov     dl, 80h
        CALLINT 13h
        EXPECTB "int13/15 no hard disk: AH", ah, 0
        EXPECT_CF "int13/15 no hard disk: CF", 0
        mov     ah, 15h
        mov     dl, 00h
        CALLINT 13h
        EXPECTB "int13/15 no floppy: AH", ah, 0
        EXPECT_CF "int13/15 no floppy: CF", 0
        mov     ax, 0000h
        mov     dl, 80h
        CALLINT 13h
        EXPECTB "int13/00 reset: AH", ah, 01h
        EXPECT_CF "int13/00 reset: CF", 1
        mov     ax, 0201h
        mov     cx, 0001h
        mov     dx, 0080h
        mov     bx, FETCH_BUF
        CALLINT 13h
        EXPECTB "int13/02 read: AH", ah, 01h
        EXPECT_CF "int13/02 read: CF", 1
        push    es
        mov     ax, 0040h
        mov     es, ax
        EXPECTB "int13 status kept in BDA 0474h", byte [es:74h], 01h
        pop     es
        mov     ah, 08h
        mov     dl, 80h
        CALLINT 13h
        EXPECTB "int13/08 parameters: AH", ah, 01h
        EXPECT_CF "int13/08 parameters: CF", 1
        mov     ah, 41h
        mov     bx, 55AAh
        mov     dl, 80h
        CALLINT 13h
        EXPECTB "int13/41 extensions: AH", ah, 01h
        EXPECT_CF "int13/41 extensions: CF", 1
        mov     ah, 01h
        mov     dl, 80h
        CALLINT 13h
        EXPECTB "int13/01 last status: AH", ah, 01h
        EXPECT_CF "int13/01 last status: CF", 1
        mov     ax, 0201h
        mov     cx, 0001h
        mov     dx, 0000h
        mov     bx, FETCH_BUF
        CALLINT 13h
        EXPECTB "int13/02 floppy read: AH", ah, 01h
        EXPECT_CF "int13/02 floppy read: CF", 1
        push    es
        mov     ax, 0040h
        mov     es, ax
        EXPECTB "int13 floppy status kept in BDA 0441h", byte [es:41h], 01h
        pop     es
        ret

; ==== int 15h: the memory map ====================================================================
test_memory_map:
        ; Walk the whole map.
        xor     ebx, ebx
        xor     bp, bp                  ; entries
        mov     byte [e820_bad], 0
        mov     byte [e820_ended], 0
.next:  mov     eax, 0E820h
        mov     ecx, 24
        mov     edx, 534D4150h
        imul    di, bp, 20
        add     di, E820_BUF
        CALLINT 15h
        test    word [flags_after], 1
        jnz     .stop
        cmp     eax, 534D4150h
        jne     .bad
        cmp     ecx, 20
        je      .good
.bad:   inc     byte [e820_bad]
.good:  inc     bp
        test    ebx, ebx
        jz      .ended
        cmp     bp, E820_MAX
        jb      .next
        jmp     .stop
.ended: mov     byte [e820_ended], 1
.stop:  mov     [e820_count], bp
        EXPECTB "int15/E820 walk ends with EBX=0 and CF=0", byte [e820_ended], 1
        EXPECTB "int15/E820 EAX=SMAP, ECX=20 on every call", byte [e820_bad], 0

        ; Print it, check it is sorted and without overlaps, add up the usable RAM.
        xor     si, si                  ; entry index
        xor     eax, eax
        mov     [e820_prev_end], eax
        mov     [e820_prev_end + 4], eax
        mov     [e820_usable], eax
        mov     [e820_usable + 4], eax
        mov     [e820_usable_top], eax
        mov     byte [e820_unsorted], 0
        mov     byte [e820_low_ok], 0
        mov     byte [e820_top_reserved], 0
.entry: cmp     si, [e820_count]
        jae     .entries_done
        imul    di, si, 20
        add     di, E820_BUF
        push    si
        STR     si, "info e820 "
        call    puts
        mov     eax, [di + 4]
        call    put_hex32
        mov     eax, [di]
        call    put_hex32
        mov     al, ' '
        call    putc
        mov     eax, [di + 12]
        call    put_hex32
        mov     eax, [di + 8]
        call    put_hex32
        mov     al, ' '
        call    putc
        mov     eax, [di + 16]
        call    put_hex32
        call    newline
        pop     si
        ; sorted: base >= the previous entry's end (64-bit)
        mov     eax, [di]
        mov     edx, [di + 4]
        cmp     edx, [e820_prev_end + 4]
        ja      .in_order
        jb      .out_of_order
        cmp     eax, [e820_prev_end]
        jae     .in_order
.out_of_order:
        inc     byte [e820_unsorted]
.in_order:
        add     eax, [di + 8]
        adc     edx, [di + 12]
        mov     [e820_prev_end], eax
        mov     [e820_prev_end + 4], edx
        cmp     dword [di + 16], 1
        jne     .not_usable
        mov     eax, [di + 8]
        add     [e820_usable], eax
        mov     eax, [di + 12]
        adc     [e820_usable + 4], eax
        ; base memory: a usable entry from 0 covering 0-9FBFFh
        cmp     dword [di], 0
        jne     .not_low
        cmp     dword [di + 4], 0
        jne     .not_low
        cmp     dword [di + 12], 0
        jne     .low_ok
        cmp     dword [di + 8], 9FC00h
        jb      .not_low
.low_ok:
        mov     byte [e820_low_ok], 1
.not_low:
        ; the usable entry that starts at 1 MiB: its end is what E801 and 88h report
        cmp     dword [di], 100000h
        jne     .next_entry
        cmp     dword [di + 4], 0
        jne     .next_entry
        mov     eax, [di]
        add     eax, [di + 8]
        mov     [e820_usable_top], eax
        jmp     .next_entry
.not_usable:
        cmp     dword [di], RAM_BYTES - TABLE_AREA_BYTES
        jne     .next_entry
        cmp     dword [di + 8], TABLE_AREA_BYTES
        jne     .next_entry
        cmp     dword [di + 16], 1
        je      .next_entry
        mov     byte [e820_top_reserved], 1
.next_entry:
        inc     si
        jmp     .entry
.entries_done:
        EXPECTB "int15/E820 sorted, no overlaps", byte [e820_unsorted], 0
        EXPECTB "int15/E820 0-9FC00h usable", byte [e820_low_ok], 1
        EXPECT  "int15/E820 usable RAM = -m minus the top 64 KiB (high)", dword [e820_usable + 4], 0
        EXPECT  "int15/E820 usable RAM = -m minus the top 64 KiB", dword [e820_usable], EXPECTED_USABLE
        EXPECTB "int15/E820 top 64 KiB reserved", byte [e820_top_reserved], 1
        EXPECT  "int15/E820 usable RAM above 1 MiB ends below the tables", dword [e820_usable_top], RAM_BYTES - TABLE_AREA_BYTES

        ; Refusals: a continuation past the end, a wrong signature, a short buffer.
        mov     eax, 0E820h
        movzx   ebx, word [e820_count]
        mov     ecx, 20
        mov     edx, 534D4150h
        mov     di, FETCH_BUF
        CALLINT 15h
        EXPECT_CF "int15/E820 continuation past the end: CF", 1
        mov     eax, 0E820h
        xor     ebx, ebx
        mov     ecx, 20
        xor     edx, edx
        mov     di, FETCH_BUF
        CALLINT 15h
        EXPECT_CF "int15/E820 without 'SMAP': CF", 1
        mov     eax, 0E820h
        xor     ebx, ebx
        mov     ecx, 8
        mov     edx, 534D4150h
        mov     di, FETCH_BUF
        CALLINT 15h
        EXPECT_CF "int15/E820 buffer under 20 bytes: CF", 1

        ; E801 and 88h must describe the same RAM as the E820 map.
        mov     ax, 0E801h
        xor     bx, bx
        xor     cx, cx
        xor     dx, dx
        CALLINT 15h
        EXPECT_CF "int15/E801 CF", 0
        EXPECTW "int15/E801 AX = KiB from 1 to 16 MiB", ax, 15 * 1024
        EXPECTW "int15/E801 CX = AX", cx, 15 * 1024
        mov     eax, [e820_usable_top]
        sub     eax, 16 << 20
        shr     eax, 16
        mov     [expected], eax
        EXPECTW "int15/E801 BX = 64 KiB blocks above 16 MiB (as E820)", bx, [expected]
        EXPECTW "int15/E801 DX = BX", dx, [expected]
        mov     eax, [e820_usable_top]
        sub     eax, 1 << 20
        shr     eax, 10
        cmp     eax, 0FFFFh
        jbe     .kib_ok
        mov     eax, 0FFFFh
.kib_ok:
        mov     [expected], eax
        mov     ah, 88h
        CALLINT 15h
        EXPECT_CF "int15/88 CF", 0
        EXPECTW "int15/88 KiB above 1 MiB (as E820)", ax, [expected]
        ret

; ==== int 15h: A20 ===============================================================================

; Returns AL = 1 if A20 is on: FFFF:0510 (linear 100500h) is not 0000:0500.
a20_probe:
        push    ds
        push    es
        push    bx
        push    cx
        xor     bx, bx
        mov     ds, bx
        dec     bx
        mov     es, bx
        mov     bx, [0500h]
        mov     cx, [es:0510h]
        mov     word [0500h], 1234h
        mov     word [es:0510h], 5678h
        cmp     word [0500h], 1234h
        sete    al
        mov     [es:0510h], cx
        mov     [0500h], bx
        pop     cx
        pop     bx
        pop     es
        pop     ds
        ret

test_a20:
        mov     ax, 2403h
        xor     bx, bx
        CALLINT 15h
        EXPECT_CF "int15/2403 CF", 0
        EXPECTB "int15/2403 AH", ah, 0
        EXPECTW "int15/2403 BX = 8042 and port 92h", bx, 0003h
        call    a20_probe
        EXPECTB "A20 on after POST (wrap test)", al, 1
        mov     ax, 2402h
        CALLINT 15h
        EXPECT_CF "int15/2402 CF", 0
        EXPECTW "int15/2402 reports on", ax, 0001h
        mov     ax, 2400h
        CALLINT 15h
        EXPECT_CF "int15/2400 CF", 0
        EXPECTB "int15/2400 AH", ah, 0
        call    a20_probe
        EXPECTB "int15/2400 A20 really off (1 MiB wraps)", al, 0
        mov     ax, 2402h
        CALLINT 15h
        EXPECTW "int15/2402 reports off", ax, 0000h

        ; 87h with A20 off: the BIOS opens A20 for the move (IBM PC/AT "Move Block") and closes it
        ; again, so the block reaches 190000h, not 090000h.
        push    es
        mov     ax, WRAP_SEG
        mov     es, ax
        xor     di, di
        xor     ax, ax
        mov     cx, 128
        rep stosw
        pop     es
        call    make_pattern
        mov     esi, PROGRAM_BASE + MOVE_PATTERN
        mov     edi, 190000h
        mov     cx, 128
        call    block_move
        EXPECT_CF "int15/87 with A20 off: CF", 0
        EXPECTB "int15/87 with A20 off: AH", ah, 0
        push    es
        mov     ax, WRAP_SEG
        mov     es, ax
        xor     di, di
        xor     ax, ax
        mov     cx, 128
        repe scasw
        setne   al
        pop     es
        EXPECTB "int15/87 with A20 off does not wrap to 090000h", al, 0
        call    a20_probe
        EXPECTB "int15/87 leaves A20 off as it found it", al, 0
        mov     esi, 190000h
        mov     edi, PROGRAM_BASE + MOVE_BACK
        mov     cx, 128
        call    block_move
        mov     si, MOVE_PATTERN
        mov     di, MOVE_BACK
        mov     cx, 128
        repe cmpsw
        setne   al
        EXPECTB "int15/87 with A20 off: round trip through 190000h", al, 0

        mov     ax, 2401h
        CALLINT 15h
        EXPECT_CF "int15/2401 CF", 0
        EXPECTB "int15/2401 AH", ah, 0
        call    a20_probe
        EXPECTB "int15/2401 A20 really on", al, 1
        mov     ax, 2402h
        CALLINT 15h
        EXPECTW "int15/2402 reports on again", ax, 0001h
        mov     ax, 2404h
        CALLINT 15h
        EXPECT_CF "int15/2404 unknown subfunction: CF", 1
        EXPECTB "int15/2404 unknown subfunction: AH", ah, 86h
        ret

; Fills MOVE_PATTERN with 256 bytes k * 7 + 3 and clears MOVE_BACK.
make_pattern:
        push    ax
        push    cx
        push    di
        mov     di, MOVE_PATTERN
        xor     cx, cx
.fill:  mov     al, cl
        imul    ax, ax, 7
        add     al, 3
        stosb
        inc     cx
        cmp     cx, 256
        jb      .fill
        mov     di, MOVE_BACK
        xor     ax, ax
        mov     cx, 128
        rep stosw
        pop     di
        pop     cx
        pop     ax
        ret

; int 15h AH=87h: copies CX words from linear ESI to linear EDI through move_gdt (entries 2
; and 3 describe source and destination: 16-bit data segments, 64 KiB, base 31:24 in byte 7).
; Returns AH and flags_after as the BIOS left them; checks that it kept the registers.
block_move:
        push    di
        push    cx
        mov     di, move_gdt
        xor     ax, ax
        mov     cx, 24
        rep stosw
        pop     cx
        pop     di
        mov     word [move_gdt + 10h], 0FFFFh
        mov     [move_gdt + 12h], esi
        mov     byte [move_gdt + 15h], 93h
        mov     eax, esi
        shr     eax, 24
        mov     [move_gdt + 17h], al
        mov     word [move_gdt + 18h], 0FFFFh
        mov     [move_gdt + 1Ah], edi
        mov     byte [move_gdt + 1Dh], 93h
        mov     eax, edi
        shr     eax, 24
        mov     [move_gdt + 1Fh], al
        mov     si, move_gdt
        mov     ah, 87h
        mov     bx, 0BEEFh
        mov     dx, 0CAFEh
        mov     bp, 0F00Dh
        mov     [saved_sp], sp
        CALLINT 15h
        pushf
        push    ax
        mov     ax, ds
        mov     [cs:saved_ds], ax
        mov     ax, cs
        mov     ds, ax
        mov     ax, es
        mov     [saved_es], ax
        pop     ax
        mov     word [move_regs_ok], 0
        cmp     bx, 0BEEFh
        jne     .regs
        cmp     dx, 0CAFEh
        jne     .regs
        cmp     bp, 0F00Dh
        jne     .regs
        cmp     si, move_gdt
        jne     .regs
        mov     bx, cs
        cmp     [saved_ds], bx
        jne     .regs
        cmp     [saved_es], bx
        jne     .regs
        mov     bx, sp
        add     bx, 2
        cmp     bx, [saved_sp]
        jne     .regs
        mov     word [move_regs_ok], 1
.regs:  mov     bx, cs
        mov     es, bx
        EXPECTW "int15/87 keeps BX DX BP SI DS ES SP", word [move_regs_ok], 1
        popf
        ret

; ==== int 15h: the rest ===========================================================================
test_system_misc:
        ; 87h with A20 on: to 300000h and back.
        call    make_pattern
        mov     esi, PROGRAM_BASE + MOVE_PATTERN
        mov     edi, 300000h
        mov     cx, 128
        call    block_move
        EXPECT_CF "int15/87 to 3 MiB: CF", 0
        EXPECTB "int15/87 to 3 MiB: AH", ah, 0
        mov     esi, 300000h
        mov     edi, PROGRAM_BASE + MOVE_BACK
        mov     cx, 128
        call    block_move
        mov     si, MOVE_PATTERN
        mov     di, MOVE_BACK
        mov     cx, 128
        repe cmpsw
        setne   al
        EXPECTB "int15/87 round trip through 3 MiB", al, 0

        ; 86h: a 1 ms wait returns, having waited (port 61h's refresh toggles are virtual time).
        mov     ah, 86h
        xor     cx, cx
        mov     dx, 1000
        CALLINT 15h
        EXPECT_CF "int15/86 wait 1 ms: CF", 0
        EXPECTB "int15/86 wait 1 ms: AH", ah, 0

        ; C0h: the system configuration table.
        push    es
        mov     ah, 0C0h
        xor     bx, bx
        CALLINT 15h
        EXPECT_CF "int15/C0 CF", 0
        EXPECTB "int15/C0 AH", ah, 0
        EXPECTW "int15/C0 table length 8", word [es:bx], 8
        EXPECTB "int15/C0 model byte FCh (AT)", byte [es:bx + 2], 0FCh
        mov     cx, 0F000h
        mov     es, cx
        EXPECTB "int15/C0 model = F000:FFFE", byte [es:0FFFEh], 0FCh
        pop     es

        ; Unknown functions: CF set, AH = 86h.
        mov     ah, 077h
        CALLINT 15h
        EXPECT_CF "int15/77 unknown: CF", 1
        EXPECTB "int15/77 unknown: AH", ah, 86h
        mov     ax, 0C200h              ; PS/2 mouse services: not provided
        CALLINT 15h
        EXPECT_CF "int15/C2 unsupported: CF", 1
        EXPECTB "int15/C2 unsupported: AH", ah, 86h
        ret

; ==== int 16h ===================================================================================
test_keyboard:
        ; Nothing typed: 01h says empty.
        mov     ah, 01h
        CALLINT 16h
        EXPECT_ZF "int16/01 empty buffer: ZF", 1
        ; 05h stores a key; 01h sees it without taking it; 00h takes it.
        mov     ah, 05h
        mov     cx, 1E61h
        int     16h
        EXPECTB "int16/05 store: AL", al, 0
        mov     ah, 01h
        CALLINT 16h
        EXPECT_ZF "int16/01 key waiting: ZF", 0
        EXPECTW "int16/01 key waiting: AX", ax, 1E61h
        mov     ah, 11h
        CALLINT 16h
        EXPECT_ZF "int16/11 key still waiting: ZF", 0
        EXPECTW "int16/11 key still waiting: AX", ax, 1E61h
        mov     ah, 00h
        int     16h
        EXPECTW "int16/00 reads the stored key", ax, 1E61h
        mov     ah, 01h
        CALLINT 16h
        EXPECT_ZF "int16/01 empty again: ZF", 1
        ; The ring holds 15 keys; the 16th is refused; they come back in order.
        xor     bx, bx                  ; refusals among the first 15
        mov     cx, 1001h
.store: mov     ah, 05h
        push    cx
        int     16h
        pop     cx
        add     bl, al
        inc     cx
        cmp     cx, 1010h
        jb      .store
        EXPECTB "int16/05 15 keys fit", bl, 0
        mov     ah, 05h
        int     16h
        EXPECTB "int16/05 the 16th is refused (AL=1)", al, 1
        xor     bx, bx                  ; keys out of order
        mov     cx, 1001h
.read:  mov     ah, 10h
        int     16h
        cmp     ax, cx
        je      .in_order
        inc     bx
.in_order:
        inc     cx
        cmp     cx, 1010h
        jb      .read
        EXPECTW "int16/10 reads them back in order", bx, 0
        mov     ah, 01h
        CALLINT 16h
        EXPECT_ZF "int16/01 empty after draining: ZF", 1
        ; 02h/12h: the shift flags from the BDA.
        push    es
        mov     ax, 0040h
        mov     es, ax
        mov     bl, [es:17h]
        mov     byte [es:17h], 60h      ; Num Lock and Caps Lock on
        mov     ah, 02h
        int     16h
        EXPECTB "int16/02 shift flags (BDA 0417h)", al, 60h
        mov     ah, 12h
        int     16h
        EXPECTW "int16/12 extended shift flags", ax, 0060h
        mov     [es:17h], bl
        pop     es
        ; 0Ah: keyboard ID.
        xor     bx, bx
        mov     ah, 0Ah
        int     16h
        EXPECTW "int16/0A keyboard ID", bx, 83ABh
        ret

; ==== int 1Ah: time ===============================================================================

; Waits (HLT, so virtual time runs) until the tick count changes; CX:DX = the new count,
; AL = the midnight flag that read returned.
wait_tick:
        push    si
        mov     ah, 00h
        int     1Ah
        mov     si, dx
.wait:  hlt
        mov     ah, 00h
        int     1Ah
        cmp     dx, si
        je      .wait
        pop     si
        ret

; CF set unless AL is a BCD number <= AH.
bcd_check:
        push    ax
        push    bx
        mov     bl, al
        and     bl, 0Fh
        cmp     bl, 9
        ja      .bad
        mov     bl, al
        shr     bl, 4
        cmp     bl, 9
        ja      .bad
        cmp     al, ah
        ja      .bad
        pop     bx
        pop     ax
        clc
        ret
.bad:   pop     bx
        pop     ax
        stc
        ret

test_time:
        ; 01h/00h: set the ticks and read them back; IRQ 0 advances them by one.
        mov     ah, 01h
        mov     cx, 0012h
        mov     dx, 3456h
        CALLINT 1Ah
        EXPECT_CF "int1A/01 CF", 0
        mov     ah, 00h
        CALLINT 1Ah
        EXPECT_CF "int1A/00 CF", 0
        EXPECTW "int1A/00 ticks high word as set", cx, 0012h
        sub     dx, 3456h
        cmp     dx, 1
        setbe   al
        EXPECTB "int1A/00 ticks low word as set", al, 1
        mov     ah, 01h
        mov     cx, 0012h
        mov     dx, 3456h
        int     1Ah
        call    wait_tick
        EXPECTW "int1A/00 IRQ 0 counts a tick", dx, 3457h
        ; Midnight: the count wraps at 1800B0h and AL reports it once.
        mov     ah, 01h
        mov     cx, 0018h
        mov     dx, 00AFh
        int     1Ah
        call    wait_tick
        EXPECTW "int1A/00 ticks wrap at midnight (CX)", cx, 0
        EXPECTW "int1A/00 ticks wrap at midnight (DX)", dx, 0
        EXPECTB "int1A/00 midnight flag", al, 1
        mov     ah, 00h
        int     1Ah
        EXPECTB "int1A/00 midnight flag is cleared by reading", al, 0

        ; 02h/04h: under -icount the RTC starts at 2000-01-01 00:00:00.
        mov     ah, 02h
        CALLINT 1Ah
        EXPECT_CF "int1A/02 CF", 0
        EXPECTW "int1A/02 hours and minutes 00:00", cx, 0000h
        mov     al, dh
        mov     ah, 59h
        call    bcd_check
        setc    al
        EXPECTB "int1A/02 seconds are BCD 00-59", al, 0
        EXPECTB "int1A/02 no daylight saving", dl, 0
        mov     ah, 04h
        CALLINT 1Ah
        EXPECT_CF "int1A/04 CF", 0
        EXPECTW "int1A/04 century and year 2000", cx, 2000h
        EXPECTW "int1A/04 month and day 01-01", dx, 0101h
        ; 03h/05h: set, then read back.
        mov     ah, 03h
        mov     cx, 1234h
        mov     dx, 5600h
        CALLINT 1Ah
        EXPECT_CF "int1A/03 CF", 0
        mov     ah, 02h
        int     1Ah
        EXPECTW "int1A/03+02 hours and minutes", cx, 1234h
        mov     al, dh
        sub     al, 56h
        cmp     al, 1
        setbe   al
        EXPECTB "int1A/03+02 seconds", al, 1
        mov     ah, 05h
        mov     cx, 2024h
        mov     dx, 0229h
        CALLINT 1Ah
        EXPECT_CF "int1A/05 CF", 0
        mov     ah, 04h
        int     1Ah
        EXPECTW "int1A/05+04 century and year", cx, 2024h
        EXPECTW "int1A/05+04 month and day", dx, 0229h
        ; Register B kept its mode (BCD, 24-hour) through the SET bit.
        mov     al, 0Bh
        out     70h, al
        in      al, 71h
        and     al, 86h                 ; SET, DM (binary), 24/12
        EXPECTB "int1A/03 RTC register B: updates on, BCD, 24 h", al, 02h
        mov     ah, 0FFh
        CALLINT 1Ah
        EXPECT_CF "int1A/FF unknown: CF", 1
        ret

; ==== int 1Ah B1xxh: the PCI BIOS ==================================================================
test_pci:
        mov     ax, 0B101h
        xor     edx, edx
        xor     bx, bx
        mov     cl, 0FFh
        CALLINT 1Ah
        EXPECT_CF "pci/B101 CF", 0
        EXPECT  "pci/B101 EDX = 'PCI '", edx, 20494350h
        EXPECTB "pci/B101 AH", ah, 0
        and     al, 01h
        EXPECTB "pci/B101 configuration mechanism #1", al, 1
        EXPECTW "pci/B101 version 2.10", bx, 0210h
        EXPECTB "pci/B101 last bus 0", cl, 0

        mov     ax, 0B102h
        mov     cx, 7000h
        mov     dx, 8086h
        xor     si, si
        CALLINT 1Ah
        EXPECT_CF "pci/B102 8086:7000: CF", 0
        EXPECTB "pci/B102 8086:7000: AH", ah, 0
        EXPECTW "pci/B102 8086:7000 at bus 0 devfn 08h", bx, 0008h
        mov     ax, 0B102h
        mov     cx, 7000h
        mov     dx, 8086h
        mov     si, 1
        CALLINT 1Ah
        EXPECT_CF "pci/B102 8086:7000 index 1: CF", 1
        EXPECTB "pci/B102 8086:7000 index 1: AH = 86h", ah, 86h
        mov     ax, 0B102h
        mov     cx, 1237h
        mov     dx, 8086h
        xor     si, si
        CALLINT 1Ah
        EXPECTW "pci/B102 8086:1237 (i440FX) at devfn 00h", bx, 0000h
        mov     ax, 0B102h
        mov     cx, 7113h
        mov     dx, 8086h
        xor     si, si
        CALLINT 1Ah
        EXPECTW "pci/B102 8086:7113 (PIIX4 PM) at devfn 0Bh", bx, 000Bh

        mov     ax, 0B103h
        mov     ecx, 060100h
        xor     si, si
        CALLINT 1Ah
        EXPECT_CF "pci/B103 class 060100h: CF", 0
        EXPECTW "pci/B103 class 060100h at devfn 08h", bx, 0008h
        mov     ax, 0B103h
        mov     ecx, 060000h
        xor     si, si
        CALLINT 1Ah
        EXPECTW "pci/B103 class 060000h at devfn 00h", bx, 0000h
        mov     ax, 0B103h
        mov     ecx, 0C0300h            ; a USB controller: there is none
        xor     si, si
        CALLINT 1Ah
        EXPECTB "pci/B103 absent class: AH = 86h", ah, 86h

        mov     ax, 0B108h
        mov     bx, 0008h
        xor     di, di
        CALLINT 1Ah
        EXPECT_CF "pci/B108 CF", 0
        EXPECTB "pci/B108 vendor low byte", cl, 86h
        mov     ax, 0B109h
        mov     di, 2
        CALLINT 1Ah
        EXPECTW "pci/B109 device ID", cx, 7000h
        mov     ax, 0B10Ah
        xor     di, di
        CALLINT 1Ah
        EXPECT  "pci/B10A vendor and device", ecx, 70008086h
        mov     ax, 0B10Ah
        mov     bx, 000Bh
        mov     di, 40h
        CALLINT 1Ah
        EXPECT  "pci/B10A PIIX4 PM PMBA = 601h (POST)", ecx, 00000601h

        ; Writes: the Interrupt Line of 00:01.0 (byte), PIRQRC of the PIIX3 (word, dword).
        mov     bx, 0008h
        mov     ax, 0B108h
        mov     di, 3Ch
        int     1Ah
        mov     [saved_byte], cl
        mov     ax, 0B10Bh
        mov     cl, 0Bh
        CALLINT 1Ah
        EXPECT_CF "pci/B10B CF", 0
        EXPECTB "pci/B10B AH", ah, 0
        mov     ax, 0B108h
        xor     cx, cx
        int     1Ah
        EXPECTB "pci/B10B+B108 Interrupt Line round trip", cl, 0Bh
        mov     ax, 0B10Bh
        mov     cl, [saved_byte]
        int     1Ah
        mov     ax, 0B10Ah
        mov     di, 60h
        int     1Ah
        mov     [saved_dword], ecx
        mov     ax, 0B10Ch
        mov     di, 62h
        mov     cx, 0A0Bh
        CALLINT 1Ah
        EXPECT_CF "pci/B10C CF", 0
        mov     ax, 0B109h
        xor     cx, cx
        int     1Ah
        EXPECTW "pci/B10C+B109 PIRQRC C/D round trip", cx, 0A0Bh
        mov     ax, 0B10Dh
        mov     di, 60h
        mov     ecx, 0B0A0B0Ah
        CALLINT 1Ah
        EXPECT_CF "pci/B10D CF", 0
        mov     ax, 0B10Ah
        xor     ecx, ecx
        int     1Ah
        EXPECT  "pci/B10D+B10A PIRQRC dword round trip", ecx, 0B0A0B0Ah
        mov     ax, 0B10Dh
        mov     ecx, [saved_dword]
        int     1Ah
        mov     ax, 0B10Ah
        int     1Ah
        EXPECT  "pci/B10D restores the routing", ecx, [saved_dword]

        ; Bad register numbers and unsupported functions.
        mov     ax, 0B109h
        mov     di, 1
        CALLINT 1Ah
        EXPECT_CF "pci/B109 unaligned: CF", 1
        EXPECTB "pci/B109 unaligned: AH = 87h", ah, 87h
        mov     ax, 0B10Ah
        mov     di, 2
        CALLINT 1Ah
        EXPECTB "pci/B10A unaligned: AH = 87h", ah, 87h
        mov     ax, 0B108h
        mov     di, 100h
        CALLINT 1Ah
        EXPECTB "pci/B108 register 100h: AH = 87h", ah, 87h
        mov     ax, 0B10Eh
        CALLINT 1Ah
        EXPECT_CF "pci/B10E unsupported: CF", 1
        EXPECTB "pci/B10E unsupported: AH = 81h", ah, 81h
        ret

; ==== the tables an OS looks for ====================================================================

; Finds EAX (and, if EBX is not 0, EBX right after it) on a 16-byte boundary from segment DX
; to FFFFh. Returns DX = the paragraph, CF set if absent.
find_signature:
        push    es
.next:  mov     es, dx
        cmp     [es:0], eax
        jne     .skip
        test    ebx, ebx
        jz      .found
        cmp     [es:4], ebx
        je      .found
.skip:  inc     dx
        jnz     .next
        pop     es
        stc
        ret
.found: pop     es
        clc
        ret

; AL = the sum of CX bytes at ES:SI.
checksum:
        push    cx
        push    si
        xor     al, al
        jcxz    .done
.next:  add     al, [es:si]
        inc     si
        loop    .next
.done:  pop     si
        pop     cx
        ret

; Fetches CX bytes (even) from linear EAX to 1000:FETCH_BUF through int 15h AH=87h.
fetch:
        pushad
        mov     esi, eax
        mov     edi, PROGRAM_BASE + FETCH_BUF
        shr     cx, 1
        call    block_move
        popad
        ret

; Is linear EAX inside an E820 entry that is not usable RAM? AL = 1 if so.
in_reserved_range:
        push    si
        push    di
        push    ebx
        xor     si, si
.next:  cmp     si, [e820_count]
        jae     .no
        imul    di, si, 20
        add     di, E820_BUF
        inc     si
        cmp     dword [di + 4], 0
        jne     .next
        cmp     eax, [di]
        jb      .next
        mov     ebx, eax
        sub     ebx, [di]
        cmp     ebx, [di + 8]
        jae     .next
        cmp     dword [di + 16], 1
        je      .no
        mov     al, 1
        jmp     .done
.no:    xor     al, al
.done:  pop     ebx
        pop     di
        pop     si
        ret

test_tables:
        ; The shadowed BIOS is read-only after POST; its date and model sit where PCs keep them.
        push    es
        mov     ax, 0F000h
        mov     es, ax
        mov     al, [es:0FFF5h]
        not     byte [es:0FFF5h]
        EXPECTB "bios F000:FFF5 is write-protected after POST", byte [es:0FFF5h], '1'
        EXPECT  "bios date F000:FFF5", dword [es:0FFF5h], "11/2"
        pop     es

        ; RSDP (ACPI 1.0): "RSD PTR " on a paragraph in E0000h-FFFFFh, 20 bytes summing to 0.
        mov     eax, "RSD "
        mov     ebx, "PTR "
        mov     dx, 0E000h
        call    find_signature
        setc    al
        EXPECTB "acpi RSDP found in E0000-FFFFF", al, 0
        jc      .no_rsdp
        mov     [rsdp_segment], dx
        push    es
        mov     es, dx
        xor     si, si
        mov     cx, 20
        call    checksum
        EXPECTB "acpi RSDP checksum", al, 0
        mov     eax, [es:16]
        pop     es
        mov     [rsdt_address], eax
        call    in_reserved_range
        EXPECTB "acpi RSDT lies in E820-reserved memory", al, 1
        mov     eax, [rsdt_address]
        mov     cx, 256
        call    fetch
        EXPECT  "acpi RSDT signature", dword [FETCH_BUF], "RSDT"
        mov     si, FETCH_BUF
        mov     cx, [FETCH_BUF + 4]
        cmp     cx, 256
        jbe     .rsdt_len
        mov     cx, 256
.rsdt_len:
        call    checksum
        EXPECTB "acpi RSDT checksum", al, 0
        mov     eax, [FETCH_BUF + 36]   ; the first (only) entry: the FADT
        mov     cx, 256
        call    fetch
        EXPECT  "acpi FADT signature", dword [FETCH_BUF], "FACP"
        mov     si, FETCH_BUF
        mov     cx, [FETCH_BUF + 4]
        cmp     cx, 256
        jbe     .fadt_len
        mov     cx, 256
.fadt_len:
        call    checksum
        EXPECTB "acpi FADT checksum", al, 0
        mov     eax, [FETCH_BUF + 40]
        mov     [dsdt_address], eax
        mov     eax, [FETCH_BUF + 36]
        mov     cx, 64
        call    fetch
        EXPECT  "acpi FACS signature", dword [FETCH_BUF], "FACS"
        mov     eax, [dsdt_address]
        mov     cx, 64
        call    fetch
        EXPECT  "acpi DSDT signature", dword [FETCH_BUF], "DSDT"
        mov     ecx, [FETCH_BUF + 4]
        cmp     ecx, 0FFF0h
        setbe   al
        EXPECTB "acpi DSDT fits 64 KiB", al, 1
        cmp     ecx, 0FFF0h
        ja      .no_rsdp
        mov     [dsdt_length], cx
        mov     esi, [dsdt_address]
        mov     edi, BIG_SEG << 4
        inc     cx
        shr     cx, 1
        call    block_move
        push    es
        mov     ax, BIG_SEG
        mov     es, ax
        xor     si, si
        mov     cx, [dsdt_length]
        call    checksum
        pop     es
        EXPECTB "acpi DSDT checksum", al, 0
.no_rsdp:

        ; SMBIOS 2.x entry point: "_SM_" on a paragraph in F0000h-FFFFFh, its checksum, the
        ; "_DMI_" intermediate anchor and its checksum, then the structure table itself.
        mov     eax, "_SM_"
        xor     ebx, ebx
        mov     dx, 0F000h
        call    find_signature
        setc    al
        EXPECTB "smbios _SM_ found in F0000-FFFFF", al, 0
        jc      .no_smbios
        push    es
        mov     es, dx
        xor     si, si
        movzx   cx, byte [es:5]
        EXPECTW "smbios entry point length 1Fh", cx, 1Fh
        call    checksum
        EXPECTB "smbios entry point checksum", al, 0
        EXPECT  "smbios _DMI_ anchor", dword [es:10h], "_DMI"
        EXPECTB "smbios _DMI_ anchor (5th byte)", byte [es:14h], '_'
        mov     si, 10h
        mov     cx, 0Fh
        call    checksum
        EXPECTB "smbios intermediate checksum", al, 0
        mov     eax, [es:18h]
        mov     cx, [es:16h]
        mov     bx, [es:1Ch]
        pop     es
        mov     [smbios_count], bx
        mov     [smbios_length], cx
        mov     esi, eax
        mov     edi, BIG_SEG << 4
        inc     cx
        shr     cx, 1
        call    block_move
        ; Walk the structures: formatted area, strings, double NUL; type 127 ends the table.
        push    es
        mov     ax, BIG_SEG
        mov     es, ax
        xor     si, si                  ; the structure
        xor     cx, cx                  ; structures seen
        mov     byte [smbios_first_type], 0FFh
.structure:
        cmp     si, [smbios_length]
        jae     .walked
        mov     al, [es:si]
        cmp     cx, 0
        jne     .not_first
        mov     [smbios_first_type], al
.not_first:
        inc     cx
        movzx   di, byte [es:si + 1]
        add     di, si                  ; the strings
.strings:
        cmp     di, [smbios_length]
        jae     .walked
        cmp     word [es:di], 0
        je      .end_of_strings
        inc     di
        jmp     .strings
.end_of_strings:
        add     di, 2
        mov     si, di
        cmp     al, 127
        jne     .structure
.walked:
        pop     es
        EXPECTB "smbios first structure is type 0 (BIOS)", byte [smbios_first_type], 0
        EXPECTW "smbios structure count matches the entry point", cx, [smbios_count]
        EXPECTW "smbios table ends with type 127 at its length", si, [smbios_length]
.no_smbios:

        ; $PIR (PCI IRQ Routing Table 1.0): a paragraph in F0000h-FFFFFh, 32-byte header plus
        ; 16 bytes a slot, summing to 0; the router is the PIIX3 at 00:01.0.
        mov     eax, "$PIR"
        xor     ebx, ebx
        mov     dx, 0F000h
        call    find_signature
        setc    al
        EXPECTB "pir $PIR found in F0000-FFFFF", al, 0
        jc      .no_pir
        push    es
        mov     es, dx
        EXPECTW "pir version 1.0", word [es:4], 0100h
        mov     cx, [es:6]
        mov     ax, cx
        sub     ax, 32
        test    ax, 0Fh
        setz    al
        cmp     cx, 32 + 16
        setae   ah
        and     al, ah
        EXPECTB "pir size = 32 + 16 * slots, at least one slot", al, 1
        xor     si, si
        call    checksum
        EXPECTB "pir checksum", al, 0
        EXPECTW "pir router at bus 0 devfn 08h", word [es:8], 0800h
        EXPECT  "pir router 8086:7000", dword [es:0Ch], 70008086h
        EXPECTB "pir slot 0 is device 1", byte [es:21h], 08h
        EXPECTB "pir slot 0 INTA# link = PIRQRC 60h", byte [es:22h], 60h
        pop     es
.no_pir:

        ; The shadow copy POST made of the ROM (F0000h-FFFFFh) is the ROM, byte for byte, except
        ; the 1 KiB anchor area the firmware tables were written into (it starts with the RSDP).
        ; The ROM itself is still readable at the top of 4 GiB.
        mov     esi, 0FFFF0000h
        mov     edi, BIG_SEG << 4
        mov     cx, 8000h
        call    block_move
        EXPECT_CF "bios ROM at FFFF0000h readable through int15/87", 0
        mov     bx, [rsdp_segment]
        sub     bx, 0F000h
        shl     bx, 4                   ; the anchor area's offset in the segment
        push    ds
        push    es
        mov     ax, 0F000h
        mov     ds, ax
        mov     ax, BIG_SEG
        mov     es, ax
        xor     si, si
        xor     edx, edx                ; bytes that differ outside the anchor area
.compare:
        mov     al, [si]
        cmp     al, [es:si]
        je      .same
        mov     di, si
        sub     di, bx
        cmp     di, 1024
        jb      .same
        inc     edx
.same:  inc     si
        jnz     .compare
        pop     es
        pop     ds
        EXPECT  "bios shadow RAM = ROM outside the anchor area", edx, 0
        ret

; ---- data -------------------------------------------------------------------------------------
str_hi          db      "Hi!"
str_pairs       db      "a", 41h, "b", 42h
str_ctl         db      "ab", 13, 10, "c"
str_ctl_len     equ     $ - str_ctl
dac_block       db      01h, 02h, 03h, 3Fh, 20h, 10h, 00h, 15h, 2Ah
dac_readback    times 9 db 0
rom_font        dd      0               ; int 10h AX=1130h's ES:BP (offset, then segment)
glyph_rom       times 16 db 0
glyph_plane2    times 16 db 0

checks          dw      0
failures        dw      0
flags_after     dw      0
saved_byte      db      0
saved_dword     dd      0
saved_sp        dw      0
saved_ds        dw      0
saved_es        dw      0
move_regs_ok    dw      0
expected        dd      0
sv_top          db      0               ; sv_top, sv_left, sv_bottom, sv_right: one dword
sv_left         db      0
sv_bottom       db      0
sv_right        db      0
sv_lines        db      0
sv_down         db      0
sv_attr         db      0
sv_page         dw      0
sv_result       dw      0
e820_count      dw      0
e820_bad        db      0
e820_ended      db      0
e820_unsorted   db      0
e820_low_ok     db      0
e820_top_reserved db    0
e820_prev_end   dq      0
e820_usable     dq      0
e820_usable_top dd      0
rsdt_address    dd      0
rsdp_segment    dw      0
dsdt_address    dd      0
dsdt_length     dw      0
smbios_count    dw      0
smbios_length   dw      0
smbios_first_type db    0
        align   8
move_gdt        times 48 db 0

program_end:
        times   -((program_end - $$) > E820_BUF) db 0   ; assert: the image ends below its buffers
SETUP_SECTS             equ (program_end - $$ + 511) / 512 - 1
        times   (SETUP_SECTS + 1) * 512 - ($ - $$) db 0
; The "protected-mode kernel": the loader copies it to 1 MiB; nothing ever runs it.
        db      "not a kernel", 0, 0, 0, 0
