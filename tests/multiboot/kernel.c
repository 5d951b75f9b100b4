/* The Multiboot test kernel: what a loader hands over, checked and reported.
 *
 * Reads the Multiboot information (Multiboot Specification 0.6.96, 3.3: flags, mem_lower/upper,
 * cmdline, modules, memory map, boot loader name), prints a report on COM1 (a 16550 polled on
 * LSR.THRE) and on the debug console (port 0xE9), checks it, and leaves through the exit port
 * 0xF4: 0x21 when every check passed (emu and QEMU then exit with status (0x21 << 1) | 1 = 67),
 * else the code of the first failed check (enum check below; exit status (code << 1) | 1).
 *
 * The kernel command line may say what to expect: "mods=N" (the module count) and "mem_mib=N"
 * (the machine's RAM). Each module is a text file made at build time (make_module.py) whose first
 * line is "emu-multiboot-module NAME" and whose last line is "end NAME", NAME being the file's
 * name: the kernel checks NAME against the module string's first word, and the last line's
 * position against mod_end, so a module loaded short, long or shifted is caught.
 *
 * Built with gcc -m32 -ffreestanding: no libc, so the few helpers it needs are here. */
#include <stdarg.h>
#include <stdint.h>

/* ------------------------------------------------------------------ the Multiboot information */
struct multiboot_info {
  uint32_t flags;
  uint32_t mem_lower, mem_upper;       /* flags bit 0, KiB below 1 MiB and from 1 MiB on */
  uint32_t boot_device;                /* bit 1 */
  uint32_t cmdline;                    /* bit 2, physical address of a C string */
  uint32_t mods_count, mods_addr;      /* bit 3 */
  uint32_t syms[4];                    /* bit 4 or 5 */
  uint32_t mmap_length, mmap_addr;     /* bit 6 */
  uint32_t drives_length, drives_addr; /* bit 7 */
  uint32_t config_table;               /* bit 8 */
  uint32_t boot_loader_name;           /* bit 9 */
} __attribute__((packed));

enum {
  MBI_MEMORY = 1u << 0,
  MBI_CMDLINE = 1u << 2,
  MBI_MODULES = 1u << 3,
  MBI_MMAP = 1u << 6,
  MBI_LOADER_NAME = 1u << 9,
};

struct multiboot_module {
  uint32_t mod_start, mod_end; /* [start, end): end is one past the last byte, as GRUB does */
  uint32_t string;             /* the module's command line: its path and arguments */
  uint32_t reserved;
} __attribute__((packed));

/* A memory map entry; `size` counts the bytes after itself, so the next entry is size + 4 on. */
struct multiboot_mmap_entry {
  uint32_t size;
  uint64_t base_addr, length;
  uint32_t type; /* 1 = available RAM */
} __attribute__((packed));

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* Exit codes written to port 0xF4. One per check, so the exit status alone names the failure. */
enum check {
  PASS_CODE = 0x21,
  CHECK_MAGIC = 0x02,        /* EAX = 0x2BADB002 */
  CHECK_CPU_STATE = 0x03,    /* protected mode, paging off, ring 0, IF and VM clear */
  CHECK_A20 = 0x04,          /* the A20 gate is open: 1 MiB does not wrap to 0 */
  CHECK_BSS = 0x05,          /* .bss zeroed up to bss_end */
  CHECK_MEMORY = 0x06,       /* flags bit 0, mem_lower <= 640 KiB, mem_upper fits mem_mib= */
  CHECK_CMDLINE = 0x07,      /* flags bit 2 and a command line */
  CHECK_MMAP = 0x08,         /* flags bit 6, sane entries, RAM at 1 MiB agreeing with mem_upper */
  CHECK_MODULES = 0x09,      /* flags bit 3, mods_count = mods= */
  CHECK_MODULE_PLACE = 0x0A, /* page-aligned, non-empty, in RAM, clear of the kernel and others */
  CHECK_MODULE_TEXT = 0x0B,  /* first line names the module's file, last line ends at mod_end */
};

