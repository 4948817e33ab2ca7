// Host tests of the shell's parser, path arithmetic and line editor (apps/src/sh/parse.c, line.c),
// which use no WASI or Warden call. Built and run natively by `./x test` (tier apps,
// tools/x.d/apps.sh).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"
#include "parse.h"

static int g_failures;

#define CHECK(cond, ...)                                         \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                              \
      fputc('\n', stderr);                                       \
      ++g_failures;                                              \
    }                                                            \
  } while (0)

// The variables the tests expand.
static const char* lookup(void* context, const char* name, size_t len) {
  static const char* const kVariables[][2] = {
      {"HOME", "/home"}, {"EMPTY", ""}, {"X", "a b"}, {"?", "3"}, {"_v1", "v1"},
  };
  for (size_t i = 0; i < sizeof kVariables / sizeof kVariables[0]; ++i) {
    if (strlen(kVariables[i][0]) == len && strncmp(kVariables[i][0], name, len) == 0) {
      return kVariables[i][1];
    }
  }
  if (context != NULL && len == 4 && strncmp(name, "LONG", 4) == 0) return context;
  return NULL;
}

static struct sh_line g_line;

// Parses a line that must be one command; checks its expanded words (a NULL-terminated list) and
// whether it runs in the background.
static void expect_words(const char* line, int background, ...) {
  char error[64] = "";
  int ok = sh_parse(line, &g_line, error, sizeof error);
  CHECK(ok, "'%s' did not parse: %s", line, error);
  if (!ok) return;
  va_list words;
  va_start(words, background);
  const char* first = va_arg(words, const char*);
  if (first == NULL) {
    CHECK(g_line.chain_count == 0, "'%s': %d chains, expected none", line, g_line.chain_count);
    va_end(words);
    return;
  }
  CHECK(g_line.chain_count == 1 && g_line.chains[0].pipeline_count == 1 &&
            g_line.chains[0].pipelines[0].command_count == 1,
        "'%s' is not one command", line);
  const struct sh_command* cmd = &g_line.chains[0].pipelines[0].commands[0];
  static struct sh_argv argv;
  CHECK(sh_expand_command(cmd, lookup, NULL, &argv, error, sizeof error), "'%s': %s", line, error);
  int i = 0;
  for (const char* w = first; w != NULL; w = va_arg(words, const char*), ++i) {
    CHECK(i < argv.argc && strcmp(argv.argv[i], w) == 0, "'%s': word %d is '%s', expected '%s'",
          line, i, i < argv.argc ? argv.argv[i] : "(none)", w);
  }
  va_end(words);
  CHECK(argv.argc == i, "'%s': %d words, expected %d", line, argv.argc, i);
  CHECK(argv.argv[argv.argc] == NULL, "'%s': argv not NULL-terminated", line);
  CHECK(g_line.chains[0].background == background, "'%s': background %d", line,
        g_line.chains[0].background);
}

static void expect_error(const char* line, const char* message) {
  char error[64] = "";
  CHECK(!sh_parse(line, &g_line, error, sizeof error), "'%s' parsed", line);
  CHECK(strcmp(error, message) == 0, "'%s': error '%s', expected '%s'", line, error, message);
}

static void parses_words_quotes_and_background(void) {
  expect_words("", 0, NULL);
  expect_words("   \t \n", 0, NULL);
  expect_words("# only a comment", 0, NULL);
  expect_words("ls", 0, "ls", NULL);
  expect_words("  ls  -l\t/bin \n", 0, "ls", "-l", "/bin", NULL);
  expect_words("echo \"a  b\" 'c \"d\"' e\\ f", 0, "echo", "a  b", "c \"d\"", "e f", NULL);
  expect_words("echo \"say \\\"hi\\\" \\\\ \\n\"", 0, "echo", "say \"hi\" \\ \\n", NULL);
  expect_words("echo a\"b c\"d ''", 0, "echo", "ab cd", "", NULL);
  expect_words("spin &", 1, "spin", NULL);
  expect_words("spin -p 5&", 1, "spin", "-p", "5", NULL);
  expect_words("spin & # comment", 1, "spin", NULL);
  expect_words("echo '&' \"#\" a#b '|;<>' \\|\\;", 0, "echo", "&", "#", "a#b", "|;<>", "|;", NULL);
  expect_error("echo \"open", "unterminated quote");
  expect_error("echo 'open", "unterminated quote");
  expect_error("echo \\", "'\\' at the end of the line");
  char big[SH_LINE_MAX + 8];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  expect_error(big, "line too long");
  // As many one-letter words as a command holds, then one more.
  char many[2 * SH_ARGS_MAX + 4];
  for (int i = 0; i < SH_ARGS_MAX - 1; ++i) {
    many[2 * i] = 'a';
    many[2 * i + 1] = ' ';
  }
  many[2 * (SH_ARGS_MAX - 1) - 1] = '\0';
  char error[64];
  CHECK(sh_parse(many, &g_line, error, sizeof error) &&
            g_line.commands[0].word_count == SH_ARGS_MAX - 1,
        "%d words", g_line.commands[0].word_count);
  strcat(many, " b");
  expect_error(many, "too many words");
}

