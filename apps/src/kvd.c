// kvd: a key-value store served to other programs through a channel service.
//
//   kvd [SERVICE]     publishes /svc/SERVICE (default "kv") and serves it until it is ended;
//                     start it in the background from the shell: `kvd &`, then use `kv`.
//
// Protocol: one request is one message, one answer is one message, both text.
//   get NAME          -> "ok VALUE" or "error: no such name"
//   set NAME VALUE    -> "ok" (VALUE is every byte after the space, possibly empty)
//   del NAME          -> "ok" or "error: no such name"
//   list              -> "ok" and then "\nNAME" for each name
// Names are 1 to 64 bytes without spaces or newlines; values at most 1024 bytes.
//
// It waits on its service and every connection at once (poll), so no client can hold it up.
// What one client can make it hold is bounded: the store is at most 256 entries (set beyond that
// is "error: the store is full"), a connection costs a slot among 32 (more are closed at once),
// and a request is read whole or not at all: a message over the size of the largest request, or
// one carrying descriptors, ends that connection. Replies are written without waiting: a client
// that does not read its answers until its queue is full is disconnected. A client that ends,
// mid-request or not, is just a connection that closed.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <warden.h>

#define MAX_CONNECTIONS 32
#define MAX_ENTRIES 256
#define MAX_NAME 64
#define MAX_VALUE 1024
#define MAX_REQUEST (4 + MAX_NAME + 1 + MAX_VALUE)
#define MAX_ANSWER (MAX_ENTRIES * (MAX_NAME + 1) + 16)

struct entry {
  uint32_t name_len;
  uint32_t value_len;
  char name[MAX_NAME];
  char value[MAX_VALUE];
};

static struct entry entries[MAX_ENTRIES];
static uint32_t entry_count;
static uint32_t connections[MAX_CONNECTIONS];
static uint32_t connection_count;
static char request[MAX_REQUEST];
static char answer[MAX_ANSWER];
static uint64_t answered;

static struct entry* find(const char* name, uint32_t len) {
  for (uint32_t i = 0; i < entry_count; ++i) {
    if (entries[i].name_len == len && memcmp(entries[i].name, name, len) == 0) return &entries[i];
  }
  return NULL;
}

static int valid_name(const char* name, uint32_t len) {
  if (len == 0 || len > MAX_NAME) return 0;
  for (uint32_t i = 0; i < len; ++i) {
    if (name[i] == ' ' || name[i] == '\n' || name[i] == 0) return 0;
  }
  return 1;
}

// Answers the request of `len` bytes in `request`; returns the answer's length.
static uint32_t handle(uint32_t len) {
  const char* end = request + len;
  const char* space = memchr(request, ' ', len);
  uint32_t verb = space ? (uint32_t)(space - request) : len;
  const char* name = space ? space + 1 : end;
  const char* name_end = name;
  while (name_end < end && *name_end != ' ') ++name_end;
  uint32_t name_len = (uint32_t)(name_end - name);
  int has_value = name_end < end;
  const char* value = has_value ? name_end + 1 : end;
  uint32_t value_len = (uint32_t)(end - value);
#define ANSWER(text) (uint32_t)snprintf(answer, sizeof answer, "%s", text)
  if (verb == 4 && memcmp(request, "list", 4) == 0 && !space) {
    uint32_t n = ANSWER("ok");
    for (uint32_t i = 0; i < entry_count; ++i) {
      answer[n++] = '\n';
      memcpy(answer + n, entries[i].name, entries[i].name_len);
      n += entries[i].name_len;
    }
    return n;
  }
  if (!valid_name(name, name_len)) return ANSWER("error: bad request (get|set|del NAME, list)");
  struct entry* e = find(name, name_len);
  if (verb == 3 && memcmp(request, "get", 3) == 0 && !has_value) {
    if (!e) return ANSWER("error: no such name");
    memcpy(answer, "ok ", 3);
    memcpy(answer + 3, e->value, e->value_len);
    return 3 + e->value_len;
  }
  if (verb == 3 && memcmp(request, "set", 3) == 0 && has_value) {
    if (value_len > MAX_VALUE) return ANSWER("error: the value is over 1024 bytes");
    if (!e) {
      if (entry_count == MAX_ENTRIES) return ANSWER("error: the store is full");
      e = &entries[entry_count++];
      e->name_len = name_len;
      memcpy(e->name, name, name_len);
    }
    e->value_len = value_len;
    memcpy(e->value, value, value_len);
    return ANSWER("ok");
  }
  if (verb == 3 && memcmp(request, "del", 3) == 0 && !has_value) {
    if (!e) return ANSWER("error: no such name");
    *e = entries[--entry_count];  // the order of the others is kept but for the last one
    return ANSWER("ok");
  }
  return ANSWER("error: bad request (get|set|del NAME, list)");
#undef ANSWER
}

