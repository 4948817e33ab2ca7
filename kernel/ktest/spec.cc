#include <async/time.h>
#include <kernel/console/console.h>
#include <kernel/drivers/ramdisk.h>
#include <kernel/ktest/spec.h>
#include <kernel/mm/wasm_memory.h>
#include <spec/runner.h>

namespace spec_suite {

namespace {

// Fuel per slice: a yield between slices keeps a long loop from holding its worker.
constexpr i64 kSliceFuel = 200000;

}  // namespace

async::Task<Summary> run(support::StringView dir, wasm::Features features) {
  Summary summary;
  const initrd::Archive* archive = ramdisk::archive();
  if (archive == nullptr) {
    console::print("spec: no initrd\n");
    co_return summary;
  }
  char prefix_buffer[128];
  support::StringView prefix =
      support::format_to_buffer(prefix_buffer, sizeof prefix_buffer, "{}{}",
                                dir.empty() ? support::StringView("spec") : dir, "/");
  // Entries are collected first: the loop below suspends, and for_each takes a callback.
  support::Vector<initrd::Entry> scripts;
  bool no_memory = false;
  archive->for_each([&](const initrd::Entry& e) {
    if (e.is_file() && e.name.starts_with(prefix) && e.name.ends_with(".wast"))
      no_memory |= scripts.try_push(e).is_error();
  });
  if (no_memory) {
    console::print("spec: out of memory listing the scripts\n");
    co_return summary;
  }
  console::Sink out;
  spec::Config config;
  config.features = features;
  spec::Counts total;
  for (const initrd::Entry& e : scripts) {
    spec::ScriptRunner runner(wasm_memory::provider(), config, out);
    runner.start(e.name.substr(prefix.size()),
                 support::StringView(reinterpret_cast<const char*>(e.data.data()), e.data.size()));
    while (!runner.done()) {
      wasm::Execution* ex = runner.begin_command();
      if (ex != nullptr) {
        for (;;) {
          wasm::RunStatus s = ex->run(kSliceFuel);
          if (s == wasm::RunStatus::HostPending) {
            runner.complete_pending(*ex);
          } else if (s != wasm::RunStatus::OutOfFuel) {
            break;
          }
          co_await async::yield_now();
        }
        runner.end_command();
      }
      co_await async::yield_now();
    }
    runner.finish(total);
    ++summary.files;
  }
  spec::print_total(out, summary.files, total);
  console::print("{} passed, {} failed, {} skipped\n", total.passed, total.failed, total.skipped);
  // Every store was released with its file: nothing of linear memory may stay committed.
  console::print("spec: linear memory committed after the run: {} bytes\n",
                 wasm_memory::committed_bytes());
  summary.passed = total.passed;
  summary.failed = total.failed;
  summary.skipped = total.skipped;
  co_return summary;
}

}  // namespace spec_suite
