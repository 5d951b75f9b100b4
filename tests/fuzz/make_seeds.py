#!/usr/bin/env python3
"""Writes the committed seed corpus of the fuzz targets (tests/fuzz/corpus/).

cpu_fuzz inputs are a 64-byte header (struct Header in cpu_fuzz.cpp) followed by code assembled
with nasm; each seed exercises one mode and one kind of instruction, so libFuzzer starts from
reachable, interesting states instead of from nothing. decoder_fuzz inputs are a mode byte and an
instruction. Run from the repository root: tests/fuzz/make_seeds.py
"""
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = {'real': 0, 'pm16': 1, 'pm32': 2, 'paging': 3, 'user': 4, 'userpaging': 5, 'v86': 6}
IRET, IF, TF, FPU_TRAP, ALIGN, WP, SANE_STACK, IOPL3 = (1 << n for n in range(8))


def descriptor(base, limit, attrs):
    d = limit & 0xFFFF
    d |= (base & 0xFFFFFF) << 16
    d |= (attrs & 0xFF) << 40
    d |= ((limit >> 16) & 0xF) << 48
    d |= ((attrs >> 12) & 0xF) << 52  # G, D/B, L, AVL from attrs bits 15-12
    d |= (base >> 24) << 56
    return struct.pack('<Q', d)


def header(mode, flags=SANE_STACK, eflags=0, gpr=(0,) * 8, gdt=None, not_present=0, read_only=0):
    gdt = gdt or [descriptor(0x20000, 0xFFFF, 0x0093),   # 0x40 data, 16-bit
                  descriptor(0, 0xFFFFF, 0xC0BB),        # 0x48 ring-1 conforming code
                  descriptor(0x4000, 0x67, 0x0089)]      # 0x50 available TSS
    return struct.pack('<BBH8I', MODES[mode], flags, eflags, *gpr) + b''.join(gdt) + \
        struct.pack('<HH', not_present, read_only)


def nasm(source, bits):
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, 's.asm'), os.path.join(d, 's.bin')
        with open(src, 'w') as f:
            f.write(f'bits {bits}\n{source}\n')
        subprocess.run(['nasm', '-f', 'bin', '-o', out, src], check=True)
        return open(out, 'rb').read()


GPR = (0x12345678, 0x10, 0x3F8, 0x20000, 0x80000, 0x7FFF0, 0x30000, 0x31000)

