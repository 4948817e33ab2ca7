// The WebAssembly specification script runner: executes the commands of a .wast script (read by
// <wat/script.h>) on the engine and counts every assertion as passed, failed or skipped.
//
// One ScriptRunner runs one file against a fresh Store and a fresh `spectest` module. The
// embedder owns the loop, so that it decides how executions run (the host tool: in one go, or in
// fuel slices on alternating threads; the kernel: in slices with a yield between them):
//
//   ScriptRunner run(provider, config, out);
//   run.start("i32.wast", source);
//   while (!run.done())
//     if (wasm::Execution* ex = run.begin_command()) { /* run ex until stopped */
//     run.end_command(); }
//   run.finish(total);
//
// What counts as an assertion: every `assert_*` command (assert_return, assert_trap with an
// action or a module, assert_exhaustion, assert_malformed, assert_invalid, assert_unlinkable,
// assert_exception). Each one is counted exactly once, so the totals equal the number of
// assertion commands. Assertions on a module that failed to load count as failed and "not run".
//
// A module or an assertion that needs something the engine does not implement (SIMD, 3.0
// proposals: GC, typed function references, exception handling, memory64, multi-memory, tail
// calls, extended constants ...) is detected from the module's bytes (types, limits, sections,
// the opcode the decoder stopped at) or from the text the reader could not read, and the
// assertion is skipped as `unsupported feature <name>`; nothing is guessed from file names.
//
// Output (one text for host and kernel): failure lines, skip lines, the per-file line and the
// total line, written to the FormatSink the embedder gives. Freestanding; allocation failure of
// the runner's own bookkeeping counts as a failure of the command, never a crash.
#pragma once

#include <support/format.h>
#include <support/string_view.h>
#include <support/vector.h>
#include <wasm/runtime.h>
#include <wat/script.h>

namespace spec {

struct Counts {
  static constexpr u32 kMaxReasons = 24;
  struct Reason {
    const char* text;
    u64 count;
  };

  u64 passed = 0;
  u64 failed = 0;  // includes not_run
  u64 skipped = 0;
  u64 not_run = 0;            // assertions after a module that failed to load
  u64 pending_completed = 0;  // host calls the embedder completed after Pending (slice modes)
  Reason reasons[kMaxReasons] = {};
  u32 reason_count = 0;

  u64 assertions() const { return passed + failed + skipped; }
  void add_skip(const char* reason, u64 n = 1);
  void add(const Counts& other);
};

struct Config {
  // spectest.print* answer HostStatus::Pending; the embedder completes them (complete_pending).
  bool pending_prints = false;
  // Failure lines printed per file (skip lines are always printed); 0: no limit.
  u32 max_failure_lines = 20;
  wasm::StoreConfig store;
  // What the modules may use: everything the engine supports by default; the 2.0 suite runs with
  // wasm::Features::wasm_2_0() (its assertions that 3.0 reverses then hold).
  wasm::Features features;
};

class ScriptRunner {
 public:
  ScriptRunner(wasm::MemoryProvider& provider, const Config& config, support::FormatSink& out)
      : provider_(provider), config_(config), out_(out) {}
  ~ScriptRunner();
  ScriptRunner(const ScriptRunner&) = delete;
  ScriptRunner& operator=(const ScriptRunner&) = delete;

  // Reads `source` (kept borrowed until finish()). False when the script does not read or the
  // store cannot be made: its assertions (counted in the text) then count as failed, not run.
  bool start(support::StringView file_name, support::StringView source);
  bool done() const { return next_ >= script_.commands.size(); }
  // Performs the next command up to the point where code must run. Returns the started
  // Execution the embedder must run until it stops with Done, Trap or Exit (after HostPending,
  // call complete_pending()), then call end_command(); or nullptr when the command is complete.
  wasm::Execution* begin_command();
  void end_command();
  // Completes a pending spectest host call of `execution` (counted).
  void complete_pending(wasm::Execution& execution);
  // Prints the file's line, adds its counts to `total` and releases the store and modules.
  void finish(Counts& total);

  const Counts& counts() const { return counts_; }

