// The shell's line editor: a state machine fed one input byte at a time from a console in raw
// mode, which redraws the line with plain ANSI sequences ("\r", ESC [K, ESC [nD) through a write
// function, and ends lines with "\n" alone (the console adds the "\r"). It knows nothing about WASI
// or Warden, so it is tested on the host.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

#define SH_HISTORY_MAX 32  // lines kept for Up/Down

enum sh_edit_result {
  SH_EDIT_MORE,    // keep feeding bytes
  SH_EDIT_LINE,    // Enter: the line is in editor.line (NUL-terminated, no newline)
  SH_EDIT_CANCEL,  // Ctrl-C: the line was dropped ("^C" shown)
  SH_EDIT_EOF,     // Ctrl-D on an empty line
};

typedef void (*sh_write_fn)(void* context, const char* data, size_t len);

struct sh_editor {
  char line[SH_LINE_MAX];
  size_t len;     // bytes in line
  size_t cursor;  // 0..len
  const char* prompt;
  sh_write_fn write;
  void* context;
  // History, oldest first, and where Up/Down stand: -1 on the line being typed (kept in `draft`),
  // otherwise the index counted from the newest entry.
  char history[SH_HISTORY_MAX][SH_LINE_MAX];
  int history_count;
  int browse;
  char draft[SH_LINE_MAX];
  // Escape sequences: ESC [ <digits> <final> and ESC O <final>.
  enum { SH_KEY_PLAIN, SH_KEY_ESC, SH_KEY_CSI, SH_KEY_SS3 } key_state;
  unsigned csi_param;
  bool after_cr;  // the last byte was '\r': a '\n' right after it belongs to the same Enter
};

void sh_editor_init(struct sh_editor* ed, sh_write_fn write, void* context);

// Starts a new line: clears it and shows the prompt (which must outlive the line).
void sh_editor_start(struct sh_editor* ed, const char* prompt);

// Handles one byte typed. Keys: printable ASCII inserts at the cursor; Backspace (0x7f, 0x08);
// Delete (ESC [3~) and Ctrl-D delete under the cursor; Left/Right (ESC [D, ESC [C, Ctrl-B,
// Ctrl-F); Home/End (Ctrl-A, Ctrl-E, ESC [H, ESC [F, ESC [1~, ESC [4~, ESC OH, ESC OF); Ctrl-U
// clears the line; Ctrl-K deletes to the end; Ctrl-L clears the screen; Up/Down (ESC [A, ESC [B)
// walk the history; Ctrl-C cancels; Ctrl-D on an empty line is the end of input; Enter ('\r',
// '\n' or "\r\n") ends the line. Other control bytes and bytes >= 0x80 are ignored.
enum sh_edit_result sh_editor_feed(struct sh_editor* ed, unsigned char byte);

// Adds a line to the history (not an empty one, nor a repeat of the newest entry).
void sh_history_add(struct sh_editor* ed, const char* line);
