; ---- POST: power-on self test and machine set-up ------------------------------------------
; Each step writes a POST code to port 80h first, as PC BIOSes do, so a hang can be located
; with `-postcode file:PATH` (emu) or a POST card (a real PC).

post:
        cli
        cld
        mov     al, 01h
        out     PORT_POST_CODE, al
        ; Fast A20 on (System Control Port A bit 1): the boot loaders we start expect it, and
        ; the kernel's own A20 check then passes at once.
        in      al, PORT_SYSTEM_CONTROL_A
        or      al, 02h
        and     al, 0FEh                ; bit 0 would reset the machine
        out     PORT_SYSTEM_CONTROL_A, al
        xor     ax, ax
        mov     ss, ax
        mov     sp, POST_STACK_TOP
        mov     ds, ax
        mov     es, ax

        mov     al, 02h
        out     PORT_POST_CODE, al
        call    shadow_bios
        call    init_mtrrs

        mov     al, 03h
        out     PORT_POST_CODE, al
        call    init_interrupt_vectors
        call    init_bios_data_area

        mov     al, 04h
        out     PORT_POST_CODE, al
        call    init_pics
        call    init_pit
        call    init_rtc

        mov     al, 05h
        out     PORT_POST_CODE, al
        call    init_keyboard_controller
        call    init_serial_ports
        call    init_serial_console

        mov     al, 06h
        out     PORT_POST_CODE, al
        mov     ax, 0003h               ; 80x25 colour text, screen cleared
        int     10h
        mov     si, banner
        call    print_string

        mov     al, 07h
        out     PORT_POST_CODE, al
        call    pci_setup

        mov     al, 08h
        out     PORT_POST_CODE, al
        call    build_firmware_tables

        mov     al, 09h
        out     PORT_POST_CODE, al
        call    lock_bios_shadow

        mov     al, 0AAh                ; POST done: booting
        out     PORT_POST_CODE, al
        sti
        int     19h
        jmp     boot_failed             ; int 19h does not return; if it does, say so

; Copies this ROM into the RAM beneath it (the i440FX's shadow RAM; 82441FX datasheet, PAM
; registers). With PAM0 set to write-only, reads of F0000-FFFFF still come from the ROM while
; writes go to RAM, so copying the segment onto itself moves it into RAM. Then RAM is made
; readable and writable: POST writes the firmware tables into it, and lock_bios_shadow makes it
; read-only at the end, as on a real PC.
PAM0                    equ 59h         ; bits 5:4: F0000-FFFFF; 01 read, 10 write, 11 both
PAM_WRITE_ONLY          equ 20h
PAM_READ_WRITE          equ 30h
PAM_READ_ONLY           equ 10h
I440FX_DEVFN            equ 00h

shadow_bios:
        mov     bx, I440FX_DEVFN
        mov     di, PAM0
        mov     cl, PAM_WRITE_ONLY
        call    pci_write_config_byte
        push    ds
        push    es
        mov     ax, 0F000h
        mov     ds, ax
        mov     es, ax
        xor     si, si
        xor     di, di
        mov     cx, 4000h               ; 64 KiB in dwords
        rep movsd
        pop     es
        pop     ds
        mov     di, PAM0
        mov     cl, PAM_READ_WRITE
        jmp     pci_write_config_byte

lock_bios_shadow:
        mov     bx, I440FX_DEVFN
        mov     di, PAM0
        mov     cl, PAM_READ_ONLY
        jmp     pci_write_config_byte

; Memory types (SDM Vol. 3A, 12.11 "Memory Type Range Registers"), as PC firmware leaves them:
; everything write-back by default; the PCI memory window (E0000000h up, 512 MiB to 4 GiB) and
; the VGA window (A0000h-BFFFFh) uncached; the ROM/shadow area C0000h-FFFFFh write-protected.
MTRR_PHYS_BASE0         equ 200h
MTRR_PHYS_MASK0         equ 201h
MTRR_FIX_64K_00000      equ 250h
MTRR_FIX_16K_80000      equ 258h
MTRR_FIX_16K_A0000      equ 259h
MTRR_FIX_4K_C0000       equ 268h        ; eight registers, 268h-26Fh
MTRR_DEF_TYPE           equ 2FFh
MEMTYPE_UC              equ 00h
MEMTYPE_WP              equ 05h
MEMTYPE_WB              equ 06h

init_mtrrs:
        pushad
        mov     eax, 1
        cpuid
        test    edx, 1 << 12            ; CPUID.1:EDX.MTRR
        jz      .done
        mov     eax, MEMTYPE_WB * 01010101h
        mov     edx, eax
        mov     ecx, MTRR_FIX_64K_00000
        wrmsr
        mov     ecx, MTRR_FIX_16K_80000
        wrmsr
        mov     eax, MEMTYPE_UC * 01010101h
        mov     edx, eax
        mov     ecx, MTRR_FIX_16K_A0000
        wrmsr
        mov     eax, MEMTYPE_WP * 01010101h
        mov     edx, eax
        mov     ecx, MTRR_FIX_4K_C0000
