; ---- int 19h: boot; int 18h: no boot device ---------------------------------------------------
; int 19h first asks emu for the kernel given with -kernel (FW_LOAD_KERNEL), which emu loads into
; RAM the way a boot loader would, and starts it:
; - Linux (Documentation/arch/x86/boot.rst, "Running the kernel"): the kernel's own real-mode
;   setup code runs first, on this BIOS's services; it is entered at (setup segment + 20h):0000
;   with DS = ES = FS = GS = SS = the setup segment and SP at the end of its heap.
; - Multiboot (Multiboot Specification 0.6.96, 3.2 "Machine state"): 32-bit protected mode with
;   flat 4 GiB segments, paging and interrupts off, A20 on, EAX = 2BADB002h, EBX = the
;   information structure, at the kernel's entry point.
; Without a kernel it boots from the disks: with -boot menu=on it offers the boot menu first,
; then FW_BOOT_DEVICE loads the boot sector of the first bootable device in -boot's order (a
; hard disk's sector 0 at 0000:7C00, or a CD's El Torito boot image at its load segment) and
; says what it tried; the boot code starts with DL = its drive, as on every PC. Nothing
; bootable: int 18h.

int19_boot:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, POST_STACK_TOP
        mov     dx, FW_HYPERCALL_PORT
        mov     al, FW_LOAD_KERNEL
        out     dx, al
        cmp     eax, FW_BOOT_LINUX
        je      boot_linux
        cmp     eax, FW_BOOT_MULTIBOOT
        je      boot_multiboot
        sti                             ; the boot menu waits on the timer and the keyboard
        call    boot_menu               ; CL = the entry chosen, or 0
        xor     ax, ax
        mov     es, ax
        mov     di, BOOT_TEXT_BUFFER
        mov     si, BOOT_TEXT_BUFFER_BYTES
        mov     dx, FW_HYPERCALL_PORT
        mov     al, FW_BOOT_DEVICE
        out     dx, al
        push    eax
        call    print_boot_text         ; "Booting from ...", and why a device did not boot
        pop     eax
        cmp     eax, FW_BOOT_SECTOR
        jne     .nothing
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, BOOT_SECTOR_ADDRESS
        push    bx                      ; far return to BX:CX with DL = the boot drive
        push    cx
        xor     dh, dh
        retf
.nothing:
        int     18h

; -boot menu=on: "Press ESC for boot menu." for about 2.5 s (46 ticks of the 18.2 Hz BDA
; counter); ESC shows the menu emu wrote and waits for a digit. Returns CL = the entry, 0 for
; none (then the boot order decides).
boot_menu:
        xor     ax, ax
        mov     es, ax
        mov     di, BOOT_TEXT_BUFFER
        mov     cx, BOOT_TEXT_BUFFER_BYTES
        mov     dx, FW_HYPERCALL_PORT
        mov     al, FW_BOOT_MENU
        out     dx, al
        xor     cx, cx
        test    eax, eax
        jz      .done
        mov     si, press_esc_for_menu
        call    print_string
        push    ds
        mov     ax, BDA_SEG
        mov     ds, ax
        mov     ebx, [BDA_TICKS]
.wait:  call    boot_menu_key
        jz      .no_key
        cmp     al, 1Bh
        je      .show
.no_key:
        mov     eax, [BDA_TICKS]
        sub     eax, ebx
        cmp     eax, BOOT_MENU_TICKS
        jae     .timeout
        hlt
        jmp     .wait
.show:  pop     ds
        call    print_boot_text
.choose:
        call    boot_menu_key
        jnz     .got
        hlt
        jmp     .choose
.got:   cmp     al, 1Bh                 ; ESC again: no choice, follow the boot order
        je      .done
        sub     al, '1'
        cmp     al, 9
        jae     .choose
        inc     al
        mov     cl, al
        jmp     .done
.timeout:
        pop     ds
.done:  ret

; Prints the NUL-terminated text at 0000:BOOT_TEXT_BUFFER.
print_boot_text:
        push    ds
        push    si
        push    bx
        xor     si, si
        mov     ds, si
        mov     si, BOOT_TEXT_BUFFER
        mov     ah, 0Eh
        xor     bx, bx
.next:  lodsb
        test    al, al
        jz      .done
        int     10h
        call    serial_console_putc
        jmp     .next
.done:  pop     bx
        pop     si
        pop     ds
        ret

boot_linux:
        mov     si, booting_linux
        call    print_string
        mov     ds, bx
        mov     es, bx
        mov     fs, bx
        mov     gs, bx
        mov     ss, bx
        mov     sp, cx
        add     bx, 20h
        push    bx                      ; far return to (setup + 20h):0000
        push    word 0
        retf

boot_multiboot:
        push    si
        mov     si, booting_multiboot
        call    print_string
        pop     si
        lgdt    [cs:multiboot_gdt_descriptor]
        mov     eax, cr0
        or      al, 1                   ; PE
        mov     cr0, eax
        jmp     dword 08h:(0F0000h + .protected)
bits 32
.protected:
        mov     ax, 10h
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     eax, 2BADB002h
        jmp     esi
bits 16

; A key for the boot menu, from the keyboard or the serial console: ZF clear and AL = the
; character, or ZF set when none is waiting.
boot_menu_key:
        mov     ah, 01h
        int     16h
        jz      .serial
        xor     ah, ah
        int     16h
        or      ah, 1                   ; ZF clear
        ret
.serial:
        push    ds
        push    dx
        mov     dx, EBDA_SEG
        mov     ds, dx
        mov     dx, [EBDA_SERIAL_CONSOLE]
        test    dx, dx
        jz      .none
        add     dx, 5                   ; LSR
        in      al, dx
        test    al, 01h                 ; DR: a character is waiting
        jz      .none
        sub     dx, 5                   ; RBR
        in      al, dx
        or      dx, dx                  ; ZF clear (DX is the UART base, never 0 here)
.none:  pop     dx
        pop     ds
        ret

; ---- the serial console ------------------------------------------------------------------------
; With -nographic there is no screen to read, so emu names a UART (FW_SERIAL_CONSOLE) and the
; BIOS copies its own messages there (the banner, the boot menu, "Booting from ...") and takes
; boot-menu keys from it, as SeaBIOS's serial console does under QEMU. Programs that print
; through int 10h themselves are not copied: a boot loader with its own serial support (ISOLINUX
; `SERIAL`, GRUB `terminal_output serial`) talks to the UART directly.
init_serial_console:
        push    es
        mov     ax, EBDA_SEG
        mov     es, ax
        mov     dx, FW_HYPERCALL_PORT
        mov     al, FW_SERIAL_CONSOLE
        xor     ah, ah
        out     dx, al
        mov     [es:EBDA_SERIAL_CONSOLE], ax
        pop     es
        ret

; Copies AL to the serial console, if there is one. Waits for THRE (LSR bit 5) a bounded time.
serial_console_putc:
        push    ds
        push    dx
        push    cx
        push    ax
        mov     dx, EBDA_SEG
        mov     ds, dx
        mov     dx, [EBDA_SERIAL_CONSOLE]
        test    dx, dx
        jz      .done
        add     dx, 5
        mov     cx, 0FFFFh
.wait:  in      al, dx
        test    al, 20h
        loopz   .wait
        sub     dx, 5
        pop     ax
        push    ax
        out     dx, al
.done:  pop     ax
        pop     cx
        pop     dx
        pop     ds
        ret

int18_no_boot_device:
        mov     ax, 0F000h
        mov     ds, ax
        mov     si, no_boot_device
        call    print_string
boot_failed:
        sti
.halt:  hlt
        jmp     .halt
