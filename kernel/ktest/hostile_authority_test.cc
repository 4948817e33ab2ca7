// The hostile-programs suite, fairness and authority part (issue 12, finding 4): programs from
// apps/hostile that flood the console, read console input meant for another program, end
// programs they did not start, or leave a foreground child behind. Each attack must fail as
// docs/programs.md says, and the kernel and other programs go on. Assertions are about order and
// results, never time.
#include <async/time.h>
#include <kernel/console/tty.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/mm/wasm_memory.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

constexpr StringView kFlood = "/hostile/console_flood.wasm";
constexpr StringView kFamily = "/hostile/console_family.wasm";
constexpr StringView kKill = "/hostile/kill_family.wasm";

bool have_hostile() { return programs::read_whole_file(kKill).is_ok(); }

// Starts the program at `path` with `args` (space-separated, argv[0] first), standard input from
// the console, standard output and error to the file `out` (the console when empty), in the
// foreground (it owns the console) when asked.
support::Result<u32, programs::SpawnError> start_on_console(StringView path, StringView args,
                                                            StringView out, bool foreground) {
  programs::SpawnRequest request;
  for (usize i = 0; i < args.size();) {
    usize j = i;
    while (j < args.size() && args[j] != ' ') ++j;
    if (request.add_arg(args.substr(i, j - i)).is_error()) return programs::SpawnError::NoMemory;
    i = j + 1;
  }
  request.path = path;
  request.stdio_path[1] = out;
  request.stdio_path[2] = out;
  request.foreground = foreground;
  return programs::spawn(request);
}

programs::State state_of(u32 pid) {
  auto info = programs::info(pid);
  return info ? info->state : programs::State::Ended;
}
bool ended(u32 pid) { return state_of(pid) == programs::State::Ended; }

StringView file_text(StringView path, support::Vector<u8>& storage) {
  auto got = programs::read_whole_file(path);
  storage = got.is_ok() ? support::move(got.value()) : support::Vector<u8>();
  return text_of(storage);
}

// A living program named `name` (argv[0]), or 0.
u32 find_by_name(StringView name) {
  programs::Info infos[64];
  usize n = programs::list(infos, 64);
  for (usize i = 0; i < n && i < 64; ++i) {
    if (StringView(infos[i].name) == name && infos[i].state != programs::State::Ended) {
      return infos[i].pid;
    }
  }
  return 0;
}

// Ends a program the kernel did not start (it reaps itself) and waits until it is gone.
async::Task<void> end_and_forget(u32 pid) {
  (void)programs::kill(pid);
  while (programs::info(pid)) co_await async::sleep(async::milliseconds(1));
}

// Suspends until program `pid` has written `text` to the file `path`, or has ended.
async::Task<void> until_printed(u32 pid, StringView path, StringView text) {
  support::Vector<u8> storage;
  while (!ended(pid) && !file_text(path, storage).contains(text)) {
    co_await async::sleep(async::milliseconds(1));
  }
}

// After each attack: a program still starts, runs and prints.
async::Task<void> expect_the_system_goes_on(ktest::Context& kt) {
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/console_family.wasm hello", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_OUTPUT(out, "hello\n");
}

// Free frames, plus the frames of page tables: the kernel space keeps the page tables it made
// (lib/mem), and where a program's memory lands in it varies with what else runs at the time.
u64 free_or_page_table_frames() {
  u64 free = free_frames_settled();
  return free + kmem::frames().stats().used[static_cast<usize>(mem::FrameKind::PageTable)];
}

// One round of the flood: the writer starts; once it has run several slices (its write came
// back before it was done, more than once), another program writes to the console and ends, and
// one in the foreground reads a typed line and ends, both before the writer (order, not time);
// then a kill ends the writer in the middle of its 8 MiB. Returns the writer's slices.
async::Task<u64> flood_round(ktest::Context& kt) {
  auto flood = start_on_console(kFlood, "console_flood", "", false);
  if (flood.is_error()) {
    KEXPECT(flood.is_ok());
    co_return 0;
  }
  u32 writer = flood.value();
  for (;;) {
    auto info = programs::info(writer);
    if (!info || info->state == programs::State::Ended || info->slices >= 3) break;
    co_await async::sleep(async::milliseconds(1));
  }
  KEXPECT(!ended(writer));

  auto other = start_on_console(kFamily, "other hello", "", false);
  auto reader = start_on_console(kFamily, "typist read", "/tmp/test.out", true);
  KEXPECT(other.is_ok() && reader.is_ok());
  if (other.is_ok() && reader.is_ok()) {
    while (state_of(reader.value()) != programs::State::Waiting && !ended(reader.value())) {
      co_await async::sleep(async::milliseconds(1));
    }
    tty::inject("typed while flooding\n", 21);
    auto other_end = co_await programs::wait(other.value());
    auto reader_end = co_await programs::wait(reader.value());
    KEXPECT(!ended(writer));
    KEXPECT(other_end.is_ok() && other_end.value().end == programs::End::Exited &&
            other_end.value().code == 0);
    KEXPECT(reader_end.is_ok() && reader_end.value().code == 0);
    support::Vector<u8> typed;
    KEXPECT(file_text("/tmp/test.out", typed) == "typist read: typed while flooding\n");
  }

  u64 slices = programs::info(writer) ? programs::info(writer)->slices : 0;
  KEXPECT(programs::kill(writer));
  auto writer_end = co_await programs::wait(writer);
  KEXPECT(writer_end.is_ok() && writer_end.value().end == programs::End::Killed);
  co_await expect_the_system_goes_on(kt);
  co_return slices;
}