static void expands_variables(void) {
  expect_words("echo $HOME ${HOME}x $? ${?} $_v1", 0, "echo", "/home", "/homex", "3", "3", "v1",
               NULL);
  expect_words("echo '$HOME' \"$HOME\" \\$HOME \"\\$HOME\"", 0, "echo", "$HOME", "/home", "$HOME",
               "$HOME", NULL);
  expect_words("echo $HOME/bin a$HOME:$? \"<$X>\"", 0, "echo", "/home/bin", "a/home:3", "<a b>",
               NULL);
  // An unquoted word that expands to nothing goes; a quoted one stays, empty.
  expect_words("echo $UNSET $EMPTY ${UNSET} a $HOMEx", 0, "echo", "a", NULL);
  expect_words("echo \"$UNSET\" '' \"\"$EMPTY", 0, "echo", "", "", "", NULL);
  // A value is one word, never split; '$' before anything but a name, '{' or '?' stays.
  expect_words("echo $X", 0, "echo", "a b", NULL);
  expect_words("echo $ $$ a$ $1 \"$\" $-", 0, "echo", "$", "$$", "a$", "$1", "$", "$-", NULL);
  expect_words("$EMPTY true", 0, "true", NULL);
  expect_error("echo ${", "bad substitution '${'");
  expect_error("echo ${a b}", "bad substitution '${a b}'");
  expect_error("echo \"${1}\"", "bad substitution '${1}'");
  expect_error("echo ${}", "bad substitution '${}'");
  // Expanded words are bounded (SH_EXPAND_MAX) even when the line is short.
  static char long_value[SH_EXPAND_MAX / 2 + 1];
  memset(long_value, 'v', sizeof long_value - 1);
  char error[64] = "";
  CHECK(sh_parse("echo $LONG $LONG", &g_line, error, sizeof error), "%s", error);
  static struct sh_argv argv;
  CHECK(!sh_expand_command(&g_line.commands[0], lookup, long_value, &argv, error, sizeof error),
        "expanded past the bound");
  CHECK(strstr(error, "expansion too long") == error, "error '%s'", error);
  CHECK(
      sh_parse("echo $LONG", &g_line, error, sizeof error) &&
          sh_expand_command(&g_line.commands[0], lookup, long_value, &argv, error, sizeof error) &&
          strlen(argv.argv[1]) == sizeof long_value - 1,
      "one long value fits: %s", error);
  char word[8];
  CHECK(
      sh_expand_word("'ab'$HOME", lookup, NULL, word, sizeof word) && strcmp(word, "ab/home") == 0,
      "word '%s'", word);
  CHECK(!sh_expand_word("'ab'$HOME!", lookup, NULL, word, sizeof word), "word overflow");
}

// The shape of a parsed line, written compactly: chains separated by " ; " (" & " after a
// background one), pipelines by " && " or " || ", commands by " | ", each command its words as
// written and its redirections ("<w", ">w", ">>w", "N>&M", with N always written).
static void shape(const struct sh_line* line, char* out, size_t len) {
  size_t n = 0;
#define ADD(...) n += (size_t)snprintf(out + n, n < len ? len - n : 0, __VA_ARGS__)
  out[0] = '\0';
  for (int c = 0; c < line->chain_count; ++c) {
    const struct sh_chain* chain = &line->chains[c];
    for (int p = 0; p < chain->pipeline_count; ++p) {
      const struct sh_pipeline* pipeline = &chain->pipelines[p];
      if (p > 0) ADD(pipeline->link == SH_LINK_AND ? " && " : " || ");
      for (int k = 0; k < pipeline->command_count; ++k) {
        const struct sh_command* cmd = &pipeline->commands[k];
        if (k > 0) ADD(" | ");
        for (int w = 0; w < cmd->word_count; ++w) ADD("%s%s", w > 0 ? " " : "", cmd->words[w]);
        for (int r = 0; r < cmd->redir_count; ++r) {
          const struct sh_redir* rd = &cmd->redirs[r];
          static const char* const kOps[] = {"<", ">", ">>", ">&"};
          ADD("%s%d%s", cmd->word_count + r > 0 ? " " : "", rd->fd, kOps[rd->op]);
          if (rd->op == SH_REDIR_DUP) ADD("%d", rd->from);
          if (rd->op != SH_REDIR_DUP) ADD("%s", rd->word);
        }
      }
    }
    ADD("%s", chain->background ? " &" : "");
    if (c + 1 < line->chain_count) ADD(" ; ");
  }
#undef ADD
}

