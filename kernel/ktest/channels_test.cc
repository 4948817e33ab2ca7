// Channels and services between programs (issue 14): warden.channel*, warden.service_*, the
// descriptors they move, and the key-value service kvd. The acceptance of the issue for channels:
// a channel carries a handle to an open file to a second program, which reads it; a handle sent to
// a receiver that dies is freed; a service answers 1,000 requests from 10 concurrent clients while
// clients are killed at random (picked with the kernel's entropy) and still answers afterwards;
// after 10,000 round trips, and after the service test, the IPC objects, handles, free frames and
// the memory charged to programs are back where they were. The hostile program channel_abuse
// checks every documented refusal. Assertions are about results, never time.
#include <async/time.h>
#include <ipc/object.h>
#include <kernel/drivers/entropy.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

constexpr StringView kAbuse = "/hostile/channel_abuse.wasm";
constexpr StringView kLoad = "/hostile/kv_load.wasm";
constexpr StringView kKvd = "/bin/kvd.wasm";

bool have(StringView path) { return programs::read_whole_file(path).is_ok(); }
bool have_programs() { return have(kAbuse) && have(kLoad) && have(kKvd); }

// What must come back: IPC objects and handles exactly; free frames (with the page-table frames
// the kernel keeps) at least; the memory charged to programs exactly.
struct Level {
  u64 objects = 0;
  u64 handles = 0;
  u64 frames = 0;
  u64 charged = 0;
};

Level level(bool frames) {
  Level l;
  l.objects = ipc::stats::objects();
  l.handles = ipc::stats::handles();
  programs::drop_module_cache();  // cached modules are charged too
  if (frames) {
    l.frames = free_frames_settled();
    l.frames += kmem::frames().stats().used[static_cast<usize>(mem::FrameKind::PageTable)];
  }
  l.charged = programs::stats().memory_used;
  return l;
}

bool expect_level(ktest::Context& kt, const Level& before, bool frames, int line) {
  Level after = level(frames);
  bool ok = after.objects == before.objects && after.handles == before.handles &&
            after.charged == before.charged && (!frames || after.frames >= before.frames);
  char buffer[240];
  support::format_to_buffer(buffer, sizeof buffer,
                            "IPC objects {} -> {}, handles {} -> {}, free frames {} -> {}, "
                            "charged {} -> {}",
                            before.objects, after.objects, before.handles, after.handles,
                            before.frames, after.frames, before.charged, after.charged);
  if (!ok) {
    kt.fail(__FILE__, line, buffer);
  } else {
    console::print("\n    {}\n", buffer);
  }
  return ok;
}
#define KEXPECT_LEVEL(before, frames) expect_level(kt, before, frames, __LINE__)

// Runs `args` to its end; prints its output; expects exit 0 and `want` (and `also`) in the
// output.
async::Task<void> expect_passes(ktest::Context& kt, StringView args, StringView want,
                                StringView also = {}) {
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, args, out);
  console::print("\n    {}", text_of(out));
  KEXPECT(e.end == programs::End::Exited && e.code == 0);
  KEXPECT(text_of(out).contains(want));
  KEXPECT(text_of(out).contains(also));
}

// Waits until program `pid` waits (or ended).
async::Task<void> until_waiting(u32 pid) {
  for (;;) {
    auto info = programs::info(pid);
    if (!info || info->state == programs::State::Waiting || info->state == programs::State::Ended)
      co_return;
    co_await async::sleep(async::milliseconds(1));
  }
}

u32 random_below(u32 n) {
  u32 r = 0;
  entropy::random_bytes({reinterpret_cast<u8*>(&r), sizeof r});
  return r % n;
}

KTEST_ASYNC(channels, misuse_of_channels_and_services_is_refused_as_documented) {
  if (!have_programs()) co_return kt.skip("no hostile programs in the initrd");
  Level before = level(false);
  char args[64];
  co_await expect_passes(kt, support::format_to_buffer(args, sizeof args, "{} abuse", kAbuse),
                         "abuse: as documented\n",
                         "abuse: a file, a directory, /dev/null and the console travelled\n");
  KEXPECT_LEVEL(before, false);
}

// A writer blocked on a full channel that nobody reads waits (no hart) until it is killed; its
// channel and the 64 messages queued in it go with it.
KTEST_ASYNC(channels, a_writer_blocked_on_a_full_channel_waits_until_it_is_killed) {
  if (!have_programs()) co_return kt.skip("no hostile programs in the initrd");
  Level before = level(false);
  char args[64];
  auto pid =
      start(support::format_to_buffer(args, sizeof args, "{} block", kAbuse), "/tmp/test.out");
  KEXPECT(pid.is_ok());
  if (pid.is_error()) co_return;
  co_await until_waiting(pid.value());
  auto info = programs::info(pid.value());
  KEXPECT(info && info->state == programs::State::Waiting);
  KEXPECT(ipc::stats::objects() == before.objects + 2);  // the channel's two ends
  KEXPECT(ipc::stats::messages() >= 64);
  KEXPECT(programs::kill(pid.value()));
  auto ended = co_await programs::wait(pid.value());
  KEXPECT(ended.is_ok() && ended.value().end == programs::End::Killed);
  KEXPECT_LEVEL(before, false);
}

