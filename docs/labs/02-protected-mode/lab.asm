; Lab 2: from real mode to protected mode, paging and a page fault, and a sensitive instruction
; in user mode — one program, stopped at each step by a magic breakpoint (xchg bx,bx) so
; `emu -debug -magic-break` can show the machine at that moment. README.md walks through it.
;
; Build: nasm -f bin -o lab.bin lab.asm, then put lab.bin at the start of a disk image:
;   truncate -s 1M disk.img && dd if=lab.bin of=disk.img conv=notrunc
; Run:   emu -debug -magic-break -icount shift=0 -display none -hda disk.img
;
; Memory: this code at 7C00h (the BIOS loads sector 0; sector 0 loads the rest), the stacks
; below it, the page directory at 10000h and one page table at 11000h (identity map of the
; first 4 MiB, user-accessible), the TSS and IDT in this program's data.

bits 16
org 7C00h

SECTORS         equ 4                   ; what follows the boot sector (2 KiB)
CODE0           equ 08h                 ; the GDT's selectors (see gdt below)
DATA0           equ 10h
CODE3           equ 18h | 3             ; ring-3 selectors carry RPL 3
DATA3           equ 20h | 3
TSS_SEL         equ 28h
PAGE_DIR        equ 10000h
PAGE_TABLE      equ 11000h
MISSING_PAGE    equ 300000h             ; left not present: the first touch faults
KERNEL_STACK    equ 9000h
USER_STACK      equ 8000h
USER_SGDT       equ 7000h               ; where the ring-3 code stores what SGDT shows it

start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 7C00h
        ; The rest of the program: int 13h AH=02h reads SECTORS sectors after this one to 7E00h
        ; (DL still holds the boot drive the BIOS gave us).
        mov ax, 0200h | SECTORS
        mov cx, 0002h                   ; cylinder 0, sector 2
        xor dh, dh                      ; head 0
        mov bx, 7E00h
        int 13h
        jc disk_error

        lgdt [gdt_register]
        xchg bx, bx                     ; STOP 1: the GDT is loaded, the CPU is still in real mode

        mov eax, cr0
        or eax, 1                       ; CR0.PE: protected mode from the next instruction...
        mov cr0, eax
        jmp CODE0:protected_mode        ; ...and this far jump loads CS from the GDT

disk_error:
        hlt
        jmp disk_error

gdt_register:
        dw gdt_end - gdt - 1
        dd gdt

        times 510 - ($ - $$) db 0
        dw 0AA55h

; ---- sector 2 onwards: 32-bit code ---------------------------------------------------------

bits 32
protected_mode:
        mov ax, DATA0
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, KERNEL_STACK
        xchg bx, bx                     ; STOP 2: protected mode, flat segments, CPL 0

        ; Interrupts: an IDT with handlers for #GP (13) and #PF (14).
        mov eax, gp_handler
        mov ebx, 13
        call set_gate
        mov eax, pf_handler
        mov ebx, 14
        call set_gate
        lidt [idt_register]

        ; Paging: a page directory whose first entry points at one page table that maps the
        ; first 4 MiB onto themselves, every page present, writable and user-accessible —
        ; except MISSING_PAGE.
        mov edi, PAGE_DIR
        mov ecx, 1024
        xor eax, eax
        rep stosd
        mov dword [PAGE_DIR], PAGE_TABLE | 7            ; P RW US
        mov edi, PAGE_TABLE
        mov eax, 7                                      ; physical page 0, P RW US
        mov ecx, 1024
.map:   stosd
        add eax, 1000h
        loop .map
        mov dword [PAGE_TABLE + (MISSING_PAGE >> 12) * 4], 0
        mov eax, PAGE_DIR
        mov cr3, eax
        mov eax, cr0
        or eax, 80000000h               ; CR0.PG
        mov cr0, eax
        xchg bx, bx                     ; STOP 3: paging is on

        mov dword [MISSING_PAGE], 12345678h   ; #PF: the handler maps the page, then this retries
        mov eax, [MISSING_PAGE]

        ; User mode: the TSS holds the ring-0 stack the CPU switches to on an interrupt; IRET
        ; with a ring-3 CS:EIP and SS:ESP on the stack drops to CPL 3.
        mov dword [tss + 4], KERNEL_STACK       ; ESP0
        mov dword [tss + 8], DATA0              ; SS0
        mov ax, TSS_SEL
        ltr ax
        push dword DATA3                ; SS
        push dword USER_STACK           ; ESP
        push dword 2                    ; EFLAGS: IF clear, IOPL 0
        push dword CODE3                ; CS
        push dword user_mode            ; EIP
        iret

user_mode:
        mov ax, DATA3                   ; the IRET to ring 3 nulled DS and ES (their DPL 0 < CPL 3)
        mov ds, ax
        mov es, ax
        sgdt [USER_SGDT]                ; sensitive: CPL 3 reads the real GDTR, no trap
        xchg bx, bx                     ; STOP 5: in ring 3 after SGDT
        cli                             ; privileged at IOPL 0: #GP
        jmp $

; #PF: CR2 holds the address, the error code is on the stack (SDM Vol. 3A, 6.15, "Interrupt 14").
pf_handler:
        xchg bx, bx                     ; STOP 4: in the page-fault handler
        push eax
        mov eax, cr2
        and eax, 0FFFFF000h
        or eax, 7                       ; map the page onto itself: P RW US
        mov [PAGE_TABLE + (MISSING_PAGE >> 12) * 4], eax
        invlpg [MISSING_PAGE]
        pop eax
        add esp, 4                      ; the error code
        iret                            ; back to the faulting instruction, which now succeeds

; #GP from user mode: the lab ends here.
gp_handler:
        xchg bx, bx                     ; STOP 6: the CLI in ring 3 raised #GP
        mov al, 'G'
        out 0E9h, al
.halt:  hlt
        jmp .halt

; Writes an interrupt gate for vector EBX to handler EAX (selector CODE0, DPL 0).
set_gate:
        mov [idt + ebx * 8], ax
        mov word [idt + ebx * 8 + 2], CODE0
        mov word [idt + ebx * 8 + 4], 8E00h     ; P, DPL 0, 32-bit interrupt gate
        shr eax, 16
        mov [idt + ebx * 8 + 6], ax
        ret

; ---- data --------------------------------------------------------------------------------

align 8
gdt:
        dq 0                                    ; 00h: the null descriptor
        dq 00CF9A000000FFFFh                    ; 08h: code, ring 0, base 0, 4 GiB, 32-bit
        dq 00CF92000000FFFFh                    ; 10h: data, ring 0
        dq 00CFFA000000FFFFh                    ; 18h: code, ring 3
        dq 00CFF2000000FFFFh                    ; 20h: data, ring 3
        dw 103, tss                             ; 28h: 32-bit TSS, 104 bytes at `tss`
        db 0, 89h, 0, 0                         ;      (available; the base fits in 16 bits)
gdt_end:

idt_register:                                   ; vectors 0-31, the exceptions: enough here
        dw 32 * 8 - 1
        dd idt

align 4
tss:    times 104 db 0

align 8
idt:    times 32 * 8 db 0

        times (1 + SECTORS) * 512 - ($ - $$) db 0
