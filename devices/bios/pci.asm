; ---- PCI: configuration access, POST enumeration, and the PCI BIOS (int 1Ah B1xxh) ----------
; Configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2): the dword address
; 8000_0000h | bus << 16 | device << 11 | function << 8 | register goes to CF8h, the data moves
; through CFCh-CFFh. Bus 0 only: the i440FX machine has no PCI-to-PCI bridge.

PIIX3_DEVFN             equ 08h         ; 00:01.0, the ISA bridge
PIIX3_IDE_DEVFN         equ 09h         ; 00:01.1, the IDE controller
PIIX4_PM_DEVFN          equ 0Bh         ; 00:01.3, ACPI power management
PIIX3_IDETIM            equ 40h         ; IDETIM primary (40h-41h) and secondary (42h-43h)
PIIX3_PIRQRC            equ 60h         ; PIRQRC[A:D], 60h-63h: the ISA IRQ of each PCI interrupt line
PIIX4_PMBA              equ 40h
PIIX4_PMREGMISC         equ 80h

; Selects BH = bus, BL = device/function, DI = register; returns DX = the data port for it.
pci_select:
        push    eax
        movzx   eax, bx
        shl     eax, 8
        or      eax, 80000000h
        mov     dx, di
        and     dx, 00FCh
        or      ax, dx
        mov     dx, PORT_PCI_CONFIG_ADDRESS
        out     dx, eax
        mov     dx, di
        and     dx, 0003h
        add     dx, PORT_PCI_CONFIG_DATA
        pop     eax
        ret

pci_read_config_byte:                   ; AL := config byte
        push    dx
        call    pci_select
        in      al, dx
        pop     dx
        ret
pci_read_config_word:                   ; AX := config word
        push    dx
        call    pci_select
        in      ax, dx
        pop     dx
        ret
pci_read_config_dword:                  ; EAX := config dword
        push    dx
        call    pci_select
        in      eax, dx
        pop     dx
        ret
pci_write_config_byte:                  ; config byte := CL
        push    dx
        push    ax
        call    pci_select
        mov     al, cl
        out     dx, al
        pop     ax
        pop     dx
        ret
pci_write_config_word:                  ; config word := CX
        push    dx
        push    ax
        call    pci_select
        mov     ax, cx
        out     dx, ax
        pop     ax
        pop     dx
        ret
pci_write_config_dword:                 ; config dword := ECX
        push    dx
        push    eax
        call    pci_select
        mov     eax, ecx
        out     dx, eax
        pop     eax
        pop     dx
        ret

; POST: routes the four PCI interrupt lines, then gives every function on bus 0 its I/O and
; memory windows and its interrupt line, and turns on the ACPI power-management I/O block.
; Runs with DS = 0 (the allocators live at POST_NEXT_IO / POST_NEXT_MEMORY).
pci_setup:
        pushad
        ; PIRQA-D -> IRQ 10, 10, 11, 11 (pci_irq_table; the DSDT's link devices read the same
        ; registers back), and IRQ 9 (the ACPI SCI), 10 and 11 level-triggered in the ELCR,
        ; as PCI interrupts are shared, active-low levels.
        mov     bx, PIIX3_DEVFN
        mov     di, PIIX3_PIRQRC
        mov     si, pci_irq_table
.route: mov     cl, [cs:si]
        call    pci_write_config_byte
        inc     si
        inc     di
        cmp     di, PIIX3_PIRQRC + 4
        jb      .route
        mov     dx, PORT_ELCR2
        mov     al, 0Eh                 ; IRQ 9, 10, 11 (ELCR2 bits 1-3)
        out     dx, al

        mov     dword [POST_NEXT_IO], PCI_IO_BASE
        mov     dword [POST_NEXT_MEMORY], PCI_MEM_BASE
        xor     bx, bx                  ; bus 0, device 0, function 0
.function:
        xor     di, di
        call    pci_read_config_word
        cmp     ax, 0FFFFh
        je      .absent
        call    pci_setup_function
        ; Functions 1-7 exist only behind a multi-function header (header type bit 7).
        test    bl, 07h
        jnz     .next_function
        mov     di, 0Eh
        call    pci_read_config_byte
        test    al, 80h
        jnz     .next_function
        jmp     .next_device
