; Hardware task switches (SDM Vol. 3A, chapter 7): CALL to a TSS (nested task: NT and back link),
; IRET back, an interrupt through a task gate, and JMP between tasks (busy bits).
%include "harness.inc"

test_main:
        call    init_task2
        ; CALL far to the TSS selector: the offset is ignored.
        mov     ebx, 0x11111111
        mov     dword [mode], 1
        call    SEL_TSS2:0
        CHECK_EQ ebx, 0x11111111, "task 1's EBX was not restored"
        CHECK_EQ dword [task2_runs], 1, "task 2 did not run"
        CHECK_EQ dword [task2_nt], 0x4000, "a CALLed task must run with NT set"
        CHECK_EQ dword [task2_link], SEL_TSS, "back link is not the caller's TSS"
        ; After IRET task 2 is available again (busy bit cleared) and NT is clear here.
        pushfd
        pop     eax
        and     eax, 0x4000
        CHECK_EQ eax, 0, "NT set in the calling task after IRET"

        ; An interrupt through a task gate runs task 2 again.
        mov     dword [IDT_BASE + 0x40 * 8], SEL_TSS2 << 16
        mov     dword [IDT_BASE + 0x40 * 8 + 4], 0x8500
        int     0x40
        CHECK_EQ dword [task2_runs], 2, "task gate did not switch tasks"

        ; JMP to the TSS: no nesting; task 2 jumps back to task 1.
        mov     dword [mode], 2
        jmp     SEL_TSS2:0
task1_resumed:
        CHECK_EQ dword [task2_runs], 3, "JMP to task 2 did not run it"
        CHECK_EQ dword [task2_nt], 0, "a JMPed-to task must run with NT clear"
        ; Busy bits: task 1 (running) is busy, task 2 (left by JMP) is available.
        mov     al, [gdt + SEL_TSS + 5]
        and     al, 0x0F
        CHECK_EQ al, 0x0B, "the running task's TSS descriptor is not busy"
        mov     al, [gdt + SEL_TSS2 + 5]
        and     al, 0x0F
        CHECK_EQ al, 0x09, "a task left by JMP must be marked available"
        SAY     "task_switch: CALL/IRET, task gate and JMP ok"
        ret

init_task2:
        mov     edi, TSS2_BASE
        mov     ecx, 0x68 / 4
        xor     eax, eax
        rep stosd
        mov     dword [TSS2_BASE + 0x20], task2        ; EIP
        mov     dword [TSS2_BASE + 0x24], 0x2          ; EFLAGS
        mov     dword [TSS2_BASE + 0x38], 0x70000 - 0x100 ; ESP (below the IDT)
        mov     dword [TSS2_BASE + 0x48], SEL_DATA0    ; ES
        mov     dword [TSS2_BASE + 0x4C], SEL_CODE0    ; CS
        mov     dword [TSS2_BASE + 0x50], SEL_DATA0    ; SS
        mov     dword [TSS2_BASE + 0x54], SEL_DATA0    ; DS
        mov     dword [TSS2_BASE + 0x58], SEL_DATA0    ; FS
        mov     dword [TSS2_BASE + 0x5C], SEL_DATA0    ; GS
        mov     dword [TSS2_BASE + 0x66], 0x68 << 16   ; I/O map base beyond the limit
        ret

; Task 2 runs from here each time it is entered fresh, and resumes after its IRET/JMP otherwise.
task2:
        inc     dword [task2_runs]
        pushfd
        pop     eax
        and     eax, 0x4000
        mov     [task2_nt], eax
        movzx   eax, word [TSS2_BASE]                  ; back link
        mov     [task2_link], eax
        mov     ebx, 0x22222222                         ; clobber: task 1 must get its own back
        cmp     dword [mode], 2
        je      .jump_back
        iretd                                           ; NT = 1: return to the calling task
        jmp     task2
.jump_back:
        jmp     SEL_TSS:0                               ; resumes task 1 after its JMP
        jmp     task2

mode:       dd 0
task2_runs: dd 0
task2_nt:   dd 0
task2_link: dd 0
