// cksum [FILE...]: prints the POSIX checksum (the CRC-32 of the bytes and their length, as
// POSIX's cksum defines it), the byte count and the name of each file (or of standard input,
// also for "-", printed without a name).
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static uint32_t g_table[256];

// The CRC with POSIX's generator 0x04C11DB7, most significant bit first.
static void make_table(void) {
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i << 24;
    for (int k = 0; k < 8; ++k) c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
    g_table[i] = c;
  }
}

static uint32_t update(uint32_t crc, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = (crc << 8) ^ g_table[(crc >> 24) ^ p[i]];
  return crc;
}

// Sums fd and prints the line. Returns 0, or 1 after reporting a read error.
static int sum(int fd, const char* name) {
  static unsigned char buf[65536];
  uint32_t crc = 0;
  uint64_t length = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      tool_error("%s: %s", name ? name : "stdin", strerror(errno));
      return 1;
    }
    crc = update(crc, buf, (size_t)n);
    length += (uint64_t)n;
  }
  for (uint64_t l = length; l != 0; l >>= 8) {
    unsigned char byte = (unsigned char)(l & 0xff);
    crc = update(crc, &byte, 1);
  }
  printf("%u %llu%s%s\n", (unsigned)~crc, (unsigned long long)length, name ? " " : "",
         name ? name : "");
  return 0;
}

int main(int argc, char** argv) {
  tool_name = "cksum";
  make_table();
  if (argc < 2) return tool_finish(sum(STDIN_FILENO, NULL));
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    int fd = strcmp(argv[i], "-") == 0 ? STDIN_FILENO : open(argv[i], O_RDONLY);
    if (fd < 0) {
      tool_error("%s: %s", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    status |= sum(fd, argv[i]);
    if (fd != STDIN_FILENO) close(fd);
  }
  return tool_finish(status);
}
