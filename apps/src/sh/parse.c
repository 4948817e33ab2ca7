#include "parse.h"

#include <stdio.h>
#include <string.h>

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_operator(char c) { return c == '|' || c == '&' || c == ';' || c == '<' || c == '>'; }
static bool ends_word(char c) { return c == '\0' || is_blank(c) || is_operator(c); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_name_start(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool sh_is_name(const char* text, size_t len) {
  if (len == 0 || !is_name_start(text[0])) return false;
  for (size_t i = 1; i < len; ++i) {
    if (!is_name_start(text[i]) && !is_digit(text[i])) return false;
  }
  return true;
}

// --- Words ------------------------------------------------------------------------------------
//
// One walk over a word's text serves both the parser, which only finds where the word ends and
// checks its quotes (no output), and the expansion, which writes the word's value: the two cannot
// disagree about quoting.

struct output {
  char* at;
  char* end;
  bool overflow;  // something did not fit
  bool quoted;    // the word had quotes: it stays even when empty
  sh_lookup_fn lookup;
  void* context;
};

static void put(struct output* out, const char* text, size_t len) {
  if (out == NULL) return;
  if ((size_t)(out->end - out->at) < len) {
    out->overflow = true;
    return;
  }
  memcpy(out->at, text, len);
  out->at += len;
}

// Where the walk failed and why (parsing only: an expanded word was parsed first).
struct problem {
  const char* message;
  const char* at;  // for "bad substitution": the '$'
};

static const char* fail_at(struct problem* problem, const char* message, const char* at) {
  problem->message = message;
  problem->at = at;
  return NULL;
}

// A '$' at s: writes its value and returns what follows, or NULL for a bad "${...}".
static const char* dollar(const char* s, struct output* out, struct problem* problem) {
  const char* name = s + 1;
  size_t len;
  const char* next;
  if (s[1] == '?') {
    len = 1;
    next = s + 2;
  } else if (s[1] == '{') {
    name = s + 2;
    const char* close = strchr(name, '}');
    if (close == NULL ||
        !(sh_is_name(name, (size_t)(close - name)) || strncmp(name, "?}", 2) == 0)) {
      return fail_at(problem, "bad substitution", s);
    }
    len = (size_t)(close - name);
    next = close + 1;
  } else if (is_name_start(s[1])) {
    for (len = 1; is_name_start(name[len]) || is_digit(name[len]); ++len) {
    }
    next = name + len;
  } else {
    put(out, "$", 1);  // "$", "$$", "$1": a plain '$'
    return s + 1;
  }
  if (out != NULL) {
    const char* value = out->lookup(out->context, name, len);
    if (value != NULL) put(out, value, strlen(value));
  }
  return next;
}

// Walks one word from s to the first unquoted blank or operator (or the end), writing its value
// to out when out is not NULL. Returns where the word ends, or NULL with *problem set.
static const char* walk_word(const char* s, struct output* out, struct problem* problem) {
  while (!ends_word(*s)) {
    if (*s == '\'') {
      const char* close = strchr(s + 1, '\'');
      if (close == NULL) return fail_at(problem, "unterminated quote", s);
      put(out, s + 1, (size_t)(close - s - 1));
      if (out != NULL) out->quoted = true;
      s = close + 1;
    } else if (*s == '"') {
      if (out != NULL) out->quoted = true;
      for (++s; *s != '"';) {
        if (*s == '\0') return fail_at(problem, "unterminated quote", s);
        if (*s == '$') {
          if ((s = dollar(s, out, problem)) == NULL) return NULL;
          continue;
        }
        if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '$')) ++s;
        put(out, s++, 1);
      }
      ++s;
    } else if (*s == '\\') {
      if (s[1] == '\0' || s[1] == '\n') return fail_at(problem, "'\\' at the end of the line", s);
      put(out, s + 1, 1);
      s += 2;
    } else if (*s == '$') {
      if ((s = dollar(s, out, problem)) == NULL) return NULL;
    } else {
      put(out, s++, 1);
    }
  }
  return s;
}

bool sh_expand_word(const char* word, sh_lookup_fn lookup, void* context, char* out,
                    size_t out_len) {
  struct output o = {out, out + out_len - 1, false, false, lookup, context};
  struct problem problem;
  if (out_len == 0 || walk_word(word, &o, &problem) == NULL || o.overflow) return false;
  *o.at = '\0';
  return true;
}

