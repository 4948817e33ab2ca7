// yes [WORD...]: prints the words separated by spaces (or "y") on line after line, forever. When
// its standard output is closed (a pipe whose reader ended: the write fails with EPIPE) it stops
// quietly with status 0; any other write error is reported (status 1).
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

int main(int argc, char** argv) {
  tool_name = "yes";
  size_t len = 0;
  for (int i = 1; i < argc; ++i) len += strlen(argv[i]) + 1;
  if (argc < 2) len = 2;
  // Many copies of the line in one buffer, so that each write moves a lot.
  static char buf[16384];
  char* line = len <= sizeof buf ? buf : malloc(len);
  if (line == NULL) return tool_fail("line");
  char* p = line;
  for (int i = 1; i < argc; ++i) {
    p = stpcpy(p, argv[i]);
    *p++ = ' ';
  }
  if (argc < 2) memcpy(line, "y ", 2);
  line[len - 1] = '\n';
  size_t fill = len;
  while (line == buf && fill + len <= sizeof buf) {
    memcpy(buf + fill, buf, len);
    fill += len;
  }
  for (;;) {
    if (tool_write_all(STDOUT_FILENO, line, fill) == 0) continue;
    return errno == EPIPE ? 0 : tool_fail("standard output");
  }
}
