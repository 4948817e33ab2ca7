// Pipelines of programs through the shell (issue 14, acceptance 2 and 3): the shell (/bin/sh.wasm)
// runs a script from /tmp with its output in a file; the tests check what the pipeline printed,
// that it ended, what a kill in its middle does, and that the IPC objects, handles and free
// frames come back after many pipelines. Assertions are about results, never time.
#include <async/time.h>
#include <ipc/object.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

constexpr StringView kScript = "/tmp/pipeline.sh";

bool have_shell() { return programs::read_whole_file("/bin/sh.wasm").is_ok() && have_apps(); }

bool write_script(StringView text) {
  return programs::write_whole_file(
      kScript, support::Span<const u8>(reinterpret_cast<const u8*>(text.data()), text.size()));
}

// Runs `text` as a shell script; its output (stdout and stderr) is left in `out`.
async::Task<programs::Exit> run_script(ktest::Context& kt, StringView text,
                                       support::Vector<u8>& out) {
  KEXPECT(write_script(text));
  char args[64];
  co_return co_await run(kt, support::format_to_buffer(args, sizeof args, "sh {}", kScript), out);
}

// POSIX cksum of `count` bytes made of `line` repeated (the test's own computation, to compare
// with /bin/cksum at the end of a pipeline).
u32 cksum_of_repeated(StringView line, u64 count) {
  u32 table[256];
  for (u32 i = 0; i < 256; ++i) {
    u32 c = i << 24;
    for (int k = 0; k < 8; ++k) c = (c & 0x80000000u) != 0 ? (c << 1) ^ 0x04C11DB7u : c << 1;
    table[i] = c;
  }
  u32 crc = 0;
  for (u64 i = 0; i < count; ++i) {
    u8 byte = static_cast<u8>(line[i % line.size()]);
    crc = (crc << 8) ^ table[(crc >> 24) ^ byte];
  }
  for (u64 l = count; l != 0; l >>= 8) crc = (crc << 8) ^ table[(crc >> 24) ^ (l & 0xff)];
  return ~crc;
}

struct Counts {
  u64 objects = ipc::stats::objects();
  u64 handles = ipc::stats::handles();
  u64 frames = free_frames_settled();
};

bool expect_counts(ktest::Context& kt, const Counts& before, int line) {
  Counts after;
  bool ok = after.objects == before.objects && after.handles == before.handles &&
            after.frames >= before.frames;
  if (!ok) {
    char buffer[200];
    kt.fail(__FILE__, line,
            support::format_to_buffer(
                buffer, sizeof buffer,
                "IPC objects {} -> {}, handles {} -> {}, free frames {} -> {} (expected no loss)",
                before.objects, after.objects, before.handles, after.handles, before.frames,
                after.frames));
  }
  return ok;
}
#define KEXPECT_COUNTS(before) expect_counts(kt, before, __LINE__)

// Runs `script`; the shell must exit 0 having printed exactly `want`.
async::Task<void> expect_script(ktest::Context& kt, StringView script, StringView want) {
  support::Vector<u8> out;
  programs::Exit e = co_await run_script(kt, script, out);
  KEXPECT(e.end == programs::End::Exited && e.code == 0);
  KEXPECT_OUTPUT(out, want);
}

KTEST_ASYNC(pipelines, cat_grep_wc_counts_one_line) {
  if (!have_shell()) co_return kt.skip("no apps in the initrd");
  co_await expect_script(kt, "cat /etc/motd | grep Warden | wc -l\n", "1\n");
}

KTEST_ASYNC(pipelines, five_programs_move_16_mib_with_the_right_count_and_checksum) {
  if (!have_shell()) co_return kt.skip("no apps in the initrd");
  constexpr u64 kBytes = 16 << 20;
  char want[64];
  co_await expect_script(
      kt, "yes 0123456789abcde | head -c 16777216 | cat | cat | cksum\n",
      support::format_to_buffer(want, sizeof want, "{} {}\n",
                                cksum_of_repeated("0123456789abcde\n", kBytes), kBytes));
}

KTEST_ASYNC(pipelines, yes_into_head_ends_because_yes_gets_epipe) {
  if (!have_shell()) co_return kt.skip("no apps in the initrd");
  co_await expect_script(kt, "yes | head -n 3\necho status $?\n", "y\ny\ny\nstatus 0\n");
}