// Serves what connection `fd` sent; returns 0 to keep it, -1 to close it.
static int serve(uint32_t fd) {
  // At most a few requests per turn, so that one busy client cannot starve the others.
  for (int turn = 0; turn < 8; ++turn) {
    uint32_t len = 0, handles = 0;
    int32_t err = warden_channel_read(fd, request, sizeof request, NULL, 0, &len, &handles);
    if (err == EAGAIN) return 0;
    if (err != 0) return -1;  // EPIPE: it is gone; ENOBUFS: too big or carries descriptors
    uint32_t n = handle(len);
    err = warden_channel_write(fd, answer, n, NULL, 0);
    if (err != 0) return -1;  // EPIPE: it ended mid-request; EAGAIN: it does not read
    ++answered;
  }
  return 0;
}

static void add_connection(uint32_t fd) {
  if (connection_count == MAX_CONNECTIONS || fcntl((int)fd, F_SETFL, O_NONBLOCK) != 0) {
    close((int)fd);  // the client sees EPIPE
    return;
  }
  connections[connection_count++] = fd;
}

int main(int argc, char** argv) {
  const char* name = argc > 1 ? argv[1] : "kv";
  if (argc > 2 || (argc > 1 && argv[1][0] == '-')) {
    fprintf(stderr, "usage: kvd [SERVICE]\n");
    return 2;
  }
  uint32_t service;
  int32_t err = warden_service_publish(name, (uint32_t)strlen(name), &service);
  if (err != 0) {
    fprintf(stderr, "kvd: cannot publish /svc/%s: %s\n", name, strerror(err));
    return 1;
  }
  if (fcntl((int)service, F_SETFL, O_NONBLOCK) != 0) {
    fprintf(stderr, "kvd: %s\n", strerror(errno));
    return 1;
  }
  printf("kvd: serving /svc/%s\n", name);
  fflush(stdout);
  static struct pollfd polled[1 + MAX_CONNECTIONS];
  for (;;) {
    polled[0] = (struct pollfd){.fd = (int)service, .events = POLLIN};
    for (uint32_t i = 0; i < connection_count; ++i) {
      polled[1 + i] = (struct pollfd){.fd = (int)connections[i], .events = POLLIN};
    }
    uint32_t polled_count = 1 + connection_count;
    if (poll(polled, polled_count, -1) < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "kvd: poll: %s\n", strerror(errno));
      return 1;
    }
    // Connections first (from the last, so that closing one moves only those already served).
    for (uint32_t i = polled_count - 1; i >= 1; --i) {
      if (polled[i].revents == 0) continue;
      if (serve(connections[i - 1]) != 0) {
        close((int)connections[i - 1]);
        connections[i - 1] = connections[--connection_count];
      }
    }
    if (polled[0].revents != 0) {
      uint32_t fd;
      while (warden_service_accept(service, &fd) == 0) add_connection(fd);
    }
  }
}
