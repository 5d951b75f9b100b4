; ---- int 13h: disk services -----------------------------------------------------------------
; This machine has no disk controller yet (IDE comes with the storage work), so int 13h answers
; every drive the way a BIOS answers for a drive that is not there: AH=15h (get type) says
; "no drive" with CF clear, everything else fails with AH = 01h (invalid function or drive) and
; CF set. Each call's status is kept in the BDA (0441h floppies, 0474h hard disks), where AH=01h
; reads it back: AH = the last status, CF set unless it was 00h (IBM PC/AT BIOS, "Return Status").

int13_disk:
        sti
        cmp     ah, 01h
        je      .status
        cmp     ah, 15h
        je      .no_drive
        mov     ah, 01h
        call    disk_keep_status
        jmp     return_carry_set
.no_drive:
        xor     ah, ah
        call    disk_keep_status
        jmp     return_carry_clear
.status:
        push    ds
        push    bx
        call    disk_status_address
        mov     ah, [bx]
        pop     bx
        pop     ds
        test    ah, ah
        jnz     return_carry_set
        jmp     return_carry_clear

; DS:BX := the BDA byte that keeps the last status of drive DL.
disk_status_address:
        mov     bx, BDA_SEG
        mov     ds, bx
        mov     bx, BDA_FLOPPY_STATUS
        test    dl, 80h
        jz      .done
        mov     bx, BDA_DISK_STATUS
.done:  ret

; Keeps AH as drive DL's last status.
disk_keep_status:
        push    ds
        push    bx
        call    disk_status_address
        mov     [bx], ah
        pop     bx
        pop     ds
        ret
