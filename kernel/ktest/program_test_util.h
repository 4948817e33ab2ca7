// Helpers for kernel tests that run programs from the initrd (programs_test.cc, the hostile
// suite hostile_*_test.cc): start a program with its output in a file, wait for its end, check
// what it printed, and settle memory before counting free frames.
#pragma once

#include <kernel/console/console.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/proc/programs.h>
#include <support/format.h>

namespace program_test {

using support::StringView;

using support::StringView;

inline bool have_apps() { return programs::read_whole_file("/bin/echo.wasm").is_ok(); }

// Spawns `args` (space-separated; argv[0] names /bin/argv0.wasm unless it has a '/') with
// stdout and stderr going to `out`.
inline support::Result<u32, programs::SpawnError> start(StringView args, StringView out,
                                                        StringView in = {}) {
  programs::SpawnRequest request;
  char path[64];
  usize i = 0;
  while (i < args.size()) {
    usize j = i;
    while (j < args.size() && args[j] != ' ') ++j;
    if (request.add_arg(args.substr(i, j - i)).is_error()) {
      return programs::SpawnError::NoMemory;
    }
    i = j + 1;
  }
  StringView name(reinterpret_cast<const char*>(request.argv[0].data()), request.argv[0].size());
  if (name.contains("/")) {
    request.path = name;
  } else {
    request.path = support::format_to_buffer(path, sizeof path, "/bin/{}.wasm", name);
  }
  request.stdio_path[0] = in;
  request.stdio_path[1] = out;
  request.stdio_path[2] = out;
  return programs::spawn(request);
}

inline StringView text_of(const support::Vector<u8>& v) {
  return StringView(reinterpret_cast<const char*>(v.data()), v.size());
}

// Checks a program's output, showing it when it is not what was expected.
inline bool expect_output(ktest::Context& kt, const support::Vector<u8>& out, StringView want,
                          bool prefix, int line) {
  StringView got = text_of(out);
  bool ok = prefix ? got.starts_with(want) : got == want;
  if (!ok) {
    char buffer[400];
    kt.fail(__FILE__, line,
            support::format_to_buffer(buffer, sizeof buffer, "expected output {}'{}', got '{}'",
                                      prefix ? "starting with " : "", want, got));
  }
  return ok;
}
#define KEXPECT_OUTPUT(out, want) expect_output(kt, out, want, false, __LINE__)
#define KEXPECT_OUTPUT_PREFIX(out, want) expect_output(kt, out, want, true, __LINE__)

// Runs to the end; returns the exit and leaves the output in `output`.
inline async::Task<programs::Exit> run(ktest::Context& kt, StringView args,
                                       support::Vector<u8>& output, StringView in = {}) {
  programs::Exit exit;
  auto pid = start(args, "/tmp/test.out", in);
  if (pid.is_error()) {
    KEXPECT(pid.is_ok());
    co_return exit;
  }
  auto ended = co_await programs::wait(pid.value());
  KEXPECT(ended.is_ok());
  if (ended.is_ok()) exit = ended.value();
  auto out = programs::read_whole_file("/tmp/test.out");
  if (out.is_ok()) output = support::move(out.value());
  co_return exit;
}

// Free frames once the module cache, the heap and the per-CPU frame caches gave back what they
// keep.
inline u64 free_frames_settled() {
  programs::drop_module_cache();
  kmem::trim_heap();
  kmem::drain_frame_caches();
  return kmem::frames().stats().free;
}

}  // namespace program_test