KTEST_ASYNC(channels, a_channel_carries_an_open_file_to_a_second_program_which_reads_it) {
  if (!have_programs()) co_return kt.skip("no hostile programs in the initrd");
  StringView text = "hello through a channel\n";
  KEXPECT(programs::write_whole_file(
      "/tmp/passed.txt",
      support::Span<const u8>(reinterpret_cast<const u8*>(text.data()), text.size())));
  Level before = level(false);
  char args[96];
  co_await expect_passes(kt,
                         support::format_to_buffer(
                             args, sizeof args, "{} pass-file test.file /tmp/passed.txt", kAbuse),
                         "the receiver says: read 'hello through a channel', could not write\n");
  KEXPECT_LEVEL(before, false);
}

KTEST_ASYNC(channels, a_handle_sent_to_a_receiver_that_dies_is_freed) {
  if (!have_programs()) co_return kt.skip("no hostile programs in the initrd");
  Level before = level(false);
  char args[64];
  co_await expect_passes(
      kt, support::format_to_buffer(args, sizeof args, "{} dead-receiver test.dead", kAbuse),
      "dead-receiver: as documented\n");
  KEXPECT_LEVEL(before, false);
}

// Round trips between two programs through a service's connection, every tenth carrying a fresh
// channel end there and back.
async::Task<void> round_trips(ktest::Context& kt, u32 count) {
  char args[80], want[64];
  co_await expect_passes(
      kt, support::format_to_buffer(args, sizeof args, "{} roundtrip test.rt {}", kAbuse, count),
      support::format_to_buffer(want, sizeof want, "roundtrip: {} round trips in", count));
}