 private:
  struct Compiled;
  struct Named {
    support::StringView name;
    wasm::Instance* instance;
    const char* unsupported;  // the feature that kept it from loading, or nullptr
  };
  struct Definition {
    support::StringView name;
    wasm::Module* module;
    const char* unsupported;
  };
  struct Registered {
    support::Vector<u8> name;
    wasm::Instance* instance;
    const char* unsupported;
    // A module skipped for this feature came after the registration and may have changed the
    // instance's state (its data or element segments written into an imported memory or table).
    const char* tainted = nullptr;
  };
  enum class Waiting : u8 { None, ModuleStart, Action };

  bool make_spectest();
  void release();
  Compiled compile(const wat::ModuleDef& def);
  void command_module(const wat::Command& c, wasm::Module* module, const char* unsupported);
  wasm::Execution* instantiate(const wat::Command& c, wasm::Module* module);
  wasm::Execution* command_action(const wat::Command& c);
  void command_definition_check(const wat::Command& c);
  void finish_start(wasm::RunStatus status);
  void finish_action(wasm::RunStatus status);
  void set_current(const wat::Command& c, wasm::Instance* instance, const char* unsupported,
                   bool failed);
  bool resolve(const wasm::Module& module, support::Vector<wasm::Extern>& out,
               const char** unsupported);
  bool spectest_export(support::StringView name, wasm::Extern& out) const;
  const char* taint_of(const wasm::Instance* instance) const;
  void taint_registered(const char* feature);

  void pass() { ++counts_.passed; }
  template <typename... Args>
  void fail(const wat::Command& c, support::StringView fmt, const Args&... args) {
    ++counts_.failed;
    if (config_.max_failure_lines != 0 && failure_lines_ >= config_.max_failure_lines) return;
    ++failure_lines_;
    line_prefix(c);
    support::format(out_, fmt, args...);
    out_.write("\n", 1);
  }
  void skip(const wat::Command& c, const char* feature);
  void not_run(const wat::Command& c, const char* unsupported);
  void line_prefix(const wat::Command& c);

  wasm::MemoryProvider& provider_;
  const Config& config_;
  support::FormatSink& out_;
  support::StringView file_;
  support::StringView source_;
  wat::Script script_;
  usize next_ = 0;
  bool read_ok_ = false;
  u64 unread_assertions_ = 0;
  Counts counts_;
  u32 failure_lines_ = 0;

  wasm::Store* store_ = nullptr;
  support::Vector<wasm::Module*> modules_;
  support::Vector<Named> named_;
  support::Vector<Definition> definitions_;
  support::Vector<Registered> registered_;
  wasm::Instance* current_ = nullptr;
  const char* current_unsupported_ = nullptr;
  bool current_failed_ = false;

  struct Spectest {
    const char* name;
    wasm::Extern value;
  };
  support::Vector<Spectest> spectest_;

  Waiting waiting_ = Waiting::None;
  const wat::Command* command_ = nullptr;
  wasm::Execution* execution_ = nullptr;
  wasm::Instance* starting_ = nullptr;
  wasm::FuncInst* invoked_ = nullptr;
  wasm::Instance* acting_on_ = nullptr;
};

// The total line and the skip reasons (the same text on host and kernel):
// "90 files, 26716 assertions: 26716 passed, 0 failed (0 of them not run), 0 skipped".
void print_total(support::FormatSink& out, u64 files, const Counts& total);

// The number of `(assert_` commands in a script's text outside line comments (for a script that
// does not read, so that its assertions still count).
u64 count_assertions(support::StringView text);

// The 3.0 feature a binary module uses that the engine does not implement, or that `features`
// leaves out (memory64 under the 2.0 set: limits with i64 addresses), or nullptr. Looks at the
// sections the engine cannot read (types, limits, tags) and, when `error` is given, at the byte
// the decoder stopped at.
const char* unsupported_feature(support::Span<const u8> module, const wasm::CompileError* error,
                                const wasm::Features& features = wasm::Features());
// The feature a text module needs that the reader does not implement, or that `features` leaves
// out (memory64 under the 2.0 set: limits and offsets beyond 32 bits), from the word at the
// error's location, or nullptr.
const char* unsupported_text_feature(support::StringView source, const wat::ParseError& error,
                                     const wasm::Features& features = wasm::Features());

// The text format that goes with an engine feature set (3.0's 64-bit limits and offsets with
// memory64).
inline wat::Features text_features(const wasm::Features& features) {
  wat::Features f;
  f.memory64 = features.memory64;
  return f;
}

}  // namespace spec