static void expect_shape(const char* text, const char* expected) {
  char error[64] = "", got[512];
  int ok = sh_parse(text, &g_line, error, sizeof error);
  CHECK(ok, "'%s' did not parse: %s", text, error);
  if (!ok) return;
  shape(&g_line, got, sizeof got);
  CHECK(strcmp(got, expected) == 0, "'%s' parsed as '%s', expected '%s'", text, got, expected);
}

static void parses_lists_pipelines_and_redirections(void) {
  expect_shape("a | b | c", "a | b | c");
  expect_shape("a|b||c&&d", "a | b || c && d");
  expect_shape("a && b || c; d & e", "a && b || c ; d & ; e");
  expect_shape("a;b;", "a ; b");
  expect_shape("a | b &", "a | b &");
  expect_shape("false; echo $?", "false ; echo $?");
  expect_shape("cat <in >out 2>&1 >>app 2> err", "cat 0<in 1>out 2>&1 1>>app 2>err");
  expect_shape("echo hi>f x", "echo hi x 1>f");
  expect_shape("cat 0< \"a b\" 1>'$c' 2>>$HOME/log", "cat 0<\"a b\" 1>'$c' 2>>$HOME/log");
  expect_shape("echo 2>&1 1>&2 0<&1", "echo 2>&1 1>&2 0>&1");
  expect_shape("> empty", "1>empty");
  expect_shape("a2>f 12>g", "a2 12 1>f 1>g");
  expect_shape("echo a#b # c | d", "echo a#b");
  expect_shape("echo \"a|b\" 'c;d' e\\&f", "echo \"a|b\" 'c;d' e\\&f");
  expect_error("| a", "syntax error near '|'");
  expect_error("a |", "syntax error near '|'");
  expect_error("a | | b", "syntax error near '|'");
  expect_error("a ||", "syntax error near '||'");
  expect_error("a && && b", "syntax error near '&&'");
  expect_error("a && || b", "syntax error near '||'");
  expect_error("a >", "syntax error near '>'");
  expect_error("a > | b", "syntax error near '|'");
  expect_error("a 2>> ; b", "syntax error near ';'");
  expect_error("a <", "syntax error near '<'");
  expect_error("a 2>&x", "syntax error near '2>&'");
  expect_error("a >&", "syntax error near '>&'");
  expect_error("a >&12", "syntax error near '>&'");
  expect_error(";", "syntax error near ';'");
  expect_error("a ;; b", "syntax error near ';'");
  expect_error("&", "syntax error near '&'");
  expect_error("a & & b", "syntax error near '&'");
  expect_error("a & ;", "syntax error near ';'");
  // The bounds: commands (and so pipelines and chains), redirections and words in a line.
  static const char* const kSeparators[] = {";", "|", "&&", "&"};
  for (size_t k = 0; k < sizeof kSeparators / sizeof kSeparators[0]; ++k) {
    char line[SH_LINE_MAX], error[64] = "";
    size_t n = 0;
    for (int i = 0; i < SH_COMMANDS_MAX; ++i) {
      n += (size_t)snprintf(line + n, sizeof line - n, "%sa", i ? kSeparators[k] : "");
    }
    CHECK(sh_parse(line, &g_line, error, sizeof error), "'%s': %d commands: %s", kSeparators[k],
          SH_COMMANDS_MAX, error);
    snprintf(line + n, sizeof line - n, "%sb", kSeparators[k]);
    expect_error(line, "too many commands");
  }
  char line[SH_LINE_MAX] = "a", error[64] = "";
  for (int i = 0; i < SH_REDIRS_MAX; ++i) strcat(line, " <f");
  CHECK(sh_parse(line, &g_line, error, sizeof error) &&
            g_line.commands[0].redir_count == SH_REDIRS_MAX,
        "%d redirections: %s", SH_REDIRS_MAX, error);
  strcat(line, " >g");
  expect_error(line, "too many redirections");
  line[0] = '\0';
  for (int i = 0; i < SH_WORDS_MAX; ++i) strcat(line, i % 32 == 31 ? "a;" : "a ");
  CHECK(sh_parse(line, &g_line, error, sizeof error), "%d words: %s", SH_WORDS_MAX, error);
  strcat(line, "b");
  expect_error(line, "too many words");
}

