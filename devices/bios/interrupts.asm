; ---- the interrupt vector table and the small handlers ------------------------------------

; Vectors POST installs; all others point at default_interrupt.
vector_table:
        dw      02h, nmi_interrupt
        dw      08h, irq0_timer
        dw      09h, irq1_keyboard
        dw      0Ah, irq_master_eoi     ; IRQ 2-7: nothing in the BIOS drives them
        dw      0Bh, irq_master_eoi
        dw      0Ch, irq_master_eoi
        dw      0Dh, irq_master_eoi
        dw      0Eh, irq_master_eoi
        dw      0Fh, irq7_spurious
        dw      10h, int10_video
        dw      11h, int11_equipment
        dw      12h, int12_memory_size
        dw      13h, int13_disk
        dw      15h, int15_system
        dw      16h, int16_keyboard
        dw      18h, int18_no_boot_device
        dw      19h, int19_boot
        dw      1Ah, int1a_time_pci
        dw      70h, irq8_rtc
        dw      71h, irq_slave_eoi      ; IRQ 9-15
        dw      72h, irq_slave_eoi
        dw      73h, irq_slave_eoi
        dw      74h, irq12_mouse
        dw      75h, irq13_fpu
        dw      76h, irq_slave_eoi
        dw      77h, irq15_spurious
        dw      0FFFFh

default_interrupt:
        iret

; Services return CF in the caller's FLAGS image: the stack holds IP, CS, FLAGS.
return_carry_set:
        push    bp
        mov     bp, sp
        or      word [bp + 6], 0001h
        pop     bp
        iret
return_carry_clear:
        push    bp
        mov     bp, sp
        and     word [bp + 6], 0FFFEh
        pop     bp
        iret

; NMI: PCI SERR# or IOCHK#. Nothing to recover; say so on the debug console and go on.
nmi_interrupt:
        push    ax
        push    si
        mov     si, nmi_message
        call    debug_print
        pop     si
        pop     ax
        iret

; Prints CS:SI to the debug console (port E9h) only.
debug_print:
        push    ax
.next:  cs lodsb
        test    al, al
        jz      .done
        out     PORT_DEBUGCON, al
        jmp     .next
.done:  pop     ax
        ret

irq_master_eoi:
        push    ax
        mov     al, 20h                 ; OCW2: non-specific EOI
        out     PORT_PIC1_CMD, al
        pop     ax
        iret

irq_slave_eoi:
        push    ax
        mov     al, 20h
        out     PORT_PIC2_CMD, al
        out     PORT_PIC1_CMD, al
        pop     ax
        iret

; IRQ 7 and IRQ 15 also arrive when a request vanishes before the INTA cycle (a spurious
; interrupt, 8259A datasheet): then the in-service bit is clear and no EOI may be sent.
irq7_spurious:
        push    ax
        mov     al, 0Bh                 ; OCW3: read ISR
        out     PORT_PIC1_CMD, al
        in      al, PORT_PIC1_CMD
        test    al, 80h
        jz      .spurious
        mov     al, 20h
        out     PORT_PIC1_CMD, al
.spurious:
        pop     ax
        iret

irq15_spurious:
        push    ax
        mov     al, 0Bh
        out     PORT_PIC2_CMD, al
        in      al, PORT_PIC2_CMD
        test    al, 80h
        jz      .spurious
        mov     al, 20h
        out     PORT_PIC2_CMD, al
.spurious:
        mov     al, 20h                 ; the master saw IRQ 2 either way
        out     PORT_PIC1_CMD, al
        pop     ax
        iret

; IRQ 12: a mouse byte nobody asked for (no BIOS mouse services); take it out of the 8042.
irq12_mouse:
        push    ax
        in      al, PORT_KBC_DATA
        pop     ax
        jmp     irq_slave_eoi

; IRQ 13: the x87 signalled an unmasked exception through FERR# (the PC's way, CR0.NE = 0).
; Port F0h clears the busy latch; the error goes on to the NMI vector, as the AT BIOS does.
irq13_fpu:
        push    ax
        xor     al, al
        out     PORT_FPU_CLEAR_BUSY, al
        mov     al, 20h
        out     PORT_PIC2_CMD, al
        out     PORT_PIC1_CMD, al
        pop     ax
        int     02h
        iret
