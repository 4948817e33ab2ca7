// The hostile-programs suite, from the review of the kernel's IPC (pipes, channels, services and
// waiting on them; docs/ipc.md, "In the kernel today"): a child started with a descriptor its
// parent may only read cannot write it; a poll of more subscriptions on IPC objects than the
// program's wait set has entries still waits without a hart. Assertions are about results and
// states, never time.
#include <async/time.h>
#include <ipc/object.h>
#include <kernel/ktest/ktest.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

constexpr StringView kReview = "/hostile/ipc_review.wasm";

bool have_hostile() { return programs::read_whole_file(kReview).is_ok(); }

// Spawn gave a child's standard descriptors every right of their kind, whatever the parent's
// descriptor had: a file opened read-only (or received read-only through a channel) became
// writable by a child started with it as stdout, and so did a pipe's write end whose fd_write
// right was dropped.
KTEST_ASYNC(hostile, a_child_gets_no_more_rights_on_its_stdio_than_its_parent_had) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  StringView text = "read only\n";
  KEXPECT(programs::write_whole_file(
      "/tmp/read_only.txt",
      support::Span<const u8>(reinterpret_cast<const u8*>(text.data()), text.size())));
  u64 objects = ipc::stats::objects(), handles = ipc::stats::handles();
  support::Vector<u8> out;
  char args[96];
  programs::Exit e = co_await run(
      kt,
      support::format_to_buffer(args, sizeof args, "{} spawn-rights /tmp/read_only.txt", kReview),
      out);
  console::print("\n    {}", text_of(out));
  KEXPECT_OUTPUT(out, "spawn-rights: as documented\n");
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 0);
  auto file = programs::read_whole_file("/tmp/read_only.txt");
  KEXPECT(file.is_ok() && text_of(file.value()) == text);
  KEXPECT_EQ(ipc::stats::objects(), objects);
  KEXPECT_EQ(ipc::stats::handles(), handles);
}

// Waits (at most about 5 s) until `pid` waits without a hart; false if it never did.
async::Task<bool> reaches_waiting(u32 pid) {
  for (int i = 0; i < 5000; ++i) {
    auto info = programs::info(pid);
    if (!info || info->state == programs::State::Ended) co_return false;
    if (info->state == programs::State::Waiting) co_return true;
    co_await async::sleep(async::milliseconds(1));
  }
  co_return false;
}

// A poll with more subscriptions on IPC objects than the program may have descriptors (one
// channel end named for reading and writing, over and over) did not fit the wait set: the poll
// was retried at every turn and the program never waited. Now it waits like a poll of two.
KTEST_ASYNC(hostile, a_poll_of_many_subscriptions_on_one_channel_end_waits_without_a_hart) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  u64 objects = ipc::stats::objects(), handles = ipc::stats::handles();
  constexpr u32 kCounts[] = {2, 200, 4096};
  for (u32 n : kCounts) {
    char args[64];
    auto pid = start(support::format_to_buffer(args, sizeof args, "{} poll-many {}", kReview, n),
                     "/tmp/test.out");
    KEXPECT(pid.is_ok());
    if (pid.is_error()) co_return;
    bool waiting = co_await reaches_waiting(pid.value());
    if (!waiting) console::print("\n    poll-many {}: never waited", n);
    KEXPECT(waiting);
    KEXPECT(programs::kill(pid.value()));
    auto ended = co_await programs::wait(pid.value());
    KEXPECT(ended.is_ok() && ended.value().end == programs::End::Killed);
    if (ended.is_ok() && ended.value().end != programs::End::Killed) {
      console::print("\n    poll-many {}: ended ({}, {})", n, ended.value().code,
                     StringView(ended.value().reason));
    }
    auto out = programs::read_whole_file("/tmp/test.out");
    if (out.is_ok()) console::print("\n    {}", text_of(out.value()));
    KEXPECT(out.is_ok() && text_of(out.value()).starts_with("poll-many: polling"));
  }
  KEXPECT_EQ(ipc::stats::objects(), objects);
  KEXPECT_EQ(ipc::stats::handles(), handles);
}

}  // namespace