// fd_write(1, 8 MiB) used to hold the console lock with interrupts off for the whole buffer, and
// the hart with it: input was echoed tens of seconds later, and nothing else ran on that hart.
// Now the console takes output in pieces and a long write ends with the slice (a short count).
KTEST_ASYNC(hostile, console_output_leaves_room_for_others) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  tty::start();
  u64 first = co_await flood_round(kt);
  // Frames, heap and linear memory come back to their level: measured after a first round (the
  // heap's slabs keep what they grew to), checked after a second.
  u64 frames_before = free_or_page_table_frames();
  u64 heap_before = kmem::heap_stats().bytes_in_use;
  u64 committed_before = wasm_memory::committed_bytes();
  u64 second = co_await flood_round(kt);
  KEXPECT_EQ(wasm_memory::committed_bytes(), committed_before);
  KEXPECT_EQ(free_or_page_table_frames(), frames_before);
  KEXPECT_EQ(kmem::heap_stats().bytes_in_use, heap_before);
  console::print("\n    the floods were killed after {} and {} slices; the others ended first\n",
                 first, second);
}

// A background program reading the console used to take input typed for the foreground one.
// Now only the console's owner reads; the other waits (as a POSIX background job stopped for
// reading the terminal) until it owns the console, or is ended.
KTEST_ASYNC(hostile, a_background_reader_does_not_take_the_foreground_input) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  tty::start();
  auto thief = start_on_console(kFamily, "background read", "/tmp/hostile-bg.out", false);
  CO_KASSERT(thief.is_ok());
  while (state_of(thief.value()) != programs::State::Waiting && !ended(thief.value())) {
    co_await async::sleep(async::milliseconds(1));
  }
  auto owner = start_on_console(kFamily, "foreground read", "/tmp/hostile-fg.out", true);
  CO_KASSERT(owner.is_ok());
  while (state_of(owner.value()) != programs::State::Waiting && !ended(owner.value())) {
    co_await async::sleep(async::milliseconds(1));
  }
  tty::inject("meant for the foreground\n", 25);
  while (!ended(owner.value()) && !ended(thief.value())) {
    co_await async::sleep(async::milliseconds(1));
  }
  KEXPECT(!ended(thief.value()));
  if (!ended(owner.value())) tty::inject("\x04", 1);  // the thief took it: let the owner end
  auto owner_end = co_await programs::wait(owner.value());
  KEXPECT(owner_end.is_ok() && owner_end.value().code == 0);
  support::Vector<u8> fg, bg;
  KEXPECT(file_text("/tmp/hostile-fg.out", fg) == "foreground read: meant for the foreground\n");
  // The thief still waits for input it may not read; the kernel ends it.
  KEXPECT_EQ(static_cast<int>(state_of(thief.value())), static_cast<int>(programs::State::Waiting));
  KEXPECT(programs::kill(thief.value()));
  auto thief_end = co_await programs::wait(thief.value());
  KEXPECT(thief_end.is_ok() && thief_end.value().end == programs::End::Killed);
  KEXPECT(file_text("/tmp/hostile-bg.out", bg) == "");
  co_await expect_the_system_goes_on(kt);
}

// warden_kill used to end any program but the caller and the first one. Now a program ends only
// its descendants (children, their children, orphans that answer to it); its parent, a sibling,
// an unrelated program and the first program are refused with EPERM.
KTEST_ASYNC(hostile, a_program_kills_only_its_descendants) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  auto unrelated = start_on_console(kKill, "unrelated rest", "/tmp/hostile-unrelated.out", false);
  CO_KASSERT(unrelated.is_ok());
  char args[48];
  support::Vector<u8> out;
  programs::Exit e = co_await run(
      kt, support::format_to_buffer(args, sizeof args, "{} {}", kKill, unrelated.value()), out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 0);
  StringView text = text_of(out);
  KEXPECT(text.contains("parent: 63\n"));
  KEXPECT(text.contains("sibling: 63\n"));
  KEXPECT(text.contains("unrelated: 63\n"));
  KEXPECT(text.contains("itself: 63\n"));
  KEXPECT(text.contains("no such program: 71\n"));
  KEXPECT(text.contains("child: 0\n"));
  KEXPECT(text.contains("grandchild: 0\n"));
  KEXPECT(text.contains("orphan: 0\n"));
  KEXPECT(text.contains("sibling still there: yes\n"));
  KEXPECT(text.contains("root ends its child: 0\n"));
  if (e.code != 0) console::print("\n{}", text);
  // The unrelated program lived through it; the kernel may end anything.
  KEXPECT(!ended(unrelated.value()));
  KEXPECT(programs::kill(unrelated.value()));
  auto unrelated_end = co_await programs::wait(unrelated.value());
  KEXPECT(unrelated_end.is_ok() && unrelated_end.value().end == programs::End::Killed);
  co_await expect_the_system_goes_on(kt);
}

