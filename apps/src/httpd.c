// httpd: an HTTP/1.1 server for the files of one directory, over WASI sockets (pure WASI: it
// imports nothing from warden, so it runs in Warden and on the hosted runner alike).
//
//   httpd [-q] [--fd N] DIR
//
// The listening socket is handed to it, never made by it: the first descriptor from 3 up that is
// a socket (fstat: S_ISSOCK), which is where `./x wasm --tcplisten ADDR:PORT` and Warden's spawn
// put it (after the preopened directories), or descriptor N with --fd. Every request is one line
// on standard output, `METHOD PATH STATUS BYTES` (BYTES: the body sent), unless -q.
//
// GET and HEAD of regular files under DIR (a path ending in / means its index.html), with
// Content-Length and keep-alive (HTTP/1.1's default; `Connection: close` and HTTP/1.0 without
// `Connection: keep-alive` close after the response); other methods are 405. A malformed
// request is 400, a request line over 4 KiB 414, a head (request line and headers) over 8 KiB
// 431; they close the connection. A path with a `..` segment is 403, a missing file 404.
//
// Many connections at once: one poll() over the listener and every connection, all of them
// non-blocking. What a client can make it hold is bounded: at most MAX_CONNECTIONS connections
// (beyond that a new one gets a 503 and is closed), each with an 8 KiB request buffer and a
// 16 KiB response buffer through which a file goes piece by piece as the socket takes it (a
// 1 MiB file is never in memory whole), and an idle connection is closed after 30 s. A client
// that goes away mid-response ends only its own connection. Closing after a response (or a 503)
// first shuts down the sending side and reads what the client still sends for up to 2 s, so
// that unread request bytes do not turn the close into a reset that loses the response; such
// connections wait apart (MAX_CLOSING), holding no slot and no buffer.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 64
#define MAX_HEAD 8192
#define MAX_LINE 4096
#define MAX_PATH 1024
#define OUT_SIZE 16384
#define IDLE_MS 30000
#define LINGER_MS 2000
#define MAX_CLOSING 128

enum state { FREE, READING, SENDING };

struct connection {
  enum state state;
  int fd;
  int file;            // the body's file while one is being sent, else -1
  uint64_t file_left;  // its bytes not yet read into `out`
  bool keep_alive;
  int64_t deadline;  // monotonic milliseconds: idle or lingering ends then
  size_t in_len;
  size_t out_len, out_sent;
  char in[MAX_HEAD];
  char out[OUT_SIZE];
};

// What one parsed request asks for.
struct request {
  char method[16];
  char path[MAX_PATH];  // percent-decoded, without query
  bool head_only;
  bool keep_alive;
};

static struct connection connections[MAX_CONNECTIONS];
// Connections being closed: their sending side is shut down, and what the client still sends is
// read and dropped until it closes or LINGER_MS pass (a close with request bytes unread would be
// a reset, which can lose the response the client has not read yet). They hold no buffer and no
// slot of `connections`; fd -1 is a free entry. When every entry is taken a connection is just
// closed.
static struct closing {
  int fd;
  int64_t deadline;
} closing[MAX_CLOSING];
static int listener = -1;
static int root = -1;
static bool quiet = false;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_request(const char* method, const char* path, int status, uint64_t bytes) {
  if (quiet) return;
  // Control bytes in a path a client sent are not written to the log as they are.
  char clean[MAX_PATH];
  size_t n = 0;
  for (const char* p = path; *p && n + 1 < sizeof clean; ++p)
    clean[n++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
  clean[n] = '\0';
  printf("%s %s %d %llu\n", method, clean, status, (unsigned long long)bytes);
}

static void close_connection(struct connection* c) {
  if (c->file >= 0) close(c->file);
  close(c->fd);
  c->state = FREE;
  c->fd = -1;
  c->file = -1;
}

static const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

static const char* content_type(const char* path) {
  const char* dot = strrchr(path, '.');
  const char* slash = strrchr(path, '/');
  if (dot == NULL || (slash != NULL && dot < slash)) return "application/octet-stream";
  static const char* const types[][2] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".css", "text/css"},
      {".js", "text/javascript"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".svg", "image/svg+xml"},
      {".wasm", "application/wasm"},
  };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; ++i)
    if (strcasecmp(dot, types[i][0]) == 0) return types[i][1];
  return "application/octet-stream";
}

