/* The oracle's native half: runs one IA-32 instruction at a time on the host CPU, in a 32-bit
 * Linux process, and reports the state it leaves (DESIGN §12). Built with gcc -m32.
 *
 * How one instruction runs, without a hand-written register trampoline:
 *  - enter: the runner executes INT3. In the SIGTRAP handler it rewrites the saved user context
 *    (all eight GPRs, EFLAGS with TF set, EIP = the instruction) and returns; sigreturn loads that
 *    context atomically, FPU state included (loaded with FRSTOR before the INT3 and carried
 *    through the signal frame unchanged).
 *  - exit: with TF set the CPU raises #DB right after the instruction retires (SDM Vol. 3A,
 *    17.3.1.4), or the instruction raises its own exception first. Either way the kernel delivers
 *    a signal whose context holds the full state and the hardware vector (REG_TRAPNO) and error
 *    code (REG_ERR); the handler copies it out and siglongjmps back to the loop.
 * A REP string instruction traps after every iteration with EIP still on it; the handler lets it
 * run on until EIP moves. Signals run on an alternate stack, because ESP belongs to the test.
 *
 * Protocol: see protocol.h. Exit status 0 at end of input, 2 on a protocol error. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include "protocol.h"

_Static_assert(sizeof(struct oracle_case) == 232, "oracle_case layout");
_Static_assert(sizeof(struct oracle_result) == 1704, "oracle_result layout");

#define EFLAGS_TF 0x100u

enum phase { kIdle, kEnter, kRunning };

static volatile int g_phase = kIdle;
static const struct oracle_case* g_case;
static struct oracle_result* g_result;
static sigjmp_buf g_back;
static uint8_t* g_code;
static uint8_t* g_data;

static void fail(const char* message) {
  (void)!write(2, message, strlen(message));
  _exit(3);
}

static void on_signal(int sig, siginfo_t* info, void* raw) {
  (void)sig;
  (void)info;
  ucontext_t* uc = (ucontext_t*)raw;
  greg_t* g = uc->uc_mcontext.gregs;
  if (g_phase == kEnter) {
    const struct oracle_case* c = g_case;
    g[REG_EAX] = c->gpr[0];
    g[REG_ECX] = c->gpr[1];
    g[REG_EDX] = c->gpr[2];
    g[REG_EBX] = c->gpr[3];
    g[REG_ESP] = c->gpr[4];
    g[REG_EBP] = c->gpr[5];
    g[REG_ESI] = c->gpr[6];
    g[REG_EDI] = c->gpr[7];
    g[REG_EFL] = (c->eflags & 0xCD5u) | 0x202u | EFLAGS_TF;
    g[REG_EIP] = ORACLE_CODE_ADDR;
    g_result->steps = 0;
    g_phase = kRunning;
    return;
  }
  if (g_phase != kRunning) fail("oracle-native: unexpected signal outside a test\n");
  const uint32_t vector = (uint32_t)g[REG_TRAPNO];
  if (vector == 1 && (uint32_t)g[REG_EIP] == ORACLE_CODE_ADDR && (g_case->flags & ORACLE_REP_STRING) &&
      ++g_result->steps < ORACLE_MAX_STEPS)
    return; /* one more iteration of the REP string instruction */
  struct oracle_result* r = g_result;
  r->gpr[0] = (uint32_t)g[REG_EAX];
  r->gpr[1] = (uint32_t)g[REG_ECX];
  r->gpr[2] = (uint32_t)g[REG_EDX];
  r->gpr[3] = (uint32_t)g[REG_EBX];
  r->gpr[4] = (uint32_t)g[REG_ESP];
  r->gpr[5] = (uint32_t)g[REG_EBP];
  r->gpr[6] = (uint32_t)g[REG_ESI];
  r->gpr[7] = (uint32_t)g[REG_EDI];
  r->eflags = (uint32_t)g[REG_EFL];
  r->eip = (uint32_t)g[REG_EIP];
  r->vector = vector;
  r->error_code = (uint32_t)g[REG_ERR];
  r->cr2 = (uint32_t)uc->uc_mcontext.cr2;
  /* The 32-bit signal frame starts with an FNSAVE-format header the kernel converts from its
   * FXSAVE/XSAVE image (full tag word recomputed, FOP in the high half of FCS). */
  if (uc->uc_mcontext.fpregs) memcpy(r->fpu, uc->uc_mcontext.fpregs, ORACLE_FPU_IMAGE);
  g_phase = kIdle;
  siglongjmp(g_back, 1);
}

static int read_full(void* buf, size_t n) {
  uint8_t* p = (uint8_t*)buf;
  while (n > 0) {
    const ssize_t got = read(0, p, n);
    if (got <= 0) return 0;
    p += got;
    n -= (size_t)got;
  }
  return 1;
}

