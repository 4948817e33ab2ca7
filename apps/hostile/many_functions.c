// Hostile: writes a module of N empty functions (default 1,000,000: 4 MB of module, about 180 MB
// of internal code once compiled) to /tmp/many_functions.wasm and runs it. The compilation is
// charged to the program that loads it, so the module fails with "compiled module over the
// program's memory limit" instead of taking the kernel heap (and the module cache no longer keeps
// what it compiled once the program has ended).
//
//   many_functions [N]   prints "N functions: END: REASON" (END: exited, trapped, killed,
//                        failed) and exits 0, or 1 when the module could not be written or run
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <warden.h>

#define PATH "/tmp/many_functions.wasm"

static unsigned char* put_leb(unsigned char* p, uint32_t v) {
  do {
    unsigned char b = v & 0x7f;
    v >>= 7;
    if (v != 0) b |= 0x80;
    *p++ = b;
  } while (v != 0);
  return p;
}

// A section: id, size, then the body the caller writes at the returned pointer (size known).
static unsigned char* put_section(unsigned char* p, unsigned char id, uint32_t size) {
  *p++ = id;
  return put_leb(p, size);
}

static uint32_t leb_size(uint32_t v) {
  uint32_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

int main(int argc, char** argv) {
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
  if (n == 0) n = 1;
  // type (func), n functions of type 0, export "_start" = function 0, n bodies "0 locals, end".
  uint32_t funcs_size = leb_size(n) + n;
  uint32_t export_size = 1 + 1 + 6 + 1 + 1;
  uint32_t code_size = leb_size(n) + 3 * n;
  size_t total = 8 + 2 + 4 + 1 + leb_size(funcs_size) + funcs_size + 2 + export_size + 1 +
                 leb_size(code_size) + code_size;
  unsigned char* module = malloc(total);
  if (module == NULL) {
    fprintf(stderr, "many_functions: no memory for %zu bytes\n", total);
    return 1;
  }
  unsigned char* p = module;
  static const unsigned char kHeader[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  memcpy(p, kHeader, 8);
  p += 8;
  p = put_section(p, 1, 4);
  *p++ = 1, *p++ = 0x60, *p++ = 0, *p++ = 0;
  p = put_section(p, 3, funcs_size);
  p = put_leb(p, n);
  memset(p, 0, n);
  p += n;
  p = put_section(p, 7, export_size);
  *p++ = 1, *p++ = 6;
  memcpy(p, "_start", 6);
  p += 6;
  *p++ = 0, *p++ = 0;
  p = put_section(p, 10, code_size);
  p = put_leb(p, n);
  for (uint32_t i = 0; i < n; ++i) *p++ = 2, *p++ = 0, *p++ = 0x0b;
  FILE* f = fopen(PATH, "wb");
  if (f == NULL || fwrite(module, 1, (size_t)(p - module), f) != (size_t)(p - module) ||
      fclose(f) != 0) {
    fprintf(stderr, "many_functions: cannot write %s\n", PATH);
    return 1;
  }
  free(module);

  static const char kArgv[] = "many";
  static const uint32_t stdio[3] = {0, 1, 2};
  uint32_t pid;
  int32_t err =
      warden_spawn(PATH, sizeof PATH - 1, kArgv, sizeof kArgv, 1, "", 0, 0, "/", 1, stdio, 0, &pid);
  if (err != 0) {
    fprintf(stderr, "many_functions: cannot start: %s\n", strerror(err));
    return 1;
  }
  struct warden_exit exit;
  char reason[256];
  if (warden_wait(pid, &exit, reason, sizeof reason) != 0) return 1;
  static const char* const kEnds[] = {"exited", "trapped", "killed", "failed"};
  printf("%u functions: %s: %s\n", (unsigned)n, exit.end <= 3 ? kEnds[exit.end] : "?", reason);
  unlink(PATH);
  return 0;
}
