// The console's line discipline, fed through tty::inject.
#include <kernel/console/tty.h>
#include <kernel/ktest/ktest.h>

namespace {

support::StringView read_all(char* buffer, usize size) {
  usize n = 0;
  for (;;) {
    isize got = tty::try_read(reinterpret_cast<u8*>(buffer) + n, size - n);
    if (got <= 0) break;
    n += static_cast<usize>(got);
  }
  return {buffer, n};
}

KTEST(tty, cooked_mode_edits_the_line_and_hands_it_over_at_enter) {
  char buffer[64];
  (void)read_all(buffer, sizeof buffer);  // nothing left from earlier tests
  tty::set_mode(tty::Mode::Cooked);
  tty::inject("hello", 5);
  KEXPECT(!tty::readable());  // not before Enter
  tty::inject("\x15", 1);     // Ctrl-U: the whole line goes
  tty::inject("bye!\x7f\n", 6);
  KEXPECT(read_all(buffer, sizeof buffer) == "bye\n");
  tty::inject("\x04", 1);  // Ctrl-D on an empty line: one end of input
  KEXPECT(tty::readable());
  u8 byte;
  KEXPECT_EQ(tty::try_read(&byte, 1), 0);
  KEXPECT_EQ(tty::try_read(&byte, 1), -1);
}

KTEST(tty, raw_mode_hands_over_every_byte_unedited) {
  char buffer[64];
  (void)read_all(buffer, sizeof buffer);
  tty::set_mode(tty::Mode::Raw);
  tty::inject("a\x7f\x03", 3);
  KEXPECT(read_all(buffer, sizeof buffer) == "a\x7f\x03");
  tty::set_mode(tty::Mode::Cooked);
}

}  // namespace