static void write_full(const void* buf, size_t n) {
  const uint8_t* p = (const uint8_t*)buf;
  while (n > 0) {
    const ssize_t put = write(1, p, n);
    if (put <= 0) fail("oracle-native: write failed\n");
    p += put;
    n -= (size_t)put;
  }
}

static void* map_fixed(uint32_t addr, uint32_t size, int prot) {
  void* p = mmap((void*)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED || p != (void*)(uintptr_t)addr) return NULL;
  return p;
}

/* Two alternate signal stacks. A case's random ESP may happen to point into the one in use: the
 * kernel then takes the signal as nested on that stack, finds no room below ESP and kills the
 * runner ("overflowed sigaltstack"). Before each case the runner switches to a stack that does
 * not contain the case's ESP. */
#define ALTSTACK_SIZE (1u << 16)
static uint8_t g_altstacks[2][ALTSTACK_SIZE];
static int g_altstack_in_use;

static void use_altstack(int which) {
  stack_t ss = {.ss_sp = g_altstacks[which], .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) fail("oracle-native: sigaltstack failed\n");
  g_altstack_in_use = which;
}

static int on_altstack(int which, uint32_t esp) {
  const uint32_t base = (uint32_t)(uintptr_t)g_altstacks[which];
  return esp >= base && esp - base <= ALTSTACK_SIZE;
}

static void run_case(const struct oracle_case* c, struct oracle_result* r, uint8_t* initial) {
  memset(r, 0, sizeof *r);
  if (on_altstack(g_altstack_in_use, c->gpr[4])) use_altstack(!g_altstack_in_use);
  oracle_fill(initial, c);
  memcpy(g_data, initial, ORACLE_DATA_SIZE);
  memset(g_code, 0xCC, 0x1000); /* INT3 everywhere else, should anything run away */
  memcpy(g_code + (ORACLE_CODE_ADDR - ORACLE_CODE_PAGE), c->code, c->code_len);
  __builtin___clear_cache((char*)g_code, (char*)g_code + 0x1000);
  if (c->flags & ORACLE_HAS_FPU)
    __asm__ volatile("frstor %0" ::"m"(*(const uint8_t(*)[ORACLE_FPU_IMAGE])c->fpu));
  else
    __asm__ volatile("fninit");
  g_case = c;
  g_result = r;
  if (sigsetjmp(g_back, 0) == 0) {
    g_phase = kEnter;
    __asm__ volatile("int3" ::: "memory");
    fail("oracle-native: returned from the test without a trap\n");
  }
  /* A POPF under test may have set NT or ID, which the exit signal handed on to this code and
   * which sigreturn will not overwrite (they are not in the kernel's FIX_EFLAGS): clear them so
   * the next case starts from the flags it asks for. */
  __asm__ volatile("pushfl\n\tandl $~0x204000, (%%esp)\n\tpopfl" ::: "memory", "cc");
  __asm__ volatile("fninit");
  oracle_diff(initial, g_data, r);
}

int main(void) {
  use_altstack(0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  const int signals[] = {SIGTRAP, SIGSEGV, SIGILL, SIGFPE, SIGBUS};
  for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; ++i)
    if (sigaction(signals[i], &sa, NULL) != 0) fail("oracle-native: sigaction failed\n");

  struct oracle_hello hello;
  memset(&hello, 0, sizeof hello);
  hello.magic = ORACLE_HELLO_MAGIC;
  g_code = map_fixed(ORACLE_CODE_PAGE, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
  g_data = map_fixed(ORACLE_DATA_BASE, ORACLE_DATA_SIZE, PROT_READ | PROT_WRITE);
  hello.ok = g_code && g_data;
  uint16_t sel[6];
  __asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1\n\tmov %%ds, %2\n\tmov %%es, %3\n\tmov %%fs, %4\n\tmov %%gs, %5"
                   : "=m"(sel[0]), "=m"(sel[1]), "=m"(sel[2]), "=m"(sel[3]), "=m"(sel[4]), "=m"(sel[5]));
  hello.cs = sel[0];
  hello.ss = sel[1];
  hello.ds = sel[2];
  hello.es = sel[3];
  hello.fs = sel[4];
  hello.gs = sel[5];
  write_full(&hello, sizeof hello);
  if (!hello.ok) return 0;

  static struct oracle_case cases[ORACLE_BATCH];
  static struct oracle_result results[ORACLE_BATCH];
  static uint8_t initial[ORACLE_DATA_SIZE];
  for (;;) {
    uint32_t count;
    if (!read_full(&count, sizeof count)) return 0;
    if (count > ORACLE_BATCH) fail("oracle-native: batch too large\n");
    if (!read_full(cases, count * sizeof cases[0])) fail("oracle-native: short batch\n");
    for (uint32_t i = 0; i < count; ++i) run_case(&cases[i], &results[i], initial);
    write_full(results, count * sizeof results[0]);
  }
}
