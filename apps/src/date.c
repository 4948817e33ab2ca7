// date [+FORMAT]: the time now (WASI clock_time_get, realtime) in UTC, as `date -u` prints it
// ("Tue Mar  4 15:09:26 UTC 2025"), or in strftime's FORMAT.
#include <stdio.h>
#include <time.h>

#include "tool.h"

int main(int argc, char** argv) {
  tool_name = "date";
  if (argc > 2 || (argc == 2 && argv[1][0] != '+')) return tool_usage("[+FORMAT]");
  const char* format = argc == 2 ? argv[1] + 1 : "%a %b %e %H:%M:%S UTC %Y";
  struct timespec now;
  struct tm tm;
  if (clock_gettime(CLOCK_REALTIME, &now) != 0) return tool_fail("clock");
  if (gmtime_r(&now.tv_sec, &tm) == NULL) return tool_fail("clock");
  char text[512];
  size_t n = strftime(text, sizeof text, format, &tm);
  if (n == 0 && format[0] != '\0') {
    tool_error("%s: format empty or over %zu bytes", argv[1], sizeof text - 1);
    return 1;
  }
  printf("%s\n", text);
  return tool_finish(0);
}
