; Entry of the Multiboot test kernel: the Multiboot v1 header and the first instructions.
; Multiboot Specification 0.6.96: the header (3.1) lies 32-bit aligned in the first 8 KiB of the
; image; the loader enters _start in 32-bit protected mode, paging off, EAX = 0x2BADB002, EBX =
; the physical address of the Multiboot information, ESP undefined, IF and VM clear (3.2).
;
; Assembled twice: plain for the ELF kernel (the loader takes the addresses from the ELF program
; headers) and with -DAOUT_KLUDGE for the flat binary, whose header carries the load addresses
; itself (flags bit 16, "the a.out kludge": header_addr, load_addr, load_end_addr, bss_end_addr,
; entry_addr, 3.1.3). The linker script (kernel.ld) defines the symbols those fields name.
bits 32

MB_MAGIC          equ 0x1BADB002
MB_PAGE_ALIGN     equ 1 << 0        ; modules on 4 KiB boundaries
MB_MEMORY_INFO    equ 1 << 1        ; mem_lower/mem_upper and the memory map, please
MB_AOUT_KLUDGE    equ 1 << 16       ; the address fields below are valid
%ifdef AOUT_KLUDGE
MB_FLAGS          equ MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE
%else
MB_FLAGS          equ MB_PAGE_ALIGN | MB_MEMORY_INFO
%endif

extern kmain
extern _load_start, _load_end, _bss_start, _bss_end

section .multiboot
align 4
global multiboot_header
multiboot_header:
        dd      MB_MAGIC
        dd      MB_FLAGS
        dd      -(MB_MAGIC + MB_FLAGS)  ; the three fields sum to 0 (mod 2^32)
%ifdef AOUT_KLUDGE
        dd      multiboot_header        ; header_addr: where this header is loaded
        dd      _load_start             ; load_addr: the file's first byte goes here
        dd      _load_end               ; load_end_addr: end of text + data
        dd      _bss_end                ; bss_end_addr: the loader zeroes up to here
        dd      _start                  ; entry_addr
%endif

section .text
global _start
_start:
        ; The loader must have zeroed .bss (the stack lives there too): look before using it.
        ; EDX = 0 if every byte of [_bss_start, _bss_end) is zero, else the first dirty address.
        xor     edx, edx
        mov     esi, _bss_start
.scan:  cmp     esi, _bss_end
        jae     .scanned
        cmp     byte [esi], 0
        jne     .dirty
        inc     esi
        jmp     .scan
.dirty: mov     edx, esi
.scanned:
        mov     esp, stack_top
        pushfd                          ; EFLAGS as the loader left it (the scan changed only
        pop     ecx                     ; arithmetic flags; IF and VM are what is checked)
        push    ecx                     ; kmain(magic, info, bss_dirty_at, eflags)
        push    edx
        push    ebx
        push    eax
        call    kmain
        ; kmain leaves through the exit port; if that port is missing, stop here.
.halt:  cli
        hlt
        jmp     .halt

section .bss
align 16
stack:  resb    16384
stack_top:
