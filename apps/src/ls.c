// ls [-l] [-a] [PATH...]: lists each directory (default "."), names sorted; a file argument is
// listed by itself. -l adds the kind and size of each entry; -a also lists names starting with '.'.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool g_long;
static bool g_all;

static const char* kind(mode_t mode) {
  if (S_ISDIR(mode)) return "dir";
  if (S_ISREG(mode)) return "file";
  if (S_ISCHR(mode)) return "char";
  if (S_ISLNK(mode)) return "link";
  if (S_ISBLK(mode)) return "block";
  if (S_ISSOCK(mode)) return "sock";
  return "other";
}

static void print_entry(const char* name, const struct stat* st) {
  if (g_long) {
    printf("%-5s %10lld  %s%s\n", kind(st->st_mode), (long long)st->st_size, name,
           S_ISDIR(st->st_mode) ? "/" : "");
  } else {
    printf("%s%s\n", name, st != NULL && S_ISDIR(st->st_mode) ? "/" : "");
  }
}

static int compare_names(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

// Lists the directory at path. Returns 0, or 1 after reporting an error.
static int list_directory(const char* path) {
  DIR* dir = opendir(path);
  if (dir == NULL) {
    fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
    return 1;
  }
  char** names = NULL;
  size_t count = 0, capacity = 0;
  int status = 0;
  struct dirent* entry;
  errno = 0;
  while ((entry = readdir(dir)) != NULL) {
    const char* name = entry->d_name;
    if (name[0] == '.' && !g_all) continue;
    if (count == capacity) {
      capacity = capacity ? capacity * 2 : 32;
      char** grown = realloc(names, capacity * sizeof *names);
      if (grown == NULL) {
        fprintf(stderr, "ls: %s: out of memory\n", path);
        status = 1;
        break;
      }
      names = grown;
    }
    if ((names[count] = strdup(name)) == NULL) {
      fprintf(stderr, "ls: %s: out of memory\n", path);
      status = 1;
      break;
    }
    ++count;
    errno = 0;
  }
  if (entry == NULL && errno != 0) {
    fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
    status = 1;
  }
  if (names != NULL) qsort(names, count, sizeof *names, compare_names);
  for (size_t i = 0; i < count; ++i) {
    struct stat st;
    // The kind shows even without -l (a '/' after directories), so stat every entry.
    if (fstatat(dirfd(dir), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
      fprintf(stderr, "ls: %s/%s: %s\n", path, names[i], strerror(errno));
      status = 1;
    } else {
      print_entry(names[i], &st);
    }
    free(names[i]);
  }
  free(names);
  closedir(dir);
  return status;
}

int main(int argc, char** argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; ++first) {
    for (const char* flag = argv[first] + 1; *flag; ++flag) {
      if (*flag == 'l') {
        g_long = true;
      } else if (*flag == 'a') {
        g_all = true;
      } else {
        fprintf(stderr, "ls: unknown option -%c (usage: ls [-l] [-a] [PATH...])\n", *flag);
        return 2;
      }
    }
  }
  if (first == argc) return list_directory(".");
  int status = 0;
  bool headers = argc - first > 1;
  for (int i = first; i < argc; ++i) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "ls: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      print_entry(argv[i], &st);
      continue;
    }
    if (headers) printf("%s%s:\n", i > first ? "\n" : "", argv[i]);
    status |= list_directory(argv[i]);
  }
  return status;
}
