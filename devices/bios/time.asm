; ---- int 08h (IRQ 0), int 70h (IRQ 8), int 1Ah: time --------------------------------------------

; IRQ 0, 18.2 times a second: count ticks since midnight (BDA 046Ch), wrap at a day and set the
; midnight flag (0470h), then call the user hook int 1Ch.
irq0_timer:
        push    ax
        push    ds
        mov     ax, BDA_SEG
        mov     ds, ax
        inc     dword [BDA_TICKS]
        cmp     dword [BDA_TICKS], TICKS_PER_DAY
        jb      .hook
        mov     dword [BDA_TICKS], 0
        mov     byte [BDA_MIDNIGHT], 1
.hook:  int     1Ch
        mov     al, 20h
        out     PORT_PIC1_CMD, al
        pop     ds
        pop     ax
        iret

; IRQ 8: the RTC. Reading register C acknowledges it (MC146818A: the flags and IRQF clear).
irq8_rtc:
        push    ax
        mov     al, 0Ch
        call    cmos_read
        mov     al, 20h
        out     PORT_PIC2_CMD, al
        out     PORT_PIC1_CMD, al
        pop     ax
        iret

; int 1Ah:
;   AH=00h  CX:DX = ticks since midnight, AL = midnight flag (then cleared)
;   AH=01h  set the tick count from CX:DX
;   AH=02h  RTC time: CH hours, CL minutes, DH seconds (BCD), DL = daylight saving flag
;   AH=03h  set the RTC time from CH, CL, DH (BCD)
;   AH=04h  RTC date: CH century, CL year, DH month, DL day (BCD)
;   AH=05h  set the RTC date
;   AH=B1h  the PCI BIOS (pci.asm)
int1a_time_pci:
        sti
        cmp     ah, 0B1h
        je      int1a_pci_bios
        cmp     ah, 00h
        je      .get_ticks
        cmp     ah, 01h
        je      .set_ticks
        cmp     ah, 02h
        je      .get_time
        cmp     ah, 03h
        je      .set_time
        cmp     ah, 04h
        je      .get_date
        cmp     ah, 05h
        je      .set_date
        jmp     return_carry_set
.get_ticks:
        push    ds
        mov     ax, BDA_SEG
        mov     ds, ax
        cli
        mov     dx, [BDA_TICKS]
        mov     cx, [BDA_TICKS + 2]
        mov     al, [BDA_MIDNIGHT]
        mov     byte [BDA_MIDNIGHT], 0
        pop     ds
        jmp     return_carry_clear
.set_ticks:
        push    ds
        push    ax
        mov     ax, BDA_SEG
        mov     ds, ax
        cli
        mov     [BDA_TICKS], dx
        mov     [BDA_TICKS + 2], cx
        mov     byte [BDA_MIDNIGHT], 0
        pop     ax
        pop     ds
        xor     ah, ah
        jmp     return_carry_clear
.get_time:
        call    rtc_wait_update
        jc      .busy
        mov     al, 00h
        call    cmos_read
        mov     dh, al
        mov     al, 02h
        call    cmos_read
        mov     cl, al
        mov     al, 04h
        call    cmos_read
        mov     ch, al
        mov     al, 0Bh
        call    cmos_read
        and     al, 01h                 ; DSE
        mov     dl, al
        jmp     return_carry_clear
.set_time:
        push    ax
        mov     al, 0Bh                 ; SET: stop updates while the time is written
        call    cmos_read
        or      al, 80h
        mov     ah, al
        mov     al, 0Bh
        call    cmos_write
        mov     ah, dh
        mov     al, 00h
        call    cmos_write
        mov     ah, cl
        mov     al, 02h
        call    cmos_write
        mov     ah, ch
        mov     al, 04h
        call    cmos_write
        call    rtc_release_set
        pop     ax
        jmp     return_carry_clear
.get_date:
        call    rtc_wait_update
        jc      .busy
        mov     al, 07h
        call    cmos_read
        mov     dl, al
        mov     al, 08h
        call    cmos_read
        mov     dh, al
        mov     al, 09h
        call    cmos_read
        mov     cl, al
        mov     al, 32h                 ; the century byte (IBM PC/AT CMOS layout)
        call    cmos_read
        mov     ch, al
        jmp     return_carry_clear
.set_date:
        push    ax
        mov     al, 0Bh
        call    cmos_read
        or      al, 80h
        mov     ah, al
        mov     al, 0Bh
        call    cmos_write
        mov     ah, dl
        mov     al, 07h
        call    cmos_write
        mov     ah, dh
        mov     al, 08h
        call    cmos_write
        mov     ah, cl
        mov     al, 09h
        call    cmos_write
        mov     ah, ch
        mov     al, 32h
        call    cmos_write
        call    rtc_release_set
        pop     ax
        jmp     return_carry_clear
.busy:  jmp     return_carry_set

; Waits (bounded) until register A's UIP bit is clear, so the time registers are stable for
; the next 244 us (MC146818A datasheet, "Update cycle"). CF set if it never clears.
rtc_wait_update:
        push    cx
        mov     cx, 0FFFFh
.wait:  mov     al, 0Ah
        call    cmos_read
        test    al, 80h
        jz      .ready
        loop    .wait
        pop     cx
        stc
        ret
.ready: pop     cx
        clc
        ret

rtc_release_set:
        mov     al, 0Bh
        call    cmos_read
        and     al, 7Fh
        mov     ah, al
        mov     al, 0Bh
        jmp     cmos_write
