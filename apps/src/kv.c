// kv: the client of kvd, the key-value store.
//
//   kv [-s SERVICE] set NAME VALUE...   stores VALUE (the arguments joined by spaces) under NAME
//   kv [-s SERVICE] get NAME            prints the value stored under NAME
//   kv [-s SERVICE] del NAME            removes NAME
//   kv [-s SERVICE] list                prints every name, one per line
//
// Connects to /svc/SERVICE (default "kv"), sends one request and prints the answer (kvd.c has
// the protocol). A service that is not there yet is waited for up to half a second (a kvd just
// started with `kvd &` may still be loading). Exit status 0 on "ok", 1 when the store says no
// (the reason on standard error) or cannot be reached, 2 for a usage error.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <warden.h>

#define MAX_REQUEST 2048

static char answer[WARDEN_CHANNEL_MAX_BYTES + 1];

static int usage(void) {
  fprintf(stderr, "usage: kv [-s SERVICE] set NAME VALUE... | get NAME | del NAME | list\n");
  return 2;
}

int main(int argc, char** argv) {
  const char* service = "kv";
  int at = 1;
  if (at + 1 < argc && strcmp(argv[at], "-s") == 0) {
    service = argv[at + 1];
    at += 2;
  }
  if (at >= argc) return usage();
  const char* verb = argv[at];
  int words = argc - at;  // the verb and its operands
  int ok = (strcmp(verb, "list") == 0 && words == 1) ||
           ((strcmp(verb, "get") == 0 || strcmp(verb, "del") == 0) && words == 2) ||
           (strcmp(verb, "set") == 0 && words >= 3);
  if (!ok) return usage();
  char request[MAX_REQUEST];
  size_t len = 0;
  for (int i = at; i < argc; ++i) {
    size_t n = strlen(argv[i]);
    if (len + n + 1 > sizeof request) {
      fprintf(stderr, "kv: the request is too long\n");
      return 1;
    }
    if (i > at) request[len++] = ' ';
    memcpy(request + len, argv[i], n);
    len += n;
  }
  uint32_t fd;
  int32_t err;
  for (int tries = 0;; ++tries) {
    err = warden_service_connect(service, (uint32_t)strlen(service), &fd);
    if ((err != ENOENT && err != EAGAIN) || tries == 50) break;
    struct timespec pause = {0, 10000000};  // 10 ms
    nanosleep(&pause, NULL);
  }
  if (err == ENOENT) {
    fprintf(stderr, "kv: no service /svc/%s (start it with: kvd &)\n", service);
    return 1;
  }
  if (err != 0) {
    fprintf(stderr, "kv: cannot connect to /svc/%s: %s\n", service, strerror(err));
    return 1;
  }
  err = warden_channel_write(fd, request, (uint32_t)len, NULL, 0);
  uint32_t n = 0, handles = 0;
  if (err == 0) err = warden_channel_read(fd, answer, sizeof answer - 1, NULL, 0, &n, &handles);
  if (err == EPIPE) {
    fprintf(stderr, "kv: /svc/%s closed the connection\n", service);
    return 1;
  }
  if (err != 0) {
    fprintf(stderr, "kv: /svc/%s: %s\n", service, strerror(err));
    return 1;
  }
  answer[n] = 0;
  if (strncmp(answer, "ok", 2) != 0) {
    fprintf(stderr, "kv: %s\n", strncmp(answer, "error: ", 7) == 0 ? answer + 7 : answer);
    return 1;
  }
  // "ok VALUE" for get; "ok\nNAME..." for list; "ok" alone otherwise.
  if (strcmp(verb, "get") == 0) {
    printf("%s\n", n > 3 ? answer + 3 : "");
  } else if (strcmp(verb, "list") == 0 && n > 3) {
    printf("%s\n", answer + 3);
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
