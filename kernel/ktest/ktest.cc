#include <kernel/console/console.h>
#include <kernel/ktest/ktest.h>

extern "C" const ktest::Test __ktests_start[], __ktests_end[];

namespace ktest {

void Context::fail(const char* file, int line, support::StringView what) {
  if (failures_++ == 0) console::write("\n");
  console::print("    FAILED at {}:{}: {}\n", file, line, what);
}

bool Context::expect(bool ok, const char* expr, const char* file, int line) {
  if (!ok) {
    char buffer[256];
    fail(file, line, support::format_to_buffer(buffer, sizeof buffer, "expected {}", expr));
  }
  return ok;
}

namespace {
bool selected_by_one(const Test& test, support::StringView filter) {
  if (test.manual) return filter == test.name;  // never by wildcard
  // `-GLOB`: every automatic test but those matching.
  if (filter[0] == '-') return !support::glob_match(filter.substr(1), test.name);
  return support::glob_match(filter, test.name);
}

// `filter` is one GLOB, one -GLOB, or several separated by commas (a test selected by any).
bool selected(const Test& test, support::StringView filter) {
  if (filter.empty()) return !test.manual;
  while (!filter.empty()) {
    usize comma = 0;
    while (comma < filter.size() && filter[comma] != ',') ++comma;
    support::StringView one = filter.substr(0, comma);
    if (!one.empty() && selected_by_one(test, one)) return true;
    filter = comma < filter.size() ? filter.substr(comma + 1) : support::StringView();
  }
  return false;
}
}  // namespace

async::Task<Summary> run(support::StringView filter) {
  Summary summary;
  for (const Test* t = __ktests_start; t < __ktests_end; ++t) {
    if (!selected(*t, filter)) continue;
    // The name first, so that a test that hangs or panics is known by it.
    console::print("ktest {} ... ", t->name);
    Context context;
    if (t->run != nullptr) {
      t->run(context);
    } else {
      co_await t->run_async(context);
    }
    if (context.failed()) {
      ++summary.failed;
      console::print("ktest {} FAILED\n", t->name);
    } else if (context.skip_reason() != nullptr) {
      ++summary.skipped;
      console::print("skipped: {}\n", context.skip_reason());
    } else {
      ++summary.passed;
      console::write("ok\n");
    }
  }
  if (summary.skipped > 0) {
    console::print("ktest: {} passed, {} failed, {} skipped\n", summary.passed, summary.failed,
                   summary.skipped);
  } else {
    console::print("ktest: {} passed, {} failed\n", summary.passed, summary.failed);
  }
  co_return summary;
}

void list() {
  for (const Test* t = __ktests_start; t < __ktests_end; ++t)
    console::print("  {}{}\n", t->name, t->manual ? " (manual)" : "");
}

}  // namespace ktest
