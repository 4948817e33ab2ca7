// fetch: an HTTP/1.1 client. GETs URL (http://A.B.C.D:PORT/PATH, IPv4 only, no names: Warden has
// no resolver) over warden_tcp_connect and writes the response's body to standard output.
//
//   fetch [-i] URL      -i: the status line and headers too (on standard output, first)
//
// Status 0 for a 2xx answer, 1 for any other answer (its status line on standard error) or an
// error (a refused connection, a malformed answer, a body shorter than its Content-Length).
// The request says `Connection: close`, so the body ends where the connection does unless a
// Content-Length says otherwise; chunked bodies are not decoded (the request is HTTP/1.1 but
// httpd never chunks). Runs in Warden only (it imports warden).
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <tool.h>
#include <warden.h>

#define MAX_HEAD 16384

static char head[MAX_HEAD + 1];  // NUL-terminated: at most MAX_HEAD bytes are read into it
static char buf[16384];

// Splits URL into "A.B.C.D:PORT" (port 80 when absent) and the path ("/" when absent).
static bool parse_url(const char* url, char* address, size_t address_size, const char** path) {
  if (strncmp(url, "http://", 7) != 0) return false;
  const char* host = url + 7;
  const char* slash = strchr(host, '/');
  size_t len = slash ? (size_t)(slash - host) : strlen(host);
  if (len == 0 || len + 4 >= address_size) return false;
  memcpy(address, host, len);
  address[len] = '\0';
  if (strchr(address, ':') == NULL) strcat(address, ":80");
  *path = slash ? slash : "/";
  return true;
}

// Reads the answer's head into `head` (through its empty line); the body bytes read with it
// are left at head[*head_len..*got). false: the connection ended first or the head is too long.
static bool read_head(int fd, size_t* head_len, size_t* got) {
  *got = 0;
  for (;;) {
    char* end = NULL;
    for (size_t i = 0; i + 3 < *got && end == NULL; ++i)
      if (memcmp(head + i, "\r\n\r\n", 4) == 0) end = head + i + 4;
    if (end != NULL) {
      *head_len = (size_t)(end - head);
      return true;
    }
    if (*got == MAX_HEAD) return false;
    ssize_t n = read(fd, head + *got, MAX_HEAD - *got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    *got += (size_t)n;
  }
}

// The Content-Length of the head, or -1 when it has none.
static long long content_length(size_t head_len) {
  for (char* line = strstr(head, "\r\n"); line && line < head + head_len;
       line = strstr(line + 2, "\r\n"))
    if (strncasecmp(line + 2, "content-length:", 15) == 0) return strtoll(line + 17, NULL, 10);
  return -1;
}

int main(int argc, char** argv) {
  tool_name = "fetch";
  bool headers = argc == 3 && strcmp(argv[1], "-i") == 0;
  if (argc != 2 + headers) return tool_usage("[-i] http://A.B.C.D:PORT/PATH");
  const char* url = argv[1 + headers];
  char address[64];
  const char* path;
  if (!parse_url(url, address, sizeof address, &path)) {
    tool_error("%s: not http://A.B.C.D[:PORT]/PATH", url);
    return 1;
  }
  uint32_t conn;
  int32_t err = warden_tcp_connect(address, (uint32_t)strlen(address), &conn);
  if (err != 0) {
    tool_error("%s: %s", address, strerror(err));
    return 1;
  }
  int fd = (int)conn;
  int n = snprintf(buf, sizeof buf,
                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: fetch (Warden)\r\n"
                   "Connection: close\r\n\r\n",
                   path, address);
  if (n < 0 || (size_t)n >= sizeof buf) {
    tool_error("%s: path too long", url);
    return 1;
  }
  if (tool_write_all(fd, buf, (size_t)n) != 0) return tool_fail(address);
  size_t head_len = 0, got = 0;
  if (!read_head(fd, &head_len, &got) || strncmp(head, "HTTP/1.", 7) != 0) {
    tool_error("%s: no HTTP answer", url);
    return 1;
  }
  int status = atoi(head + 9);
  if (headers && tool_write_all(1, head, head_len) != 0) return tool_fail("standard output");
  if (status < 200 || status > 299) {
    char* eol = strstr(head, "\r\n");
    tool_error("%s: %.*s", url, (int)(eol - head), head);
  }
  long long want = content_length(head_len);
  long long body = (long long)(got - head_len);
  if (tool_write_all(1, head + head_len, got - head_len) != 0) return tool_fail("standard output");
  while (want < 0 || body < want) {
    ssize_t k = read(fd, buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return tool_fail(url);
    if (k == 0) break;
    if (tool_write_all(1, buf, (size_t)k) != 0) return tool_fail("standard output");
    body += k;
  }
  close(fd);
  if (want >= 0 && body < want) {
    tool_error("%s: the body ended after %lld of %lld bytes", url, body, want);
    return 1;
  }
  return status >= 200 && status <= 299 ? 0 : 1;
}