extern char _load_start[], _bss_end[];    /* kernel.ld: the kernel's image in memory */
extern const uint32_t multiboot_header[]; /* entry.asm: magic, flags, checksum, ... */
#define MULTIBOOT_HEADER_AOUT_KLUDGE (1u << 16)

/* ------------------------------------------------------------------------------ port I/O */
static inline void outb(uint16_t port, uint8_t value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

/* COM1, a 16550 at 0x3F8 (PC16550D datasheet, table "UART reset configuration" / registers). */
enum {
  COM1 = 0x3F8,
  UART_THR = 0,
  UART_DLL = 0,
  UART_IER = 1,
  UART_DLM = 1,
  UART_FCR = 2,
  UART_LCR = 3,
  UART_MCR = 4,
  UART_LSR = 5,
  LSR_THRE = 1u << 5, /* the transmitter holding register (or FIFO) can take a byte */
  DEBUG_CONSOLE = 0xE9,
  EXIT_PORT = 0xF4,
};

static int com1_ok = 1; /* cleared if THRE never comes: then only port 0xE9 gets the report */

static void com1_init(void) {
  outb(COM1 + UART_IER, 0x00); /* no interrupts: the kernel polls */
  outb(COM1 + UART_LCR, 0x80); /* DLAB = 1 to reach the divisor latch */
  outb(COM1 + UART_DLL, 0x01); /* divisor 1: 115200 baud */
  outb(COM1 + UART_DLM, 0x00);
  outb(COM1 + UART_LCR, 0x03); /* DLAB = 0, 8 data bits, no parity, 1 stop bit */
  outb(COM1 + UART_FCR, 0x07); /* FIFOs on, both cleared */
  outb(COM1 + UART_MCR, 0x03); /* DTR and RTS */
}

static void com1_put(char c) {
  if (!com1_ok) return;
  for (uint32_t spins = 0; !(inb(COM1 + UART_LSR) & LSR_THRE); ++spins) {
    if (spins == 10000000) { /* a UART that never drains: stop waiting on it */
      com1_ok = 0;
      return;
    }
  }
  outb(COM1 + UART_THR, (uint8_t)c);
}

static void put_char(char c) {
  if (c == '\n') com1_put('\r'); /* a terminal wants CR LF; the debug console keeps LF */
  com1_put(c);
  outb(DEBUG_CONSOLE, (uint8_t)c);
}

static void put_string(const char* s) {
  while (*s) put_char(*s++);
}

/* ----------------------------------------------------------------------- formatted output */
/* 64-bit values only in hex (shifts): 64-bit division would need libgcc. */
static void put_digits(const char* digits, int n, int width) {
  for (; width > n; --width) put_char('0');
  while (n) put_char(digits[--n]);
}

static void put_decimal(uint32_t value, int width) {
  char digits[10];
  int n = 0;
  do digits[n++] = (char)('0' + value % 10);
  while (value /= 10);
  put_digits(digits, n, width);
}

static void put_hex(uint64_t value, int width) {
  char digits[16];
  int n = 0;
  do digits[n++] = "0123456789abcdef"[value & 15];
  while (value >>= 4);
  put_digits(digits, n, width);
}

/* A printf for the few conversions the report uses: %s %c %u %x %08x %016llx %%. */
static void print(const char* format, ...) {
  va_list args;
  va_start(args, format);
  for (const char* p = format; *p; ++p) {
    if (*p != '%') {
      put_char(*p);
      continue;
    }
    ++p;
    int width = 0;
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    int long_long = 0;
    while (*p == 'l') long_long = 1, ++p;
    switch (*p) {
      case 's': put_string(va_arg(args, const char*)); break;
      case 'c': put_char((char)va_arg(args, int)); break;
      case 'u': put_decimal(va_arg(args, uint32_t), width); break;
      case 'x': put_hex(long_long ? va_arg(args, uint64_t) : va_arg(args, uint32_t), width); break;
      case '%': put_char('%'); break;
      default: put_char('?'); break;
    }
  }
  va_end(args);
}

/* ------------------------------------------------------------------------------ strings */
static uint32_t string_length(const char* s) {
  uint32_t n = 0;
  while (s[n]) ++n;
  return n;
}

static int same_bytes(const char* a, const char* b, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return 0;
  return 1;
}

static int starts_with(const char* s, const char* prefix) { return same_bytes(s, prefix, string_length(prefix)); }

/* The value of "key=N" among the space-separated words of `line`, or `missing`. */
static uint32_t word_value(const char* line, const char* key, uint32_t missing) {
  uint32_t key_length = string_length(key);
  for (const char* p = line; *p;) {
    while (*p == ' ') ++p;
    if (same_bytes(p, key, key_length) && p[key_length] == '=') {
      uint32_t value = 0;
      for (p += key_length + 1; *p >= '0' && *p <= '9'; ++p) value = value * 10 + (uint32_t)(*p - '0');
      return value;
    }
    while (*p && *p != ' ') ++p;
  }
  return missing;
}

/* The file name part of the first word of `s` ("/x/y/m.txt arg" -> "m.txt"), as pointer + length. */
static const char* first_word_basename(const char* s, uint32_t* length) {
  const char* start = s;
  const char* p = s;
  for (; *p && *p != ' '; ++p)
    if (*p == '/') start = p + 1;
  *length = (uint32_t)(p - start);
  return start;
}

/* --------------------------------------------------------------------------- the checks */
static enum check first_failure;
static uint32_t checks_passed;

static void verdict(enum check check, int ok, const char* name) {
  if (ok) {
    ++checks_passed;
    print("ok %s\n", name);
  } else {
    print("FAIL %s (exit code 0x%x)\n", name, (uint32_t)check);
    if (!first_failure) first_failure = check;
  }
}

static int ranges_overlap(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end) {
  return a_start < b_end && b_start < a_end;
}

static const struct multiboot_info* info;

/* Is [start, end) inside one available (type 1) region of the memory map? */
static int in_available_ram(uint64_t start, uint64_t end) {
  if (!(info->flags & MBI_MMAP)) return 1; /* nothing to go by; the map check reports that */
  for (uint32_t offset = 0; offset + 4 <= info->mmap_length;) {
    const struct multiboot_mmap_entry* e = (const void*)(info->mmap_addr + offset);
    if (e->size < 20) return 0;
    if (e->type == 1 && e->base_addr <= start && end <= e->base_addr + e->length) return 1;
    offset += e->size + 4;
  }
  return 0;
}

static void check_cpu_state(uint32_t eflags) {
  uint32_t cr0;
  uint16_t cs;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  print("cpu cr0=0x%08x eflags=0x%08x cs=0x%x\n", cr0, eflags, (uint32_t)cs);
  int ok = (cr0 & 1)                  /* PE */
           && !(cr0 & 0x80000000u)    /* PG */
           && (cs & 3) == 0           /* CPL 0 */
           && !(eflags & (1u << 9))   /* IF */
           && !(eflags & (1u << 17)); /* VM */
  verdict(CHECK_CPU_STATE, ok, "cpu state: protected mode, paging off, ring 0, IF=0, VM=0");
}

/* With A20 masked, address bit 20 is forced to 0 and 1 MiB + x reads x: write both, compare.
 * The probe is the kernel's own word (above 1 MiB); its alias below is saved and restored. */
static volatile uint32_t a20_probe;

static void check_a20(void) {
  volatile uint32_t* high = &a20_probe;
  volatile uint32_t* low = (volatile uint32_t*)((uint32_t)&a20_probe - 0x100000u);
  uint32_t saved_low = *low;
  *high = 0x600DA20u;
  *low = 0xBADA20u;
  int ok = *high == 0x600DA20u;
  *low = saved_low;
  verdict(CHECK_A20, ok, "A20 open");
}

static void check_bss(uint32_t dirty_at) {
  if (dirty_at) print("bss byte at 0x%08x is not zero\n", dirty_at);
  verdict(CHECK_BSS, dirty_at == 0, "bss zeroed");
}

static void check_memory(uint32_t mem_mib) {
  if (!(info->flags & MBI_MEMORY)) {
    verdict(CHECK_MEMORY, 0, "memory: flags bit 0 (mem_lower/mem_upper) is clear");
    return;
  }
  print("mem_lower %u KiB, mem_upper %u KiB\n", info->mem_lower, info->mem_upper);
  int ok = info->mem_lower > 0 && info->mem_lower <= 640;
  if (mem_mib) {
    /* All RAM from 1 MiB up, less at most 1 MiB a firmware may keep at the top (tables). */
    uint32_t all = (mem_mib - 1) * 1024;
    ok = ok && info->mem_upper <= all && info->mem_upper + 1024 >= all;
    print("mem_mib=%u: mem_upper should be %u KiB (or up to 1024 KiB less)\n", mem_mib, all);
  }
  verdict(CHECK_MEMORY, ok, "memory sizes");
}

static void check_mmap(void) {
  if (!(info->flags & MBI_MMAP)) {
    verdict(CHECK_MMAP, 0, "memory map: flags bit 6 is clear");
    return;
  }
  print("mmap_addr 0x%08x mmap_length %u\n", info->mmap_addr, info->mmap_length);
  int ok = info->mmap_length >= 24 && info->mmap_length <= 4096;
  uint64_t upper_length = 0; /* the available region starting at 1 MiB */
  uint32_t entries = 0;
  for (uint32_t offset = 0; ok && offset + 4 <= info->mmap_length; ++entries) {
    const struct multiboot_mmap_entry* e = (const void*)(info->mmap_addr + offset);
    print("mmap base=0x%016llx length=0x%016llx type %u (size %u)\n", e->base_addr, e->length, e->type, e->size);
    if (e->size < 20 || offset + 4 + e->size > info->mmap_length) ok = 0;
    if (e->type == 1 && e->base_addr == 0x100000) upper_length = e->length;
    offset += e->size + 4;
  }
  int kernel_in_ram = in_available_ram((uint32_t)_load_start, (uint32_t)_bss_end);
  print("mmap: %u entries, available from 1 MiB: %u KiB\n", entries, (uint32_t)(upper_length / 1024));
  ok = ok && kernel_in_ram && entries > 0;
  /* mem_upper is "the address of the first upper memory hole minus 1 MiB": the same region. */
  if (info->flags & MBI_MEMORY) ok = ok && upper_length / 1024 == info->mem_upper;
  verdict(CHECK_MMAP, ok, "memory map: sane entries, kernel in RAM, RAM at 1 MiB matches mem_upper");
}

static const char* check_cmdline(void) {
  if (!(info->flags & MBI_CMDLINE) || !info->cmdline) {
    verdict(CHECK_CMDLINE, 0, "command line: flags bit 2 is clear");
    return "";
  }
  const char* cmdline = (const char*)info->cmdline;
  print("cmdline \"%s\"\n", cmdline);
  verdict(CHECK_CMDLINE, 1, "command line present");
  return cmdline;
}

/* One module: where it lies, and whether its text is the file its string names. */
static void check_module(uint32_t i, const struct multiboot_module* mods) {
  const struct multiboot_module* m = &mods[i];
  const char* string = m->string ? (const char*)m->string : "";
  uint32_t size = m->mod_end - m->mod_start;
  print("module %u start=0x%08x end=0x%08x size %u string \"%s\"\n", i, m->mod_start, m->mod_end,
        m->mod_end >= m->mod_start ? size : 0, string);

  int placed = m->mod_end > m->mod_start && (m->mod_start & 0xFFF) == 0 && in_available_ram(m->mod_start, m->mod_end) &&
               !ranges_overlap(m->mod_start, m->mod_end, (uint32_t)_load_start, (uint32_t)_bss_end);
  for (uint32_t j = 0; j < info->mods_count; ++j)
    if (j != i && ranges_overlap(m->mod_start, m->mod_end, mods[j].mod_start, mods[j].mod_end)) placed = 0;
  verdict(CHECK_MODULE_PLACE, placed, "module placement: page-aligned, non-empty, in RAM, no overlap");
  if (!placed) return;

  uint32_t name_length;
  const char* name = first_word_basename(string, &name_length);
  const char* text = (const char*)m->mod_start;
  static const char kHead[] = "emu-multiboot-module ";
  const uint32_t head_length = sizeof kHead - 1;
  int named = size > head_length + name_length && starts_with(text, kHead) &&
              same_bytes(text + head_length, name, name_length) && text[head_length + name_length] == '\n';
  /* The last line, "end NAME\n", must end exactly at mod_end. */
  uint32_t tail_length = 4 + name_length + 1;
  const char* tail = text + size - tail_length;
  int ends = size >= tail_length && same_bytes(tail, "end ", 4) && same_bytes(tail + 4, name, name_length) &&
             tail[4 + name_length] == '\n' && (size == tail_length || tail[-1] == '\n');
  print("module %u first line: \"", i);
  for (uint32_t k = 0; k < size && k < 80 && text[k] != '\n'; ++k) put_char(text[k]);
  print("\"\n");
  verdict(CHECK_MODULE_TEXT, named && ends, "module text: names its file, ends at mod_end");
}

static void check_modules(uint32_t expected) {
  if (!(info->flags & MBI_MODULES)) {
    /* A loader given no modules may leave the bit clear (GRUB legacy sets it with count 0). */
    verdict(CHECK_MODULES, expected == 0 || expected == ~0u, "modules: flags bit 3 is clear");
    return;
  }
  print("mods_count %u mods_addr 0x%08x\n", info->mods_count, info->mods_addr);
  int ok = info->mods_count <= 64 && (info->mods_count == 0 || info->mods_addr != 0);
  if (expected != ~0u) ok = ok && info->mods_count == expected;
  verdict(CHECK_MODULES, ok, "module count");
  if (!ok) return;
  const struct multiboot_module* mods = (const void*)info->mods_addr;
  for (uint32_t i = 0; i < info->mods_count; ++i) check_module(i, mods);
}

/* ----------------------------------------------------------------------------------- main */
void kmain(uint32_t magic, uint32_t info_address, uint32_t bss_dirty_at, uint32_t eflags) {
  com1_init();
  int aout = (multiboot_header[1] & MULTIBOOT_HEADER_AOUT_KLUDGE) != 0;
  print("\nMB-BEGIN emu Multiboot test kernel (%s)\n", aout ? "a.out kludge" : "ELF");
  print("magic 0x%08x info 0x%08x\n", magic, info_address);
  verdict(CHECK_MAGIC, magic == MULTIBOOT_BOOTLOADER_MAGIC, "magic 0x2BADB002");
  check_cpu_state(eflags);
  check_a20();
  check_bss(bss_dirty_at);
  if (magic == MULTIBOOT_BOOTLOADER_MAGIC) {
    info = (const struct multiboot_info*)info_address;
    print("flags 0x%08x\n", info->flags);
    if (info->flags & MBI_LOADER_NAME && info->boot_loader_name)
      print("boot_loader_name \"%s\"\n", (const char*)info->boot_loader_name);
    const char* cmdline = check_cmdline();
    check_memory(word_value(cmdline, "mem_mib", 0));
    check_mmap();
    check_modules(word_value(cmdline, "mods", ~0u));
  }
  if (first_failure) {
    print("MB-END FAIL: %u checks passed; exit code 0x%x\n", checks_passed, (uint32_t)first_failure);
    outb(EXIT_PORT, (uint8_t)first_failure);
  } else {
    print("MB-END PASS: %u checks passed; exit code 0x%x\n", checks_passed, (uint32_t)PASS_CODE);
    outb(EXIT_PORT, PASS_CODE);
  }
}
