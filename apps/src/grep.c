// grep [-i] [-n] [-v] [-c] [-F] PATTERN [FILE...]: prints the lines of each file (or standard
// input, also for "-") that match PATTERN.
//
// A pattern is text where '.' matches any character, 'c*' any number of c (or of any character
// for '.*'), '^' at the start anchors at the start of the line and '$' at the end anchors at its
// end; '\' makes the next character literal. -F takes the pattern as plain text. -i ignores case,
// -n numbers the lines, -v selects the lines that do not match, -c prints only a count.
// Exit status: 0 when a line was selected, 1 when none, 2 on an error.
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool g_ignore_case, g_number, g_invert, g_count, g_fixed;

// One element of a compiled pattern: a character (or any character) repeated once or any number
// of times.
struct atom {
  char ch;
  bool any;   // '.'
  bool star;  // followed by '*'
};

struct pattern {
  struct atom* atoms;
  size_t count;
  bool anchor_start, anchor_end;
  const char* text;  // for -F
};

static bool same(char a, char b) {
  if (g_ignore_case) return tolower((unsigned char)a) == tolower((unsigned char)b);
  return a == b;
}

static bool atom_matches(const struct atom* a, char c) { return a->any || same(a->ch, c); }

// Does the pattern from atom i match at s (and, when anchored at the end, reach the end)?
static bool match_here(const struct pattern* p, size_t i, const char* s) {
  for (; i < p->count; ++i) {
    const struct atom* a = &p->atoms[i];
    if (a->star) {
      // Try the longest run first, then shorter ones.
      const char* t = s;
      while (*t != '\0' && atom_matches(a, *t)) ++t;
      for (;; --t) {
        if (match_here(p, i + 1, t)) return true;
        if (t == s) return false;
      }
    }
    if (*s == '\0' || !atom_matches(a, *s)) return false;
    ++s;
  }
  return !p->anchor_end || *s == '\0';
}

static bool matches(const struct pattern* p, const char* line) {
  if (g_fixed) {
    size_t n = strlen(p->text);
    for (const char* s = line;; ++s) {
      size_t k = 0;
      while (k < n && s[k] != '\0' && same(s[k], p->text[k])) ++k;
      if (k == n) return true;
      if (*s == '\0') return false;
    }
  }
  if (p->anchor_start) return match_here(p, 0, line);
  for (const char* s = line;; ++s) {
    if (match_here(p, 0, s)) return true;
    if (*s == '\0') return false;
  }
}

// Compiles text into *p. Returns false (after reporting) when the pattern is not valid.
static bool compile(const char* text, struct pattern* p) {
  p->text = text;
  if (g_fixed) return true;
  p->atoms = calloc(strlen(text) + 1, sizeof *p->atoms);
  if (p->atoms == NULL) {
    fprintf(stderr, "grep: out of memory\n");
    return false;
  }
  const char* s = text;
  if (*s == '^') {
    p->anchor_start = true;
    ++s;
  }
  for (; *s != '\0'; ++s) {
    if (*s == '$' && s[1] == '\0') {
      p->anchor_end = true;
      break;
    }
    if (*s == '*') {
      if (p->count == 0 || p->atoms[p->count - 1].star) {
        fprintf(stderr, "grep: '*' must follow a character in '%s'\n", text);
        return false;
      }
      p->atoms[p->count - 1].star = true;
      continue;
    }
    struct atom* a = &p->atoms[p->count++];
    if (*s == '\\') {
      if (*++s == '\0') {
        fprintf(stderr, "grep: trailing '\\' in '%s'\n", text);
        return false;
      }
      a->ch = *s;
    } else if (*s == '.') {
      a->any = true;
    } else {
      a->ch = *s;
    }
  }
  return true;
}

// Searches one stream. Returns the number of selected lines, or -1 after a read error.
static long search(const struct pattern* p, FILE* in, const char* name, bool show_name) {
  char* line = NULL;
  size_t capacity = 0;
  long selected = 0;
  unsigned long number = 0;
  ssize_t len;
  while ((len = getline(&line, &capacity, in)) >= 0) {
    ++number;
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    if (matches(p, line) == g_invert) continue;
    ++selected;
    if (g_count) continue;
    if (show_name) printf("%s:", name);
    if (g_number) printf("%lu:", number);
    printf("%s\n", line);
  }
  bool failed = ferror(in);
  if (failed) fprintf(stderr, "grep: %s: %s\n", name, strerror(errno));
  free(line);
  if (g_count) {
    if (show_name) printf("%s:", name);
    printf("%ld\n", selected);
  }
  return failed ? -1 : selected;
}

int main(int argc, char** argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; ++i) {
    if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    }
    for (const char* flag = argv[i] + 1; *flag; ++flag) {
      switch (*flag) {
        case 'i': g_ignore_case = true; break;
        case 'n': g_number = true; break;
        case 'v': g_invert = true; break;
        case 'c': g_count = true; break;
        case 'F': g_fixed = true; break;
        default: fprintf(stderr, "grep: unknown option -%c\n", *flag); return 2;
      }
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: grep [-i] [-n] [-v] [-c] [-F] PATTERN [FILE...]\n");
    return 2;
  }
  struct pattern pattern = {0};
  if (!compile(argv[i++], &pattern)) return 2;
  bool show_name = argc - i > 1;
  long selected = 0;
  bool error = false;
  if (i == argc) {
    long n = search(&pattern, stdin, "stdin", false);
    error = n < 0;
    selected = n > 0 ? n : 0;
  }
  for (; i < argc; ++i) {
    bool use_stdin = strcmp(argv[i], "-") == 0;
    FILE* in = use_stdin ? stdin : fopen(argv[i], "r");
    if (in == NULL) {
      fprintf(stderr, "grep: %s: %s\n", argv[i], strerror(errno));
      error = true;
      continue;
    }
    long n = search(&pattern, in, argv[i], show_name);
    if (n < 0) {
      error = true;
    } else {
      selected += n;
    }
    if (!use_stdin) fclose(in);
  }
  free(pattern.atoms);
  if (fflush(stdout) != 0) {
    perror("grep: write");
    return 2;
  }
  if (error) return 2;
  return selected > 0 ? 0 : 1;
}
