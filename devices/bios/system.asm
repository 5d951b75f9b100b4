; ---- int 11h, int 12h, int 15h: the machine ----------------------------------------------------

; int 11h: AX = the equipment word (BDA 0410h).
int11_equipment:
        push    ds
        mov     ax, BDA_SEG
        mov     ds, ax
        mov     ax, [BDA_EQUIPMENT]
        pop     ds
        iret

; int 12h: AX = KiB of base memory below the EBDA (BDA 0413h).
int12_memory_size:
        push    ds
        mov     ax, BDA_SEG
        mov     ds, ax
        mov     ax, [BDA_MEMORY_KIB]
        pop     ds
        iret

; int 15h, the system services:
;   AX=2400h/2401h  A20 off/on (port 92h; off also through the 8042), 2402h status, 2403h support
;   AH=4Fh          keyboard intercept: CF stays set, the scan code is kept
;   AH=86h          wait CX:DX microseconds
;   AH=87h          copy CX words between the addresses in the descriptor table at ES:SI
;   AH=88h          KiB of memory from 1 MiB (at most FFFFh), as the E820 map has it
;   AH=C0h          ES:BX = the system configuration table
;   AX=E801h        memory above 1 MiB: AX = CX = KiB up to 16 MiB, BX = DX = 64 KiB blocks above,
;                   as the E820 map has it
;   EAX=E820h       the memory map, one entry a call (EBX = continuation)
; Everything else (APM 53h, mouse C2h, ...) answers AH = 86h with CF set: "not supported".
int15_system:
        cmp     ah, 4Fh
        je      .intercept
        sti
        cmp     ax, 0E820h
        je      int15_e820
        cmp     ax, 0E801h
        je      int15_e801
        cmp     ah, 88h
        je      int15_extended_memory
        cmp     ah, 24h
        je      int15_a20
        cmp     ah, 86h
        je      int15_wait
        cmp     ah, 87h
        je      int15_block_move
        cmp     ah, 0C0h
        je      int15_configuration
        cmp     ah, 91h                 ; "device post": an OS hook, nothing to do
        je      .ok
        cmp     ah, 90h                 ; "device busy"
        je      .ok
        mov     ah, 86h
        jmp     return_carry_set
.ok:    xor     ah, ah
        jmp     return_carry_clear
.intercept:
        iret                            ; CF as the caller set it: keep the scan code

int15_e820:
        cmp     edx, 534D4150h          ; 'SMAP'
        jne     .fail
        cmp     ecx, 20
        jb      .fail
        push    ds
        push    si
        push    di
        push    ax
        mov     ax, EBDA_SEG
        mov     ds, ax
        pop     ax
        cmp     ebx, 0FFFFh
        jae     .out_of_range
        cmp     bx, [EBDA_E820_COUNT]
        jae     .out_of_range
        imul    si, bx, 20
        add     si, EBDA_E820_TABLE
        mov     cx, 5                   ; base (8), length (8), type (4) = 5 dwords
.copy:  mov     eax, [si]
        mov     [es:di], eax
        add     si, 4
        add     di, 4
        loop    .copy
        inc     bx
        cmp     bx, [EBDA_E820_COUNT]
        jb      .more
        xor     ebx, ebx                ; that was the last entry
.more:  mov     eax, 534D4150h
        mov     ecx, 20
        pop     di
        pop     si
        pop     ds
        jmp     return_carry_clear
.out_of_range:
        pop     di
        pop     si
        pop     ds
.fail:  mov     ah, 86h
        jmp     return_carry_set

; E801h and 88h describe the same memory as the E820 map: the usable RAM that starts at 1 MiB.
; (The CMOS sizes count all of RAM, including the firmware tables at its top, which the map
; reserves; an OS that sized memory from them would overwrite the ACPI tables.)
int15_e801:
        push    eax
        call    extended_memory_end
        push    eax
        sub     eax, 100000h
        shr     eax, 10                 ; KiB above 1 MiB
        cmp     eax, 15 * 1024          ; ... up to 16 MiB: at most 15 MiB
        jbe     .below_16m
        mov     eax, 15 * 1024
.below_16m:
        mov     cx, ax
        pop     eax
        xor     bx, bx
        sub     eax, 1000000h
        jbe     .no_high
        shr     eax, 16                 ; 64 KiB blocks above 16 MiB
        mov     bx, ax
.no_high:
        pop     eax
        mov     ax, cx
        mov     dx, bx
        jmp     return_carry_clear

int15_extended_memory:
        push    ebx
        mov     ebx, eax                ; the caller's EAX: only AX is an answer
        call    extended_memory_end
        sub     eax, 100000h
        shr     eax, 10
        cmp     eax, 0FFFFh
        jbe     .fits
        mov     ax, 0FFFFh
.fits:  mov     bx, ax
        mov     eax, ebx
        pop     ebx
        jmp     return_carry_clear

; EAX = the end of the usable E820 entry that starts at 1 MiB (1 MiB if there is none), from
; the map POST keeps in the EBDA.
extended_memory_end:
        push    ds
        push    si
        push    cx
        mov     ax, EBDA_SEG
        mov     ds, ax
        mov     eax, 100000h
        mov     cx, [EBDA_E820_COUNT]
        cmp     cx, E820_MAX_ENTRIES
        jbe     .count_ok
        mov     cx, E820_MAX_ENTRIES
.count_ok:
        mov     si, EBDA_E820_TABLE
        jcxz    .done
