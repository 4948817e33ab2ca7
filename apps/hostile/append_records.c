// append_records FILE TAG COUNT: appends COUNT records of 32 bytes ("TAG0000042:record ...\n") to
// FILE opened with O_APPEND, each with one writev of two parts (as stdio writes its buffer and
// the new data). Two of these at once must leave every record of both, whole (the kernel test
// hostile.appending_programs_lose_no_records): WASI used to ask the file's size and then write
// there, so two appenders could write at the same end.
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: append_records FILE TAG COUNT\n");
    return 2;
  }
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    perror("append_records: open");
    return 1;
  }
  int count = atoi(argv[3]);
  for (int i = 0; i < count; ++i) {
    char head[16], body[32];
    snprintf(head, sizeof head, "%c%07d", argv[2][0], i);
    snprintf(body, sizeof body, ":%-22s\n", "record");
    struct iovec iov[2] = {{head, 8}, {body, 24}};
    if (writev(fd, iov, 2) != 32) {
      perror("append_records: writev");
      return 1;
    }
    if (i % 16 == 0) sched_yield();  // at one hart too, the other writer gets in between
  }
  return close(fd) == 0 ? 0 : 1;
}
