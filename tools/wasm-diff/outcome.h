// What one run of a module did, in terms both engines can be compared in: the load verdict, how
// the instantiation and every call ended (trap kinds, result bits), the host calls made, and the
// final globals, tables and memories.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <wasm/types.h>

namespace wasm_diff {

using wasm::TrapKind;
using wasm::ValType;

// A value: numbers by bits (a v128's bytes 0..7 in `bits`, 8..15 in `hi`); a funcref as 1 + its
// index in the instance's function index space (0 is null, kForeignFunc a function of no instance
// here); an externref as its host id (0 null).
struct Val {
  ValType type = ValType::I32;
  uint64_t bits = 0;
  uint64_t hi = 0;  // v128 only
};
inline constexpr uint64_t kForeignFunc = ~uint64_t{0};

// Equal as the specification allows two engines to differ: bit for bit, except that two NaNs
// need only be of the same class: both quiet (arithmetic) or both signalling; sign and payload
// are free. (The result of an arithmetic operation on NaNs is any arithmetic NaN unless every
// input NaN was canonical; wabt always returns the canonical NaN, so comparing with it cannot
// tell the canonical NaN from other arithmetic ones.)
// A v128 is compared bit for bit: the harness does not know which lane shape produced it (see
// same_v128_lanes for the modules whose NaN bits are free).
bool same_value(const Val& a, const Val& b);
// Two v128 values that differ only in lanes holding NaNs on both sides, read as one lane shape:
// every differing 32-bit lane a NaN of the same class on both sides (f32x4), or every differing
// 64-bit lane so (f64x2). For modules not made here (NanBits::Free) only: an integer lane whose
// wrong value happens to be a NaN bit pattern, like the correct one, would pass too.
bool same_v128_lanes(const Val& a, const Val& b);
// `v` with every NaN made zero: a float's NaN, and in a v128 each 64-bit half that is an f64 NaN
// and each 32-bit lane that is an f32 NaN. For arguments given to both engines when a
// difference that involved NaNs is checked again without them (binaryen 108's --denan leaves
// v128 operations alone, so a NaN argument's free bits could otherwise reach integer lanes).
Val without_nans(const Val& v);
std::string to_string(const Val& v);
std::string to_string(const std::vector<Val>& vs);

// How a call (or the instantiation with its start function) ended.
enum class Stop : uint8_t { Done, Trap, Exhausted, OutOfFuel };

struct CallEnd {
  Stop stop = Stop::Done;
  TrapKind trap = TrapKind::None;
  std::string message;  // the engine's own wording, for reports
  std::vector<Val> results;
};
std::string to_string(const CallEnd& e);

// One export called with its arguments.
struct Call {
  std::string name;
  std::vector<Val> args;
  bool v128 = false;  // the function has a v128 parameter or result (counted apart)
};

struct HostCallRecord {
  uint32_t import = 0;
  std::vector<Val> args;
};

enum class Load : uint8_t {
  Ok,           // instantiated (the start function may still have trapped: see Outcome::start)
  Rejected,     // malformed or invalid
  Unsupported,  // valid, but uses a feature this engine does not run: not compared
  Limit,        // beyond an implementation limit of this engine: not compared
  Unlinkable,
};

struct Outcome {
  Load load = Load::Ok;
  std::string message;  // why not loaded
  CallEnd start;        // the instantiation: segments and the start function
  std::vector<CallEnd> calls;
  static constexpr size_t kMaxHostCalls = 4096;
  std::vector<HostCallRecord> host_calls;  // the first kMaxHostCalls
  uint64_t host_call_count = 0;
  // Final state, when instantiation succeeded: every global, table and memory of the instance,
  // imported ones included.
  std::vector<Val> globals;
  std::vector<std::vector<Val>> tables;
  std::vector<std::vector<uint8_t>> memories;
};

// Whether integers and memory may differ where both sides hold NaN bits: the sign and payload of
// an arithmetic NaN are the engine's choice, and a module that stores them or reinterprets them
// as integers makes that choice visible. The sequence generator keeps such NaNs out of integers
// and memory (Exact); modules from elsewhere cannot be made to (Free).
enum class NanBits : uint8_t { Exact, Free };

// Empty when the two outcomes agree; else a description of the first difference.
std::string compare(const Outcome& ours, const Outcome& theirs, const std::vector<Call>& calls,
                    NanBits nan_bits);

// Whether a NaN shows anywhere in the two outcomes: a result, a host call argument, a global, or
// bytes where the memories differ that are NaN bits on both sides.
bool involves_nan(const Outcome& a, const Outcome& b);

// The index of the first call that ended in `stop` on this side, or -1.
int first_call_with(const Outcome& o, Stop stop);

// A trap message of wabt's interpreter (or the specification's wording) as a trap kind;
// TrapKind::HostTrap when unknown.
TrapKind trap_kind_of(const std::string& message);

}  // namespace wasm_diff
