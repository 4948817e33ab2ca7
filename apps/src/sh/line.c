#include "line.h"

#include <stdio.h>
#include <string.h>

// Line ends are written as "\n" alone: Warden's console sends every '\n' as "\r\n" in both modes.
static void put(struct sh_editor* ed, const char* s) { ed->write(ed->context, s, strlen(s)); }

// Redraws the whole line from the start of the terminal row and puts the cursor back in place.
// Lines wider than the terminal are not handled (the row wraps and "\r" cannot reach back).
static void redraw(struct sh_editor* ed) {
  put(ed, "\r");
  put(ed, ed->prompt);
  ed->write(ed->context, ed->line, ed->len);
  put(ed, "\x1b[K");
  if (ed->cursor < ed->len) {
    char back[24];
    snprintf(back, sizeof back, "\x1b[%zuD", ed->len - ed->cursor);
    put(ed, back);
  }
}

static void set_line(struct sh_editor* ed, const char* text) {
  size_t n = strlen(text);
  if (n >= sizeof ed->line) n = sizeof ed->line - 1;
  memcpy(ed->line, text, n);
  ed->line[n] = '\0';
  ed->len = ed->cursor = n;
}

static void insert(struct sh_editor* ed, char c) {
  if (ed->len + 1 >= sizeof ed->line) return;  // full: the byte is dropped
  memmove(ed->line + ed->cursor + 1, ed->line + ed->cursor, ed->len - ed->cursor + 1);
  ed->line[ed->cursor++] = c;
  ++ed->len;
  if (ed->cursor == ed->len) {
    ed->write(ed->context, &c, 1);  // typing at the end needs no redraw
  } else {
    redraw(ed);
  }
}

static void delete_at(struct sh_editor* ed, size_t at) {
  if (at >= ed->len) return;
  memmove(ed->line + at, ed->line + at + 1, ed->len - at);
  --ed->len;
  if (ed->cursor > at) --ed->cursor;
  redraw(ed);
}

static void move_to(struct sh_editor* ed, size_t at) {
  if (at == ed->cursor) return;
  ed->cursor = at;
  redraw(ed);
}

// Steps through the history: +1 toward older lines (Up), -1 toward newer (Down).
static void browse(struct sh_editor* ed, int step) {
  int next = ed->browse + step;
  if (next < -1 || next >= ed->history_count) return;
  if (ed->browse == -1) memcpy(ed->draft, ed->line, ed->len + 1);
  ed->browse = next;
  set_line(ed, next == -1 ? ed->draft : ed->history[ed->history_count - 1 - next]);
  redraw(ed);
}

static void clear_line(struct sh_editor* ed) {
  ed->line[0] = '\0';
  ed->len = ed->cursor = 0;
  ed->browse = -1;
}

void sh_editor_init(struct sh_editor* ed, sh_write_fn write, void* context) {
  memset(ed, 0, sizeof *ed);
  ed->write = write;
  ed->context = context;
  ed->prompt = "";
  ed->browse = -1;
}

void sh_editor_start(struct sh_editor* ed, const char* prompt) {
  ed->prompt = prompt;
  clear_line(ed);
  ed->key_state = SH_KEY_PLAIN;
  put(ed, prompt);
}

void sh_history_add(struct sh_editor* ed, const char* line) {
  if (line[0] == '\0') return;
  if (ed->history_count > 0 && strcmp(ed->history[ed->history_count - 1], line) == 0) return;
  if (ed->history_count == SH_HISTORY_MAX) {
    memmove(ed->history[0], ed->history[1], sizeof ed->history[0] * (SH_HISTORY_MAX - 1));
    --ed->history_count;
  }
  snprintf(ed->history[ed->history_count++], sizeof ed->history[0], "%s", line);
}

