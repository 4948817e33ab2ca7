// lines: reads standard input a line at a time and answers each with "> LINE" at once, until end
// of input. Shows that an interactive program gets its input while others compute.
#include <stdio.h>
#include <string.h>

int main(void) {
  char line[1024];
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    printf("> %s\n", line);
    if (fflush(stdout) != 0) {
      perror("lines: write");
      return 1;
    }
  }
  if (ferror(stdin)) {
    perror("lines: read");
    return 1;
  }
  return 0;
}