.absent:
        test    bl, 07h
        jnz     .next_function
.next_device:
        or      bl, 07h
.next_function:
        inc     bl
        jnz     .function               ; devfn 00h-FFh

        ; The PIIX4 power-management function's I/O block (PMBA, enabled by PMREGMISC bit 0).
        mov     bx, PIIX4_PM_DEVFN
        mov     di, PIIX4_PMBA
        mov     ecx, ACPI_PM_IO_BASE | 1
        call    pci_write_config_dword
        mov     di, PIIX4_PMREGMISC
        mov     cl, 01h
        call    pci_write_config_byte
        ; The IDE channels' legacy ports (1F0h, 170h) decode only with IDETIM bit 15 set for
        ; each (82371SB datasheet, "IDE Timing Register": IDE Decode Enable).
        mov     bx, PIIX3_IDE_DEVFN
        mov     di, PIIX3_IDETIM
        mov     ecx, 80008000h
        call    pci_write_config_dword
        popad
        ret

; Sets up one function (BX = bus:devfn): its BARs, its interrupt line, and the Command
; register's I/O, memory and bus-master enables.
pci_setup_function:
        mov     di, 0Eh
        call    pci_read_config_byte
        and     al, 7Fh
        jnz     .interrupt              ; only type 0 headers carry six BARs
        mov     di, 10h
.bar:   mov     ecx, 0FFFFFFFFh         ; size the BAR: write all ones, read the mask back
        call    pci_write_config_dword
        call    pci_read_config_dword
        test    eax, eax
        jz      .next_bar               ; not implemented
        mov     edx, eax                ; the BAR's type bits
        test    al, 01h
        jnz     .io_bar
        and     eax, 0FFFFFFF0h         ; memory: size = the two's complement of the mask
        neg     eax
        mov     esi, POST_NEXT_MEMORY
        mov     ecx, PCI_MEM_LIMIT
        call    pci_allocate
        call    pci_write_config_dword
        and     dl, 06h
        cmp     dl, 04h                 ; a 64-bit BAR: the next register is its upper half
        jne     .next_bar
        add     di, 4
        xor     ecx, ecx
        call    pci_write_config_dword
        jmp     .next_bar
.io_bar:
        and     eax, 0FFFCh             ; I/O: a PC decodes 16 address bits
        neg     ax
        movzx   eax, ax
        mov     esi, POST_NEXT_IO
        mov     ecx, PCI_IO_LIMIT + 1
        call    pci_allocate
        call    pci_write_config_dword
.next_bar:
        add     di, 4
        cmp     di, 28h
        jb      .bar
.interrupt:
        ; Interrupt Pin (3Dh) 1-4 = INTA#-INTD#. On the i440FX board the lines are rotated by
        ; slot: device D's pin P drives PIRQ (D - 1 + P - 1) mod 4.
        mov     di, 3Dh
        call    pci_read_config_byte
        test    al, al
        jz      .command
        cmp     al, 4
        ja      .command
        mov     ah, bl
        shr     ah, 3                   ; device number
        add     al, ah
        sub     al, 2
        and     al, 03h
        movzx   si, al
        mov     cl, [cs:si + pci_irq_table]
        mov     di, 3Ch                 ; Interrupt Line: what drivers read as the IRQ
        call    pci_write_config_byte
.command:
        mov     di, 04h
        call    pci_read_config_word
        or      ax, 0007h               ; I/O space, memory space, bus master
        mov     cx, ax
        jmp     pci_write_config_word

; Takes EAX bytes (a power of two) from the window whose next free address is the dword at
; DS:SI and whose end is ECX: returns ECX = the address, aligned to the size, or 0 (the BAR
; stays off) when the window is full.
pci_allocate:
        push    edx
        mov     edx, [si]
        dec     eax
        add     edx, eax                ; round up to a multiple of the size
        jc      .full
        not     eax
        and     edx, eax
        not     eax
        inc     eax
        push    edx
        add     edx, eax                ; the end of the new window
        jc      .full_pop
        cmp     edx, ecx
        ja      .full_pop
        mov     [si], edx
        pop     ecx
        pop     edx
        ret
.full_pop:
        pop     edx
.full:  xor     ecx, ecx
        pop     edx
        ret

