/* The wire format between the oracle (a 64-bit C++ program) and its native runner (a 32-bit C
 * program built with gcc -m32). The oracle writes batches of cases to the runner's stdin; the
 * runner executes each one on the host CPU and writes one result per case to its stdout. Both
 * sides include this header, so it is plain C with fixed-width fields and no padding surprises
 * (every struct is a multiple of 4 bytes and naturally aligned on both ABIs).
 *
 * The address layout is shared too: the instruction sits at the same linear address on both
 * sides, the data region (memory operands and the stack) at the same linear addresses, so
 * EIP after a branch, pushed return addresses and effective addresses compare directly. Both
 * live below 64 KiB, where 16-bit addressing (the 67 prefix) can reach them. */
#ifndef EMU_TESTS_ORACLE_PROTOCOL_H
#define EMU_TESTS_ORACLE_PROTOCOL_H

#include <stdint.h>

#define ORACLE_CODE_PAGE 0x5000u /* one page, executable */
#define ORACLE_CODE_ADDR 0x5800u /* where the instruction under test starts */
#define ORACLE_DATA_BASE 0x8000u /* data region: memory operands and the stack */
#define ORACLE_DATA_SIZE 0x2000u /* two pages, with unmapped pages on either side */
#define ORACLE_MAX_INSN 16u
#define ORACLE_MAX_PATCHES 4u
#define ORACLE_MAX_DIFFS 512u
#define ORACLE_FPU_IMAGE 108u  /* FNSAVE image, 32-bit protected-mode format */
#define ORACLE_MAX_STEPS 4096u /* single-step traps allowed for one REP string instruction */
#define ORACLE_BATCH 1024u

/* Vector reported when the instruction retired and the single-step trap (#DB) followed it. */
#define ORACLE_COMPLETED 1u

enum oracle_case_flags {
  ORACLE_HAS_FPU = 1u,    /* load `fpu` before running, report the FPU state after */
  ORACLE_REP_STRING = 2u, /* a REP-prefixed string instruction: traps once per iteration */
};

/* A byte range written over the pseudo-random data region before the instruction runs: the
 * generator puts interesting operand values (0, -1, NaN, ...) where the instruction will look. */
struct oracle_patch {
  uint16_t offset; /* from ORACLE_DATA_BASE */
  uint8_t len;     /* 0 = unused */
  uint8_t pad;
  uint8_t bytes[12];
};

struct oracle_case {
  uint8_t code[ORACLE_MAX_INSN];
  uint8_t code_len;
  uint8_t flags;
  uint8_t pad[2];
  uint32_t gpr[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
  uint32_t eflags; /* arithmetic flags and DF; the runner adds TF (and IF is always on) */
  uint32_t mem_seed;
  struct oracle_patch patch[ORACLE_MAX_PATCHES];
  uint8_t fpu[ORACLE_FPU_IMAGE];
};

struct oracle_result {
  uint32_t gpr[8];
  uint32_t eflags;
  uint32_t eip;
  uint32_t vector; /* ORACLE_COMPLETED, or the exception vector the instruction raised */
  uint32_t error_code;
  uint32_t cr2;    /* faulting linear address of a #PF */
  uint32_t steps;  /* single-step traps taken (REP iterations) */
  uint32_t ndiffs; /* bytes of the data region that changed; > ORACLE_MAX_DIFFS: overflow */
  uint16_t diff_offset[ORACLE_MAX_DIFFS];
  uint8_t diff_value[ORACLE_MAX_DIFFS];
  uint8_t fpu[ORACLE_FPU_IMAGE];
};

/* Sent once by the runner when it starts: the segment selectors of a Linux 32-bit process, which
 * the emulator copies so that PUSH CS, MOV r/m16, Sreg and FNSTENV agree. `ok` is 0 when the
 * runner could not map its fixed low pages (vm.mmap_min_addr too high). */
struct oracle_hello {
  uint32_t magic;
  uint32_t ok;
  uint16_t cs, ss, ds, es, fs, gs;
};
#define ORACLE_HELLO_MAGIC 0x4F52434Cu /* "ORCL" */

/* The data region's initial contents: xorshift32 bytes from `seed`, then the patches. */
static inline void oracle_fill(uint8_t* mem, const struct oracle_case* c) {
  uint32_t x = c->mem_seed ? c->mem_seed : 0x9E3779B9u;
  for (uint32_t i = 0; i < ORACLE_DATA_SIZE; i += 4) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    mem[i] = (uint8_t)x;
    mem[i + 1] = (uint8_t)(x >> 8);
    mem[i + 2] = (uint8_t)(x >> 16);
    mem[i + 3] = (uint8_t)(x >> 24);
  }
  for (uint32_t p = 0; p < ORACLE_MAX_PATCHES; ++p) {
    const struct oracle_patch* patch = &c->patch[p];
    for (uint32_t k = 0; k < patch->len && patch->offset + k < ORACLE_DATA_SIZE; ++k)
      mem[patch->offset + k] = patch->bytes[k];
  }
}

/* The changed bytes of the data region, as (offset, new value) pairs. */
static inline void oracle_diff(const uint8_t* before, const uint8_t* after, struct oracle_result* r) {
  r->ndiffs = 0;
  for (uint32_t i = 0; i < ORACLE_DATA_SIZE; ++i) {
    if (before[i] == after[i]) continue;
    if (r->ndiffs < ORACLE_MAX_DIFFS) {
      r->diff_offset[r->ndiffs] = (uint16_t)i;
      r->diff_value[r->ndiffs] = after[i];
    }
    ++r->ndiffs;
  }
}

#endif
