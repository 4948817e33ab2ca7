#include <stdio.h>
unsigned run(void);
int main(void) {
  printf("%u\n", run());
  return 0;
}