// Starts a response without a file: the status line, headers and (unless HEAD) a short text
// body saying what went wrong.
static void respond_error(struct connection* c, const struct request* r, int status) {
  char body[64];
  int body_len = snprintf(body, sizeof body, "%d %s\n", status, reason(status));
  bool send_body = !r->head_only;
  c->out_len =
      (size_t)snprintf(c->out, OUT_SIZE,
                       "HTTP/1.1 %d %s\r\nServer: httpd (Warden)\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Length: %d\r\nConnection: %s\r\n%s\r\n%s",
                       status, reason(status), body_len, r->keep_alive ? "keep-alive" : "close",
                       status == 405 ? "Allow: GET, HEAD\r\n" : "", send_body ? body : "");
  c->out_sent = 0;
  c->keep_alive = r->keep_alive;
  log_request(r->method[0] ? r->method : "-", r->path[0] ? r->path : "-", status,
              send_body ? (uint64_t)body_len : 0);
}

static bool token_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

// Whether the comma-separated header value `value` (length n) lists `token`.
static bool lists_token(const char* value, size_t n, const char* token) {
  size_t len = strlen(token);
  for (size_t at = 0; at < n;) {
    while (at < n && (value[at] == ' ' || value[at] == '\t' || value[at] == ',')) ++at;
    size_t start = at;
    while (at < n && value[at] != ',' && value[at] != ' ' && value[at] != '\t') ++at;
    if (at - start == len && strncasecmp(value + start, token, len) == 0) return true;
  }
  return false;
}

