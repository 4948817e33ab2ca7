// The two engines behind one shape: compile once, then run a list of export calls on a fresh
// instance as many times as asked. Imports are satisfied the same way on both sides: a function
// records its arguments and returns zeros, a table is empty (null elements), a memory zeroed, a
// global zero.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "outcome.h"
#include "wasm_writer.h"

namespace wasm_diff {

// How this engine runs each call: at once, or stopped by fuel after every unit, or after random
// slices of 1 to 64 units, and resumed each time (wabt runs at once): the results must not change.
enum class Slices : uint8_t { None, One, Random };

struct RunLimits {
  Slices slices = Slices::None;
  uint64_t slice_seed = 0;  // for Slices::Random
  int64_t fuel = 100000;  // this engine, per call (wabt has none: the driver's watchdog bounds it)
  // This engine's stacks, below wabt's (1638 frames, 4096 values): a call that exhausts them is
  // not compared, so wabt never reaches its own limit, where it misbehaves (wabt 1.0.32 goes on
  // running after the call stack is exhausted under call_indirect).
  uint32_t max_call_depth = 1000;
  uint64_t max_stack_slots = 3072;
  uint64_t max_memory_pages = 256;  // modules are clamped to these first (see clamp_limits)
  uint64_t max_table_size = 10000;
};

// The number of host values (externref) the harness hands out: ids 1..kHostRefs.
inline constexpr uint64_t kHostRefs = 3;

// An exported function and its type, from this engine's decoder.
struct ExportedFunc {
  std::string name;
  std::vector<ValType> params;
  // A v128 parameter or result (its calls are counted apart: "v128 calls").
  bool v128 = false;
};

// What compiling a module gave, on either engine: Load::Ok, else why not (with message()).
class Loaded {
 public:
  Load load() const { return load_; }
  const std::string& message() const { return message_; }

 protected:
  Load load_ = Load::Ok;
  std::string message_;
};

// The import limits both engines give a table or a memory: the module's own maximum when it has
// one within `cap`, else `cap`.
template <typename Limits> void cap_maximum(Limits& limits, uint64_t cap) {
  if (!limits.has_max || limits.max > cap) {
    limits.has_max = true;
    limits.max = cap;
  }
}

class WardenModule : public Loaded {
 public:
  explicit WardenModule(const Bytes& bytes);
  ~WardenModule();
  std::vector<ExportedFunc> exported_funcs() const;
  uint32_t function_count() const;
  Outcome run(const std::vector<Call>& calls, const RunLimits& limits) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WabtModule : public Loaded {
 public:
  explicit WabtModule(const Bytes& bytes);
  ~WabtModule();
  Outcome run(const std::vector<Call>& calls, const RunLimits& limits) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wasm_diff
