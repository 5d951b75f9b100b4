; Virtual-8086 mode (SDM Vol. 3A, chapter 20): enter through IRET with EFLAGS.VM, run real-mode
; style code at CPL 3, take #GP on IOPL-sensitive instructions (CLI, INT n with IOPL < 3), use
; the TSS I/O bitmap for port access, and return to the ring-0 monitor through an interrupt that
; saves the V86 segment registers.
%include "harness.inc"

V86_SEG equ 0x0800              ; V86 code/data segment: linear 0x8000 .. 0x17FFF covers this program

test_main:
        SET_GATE 13, gp_handler, 0xE, 0
        ; Allow port 0xE9 in the I/O bitmap so the V86 code can print; 0xF4 stays forbidden.
        mov     eax, 0xE9
        btr     [TSS_BASE + 0x68], eax
        mov     [monitor_esp], esp
        ; IRET frame for V86: GS FS DS ES SS ESP EFLAGS CS EIP (SDM Vol. 3A, 20.2.1).
        push    dword 0                          ; GS
        push    dword 0                          ; FS
        push    dword V86_SEG                    ; DS
        push    dword V86_SEG                    ; ES
        push    dword 0x7000                     ; SS
        push    dword 0xFFF0                     ; ESP
        push    dword 0x00020002                 ; EFLAGS: VM = 1, IOPL = 0, IF = 0
        push    dword V86_SEG                    ; CS
        push    dword v86_code - V86_SEG * 16    ; EIP
        iretd
v86_finished:
        CHECK_EQ dword [cli_faults], 1, "CLI in V86 with IOPL 0 must raise #GP"
        CHECK_EQ dword [v86_bx], 0x1234, "V86 code did not run to the exit"
        CHECK_EQ dword [v86_ds], V86_SEG, "the V86 DS was not saved on the ring-0 stack"
        CHECK_EQ dword [v86_linear], 0xBEEF, "V86 segment arithmetic stored to the wrong place"
        CHECK_EQ dword [port_faults], 1, "OUT to a port denied by the I/O bitmap must raise #GP"
        SAY     "v86: entry, #GP on CLI/INT, I/O bitmap and exit ok"
        ret

; #GP from V86: the frame is error, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
gp_handler:
        push    ebp
        mov     ebp, esp
        push    eax
        push    esi
        push    ds
        mov     ax, SEL_DATA0                    ; DS was loaded with null on entry from V86
        mov     ds, ax
        ; Linear address of the faulting instruction: CS * 16 + IP.
        movzx   esi, word [ebp + 12]             ; CS
        shl     esi, 4
        add     esi, [ebp + 8]                   ; EIP
        cmp     byte [esi], 0xFA                 ; CLI
        je      .cli
        cmp     byte [esi], 0xE6                 ; OUT imm8, AL
        je      .out
        cmp     byte [esi], 0xCD                 ; INT n: the V86 program's exit
        je      .exit
        mov     esi, unexpected_gp
        jmp     fail_with_message
.cli:   inc     dword [cli_faults]
        add     dword [ebp + 8], 1
        jmp     .resume
.out:   inc     dword [port_faults]
        add     dword [ebp + 8], 2
.resume:
        pop     ds
        pop     esi
        pop     eax
        pop     ebp
        add     esp, 4                           ; error code
        iretd
.exit:  mov     [v86_bx], ebx
        mov     eax, [ebp + 32]                  ; saved V86 DS
        mov     [v86_ds], eax
        mov     esp, [monitor_esp]
        mov     ax, SEL_DATA0
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        jmp     v86_finished

unexpected_gp: db "unexpected #GP in V86 mode", 0

bits 16
v86_code:
        mov     al, 'V'
        out     0xE9, al                         ; allowed by the I/O bitmap
        mov     al, 10
        out     0xE9, al
        cli                                      ; IOPL 0: #GP, the monitor skips it
        out     0xF4, al                         ; denied by the bitmap: #GP, skipped
        ; DS = 0x0800: offset (v86_linear - 0x8000) is linear v86_linear.
        mov     word [v86_linear - V86_SEG * 16], 0xBEEF
        mov     bx, 0x1234
        int     0x21                             ; IOPL < 3: #GP to the monitor, which ends V86
        jmp     $
bits 32

cli_faults:  dd 0
port_faults: dd 0
v86_bx:      dd 0
v86_ds:      dd 0
v86_linear:  dd 0
monitor_esp: dd 0
