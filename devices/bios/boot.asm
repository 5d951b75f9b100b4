; ---- int 19h: boot; int 18h: no boot device ---------------------------------------------------
; int 19h asks emu for the kernel given with -kernel (FW_LOAD_KERNEL), which emu loads into RAM
; the way a boot loader would, and starts it:
; - Linux (Documentation/arch/x86/boot.rst, "Running the kernel"): the kernel's own real-mode
;   setup code runs first, on this BIOS's services; it is entered at (setup segment + 20h):0000
;   with DS = ES = FS = GS = SS = the setup segment and SP at the end of its heap.
; - Multiboot (Multiboot Specification 0.6.96, 3.2 "Machine state"): 32-bit protected mode with
;   flat 4 GiB segments, paging and interrupts off, A20 on, EAX = 2BADB002h, EBX = the
;   information structure, at the kernel's entry point.
; Without a kernel there is nothing to boot yet (disks come with the storage work): int 18h.

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
        int     18h

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

int18_no_boot_device:
        mov     ax, 0F000h
        mov     ds, ax
        mov     si, no_boot_device
        call    print_string
boot_failed:
        sti
.halt:  hlt
        jmp     .halt