static int hex(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Decodes the request target (origin form) into r->path: 0, or the status to answer.
static int decode_target(const char* target, size_t n, struct request* r) {
  if (n == 0 || target[0] != '/') return 400;
  size_t out = 0;
  for (size_t i = 0; i < n && target[i] != '?' && target[i] != '#'; ++i) {
    char ch = target[i];
    if (ch == '%') {
      int hi = i + 2 < n ? hex(target[i + 1]) : -1, lo = i + 2 < n ? hex(target[i + 2]) : -1;
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return 400;
      ch = (char)(hi * 16 + lo);
      i += 2;
    }
    if (out + 1 >= MAX_PATH) return 414;
    r->path[out++] = ch;
  }
  r->path[out] = '\0';
  // No segment may climb out of DIR (the WASI sandbox refuses it too, as ENOTCAPABLE).
  for (const char* seg = r->path; seg != NULL;) {
    const char* end = strchr(seg + 1, '/');
    size_t len = end ? (size_t)(end - seg - 1) : strlen(seg + 1);
    if (len == 2 && seg[1] == '.' && seg[2] == '.') return 403;
    seg = end;
  }
  return 0;
}

// Parses the request line ("METHOD TARGET HTTP/x.y"): 0 and the target (*target, *target_len),
// or the status to answer.
static int parse_request_line(const char* line, size_t n, struct request* r, bool* http11,
                              const char** target, size_t* target_len) {
  const char* sp1 = memchr(line, ' ', n);
  if (sp1 == NULL || sp1 == line || (size_t)(sp1 - line) >= sizeof r->method) return 400;
  for (const char* p = line; p < sp1; ++p)
    if (!token_char(*p)) return 400;
  memcpy(r->method, line, (size_t)(sp1 - line));
  r->method[sp1 - line] = '\0';
  *target = sp1 + 1;
  const char* sp2 = memchr(*target, ' ', n - (size_t)(*target - line));
  if (sp2 == NULL) return 400;
  const char* version = sp2 + 1;
  size_t version_len = n - (size_t)(version - line);
  if (version_len != 8 || strncmp(version, "HTTP/", 5) != 0 || version[6] != '.') return 400;
  if (version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') return 400;
  if (version[5] != '1' || version[7] > '1') return 505;
  *http11 = version[7] == '1';
  r->keep_alive = *http11;
  *target_len = (size_t)(sp2 - *target);
  return 0;
}

// Parses the header lines of `head` (after the request line, up to the empty line).
static int parse_headers(const char* at, const char* end, struct request* r, bool http11) {
  bool host = false, body = false;
  while (at < end) {
    const char* nl = memchr(at, '\n', (size_t)(end - at));
    size_t len = (size_t)((nl ? nl : end) - at);
    if (len > 0 && at[len - 1] == '\r') --len;
    if (len == 0) break;
    if (at[0] == ' ' || at[0] == '\t') return 400;  // obsolete line folding
    const char* colon = memchr(at, ':', len);
    if (colon == NULL || colon == at) return 400;
    for (const char* p = at; p < colon; ++p)
      if (!token_char(*p)) return 400;
    size_t name_len = (size_t)(colon - at);
    const char* value = colon + 1;
    size_t value_len = len - name_len - 1;
    if (name_len == 4 && strncasecmp(at, "host", 4) == 0) host = true;
    if (name_len == 10 && strncasecmp(at, "connection", 10) == 0) {
      if (lists_token(value, value_len, "close")) r->keep_alive = false;
      if (!http11 && lists_token(value, value_len, "keep-alive")) r->keep_alive = true;
    }
    if (name_len == 17 && strncasecmp(at, "transfer-encoding", 17) == 0) body = true;
    if (name_len == 14 && strncasecmp(at, "content-length", 14) == 0) {
      while (value_len > 0 && (*value == ' ' || *value == '\t')) ++value, --value_len;
      if (value_len == 0 || value[0] != '0') body = true;
    }
    at = nl ? nl + 1 : end;
  }
  // A body is not read: the connection closes after the response instead.
  if (body) r->keep_alive = false;
  if (http11 && !host) return 400;
  return 0;
}

// Opens the file a request names: its descriptor, size and name under DIR (`rel`, for its
// type), or the status to answer.
static int open_file(const struct request* r, int* fd, uint64_t* size, char rel[MAX_PATH + 16]) {
  const char* p = r->path;
  while (*p == '/') ++p;
  size_t n = strlen(p);
  snprintf(rel, MAX_PATH + 16, "%s%s", p, n == 0 || p[n - 1] == '/' ? "index.html" : "");
  for (int attempt = 0; attempt < 2; ++attempt) {
    *fd = openat(root, rel, O_RDONLY);
    if (*fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG) return 404;
      return errno == EACCES || errno == EPERM || errno == ENOTCAPABLE ? 403 : 500;
    }
    struct stat st;
    if (fstat(*fd, &st) != 0) {
      close(*fd);
      return 500;
    }
    if (S_ISREG(st.st_mode)) {
      *size = (uint64_t)st.st_size;
      return 0;
    }
    close(*fd);
    if (!S_ISDIR(st.st_mode) || attempt == 1) return attempt == 1 ? 404 : 403;
    strncat(rel, "/index.html", MAX_PATH + 16 - strlen(rel) - 1);  // a folder named without a '/'
  }
  return 404;
}

// Answers the request whose head is the first `head_len` bytes of c->in.
static void start_response(struct connection* c, size_t head_len) {
  struct request r = {0};
  bool http11 = false;
  const char* nl = memchr(c->in, '\n', head_len);
  size_t line_len = (size_t)(nl - c->in);
  if (line_len > 0 && c->in[line_len - 1] == '\r') --line_len;
  const char* target = NULL;
  size_t target_len = 0;
  int status = parse_request_line(c->in, line_len, &r, &http11, &target, &target_len);
  if (status == 0) status = parse_headers(nl + 1, c->in + head_len, &r, http11);
  if (status == 0 && strcmp(r.method, "GET") != 0 && strcmp(r.method, "HEAD") != 0) status = 405;
  if (status == 0) status = decode_target(target, target_len, &r);
  r.head_only = strcmp(r.method, "HEAD") == 0;
  if (status == 400 || status == 414 || status == 505) r.keep_alive = false;
  int fd = -1;
  uint64_t size = 0;
  char rel[MAX_PATH + 16];
  if (status == 0) status = open_file(&r, &fd, &size, rel);
  c->state = SENDING;
  // The rest of the input (a pipelined request) waits for this response to go.
  memmove(c->in, c->in + head_len, c->in_len - head_len);
  c->in_len -= head_len;
  if (status != 0) {
    respond_error(c, &r, status);
    return;
  }
  c->out_len = (size_t)snprintf(c->out, OUT_SIZE,
                                "HTTP/1.1 200 OK\r\nServer: httpd (Warden)\r\nContent-Type: %s\r\n"
                                "Content-Length: %llu\r\nConnection: %s\r\n\r\n",
                                content_type(rel), (unsigned long long)size,
                                r.keep_alive ? "keep-alive" : "close");
  c->out_sent = 0;
  c->keep_alive = r.keep_alive;
  if (r.head_only) {
    close(fd);
  } else {
    c->file = fd;
    c->file_left = size;
  }
  log_request(r.method, r.path, 200, r.head_only ? 0 : size);
}

// A head that does not fit: 414 when even the request line does not, else 431.
static void head_too_long(struct connection* c) {
  struct request r = {0};
  bool line_fits = memchr(c->in, '\n', c->in_len < MAX_LINE ? c->in_len : MAX_LINE) != NULL;
  c->state = SENDING;
  c->in_len = 0;
  respond_error(c, &r, line_fits ? 431 : 414);
}

// The length of the head at the start of c->in (through its empty line), or 0 while incomplete.
static size_t head_length(const struct connection* c) {
  for (size_t i = 0; i + 1 < c->in_len; ++i) {
    if (c->in[i] != '\n') continue;
    if (c->in[i + 1] == '\n') return i + 2;
    if (i + 2 < c->in_len && c->in[i + 1] == '\r' && c->in[i + 2] == '\n') return i + 3;
  }
  return 0;
}

// Starts the response to a complete request in c->in, if there is one.
static void next_request(struct connection* c) {
  size_t head = head_length(c);
  if (head > 0)
    start_response(c, head);
  else if (c->in_len == MAX_HEAD)
    head_too_long(c);
}

// Shuts down the sending side of `fd` and keeps it in `closing` until the client is done.
static void close_gently(int fd, int64_t now) {
  shutdown(fd, SHUT_WR);
  for (int i = 0; i < MAX_CLOSING; ++i) {
    if (closing[i].fd >= 0) continue;
    closing[i] = (struct closing){fd, now + LINGER_MS};
    return;
  }
  close(fd);
}

// Reads and drops what a closing connection's client sends; closes it once the client is done
// or its time is up.
static void drain_closing(struct closing* e, bool readable, int64_t now) {
  char discard[512];
  ssize_t n = 1;
  while (readable && n > 0) n = recv(e->fd, discard, sizeof discard, 0);
  bool done = readable && (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR));
  if (done || now >= e->deadline) {
    close(e->fd);
    e->fd = -1;
  }
}

