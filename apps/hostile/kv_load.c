// A client of kvd (apps/src/kvd.c) for the kernel's tests, polite or not.
//
//   kv_load SERVICE ID COUNT   COUNT requests on one connection, alternately "set kID.j vI" and
//                              "get kID.j", each answer checked; prints "kv_load ID: COUNT
//                              answers" and exits 0 when every answer was right
//   kv_load SERVICE rude       misbehaves, one connection per way: connects and ends at once;
//                              sends a request and closes before the answer; sends a message too
//                              big for a request; sends a request carrying a descriptor; sends
//                              requests without reading the answers until its queue is full;
//                              then checks, on a new connection, that the service still answers
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <warden.h>

static const char* service;

static uint32_t connect_to(void) {
  uint32_t fd = 0;
  for (int i = 0; i < 5000; ++i) {
    int32_t err = warden_service_connect(service, (uint32_t)strlen(service), &fd);
    if (err == 0) return fd;
    if (err != ENOENT && err != EAGAIN) break;
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  printf("kv_load: cannot connect to %s\n", service);
  exit(1);
}

// One request and its answer (NUL-terminated in `answer`); returns the errno.
static int32_t ask(uint32_t fd, const char* request, char* answer, uint32_t size) {
  int32_t err = warden_channel_write(fd, request, (uint32_t)strlen(request), NULL, 0);
  uint32_t n = 0, handles = 0;
  if (err == 0) err = warden_channel_read(fd, answer, size - 1, NULL, 0, &n, &handles);
  answer[err == 0 ? n : 0] = 0;
  return err;
}

static int polite(const char* id, uint32_t count) {
  uint32_t fd = connect_to();
  char request[128], answer[256], want[128];
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t slot = (i / 2) % 4;
    if (i % 2 == 0) {
      snprintf(request, sizeof request, "set k%s.%u v%u", id, (unsigned)slot, (unsigned)i);
      snprintf(want, sizeof want, "ok");
    } else {
      snprintf(request, sizeof request, "get k%s.%u", id, (unsigned)slot);
      snprintf(want, sizeof want, "ok v%u", (unsigned)(i - 1));
    }
    int32_t err = ask(fd, request, answer, sizeof answer);
    if (err != 0 || strcmp(answer, want) != 0) {
      printf("kv_load %s: '%s' answered '%s' (%s), not '%s'\n", id, request, answer,
             err ? strerror(err) : "ok", want);
      return 1;
    }
  }
  printf("kv_load %s: %u answers\n", id, (unsigned)count);
  return 0;
}

static int rude(void) {
  int failures = 0;
  // Connects and ends (closes) at once.
  close((int)connect_to());
  // A request, then gone before the answer.
  uint32_t fd = connect_to();
  warden_channel_write(fd, "set rude.a 1", 12, NULL, 0);
  close((int)fd);
  // Too big for a request: the service closes the connection.
  static char big[8192];
  memset(big, 'x', sizeof big);
  fd = connect_to();
  warden_channel_write(fd, big, sizeof big, NULL, 0);
  char answer[256];
  uint32_t n, handles;
  int32_t err = warden_channel_read(fd, answer, sizeof answer, NULL, 0, &n, &handles);
  printf("kv_load rude: a request too big: %s\n", err ? strerror(err) : "answered");
  failures += err != EPIPE;
  close((int)fd);
  // A request carrying a descriptor: likewise (the descriptor is freed with the message).
  fd = connect_to();
  int null = open("/dev/null", O_RDONLY);
  struct warden_transfer t = {.fd = (uint32_t)null};
  warden_channel_write(fd, "get rude.a", 10, &t, 1);
  err = warden_channel_read(fd, answer, sizeof answer, NULL, 0, &n, &handles);
  printf("kv_load rude: a request with a descriptor: %s\n", err ? strerror(err) : "answered");
  failures += err != EPIPE;
  close((int)fd);
  // Requests without reading the answers: the service disconnects it once its queue is full.
  fd = connect_to();
  uint32_t sent = 0;
  while (sent < 1000 && warden_channel_write(fd, "get rude.a", 10, NULL, 0) == 0) ++sent;
  printf("kv_load rude: %u requests without reading, then the service let go\n", (unsigned)sent);
  failures += sent >= 1000;
  close((int)fd);
  // Still answering.
  fd = connect_to();
  err = ask(fd, "set rude.b 2", answer, sizeof answer);
  if (err == 0) err = ask(fd, "get rude.b", answer, sizeof answer);
  printf("kv_load rude: afterwards: %s\n", err ? strerror(err) : answer);
  failures += err != 0 || strcmp(answer, "ok 2") != 0;
  close((int)fd);
  return failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[2], "rude") == 0) {
    service = argv[1];
    return rude();
  }
  if (argc == 4) {
    service = argv[1];
    return polite(argv[2], (uint32_t)atoi(argv[3]));
  }
  printf("usage: kv_load SERVICE ID COUNT | kv_load SERVICE rude\n");
  return 2;
}