.fixed: wrmsr
        inc     ecx
        cmp     ecx, MTRR_FIX_4K_C0000 + 8
        jb      .fixed
        mov     ecx, MTRR_PHYS_BASE0
        mov     eax, PCI_MEM_BASE | MEMTYPE_UC
        xor     edx, edx
        wrmsr
        mov     ecx, MTRR_PHYS_MASK0    ; 36-bit mask for a 512 MiB range, bit 11 = valid
        mov     eax, 0E0000800h
        mov     edx, 0Fh
        wrmsr
        mov     ecx, MTRR_DEF_TYPE      ; E (bit 11), FE (bit 10), default type write-back
        mov     eax, 0C00h | MEMTYPE_WB
        xor     edx, edx
        wrmsr
.done:  popad
        ret

; Points all 256 vectors at an IRET, then installs the BIOS's handlers from `vector_table`.
init_interrupt_vectors:
        push    es
        xor     ax, ax
        mov     es, ax
        xor     di, di
        mov     cx, 256
.fill:  mov     word [es:di], default_interrupt
        mov     word [es:di + 2], 0F000h
        add     di, 4
        loop    .fill
        mov     si, vector_table
.next:  cs lodsw                        ; vector number, or FFFFh at the end
        cmp     ax, 0FFFFh
        je      .done
        mov     di, ax
        shl     di, 2
        cs lodsw                        ; handler offset in this segment
        mov     [es:di], ax
        mov     word [es:di + 2], 0F000h
        jmp     .next
.done:  pop     es
        ret

; The BIOS data area (0040:0000) and the EBDA: COM ports, equipment, memory size, keyboard
; buffer, and the EBDA pointer. Video fields are set by int 10h's mode set.
init_bios_data_area:
        push    es
        xor     ax, ax
        mov     es, ax
        mov     di, 0400h
        mov     cx, 0080h               ; 256 bytes
        rep stosw
        mov     ax, EBDA_SEG
        mov     es, ax
        xor     di, di
        mov     cx, EBDA_KIB * 512
        xor     ax, ax
        rep stosw
        mov     byte [es:0], EBDA_KIB   ; the EBDA's first byte is its size in KiB
        mov     ax, BDA_SEG
        mov     es, ax
        mov     word [es:BDA_EBDA_SEGMENT], EBDA_SEG
        mov     word [es:BDA_MEMORY_KIB], BASE_MEMORY_KIB
        ; Equipment word (int 11h): x87 present (bit 1), PS/2 mouse (bit 2), 80x25 colour
        ; (bits 5:4 = 10b); init_serial_ports adds the serial port count (bits 11:9).
        mov     word [es:BDA_EQUIPMENT], 0026h
        mov     word [es:BDA_KBD_BUFFER_START], BDA_KBD_BUFFER
        mov     word [es:BDA_KBD_BUFFER_END], BDA_KBD_BUFFER + 32
        mov     word [es:BDA_KBD_HEAD], BDA_KBD_BUFFER
        mov     word [es:BDA_KBD_TAIL], BDA_KBD_BUFFER
        mov     byte [es:BDA_KBD_FLAGS3], 10h   ; an enhanced (101/102-key) keyboard
        mov     byte [es:BDA_HARD_DISKS], 0
        pop     es
        ret

; The two 8259As (8259A datasheet, "Initialization Command Words"): edge triggered, cascaded on
; IR2, vectors 08h-0Fh (master) and 70h-77h (slave) as on every PC. IRQ 0 (timer), 1
; (keyboard) and 2 (cascade) are unmasked; drivers unmask the rest.
init_pics:
        mov     al, 11h                 ; ICW1: edge, cascade, ICW4 follows
        out     PORT_PIC1_CMD, al
        out     PORT_PIC2_CMD, al
        mov     al, 08h                 ; ICW2: vector base
        out     PORT_PIC1_DATA, al
        mov     al, 70h
        out     PORT_PIC2_DATA, al
        mov     al, 04h                 ; ICW3: the slave hangs on IR2
        out     PORT_PIC1_DATA, al
        mov     al, 02h                 ; ICW3: the slave's cascade identity
        out     PORT_PIC2_DATA, al
        mov     al, 01h                 ; ICW4: 8086 mode, normal EOI
        out     PORT_PIC1_DATA, al
        out     PORT_PIC2_DATA, al
        mov     al, 0F8h                ; OCW1: IRQ 0, 1, 2 open
        out     PORT_PIC1_DATA, al
        mov     al, 0FFh
        out     PORT_PIC2_DATA, al
        ret

; PIT channel 0, mode 3 (square wave), count 0 = 65536: IRQ 0 at 1193182 / 65536 = 18.2 Hz,
; the PC's timer tick (BDA 046Ch).
init_pit:
        mov     al, 36h                 ; channel 0, LSB then MSB, mode 3, binary
        out     PORT_PIT_CONTROL, al
        xor     al, al
        out     PORT_PIT_CH0, al
        out     PORT_PIT_CH0, al
        ret

