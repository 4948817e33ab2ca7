// Hostile: writes 8 MiB to the console, in one fd_write after another for what is left (a write
// may take less than asked), then exits 0. The bytes are NULs, which a terminal does not show.
// `console_flood quiet` only touches the 8 MiB and exits.
// kernel/ktest/hostile_authority_test.cc checks that other programs run and finish meanwhile and
// that it can be ended in the middle of a write.
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static char g_flood[8 << 20];

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "quiet") == 0) {
    // Touches its memory and writes nothing: a run that warms the kernel up for frame counts.
    memset(g_flood, 1, sizeof g_flood);
    return 0;
  }
  uint32_t calls = 0;
  for (size_t done = 0; done < sizeof g_flood; ++calls) {
    ssize_t n = write(STDOUT_FILENO, g_flood + done, sizeof g_flood - done);
    if (n <= 0) return 1;
    done += (size_t)n;
  }
  return calls > 1 ? 0 : 3;  // 3: the kernel took all of it in one call
}