// After the last byte of a response: the next request, or an orderly close.
static void response_done(struct connection* c, int64_t now) {
  if (c->file >= 0) close(c->file);
  c->file = -1;
  if (c->keep_alive) {
    c->state = READING;
    c->deadline = now + IDLE_MS;
    next_request(c);
    return;
  }
  close_gently(c->fd, now);
  c->state = FREE;
  c->fd = -1;
}

// Tops the response buffer up from the file once less than half of it waits: what is unsent
// moves to the front and the file fills the rest. So the headers and a small body leave in one
// send: two small sends in a row make the second wait for the client's delayed acknowledgement
// (Nagle; 40 ms a response on Linux, and WASI has no TCP_NODELAY). false: the file failed.
static bool fill(struct connection* c) {
  size_t unsent = c->out_len - c->out_sent;
  if (c->file < 0 || c->file_left == 0 || unsent >= OUT_SIZE / 2) return true;
  memmove(c->out, c->out + c->out_sent, unsent);
  c->out_len = unsent;
  c->out_sent = 0;
  size_t room = OUT_SIZE - c->out_len;
  size_t want = c->file_left < room ? (size_t)c->file_left : room;
  ssize_t n = read(c->file, c->out + c->out_len, want);
  if (n <= 0) return false;
  c->out_len += (size_t)n;
  c->file_left -= (uint64_t)n;
  return true;
}

// Sends what the socket takes; refills the buffer from the file. false: the connection ended.
static bool send_some(struct connection* c, int64_t now) {
  while (c->state == SENDING) {
    if (!fill(c)) return false;  // the file shrank or failed: the length cannot be kept
    if (c->out_sent < c->out_len) {
      ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      if (n <= 0) return false;  // the client went away mid-response
      c->out_sent += (size_t)n;
      c->deadline = now + IDLE_MS;
      continue;
    }
    response_done(c, now);
  }
  return true;
}

// Reads what came; starts a response once a request is whole. false: the connection ended.
static bool receive(struct connection* c, int64_t now) {
  for (;;) {
    size_t room = MAX_HEAD - c->in_len;
    if (room == 0) return true;
    ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;  // the end, or the connection broke
    c->in_len += (size_t)n;
    c->deadline = now + IDLE_MS;
    next_request(c);
    if (c->state != READING) return true;
  }
}

static void refuse_busy(int fd, int64_t now) {
  static const char busy[] =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: 24\r\nConnection: close\r\n\r\n503 Service Unavailable\n";
  (void)send(fd, busy, sizeof busy - 1, 0);
  log_request("-", "-", 503, 24);
  close_gently(fd, now);
}

