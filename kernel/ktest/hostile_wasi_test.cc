// The hostile-programs suite, WASI part: programs from apps/hostile (in the initrd as
// /hostile/NAME.wasm) that attack the kernel through WASI. Guest memory is read once (an iovec
// array rewritten by the call's own data), and O_APPEND writes from two programs at once are
// atomic.
#include <fs/file_system.h>
#include <kernel/ktest/ktest.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

bool have_hostile() { return programs::read_whole_file("/hostile/iovec_overlap.wasm").is_ok(); }

void remove_tmp(StringView name) {
  fs::FileSystem& root = programs::root();
  auto tmp = root.lookup(root.root(), "tmp");
  if (tmp.is_ok()) (void)root.unlink(tmp.value(), name);
}

KTEST_ASYNC(hostile, an_iovec_rewritten_by_its_own_read_is_used_as_copied) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/iovec_overlap.wasm", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 0);  // else the number of the check that failed
  KEXPECT_OUTPUT(out, "");
  e = co_await run(kt, "echo still here", out);
  KEXPECT_OUTPUT(out, "still here\n");
}

KTEST_ASYNC(hostile, appending_programs_lose_no_records) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  constexpr int kRecords = 1500;
  constexpr usize kRecordSize = 32;
  remove_tmp("append.log");
  auto a = start("/hostile/append_records.wasm /tmp/append.log a 1500", "/tmp/append_a.out");
  auto b = start("/hostile/append_records.wasm /tmp/append.log b 1500", "/tmp/append_b.out");
  KEXPECT(a.is_ok() && b.is_ok());
  if (!a.is_ok() || !b.is_ok()) co_return;
  auto ended_a = co_await programs::wait(a.value());
  auto ended_b = co_await programs::wait(b.value());
  KEXPECT(ended_a.is_ok() && ended_b.is_ok());
  if (!ended_a.is_ok() || !ended_b.is_ok()) co_return;
  KEXPECT_EQ(ended_a.value().code, 0);
  KEXPECT_EQ(ended_b.value().code, 0);
  auto log = programs::read_whole_file("/tmp/append.log");
  KEXPECT(log.is_ok());
  if (!log.is_ok()) co_return;
  StringView all = text_of(log.value());
  KEXPECT_EQ(all.size(), 2 * kRecords * kRecordSize);
  // Each writer's records in its own order, every one whole.
  int next[2] = {0, 0};
  for (usize at = 0; at + kRecordSize <= all.size(); at += kRecordSize) {
    StringView record = all.substr(at, kRecordSize);
    char tag = record[0];
    if (tag != 'a' && tag != 'b') {
      KEXPECT(tag == 'a' || tag == 'b');
      co_return;
    }
    char want[kRecordSize + 1];
    StringView expected =
        support::format_to_buffer(want, sizeof want, "{}{:07}:record", tag, next[tag - 'a']++);
    if (!record.starts_with(expected) || record[kRecordSize - 1] != '\n') {
      KEXPECT(record.starts_with(expected));
      co_return;
    }
  }
  KEXPECT_EQ(next[0], kRecords);
  KEXPECT_EQ(next[1], kRecords);
  remove_tmp("append.log");
  remove_tmp("append_a.out");
  remove_tmp("append_b.out");
}

}  // namespace