KTEST_ASYNC(channels, ten_thousand_round_trips_leave_objects_handles_and_frames_where_they_were) {
  if (!have_programs()) co_return kt.skip("no hostile programs in the initrd");
  co_await round_trips(kt, 100);  // the heap and the module cache reach their level
  Level before = level(true);
  co_await round_trips(kt, 10'000);
  KEXPECT_LEVEL(before, true);
}

// kvd on `service`, 10 clients at a time each making 20 requests (on four names of their slot),
// until `target` requests were answered to clients that ended normally and `kills` clients were
// killed at random (each millisecond, one chance in 4: a random slot's client, if it runs).
struct Load {
  u32 answered = 0;
  u32 finished = 0;
  u32 killed = 0;
};

async::Task<Load> load(ktest::Context& kt, StringView service, u32 target, u32 kills) {
  constexpr u32 kSlots = 10;
  constexpr u32 kPerClient = 20;
  Load result;
  u32 pids[kSlots] = {};
  char args[96], out[32];
  // Ends the clients still running (after a failure).
  auto stop_all = [&]() -> async::Task<void> {
    for (u32& pid : pids) {
      if (pid == 0) continue;
      (void)programs::kill(pid);
      (void)co_await programs::wait(pid);
      pid = 0;
    }
  };
  for (;;) {
    bool busy = false;
    for (u32 s = 0; s < kSlots; ++s) {
      support::format_to_buffer(out, sizeof out, "/tmp/kvload.{}.out", s);
      if (pids[s] == 0 && (result.answered < target || result.killed < kills)) {
        auto pid = start(support::format_to_buffer(args, sizeof args, "{} {} s{} {}", kLoad,
                                                   service, s, kPerClient),
                         out);
        KEXPECT(pid.is_ok());
        if (pid.is_error()) {
          co_await stop_all();
          co_return result;
        }
        pids[s] = pid.value();
      }
      if (pids[s] == 0) continue;
      busy = true;
      auto info = programs::info(pids[s]);
      if (info && info->state != programs::State::Ended) continue;
      auto ended = co_await programs::wait(pids[s]);
      pids[s] = 0;
      KEXPECT(ended.is_ok());
      if (ended.is_error()) continue;
      if (ended.value().end == programs::End::Killed) {
        ++result.killed;
        continue;
      }
      auto text = programs::read_whole_file(out);
      bool ok = ended.value().end == programs::End::Exited && ended.value().code == 0 &&
                text.is_ok() && text_of(text.value()).contains("20 answers\n");
      if (!ok) {
        console::print("\n    a client failed: {}", text.is_ok() ? text_of(text.value()) : "");
      }
      KEXPECT(ok);
      if (!ok) {
        co_await stop_all();
        co_return result;
      }
      result.answered += kPerClient;
      ++result.finished;
    }
    if (!busy && result.answered >= target && result.killed >= kills) break;
    if (result.killed < kills && random_below(4) == 0) {
      u32 s = random_below(kSlots);
      if (pids[s] != 0) (void)programs::kill(pids[s]);  // it may have ended just now
    }
    co_await async::sleep(async::milliseconds(1));
  }
  co_return result;
}

// Starts kvd on `service` and waits until it serves (publishes).
async::Task<support::Optional<u32>> start_kvd(ktest::Context& kt, StringView service) {
  char args[64];
  auto pid =
      start(support::format_to_buffer(args, sizeof args, "{} {}", kKvd, service), "/tmp/kvd.out");
  KEXPECT(pid.is_ok());
  if (pid.is_error()) co_return support::Optional<u32>();
  co_await until_waiting(pid.value());
  co_return support::Optional<u32>(pid.value());
}

async::Task<void> stop_kvd(ktest::Context& kt, u32 pid) {
  auto info = programs::info(pid);
  KEXPECT(info && info->state != programs::State::Ended);  // it survived
  KEXPECT(programs::kill(pid));
  auto ended = co_await programs::wait(pid);
  KEXPECT(ended.is_ok() && ended.value().end == programs::End::Killed);
  auto out = programs::read_whole_file("/tmp/kvd.out");
  KEXPECT(out.is_ok() && text_of(out.value()).starts_with("kvd: serving /svc/"));
}

KTEST_ASYNC(channels, a_service_answers_1000_requests_from_10_clients_killed_at_random) {
  if (!have_programs()) co_return kt.skip("no hostile programs in the initrd");
  // A first round so that the heap and the module cache reach their level.
  {
    auto kvd = co_await start_kvd(kt, "test.kv");
    if (!kvd) co_return;
    Load warm = co_await load(kt, "test.kv", 200, 2);
    KEXPECT(warm.answered >= 200);
    co_await stop_kvd(kt, *kvd);
  }
  Level before = level(true);
  auto kvd = co_await start_kvd(kt, "test.kv");
  if (!kvd) co_return;
  Load done = co_await load(kt, "test.kv", 1000, 20);
  console::print("\n    {} answers to {} clients that finished; {} clients killed", done.answered,
                 done.finished, done.killed);
  KEXPECT(done.answered >= 1000);
  KEXPECT(done.killed >= 10);
  // Still answering, to a new client.
  char args[96];
  co_await expect_passes(kt,
                         support::format_to_buffer(args, sizeof args, "{} test.kv after 10", kLoad),
                         "kv_load after: 10 answers\n");
  co_await stop_kvd(kt, *kvd);
  KEXPECT_LEVEL(before, true);
}

// The client a user runs: kv set, get, list, del, and a name that is not there.
KTEST_ASYNC(channels, kv_sets_gets_lists_and_deletes_through_kvd) {
  if (!have_programs() || !have("/bin/kv.wasm")) co_return kt.skip("no kvd and kv in the initrd");
  Level before = level(false);
  auto kvd = co_await start_kvd(kt, "test.cli");
  if (!kvd) co_return;
  struct Step {
    StringView args;
    i32 code;
    StringView output;
  };
  const Step steps[] = {
      {"kv -s test.cli set greeting hello world", 0, ""},
      {"kv -s test.cli set x 1", 0, ""},
      {"kv -s test.cli get greeting", 0, "hello world\n"},
      {"kv -s test.cli list", 0, "greeting\nx\n"},
      {"kv -s test.cli del x", 0, ""},
      {"kv -s test.cli get x", 1, "kv: no such name\n"},
      {"kv -s test.none get x", 1, "kv: no service /svc/test.none (start it with: kvd &)\n"},
  };
  for (const Step& step : steps) {
    support::Vector<u8> out;
    programs::Exit e = co_await run(kt, step.args, out);
    KEXPECT(e.end == programs::End::Exited && e.code == step.code);
    KEXPECT_OUTPUT(out, step.output);
  }
  co_await stop_kvd(kt, *kvd);
  KEXPECT_LEVEL(before, false);
}

KTEST_ASYNC(channels, kvd_survives_clients_that_misbehave) {
  if (!have_programs()) co_return kt.skip("no hostile programs in the initrd");
  Level before = level(false);
  auto kvd = co_await start_kvd(kt, "test.rude");
  if (!kvd) co_return;
  char args[96];
  co_await expect_passes(kt,
                         support::format_to_buffer(args, sizeof args, "{} test.rude rude", kLoad),
                         "kv_load rude: afterwards: ok 2\n");
  co_await stop_kvd(kt, *kvd);
  KEXPECT_LEVEL(before, false);
}

}  // namespace
