// The console as a terminal: a line discipline between the UART's input and the programs.
//
// Cooked mode (the default, for programs): typed characters are echoed and collected in a line;
// Backspace (0x7f or 0x08) erases, Ctrl-U erases the line, Enter makes the line (with its '\n')
// readable, Ctrl-D makes the line readable without a newline, or on an empty line is an end of
// input (one read returns 0), and Ctrl-C ends the programs of the foreground group. Raw mode
// (for the shell's line editor): every byte is readable as typed, nothing is echoed, Ctrl-C is
// just 0x03.
//
// Readers never block here: try_read() says when nothing is there, and a program waits for the
// change by asking programs:: to ring it (see kernel/proc). Safe from any hart.
#pragma once

#include <support/types.h>

namespace tty {

enum class Mode : u8 { Cooked, Raw };

// Starts the task that takes characters from the console (call once, from a task).
void start();

void set_mode(Mode mode);
Mode mode();

// The foreground group: the programs that own the console, which Ctrl-C ends in cooked mode
// (0: none).
u32 foreground();
// Makes `group` the foreground group; returns the one it replaces. The program runtime decides
// who gets the console and who is in a group (kernel/proc/programs.cc, under its table lock).
u32 exchange_foreground(u32 group);

// Copies readable input into `buf`. Returns the number of bytes (> 0), 0 for an end of input
// (consumed by this read), or -1 when nothing is readable yet.
isize try_read(u8* buf, usize len);
// True when try_read would not return -1.
bool readable();

// Feeds characters as if typed (tests).
void inject(const char* text, usize len);

}  // namespace tty