; RTC: the 32.768 kHz time base with the divider running (register A = 26h), BCD, 24-hour
; mode, no interrupts (register B = 02h); the shutdown status byte cleared (a warm start).
init_rtc:
        mov     ax, 260Ah
        call    cmos_write
        mov     ax, 020Bh
        call    cmos_write
        mov     al, 0Ch                 ; read register C: clears any stale interrupt flag
        call    cmos_read
        mov     ax, 000Fh
        jmp     cmos_write

; AL = CMOS index; returns AL = its value. NMI stays enabled (bit 7 of the index clear).
cmos_read:
        and     al, 7Fh
        out     PORT_CMOS_INDEX, al
        in      al, PORT_CMOS_DATA
        ret
; AL = CMOS index, AH = value.
cmos_write:
        and     al, 7Fh
        out     PORT_CMOS_INDEX, al
        mov     al, ah
        out     PORT_CMOS_DATA, al
        ret

; The 8042 and the keyboard behind it (IBM PC/AT Technical Reference, keyboard controller):
; controller self test (AAh -> 55h), then the command byte: keyboard interrupt on, system flag,
; mouse port off until a driver wants it, scan codes translated to set 1. Then the keyboard is
; reset (FFh -> FAh AAh). Every wait is bounded: a machine without a keyboard still boots.
init_keyboard_controller:
        mov     al, 0AAh
        call    kbc_command
        call    kbc_read                ; 55h if the controller passed
        mov     al, 60h                 ; write the command byte
        call    kbc_command
        mov     al, 65h                 ; XLATE | DISABLE_AUX | SYS | INT
        call    kbc_write_data
        mov     al, 0AEh                ; keyboard interface on
        call    kbc_command
        mov     al, 0FFh                ; keyboard reset
        call    kbc_write_data
        call    kbc_read                ; FAh (acknowledge)
        call    kbc_read                ; AAh (self test passed)
        ret

; Waits until the controller's input buffer is empty, then writes AL as a command (port 64h)
; or as data (port 60h).
kbc_command:
        call    kbc_wait_input_empty
        out     PORT_KBC_STATUS, al
        ret
kbc_write_data:
        call    kbc_wait_input_empty
        out     PORT_KBC_DATA, al
        ret
kbc_wait_input_empty:
        push    ax
        push    cx
        mov     cx, 0FFFFh
.wait:  in      al, PORT_KBC_STATUS
        test    al, 02h                 ; IBF
        jz      .done
        loop    .wait
.done:  pop     cx
        pop     ax
        ret
; Returns AL = the next byte from the controller, CF set on timeout.
kbc_read:
        push    cx
        mov     cx, 0FFFFh
.wait:  in      al, PORT_KBC_STATUS
        test    al, 01h                 ; OBF
        jnz     .ready
        loop    .wait
        pop     cx
        stc
        ret
.ready: in      al, PORT_KBC_DATA
        pop     cx
        clc
        ret

; COM1-COM4 at their standard addresses: a UART is there if its scratch register keeps what
; is written to it. Found ports go into the BDA and the equipment word (bits 11:9).
init_serial_ports:
        push    es
        mov     ax, BDA_SEG
        mov     es, ax
        mov     si, standard_com_ports
        xor     bx, bx                  ; ports found
.next:  cs lodsw
        test    ax, ax
        jz      .done
        mov     dx, ax
        add     dx, 7                   ; SCR, scratch register
        mov     al, 5Ah
        out     dx, al
        in      al, dx
        cmp     al, 5Ah
        jne     .next
        sub     dx, 7
        mov     [es:bx + BDA_COM_PORTS], dx
        add     bx, 2
        jmp     .next
.done:  shl     bx, 8                   ; (count * 2) << 8 = count << 9
        or      [es:BDA_EQUIPMENT], bx
        pop     es
        ret

; Asks emu to write the memory map and the ACPI, SMBIOS and $PIR tables (FW_BUILD_TABLES).
build_firmware_tables:
        push    es
        mov     ax, EBDA_SEG
        mov     es, ax
        mov     di, EBDA_E820_TABLE
        mov     cx, E820_MAX_ENTRIES
        mov     ebx, 0F0000h + firmware_anchor_area
        mov     esi, FIRMWARE_ANCHOR_SIZE
        mov     dx, FW_HYPERCALL_PORT
        mov     al, FW_BUILD_TABLES
        out     dx, al
        jnc     .ok
        mov     si, tables_failed
        call    print_string
.ok:    mov     [es:EBDA_E820_COUNT], cx
        pop     es
        ret

; Prints the zero-terminated string at CS:SI on the screen (and the debug console).
print_string:
        push    ax
        push    bx
        push    si
        mov     ah, 0Eh
        xor     bx, bx
.next:  cs lodsb
        test    al, al
        jz      .done
        int     10h
        call    serial_console_putc
        jmp     .next
.done:  pop     si
        pop     bx
        pop     ax
        ret