static void expect_path(const char* cwd, const char* path, const char* expected) {
  char out[SH_PATH_MAX];
  CHECK(sh_resolve_path(cwd, path, out, sizeof out), "'%s' in '%s' did not resolve", path, cwd);
  CHECK(strcmp(out, expected) == 0, "'%s' in '%s' is '%s', expected '%s'", path, cwd, out,
        expected);
}

static void resolves_paths(void) {
  expect_path("/", "etc", "/etc");
  expect_path("/", "/", "/");
  expect_path("/home", "sub/x", "/home/sub/x");
  expect_path("/home", "../etc/./motd", "/etc/motd");
  expect_path("/home/sub", "..", "/home");
  expect_path("/home/sub", "../..", "/");
  expect_path("/", "../../..", "/");
  expect_path("/home", "/bin//sh.wasm/", "/bin/sh.wasm");
  expect_path("/home", ".", "/home");
  expect_path("/a", "b/../../c", "/c");
  char small[6];
  CHECK(!sh_resolve_path("/", "abcdef", small, sizeof small), "overflow not reported");
  CHECK(sh_resolve_path("/", "abcd", small, sizeof small) && strcmp(small, "/abcd") == 0, "fits");
}

// The editor's output, collected.
static char g_out[65536];
static size_t g_out_len;

static void collect(void* context, const char* data, size_t len) {
  CHECK(g_out_len + len < sizeof g_out, "output overflow");
  memcpy(g_out + g_out_len, data, len);
  g_out_len += len;
  g_out[g_out_len] = '\0';
}

// Feeds the bytes of keys; returns the result of the last byte.
static enum sh_edit_result type(struct sh_editor* ed, const char* keys) {
  enum sh_edit_result r = SH_EDIT_MORE;
  for (const char* k = keys; *k; ++k) r = sh_editor_feed(ed, (unsigned char)*k);
  return r;
}

static struct sh_editor* new_editor(void) {
  static struct sh_editor ed;
  sh_editor_init(&ed, collect, NULL);
  g_out_len = 0;
  sh_editor_start(&ed, "$ ");
  return &ed;
}

static void expect_line(struct sh_editor* ed, const char* keys, const char* line) {
  sh_editor_start(ed, "$ ");
  enum sh_edit_result r = type(ed, keys);
  CHECK(r == SH_EDIT_LINE, "keys '%s': result %d, expected a line", keys, r);
  CHECK(strcmp(ed->line, line) == 0, "keys '%s': line '%s', expected '%s'", keys, ed->line, line);
}

static void edits_lines(void) {
  struct sh_editor* ed = new_editor();
  CHECK(strcmp(g_out, "$ ") == 0, "prompt '%s'", g_out);
  expect_line(ed, "ls -l\r", "ls -l");
  expect_line(ed,
              "abc\x7f\x7f"
              "d\n",
              "ad");
  expect_line(ed, "ac\x1b[Db\r", "abc");  // Left, insert in the middle
  expect_line(ed,
              "bc\x01"
              "a\x05"
              "d\r",
              "abcd");                                      // Ctrl-A, Ctrl-E
  expect_line(ed, "bc\x1b[Ha\x1b[Fd\r", "abcd");            // Home, End
  expect_line(ed, "bc\x1bOHa\x1b[4~d\x1b[1~!\r", "!abcd");  // ESC O H, ESC [4~, ESC [1~
  expect_line(ed, "abc\x1b[D\x1b[D\x1b[3~\r", "ac");        // Delete
  expect_line(ed, "abc\x1b[D\x1b[D\x04\r", "ac");           // Ctrl-D in a line deletes
  expect_line(ed, "abc\x1b[D\x1b[D\x0b\r", "a");            // Ctrl-K
  expect_line(ed, "junk\x15ok\r", "ok");                    // Ctrl-U
  expect_line(ed,
              "a\x1b[C\x1b[C\x1b[D\x1b[D\x1b[D\x7f"
              "b\r",
              "ba");                              // moves stop at the ends
  expect_line(ed, "x\x1b[1;5Cy\r", "xy");         // modified arrows are ignored
  expect_line(ed, "t\tab\x07\x80\xff\r", "tab");  // other bytes are ignored
  // Output: redraws with \r, the prompt, the line, erase to the end, and the cursor moved back.
  g_out_len = 0;
  sh_editor_start(ed, "$ ");
  type(ed, "ac\x1b[Db");
  CHECK(strcmp(g_out, "$ ac\r$ ac\x1b[K\x1b[1D\r$ abc\x1b[K\x1b[1D") == 0, "output '%s'", g_out);
  // Typing at the end echoes each byte; Enter writes "\n" (the console adds the "\r").
  g_out_len = 0;
  sh_editor_start(ed, "$ ");
  CHECK(type(ed, "spin\n") == SH_EDIT_LINE, "Enter");
  CHECK(strcmp(g_out, "$ spin\n") == 0, "output '%s'", g_out);
}

