// The hostile-programs suite, from the review of the kernel's IPC (pipes, channels, services and
// waiting on them; docs/ipc.md, "In the kernel today"): a child started with a descriptor its
// parent may only read cannot write it. Assertions are about results and states, never time.
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

}  // namespace