// The final byte of an escape sequence (with its numeric parameter for ESC [ n ~).
static void escape_key(struct sh_editor* ed, unsigned char final, unsigned param) {
  switch (final) {
    case 'A': browse(ed, +1); break;
    case 'B': browse(ed, -1); break;
    case 'C':
      if (ed->cursor < ed->len) move_to(ed, ed->cursor + 1);
      break;
    case 'D':
      if (ed->cursor > 0) move_to(ed, ed->cursor - 1);
      break;
    case 'H': move_to(ed, 0); break;
    case 'F': move_to(ed, ed->len); break;
    case '~':
      if (param == 1 || param == 7) move_to(ed, 0);
      if (param == 4 || param == 8) move_to(ed, ed->len);
      if (param == 3) delete_at(ed, ed->cursor);
      break;
    default: break;  // unknown sequences are dropped whole
  }
}

enum sh_edit_result sh_editor_feed(struct sh_editor* ed, unsigned char c) {
  bool after_cr = ed->after_cr;
  ed->after_cr = false;
  switch (ed->key_state) {
    case SH_KEY_ESC:
      ed->key_state = c == '[' ? SH_KEY_CSI : c == 'O' ? SH_KEY_SS3 : SH_KEY_PLAIN;
      ed->csi_param = 0;
      return SH_EDIT_MORE;
    case SH_KEY_CSI:
      if (c >= '0' && c <= '9') {
        if (ed->csi_param < 1000) ed->csi_param = ed->csi_param * 10 + (c - '0');
        return SH_EDIT_MORE;
      }
      if (c == ';') return SH_EDIT_MORE;  // modifiers (ESC [1;5C) are ignored
      ed->key_state = SH_KEY_PLAIN;
      escape_key(ed, c, ed->csi_param);
      return SH_EDIT_MORE;
    case SH_KEY_SS3:
      ed->key_state = SH_KEY_PLAIN;
      escape_key(ed, c, 0);
      return SH_EDIT_MORE;
    case SH_KEY_PLAIN: break;
  }
  switch (c) {
    case '\r':
      ed->after_cr = true;
      put(ed, "\n");
      return SH_EDIT_LINE;
    case '\n':
      if (after_cr) return SH_EDIT_MORE;
      put(ed, "\n");
      return SH_EDIT_LINE;
    case 0x1b: ed->key_state = SH_KEY_ESC; return SH_EDIT_MORE;
    case 0x7f:
    case 0x08:
      if (ed->cursor > 0) delete_at(ed, ed->cursor - 1);
      return SH_EDIT_MORE;
    case 0x01:  // Ctrl-A
      move_to(ed, 0);
      return SH_EDIT_MORE;
    case 0x05:  // Ctrl-E
      move_to(ed, ed->len);
      return SH_EDIT_MORE;
    case 0x02:  // Ctrl-B
      escape_key(ed, 'D', 0);
      return SH_EDIT_MORE;
    case 0x06:  // Ctrl-F
      escape_key(ed, 'C', 0);
      return SH_EDIT_MORE;
    case 0x15:  // Ctrl-U
      clear_line(ed);
      redraw(ed);
      return SH_EDIT_MORE;
    case 0x0b:  // Ctrl-K
      ed->line[ed->cursor] = '\0';
      ed->len = ed->cursor;
      redraw(ed);
      return SH_EDIT_MORE;
    case 0x0c:  // Ctrl-L
      put(ed, "\x1b[H\x1b[2J");
      redraw(ed);
      return SH_EDIT_MORE;
    case 0x03:  // Ctrl-C
      put(ed, "^C\n");
      clear_line(ed);
      return SH_EDIT_CANCEL;
    case 0x04:  // Ctrl-D
      if (ed->len == 0) {
        put(ed, "\n");
        return SH_EDIT_EOF;
      }
      delete_at(ed, ed->cursor);
      return SH_EDIT_MORE;
    default:
      if (c >= 0x20 && c < 0x7f) insert(ed, (char)c);
      return SH_EDIT_MORE;
  }
}