static void enter_as_crlf_is_one_line(void) {
  struct sh_editor* ed = new_editor();
  CHECK(type(ed, "a\r") == SH_EDIT_LINE, "first line");
  sh_editor_start(ed, "$ ");
  CHECK(sh_editor_feed(ed, '\n') == SH_EDIT_MORE, "the \\n of \\r\\n starts no empty line");
  CHECK(type(ed, "\n") == SH_EDIT_LINE && ed->line[0] == '\0', "a lone \\n is an empty line");
}

static void cancels_and_ends(void) {
  struct sh_editor* ed = new_editor();
  g_out_len = 0;
  CHECK(type(ed, "half typed\x03") == SH_EDIT_CANCEL, "Ctrl-C cancels");
  CHECK(strstr(g_out, "^C\n") != NULL, "shows ^C: '%s'", g_out);
  CHECK(ed->len == 0, "line dropped");
  sh_editor_start(ed, "$ ");
  CHECK(type(ed, "\x04") == SH_EDIT_EOF, "Ctrl-D on an empty line ends input");
}

static void walks_history(void) {
  struct sh_editor* ed = new_editor();
  sh_history_add(ed, "one");
  sh_history_add(ed, "two");
  sh_history_add(ed, "two");  // a repeat is kept once
  sh_history_add(ed, "");     // empty lines are not kept
  CHECK(ed->history_count == 2, "%d entries", ed->history_count);
  expect_line(ed, "\x1b[A\r", "two");
  expect_line(ed, "\x1b[A\x1b[A\r", "one");
  expect_line(ed, "\x1b[A\x1b[A\x1b[A\x1b[A\r", "one");         // stops at the oldest
  expect_line(ed, "dra\x1b[A\x1b[A\x1b[B\x1b[Bft\r", "draft");  // back down to the draft
  expect_line(ed, "\x1b[A!\r", "two!");                         // a recalled line can be edited
  for (int i = 0; i < SH_HISTORY_MAX + 5; ++i) {
    char line[16];
    snprintf(line, sizeof line, "cmd %d", i);
    sh_history_add(ed, line);
  }
  CHECK(ed->history_count == SH_HISTORY_MAX, "%d entries", ed->history_count);
  char oldest[16];
  snprintf(oldest, sizeof oldest, "cmd %d", 5);
  char keys[4 * (SH_HISTORY_MAX + 2) + 2] = "";
  for (int i = 0; i < SH_HISTORY_MAX + 2; ++i) strcat(keys, "\x1b[A");
  strcat(keys, "\r");
  expect_line(ed, keys, oldest);
}

static void long_lines_stop_at_the_limit(void) {
  struct sh_editor* ed = new_editor();
  for (int i = 0; i < SH_LINE_MAX + 10; ++i) sh_editor_feed(ed, 'x');
  CHECK(ed->len == SH_LINE_MAX - 1, "len %zu", ed->len);
  CHECK(sh_editor_feed(ed, '\r') == SH_EDIT_LINE && strlen(ed->line) == SH_LINE_MAX - 1, "line");
}

int main(void) {
  parses_words_quotes_and_background();
  expands_variables();
  parses_lists_pipelines_and_redirections();
  resolves_paths();
  edits_lines();
  enter_as_crlf_is_one_line();
  cancels_and_ends();
  walks_history();
  long_lines_stop_at_the_limit();
  if (g_failures != 0) {
    fprintf(stderr, "sh_test: %d checks failed\n", g_failures);
    return 1;
  }
  printf("sh_test: parser, paths and line editor: all checks passed\n");
  return 0;
}
