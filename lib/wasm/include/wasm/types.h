// WebAssembly types shared by the decoder, the validator, the translator and the runtime.
#pragma once

#include <support/allocation_cost.h>
#include <support/types.h>
#include <support/vector.h>

// Checked builds (CMake option WARDEN_WASM_CHECKED, for tests and fuzzing) keep the type of every
// value slot beside it and check every operand before an instruction computes; see
// docs/engine.md. Off by default: the normal interpreter has none of it.
#ifndef WARDEN_WASM_CHECKED
#define WARDEN_WASM_CHECKED 0
#endif

namespace wasm {

using support::Result;
using support::Span;
using support::Vector;

enum class ValType : u8 {
  I32 = 0x7f,
  I64 = 0x7e,
  F32 = 0x7d,
  F64 = 0x7c,
  V128 = 0x7b,
  FuncRef = 0x70,
  ExternRef = 0x6f,
};

constexpr bool is_ref(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
// The 8-byte value slots a value of type `t` takes: two for a v128 (its low then its high 8
// bytes), one for every other type. Frames, arguments and results are laid out in slots.
constexpr u32 slot_count(ValType t) { return t == ValType::V128 ? 2 : 1; }
inline u32 slot_count(Span<const ValType> types) {
  u32 n = 0;
  for (ValType t : types) n += slot_count(t);
  return n;
}
const char* val_type_name(ValType t);

// A function type: params then results in one array.
struct FuncType {
  Vector<ValType> types;
  u32 param_count = 0;
  u32 result_count = 0;

  Span<const ValType> params() const { return Span<const ValType>(types.data(), param_count); }
  Span<const ValType> results() const {
    return Span<const ValType>(types.data() + param_count, result_count);
  }
  bool operator==(const FuncType& other) const;
};

struct Limits {
  u64 min = 0;
  u64 max = 0;
  bool has_max = false;
};

struct TableType {
  ValType elem = ValType::FuncRef;
  Limits limits;
  bool address64 = false;  // table64 (memory64 proposal): indices, sizes and lengths are i64
};

struct MemoryType {
  Limits limits;
  bool address64 = false;  // memory64: addresses (and sizes, deltas, lengths) are i64
};

struct GlobalType {
  ValType type = ValType::I32;
  bool mutable_ = false;
};

enum class ExternKind : u8 { Func = 0, Table = 1, Memory = 2, Global = 3 };

// A runtime value as the embedding API passes it: the type and the bits (floats as bits, never
// through a floating-point register; references as an opaque word, 0 meaning null; a v128's low
// 8 bytes in `bits`, its high 8 bytes in `hi`).
struct Value {
  ValType type = ValType::I32;
  u64 bits = 0;
  u64 hi = 0;  // v128 only: bytes 8..15

  static Value v128(u64 lo, u64 hi) { return {ValType::V128, lo, hi}; }

  static Value i32(u32 v) { return {ValType::I32, v}; }
  static Value i64(u64 v) { return {ValType::I64, v}; }
  static Value f32_bits(u32 v) { return {ValType::F32, v}; }
  static Value f64_bits(u64 v) { return {ValType::F64, v}; }
};

// Why a module was refused.
enum class ErrorKind : u8 {
  Malformed,    // the bytes are not a module in the binary format
  Invalid,      // well-formed, but breaks a typing rule
  Unsupported,  // valid WebAssembly the engine does not run yet (SIMD instructions not done)
  Limit,        // exceeds an implementation limit (docs/engine.md)
  NoMemory,     // an allocation failed
};

// A compile error: kind, byte offset into the module, and a static message.
struct CompileError {
  ErrorKind kind = ErrorKind::Malformed;
  u32 offset = 0;
  const char* message = "";
};

const char* error_kind_name(ErrorKind kind);

// The message of the Limit error a compilation fails with when it would allocate more than
// Compilation::set_memory_limit allows.
inline constexpr const char* kOverMemoryLimit = "compiled module over the memory limit";

// What the engine counts for one allocation of `bytes` against a memory limit (a compilation's,
// a store's): what the kernel heap takes for it (<support/allocation_cost.h>).
using support::allocation_cost;

// How an execution stopped on a trap.
enum class TrapKind : u8 {
  None,
  Unreachable,
  MemoryOutOfBounds,
  TableOutOfBounds,
  UndefinedElement,
  IntegerOverflow,
  IntegerDivideByZero,
  InvalidConversion,
  IndirectCallTypeMismatch,
  UninitializedElement,
  NullReference,
  StackExhausted,
  HostTrap,
  Unlinkable,
};

// The specification's wording for each trap ("integer divide by zero", ...).
const char* trap_message(TrapKind kind);

// Implementation limits (documented in docs/engine.md).
inline constexpr u32 kMaxTypes = 1000000;
inline constexpr u32 kMaxFunctions = 1000000;
inline constexpr u32 kMaxImports = 100000;
inline constexpr u32 kMaxExports = 100000;
inline constexpr u32 kMaxGlobals = 1000000;
inline constexpr u32 kMaxParams = 1000;
inline constexpr u32 kMaxResults = 1000;
inline constexpr u32 kMaxLocals = 50000;
inline constexpr u32 kMaxFunctionSize = 7654321;
inline constexpr u32 kMaxTables = 100000;
// Memories of a module (imported and defined): each reserves address space for its largest size.
inline constexpr u32 kMaxMemories = 100;
inline constexpr u32 kMaxTableSize = 10000000;
inline constexpr u32 kMaxSegments = 100000;
inline constexpr u32 kMaxBrTable = 65520;
inline constexpr u32 kMaxFrameSlots = 1u << 20;
inline constexpr u64 kMaxMemoryPages = 65536;         // of a memory with i32 addresses
inline constexpr u64 kMaxMemory64Pages = 1ull << 48;  // with i64 addresses (the type's bound)

}  // namespace wasm