// When a foreground child outlived the parent that gave it the console, the console went back
// to the dead parent and the shell could never start a foreground program again ("cannot start:
// Operation not permitted"). Now the console goes to the nearest living ancestor of the program
// that ended: the shell, which can switch modes, start foreground programs and read again; the
// outliving child becomes a background program.
KTEST_ASYNC(hostile, the_console_returns_to_the_nearest_living_ancestor) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  tty::start();
  auto shell = start_on_console(kFamily, "shell shell", "/tmp/hostile-shell.out", true);
  CO_KASSERT(shell.is_ok());
  co_await until_printed(shell.value(), "/tmp/hostile-shell.out", "ready\n");
  support::Vector<u8> storage;
  u32 outliver = find_by_name("outliver");
  KEXPECT(outliver != 0);
  tty::inject("for the shell\n", 14);
  while (!ended(shell.value()) && (outliver == 0 || !ended(outliver))) {
    co_await async::sleep(async::milliseconds(1));
  }
  if (!ended(shell.value())) (void)programs::kill(shell.value());  // the child took the line
  auto shell_end = co_await programs::wait(shell.value());
  KEXPECT(shell_end.is_ok() && shell_end.value().end == programs::End::Exited &&
          shell_end.value().code == 0);
  StringView text = file_text("/tmp/hostile-shell.out", storage);
  // (Each program's lines come in its own order; the shell's are buffered until it starts one.)
  KEXPECT(text.contains("start parent: 0\n"));
  KEXPECT(text.contains("start outliver: 0\n"));
  KEXPECT(text.contains("parent: end 0, status 0\n"));
  KEXPECT(text.contains("console mode: 0\n"));
  KEXPECT(text.contains("start hello: 0\n"));
  KEXPECT(text.contains("hello: end 0, status 0\n"));
  KEXPECT(text.contains("shell read: for the shell\n"));
  KEXPECT(!text.contains("outliver read"));
  if (!text.contains("shell read")) console::print("\n{}", text);
  // The child that outlived its parent waits in the background until ended.
  KEXPECT(outliver != 0 && !ended(outliver));
  if (outliver != 0) co_await end_and_forget(outliver);
  co_await expect_the_system_goes_on(kt);
}

// A pipeline used to give the console to one of its programs: the others could not read it, and
// Ctrl-C ended only that one. Now a shell's pipeline is one foreground group (its first program
// started with WARDEN_SPAWN_FOREGROUND, the others with WARDEN_SPAWN_GROUP): each program of it
// reads console input, Ctrl-C ends every one of them and spares the shell, and the console comes
// back to the shell once all have ended.
KTEST_ASYNC(hostile, a_pipeline_owns_the_console_as_one_group) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  tty::start();
  auto shell = start_on_console(kFamily, "shell pipeline", "/tmp/hostile-group.out", true);
  CO_KASSERT(shell.is_ok());
  StringView out = "/tmp/hostile-group.out";
  co_await until_printed(shell.value(), out, "ready 1\n");
  tty::inject("one\ntwo\n", 8);  // a line for each program of the group, whichever reads first
  co_await until_printed(shell.value(), out, "ready 2\n");
  tty::inject("\x03", 1);
  co_await until_printed(shell.value(), out, "ready\n");
  tty::inject("for the shell\n", 14);
  support::Vector<u8> storage;
  auto shell_end = co_await programs::wait(shell.value());
  KEXPECT(shell_end.is_ok() && shell_end.value().end == programs::End::Exited &&
          shell_end.value().code == 0);
  StringView text = file_text(out, storage);
  KEXPECT(text.contains("group alone: 28\n"));
  KEXPECT(text.contains("first read: one\n") || text.contains("first read: two\n"));
  KEXPECT(text.contains("second read: one\n") || text.contains("second read: two\n"));
  KEXPECT(text.contains("first: end 0, status 0\nsecond: end 0, status 0\n"));
  KEXPECT(text.contains("first: end 2, status 130\nsecond: end 2, status 130\n"));
  KEXPECT(text.contains("console mode: 0\n"));
  KEXPECT(text.contains("shell read: for the shell\n"));
  if (!text.contains("shell read")) console::print("\n{}", text);
  co_await expect_the_system_goes_on(kt);
}

// A program that does not own the console gives it to no child, alone or in a group.
KTEST_ASYNC(hostile, only_the_console_owner_makes_a_foreground_group) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  // The first program the kernel starts owns the console while no group does: not this one.
  co_await expect_the_system_goes_on(kt);
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/console_family.wasm grab", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_OUTPUT(out, "alone: 63\ngroup: 63\n");
}

}  // namespace