; ---- int 1Ah AH=B1h: the PCI BIOS (PCI BIOS Specification 2.1, real-mode interface) -----------
;   B101h  installation check: EDX = 'PCI ', AL = 01h (mechanism #1), BX = 0210h, CL = last bus
;   B102h  find device CX (device ID), DX (vendor ID), index SI -> BH = bus, BL = devfn
;   B103h  find class code ECX (24 bits), index SI -> BH, BL
;   B108h-B10Dh  read/write configuration byte, word, dword: BH, BL, DI = register, CL/CX/ECX
; AH = 00h success, 81h unsupported function, 86h device not found, 87h bad register number.
int1a_pci_bios:
        cmp     al, 01h
        je      .present
        cmp     al, 02h
        je      .find_device
        cmp     al, 03h
        je      .find_class
        cmp     al, 08h
        jb      .unsupported
        cmp     al, 0Dh
        ja      .unsupported
        ; Configuration access: the register must be aligned to the access size.
        push    ax
        sub     al, 08h                 ; 0-2 read byte/word/dword, 3-5 write
        mov     ah, al
        cmp     ah, 3
        jb      .size
        sub     ah, 3
.size:  test    ah, ah
        jz      .aligned
        test    di, 1
        jnz     .bad_register
        cmp     ah, 2
        jne     .aligned
        test    di, 2
        jnz     .bad_register
.aligned:
        cmp     di, 0FFh
        ja      .bad_register
        cmp     al, 0
        je      .read_byte
        cmp     al, 1
        je      .read_word
        cmp     al, 2
        je      .read_dword
        cmp     al, 3
        je      .write_byte
        cmp     al, 4
        je      .write_word
        call    pci_write_config_dword
        jmp     .config_done
.read_byte:
        push    ax
        call    pci_read_config_byte
        mov     cl, al
        pop     ax
        jmp     .config_done
.read_word:
        push    ax
        call    pci_read_config_word
        mov     cx, ax
        pop     ax
        jmp     .config_done
.read_dword:
        push    eax
        call    pci_read_config_dword
        mov     ecx, eax
        pop     eax
        jmp     .config_done
.write_byte:
        call    pci_write_config_byte
        jmp     .config_done
.write_word:
        call    pci_write_config_word
.config_done:
        pop     ax
        xor     ah, ah
        jmp     return_carry_clear
.bad_register:
        pop     ax
        mov     ah, 87h
        jmp     return_carry_set
.unsupported:
        mov     ah, 81h
        jmp     return_carry_set
.present:
        mov     edx, 20494350h          ; 'PCI '
        mov     ax, 0001h               ; AH = 0, AL = mechanism #1
        mov     bx, 0210h               ; version 2.10
        xor     cl, cl                  ; the last bus is bus 0
        xor     edi, edi                ; no protected-mode entry point
        jmp     return_carry_clear

; Searches bus 0 for the SI-th function matching (EDX = vendor | device << 16) in the
; register selected by CH: 00h the ID dword, 08h the class code (the upper 24 bits).
.find_device:
        push    edx
        push    ecx
        shl     ecx, 16
        mov     cx, dx
        mov     edx, ecx                ; device << 16 | vendor
        mov     ecx, 0FFFFFFFFh
        xor     al, al                  ; register 00h
        jmp     .search
.find_class:
        push    edx
        push    ecx
        mov     edx, ecx
        shl     edx, 8                  ; class << 8, compared with register 08h's upper 24 bits
        mov     ecx, 0FFFFFF00h
        mov     al, 08h
.search:
        push    si
        push    di
        push    eax
        movzx   di, al
        xor     bx, bx
.try:   push    di
        xor     di, di
        call    pci_read_config_word
        pop     di
        cmp     ax, 0FFFFh
        je      .skip
        call    pci_read_config_dword
        and     eax, ecx
        cmp     eax, edx
        jne     .skip
        test    si, si
        jz      .found
        dec     si
.skip:  inc     bl
        jnz     .try
        pop     eax
        pop     di
        pop     si
        pop     ecx
        pop     edx
        mov     ah, 86h
        jmp     return_carry_set
.found: pop     eax
        pop     di
        pop     si
        pop     ecx
        pop     edx
        xor     ah, ah
        jmp     return_carry_clear
