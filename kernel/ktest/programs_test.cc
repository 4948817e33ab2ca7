// Programs from the initrd running as tasks: outputs, ends, preemption, many at once, memory.
// These tests need the initrd with the apps (bin/*.wasm); without it they skip, counted.
#include <async/time.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/console/console.h>
#include <kernel/console/tty.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/mm/wasm_memory.h>
#include <kernel/proc/programs.h>
#include <kernel/sched/executor.h>
#include <wat/module.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

KTEST_ASYNC(programs, apps_print_what_they_should) {
  if (!have_apps()) co_return kt.skip("no apps in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "echo hello from warden", out);
  KEXPECT_EQ(static_cast<int>(e.end), 0);
  KEXPECT_EQ(e.code, 0);
  KEXPECT_OUTPUT(out, "hello from warden\n");

  KEXPECT(programs::write_whole_file(
      "/tmp/words.txt", programs::bytes_of("one two three\nfour five\nsix\n").value().span()));
  e = co_await run(kt, "wc /tmp/words.txt", out);
  KEXPECT_EQ(e.code, 0);
  KEXPECT_OUTPUT_PREFIX(out, "      3       6      28");

  e = co_await run(kt, "cat /tmp/words.txt", out);
  KEXPECT_OUTPUT(out, "one two three\nfour five\nsix\n");

  e = co_await run(kt, "grep -n f /tmp/words.txt", out);
  KEXPECT_OUTPUT(out, "2:four five\n");

  e = co_await run(kt, "primes 100000", out);
  KEXPECT_EQ(e.code, 0);
  KEXPECT(text_of(out).contains("9592"));

  e = co_await run(kt, "ls /etc", out);
  KEXPECT(text_of(out).contains("motd"));

  // stdin from a file, to its end.
  e = co_await run(kt, "wc", out, "/tmp/words.txt");
  KEXPECT_OUTPUT_PREFIX(out, "      3       6      28");
}

KTEST_ASYNC(programs, a_trap_and_an_exit_status_end_only_that_program) {
  if (!have_apps()) co_return kt.skip("no apps in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "fail trap", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Trapped));
  KEXPECT(StringView(e.reason).starts_with("trap: unreachable"));
  console::print("    trap reported as: {}\n", e.reason);

  e = co_await run(kt, "fail div0", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Trapped));
  KEXPECT(StringView(e.reason).contains("integer divide by zero"));

  e = co_await run(kt, "fail 3", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 3);

  // The system goes on.
  e = co_await run(kt, "echo still here", out);
  KEXPECT_OUTPUT(out, "still here\n");
}

KTEST_ASYNC(programs, modules_that_cannot_run_are_refused_with_a_reason) {
  if (!have_apps()) co_return kt.skip("no apps in the initrd");
  struct Case {
    const char* path;
    StringView bytes;
    const char* reason;
  };
  // A truncated header; a function whose body returns nothing where i32 is due; an import that
  // does not exist.
  static const char kTruncated[] = "\0asm\1\0";
  static const char kInvalid[] =
      "\0asm\1\0\0\0\1\5\1\x60\0\1\x7f\3\2\1\0\7\12\1\6_start\0\0\12\4\1\2\0\x0b";
  static const char kUnlinkable[] = "\0asm\1\0\0\0\1\4\1\x60\0\0\2\x0b\1\3env\3foo\0\0";
  Case cases[] = {
      {"/tmp/truncated.wasm", {kTruncated, sizeof kTruncated - 1}, "malformed module at offset"},
      {"/tmp/invalid.wasm", {kInvalid, sizeof kInvalid - 1}, "invalid module at offset"},
      {"/tmp/unlinkable.wasm",
       {kUnlinkable, sizeof kUnlinkable - 1},
       "unlinkable: unknown import env.foo"},
  };
  for (const Case& c : cases) {
    CO_KASSERT(programs::write_whole_file(c.path, programs::bytes_of(c.bytes).value().span()));
    support::Vector<u8> out;
    programs::Exit e = co_await run(kt, c.path, out);
    KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Failed));
    KEXPECT(StringView(e.reason).starts_with(c.reason));
    console::print("    {}: {}\n", c.path, e.reason);
  }
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "echo ok", out);
  KEXPECT_OUTPUT(out, "ok\n");
}

