// Pipes between programs (issue 14): warden_pipe, warden_spawn_fds, a reader or writer that waits
// holding no hart, end of file and EPIPE, the per-program descriptor limit, poll_oneoff on pipe
// ends, and a program killed while it waits on a pipe. Each test checks that the IPC objects and
// handles it made are gone afterwards (ipc::stats). Assertions are about results, never time.
#include <async/time.h>
#include <ipc/object.h>
#include <kernel/ktest/ktest.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

constexpr StringView kAbuse = "/hostile/pipe_abuse.wasm";

bool have_abuse() { return programs::read_whole_file(kAbuse).is_ok(); }

struct IpcLevel {
  u64 objects = ipc::stats::objects();
  u64 handles = ipc::stats::handles();
};

bool expect_ipc_level(ktest::Context& kt, const IpcLevel& before, int line) {
  IpcLevel after;
  if (after.objects == before.objects && after.handles == before.handles) return true;
  char buffer[160];
  kt.fail(__FILE__, line,
          support::format_to_buffer(buffer, sizeof buffer,
                                    "IPC objects {} -> {}, handles {} -> {} (expected no change)",
                                    before.objects, after.objects, before.handles, after.handles));
  return false;
}
#define KEXPECT_IPC_LEVEL(before) expect_ipc_level(kt, before, __LINE__)

async::Task<void> expect_mode_passes(ktest::Context& kt, StringView mode, StringView want) {
  IpcLevel before;
  support::Vector<u8> out;
  char args[64];
  programs::Exit e =
      co_await run(kt, support::format_to_buffer(args, sizeof args, "{} {}", kAbuse, mode), out);
  console::print("\n    {}", text_of(out));
  KEXPECT(e.end == programs::End::Exited && e.code == 0);
  KEXPECT(text_of(out).contains(want));
  KEXPECT_IPC_LEVEL(before);
}

KTEST_ASYNC(pipes, a_pipe_is_bounded_and_its_closed_ends_answer_as_documented) {
  if (!have_abuse()) co_return kt.skip("no hostile programs in the initrd");
  co_await expect_mode_passes(kt, "ends", "ends: as documented\n");
}

KTEST_ASYNC(pipes, poll_oneoff_waits_for_a_pipe_and_reports_its_hangup) {
  if (!have_abuse()) co_return kt.skip("no hostile programs in the initrd");
  co_await expect_mode_passes(kt, "poll", "poll: as documented\n");
}

KTEST_ASYNC(pipes, pipe_making_stops_at_the_descriptor_limit_with_emfile) {
  if (!have_abuse()) co_return kt.skip("no hostile programs in the initrd");
  co_await expect_mode_passes(kt, "fill", "after closing: pipe works\n");
}

// warden_spawn_fds: a child gets a pipe's write end as its descriptor 5 and a file reduced to no
// fd_write as 6 (and the preopened "/" at 3); each refusal, also one after a pipe end was copied,
// leaves no IPC object or handle behind.
KTEST_ASYNC(pipes, spawn_fds_maps_a_pipe_end_and_a_reduced_file_onto_the_childs_numbers) {
  if (!have_abuse()) co_return kt.skip("no hostile programs in the initrd");
  co_await expect_mode_passes(kt, "spawnfds", "spawnfds: as documented\n");
}

// A writer blocked on a full pipe that nobody reads waits (State::Waiting, no hart) until it is
// killed; its pipe goes with it.
KTEST_ASYNC(pipes, a_writer_blocked_on_a_full_pipe_waits_until_it_is_killed) {
  if (!have_abuse()) co_return kt.skip("no hostile programs in the initrd");
  IpcLevel before;
  char args[64];
  auto pid =
      start(support::format_to_buffer(args, sizeof args, "{} block", kAbuse), "/tmp/test.out");
  KEXPECT(pid.is_ok());
  if (pid.is_error()) co_return;
  for (;;) {
    auto info = programs::info(pid.value());
    if (!info || info->state == programs::State::Waiting || info->state == programs::State::Ended)
      break;
    co_await async::sleep(async::milliseconds(1));
  }
  auto info = programs::info(pid.value());
  KEXPECT(info && info->state == programs::State::Waiting);
  KEXPECT(ipc::stats::objects() == before.objects + 2);  // the pipe's two ends
  KEXPECT(programs::kill(pid.value()));
  auto ended = co_await programs::wait(pid.value());
  KEXPECT(ended.is_ok() && ended.value().end == programs::End::Killed);
  KEXPECT_IPC_LEVEL(before);
}

}  // namespace