.next:  cmp     dword [si], 100000h     ; base
        jne     .skip
        cmp     dword [si + 4], 0
        jne     .skip
        cmp     dword [si + 16], 1      ; usable
        jne     .skip
        cmp     dword [si + 12], 0      ; a length beyond 4 GiB: the end saturates
        jne     .saturate
        add     eax, [si + 8]
        jnc     .done
.saturate:
        mov     eax, 0FFFFFFFFh
        jmp     .done
.skip:  add     si, 20
        loop    .next
.done:  pop     cx
        pop     si
        pop     ds
        ret

; A20 through System Control Port A, bit 1 (PIIX3). The board's A20 is the OR of that bit and
; the 8042's output port bit 1 (which comes up on), so "off" clears both.
int15_a20:
        cmp     al, 03h
        je      .support
        cmp     al, 02h
        je      .status
        cmp     al, 01h
        ja      .bad
        push    ax
        mov     ah, al                  ; 0 = off, 1 = on
        shl     ah, 1
        in      al, PORT_SYSTEM_CONTROL_A
        and     al, 0FCh                ; never the reset bit
        or      al, ah
        out     PORT_SYSTEM_CONTROL_A, al
        pop     ax
        test    al, al
        jnz     .set
        push    ax
        mov     al, 0D1h                ; 8042: write the output port
        call    kbc_command
        mov     al, 0DDh                ; A20 (bit 1) low, the reset line (bit 0) high
        call    kbc_write_data
        pop     ax
.set:   xor     ah, ah
        jmp     return_carry_clear
.status:
        in      al, PORT_SYSTEM_CONTROL_A
        shr     al, 1
        and     al, 1
        xor     ah, ah
        jmp     return_carry_clear
.support:
        mov     bx, 0003h               ; keyboard controller and port 92h
        xor     ah, ah
        jmp     return_carry_clear
.bad:   mov     ah, 86h
        jmp     return_carry_set

; AH=86h: waits CX:DX microseconds by counting the refresh-request toggles of port 61h bit 4,
; one every 15.085 us (PIT channel 1 as the PC/AT BIOS programs it).
int15_wait:
        push    eax
        push    ecx
        shl     ecx, 16
        mov     cx, dx
        shr     ecx, 4                  ; / 16 ~ / 15.085: toggles to see
        inc     ecx
        in      al, PORT_PORT_B
        and     al, 10h
        mov     ah, al
.next:  in      al, PORT_PORT_B
        and     al, 10h
        cmp     al, ah
        je      .next
        mov     ah, al
        dec     ecx
        jnz     .next
        pop     ecx
        pop     eax
        xor     ah, ah
        jmp     return_carry_clear

; AH=87h: block move. ES:SI points at a 48-byte GDT the caller filled: entry 2 (at
; +10h) describes the source, entry 3 (+18h) the destination. The BIOS completes it with a code
; segment, enters protected mode, copies CX words with 32-bit addresses, and returns to real
; mode (IBM PC/AT Technical Reference, "Move Block"). Interrupts stay off while it runs, and
; A20 is on (port 92h) so addresses above 1 MiB do not wrap; port 92h is restored afterwards.
int15_block_move:
        cli
        pushad
        push    ds
        push    es
        in      al, PORT_SYSTEM_CONTROL_A
        push    ax
        or      al, 02h
        and     al, 0FEh                ; bit 0 would reset the machine
        out     PORT_SYSTEM_CONTROL_A, al
        ; GDT entry 4 (+20h): our code segment, F0000h, 64 KiB, 16-bit execute/read.
        mov     word [es:si + 20h], 0FFFFh
        mov     word [es:si + 22h], 0000h
        mov     byte [es:si + 24h], 0Fh
        mov     word [es:si + 25h], 009Bh
        mov     byte [es:si + 27h], 0
        ; GDT entry 5 (+28h): a stack segment with the caller's SS base.
        mov     dx, ss                  ; kept in DX for the way back
        mov     word [es:si + 28h], 0FFFFh
        movzx   eax, dx
        shl     eax, 4
        mov     [es:si + 2Ah], ax
        shr     eax, 16
        mov     [es:si + 2Ch], al
        mov     word [es:si + 2Dh], 0093h
        mov     byte [es:si + 2Fh], 0
        ; Entry 1 (+08h) is the GDT itself, as the caller's table describes it.
        push    es
        pop     ax
        movzx   eax, ax
        shl     eax, 4
        movzx   ebx, si
        add     eax, ebx
        mov     word [es:si + 08h], 47
        mov     [es:si + 0Ah], ax
        shr     eax, 16
        mov     [es:si + 0Ch], al
        mov     word [es:si + 0Dh], 0093h
        lgdt    [es:si + 08h]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     20h:.protected
.protected:
        mov     ax, 28h
        mov     ss, ax
        mov     ax, 10h
        mov     ds, ax
        mov     ax, 18h
        mov     es, ax
        xor     esi, esi
        xor     edi, edi
        movzx   ecx, cx
        a32 rep movsw
        mov     ax, 28h                 ; a 64 KiB data segment for each register before
        mov     ds, ax                  ; returning to real mode, as the AT BIOS leaves them
        mov     es, ax
        mov     eax, cr0
        and     al, 0FEh
        mov     cr0, eax
        jmp     0F000h:.real
.real:  mov     ss, dx
        pop     ax
        and     al, 0FEh
        out     PORT_SYSTEM_CONTROL_A, al
        pop     es
        pop     ds
        popad
        xor     ah, ah
        jmp     return_carry_clear

int15_configuration:
        mov     bx, 0F000h
        mov     es, bx
        mov     bx, system_configuration_table
        xor     ah, ah
        jmp     return_carry_clear
