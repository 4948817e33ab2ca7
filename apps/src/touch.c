// touch FILE...: sets each file's access and modification times to now, creating it (empty)
// when it does not exist.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

int main(int argc, char** argv) {
  tool_name = "touch";
  if (argc < 2) return tool_usage("FILE...");
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    if (utimensat(AT_FDCWD, argv[i], NULL, 0) == 0) continue;
    int fd = errno == ENOENT ? open(argv[i], O_WRONLY | O_CREAT, 0666) : -1;
    if (fd < 0) {
      status = tool_fail(argv[i]);
      continue;
    }
    close(fd);
  }
  return status;
}