KTEST_ASYNC(pipelines, redirections_write_append_and_read_a_file) {
  if (!have_shell()) co_return kt.skip("no apps in the initrd");
  co_await expect_script(
      kt, "cd /tmp\necho a > f\necho b >> f\ncat < f\nrm f\ncat f 2> /dev/null || echo gone\n",
      "a\nb\ngone\n");
}

// The pid of the running program called `name` whose parent is `parent`, or 0.
u32 find_child(u32 parent, StringView name) {
  programs::Info infos[64];
  usize n = programs::list(infos, 64);
  for (usize i = 0; i < n && i < 64; ++i) {
    if (infos[i].parent == parent && StringView(infos[i].name) == name &&
        infos[i].state != programs::State::Ended) {
      return infos[i].pid;
    }
  }
  return 0;
}

// Killing the middle program of `yes | cat | wc -c`: yes's next write fails with EPIPE (it ends
// quietly, status 0), wc reads end of file and prints its count; the shell goes on.
KTEST_ASYNC(pipelines, killing_the_middle_program_ends_the_other_two) {
  if (!have_shell()) co_return kt.skip("no apps in the initrd");
  KEXPECT(write_script("yes | cat | wc -c\necho after $?\n"));
  Counts before;
  char args[64];
  auto shell =
      start(support::format_to_buffer(args, sizeof args, "sh {}", kScript), "/tmp/test.out");
  CO_KASSERT(shell.is_ok());
  u32 middle = 0;
  while (middle == 0) {
    middle = find_child(shell.value(), "cat");
    if (middle == 0) co_await async::sleep(async::milliseconds(1));
  }
  // Let some bytes through first.
  for (;;) {
    auto info = programs::info(middle);
    if (!info || info->slices >= 3) break;
    co_await async::sleep(async::milliseconds(1));
  }
  KEXPECT(programs::kill(middle));
  auto ended = co_await programs::wait(shell.value());
  KEXPECT(ended.is_ok() && ended.value().end == programs::End::Exited);
  {
    auto out = programs::read_whole_file("/tmp/test.out");
    CO_KASSERT(out.is_ok());
    StringView text = text_of(out.value());
    console::print("\n    {}", text);
    // The shell reports the killed program; wc's count follows, then the pipeline's status:
    // the last program's (wc's, 0).
    KEXPECT(text.starts_with("cat: killed\n"));
    StringView count = text.substr(12);
    KEXPECT(count.size() > 1 && count[0] >= '0' && count[0] <= '9');
    KEXPECT(text.ends_with("\nafter 0\n"));
  }
  KEXPECT_COUNTS(before);
}

// Acceptance 3: many pipelines leave no object, handle or frame behind.
KTEST_ASYNC(pipelines, many_pipelines_leave_nothing_behind) {
  if (!have_shell()) co_return kt.skip("no apps in the initrd");
  constexpr u32 kPipelines = 10000;
  constexpr u32 kPerLine = 10;  // pipelines per script line (a `;` list)
  support::Vector<u8> warm;
  // The same output as the run below, so that its file holds as many frames before and after.
  (void)co_await run_script(kt, "true | true\necho done $?\n", warm);
  support::Vector<char> script;
  for (u32 line = 0; line < kPipelines / kPerLine; ++line) {
    for (u32 i = 0; i < kPerLine; ++i) {
      StringView part = i + 1 < kPerLine ? "true | true; " : "true | true\n";
      for (char c : part) CO_KASSERT(script.try_push(c).is_ok());
    }
  }
  StringView tail = "echo done $?\n";
  for (char c : tail) CO_KASSERT(script.try_push(c).is_ok());
  // The script is written first: its file's frames are not the pipelines'.
  KEXPECT(write_script(StringView(script.data(), script.size())));
  script = support::Vector<char>();
  Counts before;
  support::Vector<u8> out;
  char args[64];
  programs::Exit e =
      co_await run(kt, support::format_to_buffer(args, sizeof args, "sh {}", kScript), out);
  KEXPECT(e.end == programs::End::Exited && e.code == 0);
  KEXPECT_OUTPUT(out, "done 0\n");
  out = support::Vector<u8>();
  KEXPECT_COUNTS(before);
}

}  // namespace