static void accept_all(int64_t now) {
  for (;;) {
    struct sockaddr_storage address;
    socklen_t address_len = sizeof address;
    int fd = accept4(listener, (struct sockaddr*)&address, &address_len, SOCK_NONBLOCK);
    if (fd < 0 && errno == EINTR) continue;
    if (fd < 0) {
      if (errno != EAGAIN) fprintf(stderr, "httpd: accept: %s\n", strerror(errno));
      return;
    }
    struct connection* c = NULL;
    for (int i = 0; i < MAX_CONNECTIONS && c == NULL; ++i)
      if (connections[i].state == FREE) c = &connections[i];
    if (c == NULL) {
      refuse_busy(fd, now);
      continue;
    }
    c->state = READING;
    c->fd = fd;
    c->file = -1;
    c->in_len = 0;
    c->keep_alive = true;
    c->deadline = now + IDLE_MS;
  }
}

static void serve_one(struct connection* c, short revents, int64_t now) {
  bool alive = true;
  if (c->state == SENDING)
    alive = send_some(c, now);
  else if (revents & (POLLIN | POLLHUP | POLLERR))
    alive = receive(c, now);
  // A request completed by this read is answered at once, without waiting for the next poll.
  if (alive && c->state == SENDING) alive = send_some(c, now);
  if (!alive) close_connection(c);
}

// The listener: descriptor `wanted`, or the first socket from 3 up.
static int find_listener(int wanted) {
  for (int fd = wanted >= 0 ? wanted : 3; fd < (wanted >= 0 ? wanted + 1 : 256); ++fd) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) return fd;
  }
  return -1;
}

static int usage(void) {
  fprintf(stderr, "usage: httpd [-q] [--fd N] DIR\n");
  return 2;
}

static void serve_forever(void) {
  static struct pollfd polled[1 + MAX_CONNECTIONS + MAX_CLOSING];
  static int slot_of[1 + MAX_CONNECTIONS + MAX_CLOSING];  // a closing one's: -1 - its index
  for (;;) {
    int64_t now = now_ms(), wake = -1;
    int count = 1;
    polled[0] = (struct pollfd){.fd = listener, .events = POLLIN};
    for (int i = 0; i < MAX_CONNECTIONS; ++i) {
      struct connection* c = &connections[i];
      if (c->state == FREE) continue;
      polled[count] =
          (struct pollfd){.fd = c->fd, .events = c->state == SENDING ? POLLOUT : POLLIN};
      slot_of[count++] = i;
      if (wake < 0 || c->deadline < wake) wake = c->deadline;
    }
    for (int i = 0; i < MAX_CLOSING; ++i) {
      if (closing[i].fd < 0) continue;
      polled[count] = (struct pollfd){.fd = closing[i].fd, .events = POLLIN};
      slot_of[count++] = -1 - i;
      if (wake < 0 || closing[i].deadline < wake) wake = closing[i].deadline;
    }
    int timeout = wake < 0 ? -1 : (wake <= now ? 0 : (int)(wake - now));
    if (poll(polled, (nfds_t)count, timeout) < 0 && errno != EINTR) {
      fprintf(stderr, "httpd: poll: %s\n", strerror(errno));
      exit(1);
    }
    now = now_ms();
    for (int k = 1; k < count; ++k) {
      if (slot_of[k] < 0) {
        drain_closing(&closing[-1 - slot_of[k]], polled[k].revents != 0, now);
        continue;
      }
      struct connection* c = &connections[slot_of[k]];
      if (polled[k].revents != 0) serve_one(c, polled[k].revents, now);
      if (c->state != FREE && now >= c->deadline) close_connection(c);
    }
    if (polled[0].revents != 0) accept_all(now);
  }
}

int main(int argc, char** argv) {
  int wanted = -1;
  const char* dir = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-q") == 0) {
      quiet = true;
    } else if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc) {
      char* end;
      long n = strtol(argv[++i], &end, 10);
      if (*end != '\0' || n < 0 || n > 65535) return usage();
      wanted = (int)n;
    } else if (argv[i][0] == '-' || dir != NULL) {
      return usage();
    } else {
      dir = argv[i];
    }
  }
  if (dir == NULL) return usage();
  listener = find_listener(wanted);
  if (listener < 0) {
    fprintf(stderr, "httpd: no listening socket (run it with one, e.g. --tcplisten ADDR:PORT)\n");
    return 1;
  }
  root = open(dir, O_RDONLY | O_DIRECTORY);
  if (root < 0) {
    fprintf(stderr, "httpd: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  if (fcntl(listener, F_SETFL, O_NONBLOCK) != 0) {
    fprintf(stderr, "httpd: %s\n", strerror(errno));
    return 1;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 0; i < MAX_CONNECTIONS; ++i) connections[i].fd = connections[i].file = -1;
  for (int i = 0; i < MAX_CLOSING; ++i) closing[i].fd = -1;
  if (!quiet) printf("httpd: serving %s on descriptor %d\n", dir, listener);
  serve_forever();
}