KTEST_ASYNC(programs, memory_grow_beyond_the_program_limit_returns_minus_one) {
  // Grows by 64 pages until memory.grow says -1, then exits with the size in 64-page units.
  static const char kGrow[] = R"((module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (block $done
        (loop $grow
          (br_if $done (i32.eq (memory.grow (i32.const 64)) (i32.const -1)))
          (br $grow)))
      (call $exit (i32.div_u (memory.size) (i32.const 64))))))";
  auto binary = wat::encode_module(kGrow);
  if (binary.is_error()) {
    console::print("    {}:{}: {}\n", binary.error().location.line, binary.error().location.column,
                   wat::error_name(binary.error().code));
  }
  CO_KASSERT(binary.is_ok());
  CO_KASSERT(programs::write_whole_file("/tmp/grow.wasm", binary.value().span()));
  u64 committed_before = wasm_memory::committed_bytes();
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/tmp/grow.wasm", out);
  u32 limit = programs::limits().memory_pages;
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(static_cast<u32>(e.code), (1 + (limit - 1) / 64 * 64) / 64);
  KEXPECT_EQ(wasm_memory::committed_bytes(), committed_before);
  console::print("    grew to {} x 64 pages under a limit of {} pages, then -1\n", e.code, limit);
}

KTEST_ASYNC(programs, every_memory_is_charged_to_the_program_and_bounded_by_its_limits) {
  // Three memories (two with i32 addresses, one with i64) grown by 64 pages in turn until every
  // memory.grow says -1; exits with the pages of all three in 64-page units. Each memory stays
  // within program.pages, all of them together within program.memory.
  static const char kGrow[] = R"((module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (memory $b 0)
    (memory $c i64 0)
    (func (export "_start")
      (local $more i32)
      (loop $grow
        (local.set $more (i32.const 0))
        (if (i32.ne (memory.grow (i32.const 64)) (i32.const -1))
          (then (local.set $more (i32.const 1))))
        (if (i32.ne (memory.grow $b (i32.const 64)) (i32.const -1))
          (then (local.set $more (i32.const 1))))
        (if (i64.ne (memory.grow $c (i64.const 64)) (i64.const -1))
          (then (local.set $more (i32.const 1))))
        (br_if $grow (local.get $more)))
      (call $exit (i32.div_u
        (i32.add (i32.add (memory.size) (memory.size $b)) (i32.wrap_i64 (memory.size $c)))
        (i32.const 64))))))";
  auto binary = wat::encode_module(kGrow);
  CO_KASSERT(binary.is_ok());
  CO_KASSERT(programs::write_whole_file("/tmp/grow3.wasm", binary.value().span()));
  u64 committed_before = wasm_memory::committed_bytes();
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/tmp/grow3.wasm", out);
  const programs::Limits& limits = programs::limits();
  u64 pages = static_cast<u64>(e.code) * 64;
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT(pages * 65536 <= limits.memory_bytes);
  KEXPECT(pages > limits.memory_pages);  // more than one memory's limit: each grew on its own
  KEXPECT_EQ(wasm_memory::committed_bytes(), committed_before);
  console::print(
      "    three memories grew to {} x 64 pages together (program.pages {}, program.memory {} "
      "MiB)\n",
      e.code, limits.memory_pages, limits.memory_bytes >> 20);
}

