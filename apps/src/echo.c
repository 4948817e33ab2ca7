// echo [-n] [WORD...]: writes the words separated by spaces, then a newline unless -n.
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  bool newline = true;
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "-n") == 0) {
    newline = false;
    first = 2;
  }
  for (int i = first; i < argc; ++i) {
    if (i > first) putchar(' ');
    fputs(argv[i], stdout);
  }
  if (newline) putchar('\n');
  if (fflush(stdout) != 0 || ferror(stdout)) {
    perror("echo: write");
    return 1;
  }
  return 0;
}
