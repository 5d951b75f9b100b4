; ---- int 13h: disk services -----------------------------------------------------------------
; This machine has no disk controller yet (IDE comes with the storage work), so int 13h answers
; every drive the way a BIOS answers for a drive that is not there: AH=15h (get type) says
; "no drive" with CF clear, everything else fails with AH = 01h (invalid function or drive) and
; CF set. The last status (AH=01h) is kept in the BDA (0441h floppy, 0474h hard disk).

int13_disk:
        sti
        cmp     ah, 15h
        je      .no_drive
        cmp     ah, 01h                 ; last status: always "invalid" here
        je      .status
        mov     ah, 01h
        jmp     return_carry_set
.no_drive:
        xor     ah, ah
        jmp     return_carry_clear
.status:
        mov     ah, 01h
        jmp     return_carry_clear
