; ---- int 09h (IRQ 1) and int 16h: the keyboard ------------------------------------------------
; IRQ 1 reads a set-1 scan code from the 8042 (the controller translates the keyboard's set 2),
; keeps the shift state in the BDA (0417h, 0418h, 0496h), and puts (scan code, ASCII) words in
; the BDA's 16-entry ring buffer. int 16h reads that buffer. US layout.

KBD_RIGHT_SHIFT         equ 01h         ; BDA 0417h bits
KBD_LEFT_SHIFT          equ 02h
KBD_CTRL                equ 04h
KBD_ALT                 equ 08h
KBD_SCROLL_LOCK         equ 10h
KBD_NUM_LOCK            equ 20h
KBD_CAPS_LOCK           equ 40h
KBD_INSERT              equ 80h
KBD_E0_SEEN             equ 02h         ; BDA 0496h bit 1: the last byte was the E0 prefix

irq1_keyboard:
        push    ax
        push    bx
        push    ds
        mov     ax, BDA_SEG
        mov     ds, ax
        in      al, PORT_KBC_DATA
        ; int 15h AH=4Fh lets an operating system's handler see (and swallow) the scan code.
        mov     ah, 4Fh
        stc
        int     15h
        jnc     .eoi
        cmp     al, 0E0h
        je      .prefix
        cmp     al, 0E1h                ; Pause's prefix: nothing to store
        je      .eoi
        mov     ah, al                  ; AH = scan code with the break bit
        and     al, 7Fh
        ; Shift-state keys, make and break.
        mov     bl, KBD_LEFT_SHIFT
        cmp     al, 2Ah
        je      .shift_key
        mov     bl, KBD_RIGHT_SHIFT
        cmp     al, 36h
        je      .shift_key
        mov     bl, KBD_CTRL
        cmp     al, 1Dh
        je      .shift_key
        mov     bl, KBD_ALT
        cmp     al, 38h
        je      .shift_key
        test    ah, 80h
        jnz     .done                   ; other breaks carry no character
        mov     bl, KBD_CAPS_LOCK
        cmp     al, 3Ah
        je      .toggle
        mov     bl, KBD_NUM_LOCK
        cmp     al, 45h
        je      .toggle
        mov     bl, KBD_SCROLL_LOCK
        cmp     al, 46h
        je      .toggle
        call    scan_code_to_ascii      ; AL = scan code; returns AX = the buffer word, 0 = none
        test    ax, ax
        jz      .done
        call    keyboard_buffer_put
        jmp     .done
.shift_key:
        test    ah, 80h
        jnz     .release
        or      [BDA_KBD_FLAGS0], bl
        jmp     .done
.release:
        not     bl
        and     [BDA_KBD_FLAGS0], bl
        jmp     .done
.toggle:
        xor     [BDA_KBD_FLAGS0], bl
        jmp     .done
.prefix:
        or      byte [BDA_KBD_FLAGS3], KBD_E0_SEEN
        jmp     .eoi
.done:  and     byte [BDA_KBD_FLAGS3], ~KBD_E0_SEEN & 0FFh
.eoi:   mov     al, 20h
        out     PORT_PIC1_CMD, al
        pop     ds
        pop     bx
        pop     ax
        iret

; AL = a make code (set 1); returns AX = (scan code << 8) | ASCII for the buffer, or 0.
; Keys without ASCII (function keys, cursor keys) give ASCII 0, or E0h for the grey keys that
; the E0 prefix marks, as the enhanced keyboard BIOS reports them (int 16h AH=10h).
scan_code_to_ascii:
        push    bx
        cmp     al, SCAN_TABLE_SIZE
        jae     .none
        movzx   bx, al
        mov     ah, al
        test    byte [BDA_KBD_FLAGS0], KBD_CTRL
        jnz     .ctrl
        mov     al, [cs:bx + scan_ascii_plain]
        test    byte [BDA_KBD_FLAGS0], KBD_LEFT_SHIFT | KBD_RIGHT_SHIFT
        jz      .caps
        mov     al, [cs:bx + scan_ascii_shift]
.caps:  test    byte [BDA_KBD_FLAGS0], KBD_CAPS_LOCK
        jz      .prefixed
        mov     bl, al                  ; Caps Lock swaps the case of letters only
        or      bl, 20h
        cmp     bl, 'a'
        jb      .prefixed
        cmp     bl, 'z'
        ja      .prefixed
        xor     al, 20h
        jmp     .prefixed
.ctrl:  mov     al, [cs:bx + scan_ascii_plain]
        cmp     al, 'a'
        jb      .prefixed
        cmp     al, 'z'
        ja      .prefixed
        sub     al, 'a' - 1             ; Ctrl-A = 01h ... Ctrl-Z = 1Ah
.prefixed:
        test    byte [BDA_KBD_FLAGS3], KBD_E0_SEEN
        jz      .done
        cmp     ah, 1Ch                 ; keypad Enter keeps its CR
        je      .done
        cmp     ah, 35h                 ; keypad / keeps its '/'
        je      .done
        mov     al, 0E0h
.done:  pop     bx
        ret
.none:  xor     ax, ax
        pop     bx
        ret

; Appends AX to the keyboard ring buffer; a full buffer drops the key (a real BIOS beeps).
keyboard_buffer_put:
        push    bx
        push    si
        mov     bx, [BDA_KBD_TAIL]
        mov     si, bx
        add     si, 2
        cmp     si, [BDA_KBD_BUFFER_END]
        jb      .no_wrap
        mov     si, [BDA_KBD_BUFFER_START]
.no_wrap:
        cmp     si, [BDA_KBD_HEAD]
        je      .full
        mov     [bx], ax
        mov     [BDA_KBD_TAIL], si
.full:  pop     si
        pop     bx
        ret

; int 16h: AH=00h/10h wait for a key (AX = scan code, ASCII), 01h/11h peek (ZF set: none),
; 02h/12h shift flags, 03h typematic rate (accepted), 05h store CX in the buffer (AL = 0, or 1
; if full), 0Ah keyboard ID (BX = 83ABh, an MF2 keyboard).
int16_keyboard:
        sti
        push    ds
        push    bx
        mov     bx, BDA_SEG
        mov     ds, bx
        cmp     ah, 00h
        je      .read
        cmp     ah, 10h
        je      .read
        cmp     ah, 01h
        je      .peek
        cmp     ah, 11h
        je      .peek
        cmp     ah, 02h
        je      .flags
        cmp     ah, 12h
        je      .flags
        cmp     ah, 05h
        je      .store
        cmp     ah, 0Ah
        je      .id
        pop     bx                      ; 03h (typematic) and unknown functions: nothing to do
        pop     ds
        iret
.read:  mov     bx, [BDA_KBD_HEAD]
        cmp     bx, [BDA_KBD_TAIL]
        jne     .take
        hlt                             ; wait for IRQ 1 (or any interrupt) and look again
        jmp     .read
.take:  mov     ax, [bx]
        add     bx, 2
        cmp     bx, [BDA_KBD_BUFFER_END]
        jb      .no_wrap
        mov     bx, [BDA_KBD_BUFFER_START]
.no_wrap:
        mov     [BDA_KBD_HEAD], bx
        pop     bx
        pop     ds
        iret
.peek:  cli
        mov     bx, [BDA_KBD_HEAD]
        cmp     bx, [BDA_KBD_TAIL]
        je      .empty
        mov     ax, [bx]
        pop     bx
        pop     ds
        sti
        push    bp                      ; ZF clear in the caller's FLAGS: a key is waiting
        mov     bp, sp
        and     word [bp + 6], ~0040h & 0FFFFh
        pop     bp
        iret
.empty: pop     bx
        pop     ds
        sti
        push    bp
        mov     bp, sp
        or      word [bp + 6], 0040h
        pop     bp
        iret
.flags: mov     al, [BDA_KBD_FLAGS0]
        cmp     ah, 12h
        jne     .flags_done
        mov     ah, [BDA_KBD_FLAGS1]
.flags_done:
        pop     bx
        pop     ds
        iret
.store: cli
        mov     ax, cx
        mov     bx, [BDA_KBD_TAIL]
        call    keyboard_buffer_put
        cmp     bx, [BDA_KBD_TAIL]      ; unchanged: the buffer was full
        sete    al
        mov     ah, 0
        pop     bx
        pop     ds
        iret
.id:    pop     bx
        mov     bx, 83ABh
        pop     ds
        iret
