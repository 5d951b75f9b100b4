; ---- int 13h: disk services -----------------------------------------------------------------
; Hard disks (80h, 81h, ...), CD-ROMs (E0h, ...) and El Torito's emulated floppy (00h) or hard
; disk (80h): the IBM CHS functions (00h-04h, 08h, 0Ch-11h, 14h, 15h) and the EDD 3.0
; extensions (41h-49h), plus El Torito's 4Bh. All of it is done by emu's C++ half
; (disk_services.cpp, FW_DISK_SERVICE), which checks every drive number, CHS value, packet and
; buffer: this handler only hands over the caller's AX and DX (the hypercall itself needs both
; registers) on the stack, and takes the results back the same way, CF included. The status of
; each call is kept in the BDA (0441h diskettes, 0474h hard disks) for AH=01h.

int13_disk:
        sti
        push    dx
        push    ax
        mov     dx, FW_HYPERCALL_PORT
        mov     al, FW_DISK_SERVICE
        out     dx, al                  ; CF, AX/DX on the stack and the other registers answered
        pop     ax
        pop     dx
        jc      return_carry_set
        jmp     return_carry_clear
