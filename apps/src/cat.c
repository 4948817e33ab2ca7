// cat [FILE...]: copies each file (or standard input, also for "-") to standard output.
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

int main(int argc, char** argv) {
  tool_name = "cat";
  if (argc < 2) return tool_copy(STDIN_FILENO, "stdin", STDOUT_FILENO, "write");
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-") == 0) {
      status |= tool_copy(STDIN_FILENO, "stdin", STDOUT_FILENO, "write");
      continue;
    }
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      status = tool_fail(argv[i]);
      continue;
    }
    status |= tool_copy(fd, argv[i], STDOUT_FILENO, "write");
    close(fd);
  }
  return status;
}
