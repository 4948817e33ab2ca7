// The hostile-programs suite, from the review of the kernel's IPC (pipes, channels, services and
// waiting on them; docs/ipc.md, "In the kernel today"): a child started with a descriptor its
// parent may only read cannot write it; a poll of more subscriptions on IPC objects than the
// program's wait set has entries still waits without a hart, and what the kernel keeps of them
// is charged to the program. Assertions are about results and states, never time.
#include <async/time.h>
#include <ipc/object.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/mm/wasm_memory.h>
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

// What the kernel keeps for a program (its heap besides the linear memory) while it waits in a
// poll: poll_oneoff's copy of 4,096 subscriptions (about 230 KiB) was not charged to it, so a
// thousand programs could each hold it outside every limit. Now a program's charge grows with the
// kernel's heap and its linear memory together (a poll of two as the reference).
KTEST_ASYNC(hostile, what_a_poll_of_4096_subscriptions_keeps_is_charged_to_the_program) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  struct Growth {
    u64 heap = 0, linear = 0, charged = 0;
  };
  Growth growth[2];
  constexpr u32 kCounts[] = {2, 4096};
  programs::drop_module_cache();
  u64 level = programs::stats().memory_used;
  for (int k = 0; k < 2; ++k) {
    programs::drop_module_cache();
    kmem::trim_heap();
    u64 heap = kmem::heap_stats().bytes_in_use, linear = wasm_memory::committed_bytes();
    u64 charged = programs::stats().memory_used;
    char args[64];
    auto pid =
        start(support::format_to_buffer(args, sizeof args, "{} poll-many {}", kReview, kCounts[k]),
              "/tmp/test.out");
    KEXPECT(pid.is_ok());
    if (pid.is_error()) co_return;
    KEXPECT(co_await reaches_waiting(pid.value()));
    programs::drop_module_cache();
    growth[k].heap = kmem::heap_stats().bytes_in_use - heap;
    growth[k].linear = wasm_memory::committed_bytes() - linear;
    growth[k].charged = programs::stats().memory_used - charged;
    console::print("\n    poll-many {}: heap +{} KiB, linear memory +{} KiB, charged +{} KiB",
                   kCounts[k], growth[k].heap / 1024, growth[k].linear / 1024,
                   growth[k].charged / 1024);
    KEXPECT(programs::kill(pid.value()));
    (void)co_await programs::wait(pid.value());
  }
  u64 kept = growth[1].heap + growth[1].linear - growth[0].heap - growth[0].linear;
  u64 charged = growth[1].charged - growth[0].charged;
  KEXPECT(kept >= 4096 * 56);  // the subscriptions and their deadlines, and the guest's arrays
  KEXPECT(charged + 16 * 1024 >= kept);
  programs::drop_module_cache();
  KEXPECT_EQ(programs::stats().memory_used, level);  // and given back
}

}  // namespace