CPU_SEEDS = {
    # name: (mode, flags, code bits, source)
    'real-alu': ('real', SANE_STACK, 16, 'mov ax, 0x1234\nadd ax, bx\nsub cx, 3\nxor dx, dx\ninc si\nhlt'),
    'real-int': ('real', SANE_STACK | IRET, 16, 'int 0x10\nint3\nmov ax, 5\nhlt'),
    'real-far': ('real', SANE_STACK, 16, 'jmp 0x2000:0x0010\nhlt'),
    'real-string': ('real', SANE_STACK, 16, 'cld\nmov cx, 40\nmov si, 0\nmov di, 0x100\nrep movsb\nrep stosw\nhlt'),
    'real-divzero': ('real', SANE_STACK | IRET, 16, 'xor bx, bx\ndiv bx\nhlt'),
    'real-lmsw': ('real', SANE_STACK, 16, 'mov ax, 1\nlmsw ax\njmp short $+2\nhlt'),
    'real-pushpop': ('real', SANE_STACK, 16, 'pusha\npushf\npush ds\npop es\npopf\npopa\nhlt'),
    'real-x87': ('real', SANE_STACK, 16, 'fninit\nfld1\nfldpi\nfaddp st1, st0\nfsqrt\nfistp word [0x200]\nhlt'),
    'pm16-alu': ('pm16', SANE_STACK, 16, 'mov ax, 0x30\nmov ds, ax\nmov [0x100], ax\nimul bx, [0x100], 7\nhlt'),
    'pm16-far': ('pm16', SANE_STACK, 16, 'call 0x28:0x0100\nhlt'),
    'pm32-alu': ('pm32', SANE_STACK, 32, 'mov eax, 7\nimul eax, eax\nshl eax, 3\nbsf ecx, eax\nbswap eax\nhlt'),
    'pm32-loop': ('pm32', SANE_STACK, 32, 'mov ecx, 100\nl: add eax, ecx\nloop l\nhlt'),
    'pm32-call': ('pm32', SANE_STACK, 32, 'call f\nhlt\nf: push ebp\nmov ebp, esp\nenter 16, 2\nleave\npop ebp\nret'),
    'pm32-segload': ('pm32', SANE_STACK | IRET, 32, 'mov ax, 0x40\nmov ds, ax\nmov ax, 0x48\nmov es, ax\nmov ax, 0x50\nmov fs, ax\nmov eax, [0]\nhlt'),
    'pm32-farjmp': ('pm32', SANE_STACK | IRET, 32, 'jmp 0x48:0x10010\nhlt'),
    'pm32-task': ('pm32', SANE_STACK, 32, 'jmp 0x50:0\nhlt'),
    'pm32-descriptors': ('pm32', SANE_STACK, 32, 'sgdt [0x200]\nsidt [0x208]\nstr ax\nlar ebx, ax\nlsl ecx, ax\nverr ax\nverw ax\nlgdt [0x200]\nhlt'),
    'pm32-cr': ('pm32', SANE_STACK, 32, 'mov eax, cr0\nor eax, 0x10000\nmov cr0, eax\nmov eax, cr4\nor eax, 0x10\nmov cr4, eax\nmov eax, cr3\nmov cr3, eax\ninvlpg [0x10000]\nhlt'),
    'pm32-msr': ('pm32', SANE_STACK, 32, 'mov ecx, 0x174\nrdmsr\nwrmsr\ncpuid\nrdtsc\nhlt'),
    'pm32-io': ('pm32', SANE_STACK, 32, 'mov dx, 0x3f8\nin al, dx\nout dx, al\nmov edi, 0x20000\nmov ecx, 4\nrep insb\nhlt'),
    'pm32-cmpxchg': ('pm32', SANE_STACK, 32, 'mov edi, 0x20000\nlock cmpxchg [edi], ecx\nlock xadd [edi], ebx\ncmpxchg8b [edi]\nlock bts dword [edi], 5\nhlt'),
    'pm32-bcd': ('pm32', SANE_STACK, 32, 'mov al, 0x99\nadd al, 1\ndaa\naas\naam\naad\nsalc\nhlt'),
    'pm32-x87': ('pm32', SANE_STACK | FPU_TRAP | IRET, 32, 'fld1\nfldz\nfdivp st1, st0\nfnstsw ax\nfnstenv [0x20000]\nclts\nfld1\nhlt'),
    'pm32-ud': ('pm32', SANE_STACK | IRET, 32, 'ud2\ndb 0x0f, 0xff\nhlt'),
    'pm32-trap': ('pm32', SANE_STACK | TF | IRET, 32, 'nop\nnop\nadd eax, 1\nhlt'),
    'pm32-smc': ('pm32', SANE_STACK, 32, 'mov byte [l], 0x40\nl: nop\nmov byte [l2+1], 5\nl2: mov al, 1\nhlt'),
    'paging-pf': ('paging', SANE_STACK | IRET, 32, 'mov eax, [0x1F000]\nmov [0x7F000], eax\nhlt'),
    'paging-walk': ('paging', SANE_STACK | WP, 32, 'mov eax, cr3\nmov ebx, [eax]\ninvlpg [0]\nmov cr3, eax\nhlt'),
    'user-privileged': ('user', SANE_STACK | IRET, 32, 'cli\nhlt\nmov eax, cr0\nin al, 0x60\nint 0x80\nhlt'),
    'user-iopl': ('user', SANE_STACK | IOPL3, 32, 'cli\nsti\nin al, 0x60\npushf\npopf\nint 0x80'),
    'user-callgate': ('user', SANE_STACK | IRET, 32, 'call 0x48:0\nretf\nhlt'),
    'user-sgdt-align': ('user', SANE_STACK | ALIGN | IRET, 32, 'sgdt [0x20000]\nsidt [0x20012]\nsgdt [0x20023]\nhlt'),
    'user-pusha-align': ('user', ALIGN | IRET, 32, 'dec esp\npusha\nenter 8, 2\npush fs\nhlt'),
    'user-x87-store-align': ('user', SANE_STACK | ALIGN | IRET, 32, 'fninit\nfnstcw [0x20001]\nfld1\nfst dword [0x20003]\nfstp qword [0x20014]\nhlt'),
    'userpaging-align': ('userpaging', SANE_STACK | ALIGN | IRET, 32, 'mov eax, [0x20001]\nmov [0x7E003], eax\nhlt'),
    'v86-basic': ('v86', SANE_STACK | IRET, 16, 'mov ax, 0x1000\nmov ds, ax\nadd [0x10], ax\npushf\npopf\nint 0x10\ncli\nhlt'),
    'v86-iopl3': ('v86', SANE_STACK | IOPL3 | IRET, 16, 'int 0x21\npushf\ncli\nsti\npopf\niret\nhlt'),
}

DECODER_SEEDS = {
    'prefixes32': (1, bytes.fromhex('f0 66 67 2e f3 81 84 88 44 33 22 11 78 56 34 12'.replace(' ', ''))),
    'sib32': (1, bytes.fromhex('8b 84 b5 78 56 34 12'.replace(' ', ''))),
    'moffs16': (0, bytes.fromhex('67 a1 44 33 22 11'.replace(' ', ''))),
    'far16': (0, bytes.fromhex('ea 00 7c 00 00'.replace(' ', ''))),
    'x87': (1, bytes.fromhex('dd 9c 24 00 01 00 00'.replace(' ', ''))),
    'toolong': (1, bytes([0x66] * 14) + bytes.fromhex('05 11 22')),
    'hintnop': (1, bytes.fromhex('0f 1f 84 00 00 00 00 00'.replace(' ', ''))),
    'enter16': (0, bytes.fromhex('c8 10 00 03'.replace(' ', ''))),
    'movcr': (1, bytes.fromhex('0f 22 18'.replace(' ', ''))),
    'sse': (1, bytes.fromhex('66 0f 74 c1'.replace(' ', ''))),
}


def main():
    cpu_dir = os.path.join(HERE, 'corpus', 'cpu_fuzz')
    dec_dir = os.path.join(HERE, 'corpus', 'decoder_fuzz')
    os.makedirs(cpu_dir, exist_ok=True)
    os.makedirs(dec_dir, exist_ok=True)
    for name, (mode, flags, bits, source) in CPU_SEEDS.items():
        code = nasm(source, bits)
        with open(os.path.join(cpu_dir, name), 'wb') as f:
            f.write(header(mode, flags, gpr=GPR, not_present=0x8000, read_only=0x8000) + code)
    for name, (mode, code) in DECODER_SEEDS.items():
        with open(os.path.join(dec_dir, name), 'wb') as f:
            f.write(bytes([mode]) + code)


if __name__ == '__main__':
    main()