bool sh_expand_command(const struct sh_command* cmd, sh_lookup_fn lookup, void* context,
                       struct sh_argv* out, char* error, size_t error_len) {
  out->argc = 0;
  struct output o = {out->storage, out->storage + sizeof out->storage, false, false, lookup,
                     context};
  for (int i = 0; i < cmd->word_count; ++i) {
    char* start = o.at;
    o.quoted = false;
    struct problem problem;
    if (walk_word(cmd->words[i], &o, &problem) == NULL) {  // parsed words walk without fail
      snprintf(error, error_len, "%s", problem.message);
      return false;
    }
    put(&o, "", 1);
    if (o.overflow) {
      snprintf(error, error_len, "expansion too long (over %d bytes)", SH_EXPAND_MAX);
      return false;
    }
    if (o.at - start == 1 && !o.quoted) {  // nothing but an unset or empty variable: no word
      o.at = start;
      continue;
    }
    out->argv[out->argc++] = start;
  }
  out->argv[out->argc] = NULL;
  return true;
}

// --- Parsing ----------------------------------------------------------------------------------

enum token_kind {
  TOKEN_END,
  TOKEN_WORD,
  TOKEN_PIPE,
  TOKEN_OR,
  TOKEN_AND,
  TOKEN_AMP,
  TOKEN_SEMI,
  TOKEN_REDIR
};

struct token {
  enum token_kind kind;
  const char* text;  // in the line, len bytes
  size_t len;
  const char* word;       // TOKEN_WORD: its text in the storage
  struct sh_redir redir;  // TOKEN_REDIR: all but the word
};

struct parser {
  const char* s;  // the next character
  struct sh_line* line;
  char* store;                             // the next free byte of line->storage
  int words, redirs, commands, pipelines;  // used so far in line's arrays
  struct token token;
  struct token last_operator;  // named by a syntax error at the end of the line
  char* error;
  size_t error_len;
};

static bool fail(struct parser* p, const char* message) {
  snprintf(p->error, p->error_len, "%s", message);
  return false;
}

// "syntax error near 'TOKEN'": the token where something else had to be, or at the end of the
// line the operator that needed something after it.
static bool syntax_error(struct parser* p) {
  const struct token* t = p->token.kind == TOKEN_END ? &p->last_operator : &p->token;
  snprintf(p->error, p->error_len, "syntax error near '%.*s'", (int)t->len, t->text);
  return false;
}

// Reads the next token into p->token.
static bool next(struct parser* p) {
  if (p->token.kind != TOKEN_WORD && p->token.kind != TOKEN_END) p->last_operator = p->token;
  while (is_blank(*p->s)) ++p->s;
  struct token* t = &p->token;
  const char* s = p->s;
  t->text = s;
  t->len = 1;
  if (*s == '\0' || *s == '#') {
    t->kind = TOKEN_END;
    t->len = 0;
    return true;
  }
  if (*s == '|' || *s == '&') {
    bool doubled = s[1] == s[0];
    t->kind = *s == '|' ? (doubled ? TOKEN_OR : TOKEN_PIPE) : (doubled ? TOKEN_AND : TOKEN_AMP);
    t->len = doubled ? 2 : 1;
  } else if (*s == ';') {
    t->kind = TOKEN_SEMI;
  } else if (*s == '<' || *s == '>' || (is_digit(*s) && (s[1] == '<' || s[1] == '>'))) {
    const char* at = is_digit(*s) ? s + 1 : s;
    bool output = *at++ == '>';
    t->kind = TOKEN_REDIR;
    t->redir.fd = is_digit(*s) ? *s - '0' : output ? 1 : 0;
    t->redir.op = output ? SH_REDIR_OUT : SH_REDIR_IN;
    t->redir.word = NULL;
    if (output && *at == '>') {
      t->redir.op = SH_REDIR_APPEND;
      ++at;
    } else if (*at == '&') {
      t->redir.op = SH_REDIR_DUP;
      ++at;
      if (!is_digit(*at) || !ends_word(at[1])) {
        t->len = (size_t)(at - s);
        return syntax_error(p);  // only a descriptor number may follow
      }
      t->redir.from = *at++ - '0';
    }
    t->len = (size_t)(at - s);
  } else {
    struct problem problem;
    const char* end = walk_word(s, NULL, &problem);
    if (end == NULL) {
      if (problem.message[0] != 'b') return fail(p, problem.message);
      const char* close = strchr(problem.at, '}');
      int len = close != NULL ? (int)(close - problem.at + 1) : (int)strlen(problem.at);
      snprintf(p->error, p->error_len, "bad substitution '%.*s'", len, problem.at);
      return false;
    }
    t->kind = TOKEN_WORD;
    t->len = (size_t)(end - s);
    // Every word is at most as long as its text, with one NUL each: storage holds them all.
    memcpy(p->store, s, t->len);
    p->store[t->len] = '\0';
    t->word = p->store;
    p->store += t->len + 1;
  }
  p->s = s + t->len;
  return true;
}

