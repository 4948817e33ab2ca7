// In-kernel tests. KTEST(suite, name) { ... } registers a test in the .ktests section (no
// hand-kept list); KTEST_ASYNC(suite, name) registers a coroutine test (it may co_await; it runs
// inside the test-runner task on the executor); KTEST_MANUAL registers one that runs only when a
// filter names it exactly (tests of the harness itself, meant to fail or hang). Boot argument
// `test` runs all others, `test=<glob>` those whose "suite.name" matches. Each test prints one
// line; the run ends with "ktest: N passed, N failed" (", N skipped" when a test skipped itself)
// and QEMU exits through the test device.
#pragma once

#include <async/task.h>
#include <support/format.h>
#include <support/string_view.h>

namespace ktest {

class Context {
 public:
  void fail(const char* file, int line, support::StringView what);
  bool failed() const { return failures_ != 0; }
  // Ends the test as skipped (counted and printed with its reason, never hidden).
  void skip(const char* reason) { skip_reason_ = reason; }
  const char* skip_reason() const { return skip_reason_; }

  bool expect(bool ok, const char* expr, const char* file, int line);
  template <typename A, typename B> bool expect_eq(const A& a, const B& b, const char* a_expr,
                                                   const char* b_expr, const char* file, int line) {
    if (a == b) return true;
    char buffer[256];
    fail(file, line,
         support::format_to_buffer(buffer, sizeof buffer, "expected {} == {}: got {} and {}",
                                   a_expr, b_expr, a, b));
    return false;
  }

 private:
  int failures_ = 0;
  const char* skip_reason_ = nullptr;
};

struct Test {
  const char* name;
  void (*run)(Context&);                     // or
  async::Task<void> (*run_async)(Context&);  // for KTEST_ASYNC
  bool manual;
};

struct Summary {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

// Runs the tests selected by `filter` (empty: every non-manual test).
async::Task<Summary> run(support::StringView filter);
// Prints the registered tests.
void list();

}  // namespace ktest

#define KTEST_REGISTER(suite, name, manual)                                               \
  static void ktest_##suite##_##name(::ktest::Context& kt);                               \
  [[gnu::used,                                                                            \
    gnu::section(".ktests")]] static const ::ktest::Test ktest_entry_##suite##_##name = { \
      #suite "." #name, ktest_##suite##_##name, nullptr, manual};                         \
  static void ktest_##suite##_##name([[maybe_unused]] ::ktest::Context& kt)

#define KTEST_ASYNC(suite, name)                                                          \
  static ::async::Task<void> ktest_##suite##_##name(::ktest::Context& kt);                \
  [[gnu::used,                                                                            \
    gnu::section(".ktests")]] static const ::ktest::Test ktest_entry_##suite##_##name = { \
      #suite "." #name, nullptr, ktest_##suite##_##name, false};                          \
  static ::async::Task<void> ktest_##suite##_##name([[maybe_unused]] ::ktest::Context& kt)

// An async test run only when named exactly (benchmarks, long checks).
#define KTEST_ASYNC_MANUAL(suite, name)                                                   \
  static ::async::Task<void> ktest_##suite##_##name(::ktest::Context& kt);                \
  [[gnu::used,                                                                            \
    gnu::section(".ktests")]] static const ::ktest::Test ktest_entry_##suite##_##name = { \
      #suite "." #name, nullptr, ktest_##suite##_##name, true};                           \
  static ::async::Task<void> ktest_##suite##_##name([[maybe_unused]] ::ktest::Context& kt)

#define KTEST(suite, name) KTEST_REGISTER(suite, name, false)
#define KTEST_MANUAL(suite, name) KTEST_REGISTER(suite, name, true)

#define KEXPECT(cond) kt.expect((cond), #cond, __FILE__, __LINE__)
#define KEXPECT_EQ(a, b) kt.expect_eq((a), (b), #a, #b, __FILE__, __LINE__)
#define KASSERT(cond)           \
  do {                          \
    if (!KEXPECT(cond)) return; \
  } while (0)
#define KASSERT_EQ(a, b)           \
  do {                             \
    if (!KEXPECT_EQ(a, b)) return; \
  } while (0)

// KASSERT for KTEST_ASYNC bodies (coroutines leave with co_return).
#define CO_KASSERT(cond)           \
  do {                             \
    if (!KEXPECT(cond)) co_return; \
  } while (0)