KTEST_ASYNC(programs, an_interactive_program_answers_while_two_loops_compute) {
  if (!have_apps()) co_return kt.skip("no apps in the initrd");
  tty::start();
  auto spin1 = start("spin", "/tmp/spin1.out");
  auto spin2 = start("spin", "/tmp/spin2.out");
  programs::SpawnRequest lines;
  CO_KASSERT(lines.add_arg("lines").is_ok());
  lines.path = "/bin/lines.wasm";
  lines.stdio_path[1] = "/tmp/lines.out";
  lines.foreground = true;
  auto echo = programs::spawn(lines);
  CO_KASSERT(spin1.is_ok() && spin2.is_ok() && echo.is_ok());
  // Both loops get going first.
  while (programs::info(spin1.value())->slices < 5 || programs::info(spin2.value())->slices < 5) {
    co_await async::sleep(async::milliseconds(2));
  }
  static const char* kLines[] = {"first\n", "second line\n", "third\n"};
  u64 worst = 0;
  support::Vector<u8> expected;
  for (const char* line : kLines) {
    u64 before1 = programs::info(spin1.value())->slices;
    u64 before2 = programs::info(spin2.value())->slices;
    tty::inject(line, StringView(line).size());
    for (const char* c = "> "; *c; ++c) CO_KASSERT(expected.try_push(static_cast<u8>(*c)).is_ok());
    for (const char* c = line; *c; ++c) CO_KASSERT(expected.try_push(static_cast<u8>(*c)).is_ok());
    // Until the answer is there: the file may already have its new size while the write that
    // grew it is still copying (a write proceeds in steps), so compare the text, not the size.
    for (;;) {
      auto got = programs::read_whole_file("/tmp/lines.out");
      if (got.is_ok() && got.value().size() >= expected.size() &&
          text_of(got.value()).substr(0, expected.size()) == text_of(expected)) {
        break;
      }
      co_await async::yield_now();
    }
    u64 more1 = programs::info(spin1.value())->slices - before1;
    u64 more2 = programs::info(spin2.value())->slices - before2;
    KEXPECT(more1 < 10 && more2 < 10);
    if (more1 > worst) worst = more1;
    if (more2 > worst) worst = more2;
  }
  tty::inject("\x04", 1);  // end of input: `lines` exits
  auto e = co_await programs::wait(echo.value());
  KEXPECT(e.is_ok() && e.value().code == 0);
  // Once it has ended, its output is complete: exactly the three answers.
  auto got = programs::read_whole_file("/tmp/lines.out");
  KEXPECT(got.is_ok() && text_of(got.value()) == text_of(expected));
  KEXPECT(programs::kill(spin1.value()) && programs::kill(spin2.value()));
  auto k1 = co_await programs::wait(spin1.value());
  auto k2 = co_await programs::wait(spin2.value());
  KEXPECT(k1.is_ok() && k1.value().end == programs::End::Killed);
  KEXPECT(k2.is_ok() && k2.value().end == programs::End::Killed);
  console::print("    each line answered within {} slices of either loop\n", worst);
}

KTEST_ASYNC(programs, two_hundred_programs_finish_spread_over_all_harts) {
  if (!have_apps()) co_return kt.skip("no apps in the initrd");
  constexpr u32 kCount = 200;
  programs::Stats before = programs::stats();
  u32 pids[kCount];
  for (u32 i = 0; i < kCount; ++i) {
    auto pid = start("primes 30000", "/tmp/many.out");
    CO_KASSERT(pid.is_ok());
    pids[i] = pid.value();
  }
  u32 exited = 0;
  for (u32 pid : pids) {
    auto e = co_await programs::wait(pid);
    if (e.is_ok() && e.value().end == programs::End::Exited && e.value().code == 0) ++exited;
  }
  KEXPECT_EQ(exited, kCount);
  programs::Stats after = programs::stats();
  u32 harts = smp::cpu_count(), used = 0;
  for (u32 h = 0; h < harts && h < 8; ++h) {
    u64 n = after.slices_on_hart[h] - before.slices_on_hart[h];
    console::print("    hart {}: {} slices\n", h, n);
    if (n > 0) ++used;
  }
  KEXPECT_EQ(used, harts);
  KEXPECT(after.cache_hits - before.cache_hits >= kCount - 1);  // compiled once
}

// A batch of programs that trap or compute, all at once.
async::Task<void> run_batch(ktest::Context& kt, u32 count = 16) {
  u32 pids[32];
  for (u32 i = 0; i < count; ++i) {
    auto pid = start(i % 2 ? "primes 200000" : "fail trap", "/tmp/batch.out");
    CO_KASSERT(pid.is_ok());
    pids[i] = pid.value();
  }
  for (u32 i = 0; i < count; ++i) {
    auto e = co_await programs::wait(pids[i]);
    KEXPECT(e.is_ok() && (e.value().end == programs::End::Trapped || e.value().code == 0));
  }
}

KTEST_ASYNC(programs, frames_return_after_programs_end) {
  if (!have_apps()) co_return kt.skip("no apps in the initrd");
  // A first, double batch brings the kernel heap and the kernel space's page tables to more than
  // a batch needs (the heap keeps partly used slabs, and lib/mem keeps page tables once made);
  // from then on a batch must give back every frame.
  co_await run_batch(kt, 32);
  u64 free_before = free_frames_settled();
  for (int round = 0; round < 3; ++round) co_await run_batch(kt);
  u64 free_after = free_frames_settled();
  console::print("    free frames: {} before, {} after three more batches of 16 programs\n",
                 free_before, free_after);
  KEXPECT_EQ(free_after, free_before);
  if (free_after != free_before) kmem::print_stats();
}

}  // namespace