static bool parse_command(struct parser* p, struct sh_command* cmd) {
  struct sh_line* line = p->line;
  const char** words = &line->words[p->words];
  struct sh_redir* redirs = &line->redirs[p->redirs];
  cmd->words = words;
  cmd->redirs = redirs;
  cmd->word_count = cmd->redir_count = 0;
  for (;;) {
    if (p->token.kind == TOKEN_WORD) {
      if (cmd->word_count == SH_ARGS_MAX - 1 || p->words == SH_WORDS_MAX) {
        return fail(p, "too many words");
      }
      words[cmd->word_count++] = p->token.word;
      ++p->words;
    } else if (p->token.kind == TOKEN_REDIR) {
      if (p->redirs == SH_REDIRS_MAX) return fail(p, "too many redirections");
      struct sh_redir* r = &redirs[cmd->redir_count++];
      ++p->redirs;
      *r = p->token.redir;
      if (r->op != SH_REDIR_DUP) {
        if (!next(p)) return false;
        if (p->token.kind != TOKEN_WORD) return syntax_error(p);
        r->word = p->token.word;
      }
    } else {
      break;
    }
    if (!next(p)) return false;
  }
  if (cmd->word_count == 0 && cmd->redir_count == 0) return syntax_error(p);
  return true;
}

static bool parse_pipeline(struct parser* p, enum sh_link link) {
  struct sh_pipeline* pipeline = &p->line->pipelines[p->pipelines++];
  struct sh_command* commands = &p->line->commands[p->commands];
  pipeline->link = link;
  pipeline->commands = commands;
  pipeline->command_count = 0;
  for (;;) {
    if (p->commands == SH_COMMANDS_MAX) return fail(p, "too many commands");
    ++p->commands;
    if (!parse_command(p, &commands[pipeline->command_count++])) return false;
    if (p->token.kind != TOKEN_PIPE) return true;
    if (!next(p)) return false;
  }
}

static bool parse_chain(struct parser* p, struct sh_chain* chain) {
  chain->pipelines = &p->line->pipelines[p->pipelines];
  chain->pipeline_count = 0;
  chain->background = false;
  enum sh_link link = SH_LINK_FIRST;
  for (;;) {
    // At most one pipeline per command: the commands' bound covers the pipelines.
    if (p->pipelines == SH_COMMANDS_MAX) return fail(p, "too many commands");
    ++chain->pipeline_count;
    if (!parse_pipeline(p, link)) return false;
    if (p->token.kind != TOKEN_AND && p->token.kind != TOKEN_OR) return true;
    link = p->token.kind == TOKEN_AND ? SH_LINK_AND : SH_LINK_OR;
    if (!next(p)) return false;
  }
}

bool sh_parse(const char* text, struct sh_line* line, char* error, size_t error_len) {
  line->chain_count = 0;
  struct parser p = {
      .s = text, .line = line, .store = line->storage, .error = error, .error_len = error_len};
  p.token.kind = TOKEN_END;
  if (strlen(text) >= SH_LINE_MAX) return fail(&p, "line too long");
  if (!next(&p)) return false;
  while (p.token.kind != TOKEN_END) {
    if (line->chain_count == SH_COMMANDS_MAX) return fail(&p, "too many commands");
    struct sh_chain* chain = &line->chains[line->chain_count++];
    if (!parse_chain(&p, chain)) return false;
    if (p.token.kind == TOKEN_AMP) chain->background = true;
    if (p.token.kind == TOKEN_AMP || p.token.kind == TOKEN_SEMI) {
      if (!next(&p)) return false;
    } else if (p.token.kind != TOKEN_END) {
      return syntax_error(&p);
    }
  }
  return true;
}

bool sh_resolve_path(const char* cwd, const char* path, char* out, size_t out_len) {
  char joined[2 * SH_PATH_MAX + 2];
  int n = path[0] == '/' ? snprintf(joined, sizeof joined, "%s", path)
                         : snprintf(joined, sizeof joined, "%s/%s", cwd, path);
  if (n < 0 || (size_t)n >= sizeof joined) return false;
  size_t len = 0;  // of out so far; the root is "" until the end
  char* save = NULL;
  for (char* part = strtok_r(joined, "/", &save); part != NULL; part = strtok_r(NULL, "/", &save)) {
    if (strcmp(part, ".") == 0) continue;
    if (strcmp(part, "..") == 0) {
      while (len > 0 && out[len - 1] != '/') --len;
      if (len > 0) --len;  // and the '/' before the component
      continue;
    }
    size_t part_len = strlen(part);
    if (len + 1 + part_len + 1 > out_len) return false;
    out[len++] = '/';
    memcpy(out + len, part, part_len);
    len += part_len;
  }
  if (len == 0) {
    if (out_len < 2) return false;
    out[len++] = '/';
  }
  out[len] = '\0';
  return true;
}
